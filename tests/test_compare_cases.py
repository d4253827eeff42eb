"""The cohort differences' shared vectors: tests/compare_cases.json, written here from exp.compare() and
_compare.importance_intervals() and read by tests/js/compare.test.ts, which must compute the same importances,
differences and bootstrap intervals (to 1e-9) from what the view receives: the tabular payload.

Each case's values and model outputs are float32 numbers, so the float64 the kernel computes on and the
float32 the wire carries are the same. A committed file that differs from what the code writes now fails;
`RW_WRITE_COMPARE_CASES=1 python -m pytest tests/test_compare_cases.py` rewrites it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

import rai_widget as rw
from rai_widget._payload import payload
from rai_widget.explanations import TabularExplanation, _compare
from rai_widget.report import _encode_state

PATH = Path(__file__).parent / "compare_cases.json"
WRITE = os.environ.get("RW_WRITE_COMPARE_CASES") == "1"
SETTINGS = {"ci": 0.9, "n_boot": 40, "random_state": 7}


def _float32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def explanation(n: int, f: int, classes: list[str] | None, seed: int) -> TabularExplanation:
    """Random float32 values (feature 0's doubled where x0 > 0.2); classes None: a regression."""
    rng = np.random.default_rng(seed)
    names = [f"x{j}" for j in range(f)]
    data = pd.DataFrame({name: _float32(rng.normal(size=n)) for name in names})
    data["x1"] = np.where(np.arange(n) % 3 == 0, "p", "q")
    k = 1 if classes is None else len(classes)
    values = rng.normal(size=(n, f, k)) * (1.0 + np.arange(f))[None, :, None]
    values[data.x0.to_numpy() > 0.2, 0] *= 2
    if classes is not None and k == 2:
        values = np.concatenate([-values[:, :, :1], values[:, :, :1]], axis=2)  # binary: class 0 mirrors class 1
    values = _float32(values)
    base = np.zeros(k)
    out = _float32(base + values.sum(axis=1))
    kinds = ["numeric", "category"] + ["numeric"] * (f - 2)
    common = dict(data=data, feature_names=names, feature_kinds=kinds, values=values, base_values=base)
    if classes is None:
        return TabularExplanation(
            **common, model_output=out, output_names=["price"], task="regression", units="price", y_pred=out[:, 0]
        )
    model = _float32(out + rng.normal(scale=0.5, size=out.shape))
    if k == 2:
        model[:, 0] = -model[:, 1]
    p = np.exp(model - model.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return TabularExplanation(
        **common,
        model_output=model,
        output_names=classes,
        task="classification",
        units="log-odds",
        y_pred=np.array(classes)[np.argmax(model, axis=1)],
        probabilities=p,
    )


ALL = rw.Cohort("All data", [])
X_HIGH = rw.Cohort("x0 > 0.2", [rw.Filter("x0", ">", 0.2)])
X_LOW = rw.Cohort("x0 <= 0.2", [rw.Filter("x0", "<=", 0.2)])
P = rw.Cohort("x1 is p", [rw.Filter("x1", "==", "p")])
ONE = rw.Cohort("one row", [rw.Filter("index", "==", 3)])


def _cases():
    yield "regression", explanation(45, 3, None, 0), [(X_HIGH, X_LOW), (ALL, P), (ONE, P)], [None]
    yield "binary", explanation(50, 4, ["no", "yes"], 1), [(X_HIGH, ALL), (P, X_LOW)], [1, None, "predicted"]
    yield (
        "multiclass",
        explanation(36, 3, ["low", "mid", "high"], 2),
        [(X_HIGH, X_LOW), (ALL, P)],
        [None, "predicted", 2],
    )


def _output_json(output):
    if output is None:
        return {"kind": "average"}
    if output == "predicted":
        return {"kind": "predicted"}
    return {"kind": "output", "index": int(output)}


def _numbers(series: pd.Series, names: list[str]) -> list[float]:
    return [float(v) for v in series.loc[names]]


def case(name: str, exp: TabularExplanation, pairs, outputs) -> dict:
    meta, arrays = payload([exp])
    names = exp.feature_names
    differences, intervals = [], []
    for output in outputs:
        for a, b in pairs:
            df = exp.compare(a, b, output=output, **SETTINGS)
            differences.append(
                {
                    "a": a.to_json(),
                    "b": b.to_json(),
                    "output": _output_json(output),
                    "rows_a": df.attrs["rows_a"],
                    "rows_b": df.attrs["rows_b"],
                    "order": list(df.index),
                    **{col: _numbers(df[col], names) for col in _compare.COLUMNS[:-1]},
                    "excludes_zero": [bool(v) for v in df.excludes_zero.loc[names]],
                }
            )
        for cohort in {c.name: c for pair in pairs for c in pair}.values():
            df = _compare.importance_intervals(exp, cohort, output=output, **SETTINGS)
            intervals.append(
                {
                    "cohort": cohort.to_json(),
                    "output": _output_json(output),
                    **{col: _numbers(df[col], names) for col in ("mean_abs", "ci_low", "ci_high")},
                }
            )
    return {
        "name": name,
        "meta": _encode_state(meta),
        "arrays": _encode_state(arrays),
        "differences": differences,
        "intervals": intervals,
    }


def cases() -> dict:
    return {"settings": SETTINGS, "cases": [case(*c) for c in _cases()]}


def _text() -> str:
    return json.dumps(cases(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def test_cases_are_what_the_code_writes():
    text = _text()
    if WRITE:
        PATH.write_text(text, encoding="utf-8")
    assert PATH.exists(), f"{PATH.name} is missing: RW_WRITE_COMPARE_CASES=1 python -m pytest {__file__}"
    assert PATH.read_text(encoding="utf-8") == text, (
        f"{PATH.name} differs from what exp.compare() gives now. If the change is meant, rewrite it "
        f"(RW_WRITE_COMPARE_CASES=1 python -m pytest {Path(__file__).name}), check that vitest still passes "
        "and commit it."
    )


def test_cases_cover_what_they_should():
    data = cases()
    differences = [d for c in data["cases"] for d in c["differences"]]
    assert any(any(d["excludes_zero"]) for d in differences)  # a planted effect found
    assert any(not all(d["excludes_zero"]) for d in differences)
    assert any(d["rows_a"] == 1 for d in differences)  # a cohort of one row: a zero-width interval
    assert {d["output"]["kind"] for d in differences} == {"average", "predicted", "output"}
    assert any(d["order"] != sorted(d["order"]) for d in differences)  # ordered by |difference|, not by name
    assert all(c["meta"]["binary_mirror"] == (c["name"] == "binary") for c in data["cases"])
