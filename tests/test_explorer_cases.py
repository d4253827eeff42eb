"""The data explorer's binning from numpy: tests/explorer_cases.json, written here, read by tests/js/explorer.test.ts.

The aggregate view of the data explorer bins x and summarises y per bin (js/tabular/explorer/bins.ts). The
rules are numpy's, so a user can say the same in the kernel: the edges of `bins` equal-width bins over the
finite values' [min, max] are `numpy.histogram_bin_edges(x, bins)` (a constant column spans [v - 0.5, v + 0.5]),
a value is in bin k when edges[k] <= v < edges[k + 1], the last bin closed (`numpy.histogram`); a category
axis has one bin per level (its codes, `numpy.bincount`). Per bin: the count of rows, the mean of the finite
y values, and a Tukey box of the non-missing y values (`numpy.quantile`, method "linear"; whiskers at the
furthest values within 1.5 IQR of the quartiles). NaN x values are in no bin.

A committed file that differs from what numpy computes now fails this test;
`RW_WRITE_EXPLORER_CASES=1 python -m pytest tests/test_explorer_cases.py` rewrites it (commit the result).
Edges are exact (float64 as JSON writes it); the statistics are rounded to 12 significant digits, since
numpy's pairwise sums and the browser's running sums may differ in the last bits.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

CASES_FILE = Path(__file__).parent / "explorer_cases.json"
WRITE = os.environ.get("RW_WRITE_EXPLORER_CASES") == "1"


def _stat(v: float) -> float | None:
    return None if not np.isfinite(v) else float(f"{v:.12g}")


def _exact(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def bins_of(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each value's bin as numpy.histogram counts it (-1: NaN or outside), the last bin closed."""
    k = np.searchsorted(edges, x, side="right") - 1
    k[x == edges[-1]] = len(edges) - 2
    k[~((x >= edges[0]) & (x <= edges[-1]))] = -1
    return k


def box(values: np.ndarray) -> dict:
    v = values[~np.isnan(values)]
    if v.size == 0:
        return dict.fromkeys(("n", "min", "q1", "median", "q3", "max", "whisker_low", "whisker_high", "mean")) | {
            "n": 0
        }
    q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    reach = 1.5 * (q3 - q1)
    return {
        "n": int(v.size),
        "min": _stat(v.min()),
        "q1": _stat(q1),
        "median": _stat(median),
        "q3": _stat(q3),
        "max": _stat(v.max()),
        "whisker_low": _stat(v[v >= q1 - reach].min()),
        "whisker_high": _stat(v[v <= q3 + reach].max()),
        "mean": _stat(v.mean()),
    }


def summary(x: np.ndarray, y: np.ndarray, bins: int | None, levels: int | None) -> dict:
    if levels is not None:
        ok = ~np.isnan(x) & (x >= 0) & (x < levels)
        k = np.where(ok, np.nan_to_num(x, nan=-1), -1).astype(int)
        counts = np.bincount(k[ok], minlength=levels)
        edges = None
        nbins = levels
    else:
        finite = x[np.isfinite(x)]
        edges = np.histogram_bin_edges(finite, bins=bins)
        counts, same_edges = np.histogram(finite, bins=bins)
        assert np.array_equal(edges, same_edges)
        k = bins_of(x, edges)
        assert np.array_equal(np.bincount(k[k >= 0], minlength=bins), counts), "bins_of disagrees with np.histogram"
        nbins = bins
    means = []
    boxes = []
    for b in range(nbins):
        yb = y[k == b]
        yf = yb[~np.isnan(yb)]
        means.append(_stat(yf.mean()) if yf.size else None)
        boxes.append(box(yb))
    return {
        "edges": None if edges is None else [float(e) for e in edges],
        "bin": [int(v) for v in k],
        "counts": [int(c) for c in counts],
        "means": means,
        "boxes": boxes,
    }


