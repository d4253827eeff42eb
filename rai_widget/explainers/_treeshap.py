"""Exact path-dependent TreeSHAP for LightGBM surrogates, fast.

Path-dependent TreeSHAP (the algorithm of ``shap.TreeExplainer`` and LightGBM's ``pred_contrib``)
attributes a tree's output as a sum over its leaves. For a leaf with value ``v`` whose path uses
the distinct features ``U`` (``d = |U|``), the leaf's share of feature ``i``'s value is

    v * (o_i - z_i) * sum_{S subset of U minus i} w(|S|, d) * prod_{j in S} o_j * prod_{j in U-S-i} z_j

where ``o_j`` is 1 when the row satisfies every split on ``j`` along the path, ``z_j`` the product
of the path's cover fractions for ``j``, and ``w(k, d) = k! (d-k-1)! / d!``. It depends on the row
only through the bit pattern ``o``, so for shallow trees a table of ``2^d x d`` values per leaf,
computed once, turns each row into table look-ups: O(trees x leaves x depth) per row instead of
TreeSHAP's O(trees x leaves x depth^2), with no per-row polynomial arithmetic (the idea of
Fast TreeSHAP v2, Yang 2021). Results equal LightGBM's ``pred_contrib`` to rounding.

Deep trees (tables too large) fall back to LightGBM's own ``pred_contrib``.

The kernels are compiled on first use in each process and never cached to disk: numba's cache would
write into the installed package (or the user's home), a side effect a library must not have. The
compile costs ~1.1 s once per process, so the row kernel is serial (compiled with nogil=True) and
rows are split over threads here: numba's parallel=True compiled 3x slower (2.3 s) for the same
speed (see `shap_values`).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

# Above this many distinct features on one root-to-leaf path the 2^d tables get large.
MAX_FAST_PATH_FEATURES = 12
# Upper bound on the total table size (float64 values) before falling back.
MAX_TABLE_VALUES = 32_000_000
# Rows the kernel handles per pass over the trees (its working set stays in cache).
BLOCK_ROWS = 256

_NUMERIC, _CATEGORICAL = 0, 1
_MISSING_NONE, _MISSING_ZERO, _MISSING_NAN = 0, 1, 2
_ZERO_THRESHOLD = 1e-35


@dataclass
class PackedTrees:
    """A LightGBM model flattened into arrays the kernel walks."""

    n_features: int
    expected_value: float
    # internal nodes, numbered per tree from tree_node_start[t]
    tree_node_start: np.ndarray
    node_feature: np.ndarray
    node_threshold: np.ndarray
    node_kind: np.ndarray
    node_missing: np.ndarray
    node_default_left: np.ndarray
    node_cat_start: np.ndarray  # categorical nodes: the categories that go left
    node_cat_end: np.ndarray
    cat_values: np.ndarray
    # leaves, numbered per tree from tree_leaf_start[t]
    tree_leaf_start: np.ndarray
    path_start: np.ndarray  # leaf -> its path's split records
    path_node: np.ndarray  # local node index within the tree
    path_left: np.ndarray  # 1 when the path goes left at that node
    path_slot: np.ndarray  # position of the node's feature in the leaf's distinct features
    feat_start: np.ndarray  # leaf -> its distinct features
    leaf_features: np.ndarray
    table_start: np.ndarray  # leaf -> its 2^d x d table
    tables: np.ndarray
    max_nodes: int


def _shapley_weights(d: int) -> np.ndarray:
    return np.array([math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d) for k in range(d)])


def pack_lightgbm(booster) -> PackedTrees | None:
    """Flatten a single-output LightGBM booster; None when its trees are too deep for tables."""
    dump = booster.dump_model()
    n_features = int(dump["max_feature_idx"]) + 1
    # per internal node: ints, a float threshold and a bool, each list made an array of its own dtype below
    nodes: dict[str, list[float]] = {
        k: [] for k in ("feature", "threshold", "kind", "missing", "default_left", "cat_start", "cat_end")
    }
    cat_values: list[int] = []
    tree_node_start, tree_leaf_start = [0], [0]
    leaves: list[tuple[float, list[tuple[int, int, int]], list[int], list[float]]] = []
    max_nodes = 1

    for tree in dump["tree_info"]:
        local_nodes = 0
        root = tree["tree_structure"]
        # iterative DFS carrying the path as (local node, went_left, feature, cover fraction)
        stack: list[tuple[dict[str, Any], list[tuple[int, int, int, float]]]] = [(root, [])]
        while stack:
            node, path = stack.pop()
            if "leaf_value" in node:
                leaves.append(_leaf_record(node["leaf_value"], path))
                continue
            local = local_nodes
            local_nodes += 1
            nodes["feature"].append(int(node["split_feature"]))
            nodes["missing"].append(
                {"None": _MISSING_NONE, "Zero": _MISSING_ZERO, "NaN": _MISSING_NAN}[node.get("missing_type", "None")]
            )
            nodes["default_left"].append(bool(node.get("default_left", False)))
            if node["decision_type"] == "==":
                cats = [int(c) for c in str(node["threshold"]).split("||")]
                nodes["kind"].append(_CATEGORICAL)
                nodes["threshold"].append(0.0)
                nodes["cat_start"].append(len(cat_values))
                cat_values.extend(sorted(cats))
                nodes["cat_end"].append(len(cat_values))
            else:
                nodes["kind"].append(_NUMERIC)
                nodes["threshold"].append(float(node["threshold"]))
                nodes["cat_start"].append(0)
                nodes["cat_end"].append(0)
            count = float(node["internal_count"])
            for child, left in ((node["right_child"], 0), (node["left_child"], 1)):
                child_count = float(child.get("internal_count", child.get("leaf_count", 0)))
                frac = child_count / count if count > 0 else 0.0
                stack.append((child, path + [(local, left, int(node["split_feature"]), frac)]))
        if local_nodes == 0:  # a single-leaf tree contributes to the base value only
            pass
        max_nodes = max(max_nodes, local_nodes)
        tree_node_start.append(tree_node_start[-1] + local_nodes)
        tree_leaf_start.append(len(leaves))

    depths = [len(feats) for _, _, feats, _ in leaves]
    if max(depths, default=0) > MAX_FAST_PATH_FEATURES:
        return None
    if sum((1 << d) * d for d in depths) > MAX_TABLE_VALUES:
        return None

    path_start, path_node, path_left, path_slot = [0], [], [], []
    feat_start, leaf_features, table_start = [0], [], [0]
    tables = []
    expected = 0.0
    for value, records, feats, fracs in leaves:
        for local, left, slot in records:
            path_node.append(local)
            path_left.append(left)
            path_slot.append(slot)
        path_start.append(len(path_node))
        leaf_features.extend(feats)
        feat_start.append(len(leaf_features))
        d = len(feats)
        z = np.array(fracs)
        expected += value * float(np.prod(z)) if d else value
        if d:
            tables.append(_leaf_table(value, z, _shapley_weights(d)).ravel())
            table_start.append(table_start[-1] + (1 << d) * d)
        else:
            table_start.append(table_start[-1])

    def arr(x, dtype):
        return np.asarray(x, dtype=dtype)

    return PackedTrees(
        n_features=n_features,
        expected_value=expected,
        tree_node_start=arr(tree_node_start, np.int64),
        node_feature=arr(nodes["feature"], np.int32),
        node_threshold=arr(nodes["threshold"], np.float64),
        node_kind=arr(nodes["kind"], np.int8),
        node_missing=arr(nodes["missing"], np.int8),
        node_default_left=arr(nodes["default_left"], np.bool_),
        node_cat_start=arr(nodes["cat_start"], np.int64),
        node_cat_end=arr(nodes["cat_end"], np.int64),
        cat_values=arr(cat_values, np.int64),
        tree_leaf_start=arr(tree_leaf_start, np.int64),
        path_start=arr(path_start, np.int64),
        path_node=arr(path_node, np.int32),
        path_left=arr(path_left, np.uint8),
        path_slot=arr(path_slot, np.int32),
        feat_start=arr(feat_start, np.int64),
        leaf_features=arr(leaf_features, np.int32),
        table_start=arr(table_start, np.int64),
        tables=np.concatenate(tables) if tables else np.zeros(0),
        max_nodes=max_nodes,
    )


def _leaf_record(
    value: float, path: list[tuple[int, int, int, float]]
) -> tuple[float, list[tuple[int, int, int]], list[int], list[float]]:
    """Merge a leaf's path by feature: slots in order of first use, cover fractions multiplied."""
    slots: dict[int, int] = {}
    fracs: list[float] = []
    records: list[tuple[int, int, int]] = []
    for local, left, feature, frac in path:
        if feature not in slots:
            slots[feature] = len(slots)
            fracs.append(1.0)
        slot = slots[feature]
        fracs[slot] *= frac
        records.append((local, left, slot))
    return float(value), records, list(slots), fracs


