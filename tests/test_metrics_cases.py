"""The metrics' shared vectors: tests/metrics_cases.json, written here from exp.metrics() and read by
tests/js/metrics.test.ts, which must compute the same figures and bootstrap intervals (to 1e-9) from what
the view receives: the cohort columns on the wire and the probabilities.

Each case's data are float32 values (probabilities, regression targets), so the float64 the kernel computes
on and the float32 the wire carries are the same numbers. A committed file that differs from what the code
writes now fails; `RW_WRITE_METRICS_CASES=1 python -m pytest tests/test_metrics_cases.py` rewrites it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

import rai_widget as rw
from rai_widget._payload._common import columns_to_wire
from rai_widget._payload._wire import array_to_wire
from rai_widget.explanations import _metrics
from rai_widget.report import _encode_state

PATH = Path(__file__).parent / "metrics_cases.json"
WRITE = os.environ.get("RW_WRITE_METRICS_CASES") == "1"
SETTINGS = {"ci": 0.9, "n_boot": 40, "random_state": 7}


def _float32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def classification(n: int, classes: list, seed: int, ties: bool = False, true_of=None) -> rw.TabularExplanation:
    rng = np.random.default_rng(seed)
    k = len(classes)
    p = rng.dirichlet(np.ones(k), n)
    if ties:  # few distinct scores: ROC AUC counts the ties half
        p = np.round(p * 4) / 4 + 1e-3 * np.arange(k)
        p /= p.sum(axis=1, keepdims=True)
    p = _float32(p)
    top = np.argmax(p, axis=1)
    truth = true_of(p, rng) if true_of else np.array([rng.choice(k, p=row / row.sum()) for row in p])
    names = np.array(classes, dtype=object)
    return rw.TabularExplanation(
        data=pd.DataFrame({"x": _float32(rng.normal(size=n))}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((n, 1, k)),
        base_values=np.zeros(k),
        model_output=np.log(np.maximum(p, 1e-12)),
        output_names=list(classes),
        task="classification",
        units="log-odds",
        y_pred=names[top],
        y_true=names[truth],
        probabilities=p,
    )


def regression(n: int, seed: int, missing: int = 0) -> rw.TabularExplanation:
    rng = np.random.default_rng(seed)
    x = _float32(rng.normal(size=n))
    y_pred = _float32(2 * x + 1)
    y_true = _float32(y_pred + rng.normal(0, 0.8, n))
    y_true[rng.choice(n, missing, replace=False)] = np.nan
    return rw.TabularExplanation(
        data=pd.DataFrame({"x": x}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((n, 1, 1)),
        base_values=np.zeros(1),
        surrogate_output=np.zeros((n, 1)),
        model_output=y_pred[:, None],
        output_names=["price"],
        task="regression",
        units="price",
        y_pred=y_pred,
        y_true=y_true,
    )


ALL = rw.Cohort("All data", [])
X_HIGH = rw.Cohort("x > 0.2", [rw.Filter("x", ">", 0.2)])


def _cases():
    three = ["low", "mid", "high"]
    yield "binary", classification(50, ["no", "yes"], 0), [ALL, X_HIGH]
    yield "binary with ties", classification(45, ["no", "yes"], 1, ties=True), [ALL]
    yield (
        "binary, booleans",
        classification(30, [False, True], 2),
        [ALL, rw.Cohort("true", [rw.Filter("y_true", "==", True)])],
    )
    yield (
        "multiclass",
        classification(60, three, 3),
        [ALL, X_HIGH, rw.Cohort("no true high", [rw.Filter("y_true", "!=", "high")])],
    )
    yield (
        "multiclass, numbers",
        classification(40, [1, 2, 5, 9], 4),
        [ALL, rw.Cohort("true 9", [rw.Filter("y_true", "==", 9)])],
    )
    yield (
        "regression, missing y_true",
        regression(48, 5, missing=6),
        [
            ALL,
            X_HIGH,
            rw.Cohort("one row", [rw.Filter("index", "==", 3)]),
            rw.Cohort("none", [rw.Filter("x", ">", 99)]),
        ],
    )


def _number(v) -> float | None:
    return None if not np.isfinite(v) else float(v)


def case(name: str, exp: rw.TabularExplanation, cohorts) -> dict:
    spec = exp.column_spec()
    wire = {"columns": columns_to_wire(spec)}
    if exp.probabilities is not None:
        wire["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32))
    checks = []
    for cohort in cohorts:
        df = exp.metrics(cohort=cohort, **SETTINGS)
        checks.append(
            {
                "cohort": cohort.to_json(),
                "n": int(df.n.iloc[0]),
                "left_out": int(df.attrs["left_out"]),
                "metrics": [
                    {
                        "metric": r.metric,
                        "value": _number(r.value),
                        "ci_low": _number(r.ci_low),
                        "ci_high": _number(r.ci_high),
                    }
                    for r in df.itertuples()
                ],
                "notes": df.attrs["notes"],
            }
        )
    return {
        "name": name,
        "task": exp.task,
        "n_rows": len(exp),
        "output_names": [str(c) for c in exp.output_names],
        "arrays": _encode_state(wire),
        "checks": checks,
    }


def cases() -> dict:
    return {
        "settings": SETTINGS,
        # mulberry32 outputs the browser must draw: start .. start + len(values) - 1 of the seed's stream
        "prng": [
            {"seed": seed, "start": start, "values": _metrics.mulberry32(seed, start, 6).tolist()}
            for seed, start in ((0, 0), (7, 0), (2**32 - 1, 0), (123456789, 2**32 - 3), (5, 10**8))
        ],
        "resamples": [
            {"seed": 7, "n": n, "first": 0, "counts": _metrics.resample_counts(7, n, 0, 3).tolist()} for n in (1, 5, 17)
        ],
        "cases": [case(*c) for c in _cases()],
    }


def _text() -> str:
    return json.dumps(cases(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def test_cases_are_what_the_code_writes():
    text = _text()
    if WRITE:
        PATH.write_text(text, encoding="utf-8")
    assert PATH.exists(), f"{PATH.name} is missing: RW_WRITE_METRICS_CASES=1 python -m pytest {__file__}"
    assert PATH.read_text(encoding="utf-8") == text, (
        f"{PATH.name} differs from what exp.metrics() gives now. If the change is meant, rewrite it "
        f"(RW_WRITE_METRICS_CASES=1 python -m pytest {Path(__file__).name}), check that vitest still passes "
        "and commit it."
    )


def test_cases_cover_what_they_should():
    data = cases()
    tasks = {c["task"] for c in data["cases"]}
    assert tasks == {"classification", "regression"}
    notes = [n for c in data["cases"] for check in c["checks"] for n in check["notes"].values()]
    assert any("no row of these has true class high" in n for n in notes)  # a class absent from a cohort
    assert any(check["left_out"] > 0 for c in data["cases"] for check in c["checks"])  # missing y_true
    assert any(check["n"] == 0 for c in data["cases"] for check in c["checks"])
    intervals = [m["ci_low"] for c in data["cases"] for check in c["checks"] for m in check["metrics"]]
    assert sum(v is not None for v in intervals) > 100
