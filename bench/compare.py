"""exp.compare() speed: two cohorts of a 100,000 x 30 binary explanation, 1,000 bootstrap resamples, beside
the explanation's own cost (MimicExplainer.explain on the same rows), and the browser's twin
(js/tabular/compare.ts, bundled by esbuild and run in node) on the same sizes.

Run: python bench/compare.py [--rows N] [--skip-explain]. It prints the machine load; figures count when
it is below 0.5 (on a loaded machine, check only that the script runs).
"""

# ruff: noqa: E501  (the browser side is a JavaScript string)
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import rai_widget as rw

ROOT = Path(__file__).resolve().parents[1]
F, N_BOOT = 30, 1000


def data(n: int) -> tuple[pd.DataFrame, Callable]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, F)), columns=[f"x{j}" for j in range(F)])
    w = rng.normal(size=F) / np.sqrt(F)

    def predict_proba(frame):
        z = frame.to_numpy() @ w + 0.8 * frame["x0"].to_numpy() * (frame["x1"].to_numpy() > 0)
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    return X, predict_proba


def timed(f):
    start = time.perf_counter()
    out = f()
    return time.perf_counter() - start, out


BROWSER = """
import { ResampleRun } from "%s/js/tabular/compare";
const n = %d, f = %d, nBoot = %d;
let s = 1;
const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
for (const [name, nA, nB] of [["half vs half", n / 2, n / 2], ["half vs all data", n / 2, n]]) {
  const a = new Float64Array(nA * f).map(rnd), b = new Float64Array(nB * f).map(rnd);
  const t0 = performance.now();
  const runA = new ResampleRun(a, f, nBoot, 0, 0);
  const runB = new ResampleRun(b, f, nBoot, 0, nBoot * nA);
  while (!runA.step(1)) {}
  while (!runB.step(1)) {}
  console.log(`browser ${name} (${nA.toLocaleString()} + ${nB.toLocaleString()} rows): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
"""


def browser(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "bench.ts", Path(tmp) / "bench.js"
        src.write_text(BROWSER % (ROOT, n, F, N_BOOT))
        subprocess.run(
            ["npx", "esbuild", str(src), "--bundle", "--platform=node", f"--outfile={out}", "--log-level=warning"],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(["node", str(out)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-explain", action="store_true", help="random values in place of explain()'s")
    args = parser.parse_args()
    n = args.rows
    load = os.getloadavg()[0]
    print(f"{n:,} rows x {F} features, {N_BOOT:,} resamples; load average {load:.2f} (figures count below 0.5)")
    X, predict_proba = data(n)
    if args.skip_explain:
        rng = np.random.default_rng(1)
        v = rng.normal(size=(n, F, 1))
        out = v.sum(axis=1)
        exp = rw.TabularExplanation(
            data=X,
            feature_names=list(X.columns),
            feature_kinds=["numeric"] * F,
            values=np.concatenate([-v, v], axis=2),
            base_values=np.zeros(2),
            model_output=np.column_stack([-out, out]),
            output_names=["no", "yes"],
            task="classification",
            units="log-odds",
            y_pred=np.where(out[:, 0] > 0, "yes", "no"),
            probabilities=np.column_stack([1 / (1 + np.exp(out)), 1 / (1 + np.exp(-out))]),
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rw.FidelityWarning)
            fit, explainer = timed(
                lambda: rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"])
            )
            seconds, exp = timed(lambda: explainer.explain(X, progress=False))
        print(f"the explanation: MimicExplainer(...) {fit:.1f} s (the surrogate's fit), explain(X) {seconds:.1f} s")
    half = rw.Cohort("x1 > 0", [rw.Filter("x1", ">", 0)])
    other = rw.Cohort("x1 <= 0", [rw.Filter("x1", "<=", 0)])
    for name, a, b in (("half vs half", half, other), ("half vs all data", half, None)):
        point, _ = timed(lambda a=a, b=b: exp.compare(a, b, n_boot=0))
        seconds, df = timed(lambda a=a, b=b: exp.compare(a, b, n_boot=N_BOOT, progress=False))
        rows = f"{df.attrs['rows_a']:,} + {df.attrs['rows_b']:,} rows"
        print(
            f"python {name} ({rows}): values {point * 1000:.0f} ms, with intervals {seconds:.2f} s; "
            f"{int(df.excludes_zero.sum())} of {F} intervals exclude 0"
        )
    browser(n)
    if os.getloadavg()[0] > 0.5 or load > 0.5:
        print("(the machine was loaded: these figures do not count)")


if __name__ == "__main__":
    main()
