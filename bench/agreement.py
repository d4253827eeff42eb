"""Attribution agreement benchmark: the cost of explainer.check_attributions(exp) on 200 rows, on both of
its paths, beside explain()'s own cost on the same model and rows.

    python bench/agreement.py [--rows 200] [--repeat 2]

Data: the HMDA demo (rai_widget.demos.tabular, 2,380 loans x 12 features, numbers, categories and a
boolean), explained on its 40% test split (952 rows). Two models of it:
- the demo's scikit-learn pipeline (one-hot encoding + gradient boosting): shap.TreeExplainer does not read
  a Pipeline, so the model's SHAP values come from shap's permutation explainer: 2 permutations per row,
  each one model call on (2 x 12 + 1) x 100 background rows, i.e. 2,500 rows per call (1 million in all);
- a LightGBM classifier on the same frame (pandas categories): shap.TreeExplainer on the model itself.
Printed per path: the explainer's fit (the surrogate) and explain() on the test split; check_attributions on
--rows of them, the first call in the process (shap's masker is compiled by numba once per process,
permutation path only) and the best of --repeat warm calls; for the permutation path the model's own share
(its calls, rows and time, timed around the explainer's model_scores), and what remains: shap's masking and
ours. The load average is printed with the figures: figures taken under load (above the core count) do not
count.
"""

import argparse
import os
import sys
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    cores = os.cpu_count() or 1
    note = "  (under load: these figures do not count)" if one > cores else ""
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {cores} cores{note}"


class ModelTimer:
    """Counts the explainer's model calls, their rows and their time."""

    def __init__(self, explainer):
        self.calls = self.rows = 0
        self.seconds = 0.0
        inner = explainer.model_scores

        def timed(frame):
            start = time.perf_counter()
            try:
                return inner(frame)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
                self.rows += len(frame)

        explainer.model_scores = timed

    def reset(self):
        self.calls = self.rows = 0
        self.seconds = 0.0


def bench(name, model, X_train, X_test, rows, repeat):
    import rai_widget as rw

    start = time.perf_counter()
    explainer = rw.MimicExplainer(model, X_train)
    fit_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        start = time.perf_counter()
        exp = explainer.explain(X_test, progress=False)
        explain_s = time.perf_counter() - start
    timer = ModelTimer(explainer)
    start = time.perf_counter()
    result = explainer.check_attributions(exp, n=rows, progress=False)
    first_s = time.perf_counter() - start
    warm = []
    for _ in range(repeat):
        timer.reset()
        start = time.perf_counter()
        explainer.check_attributions(exp, n=rows, progress=False)
        warm.append(time.perf_counter() - start)
    best = min(warm) if warm else first_s
    print(f"\n{name}: {result.method} ({result.method_detail})")
    print(f"  MimicExplainer(model, X_train) (the surrogate's fit): {fit_s:5.2f} s")
    print(
        f"  explain() on {len(exp):,} rows:                  {explain_s:8.2f} s  "
        f"({1e3 * explain_s / len(exp):.2f} ms a row)"
    )
    print(f"  check_attributions on {result.rows} rows, first call: {first_s:8.2f} s")
    print(
        f"  check_attributions on {result.rows} rows, warm (best of {len(warm)}): {best:6.2f} s  "
        f"({1e3 * best / result.rows:.1f} ms a row, {best / explain_s:.1f}x explain() of {len(exp):,} rows)"
    )
    if warm:
        print(
            f"  the model's own share (last warm call): calls {timer.calls:,}, rows {timer.rows:,}, "
            f"{timer.seconds:.2f} s; "
            f"the rest (shap's masking, TreeSHAP, the figures): {warm[-1] - timer.seconds:.2f} s"
        )
    f = result.figures
    print(
        f"  figures: rank rho {f['rank_rho']:.3f}, row rank rho {f['row_rank_rho']:.3f}, sign agreement "
        f"{f['sign_agreement']:.3f}, top-5 overlap {5 * f['top_k_overlap']:.2f}/5; poor: {result.poor}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import lightgbm as lgb
    from sklearn.model_selection import train_test_split

    from rai_widget.demos.tabular import load_hmda, train_loan_model

    X, y = load_hmda()
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    print(load())
    bench(
        "HMDA pipeline (permutation path)", train_loan_model(X_train, y_train), X_train, X_test, args.rows, args.repeat
    )
    booster = lgb.LGBMClassifier(n_estimators=200, num_leaves=15, verbose=-1, random_state=0).fit(X_train, y_train)
    bench("HMDA LightGBM (tree path)", booster, X_train, X_test, args.rows, args.repeat)
    print("\n" + load())
    return 0


if __name__ == "__main__":
    sys.exit(main())
