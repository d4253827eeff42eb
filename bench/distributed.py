"""Distributed benchmark: ``explain()`` of a dask frame on a LocalCluster, beside what users write today.

    python bench/distributed.py [--rows 10000000] [--features 30] [--workers 2] [--partition-rows N]
                                [--out DIR] [--skip-naive] [--skip-scaling] [--reference-rows N] [--seed 0]

In one run, on the same LocalCluster (``--workers`` processes, one thread each):

- ours: ``MimicExplainer(teacher, X_train).explain(ddf, y_true=...)``: the model's predictions and TreeSHAP per
  partition, importance / fidelity / metrics / dependence over all rows reduced on the cluster, and the
  stratified sample of 100,000 rows (a second pass over X's partitions: the model and TreeSHAP on the drawn rows);
  with ``--out`` also the Parquet dataset of every row's attributions;
- the naive recipe: ``ddf.map_partitions(lambda df: shap.TreeExplainer(surrogate).shap_values(df))`` on the
  same surrogate, reduced to mean |value| per feature on the cluster (so collecting the values is not counted
  against it);
- LightGBM's own ``pred_contrib`` per partition, reduced the same way;
- the scaling of ours from 1 worker to ``--workers``.

Wall time, peak RSS per worker (each run starts on fresh worker processes: ``client.restart()``, then a small
warm-up that compiles the TreeSHAP kernel) and of this client process; the ratios; the load average
(``uptime``) before and after, since on a shared 2-core machine any other job skews every figure. The data are
bench/_teacher.py's, made on the workers, one seed per partition: the client never holds X. The projection of
1 billion rows on N workers (printed, for bench/README.md) is the measured cost per row and worker times
1e9 / N, over the measured scaling efficiency.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
# This file is named distributed.py: with bench/ on the path (python puts a script's folder first), `import
# distributed` would find it instead of dask's. Take bench/ off the path and load the teacher by file.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != BENCH]
sys.path.insert(0, REPO)
_spec = importlib.util.spec_from_file_location("_teacher", os.path.join(BENCH, "_teacher.py"))
assert _spec is not None and _spec.loader is not None
_teacher = importlib.util.module_from_spec(_spec)
sys.modules["_teacher"] = _teacher
_spec.loader.exec_module(_teacher)
Teacher, make_data = _teacher.Teacher, _teacher.make_data

TRAIN_ROWS = 100_000
PROJECTED_ROWS = 1_000_000_000
PROJECTED_WORKERS = (2, 8, 32, 128, 512)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_partition(i: int, rows: int, features: int, seed: int) -> pd.DataFrame:
    """Partition i of the data, made where it runs: its own seed, so no partition repeats another."""
    X = make_data(rows, features, seed=seed + 1_000 + i)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(features)])


def labels(X: pd.DataFrame, teacher: Teacher, seed: int) -> pd.Series:
    """y_true drawn from the teacher's probabilities (so some rows are wrong), per partition."""
    p = teacher.predict_proba(X.to_numpy())[:, 1]
    u = np.random.RandomState(seed).random_sample(len(X))
    return pd.Series((u < p).astype(np.int64), index=X.index)


def dataset(rows: int, features: int, partition_rows: int, seed: int, teacher: Teacher):
    import dask.dataframe as dd

    sizes = [min(partition_rows, rows - s) for s in range(0, rows, partition_rows)]
    meta = make_partition(0, 0, features, seed)
    X = dd.from_map(make_partition, range(len(sizes)), sizes, [features] * len(sizes), [seed] * len(sizes), meta=meta)
    y = X.map_partitions(labels, teacher, seed, meta=pd.Series(dtype=np.int64))
    return X, y


def fresh(client) -> None:
    """New worker processes, so each run's peak RSS is its own."""
    client.restart()


def worker_peaks(client) -> list[float]:
    return sorted(client.run(peak_rss_mb).values())


def warm_up(client, explainer, features: int, seed: int) -> None:
    """Compile the TreeSHAP kernel in every worker (numba, once per process) on a tiny frame."""
    import dask.dataframe as dd

    tiny = dd.from_pandas(make_partition(0, 2_000, features, seed), npartitions=len(client.scheduler_info()["workers"]))
    explainer.explain(tiny, sample_rows=100, progress=False)


