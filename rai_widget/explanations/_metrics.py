"""Model performance on a cohort's rows, with bootstrap intervals the browser reproduces exactly.

`metrics(exp, cohort, ci, n_boot, random_state)` is `TabularExplanation.metrics`. The view computes the
same figures per cohort (js/tabular/metrics/compute.ts, prng.ts); tests/metrics_cases.json, written from
this module, holds the shared vectors both sides are checked against.

How the figures are defined (the point value is the resample formula with every row counted once, and
equals scikit-learn's on the same rows):
- Classification, from the confusion matrix C[true, predicted]: `accuracy`; per class `precision: c`,
  `recall: c`, `F1: c` (0 when the denominator is 0, sklearn's zero_division=0); their `(macro)` mean over
  the classes present in y_true or y_pred of the rows (sklearn's average="macro"); `ROC AUC` (binary: of the
  second class's probability) or `ROC AUC: c` one-vs-rest and `ROC AUC (macro)`, their mean over the
  classes where it is defined; `log loss` (probabilities clipped to [eps, 1 - eps], as sklearn does).
- Regression, on rows whose y_true is not NaN: `MAE`, `RMSE`, `R²`, `mean error` (mean of y_pred - y_true).
- NaN where a figure is undefined, with the reason in `df.attrs["notes"][metric]`: no rows; ROC AUC of a class
  that every row or no row has; R² on fewer than 2 rows or a constant y_true (sklearn then gives 1, 0 or
  rounding noise).

The bootstrap: resample b (0 .. n_boot-1), draw j (0 .. n-1) takes row floor(u * n / 2**32), u being output
number b*n + j of mulberry32 seeded with random_state. mulberry32 is counter based (its state after i+1 steps
is seed + (i+1) * 0x6D2B79F5 mod 2**32), so any output is computed directly, here in numpy uint32 arithmetic.
A resample is a vector of counts per row, and every figure is computed with the counts as weights: the
confusion matrix, the weighted sums, and ROC AUC as a weighted Mann-Whitney statistic over the rows sorted
once by score (ties count half), in integers. The interval is the (1-ci)/2 and (1+ci)/2 quantiles
(numpy.quantile, linear) of the resample values that are finite.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from rai_widget._checks import shown

MULBERRY_INCREMENT = 0x6D2B79F5
# Rows x resamples per chunk: bounds every temporary (counts as int64, sorted copies) to about 16 MB.
CELLS_PER_CHUNK = 1 << 21
# Confusion matrices of at most this many cells (k x k) are one matrix product; more, a sort and reduceat.
MATMUL_CELLS = 64
EPS = float(np.finfo(np.float64).eps)  # log loss clips probabilities to [EPS, 1 - EPS], as sklearn (float64) does
# y_true counts as constant for R² when its spread is within this share of its largest |value|.
R2_CONSTANT_TOLERANCE = 1e-9
COLUMNS = ["metric", "value", "ci_low", "ci_high", "n"]


# --- the random stream --------------------------------------------------------------------------
def mulberry32(seed: int, start: int, count: int) -> np.ndarray:
    """Outputs start .. start+count-1 of mulberry32 seeded with `seed` (a uint32), as uint32."""
    if start + count < 2**32:
        t = np.arange(start + 1, start + count + 1, dtype=np.uint32)
    else:  # the counter wraps mod 2**32, as Math.imul's operands do
        t = (np.arange(start + 1, start + count + 1, dtype=np.uint64) & 0xFFFFFFFF).astype(np.uint32)
    t *= np.uint32(MULBERRY_INCREMENT)  # uint32 arithmetic wraps mod 2**32; in place: no extra temporaries
    t += np.uint32(seed)
    a = t >> np.uint32(15)
    a ^= t
    t |= np.uint32(1)
    a *= t
    t = a
    b = t >> np.uint32(7)
    b ^= t
    c = t | np.uint32(61)
    b *= c
    b += t
    t ^= b
    t ^= t >> np.uint32(14)
    return t


def resample_rows(seed: int, n: int, first: int, count: int) -> np.ndarray:
    """(count, n) int64: the rows resamples first .. first+count-1 draw, in draw order."""
    u = mulberry32(seed, first * n, count * n)
    if n <= 2**21:  # u * n < 2**53: exact in float64, and scaling by 2**-32 is exact too
        rows = (u * (n / 2**32)).astype(np.int64)
    else:
        rows = ((u.astype(np.uint64) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)
    return rows.reshape(count, n)


def resample_counts(seed: int, n: int, first: int, count: int) -> np.ndarray:
    """(count, n) int64: how many times each row is drawn in resamples first .. first+count-1."""
    rows = resample_rows(seed, n, first, count)
    rows += (np.arange(count, dtype=np.int64) * n)[:, None]
    return np.bincount(rows.ravel(), minlength=count * n).reshape(count, n)


# --- the figures, from counts per row ----------------------------------------------------------
class _Classification:
    """What the figures of a classification need, prepared once for the rows: class indices, the
    confusion-matrix cell of each row, per-row log loss, and per class the rows sorted by score."""

    def __init__(self, classes: list[str], y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray):
        self.classes = classes
        self.k = k = len(classes)
        self.n = n = len(y_true)
        cells = y_true * k + y_pred
        self.cell_order = np.argsort(cells, kind="stable")
        sorted_cells = cells[self.cell_order]
        self.cell_starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]]) if n else np.zeros(0, int)
        self.cell_ids = sorted_cells[self.cell_starts]
        if k * k <= MATMUL_CELLS:
            self.cell_onehot = np.zeros((n, k * k))
            self.cell_onehot[np.arange(n), cells] = 1.0
        p_true = proba[np.arange(n), y_true] if n else np.zeros(0)
        self.log_loss = -np.log(np.clip(p_true, EPS, 1 - EPS))
        self.auc_classes = [1] if k == 2 else list(range(k))
        # per class: the negative rows by score, the positive rows, and for each positive how many negatives
        # score below it (lo) and at most as high (hi): ties count half
        self.auc_rows = []
        for c in self.auc_classes:
            positive = y_true == c
            neg = np.flatnonzero(~positive)
            neg = neg[np.argsort(proba[neg, c], kind="stable")]
            pos = np.flatnonzero(positive)
            neg_scores = proba[neg, c]
            lo = np.searchsorted(neg_scores, proba[pos, c], side="left")
            hi = np.searchsorted(neg_scores, proba[pos, c], side="right")
            self.auc_rows.append((neg, pos, lo, None if np.array_equal(lo, hi) else hi))

    def names(self) -> list[str]:
        names = ["accuracy", "precision (macro)", "recall (macro)", "F1 (macro)"]
        names += ["ROC AUC"] if self.k == 2 else ["ROC AUC (macro)"]
        names += ["log loss"]
        for metric in ("precision", "recall", "F1"):
            names += [f"{metric}: {c}" for c in self.classes]
        if self.k > 2:
            names += [f"ROC AUC: {c}" for c in self.classes]
        return names

    def confusion(self, counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """(m, k, k) int64 weighted confusion matrices, C[true, predicted]. `weights`: counts as float64, when
        the caller has them (few classes: one BLAS product, exact since every sum is a whole number < 2**53)."""
        m, k = len(counts), self.k
        if k * k <= MATMUL_CELLS:
            w = counts.astype(np.float64) if weights is None else weights
            return np.rint(w @ self.cell_onehot).astype(np.int64).reshape(m, k, k)
        out = np.zeros((m, k * k), dtype=np.int64)
        if len(self.cell_starts):
            out[:, self.cell_ids] = np.add.reduceat(counts[:, self.cell_order], self.cell_starts, axis=1)
        return out.reshape(m, k, k)

    def auc(self, counts: np.ndarray) -> np.ndarray:
        """(m, len(auc_classes)) ROC AUC one-vs-rest: the weighted share of (positive, negative) pairs
        ordered right, ties counting half; NaN without both a positive and a negative weight. In integers."""
        m = len(counts)
        out = np.empty((m, len(self.auc_rows)))
        for a, (neg, pos, lo, hi) in enumerate(self.auc_rows):
            below = np.zeros((m, len(neg) + 1), dtype=np.int64)  # below[:, i]: weight of the i lowest negatives
            np.cumsum(counts[:, neg], axis=1, out=below[:, 1:])
            w = counts[:, pos]
            # twice the statistic: each positive counts the negatives below it twice, the tied ones once
            twice = (
                2 * np.einsum("ij,ij->i", w, below[:, lo])
                if hi is None
                else np.einsum("ij,ij->i", w, below[:, lo] + below[:, hi])
            )
            pairs = w.sum(axis=1) * below[:, -1]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, a] = np.where(pairs > 0, twice / (2.0 * np.maximum(pairs, 1)), np.nan)
        return out

    def figures(self, counts: np.ndarray) -> np.ndarray:
        """(m, metrics) in the order of names(), for m resamples given as counts per row (m, n)."""
        m, k = len(counts), self.k
        weights = counts.astype(np.float64)
        cm = self.confusion(counts, weights)
        total = cm.sum(axis=(1, 2))
        tp = np.diagonal(cm, axis1=1, axis2=2)
        true_c = cm.sum(axis=2)
        pred_c = cm.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.where(total > 0, tp.sum(axis=1) / np.maximum(total, 1), np.nan)
            precision = np.where(pred_c > 0, tp / np.maximum(pred_c, 1), 0.0)
            recall = np.where(true_c > 0, tp / np.maximum(true_c, 1), 0.0)
            f1 = np.where(true_c + pred_c > 0, 2 * tp / np.maximum(true_c + pred_c, 1), 0.0)
            present = (true_c + pred_c) > 0
            count = present.sum(axis=1)

            def macro(v):
                return np.where(count > 0, (v * present).sum(axis=1) / np.maximum(count, 1), np.nan)

            auc = self.auc(counts)
            defined = np.isfinite(auc)
            auc_macro = np.where(
                defined.any(axis=1), np.where(defined, auc, 0).sum(axis=1) / np.maximum(defined.sum(axis=1), 1), np.nan
            )
            log_loss = np.where(total > 0, (weights @ self.log_loss) / np.maximum(total, 1), np.nan)
        cols = [accuracy, macro(precision), macro(recall), macro(f1), auc[:, 0] if k == 2 else auc_macro, log_loss]
        cols += [precision[:, c] for c in range(k)] + [recall[:, c] for c in range(k)] + [f1[:, c] for c in range(k)]
        if k > 2:
            cols += [auc[:, c] for c in range(k)]
        out = np.column_stack(cols) if m else np.zeros((0, len(cols)))
        no_rows = total == 0
        out[no_rows] = np.nan
        return out

    def notes(self, value: np.ndarray) -> dict[str, str]:
        notes = {}
        names = self.names()
        if len(self.log_loss) == 0:
            return {name: "no rows" for name in names}
        for a, c in enumerate(self.auc_classes):
            neg, pos = self.auc_rows[a][0], self.auc_rows[a][1]
            if not len(neg) or not len(pos):
                why = "every row" if not len(neg) else "no row"
                name = "ROC AUC" if self.k == 2 else f"ROC AUC: {self.classes[c]}"
                notes[name] = f"undefined: {why} of these has true class {self.classes[c]}"
        if self.k > 2:
            left = [self.classes[c] for c in self.auc_classes if f"ROC AUC: {self.classes[c]}" in notes]
            if left and len(left) < self.k:
                notes["ROC AUC (macro)"] = f"mean over the classes where it is defined; left out: {', '.join(left)}"
            elif left:
                notes["ROC AUC (macro)"] = "undefined for every class"
        return notes


class _Regression:
    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray):
        self.n = n = len(y_true)
        error = y_pred - y_true
        centre = float(y_true.mean()) if n else 0.0  # shift for the sums of R²'s denominator: less cancellation
        yc = y_true - centre
        self.terms = np.column_stack([np.abs(error), error * error, error, yc, yc * yc]) if n else np.zeros((0, 5))
        scale = float(np.abs(y_true).max()) if n else 0.0
        self.negligible = (R2_CONSTANT_TOLERANCE * scale) ** 2

    @staticmethod
    def names() -> list[str]:
        return ["MAE", "RMSE", "R²", "mean error"]

    def figures(self, counts: np.ndarray) -> np.ndarray:
        sums = counts.astype(np.float64) @ self.terms  # (m, 5), by BLAS
        total = counts.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mae, mse, me = sums[:, 0] / total, sums[:, 1] / total, sums[:, 2] / total
            ss_tot = sums[:, 4] - sums[:, 3] * sums[:, 3] / total
            r2 = np.where((total >= 2) & (ss_tot > total * self.negligible), 1 - sums[:, 1] / ss_tot, np.nan)
        out = np.column_stack([mae, np.sqrt(mse), r2, me])
        out[total == 0] = np.nan
        return out

    def notes(self, value: np.ndarray) -> dict[str, str]:
        if self.n == 0:
            return {name: "no rows" for name in self.names()}
        if self.n < 2:
            return {"R²": "undefined on fewer than 2 rows"}
        if not np.isfinite(value[2]):
            return {"R²": "undefined: y_true is constant on these rows"}
        return {}


# --- the entry point ----------------------------------------------------------------------------
def _check_settings(ci, n_boot, random_state) -> None:
    if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < float(ci) < 1:
        raise ValueError(f"ci is the interval's level, a number between 0 and 1 (e.g. 0.95); got {shown(ci)}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 0:
        raise ValueError(
            f"n_boot is the number of bootstrap resamples, a whole number >= 1 (0: no intervals); got {shown(n_boot)}."
        )
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            f"random_state seeds the bootstrap: a whole number from 0 to 2**32 - 1; got {shown(random_state)}."
        )
    if not 0 <= int(random_state) < 2**32:
        raise ValueError(
            f"random_state must be from 0 to 2**32 - 1 (it seeds a 32-bit generator); got {shown(random_state)}."
        )


def prepared(exp, mask: np.ndarray):
    """The figures' inputs on the cohort's rows (regression: those with a y_true), and the rows left out."""
    from rai_widget.explanations.tabular import label_index

    if exp.y_true is None:
        raise ValueError(
            "metrics compare predictions with the true labels, which this explanation does not have: pass "
            "y_true= to explain() (explainer.explain(X, y_true=y))."
        )
    if exp.task == "regression":
        y_true = np.asarray(exp.y_true, dtype=np.float64)[mask]
        known = ~np.isnan(y_true)
        y_pred = np.asarray(exp.y_pred, dtype=np.float64)[mask]
        return _Regression(y_true[known], y_pred[known]), int((~known).sum())
    names = [str(c) for c in exp.output_names]
    y_true = label_index(exp.y_true, exp.output_names)[mask]
    y_pred = label_index(exp.y_pred, exp.output_names)[mask]
    proba = np.asarray(exp.probabilities, dtype=np.float64)[mask]
    return _Classification(names, y_true, y_pred, proba), 0


def bootstrap(task, n: int, n_boot: int, random_state: int) -> np.ndarray:
    """(n_boot, metrics): each figure on each resample, in chunks of at most CELLS_PER_CHUNK row counts."""
    per_chunk = max(1, CELLS_PER_CHUNK // max(n, 1))
    parts = []
    for first in range(0, n_boot, per_chunk):
        count = min(per_chunk, n_boot - first)
        parts.append(task.figures(resample_counts(random_state, n, first, count)))
    return np.concatenate(parts) if parts else np.zeros((0, len(task.names())))


def metrics(exp, cohort=None, ci: float = 0.95, n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """See TabularExplanation.metrics."""
    _check_settings(ci, n_boot, random_state)
    mask = exp.cohort_mask(cohort)
    task, left_out = prepared(exp, mask)
    n = task.n
    names = task.names()
    value = task.figures(np.ones((1, n), dtype=np.int64))[0]
    low = np.full(len(names), np.nan)
    high = np.full(len(names), np.nan)
    notes = task.notes(value)
    if n_boot and n:
        resampled = bootstrap(task, n, int(n_boot), int(random_state))
        q = [(1 - float(ci)) / 2, (1 + float(ci)) / 2]
        for m, name in enumerate(names):
            finite = resampled[:, m][np.isfinite(resampled[:, m])]
            if len(finite):
                low[m], high[m] = np.quantile(finite, q)
            if 0 < len(finite) < n_boot and np.isfinite(value[m]):
                notes.setdefault(name, f"interval from the {len(finite)} of {n_boot} resamples where it is defined")
    df = pd.DataFrame({"metric": names, "value": value, "ci_low": low, "ci_high": high, "n": n})
    df.attrs = {
        "ci": float(ci),
        "n_boot": int(n_boot),
        "random_state": int(random_state),
        "rows": int(mask.sum()),
        "left_out": left_out,
        "notes": notes,
    }
    return df
