"""The D-RISE maps' checks (rai_widget/explainers/_detection_checks.py) on known answers: the pointing game and
the share of saliency inside the box per detection, the masks' convergence, save / load and old files."""

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scenes import square_detector

import rai_widget as rw
from rai_widget._payload import payload
from rai_widget.explainers import _detection_checks as checks

SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]
SAVED_V1 = Path(__file__).parent / "saved_v1" / "detection.npz"


def scene(size=(64, 64), squares=SQUARES):
    img = np.full((*size, 3), 20, dtype=np.uint8)
    for x0, y0, x1, y1 in squares:
        img[y0:y1, x0:x1] = 230
    return img


def explain(images, **kw):
    kw = {"num_masks": 500, "mask_res": (6, 6), **kw}
    return rw.DetectionExplainer(square_detector, **kw).explain(images)


@pytest.fixture(scope="module")
def squares():
    return explain([scene()], num_masks=1000)


# --- the pointing game and the share inside the box: known maps ------------------------------------------


def test_a_map_peaking_in_its_box_hits_and_one_peaking_elsewhere_misses():
    sal = np.full((40, 50), 0.3, np.float32)
    sal[10:20, 5:15] = 0.8  # the object
    sal[12, 8] = 0.9  # its peak
    hit = checks.map_localisation(sal, [5, 10, 15, 20], tolerance=1.5)
    assert hit["pointing_hit"] and hit["peak_x"] == 8.5 and hit["peak_y"] == 12.5 and hit["peak_distance"] == 0
    assert hit["tied_peaks"] == 1 and hit["energy_inside"] == pytest.approx(1.0)
    assert hit["box_share"] == pytest.approx(100 / 2000)
    miss = checks.map_localisation(sal, [30, 0, 45, 10], tolerance=1.5)
    assert not miss["pointing_hit"] and miss["peak_distance"] == pytest.approx(np.hypot(30 - 8.5, 12.5 - 10))
    assert miss["energy_inside"] == 0.0


def test_tolerance_counts_a_peak_just_past_the_edge_and_defaults_to_3_percent_of_the_longer_side():
    sal = np.zeros((96, 96), np.float32)
    sal[50, 22] = 1.0  # centre (22.5, 50.5): 2.5 px right of a box ending at x = 20
    box = [5, 40, 20, 60]
    tol = checks.default_tolerance((96, 96))
    assert tol == pytest.approx(0.03 * 96) == pytest.approx(15 * 96 / 500)
    assert checks.map_localisation(sal, box, tol)["pointing_hit"]  # 2.5 <= 2.88
    assert not checks.map_localisation(sal, box, 2.0)["pointing_hit"]
    assert checks.default_tolerance((375, 500)) == pytest.approx(15)  # the original's 15 px on PASCAL VOC


def test_tied_peaks_hit_only_when_all_are_in_the_box_and_a_flat_map_has_no_peak():
    sal = np.zeros((20, 20), np.float32)
    sal[5, 5] = sal[6, 6] = 1.0
    both_in = checks.map_localisation(sal, [4, 4, 8, 8], 0)
    assert (
        both_in["pointing_hit"] and both_in["tied_peaks"] == 2 and (both_in["peak_x"], both_in["peak_y"]) == (5.5, 5.5)
    )
    sal[15, 15] = 1.0  # a third tie, far away: the answer must not depend on which tie argmax picks
    assert not checks.map_localisation(sal, [4, 4, 8, 8], 0)["pointing_hit"]
    assert not checks.map_localisation(sal[::-1, ::-1].copy(), [11, 11, 16, 16], 0)["pointing_hit"]
    flat = checks.map_localisation(np.full((20, 20), 0.4, np.float32), [0, 0, 10, 10], 0)
    assert not flat["pointing_hit"] and flat["peak_x"] is None and flat["energy_inside"] is None


def test_energy_is_the_positive_part_above_the_median():
    # a floor of 1 (D-RISE's mean mask weight), +2 on 25 px inside the box and +1 on 50 px outside
    sal = np.ones((20, 20), np.float32)
    sal[0:5, 0:5] += 2
    sal[10:15, 0:10] += 1
    got = checks.map_localisation(sal, [0, 0, 5, 5], 0)
    assert got["energy_inside"] == pytest.approx(50 / (50 + 50))  # the floor (the median) counts for nothing
    sal -= 5  # a shift changes nothing: the median moves with it
    assert checks.map_localisation(sal, [0, 0, 5, 5], 0)["energy_inside"] == pytest.approx(0.5)


# --- on D-RISE's maps: the bright-square detector and the demo's shape detector --------------------------


def test_d_rise_maps_of_the_squares_hit_their_boxes_and_concentrate_in_them(squares):
    table = squares.localisation
    assert list(table.columns) == checks.LOCALISATION_COLUMNS and len(table) == 3
    assert table["pointing_hit"].all()
    assert (table["peak_distance"] == 0).all()
    # D-RISE's smooth masks spread saliency about a grid cell (11 px) around each square: a share well above
    # the box's share of the image, not all of it
    assert (table["energy_inside"] >= 6 * table["box_share"]).all(), table
    assert (table["energy_inside"] > 0.3).all(), table


