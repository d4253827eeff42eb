"""The image view's trust checks in Chromium: under each method's map, its deletion and insertion AUCs (with
sparklines), integrated gradients' completeness gap and the sanity check's verdict.

An offline report (network refused) of the demo's ImageNet model on two photos, explained by integrated
gradients, Grad-CAM and guided backprop, each checked (explainer.faithfulness, explainer.sanity_check): the
figures on screen are Python's to the two decimals shown, and guided backprop (which fails the sanity check on
this model) carries the warning while the others pass. Then once in JupyterLab, on a small model.
"""

import re

import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHOTOS = ["chelsea", "coffee"]
METHODS = [("integrated_gradients", {"n_steps": 8}), ("gradcam", {}), ("guided_backprop", {})]
WARNING = "maps barely change when the model's top layers are randomised: this map may not reflect the model"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite_pytorch")
    from rai_widget.demos.image import class_names, load_model, load_photos, preprocess

    torch.set_num_threads(1)  # two cores, shared: more threads only fight

    model, names, photos = load_model(), class_names(), load_photos(PHOTOS)
    exps = []
    for method, params in METHODS:
        explainer = rw.ImageExplainer(model, method, classes=names, preprocess=preprocess, **params)
        targets = exps[0].targets if exps else None
        exp = explainer.explain(photos, targets=targets, progress=False)
        explainer.faithfulness(exp, steps=10, progress=False)  # 22 passes a map, not 42: the view is what is tested
        explainer.sanity_check(exp, progress=False)
        exps.append(exp)
    dash = rw.ExplanationDashboard(exps)
    return exps, dash.save_html(tmp_path_factory.mktemp("image_trust") / "image_trust.html")


def open_report(browser, path, image=0, scheme="light", width=1100):
    opened = open_offline(browser, path, scheme=scheme, width=width)
    page = opened.page
    page.locator(f'[data-testid="image-thumb"][data-index="{image}"]').click(timeout=30_000)
    page.locator('[data-testid="map-checks"]').first.wait_for(state="visible", timeout=30_000)
    return opened


def test_each_maps_figures_are_pythons(browser, report):
    exps, path = report
    opened = open_report(browser, path)
    page = opened.page
    for i in range(len(PHOTOS)):
        page.locator(f'[data-testid="image-thumb"][data-index="{i}"]').click()
        page.wait_for_function(
            "i => [...document.querySelectorAll('[data-testid=\"image-overlay\"]')].every(c => c.dataset.drawn === i)",
            arg=str(i),
        )
        panels = page.locator('[data-testid="method-panel"]')
        assert panels.count() == len(METHODS)
        for j, exp in enumerate(exps):
            panel = panels.nth(j)
            assert panel.get_attribute("data-method") == exp.method
            f = exp.faithfulness
            deletion = panel.locator('[data-testid="faithfulness-deletion"] .rw-trust-text').inner_text()
            insertion = panel.locator('[data-testid="faithfulness-insertion"] .rw-trust-text').inner_text()
            assert deletion == f"deletion AUC {f.deletion_auc[i]:.2f}, lower is better"
            assert insertion == f"insertion AUC {f.insertion_auc[i]:.2f}, higher is better"
            assert panel.locator("canvas.rw-spark").count() == 2
            gap = panel.locator('[data-testid="completeness-gap"]')
            if exp.method == "integrated_gradients":
                text = gap.inner_text()
                shown = float(re.match(r"completeness gap ([-+]?[\d.]+):", text).group(1))
                c = exp.completeness
                assert abs(shown - c.gap[i]) <= 5e-3 * abs(c.gap[i]) + 1e-9, (text, c.gap[i])
                assert f"({100 * abs(c.relative_gap[i]):.1f}% of it)" in text
            else:
                assert gap.count() == 0
            s = exp.sanity
            verdict = panel.locator('[data-testid="sanity-warning"], [data-testid="sanity-passed"]')
            text = verdict.inner_text()
            assert f"rank correlation {s.rank_correlation[i]:.2f}" in text
            if exp.method == "guided_backprop":
                assert not s.passed[i] and text.startswith(WARNING)
                assert verdict.get_attribute("data-testid") == "sanity-warning"
            else:
                assert s.passed[i] and text.startswith("sanity check passed")
        # the best deletion AUC of the three is marked, and it is the smallest
        marked = '[data-testid="faithfulness-deletion"] .rw-trust-best'
        best = [k for k in range(len(exps)) if panels.nth(k).locator(marked).count()]
        aucs = [e.faithfulness.deletion_auc[i] for e in exps]
        assert best == [aucs.index(min(aucs))]
    assert not opened.errors and not opened.dialogs and not opened.blocked, (opened.errors, opened.blocked)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, report, scheme, width):
    from test_text_view import SCREENSHOTS

    _, path = report
    opened = open_report(browser, path, scheme=scheme, width=width)
    page = opened.page
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"image-overlay\"]')].every(c => c.dataset.drawn === '0')"
    )
    panel = page.locator('[data-testid="method-panel"]').last
    checks = panel.locator('[data-testid="map-checks"]').bounding_box()
    canvas = panel.locator("canvas").first.bounding_box()
    assert checks and canvas and checks["width"] <= canvas["width"] + 1  # the checks wrap under the map
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator('[data-testid="image-detail"]').screenshot(path=str(SCREENSHOTS / f"image_trust_{scheme}_{width}.png"))
    assert not opened.errors and not opened.blocked
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(browser, report, scheme):
    from test_accessibility import AXE, BLOCKING, RUN_AXE

    _, path = report
    opened = open_offline(browser, path, scheme=scheme, width=1280, bypass_csp=True)
    page = opened.page
    page.locator('[data-testid="image-thumb"][data-index="0"]').click(timeout=30_000)
    page.locator('[data-testid="sanity-warning"]').first.wait_for(state="visible", timeout=30_000)
    page.add_script_tag(path=str(AXE))
    found = [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]
    assert not found, found
    page.close()


LAB_CELLS = [
    "import numpy as np, torch, rai_widget as rw\n"
    "torch.manual_seed(0)\n"
    "nn = torch.nn\n"
    "model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),\n"
    "    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3)).eval()\n"
    "images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)\n"
    "explainer = rw.ImageExplainer(model, 'gradcam', classes=['a', 'b', 'c'])\n"
    "exp = explainer.explain(images, faithfulness=True)\n"
    "check = explainer.sanity_check(exp)\n"
    "dash = rw.ExplanationDashboard(exp, selected_rows=[1])",
    "dash",
]


def test_the_checks_render_in_jupyterlab(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    page = lab_page
    run_notebook(page, LAB_CELLS)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    checks = output.locator('[data-testid="map-checks"]')
    checks.wait_for(state="visible")
    code = "print(f'{exp.faithfulness.deletion_auc[1]:.2f} {exp.sanity.rank_correlation[1]:.2f}')"
    want = run_cell(page, code).split()
    assert (
        checks.locator('[data-testid="faithfulness-deletion"]')
        .inner_text()
        .endswith(f"deletion AUC {want[0]}, lower is better")
    )
    assert f"rank correlation {want[1]}" in checks.locator('[data-testid^="sanity-"]').inner_text()
    assert not page.rw_dialogs
    screenshot(page, "image_trust_jupyterlab", output)
