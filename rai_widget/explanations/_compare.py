"""Cohort differences of global importance, with bootstrap intervals the browser reproduces exactly.

`compare(exp, a, b, output, ci, n_boot, random_state)` is `TabularExplanation.compare`; `importance_intervals`
is the interval of one cohort's mean |value| that the importance chart's whiskers show. The view computes both
(js/tabular/compare.ts, on the mulberry32 of js/tabular/metrics/prng.ts); tests/compare_cases.json, written from
this module, holds the shared vectors both sides are checked against.

The figures: per row of a cohort (its rows in increasing row order) and feature, the row's |value| for the
output (None: the mean of |value| over the outputs; "predicted": toward the row's predicted class; else that
output), exactly as `global_importance` takes them. A cohort's importance is their mean over its rows; the
difference is importance(a) - importance(b).

The bootstrap draws with the metrics' generator (`_metrics.mulberry32`, counter based, seeded with
random_state) and resamples each cohort's rows independently, in one stream:
- cohort a (n_a rows): resample r (0 .. n_boot-1), draw j (0 .. n_a-1) takes a's row floor(u * n_a / 2**32),
  u being output number r*n_a + j: the draws of `_metrics.resample_rows`, so a's intervals alone are the
  importance chart's whiskers for a;
- cohort b (n_b rows): resample r, draw j takes b's row floor(u * n_b / 2**32), u being output number
  n_boot*n_a + r*n_b + j: b's draws follow all of a's.
Resample r's difference is a's resample r minus b's resample r; the interval is the (1-ci)/2 and (1+ci)/2
quantiles (numpy.quantile, linear) of the n_boot differences, per feature, and `excludes_zero` says whether
0 lies outside it (ci_low > 0 or ci_high < 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rai_widget._checks import check_progress, shown
from rai_widget.explanations._metrics import CELLS_PER_CHUNK, _check_settings, mulberry32

# A progress bar by default from this many row draws (resamples x rows) on: about a second of work.
PROGRESS_MIN_DRAWS = 20_000_000
COLUMNS = ["mean_abs_a", "mean_abs_b", "difference", "ci_low", "ci_high", "excludes_zero"]


def magnitudes(exp, mask: np.ndarray, output) -> tuple[np.ndarray, str]:
    """(rows, f) float64: |value| per row of the mask (in row order) and feature for `output`, and what it is."""
    rows = np.flatnonzero(mask)
    if output is None:
        # a binary explanation's two outputs have the same |value|
        out = np.abs(exp.output_values(1, rows)) if exp.mirrored else np.abs(exp.values[rows]).mean(axis=2)
        return out.astype(np.float64, copy=False), "mean |value|, averaged over outputs"
    if isinstance(output, str) and output == "predicted" and "predicted" not in exp.output_names:
        if exp.mirrored:
            picked = exp.output_values(1, rows)
        else:
            picked = exp.values[rows, :, exp.predicted_index()[rows]]  # (rows, f): advanced indices first
        return np.abs(picked).astype(np.float64, copy=False), "mean |value| for the predicted class"
    k = exp.output_index(output)
    return np.abs(exp.output_values(k, rows)).astype(np.float64, copy=False), f"mean |value| for {exp.output_names[k]}"


def _rows(u: np.ndarray, n: int) -> np.ndarray:
    """floor(u * n / 2**32), exactly (as _metrics.resample_rows and js/tabular/metrics/prng.ts drawRow)."""
    if n <= 2**21:  # u * n < 2**53: exact in float64
        return (u * (n / 2**32)).astype(np.int64)
    return ((u.astype(np.uint64) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)


def resampled_means(values: np.ndarray, n_boot: int, seed: int, offset: int, bar=None) -> np.ndarray:
    """(n_boot, f): the mean of `values` (rows, f) over each resample of its rows, resample r drawing outputs
    offset + r*rows .. offset + (r+1)*rows - 1 of the seed's stream. In chunks of about CELLS_PER_CHUNK
    draws: the counts per row (float64) times `values`, one matrix product per chunk."""
    n, f = values.shape
    out = np.empty((n_boot, f))
    per_chunk = max(1, CELLS_PER_CHUNK // max(n, 1))
    for first in range(0, n_boot, per_chunk):
        count = min(per_chunk, n_boot - first)
        rows = _rows(mulberry32(seed, offset + first * n, count * n), n)
        rows += np.repeat(np.arange(count, dtype=np.int64) * n, n)
        counts = np.bincount(rows, minlength=count * n).reshape(count, n).astype(np.float64)
        out[first : first + count] = (counts @ values) / n
        if bar is not None:
            bar.update(count * n)
    return out


def _cohort_rows(exp, cohort, which: str) -> tuple[np.ndarray, str]:
    """The cohort's mask and name (its own, else `which`); a cohort without rows is an error."""
    mask = exp.cohort_mask(cohort)
    name = getattr(cohort, "name", None)
    if name is None and isinstance(cohort, dict):
        name = cohort.get("name")
    if cohort is None:
        name = "All data"
    name = which if name is None else str(name)
    if not mask.any():
        what = f"cohort {which}".strip() if name == which else f"cohort {which} ({shown(name)})".replace("  ", " ")
        raise ValueError(
            f"{what} has no rows: its importance needs at least one row. Check its filters "
            "(exp.cohort_mask(cohort).sum() counts its rows)."
        )
    return mask, name