def test_a_map_shifted_to_another_object_misses(squares):
    dets, maps = squares.detections[0], squares.saliency[0]
    tol = checks.default_tolerance((64, 64))
    for j, det in enumerate(dets):
        other = maps[(j + 1) % len(dets)]  # the next square's map, read against this square's box
        wrong = checks.map_localisation(other, det["box"], tol)
        right = checks.map_localisation(maps[j], det["box"], tol)
        assert right["pointing_hit"] and not wrong["pointing_hit"]
        assert wrong["energy_inside"] < 0.1 < 0.3 < right["energy_inside"], (wrong, right)


def test_pointing_game_counts_a_cohort_and_a_score_floor(squares):
    with pytest.warns(rw.RaiWidgetWarning, match="found nothing in image 2"):
        exp = explain([scene(), scene(squares=SQUARES[:1]), np.zeros((64, 64, 3), np.uint8)], num_masks=60)
    exp.localisation.loc[1, "pointing_hit"] = False  # as if the second square's map pointed elsewhere
    assert exp.pointing_game() == {"detections": 4, "hits": 3, "share": 0.75}
    assert exp.pointing_game([1]) == {"detections": 1, "hits": 1, "share": 1.0}
    assert exp.pointing_game([2]) == {"detections": 0, "hits": 0, "share": None}
    assert exp.pointing_game(min_score=0.95)["detections"] == 0


# --- convergence -------------------------------------------------------------------------------------------


def test_agreement_rises_and_noise_falls_with_more_masks():
    img = [scene()]
    few, many = explain(img, num_masks=100).convergence, explain(img, num_masks=2000).convergence
    for a, b in zip(few["agreement"][0], many["agreement"][0], strict=True):
        assert b > a
    for a, b in zip(few["noise"][0], many["noise"][0], strict=True):
        assert b < a
    assert many["enough"] and many["lowest"] >= 0.9
    assert many["verdict"].startswith("2,000 masks: the two halves of the masks agree at r ")
    assert many["verdict"].endswith(": enough.")
    assert not few["enough"] and few["verdict"].startswith("Too few masks for ")
    assert "increase num_masks" in few["verdict"]


def test_the_masks_needed_are_about_what_brings_the_halves_to_0_9():
    img = [scene()]
    low = explain(img, num_masks=300).convergence
    need = low["masks_needed"]
    assert need is not None and 300 < need < 20_000
    assert f"about {need:,} masks would bring the lowest to r 0.90" in low["verdict"]
    again = explain(img, num_masks=need).convergence
    assert again["lowest"] >= 0.85, (need, again["agreement"])


@pytest.mark.parametrize("n", [2, 8])
def test_a_tiny_number_of_masks_gets_the_too_few_verdict(n):
    conv = explain([scene()], num_masks=n).convergence
    assert conv["enough"] is False and conv["verdict"].startswith("Too few masks")
    if n < 4:
        assert conv["agreement"] == [[None, None, None]] and "cannot be split into 4 subsets" in conv["verdict"]


def test_subset_sums_add_up_to_the_map_whatever_the_batches():
    img = scene()
    explainer = rw.DetectionExplainer(square_detector, num_masks=203, mask_res=(6, 6), batch_size=7)
    target = explainer.detect([img])[0]
    plain = explainer.saliency(img, target)
    kept: list = []
    with_sums = explainer.saliency(img, target, subsets=kept)
    np.testing.assert_allclose(with_sums, plain, rtol=0, atol=1e-6)  # the map itself does not change
    (sums,) = kept
    assert sums.shape == (4, 3, 64, 64)  # 64 px: no pooling needed
    np.testing.assert_allclose(sums.sum(axis=0) / (203 * 0.5), plain, rtol=0, atol=1e-5)
    explainer.batch_size = 1  # the same subsets one mask at a time: 51, 50, 51, 51 masks (ends at 51, 102, 152)
    kept_one: list = []
    explainer.saliency(img, target, subsets=kept_one)
    np.testing.assert_allclose(kept_one[0], sums, rtol=0, atol=1e-4)


def test_large_images_keep_their_subsets_pooled_to_64_px():
    big = scene((200, 130), [(20, 20, 80, 90)])
    exp = rw.DetectionExplainer(square_detector, num_masks=40, mask_res=(4, 4), batch_size=16)
    kept: list = []
    exp.saliency(big, exp.detect([big])[0], subsets=kept)
    assert kept[0].shape == (4, 1, 50, 33)  # blocks of 4 px: ceil(200 / 4), ceil(130 / 4)


