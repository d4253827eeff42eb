"""How far the kernel's pass over every row is, in JupyterLab: while the population job of a cohort built in the
view runs, the note says "x of 8 partitions done on the cluster" with a progress bar, moving as partitions
finish; switching cohort cancels the pass (the engine's cancel is called in the kernel) and only the new
cohort's progress and figures show.

The large explanation is tests/population_fake.py's stand-in with the engine's side of the pass played in the
kernel: its population() tells the job's watch (rai_widget.explainers._distributed.PASS_WATCH) of 8 "futures"
and finishes one each time the test releases a semaphore, so every state is reached on purpose, not by timing.
The pass on a real cluster is tests/test_population_cancel.py's."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohort_editor import draft_cohort
from kernel_io import kernel_json, wait_for_kernel
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TESTS_DIR = Path(__file__).resolve().parents[1]  # population_fake.py: the kernel's PYTHONPATH has only the repo root
N_ROWS, SAMPLE_ROWS, PARTS = 3000, 300, 8
SETUP = [
    f"import sys, threading\nsys.path.insert(0, {str(TESTS_DIR)!r})\n"
    "import numpy as np, rai_widget as rw\n"
    "from population_fake import FakeLarge, credit_model\n"
    "from rai_widget.explainers._distributed import PASS_WATCH\n"
    "step, cancels = threading.Semaphore(0), []\n\n"
    "class Client:  # what the job's watch cancels the futures with\n"
    "    def cancel(self, futures):\n"
    "        cancels.append(len(futures))\n\n"
    "class Rows:\n"
    f"    lengths = np.full({PARTS}, {N_ROWS // PARTS})\n\n"
    "class Stepped(FakeLarge):\n"
    "    _rows = Rows()\n\n"
    "    def population(self, cohort):\n"
    "        watch, n = PASS_WATCH.get(), len(self._rows.lengths)\n"
    "        watch.started(Client(), list(range(n)))\n"
    "        for done in range(1, n + 1):\n"
    "            while not step.acquire(timeout=0.05):\n"
    "                if watch.cancelled:\n"
    "                    raise RuntimeError('the futures were cancelled')\n"
    "            watch.update(done, n)\n"
    "        return super().population(cohort)\n\n"
    f"explainer, X, y = credit_model({N_ROWS})\n"
    f"large = Stepped(explainer, X, y, sample_rows={SAMPLE_ROWS})\n"
    "dash = rw.ExplanationDashboard(large)",
    "dash",
]
TIMEOUT = 60_000  # ms, under load


def _release(run_cell, page, n: int) -> None:
    run_cell(page, f"for _ in range({n}): step.release()")


def test_the_note_shows_the_partitions_done_and_a_switch_cancels_the_pass(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    page = lab_page
    run_notebook(page, SETUP)
    view = cell_locator(page, 1).locator(".jp-OutputArea")
    note = view.get_by_test_id("population-note")
    expect(note).to_have_attribute("data-state", "known", timeout=TIMEOUT)
    bar = view.get_by_test_id("population-progress")
    expect(bar).to_have_count(0)

    draft_cohort(view, "older", "age", ">", "40").get_by_test_id("cohort-save").click()
    expect(note).to_have_attribute("data-state", "running", timeout=TIMEOUT)
    expect(note).to_contain_text(f"0 of {PARTS} partitions done on the cluster", timeout=TIMEOUT)
    expect(bar).to_have_attribute("max", str(PARTS))
    _release(run_cell, page, 3)
    expect(note).to_contain_text(f"3 of {PARTS} partitions done on the cluster", timeout=TIMEOUT)
    expect(bar).to_have_attribute("value", "3")
    expect(bar).to_have_attribute("aria-label", f"3 of {PARTS} partitions done")
    for theme in ("light", "dark"):
        set_theme(page, theme)
        for width in (1024, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            expect(bar).to_be_visible()
            screenshot(page, f"population_progress_{theme}_{width}", view.locator(".rw-header"))
    set_theme(page, "light")

    # another cohort: the running pass is cancelled in the kernel (all its futures), the new one's progress shows
    draft_cohort(view, "richer", "income", ">", "50").get_by_test_id("cohort-save").click()
    expect(note).to_contain_text("Computing “richer”", timeout=TIMEOUT)
    assert wait_for_kernel(run_cell, page, "cancels", lambda v: v == [PARTS]) == [PARTS]
    expect(note).to_contain_text(f"0 of {PARTS} partitions done", timeout=TIMEOUT)
    _release(run_cell, page, PARTS)
    expect(note).to_have_attribute("data-state", "known", timeout=TIMEOUT)
    expect(bar).to_have_count(0)
    want = kernel_json(run_cell, page, "int((X['income'] > 50).sum())")
    expect(view.get_by_test_id("rows-scope")).to_have_attribute("data-rows", str(want), timeout=TIMEOUT)
    assert kernel_json(run_cell, page, "[dash.population_result['cohort']['name'], cancels]") == ["richer", [PARTS]]
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