@numba.njit(cache=False)
def _leaf_table(value, z, weights):
    """table[pattern, i]: the leaf's share of feature slot i for a row with satisfied-bits `pattern`."""
    d = z.shape[0]
    table = np.zeros((1 << d, d))
    poly = np.zeros(d + 1)
    for pattern in range(1 << d):
        for i in range(d):
            # coefficients of prod_{j != i} (z_j + o_j t): t^k counts subsets S of size k
            poly[:] = 0.0
            poly[0] = 1.0
            size = 0
            for j in range(d):
                if j == i:
                    continue
                o = (pattern >> j) & 1
                size += 1
                for k in range(size, 0, -1):
                    poly[k] = poly[k] * z[j] + (poly[k - 1] if o else 0.0)
                poly[0] = poly[0] * z[j]
            total = 0.0
            for k in range(d):
                total += poly[k] * weights[k]
            o_i = (pattern >> i) & 1
            table[pattern, i] = value * (o_i - z[i]) * total
    return table


@numba.njit(cache=False, inline="always")
def _goes_left(x, kind, missing, default_left, threshold, cat_values, cat_start, cat_end):
    # Mirrors LightGBM's (>= 4) Tree::NumericalDecision / CategoricalDecision on raw values.
    if kind == _NUMERIC:
        if np.isnan(x):
            if missing == _MISSING_NAN:
                return default_left
            x = 0.0
        if missing == _MISSING_ZERO and -_ZERO_THRESHOLD < x <= _ZERO_THRESHOLD:
            return default_left
        return x <= threshold
    if np.isnan(x):  # LightGBM >= 4 sends NaN right at every categorical split, as an unseen category
        return False
    code = int(x)
    if code < 0:
        return False
    for c in range(cat_start, cat_end):
        if cat_values[c] == code:
            return True
    return False


