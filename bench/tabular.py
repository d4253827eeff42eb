"""Tabular benchmark: rw.MimicExplainer beside interpret-community's MimicExplainer, in one run.

    python bench/tabular.py [--rows 100000] [--features 30] [--seed 0] [--skip-reference] [--repeat 1]

Both explain the same numpy-only teacher (bench/_teacher.py) on the same rows: surrogate fit plus
local values for every row. Ours runs in this process; the reference runs in bench/.venv-ref
(make it with bench/make_reference_env.sh) through bench/_reference_tabular.py.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
REFERENCE_PYTHON = os.path.join(BENCH, ".venv-ref", "bin", "python")
sys.path.insert(0, BENCH)
sys.path.insert(0, REPO)

from _teacher import Teacher, fidelity, make_data  # noqa: E402

TARGET_SPEEDUP = 10
TARGET_R2 = 0.95


def run_ours(X, teacher):
    # The package may be half-written while this is developed: report the failure, run the rest.
    try:
        import rai_widget as rw

        start = time.perf_counter()
        explainer = rw.MimicExplainer(teacher, X)
        fitted = time.perf_counter()
        exp = explainer.explain(X)
        done = time.perf_counter()
        result = {
            "seconds": done - start,
            "fit_seconds": fitted - start,
            "explain_seconds": done - fitted,
            "r2": float(exp.fidelity["r2"]),
            "agreement": float(exp.fidelity["agreement"]),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        # Cross-check: the reference's yardstick applied to our surrogate's class-1 log-odds.
        logodds = np.asarray(exp.surrogate_output)
        logodds = logodds[:, -1] if logodds.ndim == 2 else logodds
        result["r2_yardstick"], result["agreement_yardstick"] = fidelity(logodds, teacher, X)
        return result
    except Exception as error:
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"}


def run_reference(X, seed):
    if not os.path.exists(REFERENCE_PYTHON):
        sys.exit("no reference env: run bench/make_reference_env.sh (or pass --skip-reference)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.npy")
        np.save(path, X)
        proc = subprocess.run(
            [REFERENCE_PYTHON, os.path.join(BENCH, "_reference_tabular.py"), path, "--seed", str(seed)],
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best(runs):
    """The fastest run; timings on a shared 2-core machine only ever err on the slow side."""
    timed = [run for run in runs if "seconds" in run]
    return min(timed, key=lambda run: run["seconds"]) if timed else runs[-1]


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def print_table(rows, features, ours, ref):
    ratio = ref["seconds"] / ours["seconds"] if "seconds" in ours and "seconds" in ref else None
    columns = [
        ("rows x features", f"{rows:,} x {features}"),
        ("ours s", fmt(ours.get("seconds"), ".2f")),
        ("ref s", fmt(ref.get("seconds"), ".2f")),
        ("ref/ours", fmt(ratio, ".1f")),
        ("our R^2", fmt(ours.get("r2"), ".4f")),
        ("our agree", fmt(ours.get("agreement"), ".4f")),
        ("ref R^2", fmt(ref.get("r2"), ".4f")),
        ("ref agree", fmt(ref.get("agreement"), ".4f")),
        ("our peak RSS MB", fmt(ours.get("peak_rss_mb"), ".0f")),
        ("ref peak RSS MB", fmt(ref.get("peak_rss_mb"), ".0f")),
    ]
    widths = [max(len(name), len(value)) for name, value in columns]
    print(" | ".join(name.rjust(w) for (name, _), w in zip(columns, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    print(" | ".join(value.rjust(w) for (_, value), w in zip(columns, widths, strict=True)))
    if ratio is None or "r2" not in ours:
        verdict = "unknown (a side did not run)"
    elif ratio >= TARGET_SPEEDUP and ours["r2"] >= TARGET_R2:
        verdict = "MET"
    else:
        verdict = "NOT MET"
    print(f"target: ours <= 1/{TARGET_SPEEDUP} of the reference's time at R^2 >= {TARGET_R2}: {verdict}")
    return verdict


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two sides N times, keep each best")
    args = parser.parse_args()

    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    if os.getloadavg()[0] > 0.5 * os.cpu_count():
        print("WARNING: the machine is busy; timings will be noisy")
    X = make_data(args.rows, args.features, args.seed)
    teacher = Teacher(args.features, seed=args.seed)
    ours_runs, ref_runs = [], []
    for _ in range(args.repeat):
        ours_runs.append(run_ours(X, teacher))
        ref_runs.append({"error": "skipped"} if args.skip_reference else run_reference(X, args.seed))
    ours, ref = best(ours_runs), best(ref_runs)

    for side, result in (("ours", ours), ("reference", ref)):
        if "error" in result:
            print(f"{side}: {result['error']}")
    if "r2_yardstick" in ours and abs(ours["r2_yardstick"] - ours["r2"]) > 1e-3:
        print(f"note: exp.fidelity r2 {ours['r2']:.4f} != yardstick r2 {ours['r2_yardstick']:.4f}")
    if "teacher_checksum" in ref:
        local = float(teacher.decision_function(X).sum())
        if not np.isclose(local, ref["teacher_checksum"], rtol=1e-9, atol=1e-6):
            print(f"WARNING: teachers differ across envs ({local} vs {ref['teacher_checksum']})")
    if "seconds" in ours:
        print(f"ours: fit {ours['fit_seconds']:.2f} s + explain {ours['explain_seconds']:.2f} s")
    if "seconds" in ref:
        print(
            f"reference: fit {ref['fit_seconds']:.2f} s + explain_global "
            f"{ref['explain_global_seconds']:.2f} s (explain_local(X) alone: "
            f"{ref['explain_local_seconds']:.2f} s), surrogate {ref['surrogate']}"
        )
    verdict = print_table(args.rows, args.features, ours, ref)

    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    with open(os.path.join(BENCH, "results", f"tabular-{args.rows}x{args.features}.json"), "w") as f:
        json.dump(
            {
                "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "cores": os.cpu_count(),
                "rows": args.rows,
                "features": args.features,
                "repeat": args.repeat,
                "ours": ours,
                "reference": ref,
                "target": verdict,
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
