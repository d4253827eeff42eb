"""Do the surrogate's attributions agree with the model's own? (MimicExplainer.check_attributions)

Fidelity of outputs does not imply fidelity of attributions: a surrogate can predict what the model
predicts for other reasons. On a sample of the explained rows, this computes the model's own SHAP values
and compares the surrogate's TreeSHAP values with them, in the explanation's units on both sides
(log-odds per class for a classifier, the output for a regression):

- the model's exact SHAP values come from `shap.TreeExplainer` on the model itself when shap reads it (a
  scikit-learn, LightGBM or XGBoost tree ensemble) *and* its values add up to the explanation's units on
  the sampled rows (checked: a random forest classifier's add up to probabilities, a multi-class booster's
  to softmax margins, so those are not comparable); otherwise from shap's permutation explainer on the
  model's outputs in the explanation's units, against BACKGROUND_ROWS rows of X_train (`train_sample`),
  with PERMUTATIONS antithetic permutations per row. A scikit-learn Pipeline is not read by TreeExplainer
  (it reads the tree model, not the steps before it): permutation.
- the figures, per output and overall (the mean over outputs; a binary classifier's class 0 mirrors
  class 1, so class 1 alone): `rank_rho`, Spearman's rank correlation of the global importances (mean
  |value| per feature); `row_rank_rho`, the mean over rows of Spearman's correlation of |values|;
  `sign_agreement`, the share of (row, feature) cells where both have the same sign, leaving out cells
  where either |value| is below SIGN_ZERO_SHARE of its side's mean |value|; `top_k_overlap`, per row the
  share of the model's TOP_K largest |values| that are among the surrogate's TOP_K (each side's top among
  its values above that same near-zero line: ties among zeros rank nothing), averaged over the rows where
  the model has any, shown as out of min(TOP_K, features). Below FLOORS a figure is poor.

Cost: TreeExplainer is milliseconds. The permutation explainer calls the model PERMUTATIONS times per
row, on (2 x features + 1) x BACKGROUND_ROWS rows each time: n x 2 x (2f + 1) x 100 model rows in all
(200 rows of 10 features: 840,000), plus shap's masker compiling (numba) once per process.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rai_widget._checks import check_int, check_progress, shown

if TYPE_CHECKING:
    from rai_widget.explainers.tabular import MimicExplainer
    from rai_widget.explanations import TabularExplanation

TOP_K = 5
BACKGROUND_ROWS = 100
# Antithetic permutations per row. One forward-and-back pass is exact for a model with interactions of up to two
# features (shap's PermutationExplainer docstring); a second averages higher orders. shap's own default is 10:
# 5x the model rows, which a slow model (the HMDA demo's pipeline: about 20 us a row) cannot afford on 200 rows.
PERMUTATIONS = 2
# A |value| below this share of its side's mean |value| (over the sample's cells of that output) is near zero:
# its sign is noise, and it leaves the sign and top-k figures.
SIGN_ZERO_SHARE = 0.05
# Below these an agreement figure is poor (the view marks its badge and says so): rank_rho, and top_k_overlap
# as a share of min(TOP_K, features), i.e. 3.5 of 5.
FLOORS = {"rank_rho": 0.8, "top_k_overlap": 0.7}
# TreeExplainer's values (plus its base) must add up to the model's output in the explanation's units to this
# share of (1 + |output|) on every sampled row whose probabilities are not clipped.
TREE_UNITS_TOLERANCE = 1e-4
# With progress=None the bar appears once the work has taken this long (tqdm's delay).
PROGRESS_DELAY = 2.0
# Rows per call of the permutation explainer: the bar moves between them.
PERMUTATION_CHUNK = 10


@dataclass
class AttributionAgreement:
    """What `MimicExplainer.check_attributions` found. `figures` (overall), `per_output` (output name ->
    figures), `features` (one row per output x feature), `poor` and `problems` (why), `method` ("tree" or
    "permutation") with `method_detail` and `reason` (why not TreeExplainer), `rows` (the rows compared,
    positions in X: `row_index`), and the two sides' values, `surrogate_values` / `exact_values` (rows x
    features x outputs compared). `to_json()` is the summary an explanation keeps (exp.attribution_agreement)."""

    method: str
    method_detail: str
    reason: str | None
    rows: int
    outputs: list
    figures: dict
    per_output: dict
    features: pd.DataFrame
    poor: bool
    problems: list[str]
    floors: dict
    top_k: int
    seconds: float
    row_index: np.ndarray = field(repr=False)
    surrogate_values: np.ndarray = field(repr=False)
    exact_values: np.ndarray = field(repr=False)
    background_rows: int | None = None
    max_evals: int | None = None
    random_state: int = 0

    def __repr__(self) -> str:
        f = self.figures
        verdict = "POOR: " + "; ".join(self.problems) if self.poor else "agree"
        return (
            f"AttributionAgreement({self.rows} rows, {self.method}: rank rho {_fmt(f['rank_rho'])}, row rank rho "
            f"{_fmt(f['row_rank_rho'])}, sign agreement {_fmt(f['sign_agreement'])}, top-{self.top_k} overlap "
            f"{_fmt(_times(f['top_k_overlap'], self.top_k))}/{self.top_k}; {verdict})"
        )

    def to_json(self) -> dict:
        """The summary as plain JSON (NaN as None): what exp.attribution_agreement holds and the view shows."""
        return {
            "method": self.method,
            "method_detail": self.method_detail,
            "reason": self.reason,
            "rows": self.rows,
            "background_rows": self.background_rows,
            "max_evals": self.max_evals,
            "random_state": self.random_state,
            "top_k": self.top_k,
            "sign_zero_share": SIGN_ZERO_SHARE,
            "outputs": [_plain(o) for o in self.outputs],
            "figures": _json_figures(self.figures),
            "per_output": {str(k): _json_figures(v) for k, v in self.per_output.items()},
            "floors": dict(self.floors),
            "poor": self.poor,
            "problems": list(self.problems),
            "features": {col: [_plain(v) for v in self.features[col].tolist()] for col in self.features.columns},
            "seconds": round(self.seconds, 3),
        }


def _fmt(v: float) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.2f}"


def _times(share: float, k: int) -> float:
    return share * k if share is not None and np.isfinite(share) else float("nan")


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _json_figures(figures: dict) -> dict:
    return {k: _plain(v) for k, v in figures.items()}


# --------------------------------------------------------------------------- the rows


def _rows(explainer: MimicExplainer, X) -> tuple[pd.DataFrame, TabularExplanation | None]:
    from rai_widget.explanations import TabularExplanation

    if X is None:
        raise TypeError(
            "check_attributions needs the rows to check (this explainer has no explanation alive to default to): "
            "pass the explanation (explainer.check_attributions(exp), which also keeps the summary on it as "
            "exp.attribution_agreement) or the rows as explain() takes them."
        )
    if isinstance(X, TabularExplanation):
        for what, mine, theirs in (
            ("features", explainer.feature_names, X.feature_names),
            ("outputs", explainer.output_names, X.output_names),
            ("task", explainer.task, X.task),
        ):
            if mine != theirs:
                raise ValueError(
                    f"this explanation was not made by this explainer: its {what} are {shown(theirs)}, the "
                    f"explainer's {shown(mine)}. Check it with the explainer that made it."
                )
        return X.data, X
    return explainer.schema.to_frame(X, "X"), None


def _model_frame(explainer: MimicExplainer, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with X_train's own column labels (a loaded explanation's data is labelled by feature name)."""
    return frame.set_axis(explainer.schema.columns, axis=1)