@numba.njit(cache=False, nogil=True)
def _shap_kernel(
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
    table_start,
    tables,
    max_nodes,
    block,
):
    n, n_features = X.shape[0], out.shape[1]
    n_trees = tree_node_start.shape[0] - 1
    n_blocks = (n + block - 1) // block
    for b in range(n_blocks):
        r0 = b * block
        m = min(n, r0 + block) - r0
        # Rows innermost: consecutive updates hit different rows, so they don't wait on each other
        # (a leaf-major loop on one row re-adds into the same few features and stalls).
        left = np.empty((max_nodes, m), np.uint8)
        pattern = np.empty(m, np.int64)
        acc = np.zeros((n_features, m))
        for t in range(n_trees):
            n0 = tree_node_start[t]
            for k in range(n0, tree_node_start[t + 1]):
                f = node_feature[k]
                for r in range(m):
                    left[k - n0, r] = _goes_left(
                        X[r0 + r, f],
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
                        # branch-free: whether a row satisfies a split is data-dependent
                        miss = np.int64(left[node, r] ^ want)
                        pattern[r] &= ~(miss << slot)
                base = table_start[leaf]
                for s in range(d):
                    feat = leaf_features[f0 + s]
                    for r in range(m):
                        acc[feat, r] += tables[base + pattern[r] * d + s]
        for r in range(m):
            for f in range(n_features):
                out[r0 + r, f] = acc[f, r]


def shap_values(
    booster, packed: PackedTrees | None, X: np.ndarray, out: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """(n, f) SHAP values and the expected value of a single-output LightGBM model on encoded rows; written into
    `out` (an (n, f) float64 array with rows of contiguous values) when given."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    if packed is None:
        contrib = booster.predict(X, pred_contrib=True)
        if out is not None:
            out[:] = contrib[:, :-1]
            return out, float(contrib[0, -1]) if len(contrib) else 0.0
        return contrib[:, :-1], float(contrib[0, -1]) if len(contrib) else 0.0
    n = X.shape[0]
    if out is None:
        out = np.empty((n, packed.n_features))  # the kernel writes every value
    elif out.shape != (n, packed.n_features) or out.dtype != np.float64 or out.strides[1] != 8:
        raise ValueError(f"out must be float64 of shape {(n, packed.n_features)} with contiguous rows.")
    p = packed

    def run(rows: slice) -> None:
        _shap_kernel(
            X[rows],
            out[rows],
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
            p.table_start,
            p.tables,
            p.max_nodes,
            BLOCK_ROWS,
        )

    # One slice of whole blocks per thread (numba's thread count: NUMBA_NUM_THREADS / numba.set_num_threads);
    # rows are independent, so the result is the same for any number of threads.
    threads = max(1, min(numba.get_num_threads(), -(-n // BLOCK_ROWS)))
    step = -(-n // threads // BLOCK_ROWS) * BLOCK_ROWS if threads > 1 else n
    slices = [slice(s, min(n, s + step)) for s in range(0, n, max(step, 1))]
    if len(slices) <= 1:
        run(slice(0, n))
    else:
        with ThreadPoolExecutor(len(slices)) as pool:
            list(pool.map(run, slices))
    return out, p.expected_value
