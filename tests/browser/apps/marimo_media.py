"""The text, image and detection dashboards in one marimo app, for tests/browser/test_marimo.py.

Tiny local models (a bag-of-words scorer, tests/tiny_models.py's CNN, tests/scenes.py's square detector):
the test serves it with `marimo run` and tests/ on PYTHONPATH. Not a test module itself (no test_ prefix).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo
    import numpy as np

    import rai_widget as rw

    return mo, np, rw


@app.cell
def _(mo, np, rw):
    # Text: only the word "excellent" moves class "pos" (p = sigmoid(3 * count - 1)).
    def bag_of_words(texts):
        counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
        p = 1 / (1 + np.exp(-(3 * counts - 1)))
        return np.column_stack([1 - p, p])

    texts = ["an excellent film with a dull plot", "the plot was dull and the acting was bad"]
    text_exp = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(texts, y_true=["pos", "neg"])
    text_view = mo.ui.anywidget(rw.ExplanationDashboard(text_exp, selected_rows=[0]))
    text_view  # noqa: B018 - marimo shows the last expression of a cell
    return


@app.cell
def _(mo, np, rw):
    # Image: a tiny CNN on six smooth grey images.
    from scipy import ndimage
    from tiny_models import tiny_cnn

    rng = np.random.default_rng(0)
    raw = np.stack([ndimage.gaussian_filter(rng.random((32, 32)), 2) for _ in range(6)])
    grey = ((raw - raw.min()) / (raw.max() - raw.min()) * 255).astype(np.uint8)
    images = np.repeat(grey[..., None], 3, axis=3)
    image_exp = rw.ImageExplainer(tiny_cnn(3), classes=["cat", "dog", "bird"], n_steps=8).explain(images)
    image_view = mo.ui.anywidget(rw.ExplanationDashboard(image_exp))
    image_view  # noqa: B018 - marimo shows the last expression of a cell
    return


@app.cell
def _(mo, np, rw):
    # Detection: bright squares are objects (tests/scenes.py), explained with D-RISE.
    from scenes import square_detector

    scene = np.full((64, 64, 3), 20, dtype=np.uint8)
    for (x0, y0, x1, y1), v in zip([(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)], [230, 200, 150], strict=True):
        scene[y0:y1, x0:x1] = v
    detection_exp = rw.DetectionExplainer(
        square_detector, classes=["left", "right"], num_masks=100, mask_res=(6, 6)
    ).explain([scene])
    detection_view = mo.ui.anywidget(rw.ExplanationDashboard(detection_exp))
    detection_view  # noqa: B018 - marimo shows the last expression of a cell
    return


if __name__ == "__main__":
    app.run()
