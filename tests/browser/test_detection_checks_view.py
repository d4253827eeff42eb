"""The D-RISE maps' checks in Chromium: each detection's pointing game and share of saliency in its box, the
masks' verdict and the active cohort's pointing game, read in the offline report (network refused) and in
JupyterLab against the figures Python computed."""

from pathlib import Path

import numpy as np
import pytest
from offline import open_offline
from scenes import square_detector

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]


def scene(squares=SQUARES, value=230):
    img = np.full((64, 64, 3), 20, dtype=np.uint8)
    for x0, y0, x1, y1 in squares:
        img[y0:y1, x0:x1] = value
    return img


# Python's wording of the figures (js/detection/checks.ts writes the same from the payload)
def peak_text(row) -> str:
    if np.isnan(row["peak_x"]):
        return "✗ no peak: the map is flat"
    if row["pointing_hit"]:
        assert row["peak_distance"] == 0 and row["tied_peaks"] == 1  # what these scenes give
        return "✓ peak inside the box"
    away = float(f"{row['peak_distance']:.1f}")
    return f"✗ peak outside the box ({away:g} px away)"


def energy_text(row) -> str:
    return f"{row['energy_inside']:.0%} of the saliency inside the box (the box is {row['box_share']:.0%} of the image)"


def pointing_text(exp, cohort_name, cohort=None, threshold=0.0) -> str:
    share = exp.pointing_game(cohort, min_score=threshold)
    where = f"Pointing game in the cohort '{cohort_name}'" + (f" at score ≥ {threshold:.2f}" if threshold > 0 else "")
    noun = "detection" if share["detections"] == 1 else "detections"
    return (
        f"{where}: {share['hits']} of {share['detections']} {noun} ({share['share']:.0%}) with the peak inside the box"
    )


@pytest.fixture(scope="module")
def checked_report(tmp_path_factory):
    """Three scenes; in the second, each detection gets the next one's map (a deliberately wrong map: it
    points at another square), so the pointing game misses there."""
    made = rw.DetectionExplainer(square_detector, num_masks=400, mask_res=(6, 6)).explain(
        [scene(), scene(SQUARES[:2], 200), scene(SQUARES[2:])]
    )
    saliency = list(made.saliency)
    saliency[1] = saliency[1][::-1].copy()
    exp = rw.DetectionExplanation(
        images=made.images,
        detections=made.detections,
        saliency=saliency,
        output_names=made.output_names,
        model_output=made.model_output,
        params=made.params,
        convergence=made.convergence,
    )
    cohorts = [rw.Cohort("two or more", [rw.Filter("detections", ">=", 2)])]
    path = exp.save_html(tmp_path_factory.mktemp("checks") / "checks.html", cohorts=cohorts)
    return exp, path


def _texts(page, testid):
    return page.locator(f'[data-testid="{testid}"]').all_text_contents()


def _items_of(exp, i):
    table = exp.localisation
    return table[table["image"] == i].to_dict("records")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_shows_each_detections_checks_as_python_computed_them(browser, checked_report, scheme):
    from playwright.sync_api import expect

    exp, path = checked_report
    opened = open_offline(browser, path, scheme=scheme, width=1024)
    page = opened.page
    view = page.locator('[data-testid="detection-view"]')
    view.wait_for(state="visible", timeout=30_000)
    assert exp.convergence is not None
    expect(page.get_by_test_id("mask-agreement")).to_have_text(exp.convergence["verdict"], timeout=30_000)
    expect(page.get_by_test_id("pointing-game-share")).to_have_text(pointing_text(exp, "All data"))
    assert exp.pointing_game()["hits"] == 4 < exp.pointing_game()["detections"] == 6  # image 1's two miss

    for i in range(3):
        page.get_by_test_id("image-thumb").nth(i).click()
        expect(page.locator('[data-testid="detection-canvas"]')).to_have_attribute(
            "data-drawn", f"{i}:0", timeout=30_000
        )
        rows = _items_of(exp, i)
        assert _texts(page, "detection-peak") == [peak_text(r) for r in rows]
        assert _texts(page, "detection-energy") == [energy_text(r) for r in rows]
        r = exp.convergence["agreement"][i][0]
        noise = exp.convergence["noise"][i][0]
        want = f"The picked detection's map: mask halves agree at r {r:.2f}; noise ±{noise:.0%} of the map's range"
        assert _texts(page, "detection-agreement") == [want]
    assert any(not r["pointing_hit"] for r in _items_of(exp, 1))

    # the active cohort and the score threshold change the count, as exp.pointing_game counts
    page.get_by_test_id("cohort-select").select_option("two or more")
    two = rw.Cohort("two or more", [rw.Filter("detections", ">=", 2)])
    expect(page.get_by_test_id("pointing-game-share")).to_have_text(pointing_text(exp, "two or more", two))
    cut = sorted(d["score"] for dets in exp.detections for d in dets)[1]
    page.get_by_test_id("score-threshold").fill(f"{cut:.2f}")
    expect(page.get_by_test_id("pointing-game-share")).to_have_text(
        pointing_text(exp, "two or more", two, float(f"{cut:.2f}"))
    )
    page.get_by_test_id("score-threshold").fill("0")
    page.get_by_test_id("cohort-select").select_option("All data")
    page.get_by_test_id("image-thumb").nth(1).click()
    expect(page.locator('[data-testid="detection-canvas"]')).to_have_attribute("data-drawn", "1:0", timeout=30_000)
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"detection_checks_{scheme}_{width}.png"), full_page=True)
    page.close()


