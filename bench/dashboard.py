"""Dashboard benchmark in a real JupyterLab on headless Chromium.

    python bench/dashboard.py [--rows 100000] [--features 30]

Measures, for a binary-classification explanation of ROWS x FEATURES with three cohorts:
- first view: from running the cell that displays the dashboard to the importance bars on screen
  (kernel-side serialisation, the comm transfer, decoding and the first draw);
- redraw after switching the active cohort or the class (to the next painted frame);
- the bytes the comm carries for the display (every kernel message over the page's websocket: the widget
  state, the data's chunks, the output), against the raw float32 bytes of the arrays it transports;
- how many messages that is, and the largest (rai_widget._transport keeps each under max_message_bytes).
Targets (issue: dashboard): first view < 2 s, switches < 100 ms, payload <= 1.2x raw; (issue: scale)
every message < 5 MB.
It reuses the browser fixtures of tests/browser (JupyterLab server, Chromium), so it needs what the
browser tests need (scripts/install_browser.sh and the dev extra).
"""

import argparse
import importlib.util
import json
import os
import sys
import tempfile

import pytest

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    out = os.path.join(tempfile.mkdtemp(prefix="rw-bench-"), "dashboard.json")
    os.environ.update(RW_BENCH_ROWS=str(args.rows), RW_BENCH_FEATURES=str(args.features), RW_BENCH_OUT=out)
    # tests/browser/conftest.py's fixtures, loaded as a plugin under its own name (pytest no longer takes a
    # plugin called "conftest" through -p)
    browser = os.path.join(REPO, "tests", "browser")
    sys.path.insert(0, browser)
    spec = importlib.util.spec_from_file_location("rw_browser_fixtures", os.path.join(browser, "conftest.py"))
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fixtures  # its dataclasses look their module up
    spec.loader.exec_module(fixtures)
    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", "--rootdir", BENCH, os.path.join(BENCH, "_dashboard_lab.py")],
        plugins=[fixtures],
    )
    if code != 0 or not os.path.exists(out):
        print("benchmark failed", file=sys.stderr)
        return 1
    r = json.load(open(out))
    ratio = r["synced_bytes"] / r["raw_float32_bytes"]
    slowest = max(r["switch_ms"].values())
    print(f"\nDashboard, {r['rows']:,} rows x {r['features']} features, binary classification, 3 cohorts")
    print(
        f"  first view (run cell -> bars on screen): {r['first_view_s']:.2f} s   target < 2 s   "
        f"{'met' if r['first_view_s'] < 2 else 'NOT MET'}"
    )
    for name, ms in r["switch_ms"].items():
        print(f"  {name:<55} {ms:7.1f} ms")
    print(f"  slowest redraw: {slowest:.1f} ms   target < 100 ms   {'met' if slowest < 100 else 'NOT MET'}")
    print(
        f"  comm payload for the display: {r['synced_bytes'] / 1e6:.1f} MB; raw float32 arrays "
        f"{r['raw_float32_bytes'] / 1e6:.1f} MB; ratio {ratio:.2f}x   target <= 1.2x   "
        f"{'met' if ratio <= 1.2 else 'NOT MET'}"
    )
    cap = r["cap_bytes"]
    print(
        f"  comm messages for the display: {r['messages']}, the largest {r['largest_message_bytes'] / 1e6:.2f} MB   "
        f"target < {cap / 1e6:.0f} MB (max_message_bytes)   {'met' if r['largest_message_bytes'] < cap else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
