"""exp.metrics() speed: 100,000 rows x 1,000 bootstrap resamples (binary, 3-class, regression), the point
figures alone beside scikit-learn's calls on the same rows, and the browser's twin (js/tabular/metrics/compute.ts,
bundled by esbuild and run in node) on the same sizes. Run: python bench/metrics.py (prints the machine load; measure when it is below 0.5)
"""

# ruff: noqa: E501  (the browser side is a JavaScript string)
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm

import rai_widget as rw

ROOT = Path(__file__).resolve().parents[1]
N, N_BOOT = 100_000, 1000


def classification(k: int) -> rw.TabularExplanation:
    rng = np.random.default_rng(k)
    p = rng.dirichlet(np.ones(k), N)
    top = p.argmax(axis=1)
    truth = np.where(rng.random(N) < 0.7, top, rng.integers(0, k, N))
    names = np.array([f"c{c}" for c in range(k)], dtype=object)
    return rw.TabularExplanation(
        data=pd.DataFrame({"x": rng.normal(size=N)}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((N, 1, k)),
        base_values=np.zeros(k),
        model_output=np.log(p),
        output_names=list(names),
        task="classification",
        units="log-odds",
        y_pred=names[top],
        y_true=names[truth],
        probabilities=p,
    )


def regression() -> rw.TabularExplanation:
    rng = np.random.default_rng(0)
    y_pred = rng.normal(size=N)
    return rw.TabularExplanation(
        data=pd.DataFrame({"x": y_pred}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((N, 1, 1)),
        base_values=np.zeros(1),
        surrogate_output=np.zeros((N, 1)),
        model_output=y_pred[:, None],
        output_names=["y"],
        task="regression",
        units="y",
        y_pred=y_pred,
        y_true=y_pred + rng.normal(size=N),
    )


def sklearn_point(exp) -> None:
    if exp.task == "regression":
        for f in (skm.mean_absolute_error, skm.root_mean_squared_error, skm.r2_score):
            f(exp.y_true, exp.y_pred)
        return
    skm.accuracy_score(exp.y_true, exp.y_pred)
    skm.precision_recall_fscore_support(exp.y_true, exp.y_pred, labels=exp.output_names, zero_division=0)
    skm.precision_recall_fscore_support(exp.y_true, exp.y_pred, average="macro", zero_division=0)
    skm.log_loss(exp.y_true, exp.probabilities, labels=exp.output_names)
    if len(exp.output_names) == 2:
        skm.roc_auc_score(exp.y_true == exp.output_names[1], exp.probabilities[:, 1])
    else:
        skm.roc_auc_score(exp.y_true, exp.probabilities, multi_class="ovr", labels=exp.output_names)


def timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


BROWSER = """
import { MetricsRun } from "%s/js/tabular/metrics/compute";
const n = %d, nBoot = %d;
let s = 1;
const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
for (const k of [2, 3]) {
  const yTrue = new Int32Array(n), yPred = new Int32Array(n), proba = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let tot = 0, best = 0;
    for (let c = 0; c < k; c++) { proba[i * k + c] = rnd(); tot += proba[i * k + c]; }
    for (let c = 0; c < k; c++) { proba[i * k + c] /= tot; if (proba[i * k + c] > proba[i * k + best]) best = c; }
    yPred[i] = best; yTrue[i] = rnd() < 0.7 ? best : Math.floor(rnd() * k);
  }
  const t0 = performance.now();
  const run = new MetricsRun({ task: "classification", classes: Array.from({ length: k }, (_, c) => "c" + c), yTrue, yPred, proba }, { ci: 0.95, nBoot, seed: 0 });
  const t1 = performance.now();
  while (!run.step(10)) {}
  console.log(`browser ${k === 2 ? "binary " : "3-class"}: values ${(t1 - t0).toFixed(0)} ms, ${nBoot} resamples ${((performance.now() - t1) / 1000).toFixed(2)} s`);
}
const yT = new Float64Array(n).map(() => rnd()), yP = yT.map((v) => v + rnd() - 0.5);
const t0 = performance.now();
const run = new MetricsRun({ task: "regression", yTrue: yT, yPred: yP }, { ci: 0.95, nBoot, seed: 0 });
while (!run.step(10)) {}
console.log(`browser regression: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
"""


def browser() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "bench.ts", Path(tmp) / "bench.js"
        src.write_text(BROWSER % (ROOT, N, N_BOOT))
        subprocess.run(
            ["npx", "esbuild", str(src), "--bundle", "--platform=node", f"--outfile={out}", "--log-level=warning"],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(["node", str(out)], check=True)


def main() -> None:
    print(f"{N:,} rows, {N_BOOT:,} resamples; load average {os.getloadavg()[0]:.2f} (figures count below 0.5)")
    for name, exp in (("binary ", classification(2)), ("3-class", classification(3)), ("regression", regression())):
        point = timed(lambda e=exp: e.metrics(n_boot=0))
        sk = timed(lambda e=exp: sklearn_point(e))
        boot = timed(lambda e=exp: e.metrics(n_boot=N_BOOT))
        print(
            f"python {name}: values {point * 1000:.0f} ms (sklearn's calls {sk * 1000:.0f} ms), with intervals {boot:.2f} s"
        )
    browser()


if __name__ == "__main__":
    main()
