"""The detection demo: the shipped shape detector (offline, accurate as reported), D-RISE on it, run_demo."""

import json
import math
import sys

import numpy as np
import pytest

import rai_widget as rw
from rai_widget.demos import detection as demo

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.slow  # real models: the full suite runs it, the edit loop does not


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def detector():
    return demo.load_detector()


# --- scenes -------------------------------------------------------------------------------------------------


def test_scenes_are_reproducible_and_their_boxes_hold_the_shapes():
    a, b = demo.make_scenes(5, seed=3), demo.make_scenes(5, seed=3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.image, y.image)
        np.testing.assert_array_equal(x.boxes, y.boxes)
    assert not np.array_equal(a[0].image, demo.make_scenes(1, seed=4)[0].image)
    scenes = demo.make_scenes(40, seed=5)
    assert all(s.image.shape == (96, 96, 3) and s.image.dtype == np.uint8 for s in scenes)
    boxes = np.concatenate([s.boxes for s in scenes])
    labels = np.concatenate([s.labels for s in scenes])
    assert set(labels) == {0, 1, 2} and boxes.min() >= 0 and boxes.max() <= 96
    sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    assert sides.min() >= 8 and sides.max() <= 44


@pytest.mark.parametrize(
    "kind, area", [("circle", math.pi * 10**2), ("square", 20**2), ("triangle", math.sqrt(3) / 4 * 20**2)]
)
def test_shapes_are_drawn_at_their_size(kind, area):
    yy, xx = np.mgrid[-40:40, -40:40] + 0.5
    filled = demo._shape_mask(kind, 20, 0.7 if kind == "triangle" else 0.0, yy, xx)
    assert abs(filled.sum() - area) / area < 0.03
    outline = demo._shape_mask(kind, 20, 0.0, yy, xx, outline=2.0)
    assert outline.sum() < 0.6 * filled.sum() and not (outline & ~demo._shape_mask(kind, 20, 0.0, yy, xx)).any()


# --- the shipped detector -------------------------------------------------------------------------------------


def test_weights_ship_small_as_plain_arrays_with_their_accuracy():
    assert demo.WEIGHTS.exists() and demo.WEIGHTS.stat().st_size < 1_000_000
    with np.load(demo.WEIGHTS, allow_pickle=False) as f:  # no pickle anywhere in the file
        meta = json.loads(str(f["__meta__"]))
        assert all(f[name].dtype == np.float32 for name in f.files if name != "__meta__")
    assert meta["classes"] == list(demo.CLASSES)
    assert meta["metrics"]["precision"] >= 0.9 and meta["metrics"]["recall"] >= 0.9
    assert demo.detector_info() == meta


def test_shipped_detector_reaches_its_reported_accuracy_on_fresh_scenes(detector):
    reported = demo.detector_info()["metrics"]
    fresh = demo.make_scenes(150, seed=demo.EVAL_SEED + 17)  # neither training's nor the reported scenes
    got = demo.evaluate(detector, fresh)
    assert got["objects"] > 300
    # ~3 standard errors below the figures written at training time (300 other scenes)
    assert got["precision"] >= reported["precision"] - 0.05 and got["precision"] >= 0.87, got
    assert got["recall"] >= reported["recall"] - 0.04 and got["recall"] >= 0.9, got
    for name, pr in got["per_class"].items():
        assert pr["recall"] >= 0.85, (name, pr)


def test_detector_output_is_what_d_rise_needs(detector):
    scenes = demo.make_scenes(3, seed=11)
    batch = detector([s.image for s in scenes])
    for scene, out in zip(scenes, batch, strict=True):
        m = len(out["scores"])
        assert out["boxes"].shape == (m, 4) and out["class_scores"].shape == (m, 3) and out["labels"].shape == (m,)
        np.testing.assert_array_equal(out["labels"], out["class_scores"].argmax(axis=1))
        np.testing.assert_allclose(out["scores"], out["class_scores"].max(axis=1))
        assert (out["scores"] >= detector.score_threshold).all()
        alone = detector([scene.image])[0]  # an image's output does not depend on its batch
        np.testing.assert_array_equal(alone["labels"], out["labels"])
        np.testing.assert_allclose(alone["boxes"], out["boxes"], atol=1e-3)
    big = demo.make_scene(np.random.default_rng(0), size=160)  # fully convolutional: other sizes work
    out = detector([big.image])[0]
    assert len(demo.match(out["boxes"], out["labels"], big.boxes, big.labels)) == len(out["scores"])
    with pytest.raises(ValueError, match=r"image 0 must be \(H, W, 3\) uint8 RGB; got shape \(96, 96\)"):
        detector([scenes[0].image[..., 0]])