def _compared_outputs(explainer: MimicExplainer) -> list[int]:
    """The outputs compared: a binary classifier's class 1 (class 0 mirrors it), else every output."""
    k = len(explainer.output_names)
    return [1] if explainer.task == "classification" and k == 2 else list(range(k))


def _surrogate_values(explainer: MimicExplainer, frame: pd.DataFrame) -> np.ndarray:
    from rai_widget.explainers import _treeshap

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*category values not seen in X_train.*")  # explain() said it
        encoded = explainer.schema.encode(frame, "X")
    per_surrogate = [
        _treeshap.shap_values(booster, packed, encoded)
        for booster, packed in zip(explainer.surrogates, explainer._packed, strict=True)
    ]
    values, _ = explainer._assemble(per_surrogate, len(frame))
    return values


# --------------------------------------------------------------------------- the model's own SHAP values


def _tree_values(explainer: MimicExplainer, frame: pd.DataFrame, model_output: np.ndarray, compared: list[int]):
    """(values (n, f, len(compared)), None) from shap.TreeExplainer on the model, or (None, why not)."""
    model = explainer.model
    name = type(model).__name__
    if type(model).__module__.startswith("sklearn.pipeline"):
        return None, (
            f"the model is a scikit-learn {name}, which shap.TreeExplainer does not read (it reads a tree model "
            "itself, not the steps before it)"
        )
    if explainer._adapter.is_callable:
        return None, "the model is a function, which shap.TreeExplainer cannot read"
    import shap

    data = _model_frame(explainer, frame)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # shap's notes on its output format: the check below settles it
            tree = shap.TreeExplainer(model)
            raw = tree.shap_values(data if explainer.schema.is_frame else data.to_numpy(), check_additivity=False)
            base = np.ravel(np.asarray(tree.expected_value, dtype=np.float64))
    except Exception as err:  # shap refuses what it does not read (InvalidModelError and others)
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"shap.TreeExplainer does not read this {name} ({message})"
    values = np.asarray(raw, dtype=np.float64) if not isinstance(raw, list) else np.stack(raw, axis=-1)
    if values.ndim == 2:
        values = values[:, :, None]
    n, f = len(frame), len(explainer.feature_names)
    if values.shape[:2] != (n, f) or len(base) != values.shape[2]:
        return None, f"shap.TreeExplainer's values for {name} have shape {values.shape}, not {n} rows x {f} features"
    # which of its outputs is which of ours: one output is a regression's or a binary classifier's class 1
    columns = [0] if values.shape[2] == 1 and len(compared) == 1 else compared
    if max(columns) >= values.shape[2]:
        return None, f"shap.TreeExplainer explains {values.shape[2]} outputs of {name}, not the explanation's"
    picked = values[:, :, columns]
    sums = base[columns][None, :] + picked.sum(axis=1)
    target = model_output[:, compared]
    from rai_widget.explainers.tabular import PROBABILITY_CLIP, log_odds

    clipped_at = float(log_odds(np.array([PROBABILITY_CLIP]))[0])
    kept = np.abs(target) < abs(clipped_at) - 1e-9 if explainer.task == "classification" else np.ones_like(target, bool)
    off = np.abs(sums - target) > TREE_UNITS_TOLERANCE * (1 + np.abs(target))
    if not kept.any() or (off & kept).any():
        worst = float(np.abs(sums - target)[kept].max()) if kept.any() else float("nan")
        return None, (
            f"shap.TreeExplainer's values for {name} add up to another output than the explanation's {explainer.units} "
            f"(off by up to {worst:.3g}; e.g. a forest's probabilities, or margins of a softmax over classes)"
        )
    return picked, None


