"""The wire format's shared vectors: tests/payloads/<case>.json, written here and read by tests/js/payloads.test.ts.

Each fixture holds what the view receives for one explanation (report.widget_state) and what the kernel
computes from it: the rows of every cohort, tabular global importance, text token tables. vitest decodes
the state and must find the same. A fixture that differs from what the code writes now fails this test;
`RW_WRITE_PAYLOADS=1 python -m pytest tests/test_payload_fixtures.py` rewrites them (commit the result).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from payload_cases import CASES, Case

import rai_widget as rw
from rai_widget._payload import _images
from rai_widget._payload._wire import wire_to_array
from rai_widget.cohorts import ALL_DATA
from rai_widget.explanations import _columns
from rai_widget.report import widget_state

FIXTURES = Path(__file__).parent / "payloads"
WRITE = os.environ.get("RW_WRITE_PAYLOADS") == "1"


def _round(v: float) -> float:
    # 9 significant digits: the same on any CPU (summation order can move the last bits), and far finer
    # than the float32 values the browser computes with
    return float(f"{v:.9g}")


def _number(v: float) -> float | None:
    """A rounded number, or None for NaN (JSON has no NaN)."""
    return None if np.isnan(v) else _round(v)


def _output_json(output):
    if output is None:
        return {"kind": "average"}
    if output == "predicted":
        return {"kind": "predicted"}
    return {"kind": "output", "index": int(output)}


def dashboard(case: Case) -> rw.ExplanationDashboard:
    # Images as raw arrays rather than PNG: PNG bytes depend on the zlib build, raw pixels do not.
    with mock.patch.object(_images, "_pil", lambda: None):
        return rw.ExplanationDashboard(case.build(), cohorts=case.cohorts)


def fixture(case: Case) -> dict:
    dash = dashboard(case)
    exp = dash.explanation
    cohorts = dash.cohorts  # "All data" first, then the case's
    checks: dict = {"cohorts": [{"cohort": c.to_json(), "rows": np.flatnonzero(c.mask(exp)).tolist()} for c in cohorts]}
    if exp.kind == "tabular":
        checks["importance"] = [
            {
                "cohort": c.name,
                "output": _output_json(o),
                "values": [_round(v) for v in exp.global_importance(cohort=c, output=o)[exp.feature_names]],
            }
            for c in cohorts
            for o in case.outputs
        ]
        checks["fidelity"] = []
        for c in cohorts:
            fid = exp.cohort_fidelity(c)
            checks["fidelity"].append(
                {
                    "cohort": c.name,
                    "rows": fid["rows"],
                    "r2": _number(fid["r2"]),
                    "agreement": _number(fid["agreement"]) if "agreement" in fid else None,
                }
            )
    if exp.kind == "text":
        checks["tokens"] = []
        for c in cohorts:
            for output, stop in case.outputs:
                table = exp.global_importance(
                    cohort=c, output=output, stop_words=dash.meta["stop_words"] if stop else None
                ).head(10)
                checks["tokens"].append(
                    {
                        "cohort": c.name,
                        "output": output,
                        "stop_words": stop,
                        "table": [
                            {
                                "token": r.token,
                                "mean": _round(r.mean),
                                "mean_abs": _round(r.mean_abs),
                                "count": int(r.count),
                            }
                            for r in table.itertuples()
                        ],
                    }
                )
    return {"name": case.name, "kind": exp.kind, "state": widget_state(dash), "checks": checks}


def _text(case: Case) -> str:
    return json.dumps(fixture(case), indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_what_the_code_writes(case):
    path = FIXTURES / f"{case.name}.json"
    text = _text(case)
    if WRITE:
        FIXTURES.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: RW_WRITE_PAYLOADS=1 python -m pytest {__file__}"
    assert path.read_text(encoding="utf-8") == text, (
        f"{path.name} differs from the payload the code writes now. If the change is meant, rewrite the "
        f"fixtures (RW_WRITE_PAYLOADS=1 python -m pytest {Path(__file__).name}), check that vitest still passes "
        "and commit them."
    )


def test_no_stale_fixtures():
    names = {f"{c.name}.json" for c in CASES}
    extra = sorted(p.name for p in FIXTURES.glob("*.json") if p.name not in names)
    if WRITE:
        for name in extra:
            (FIXTURES / name).unlink()
        extra = []
    assert not extra, f"fixtures of cases that no longer exist: {extra}"


def _columns_from_wire(arrays: dict, n: int) -> _columns.CohortColumns:
    """The columns as the browser decodes them from the wire (float32 numbers, codes, bytes, tokens)."""
    out = {}
    for w in arrays["columns"]:
        role, kind = w["role"], w["kind"]
        if kind == "number":
            out[w["name"]] = _columns.NumberColumn(wire_to_array(w["values"]), role)
        elif kind == "category":
            out[w["name"]] = _columns.CategoryColumn(wire_to_array(w["codes"]), tuple(w["categories"]), role)
        elif kind == "bool":
            out[w["name"]] = _columns.BoolColumn(wire_to_array(w["values"]), role)
        else:
            out[w["name"]] = _columns.TokensColumn(
                wire_to_array(w["offsets"]).astype(np.int64), tuple(w["tokens"]), role
            )
    return _columns.CohortColumns(out, n)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_wire_columns_select_the_kernels_rows(case):
    """What the browser receives is exactly what the kernel filters: the same rows from the wire form."""
    dash = dashboard(case)
    wire = _columns_from_wire(dash.arrays, dash.meta["n_rows"])
    spec = dash.explanation.column_spec()
    assert list(wire) == list(spec) and [c.kind for c in wire.values()] == [c.kind for c in spec.values()]
    for cohort in dash.cohorts:
        np.testing.assert_array_equal(cohort.mask(wire), cohort.mask(dash.explanation), err_msg=cohort.name)
    assert dash.meta["all_data"] == ALL_DATA == dash.cohorts[0].name