# --- D-RISE on it ----------------------------------------------------------------------------------------------


def test_d_rise_on_the_detector_peaks_inside_each_detected_object(detector):
    scenes = demo.demo_scenes(detector)[:3]
    exp = rw.DetectionExplainer(detector, classes=demo.CLASSES, num_masks=400, mask_res=(8, 8)).explain(
        [s.image for s in scenes]
    )
    checked = 0
    for i, scene in enumerate(scenes):
        dets = exp.detections[i]
        boxes = np.array([d["box"] for d in dets])
        labels = np.array([demo.CLASSES.index(d["label"]) for d in dets])
        found = demo.match(boxes, labels, scene.boxes, scene.labels)
        for j in np.flatnonzero(found >= 0):
            s = demo.saliency_summary(
                exp.saliency[i][j], dets[j]["box"], [d["box"] for k, d in enumerate(dets) if k != j]
            )
            assert s["peak_inside"], (i, dets[j], s)
            assert s["focus"] >= 0.5, (i, dets[j], s)  # its hot region lies mostly in its own box ...
            assert all(o < 0.2 for o in s["in_others"]), (i, dets[j], s)  # ... not on the other objects
            checked += 1
    assert checked >= 6


def test_saliency_summary_reads_a_known_map():
    sal = np.zeros((50, 50), np.float32)
    sal[10:20, 30:40] = 1.0  # all the weight on the other box
    s = demo.saliency_summary(sal, [0, 0, 10, 10], others=[[30, 10, 40, 20]])
    assert s["focus"] == 0 and s["in_others"] == [1.0] and s["peak"] == (30, 10) and not s["peak_inside"]
    assert s["hot_centre"] == (34, 14)  # centroid of pixel indices 30..39, 10..19 (rounded)
    s = demo.saliency_summary(sal, [30, 10, 40, 20])
    assert s["focus"] == 1.0 and s["peak_inside"]


# --- run_demo ----------------------------------------------------------------------------------------------


def test_run_demo_prints_its_findings_and_saves_the_explanation(tmp_path):
    lines = []
    exp = demo.run_demo(tmp_path / "out", echo=lines.append, num_masks=120)
    text = "\n".join(lines)
    assert isinstance(exp, rw.DetectionExplanation) and len(exp) == 4
    assert exp.output_names == list(demo.CLASSES) and exp.params["num_masks"] == 120
    saved = tmp_path / "out" / "detection_explanation.npz"
    assert saved.exists() and f"Saved the explanation to {saved}" in text
    back = rw.load(saved)
    assert back.detections == exp.detections
    for a, b in zip(back.saliency, exp.saliency, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "precision" in text and "recall" in text
    n_dets = sum(len(d) for d in exp.detections)
    assert sum(": relies on " in line for line in lines) == n_dets and n_dets >= 8  # one line per detection
    assert "(WRONG: it is a " in text  # the last scene holds a misnamed object, and the demo says so
    assert sum(line.lstrip().startswith("Scene ") for line in lines) == 4


def test_missing_torch_gives_an_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "rai-widget\[demo-full\]"') as info:
        demo.run_demo(tmp_path)
    assert info.value.extra == "demo-full"
    assert demo.make_scenes(1, seed=0)[0].image.shape == (96, 96, 3)  # scenes stay numpy only


def test_training_is_deterministic_and_writes_a_loadable_detector(tmp_path):
    a = demo.train_detector(
        tmp_path / "a.npz", steps=3, batch_size=4, eval_scenes=5, progress=False, echo=lambda *_: None
    )
    demo.train_detector(tmp_path / "b.npz", steps=3, batch_size=4, eval_scenes=5, progress=False, echo=lambda *_: None)
    with np.load(tmp_path / "a.npz") as fa, np.load(tmp_path / "b.npz") as fb:
        assert fa.files == fb.files
        for name in fa.files:
            if name != "__meta__":
                np.testing.assert_array_equal(fa[name], fb[name])
    assert demo.detector_info(tmp_path / "a.npz")["metrics"]["steps"] == 3 and 0 <= a["recall"] <= 1
    weak = demo.load_detector(tmp_path / "a.npz")
    assert callable(weak) and len(weak([demo.make_scenes(1)[0].image])) == 1
    with pytest.raises(FileNotFoundError, match="--retrain"):
        demo.load_detector(tmp_path / "missing.npz")
