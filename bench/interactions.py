"""explainer.interactions() cost: SHAP interaction values of the surrogate on 2,000 rows (issue 16), beside
explain()'s own cost on the same rows and on 100,000, for the default surrogate on bench/_teacher.py's model
(binary, 30 features) and on a 3-class model with a categorical feature; and shap's TreeExplainer
(shap_interaction_values) on the same numeric surrogate, whose values ours equal.

Run: python bench/interactions.py (prints the machine load; figures count when the 1-minute load is below 0.5).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _teacher import Teacher, make_data  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers import _interactions  # noqa: E402

ROWS = 2_000
FEATURES = 30
TRAIN = 20_000


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def binary_case():
    X = pd.DataFrame(make_data(TRAIN, FEATURES), columns=[f"x{j}" for j in range(FEATURES)])
    teacher = Teacher(FEATURES)
    return "binary, 30 numeric features", rw.MimicExplainer(teacher, X), X


def multiclass_case():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(make_data(TRAIN, FEATURES - 1), columns=[f"x{j}" for j in range(FEATURES - 1)])
    X["city"] = pd.Categorical(rng.choice([f"c{k:02d}" for k in range(40)], TRAIN))

    def scores(frame):
        c = frame["city"].cat.codes.to_numpy()
        z = np.column_stack([frame["x0"] * frame["x1"], np.sin(c) * frame["x2"], frame["x3"] - 0.02 * c])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return "3 classes, 29 numeric + 1 categorical (40 levels)", rw.MimicExplainer(scores, X), X


def main() -> None:
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 0.5:
        print("  the machine is busy: these figures do not count (re-run when the load is below 0.5)")
    print(f"numba threads: {_interactions.numba.get_num_threads()}")
    # compile the kernels once (about 3 s per process), outside the timings
    name, ex, X = binary_case()
    ex.interactions(X.iloc[:50], n=50)
    for name, ex, X in (binary_case(), multiclass_case()):
        rows = X.iloc[:ROWS]
        t_int, m = timed(lambda ex=ex, rows=rows: ex.interactions(rows, n=ROWS, progress=False))
        t_exp, _ = timed(lambda ex=ex, rows=rows: ex.explain(rows, progress=False))
        big = pd.concat([X] * (100_000 // len(X) + 1), ignore_index=True).iloc[:100_000]
        t_big, _ = timed(lambda ex=ex, big=big: ex.explain(big, progress=False), repeat=1)
        depth = max(int(np.diff(p.feat_start).max()) for p in ex._packed if p is not None)
        print(f"\n{name}: {len(ex.surrogates)} surrogate(s), leaf paths up to {depth} features")
        print(f"  explainer.interactions, {ROWS:,} rows: {t_int:7.3f} s  ({1e6 * t_int / ROWS:.0f} us/row)")
        print(f"  explain(), the same {ROWS:,} rows:       {t_exp:7.3f} s")
        print(f"  explain(), 100,000 rows:                {t_big:7.3f} s")
        print(f"  interactions / explain on {ROWS:,} rows: {t_int / t_exp:.1f}x")
        if len(ex.surrogates) == 1:
            import shap

            encoded = ex.schema.encode(rows, "X")
            booster = ex.surrogates[0]
            t_shap, ref = timed(lambda b=booster, e=encoded: shap.TreeExplainer(b).shap_interaction_values(e), repeat=1)
            gap = np.abs(_interactions.interaction_values(booster, ex._packed[0], encoded) - ref).max()
            print(f"  shap's shap_interaction_values, same rows: {t_shap:7.3f} s (max |ours - shap| {gap:.1e})")


if __name__ == "__main__":
    main()
