# A Voila dashboard of rai-widget. Each cell starts at a line "# %%" (the percent format):
# tests/browser/test_voila.py writes the cells into a notebook with nbformat and serves it with Voila.
# A .py file, not an .ipynb, so that nbval does not collect it as a notebook test of its own. The models
# are tiny and made here: nothing is downloaded. The kernel finds `tiny_models` and `scenes` (tests/)
# on its PYTHONPATH.

# %%
import ipywidgets as widgets
import numpy as np
import pandas as pd
from IPython.display import display
from scenes import square_detector
from scipy import ndimage
from sklearn.ensemble import RandomForestClassifier
from tiny_models import tiny_cnn

import rai_widget as rw

rng = np.random.default_rng(0)
n = 240
X = pd.DataFrame(
    {
        "age": rng.integers(18, 80, n).astype(float),
        "income": rng.normal(50, 15, n).round(1),
        "region": rng.choice(["north", "south", "east"], n),
    }
)
y = np.where(X.age < 35, "young", np.where(X.income > 55, "rich", "other"))
X_model = X.assign(region=X.region.map({"north": 0, "south": 1, "east": 2}))
model = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X_model, y)


def predict_proba(frame):
    return model.predict_proba(frame.assign(region=frame.region.map({"north": 0, "south": 1, "east": 2})))


explainer = rw.MimicExplainer(predict_proba, X, task="classification", classes=list(model.classes_))
exp = explainer.explain(X, y_true=y, progress=False)

# %%
# The tabular dashboard, and what the kernel holds: a Label (plain text) redrawn whenever the view's
# cohorts or active cohort reach the kernel, with each cohort's name, filters and size as Python reads them.
dash = rw.ExplanationDashboard(exp)
kernel_cohorts = widgets.Label()
kernel_cohorts.add_class("kernel-cohorts")


def show_cohorts(change=None):
    def described(c):
        filters = f" {'and' if c.combine == 'all' else 'or'} ".join(f"{f.column} {f.op} {f.value!r}" for f in c.filters)
        return f"{c.name} ({filters or 'every row'}, {c.count(exp)} rows)"

    kernel_cohorts.value = f"Kernel: active cohort {dash.active_cohort!r}; cohorts: " + "; ".join(
        described(c) for c in dash.cohorts
    )


dash.observe(show_cohorts, names=["cohorts", "active_cohort"])
show_cohorts()
display(dash, kernel_cohorts)


# %%
# Text: a bag-of-words model in which only "excellent" moves the class.
def bag_of_words(texts):
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


texts = ["an excellent film with a dull plot", "the plot was dull and the acting was bad", "excellent music"]
text_exp = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(
    texts, y_true=["pos", "neg", "pos"], progress=False
)
rw.ExplanationDashboard(text_exp)

# %%
# Image: a tiny CNN (random weights) on smooth random images.
smooth = ndimage.gaussian_filter(rng.random((6, 24, 24, 3)), sigma=(0, 2, 2, 0))
images = ((smooth - smooth.min()) / np.ptp(smooth) * 255).astype(np.uint8)
image_exp = rw.ImageExplainer(tiny_cnn(3), classes=["cat", "dog", "bird"], n_steps=8).explain(
    images, y_true=["cat", "dog", "bird"] * 2, progress=False
)
rw.ExplanationDashboard(image_exp)


# %%
# Detection: bright squares are the objects (tests/scenes.py).
def scene(values):
    img = np.full((48, 48, 3), 20, dtype=np.uint8)
    for (x0, y0, x1, y1), v in zip([(4, 4, 16, 16), (28, 6, 42, 18), (10, 28, 24, 42)], values, strict=True):
        img[y0:y1, x0:x1] = v
    return img


det_exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=300, mask_res=(6, 6)).explain(
    [scene((230, 200, 150))], progress=False
)
rw.ExplanationDashboard(det_exp)