def _permutation_values(
    explainer: MimicExplainer,
    frame: pd.DataFrame,
    compared: list[int],
    rng: np.random.Generator,
    seed: int,
    bar,
) -> tuple[np.ndarray, int, int]:
    """(values (n, f, len(compared)), background rows, max_evals) from shap's permutation explainer on the
    model's outputs in the explanation's units."""
    import shap

    train = explainer.train_sample
    background = train.iloc[np.sort(rng.choice(len(train), size=min(BACKGROUND_ROWS, len(train)), replace=False))]
    n, f = len(frame), len(explainer.feature_names)
    # shap masks numbers: each cell is the code of its value among its column's values in the rows and the
    # background, and the model gets the values back with their own dtypes (categories, strings, booleans)
    pool = pd.concat([frame.set_axis(background.columns, axis=1), background], ignore_index=True)
    codes, uniques = [], []
    for col in pool.columns:
        c, u = pd.factorize(pool[col], use_na_sentinel=False)
        codes.append(c)
        uniques.append(u)
    Z = np.column_stack(codes).astype(np.float64)
    labels = list(explainer.schema.columns)

    def model(z: np.ndarray) -> np.ndarray:
        index = z.astype(np.int64)
        cols = {labels[j]: uniques[j].take(index[:, j]) for j in range(f)}
        scores = explainer.model_scores(pd.DataFrame(cols, columns=labels))
        return explainer._model_output(scores)[:, compared]

    max_evals = PERMUTATIONS * (2 * f + 1)
    masker = shap.maskers.Independent(Z[n:], max_samples=len(background))
    state = np.random.get_state()  # shap seeds and draws from numpy's global stream: leave the user's alone
    try:
        explainer_ = shap.PermutationExplainer(model, masker, seed=seed)
        parts = []
        for start in range(0, n, PERMUTATION_CHUNK):
            chunk = Z[start : min(n, start + PERMUTATION_CHUNK)]
            parts.append(np.asarray(explainer_(chunk, max_evals=max_evals, silent=True).values, dtype=np.float64))
            bar.update(len(chunk))
    finally:
        np.random.set_state(state)
    values = np.concatenate(parts)
    if values.ndim == 2:
        values = values[:, :, None]
    return values, len(background), max_evals


