"""Shared vectors of the distribution of local importances: tests/distribution_cases.json, from numpy and scipy.

The browser's statistics (js/core/quantiles.ts: numpy.quantile and a Tukey box; js/tabular/distribution/stats.ts:
scipy's gaussian_kde with Scott's bandwidth on a fixed grid, shap's beeswarm layering and colour range) are
checked against this file by tests/js/quantiles.test.ts and tests/js/distributionStats.test.ts. The test fails
when the committed file differs from what numpy / scipy compute now;
`RW_WRITE_DISTRIBUTION_CASES=1 python -m pytest tests/test_distribution_cases.py` rewrites it (commit it).

Numbers are written in full (repr) precision; NaN and infinities, which JSON lacks, as the strings "NaN",
"Infinity" and "-Infinity". A density scipy cannot make (fewer than two values, or no spread: a singular
covariance) is null, and the browser draws a line at the value instead.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

PATH = Path(__file__).parent / "distribution_cases.json"
WRITE = os.environ.get("RW_WRITE_DISTRIBUTION_CASES") == "1"
KDE_GRID = 64  # js/tabular/distribution/stats.ts KDE_GRID
QUANTILES = [0.0, 0.25, 0.5, 0.75, 1.0, 0.05, 0.95, 0.1, 1 / 3, 2 / 3, 0.999, 1e-9, 1 - 1e-12, 0.01, 0.99]


def _skewed() -> list[float]:
    # log-normal, rounded to 4 significant digits: a long right tail and some ties
    rng = np.random.default_rng(15)
    return [float(f"{v:.4g}") for v in rng.lognormal(0.0, 1.0, 3000) - 1.0]


def _samples() -> dict[str, list[float]]:
    return {
        "nan": [0.5, math.nan, -1.25, 2.0, math.nan, 0.75],
        "all nan": [math.nan, math.nan],
        "empty": [],
        "constant": [0.3] * 7,
        "one value": [-2.5],
        "two values": [1.0, 4.0],
        "ties": [0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 5.0],
        "outliers": [-30.0, -1.0, -0.5, 0.0, 0.1, 0.2, 0.4, 0.5, 0.9, 1.0, 25.0, 40.0],
        # numpy's interpolation edge cases: n = 3 puts q = 0.25 at t = 0.5 exactly and n = 2 puts q = 0.75 at
        # t = 0.75, where numpy interpolates from the upper value; for these pairs the two forms of the lerp differ
        "half step": [0.008972988942744878, 423.33542196151836, 500.0],
        "upper lerp": [0.0009233143873275736, 54122685554.74435],
        "magnitudes": [-1e300, 1e-300, 7.0, 1e300],
        "infinite": [-math.inf, 1.0, 2.0, math.inf],
        "float32": [float(np.float32(v)) for v in (0.1, -0.2, 0.30000001, 1 / 3, -7.5e-8, 12.5)],
        "skewed": _skewed(),
    }


def _num(v: float) -> float | str:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _nums(a) -> list:
    return [_num(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def box(values: np.ndarray) -> dict:
    """A Tukey box: numpy's linear quartiles, whiskers at the furthest values within 1.5 IQR of them."""
    x = values[~np.isnan(values)]
    if not x.size:
        return {k: "NaN" for k in ("min", "q1", "median", "q3", "max", "whiskerLow", "whiskerHigh", "mean")} | {"n": 0}
    with np.errstate(invalid="ignore"):  # the infinite case: inf - inf
        q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        reach = 1.5 * (q3 - q1)
        inside_low = x[x >= q1 - reach]
        inside_high = x[x <= q3 + reach]
        mean = float(np.mean(x))
    return {
        "n": int(x.size),
        "min": _num(x.min()),
        "q1": _num(q1),
        "median": _num(median),
        "q3": _num(q3),
        "max": _num(x.max()),
        "whiskerLow": _num(inside_low.min()) if inside_low.size else "NaN",
        "whiskerHigh": _num(inside_high.max()) if inside_high.size else "NaN",
        "mean": _num(mean),
    }


def density(values: np.ndarray) -> dict | None:
    """scipy.stats.gaussian_kde (Scott's rule) on numpy.linspace(min, max, KDE_GRID); None when scipy cannot."""
    x = values[~np.isnan(values)]
    if x.size < 2 or not np.all(np.isfinite(x)) or x.min() == x.max():
        # every value the same: scipy raises on the singular covariance, or (when rounding leaves a variance
        # of 1e-33) returns a spike 1e-17 wide; the chart draws a line at the value instead
        return None
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            k = stats.gaussian_kde(x)
    except (np.linalg.LinAlgError, ValueError):  # singular covariance: no spread
        return None
    if not np.isfinite(k.covariance).all():  # the variance overflows (values 1e300 apart): no density either
        return None
    grid = np.linspace(x.min(), x.max(), KDE_GRID)
    return {"grid": _nums(grid), "density": _nums(k(grid)), "bandwidth": _num(math.sqrt(k.covariance[0, 0]))}


def visit_stride(n: int) -> int:
    """The stride of the beeswarm's visiting order (stats.ts visitStride)."""
    if n <= 2:
        return 1
    a = max(1, round(n * 0.6180339887498949))
    while math.gcd(a, n) != 1:
        a += 1
    return a