def run_ours(client, explainer, X, y, out_dir, features, seed) -> dict:
    fresh(client)
    warm_up(client, explainer, features, seed)
    before = peak_rss_mb()
    start = time.perf_counter()
    out = os.path.join(out_dir, f"attributions-{time.time_ns()}.parquet") if out_dir else None
    large = explainer.explain(X, y_true=y, out=out, dtype="float32", progress=True)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": large.n_rows,
        "r2": large.fidelity["r2"],
        "agreement": large.fidelity["agreement"],
        "sample_rows": len(large.sample),
        "worker_peak_rss_mb": worker_peaks(client),
        "client_peak_rss_mb": peak_rss_mb(),
        "client_peak_rss_before_mb": before,
        "out": out,
    }


def run_naive(client, explainer, X, features, seed) -> dict:
    """The recipe users write: shap's TreeExplainer on the surrogate, built in every partition."""
    import shap

    surrogate = explainer.surrogates[0]
    columns = [f"x{j}" for j in range(features)]

    def naive(df):
        return pd.DataFrame(shap.TreeExplainer(surrogate).shap_values(df), columns=columns, index=df.index)

    fresh(client)
    start = time.perf_counter()
    total = X.map_partitions(naive, meta=X._meta).abs().sum().compute()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "checksum": float(total.sum()), "worker_peak_rss_mb": worker_peaks(client)}


def run_pred_contrib(client, explainer, X, features) -> dict:
    surrogate = explainer.surrogates[0]
    columns = [f"x{j}" for j in range(features)]

    def contrib(df):
        values = surrogate.predict(df.to_numpy(), pred_contrib=True)[:, :-1]
        return pd.DataFrame(values, columns=columns, index=df.index)

    fresh(client)
    start = time.perf_counter()
    total = X.map_partitions(contrib, meta=X._meta).abs().sum().compute()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "checksum": float(total.sum()), "worker_peak_rss_mb": worker_peaks(client)}


def cluster(workers: int):
    from dask.distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False},
            host="127.0.0.1",
        )
    return local, Client(local)