# --------------------------------------------------------------------------- the figures


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _row_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of a against the same row of b (average ranks for ties); NaN where a row
    of either is constant."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=1) / np.where(den > 0, den, 1), np.nan)


def _top(magnitudes: np.ndarray, k: int) -> np.ndarray:
    """(n, f) bool: each row's k largest magnitudes (ties by feature order)."""
    order = np.argsort(-magnitudes, axis=1, kind="stable")[:, :k]
    out = np.zeros(magnitudes.shape, dtype=bool)
    np.put_along_axis(out, order, True, axis=1)
    return out


def _nanmean(v) -> float:
    v = np.asarray(v, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def compare(surrogate: np.ndarray, exact: np.ndarray, k: int = TOP_K) -> tuple[dict, dict]:
    """The figures of one output: (overall figures, per-feature arrays) for (n, f) values of both sides."""
    n, f = exact.shape
    k = min(k, f)
    abs_s, abs_e = np.abs(surrogate), np.abs(exact)
    imp_s, imp_e = abs_s.mean(axis=0), abs_e.mean(axis=0)
    row_rho = _row_spearman(abs_s, abs_e) if f > 1 else np.full(n, np.nan)

    zero_s, zero_e = SIGN_ZERO_SHARE * abs_s.mean(), SIGN_ZERO_SHARE * abs_e.mean()
    big_e = abs_e > zero_e
    signed = (abs_s > zero_s) & big_e
    same = signed & (np.sign(surrogate) == np.sign(exact))

    big_s = abs_s > zero_s
    # each side's top k among its values above the near-zero line: ties among zeros are no ranking
    top_s = _top(np.where(big_s, abs_s, -1.0), k) & big_s
    top_e = _top(np.where(big_e, abs_e, -1.0), k) & big_e
    in_both = top_s & top_e
    ranked = top_e.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(ranked > 0, in_both.sum(axis=1) / np.maximum(ranked, 1), np.nan)
        feature_sign = np.where(signed.sum(axis=0) > 0, same.sum(axis=0) / np.maximum(signed.sum(axis=0), 1), np.nan)
        recall = np.where(top_e.sum(axis=0) > 0, in_both.sum(axis=0) / np.maximum(top_e.sum(axis=0), 1), np.nan)
    figures = {
        "rank_rho": _spearman(imp_s, imp_e) if f > 1 else float("nan"),
        "row_rank_rho": _nanmean(row_rho),
        "sign_agreement": float(same.sum() / signed.sum()) if signed.any() else float("nan"),
        "top_k_overlap": _nanmean(share),
        "rows_ranked": int(np.isfinite(row_rho).sum()),
        "cells_signed": int(signed.sum()),
    }
    per_feature = {
        "importance_surrogate": imp_s,
        "importance_exact": imp_e,
        "rank_surrogate": _ranks(imp_s),
        "rank_exact": _ranks(imp_e),
        "sign_agreement": feature_sign,
        "cells_signed": signed.sum(axis=0),
        "top_k_recall": recall,
        "value_rho": np.array([_spearman(surrogate[:, j], exact[:, j]) for j in range(f)]),
    }
    return figures, per_feature


def _ranks(importance: np.ndarray) -> np.ndarray:
    """1 for the most important feature (ties by feature order)."""
    ranks = np.empty(len(importance), dtype=np.int64)
    ranks[np.argsort(-importance, kind="stable")] = np.arange(1, len(importance) + 1)
    return ranks


def _problems(figures: dict, k: int) -> list[str]:
    problems = []
    rho, overlap = figures["rank_rho"], figures["top_k_overlap"]
    if np.isfinite(rho) and rho < FLOORS["rank_rho"]:
        problems.append(f"rank rho {rho:.2f} < {FLOORS['rank_rho']}")
    if np.isfinite(overlap) and overlap < FLOORS["top_k_overlap"]:
        problems.append(f"top-{k} overlap {overlap * k:.1f}/{k} < {FLOORS['top_k_overlap'] * k:.1f}")
    return problems


# --------------------------------------------------------------------------- check_attributions


def check_attributions(
    explainer: MimicExplainer, X, n: int = 200, random_state: int = 0, progress: bool | None = None
) -> AttributionAgreement:
    """MimicExplainer.check_attributions (see its docstring)."""
    n = check_int(n, "n", 1, " (the rows to compare on)")
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(f"random_state must be an integer seed, not {shown(random_state)}.")
    if not 0 <= random_state < 2**32:
        raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {shown(random_state)}.")
    progress = check_progress(progress)
    frame, exp = _rows(explainer, X)
    started = time.perf_counter()
    rng = np.random.default_rng(int(random_state))
    total = len(frame)
    rows = np.sort(rng.choice(total, size=min(n, total), replace=False))
    sample = frame.iloc[rows]
    compared = _compared_outputs(explainer)

    model_output = explainer._model_output(explainer.model_scores(_model_frame(explainer, sample)))
    if exp is not None:
        theirs = exp.model_output[rows]
        off = np.abs(theirs - model_output) > 1e-5 * (1 + np.abs(theirs))
        if off.any():
            raise ValueError(
                f"the model's outputs on {int(off.any(axis=1).sum())} of the {len(rows)} sampled rows differ from "
                "this explanation's: it was made with another model (or the model is not deterministic). Check it "
                "with the explainer that made it."
            )
        surrogate = exp.values_at(rows)[:, :, compared]
    else:
        surrogate = _surrogate_values(explainer, sample)[:, :, compared]

    show = progress is not False
    background, max_evals = None, None
    with tqdm(
        total=len(rows),
        disable=not show,
        delay=0 if progress else PROGRESS_DELAY,
        unit="row",
        desc="Checking attributions",
    ) as bar:
        exact, reason = _tree_values(explainer, sample, model_output, compared)
        if exact is not None:
            method = "tree"
            detail = f"shap.TreeExplainer on the model ({type(explainer.model).__name__})"
            bar.update(len(rows))
        else:
            method = "permutation"
            exact, background, max_evals = _permutation_values(explainer, sample, compared, rng, int(random_state), bar)
            detail = (
                f"shap's permutation explainer on the model's {explainer.units}, {background} background rows from "
                f"X_train, {PERMUTATIONS} permutations per row (max_evals {max_evals})"
            )

    names = [explainer.output_names[c] for c in compared]
    k = min(TOP_K, len(explainer.feature_names))
    per_output, tables = {}, []
    for m, name in enumerate(names):
        figures, per_feature = compare(surrogate[:, :, m], exact[:, :, m], TOP_K)
        per_output[str(name)] = figures
        table = pd.DataFrame({"output": [name] * len(explainer.feature_names), "feature": explainer.feature_names})
        tables.append(table.assign(**per_feature))
    keys = ("rank_rho", "row_rank_rho", "sign_agreement", "top_k_overlap")
    overall: dict = {key: _nanmean([fig[key] for fig in per_output.values()]) for key in keys}
    problems = _problems(overall, k)
    result = AttributionAgreement(
        method=method,
        method_detail=detail,
        reason=reason,
        rows=len(rows),
        outputs=names,
        figures=overall,
        per_output=per_output,
        features=pd.concat(tables, ignore_index=True),
        poor=bool(problems),
        problems=problems,
        floors=dict(FLOORS),
        top_k=k,
        seconds=time.perf_counter() - started,
        row_index=rows,
        surrogate_values=surrogate,
        exact_values=exact,
        background_rows=background,
        max_evals=max_evals,
        random_state=int(random_state),
    )
    if exp is not None:
        exp.attribution_agreement = result.to_json()
    return result