def _bar(draws: int, progress, desc: str):
    show = draws >= PROGRESS_MIN_DRAWS if progress is None else progress
    return tqdm(total=draws, disable=not show, unit="draw", unit_scale=True, desc=desc)


def compare(
    exp, a, b, output=None, ci: float = 0.95, n_boot: int = 1000, random_state: int = 0, progress=None
) -> pd.DataFrame:
    """See TabularExplanation.compare."""
    _check_settings(ci, n_boot, random_state)
    progress = check_progress(progress)
    mask_a, name_a = _cohort_rows(exp, a, "a")
    mask_b, name_b = _cohort_rows(exp, b, "b")
    values_a, label = magnitudes(exp, mask_a, output)
    values_b, _ = magnitudes(exp, mask_b, output)
    n_a, n_b = len(values_a), len(values_b)
    mean_a, mean_b = values_a.mean(axis=0), values_b.mean(axis=0)
    difference = mean_a - mean_b
    f = len(exp.feature_names)
    low, high = np.full(f, np.nan), np.full(f, np.nan)
    n_boot, seed = int(n_boot), int(random_state)
    if n_boot:
        with _bar(n_boot * (n_a + n_b), progress, "Bootstrapping the difference") as bar:
            boot = resampled_means(values_a, n_boot, seed, 0, bar)
            boot -= resampled_means(values_b, n_boot, seed, n_boot * n_a, bar)
        low, high = np.quantile(boot, [(1 - float(ci)) / 2, (1 + float(ci)) / 2], axis=0)
    df = pd.DataFrame(
        {
            "mean_abs_a": mean_a,
            "mean_abs_b": mean_b,
            "difference": difference,
            "ci_low": low,
            "ci_high": high,
            "excludes_zero": (low > 0) | (high < 0),
        },
        index=pd.Index(exp.feature_names, name="feature"),
    )
    df = df.iloc[np.argsort(-np.abs(difference), kind="stable")]
    df.attrs = {
        "a": name_a,
        "b": name_b,
        "rows_a": n_a,
        "rows_b": n_b,
        "output": f"{label} ({exp.units})",
        "ci": float(ci),
        "n_boot": n_boot,
        "random_state": seed,
    }
    return df


def importance_intervals(
    exp, cohort=None, output=None, ci: float = 0.95, n_boot: int = 1000, random_state: int = 0
) -> pd.DataFrame:
    """One cohort's mean |value| per feature (in feature order) with its bootstrap interval: the whiskers the
    importance chart draws on its bars. The resamples are cohort a's of `compare` (outputs r*n + j)."""
    _check_settings(ci, n_boot, random_state)
    mask, name = _cohort_rows(exp, cohort, "")
    values, label = magnitudes(exp, mask, output)
    f = len(exp.feature_names)
    low, high = np.full(f, np.nan), np.full(f, np.nan)
    if n_boot:
        boot = resampled_means(values, int(n_boot), int(random_state), 0)
        low, high = np.quantile(boot, [(1 - float(ci)) / 2, (1 + float(ci)) / 2], axis=0)
    df = pd.DataFrame(
        {"mean_abs": values.mean(axis=0), "ci_low": low, "ci_high": high},
        index=pd.Index(exp.feature_names, name="feature"),
    )
    df.attrs = {"cohort": name, "rows": len(values), "output": f"{label} ({exp.units})", "ci": float(ci)}
    df.attrs |= {"n_boot": int(n_boot), "random_state": int(random_state)}
    return df
