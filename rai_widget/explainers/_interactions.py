"""SHAP interaction values of the surrogate: exact path-dependent TreeSHAP interactions, on a sample of rows.

The SHAP interaction value of features i != j for a row (Lundberg et al. 2020, "From local explanations to
global understanding with explainable AI for trees") is half the Shapley interaction index,

    Phi_ij = 1/2 * sum_{S in N - {i, j}} |S|! (M - |S| - 2)! / (M - 1)! * (v(S+i+j) - v(S+i) - v(S+j) + v(S)),

with v the tree's path-dependent expectation (what shap.TreeExplainer uses), and Phi_ii = phi_i - sum_{j != i}
Phi_ij, so that each row of a row's matrix sums to the feature's SHAP value and the whole matrix to the output
minus the base value. For one leaf, v(S) is a product over the leaf's path features U (d = |U|) of o_k (the row
satisfies every split on k) for k in S and z_k (the product of the path's cover fractions on k) for k not in S,
so the pair's share is

    value / 2 * (o_i - z_i) * (o_j - z_j) * sum_{S subset of U - {i, j}} w2(|S|, d) * prod_{S} o_k * prod_{U-S-i-j} z_k,

with w2(s, d) = s! (d - s - 2)! / (d - 1)! (features off the path are null players and drop out). It depends on
the row only through the bit pattern o, as the SHAP values of `_treeshap` do: a table of 2^d x d x d values per
leaf, built once, turns each row into look-ups (the diagonal from `_treeshap`'s own table).

Why not shap itself: shap (0.51) reads a LightGBM booster's categorical splits as a bit mask 2^(category - 1),
so category 0 never goes left and categories past ~32 overflow: its interaction values on our categorical
surrogates do not add up to the SHAP values (shap/shap#1644 is open for it); its SHAP values are right only
because it asks LightGBM's pred_contrib for them. Our tables walk the trees as LightGBM does
(`_treeshap._goes_left`). On numeric-only surrogates both agree to rounding (tests/test_interactions.py);
when a surrogate's trees are too deep for the tables, shap's TreeExplainer is used if the surrogate has no
categorical split, else the call is refused with the fix.

Cost: per row, per leaf, d^2 look-ups (d <= 6 with the default surrogate's max_depth), bounded by n: on 30
features, 2,000 rows cost about what explain() takes on 5,000 to 10,000 rows (bench/interactions.py prints both;
shap's own C++ TreeSHAP interactions took over 50x ours on the same numeric surrogate). The kernel adds the
upper triangle with the rows innermost, as `_treeshap` does (4x faster than row by row), and mirrors it.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rai_widget._checks import check_int, check_progress, shown
from rai_widget.explainers import _treeshap
from rai_widget.explanations._interactions import interactions_frame
from rai_widget.explanations.tabular import TabularExplanation

if TYPE_CHECKING:
    from rai_widget.explainers.tabular import MimicExplainer

DEFAULT_ROWS = 2_000
# Total interaction-table values (float64) of one surrogate above which its trees count as too deep for tables.
MAX_TABLE_VALUES = 24_000_000
CHUNK_ROWS = 128  # rows per kernel call: the unit of the progress bar and of the (chunk, f, f) temporaries,
CHUNK_VALUES = 2_000_000  # fewer for many features, so that each temporary stays under 16 MB
# Rows x surrogates from which the progress bar shows by default (progress=None).
PROGRESS_MIN_WORK = 4_000


# --------------------------------------------------------------------------- tables


def _leaf_paths(booster) -> list[tuple[float, list[float]]]:
    """Each leaf's value and the cover fractions of its distinct path features, in `pack_lightgbm`'s leaf order
    (the same walk: depth first, the left child first)."""
    leaves = []
    for tree in booster.dump_model()["tree_info"]:
        stack: list[tuple[dict[str, Any], list[tuple[int, int, int, float]]]] = [(tree["tree_structure"], [])]
        while stack:
            node, path = stack.pop()
            if "leaf_value" in node:
                value, _, _, fracs = _treeshap._leaf_record(node["leaf_value"], path)
                leaves.append((value, fracs))
                continue
            count = float(node["internal_count"])
            for child, left in ((node["right_child"], 0), (node["left_child"], 1)):
                child_count = float(child.get("internal_count", child.get("leaf_count", 0)))
                frac = child_count / count if count > 0 else 0.0
                stack.append((child, path + [(0, left, int(node["split_feature"]), frac)]))
    return leaves


def _pair_weights(d: int) -> np.ndarray:
    return np.array([math.factorial(s) * math.factorial(d - s - 2) / math.factorial(d - 1) for s in range(d - 1)])


@numba.njit(cache=False)
def _leaf_interactions(value, z, w2, shap_table):
    """table[pattern, i, j]: the leaf's share of Phi_ij for a row with satisfied-bits `pattern`."""
    d = z.shape[0]
    table = np.zeros((1 << d, d, d))
    poly = np.zeros(d + 1)
    for pattern in range(1 << d):
        for i in range(d):
            o_i = (pattern >> i) & 1
            for j in range(i + 1, d):
                o_j = (pattern >> j) & 1
                # coefficients of prod_{k != i, j} (z_k + o_k t): t^s sums the subsets S of size s
                poly[:] = 0.0
                poly[0] = 1.0
                size = 0
                for k in range(d):
                    if k == i or k == j:
                        continue
                    o = (pattern >> k) & 1
                    size += 1
                    for s in range(size, 0, -1):
                        poly[s] = poly[s] * z[k] + (poly[s - 1] if o else 0.0)
                    poly[0] = poly[0] * z[k]
                total = 0.0
                for s in range(d - 1):
                    total += poly[s] * w2[s]
                share = 0.5 * value * (o_i - z[i]) * (o_j - z[j]) * total
                table[pattern, i, j] = share
                table[pattern, j, i] = share
        for i in range(d):
            off = 0.0
            for j in range(d):
                if j != i:
                    off += table[pattern, i, j]
            table[pattern, i, i] = shap_table[pattern, i] - off
    return table