def test_images_without_detections_have_no_figures():
    with pytest.warns(rw.RaiWidgetWarning):
        exp = explain([np.zeros((30, 30, 3), np.uint8)], num_masks=20)
    assert exp.convergence["agreement"] == [[]] and exp.convergence["verdict"] == "20 masks: no detection to check."
    assert len(exp.localisation) == 0 and exp.pointing_game()["share"] is None


# --- save and load -------------------------------------------------------------------------------------


def test_checks_are_saved_and_loaded(tmp_path, squares):
    back = rw.load(squares.save(tmp_path / "det"))
    pd.testing.assert_frame_equal(back.localisation, squares.localisation)
    assert back.convergence == squares.convergence


def test_a_file_from_before_the_checks_loads_with_its_localisation_computed():
    old = rw.load(SAVED_V1)
    assert old.convergence is None
    fresh = checks.localisation(old.images, old.detections, old.saliency)
    pd.testing.assert_frame_equal(old.localisation, fresh)
    assert len(fresh) == sum(map(len, old.detections))


def test_a_header_without_the_checks_still_loads(tmp_path, squares):
    path = squares.save(tmp_path / "det.npz")
    arrays = dict(np.load(path, allow_pickle=False))
    meta = json.loads(str(arrays.pop("__meta__")))
    del meta["localisation"], meta["convergence"]
    stripped = tmp_path / "stripped.npz"
    np.savez_compressed(stripped, __meta__=np.array(json.dumps(meta)), **arrays)
    back = rw.load(stripped)
    pd.testing.assert_frame_equal(back.localisation, squares.localisation)
    assert back.convergence is None


def test_damaged_checks_in_a_file_are_reported(tmp_path, squares):
    path = squares.save(tmp_path / "det.npz")
    arrays = dict(np.load(path, allow_pickle=False))
    meta = json.loads(str(arrays.pop("__meta__")))
    meta["convergence"]["agreement"] = [[0.5]]
    bad = tmp_path / "bad.npz"
    np.savez_compressed(bad, __meta__=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(rw.ExplanationFileError, match="one figure per detection"):
        rw.load(bad)
    meta = json.loads(str(dict(np.load(path, allow_pickle=False))["__meta__"]))
    meta["localisation"] = meta["localisation"][:1]
    np.savez_compressed(bad, __meta__=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(rw.ExplanationFileError, match="one record per detection"):
        rw.load(bad)
    assert zipfile.is_zipfile(path)  # the good file is untouched
    shutil.copy(path, tmp_path / "copy.npz")


# --- the payload ---------------------------------------------------------------------------------------


def test_the_payload_carries_the_checks(squares):
    meta, _ = payload([squares])
    table = squares.localisation
    assert meta["tolerances"] == [pytest.approx(64 * 0.03)]
    for row, sent in zip(table.itertuples(), meta["localisation"][0], strict=True):
        assert sent["hit"] == row.pointing_hit and sent["energy"] == row.energy_inside
        assert sent["peak"] == [row.peak_x, row.peak_y] and sent["box_share"] == row.box_share
    assert meta["convergence"]["verdict"] == squares.convergence["verdict"]
    json.dumps(meta["localisation"]), json.dumps(meta["convergence"])  # JSON all through
    assert payload([rw.load(SAVED_V1)])[0]["convergence"] is None


# --- the demo's shape detector (torch) ------------------------------------------------------------------


@pytest.mark.slow
def test_on_the_demo_detector_right_maps_hit_and_shifted_ones_miss():
    torch = pytest.importorskip("torch")
    from rai_widget.demos import detection as demo

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        detector = demo.load_detector()
        scenes = demo.demo_scenes(detector)[:3]
        exp = rw.DetectionExplainer(detector, classes=demo.CLASSES, num_masks=1000, mask_res=(8, 8)).explain(
            [s.image for s in scenes]
        )
    finally:
        torch.set_num_threads(threads)
    table = exp.localisation
    checked = 0
    for i, scene_ in enumerate(scenes):
        dets = exp.detections[i]
        boxes = np.array([d["box"] for d in dets])
        labels = np.array([demo.CLASSES.index(d["label"]) for d in dets])
        found = demo.match(boxes, labels, scene_.boxes, scene_.labels)
        rows = table[table["image"] == i]
        for j in np.flatnonzero(found >= 0):
            row = rows.iloc[j]
            assert row["pointing_hit"], row
            assert row["energy_inside"] >= 4 * row["box_share"], row  # concentrated in its box ...
            if row["box_share"] >= 0.1:
                assert row["energy_inside"] > 0.5, row  # ... and most of it inside for the larger objects
            if len(dets) > 1:  # another object's map, read against this box: a miss
                wrong = checks.map_localisation(exp.saliency[i][(j + 1) % len(dets)], dets[j]["box"], row["tolerance"])
                assert not wrong["pointing_hit"] and wrong["energy_inside"] < row["energy_inside"] / 2
            checked += 1
    assert checked >= 6
    assert exp.convergence["median"] > 0.5 and exp.convergence["enough"] is False  # 1,000 masks: not enough here