def swarm(values: np.ndarray, nbins: int = 100) -> dict:
    """shap's beeswarm layering (shap/plots/_beeswarm.py) with the visit order fixed instead of shuffled."""
    n = values.size
    layers = np.zeros(n, dtype=np.int64)
    bins = np.full(n, -1, dtype=np.int64)
    finite = ~np.isnan(values)
    if not finite.any():
        return {"layers": layers.tolist(), "bins": bins.tolist(), "depth": 1}
    v = values[finite]
    with np.errstate(invalid="ignore"):
        bins[finite] = np.round(nbins * (v - v.min()) / (v.max() - v.min() + 1e-8)).astype(np.int64)
    order = (np.arange(n, dtype=np.int64) * visit_stride(n)) % n
    order = order[bins[order] >= 0]
    filled: dict[int, int] = {}
    for i in order:
        layer = filled.get(int(bins[i]), 0)
        filled[int(bins[i])] = layer + 1
        layers[i] = math.ceil(layer / 2) * (1 if layer % 2 else -1)
    return {"layers": layers.tolist(), "bins": bins.tolist(), "depth": int(layers.max()) + 1}


def color_range(values: np.ndarray) -> list | None:
    """shap's beeswarm colour range: nanpercentile 5 to 95, else 1 to 99, else min to max."""
    x = values[~np.isnan(values)]
    if not x.size:
        return None
    with np.errstate(invalid="ignore"):  # the infinite case: inf - inf
        vmin, vmax = np.nanpercentile(x, 5), np.nanpercentile(x, 95)
        if vmin == vmax:
            vmin, vmax = np.nanpercentile(x, 1), np.nanpercentile(x, 99)
            if vmin == vmax:
                vmin, vmax = np.min(x), np.max(x)
    return [_num(min(vmin, vmax)), _num(vmax)]


def cases() -> dict:
    out = []
    for name, sample in _samples().items():
        x = np.asarray(sample, dtype=np.float64)
        finite = x[~np.isnan(x)]
        with np.errstate(invalid="ignore"):
            qs = np.quantile(finite, QUANTILES).tolist() if finite.size else [math.nan] * len(QUANTILES)
        entry = {
            "name": name,
            "values": _nums(x),
            "quantiles": {"q": QUANTILES, "numpy": _nums(qs)},
            "box": box(x),
            "kde": density(x),
            "colorRange": color_range(x),
        }
        if np.isfinite(finite).all():
            entry["swarm"] = swarm(x)
        out.append(entry)
    return {
        "about": "written by tests/test_distribution_cases.py from numpy and scipy; read by tests/js/quantiles.test.ts "
        "and tests/js/distributionStats.test.ts",
        "numpy": np.__version__,
        "kde_grid": KDE_GRID,
        "cases": out,
    }


def _text(data: dict) -> str:
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def _same(a, b, where="") -> list[str]:
    """Where two decoded vector files differ: floats to 1e-13 relative (scipy may move last bits), the rest exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in _same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _same(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-300) else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} != {b!r}"]


def test_vectors_are_what_numpy_and_scipy_compute():
    data = cases()
    if WRITE:
        PATH.write_text(_text(data), encoding="utf-8")
    assert PATH.exists(), f"{PATH} is missing: RW_WRITE_DISTRIBUTION_CASES=1 python -m pytest {__file__}"
    committed = json.loads(PATH.read_text(encoding="utf-8"))
    committed.pop("numpy", None)
    data.pop("numpy")
    diffs = _same(committed, json.loads(_text(data)))
    assert not diffs, (
        f"{PATH.name} differs from what numpy {np.__version__} / scipy compute now (first: {diffs[:5]}). If the change "
        f"is meant, rewrite it (RW_WRITE_DISTRIBUTION_CASES=1 python -m pytest {Path(__file__).name}), check that "
        "vitest still passes and commit it."
    )


def test_the_cases_cover_what_the_charts_must_handle():
    by_name = {c["name"]: c for c in cases()["cases"]}
    assert by_name["constant"]["kde"] is None and by_name["one value"]["kde"] is None  # what the chart draws as a line
    assert by_name["two values"]["kde"] is not None
    assert by_name["empty"]["box"]["n"] == 0 and by_name["nan"]["box"]["n"] == 4
    for name, q in [("half step", 0.25), ("upper lerp", 0.75)]:
        a, b = by_name[name]["values"][:2]
        t = (len(by_name[name]["values"]) - 1) * q
        from_upper = np.quantile(by_name[name]["values"], q)
        assert from_upper == b - (b - a) * (1 - t) != a + (b - a) * t, name
    assert len(by_name["skewed"]["values"]) == 3000


@pytest.mark.parametrize("name", ["ties", "skewed", "outliers"])
def test_the_box_agrees_with_matplotlib(name):
    cbook = pytest.importorskip("matplotlib.cbook")
    x = np.asarray(_samples()[name])
    ours = box(x)
    ref = cbook.boxplot_stats(x)[0]
    for ours_key, ref_key in [
        ("q1", "q1"),
        ("median", "med"),
        ("q3", "q3"),
        ("whiskerLow", "whislo"),
        ("whiskerHigh", "whishi"),
    ]:
        assert ours[ours_key] == pytest.approx(ref[ref_key], rel=1e-12), ours_key
