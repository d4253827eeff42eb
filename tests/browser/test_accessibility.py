"""axe-core over every view, in light and dark theme: no serious or critical accessibility violations.

Each modality's offline report is opened in Chromium, driven into each of its states (every tab, a row's
local explanation, the dependence plot, the cohort editor, a selected text / image / detection, the
fidelity warning), and axe-core (node_modules/axe-core, the version package.json pins) checks the page
against WCAG 2.1 A and AA. The report's CSP forbids injected scripts, so these pages bypass it: the
rules checked are about the page as drawn, not about how axe got in.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline
from scenes import square_detector
from sklearn.ensemble import RandomForestClassifier
from tiny_models import tiny_cnn

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]
torch = pytest.importorskip("torch")

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' +
                                   (n.failureSummary || '').split('\\n').slice(1, 2))}));
}"""


def _tabular(tmp: Path, poor_fidelity: bool) -> Path:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, 400).astype(float),
            "income": rng.normal(50, 10, 400),
            "city": rng.choice(["Oslo", "Lima"], 400),
        }
    )
    y = np.where((X["age"] > 45) ^ (X["city"] == "Lima"), "approve", "deny")
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(pd.get_dummies(X), y)

    def predict_proba(frame):
        return model.predict_proba(pd.get_dummies(frame).reindex(columns=model.feature_names_in_, fill_value=0))

    params = {"n_estimators": 1, "num_leaves": 2, "learning_rate": 0.05} if poor_fidelity else None
    explainer = rw.MimicExplainer(predict_proba, X, classes=["approve", "deny"], surrogate_params=params)
    if poor_fidelity:
        with pytest.warns(rw.FidelityWarning):
            exp = explainer.explain(X, y_true=y)
    else:
        exp = explainer.explain(X, y_true=y)
    cohorts = [rw.Cohort("older", [rw.Filter("age", ">", 45)])]
    return exp.save_html(tmp / ("poor.html" if poor_fidelity else "tabular.html"), cohorts=cohorts)


def _bag_of_words(texts):
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("a11y")
    rng = np.random.default_rng(0)
    texts = ["an excellent film", "a dull plot and a long middle", "excellent acting, excellent music", "fine"]
    text = rw.TextExplainer(_bag_of_words, classes=["neg", "pos"]).explain(texts, y_true=["pos", "neg", "pos", "neg"])
    images = (rng.random((6, 32, 32, 3)) * 255).astype(np.uint8)
    image = rw.ImageExplainer(tiny_cnn(3, seed=0), classes=["cat", "dog", "owl"], n_steps=8).explain(
        images, y_true=["cat", "dog", "owl"] * 2
    )
    scene = np.full((64, 64, 3), 20, dtype=np.uint8)
    scene[6:20, 6:20], scene[8:22, 38:54] = 230, 200
    detection = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=100, mask_res=(6, 6))
    return {
        "tabular": _tabular(tmp, poor_fidelity=False),
        "tabular-poor-fidelity": _tabular(tmp, poor_fidelity=True),
        "text": text.save_html(tmp / "text.html"),
        "image": image.save_html(tmp / "image.html"),
        "detection": detection.explain([scene]).save_html(tmp / "detection.html"),
    }


def _click_first(page, testid: str) -> None:
    target = page.locator(f'[data-testid="{testid}"]').first
    if target.count():
        target.click()
        page.wait_for_timeout(200)


# what to do on each tab (by its label's start) before axe looks: reach the states a user reaches
ACTIONS = {
    "Individual rows": lambda page: _click_first(page, "row"),
    "Feature importance": lambda page: _click_first(page, "importance-bar"),
    "Texts": lambda page: _click_first(page, "doc-item"),
    "Images": lambda page: (_click_first(page, "image-thumb"), _click_first(page, "detection-item")),
    "Cohorts": lambda page: _click_first(page, "cohort-new"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["tabular", "tabular-poor-fidelity", "text", "image", "detection"])
def test_no_serious_or_critical_violations(browser, reports, kind, scheme):
    page = open_offline(browser, reports[kind], scheme=scheme, width=1280, bypass_csp=True).page
    try:
        page.locator(".rw-root").first.wait_for(state="visible", timeout=15_000)
        page.add_script_tag(path=str(AXE))
        tabs = page.locator('[role="tab"]')
        assert tabs.count() >= 2, "every view has tabs"
        found, visited = [], []
        for i in range(tabs.count()):
            tab = tabs.nth(i)
            label = tab.inner_text().strip()
            tab.click()
            page.wait_for_timeout(300)
            for start, act in ACTIONS.items():
                if label.startswith(start):
                    act(page)
            visited.append(label)
            for v in page.evaluate(RUN_AXE):
                if v["impact"] in BLOCKING:
                    found.append(f"[{label}] {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]))
        assert len(visited) == tabs.count()
        assert not found, f"{kind}, {scheme} theme:\n" + "\n".join(found)
    finally:
        page.close()