def test_a_report_of_a_file_saved_before_the_checks_says_the_masks_were_not_recorded(browser, tmp_path):
    from playwright.sync_api import expect

    old = rw.load(Path(__file__).parents[1] / "saved_v1" / "detection.npz")
    opened = open_offline(browser, old.save_html(tmp_path / "old.html"))
    page = opened.page
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=30_000)
    expect(page.get_by_test_id("mask-agreement")).to_have_text(
        "D-RISE's mask agreement is not recorded: the explanation was saved before rai-widget checked it, or made "
        "without explain()."
    )
    shown = int(page.locator('[data-testid="detection-canvas"]').get_attribute("data-drawn").split(":")[0])
    assert _texts(page, "detection-energy") == [energy_text(r) for r in _items_of(old, shown)]
    expect(page.get_by_test_id("pointing-game-share")).to_have_text(pointing_text(old, "All data"))
    assert not opened.blocked and not opened.errors
    page.close()


LAB_SETUP = [
    "import sys, numpy as np, rai_widget as rw\n"
    f"sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
    "from scenes import square_detector\n"
    "img = np.full((64, 64, 3), 20, dtype=np.uint8)\n"
    f"for x0, y0, x1, y1 in {SQUARES!r}:\n"
    "    img[y0:y1, x0:x1] = 230\n"
    "exp = rw.DetectionExplainer(square_detector, num_masks=200, mask_res=(6, 6)).explain([img])\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]


def test_jupyterlab_renders_the_checks(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    from kernel_io import kernel_json
    from playwright.sync_api import expect

    page = lab_page
    run_notebook(page, LAB_SETUP)
    view = cell_locator(page, 1).locator(".jp-OutputArea").get_by_test_id("detection-view")
    view.wait_for(state="visible")
    verdict = kernel_json(run_cell, page, "exp.convergence['verdict']")
    expect(view.get_by_test_id("mask-agreement")).to_have_text(verdict)
    energy = kernel_json(run_cell, page, "exp.localisation[['energy_inside', 'box_share']].values.tolist()")
    want = [f"{e:.0%} of the saliency inside the box (the box is {b:.0%} of the image)" for e, b in energy]
    expect(view.get_by_test_id("detection-energy")).to_have_text(want)
    expect(view.get_by_test_id("detection-peak")).to_have_text(["✓ peak inside the box"] * 3)
    expect(view.get_by_test_id("pointing-game-share")).to_have_text(
        "Pointing game in the cohort 'All data': 3 of 3 detections (100%) with the peak inside the box"
    )
    assert not page.rw_dialogs and not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
    screenshot(page, "detection_checks_lab", view)


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_checks_pass_axe_with_hits_misses_and_the_warning(browser, checked_report, scheme):
    from playwright.sync_api import expect

    _, path = checked_report
    page = open_offline(browser, path, scheme=scheme, width=1280, bypass_csp=True).page
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=30_000)
    page.get_by_test_id("image-thumb").nth(1).click()  # the image whose maps miss: red text on a picked item
    expect(page.get_by_test_id("detection-peak").first).to_contain_text("outside the box")
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []
    page.close()