def interaction_tables(booster, packed: _treeshap.PackedTrees | None) -> np.ndarray | None:
    """Every leaf's 2^d x d x d table, concatenated in packed's leaf order (leaf l's starts at the sum of the
    earlier leaves' sizes); None when the trees are too deep (no packed trees, or tables past MAX_TABLE_VALUES)."""
    if packed is None:
        return None
    depths = np.diff(packed.feat_start)
    if int(((1 << depths) * depths * depths).sum()) > MAX_TABLE_VALUES:
        return None
    leaves = _leaf_paths(booster)
    if len(leaves) != len(depths) or any(len(f) != d for (_, f), d in zip(leaves, depths, strict=True)):
        raise RuntimeError("internal error: the surrogate's leaves differ between two walks of its trees")
    tables = []
    for value, fracs in leaves:
        d = len(fracs)
        if d == 0:
            continue
        z = np.array(fracs)
        shap_table = _treeshap._leaf_table(value, z, _treeshap._shapley_weights(d))
        w2 = _pair_weights(d) if d > 1 else np.zeros(0)
        tables.append(_leaf_interactions(value, z, w2, shap_table).ravel())
    return np.concatenate(tables) if tables else np.zeros(0)


# --------------------------------------------------------------------------- rows


@numba.njit(cache=False, nogil=True)
def _interaction_kernel(
    X,
    out,
    tree_node_start,
    node_feature,
    node_threshold,
    node_kind,
    node_missing,
    node_default_left,
    node_cat_start,
    node_cat_end,
    cat_values,
    tree_leaf_start,
    path_start,
    path_node,
    path_left,
    path_slot,
    feat_start,
    leaf_features,
    tables,
    max_nodes,
):
    """out[r, i, j] += Phi_ij of row r for i <= j (the rows of one chunk; `_treeshap._shap_kernel`'s walk)."""
    m = X.shape[0]
    n_trees = tree_node_start.shape[0] - 1
    left = np.empty((max_nodes, m), np.uint8)
    pattern = np.empty(m, np.int64)
    n_features = out.shape[1]
    acc = np.zeros((n_features, n_features, m))
    base = 0
    for t in range(n_trees):
        n0 = tree_node_start[t]
        for k in range(n0, tree_node_start[t + 1]):
            f = node_feature[k]
            for r in range(m):
                left[k - n0, r] = _treeshap._goes_left(
                    X[r, f],
                    node_kind[k],
                    node_missing[k],
                    node_default_left[k],
                    node_threshold[k],
                    cat_values,
                    node_cat_start[k],
                    node_cat_end[k],
                )
        for leaf in range(tree_leaf_start[t], tree_leaf_start[t + 1]):
            f0 = feat_start[leaf]
            d = feat_start[leaf + 1] - f0
            if d == 0:
                continue
            pattern[:] = (1 << d) - 1
            for p in range(path_start[leaf], path_start[leaf + 1]):
                node, want, slot = path_node[p], path_left[p], path_slot[p]
                for r in range(m):
                    miss = np.int64(left[node, r] ^ want)
                    pattern[r] &= ~(miss << slot)
            for s in range(d):
                fs = leaf_features[f0 + s]
                for u in range(s, d):  # the upper triangle only: the caller mirrors it
                    fu = leaf_features[f0 + u]
                    lo, hi = min(fs, fu), max(fs, fu)
                    at = base + s * d + u
                    for r in range(m):  # rows innermost, as in _treeshap: consecutive writes
                        acc[lo, hi, r] += tables[at + pattern[r] * d * d]
            base += (1 << d) * d * d
    for r in range(m):
        for i in range(n_features):
            for j in range(i, n_features):
                out[r, i, j] += acc[i, j, r]