def fmt(value, spec=".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition-rows", type=int, default=None, help="default: 250,000 (fewer for small runs)")
    parser.add_argument("--out", default=None, help="write ours' Parquet dataset into this folder (removed after)")
    parser.add_argument("--skip-naive", action="store_true", help="skip shap's recipe and pred_contrib")
    parser.add_argument("--skip-scaling", action="store_true", help="skip the 1-worker run")
    parser.add_argument(
        "--reference-rows",
        type=int,
        default=None,
        help="run the naive recipe and pred_contrib on the first partitions holding this many rows (default: all); "
        "their ratio to ours is then per row",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    partition_rows = args.partition_rows or min(250_000, max(10_000, args.rows // 16))

    import cloudpickle

    cloudpickle.register_pickle_by_value(_teacher)  # the workers need not find bench/ on their path
    import rai_widget as rw

    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{args.rows:,} x {args.features} in partitions of {partition_rows:,}, {args.workers} workers x 1 thread"
    )
    load_before = uptime()
    print(f"before: {load_before}")
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("WARNING: the machine is busy; timings will be noisy")

    teacher = Teacher(args.features, seed=args.seed)
    X_train = pd.DataFrame(
        make_data(TRAIN_ROWS, args.features, args.seed), columns=[f"x{j}" for j in range(args.features)]
    )
    start = time.perf_counter()
    explainer = rw.MimicExplainer(teacher, X_train)
    fit_seconds = time.perf_counter() - start
    print(f"surrogate fit on {TRAIN_ROWS:,} rows (on the client): {fit_seconds:.1f} s")
    X, y = dataset(args.rows, args.features, partition_rows, args.seed, teacher)

    out_dir = tempfile.mkdtemp(dir=args.out) if args.out else None
    results: dict = {"fit_seconds": fit_seconds}
    local, client = cluster(args.workers)
    try:
        results["ours"] = run_ours(client, explainer, X, y, out_dir, args.features, args.seed)
        if not args.skip_naive:
            parts = X.npartitions
            if args.reference_rows and args.reference_rows < args.rows:
                parts = -(-args.reference_rows // partition_rows)
            reference_X = X.partitions[:parts]
            reference_rows = min(args.rows, parts * partition_rows)
            results["naive"] = run_naive(client, explainer, reference_X, args.features, args.seed)
            results["pred_contrib"] = run_pred_contrib(client, explainer, reference_X, args.features)
            for key in ("naive", "pred_contrib"):
                results[key]["rows"] = reference_rows
    finally:
        client.close()
        local.close()
    if not args.skip_scaling and args.workers > 1:
        local, client = cluster(1)
        try:
            results["ours_1_worker"] = run_ours(client, explainer, X, y, out_dir, args.features, args.seed)
        finally:
            client.close()
            local.close()
    if out_dir:
        import shutil

        shutil.rmtree(out_dir, ignore_errors=True)
    load_after = uptime()

    ours = results["ours"]
    rows = [("ours (explain: values, all-row figures, sample)", ours)]
    if "naive" in results:
        rows += [("naive: shap.TreeExplainer per partition", results["naive"])]
        rows += [("LightGBM pred_contrib per partition", results["pred_contrib"])]
    if "ours_1_worker" in results:
        rows += [("ours on 1 worker", results["ours_1_worker"])]
    print()
    print(f"{'run':<52} {'rows':>11} {'wall s':>8} {'x ours':>7} {'peak RSS per worker MB':>24}")
    for name, r in rows:
        n = r.get("rows", ours["rows"])
        ratio = (r["seconds"] / n) / (ours["seconds"] / ours["rows"])  # per row: a reference may run on fewer
        peaks = ", ".join(f"{p:.0f}" for p in r["worker_peak_rss_mb"])
        print(f"{name:<52} {n:>11,} {r['seconds']:>8.1f} {ratio:>7.2f} {peaks:>24}")
    if any(r.get("rows", ours["rows"]) != ours["rows"] for _, r in rows):
        print("(x ours is per row: a run on fewer rows is compared by its time per row)")
    print(
        f"client peak RSS: {ours['client_peak_rss_mb']:.0f} MB (before explain(): "
        f"{ours['client_peak_rss_before_mb']:.0f} MB, with the surrogate's fit)"
    )
    print(f"fidelity over all {ours['rows']:,} rows: R^2 {ours['r2']:.4f}, agreement {ours['agreement']:.4f}")
    cost = ours["seconds"] * args.workers / args.rows  # worker-seconds per row
    efficiency = 1.0
    if "ours_1_worker" in results:
        speedup = results["ours_1_worker"]["seconds"] / ours["seconds"]
        efficiency = speedup / args.workers
        print(f"scaling 1 -> {args.workers} workers: {speedup:.2f}x ({efficiency:.0%} of linear)")
    results["cost_worker_seconds_per_row"] = cost
    results["efficiency"] = efficiency
    print()
    print(
        f"projection: {PROJECTED_ROWS:,} rows x {args.features} features ({cost * 1e6:.2f} worker-s per million rows)"
    )
    measured = "ours_1_worker" in results
    print(f"(at the measured scaling efficiency, {efficiency:.0%})" if measured else "(scaling not measured: linear)")
    print("| workers | hours |")
    print("| ---: | ---: |")
    projection = {}
    for n in PROJECTED_WORKERS:
        hours = PROJECTED_ROWS * cost / n / min(1.0, efficiency) / 3600
        projection[n] = hours
        print(f"| {n} | {hours:.2f} |")
    results["projection_hours"] = projection
    print(f"after: {load_after}")

    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    path = os.path.join(BENCH, "results", f"distributed-{args.rows}x{args.features}-{args.workers}w.json")
    with open(path, "w") as f:
        json.dump(
            {
                "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "cores": os.cpu_count(),
                "rows": args.rows,
                "features": args.features,
                "workers": args.workers,
                "partition_rows": partition_rows,
                "load_before": load_before,
                "load_after": load_after,
                **results,
            },
            f,
            indent=1,
            default=str,
        )
    print(f"written: {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    main()
