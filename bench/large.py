"""One machine, many rows: explain() of 1,000,000 x 30 (or more) beside TreeSHAP the usual ways, in one run.

    python bench/large.py [--rows 1000000] [--features 30] [--fit-rows 100000] [--skip-shap] [--ours-only] [--repeat 1]

Every side explains the same rows of bench/_teacher.py's data with the same surrogate (the one our
MimicExplainer fit on the first --fit-rows rows), each in a fresh process so that each peak memory is its
own: wall time and the peak resident memory over what the process held before (the input frame and the
fitted explainer). The sides:

- ours, `explainer.explain(X)` with float64 values, and with `dtype="float32"`;
- LightGBM's own `booster.predict(X, pred_contrib=True)` on the encoded rows (values only: no model call,
  no fidelity, and both mirrored outputs of a binary classifier are not built);
- `shap.TreeExplainer(booster).shap_values(X)`, the recipe users write (skipped with --skip-shap).

Target (issue #17): ours at 1,000,000 x 30 in <= 10 s with a peak <= 1 GB over the input, on 2 cores.
Measure on a quiet machine: before each side the script waits (up to 4 min) for the load average to fall
below 0.5, and prints the load each side started at.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, REPO)

from _quiet import settle  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_EXTRA_MB = 1024.0


def _status(field: str) -> float:
    """A field of /proc/self/status in MB (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak() -> None:
    """Start VmHWM afresh at the current RSS (Linux: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def side(name: str, rows: int, features: int, fit_rows: int) -> dict:
    """Run one side in this process and return its figures."""
    import gc

    import numpy as np
    import pandas as pd
    from _teacher import Teacher, make_data

    import rai_widget as rw

    frame = pd.DataFrame(make_data(rows, features, 0), columns=[f"f{j}" for j in range(features)])
    explainer = rw.MimicExplainer(Teacher(features), frame.iloc[:fit_rows])
    explainer.explain(frame.iloc[:2000], progress=False)  # compile the kernels outside the timing
    booster = explainer.surrogates[0]
    if name.startswith("shap"):
        import shap

        tree = shap.TreeExplainer(booster)
        tree.shap_values(explainer.schema.encode(frame.iloc[:2000]))
    gc.collect()
    before = _status("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    if name == "ours float64":
        exp = explainer.explain(frame, progress=False)
        extra = {"r2": exp.fidelity["r2"], "agreement": exp.fidelity["agreement"]}
    elif name == "ours float32":
        exp = explainer.explain(frame, progress=False, dtype="float32")
        extra = {"r2": exp.fidelity["r2"], "agreement": exp.fidelity["agreement"]}
    elif name == "lightgbm pred_contrib":
        contrib = booster.predict(explainer.schema.encode(frame), pred_contrib=True)
        extra = {"values_mb": contrib.nbytes / 2**20}
    elif name == "shap TreeExplainer":
        values = tree.shap_values(explainer.schema.encode(frame))
        extra = {"values_mb": np.asarray(values).nbytes / 2**20}
    else:
        raise ValueError(name)
    seconds = time.perf_counter() - start
    return {"side": name, "seconds": seconds, "extra_mb": _status("VmHWM") - before, "before_mb": before, **extra}


SIDES = ["ours float64", "ours float32", "lightgbm pred_contrib", "shap TreeExplainer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--fit-rows", type=int, default=100_000)
    parser.add_argument("--skip-shap", action="store_true")
    parser.add_argument("--ours-only", action="store_true", help="only the two sides of ours (quick)")
    parser.add_argument("--repeat", type=int, default=1, help="run each side this many times, alternating")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # the child process's one side
    args = parser.parse_args()
    if args.side:
        print(json.dumps(side(args.side, args.rows, args.features, args.fit_rows)))
        return
    sides = [s for s in SIDES if not (args.skip_shap and s.startswith("shap"))]
    if args.ours_only:
        sides = [s for s in sides if s.startswith("ours")]
    sides = sides * max(1, args.repeat)
    print(f"explain {args.rows:,} x {args.features} (surrogate fit on {args.fit_rows:,} rows), 2 cores")
    results = []
    for name in sides:
        load = settle()
        cmd = [sys.executable, __file__, "--side", name, "--rows", str(args.rows)]
        cmd += ["--features", str(args.features), "--fit-rows", str(args.fit_rows)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-2000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1]) | {"load": load}
        results.append(result)
        seconds, extra = result["seconds"], result["extra_mb"]
        print(f"  {name:24s} {seconds:7.2f} s   peak {extra:7.0f} MB over the input (load {load:.2f})")
    ours = next((r for r in results if r["side"] == "ours float64"), None)
    if ours:
        for r in results:
            if r is not ours:
                print(f"  {r['side']:24s} takes {r['seconds'] / ours['seconds']:.2f}x ours (float64)")
        print(f"  fidelity of ours: R^2 {ours['r2']:.3f}, class agreement {ours['agreement']:.3f}")
        best = min((r for r in results if r["side"].startswith("ours")), key=lambda r: r["seconds"])
        ok = best["seconds"] <= TARGET_SECONDS and best["extra_mb"] <= TARGET_EXTRA_MB
        print(
            f"target <= {TARGET_SECONDS:.0f} s and <= {TARGET_EXTRA_MB:.0f} MB over the input: "
            f"{'met' if ok else 'NOT met'} ({best['side']}: {best['seconds']:.2f} s, {best['extra_mb']:.0f} MB)"
        )
    if os.getloadavg()[0] > 1.0:
        print("warning: the machine is busy (load above 1 on 2 cores): the figures are skewed")


if __name__ == "__main__":
    main()
