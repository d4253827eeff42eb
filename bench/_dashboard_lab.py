"""Run by bench/dashboard.py (through pytest, to reuse the browser fixtures of tests/browser)."""

import json
import os
import time

ROWS = int(os.environ.get("RW_BENCH_ROWS", "100000"))
FEATURES = int(os.environ.get("RW_BENCH_FEATURES", "30"))
RESULTS = os.environ.get("RW_BENCH_OUT", "")

SETUP = f"""
import sys, numpy as np, rai_widget as rw
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from _teacher import Teacher, make_data
X = make_data({ROWS}, {FEATURES}, 0)
teacher = Teacher({FEATURES}, 0)
y = (teacher.predict_proba(X)[:, 1] > np.random.default_rng(0).random(len(X))).astype(int)
exp = rw.MimicExplainer(teacher, X).explain(X, y_true=y, progress=False)
cohorts = [rw.Cohort("feature_0 > 0", [rw.Filter("feature_0", ">", 0)]),
           rw.Cohort("errors", [rw.Filter("correct", "==", False)])]
"""

SWITCH = """
async ([testid, value]) => {
  const sel = document.querySelector(`[data-testid="${testid}"]`);
  const t0 = performance.now();
  sel.value = value;
  sel.dispatchEvent(new Event("change"));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));  // layout + paint
  return performance.now() - t0;
}
"""


def test_dashboard_speed(lab_page, run_notebook, run_cell, cell_locator):
    page = lab_page
    # Every message the kernel sends crosses the page's kernel websocket as one frame: count and measure them.
    frames: list[int] = []

    def on_websocket(ws):
        if "/api/kernels/" in ws.url:
            ws.on("framereceived", lambda b: frames.append(len(b.encode("utf-8") if isinstance(b, str) else b)))

    page.on("websocket", on_websocket)
    run_notebook(page, [SETUP], timeout=600)
    # The raw float32 bytes of the arrays (values, data, outputs, labels) the comm transports.
    raw = json.loads(
        run_cell(
            page,
            "import json\nn, f = exp.values.shape[:2]\n"
            "# values (class 1), data, both outputs, y_true and y_pred, confidence\n"
            "print(json.dumps(4 * (n * f + n * f + 2 * n + 2 * n + n)))",
        )
    )
    frames.clear()
    t0 = time.perf_counter()
    # the widget's state crosses the comm when it is created, its chunks after the cell: time both with the display
    run_cell(page, "dash = rw.ExplanationDashboard(exp, cohorts=cohorts)\ndash", timeout=120)
    bars = page.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible", timeout=60_000)
    first_view = time.perf_counter() - t0
    opened = list(frames)

    timings = {}
    for name, (testid, value) in {
        "cohort switch (feature_0 > 0, first time)": ("cohort-select", "feature_0 > 0"),
        "cohort switch (errors, first time)": ("cohort-select", "errors"),
        "cohort switch (All data, cached)": ("cohort-select", "All data"),
        "class switch (class 0)": ("class-select", "output:0"),
        "class switch (average)": ("class-select", "average"),
    }.items():
        timings[name] = page.evaluate(SWITCH, [testid, value])

    # again with the dependence plot of the top feature on screen (100k points on canvas)
    page.locator(".rw-bar-group").first.click()
    page.locator('[data-testid="dependence-plot"] canvas').first.wait_for(state="visible")
    for name, (testid, value) in {
        "with dependence plot: cohort switch (feature_0 > 0)": ("cohort-select", "feature_0 > 0"),
        "with dependence plot: cohort switch (All data)": ("cohort-select", "All data"),
        "with dependence plot: class switch (class 1)": ("class-select", "output:1"),
    }.items():
        timings[name] = page.evaluate(SWITCH, [testid, value])

    result = {
        "rows": ROWS,
        "features": FEATURES,
        "first_view_s": first_view,
        "switch_ms": timings,
        "synced_bytes": sum(opened),  # every message of the display: state, chunks, output, status
        "raw_float32_bytes": raw,
        "messages": len(opened),
        "largest_message_bytes": max(opened),
        "cap_bytes": 5_000_000,
    }
    if RESULTS:
        with open(RESULTS, "w") as fh:
            json.dump(result, fh, indent=1)