def interaction_values(booster, packed: _treeshap.PackedTrees | None, X: np.ndarray, tables=None) -> np.ndarray:
    """(n, f, f) SHAP interaction values of a single-output LightGBM model on encoded rows (shap's layout)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    if tables is None:
        tables = interaction_tables(booster, packed)
    if tables is None or packed is None:
        return _shap_fallback(booster, X)
    p = packed
    out = np.zeros((X.shape[0], p.n_features, p.n_features))
    _interaction_kernel(
        X,
        out,
        p.tree_node_start,
        p.node_feature,
        p.node_threshold,
        p.node_kind,
        p.node_missing,
        p.node_default_left,
        p.node_cat_start,
        p.node_cat_end,
        p.cat_values,
        p.tree_leaf_start,
        p.path_start,
        p.path_node,
        p.path_left,
        p.path_slot,
        p.feat_start,
        p.leaf_features,
        tables,
        p.max_nodes,
    )
    upper = np.triu_indices(p.n_features, 1)
    out[:, upper[1], upper[0]] = out[:, upper[0], upper[1]]  # Phi_ji = Phi_ij, summed in the same order
    return out


def _shap_fallback(booster, X: np.ndarray) -> np.ndarray:
    """Trees too deep for tables: shap's TreeExplainer, which is exact on numeric splits only."""
    categorical = any("==" in str(t["tree_structure"]) for t in booster.dump_model()["tree_info"])
    if categorical:
        raise ValueError(
            "the surrogate's trees are too deep for exact interaction values with categorical features (shap "
            "misreads LightGBM's categorical splits); fit the explainer with shallower trees, e.g. "
            "surrogate_params={'max_depth': 6}."
        )
    import shap

    return np.asarray(shap.TreeExplainer(booster).shap_interaction_values(X), dtype=np.float64)


# --------------------------------------------------------------------------- the explainer's method


def _rows(explainer: MimicExplainer, X) -> tuple[pd.DataFrame, TabularExplanation | None]:
    if X is None:
        return explainer.train_sample, None
    if isinstance(X, TabularExplanation):
        if X.feature_names != explainer.feature_names:
            raise ValueError(
                f"this explanation's features ({shown(X.feature_names, 5)}) are not the explainer's "
                f"({shown(explainer.feature_names, 5)}): pass an explanation this explainer made."
            )
        return X.data, X
    return explainer.schema.to_frame(X, "X"), None


def _output(explainer: MimicExplainer, output) -> int | None:
    if output is None:
        return None
    from rai_widget.explainers._ice import output_index

    return output_index(explainer, output)


def interactions(
    explainer: MimicExplainer, X=None, n=DEFAULT_ROWS, random_state=0, output=None, progress=None
) -> pd.DataFrame:
    """See MimicExplainer.interactions."""
    n = check_int(n, "n", 1, " (the rows to compute interactions on, e.g. n=2000)")
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(f"random_state must be an integer seed, not {shown(random_state)}.")
    progress = check_progress(progress)
    k = _output(explainer, output)
    frame, exp = _rows(explainer, X)
    if len(frame) == 0:
        raise ValueError("X has no rows: interactions need at least one row.")
    if len(frame) > n:
        picked = np.sort(np.random.default_rng(int(random_state)).choice(len(frame), n, replace=False))
        frame = frame.iloc[picked]
    encoded = explainer.schema.encode(frame, "X")
    rows = len(encoded)

    binary = explainer.task == "classification" and len(explainer.output_names) == 2
    if k is None or binary:  # binary: class 0's values are minus class 1's, so both have the same |values|
        surrogates = list(range(len(explainer.surrogates)))
    else:
        surrogates = [k]
    show = rows * len(surrogates) >= PROGRESS_MIN_WORK if progress is None else progress
    f = len(explainer.feature_names)
    total = np.zeros((f, f))
    step = max(1, min(CHUNK_ROWS, CHUNK_VALUES // (f * f)))
    chunks = [slice(s, min(rows, s + step)) for s in range(0, rows, step)]
    threads = max(1, min(numba.get_num_threads(), len(chunks)))
    with (
        tqdm(total=rows * len(surrogates), disable=not show, unit="row", desc="Interactions") as bar,
        ThreadPoolExecutor(threads) as pool,
    ):
        for m in surrogates:
            booster, packed = explainer.surrogates[m], explainer._packed[m]
            tables = interaction_tables(booster, packed)

            def chunk_sum(sl: slice, booster=booster, packed=packed, tables=tables) -> np.ndarray:
                return np.abs(interaction_values(booster, packed, encoded[sl], tables)).sum(axis=0)

            part = np.zeros((f, f))
            for sl, s in zip(chunks, pool.map(chunk_sum, chunks), strict=True):  # in order: the same sums every run
                part += s
                bar.update(sl.stop - sl.start)
            total += part / rows
    matrix = total / len(surrogates)
    if k is None:  # a name whenever one output's matrix is what we have: the regression's, the positive class's
        k = 1 if binary else 0 if explainer.task == "regression" else None
    name = None if k is None else explainer.output_names[k]
    result = interactions_frame(matrix, explainer.feature_names, name, rows)
    if exp is not None:
        exp.interactions = result
    return result