def _cases() -> list[dict]:
    rng = np.random.default_rng(15)
    nan = np.nan
    spread = rng.normal(10, 3, 300)
    spread[::37] = nan
    outliers = np.concatenate([rng.normal(0, 1, 200), [8.0, -9.0, 12.5]])
    raw = [
        # NaN in x (no bin) and in y (left out of the mean and the box)
        (
            "floats with NaN",
            spread,
            np.where(np.arange(300) % 11 == 0, nan, spread * 0.5 + rng.normal(0, 1, 300)),
            7,
            None,
        ),
        # a constant column: numpy's edges span [v - 0.5, v + 0.5] and every value sits in the middle bin's left edge
        ("constant column", np.full(12, 3.0), np.arange(12.0), 4, None),
        # whole numbers, some exactly on the edges 0, 3, 6, 9 (the last edge is in the last bin)
        ("integers at the edges", np.tile(np.arange(10.0), 3), np.tile(np.arange(10.0) ** 2, 3), 3, None),
        # 0.1 steps: 0.3, 0.6 and 0.7 fall on either side of edges that float64 cannot hold exactly
        ("tenths", np.round(np.arange(11) * 0.1, 10), np.arange(11.0), 10, None),
        # float32 values as the wire holds them
        (
            "float32 values",
            rng.normal(0, 1, 500).astype(np.float32).astype(np.float64),
            rng.gamma(2.0, 1.0, 500),
            20,
            None,
        ),
        # outliers outside the whiskers; a bin with one value; empty bins
        ("outliers and empty bins", outliers, np.concatenate([rng.normal(0, 1, 200), [40.0, -35.0, 3.0]]), 30, None),
        # y missing in a whole bin: its mean and box are empty, its count is not
        (
            "a bin with no y",
            np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0, nan]),
            np.array([1.0, 2.0, nan, nan, 5.0, 7.0, 9.0]),
            3,
            None,
        ),
        # one value only
        ("one value", np.array([5.5]), np.array([1.25]), 5, None),
        # a category axis: codes, -1 (missing, no bin) and a level no row has
        ("category levels", np.array([0, 1, 1, 3, -1, 0, 3, 3, 1, 0], dtype=float), np.arange(10.0) * 1.5, None, 4),
        # a boolean axis: two levels, missing as NaN
        ("boolean levels", np.array([0, 1, 1, nan, 0, 1]), np.array([0.1, 0.9, 0.8, 0.5, 0.2, nan]), None, 2),
    ]
    out = []
    for name, x, y, bins, levels in raw:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        out.append(
            {
                "name": name,
                "x": [_exact(v) for v in x],
                "y": [_exact(v) for v in y],
                "bins": bins,
                "levels": levels,
                **summary(x, y, bins, levels),
            }
        )
    return out


def _text() -> str:
    return json.dumps({"cases": _cases()}, indent=1, allow_nan=False) + "\n"


def test_explorer_cases_are_what_numpy_computes():
    text = _text()
    if WRITE:
        CASES_FILE.write_text(text, encoding="utf-8")
    assert CASES_FILE.exists(), f"{CASES_FILE} is missing: RW_WRITE_EXPLORER_CASES=1 python -m pytest {__file__}"
    assert CASES_FILE.read_text(encoding="utf-8") == text, (
        f"{CASES_FILE.name} differs from what numpy computes now. If the change is meant, rewrite it "
        f"(RW_WRITE_EXPLORER_CASES=1 python -m pytest {Path(__file__).name}), check that vitest still passes "
        "and commit it."
    )


def test_the_cases_cover_the_edge_cases():
    cases = {c["name"]: c for c in _cases()}
    constant = cases["constant column"]
    assert constant["edges"] == [2.5, 2.75, 3.0, 3.25, 3.5]
    assert set(constant["bin"]) == {2}
    edges = cases["integers at the edges"]
    assert edges["edges"] == [0.0, 3.0, 6.0, 9.0]
    x, k = cases["integers at the edges"]["x"], cases["integers at the edges"]["bin"]
    assert {xv: kv for xv, kv in zip(x, k, strict=True)}[3.0] == 1, (
        "a value on an inner edge is in the bin to its right"
    )
    assert {xv: kv for xv, kv in zip(x, k, strict=True)}[9.0] == 2, "the last edge is in the last bin"
    assert None in cases["floats with NaN"]["x"] and -1 in cases["floats with NaN"]["bin"]
    no_y = cases["a bin with no y"]
    assert no_y["counts"][1] == 2 and no_y["means"][1] is None and no_y["boxes"][1]["n"] == 0
    assert 0 in cases["category levels"]["counts"]
