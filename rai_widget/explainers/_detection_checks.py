"""How far to trust a D-RISE map: where it points relative to its box, and whether its masks were enough.

Two checks, both computed from what D-RISE already has (no detector call):

- **Localisation** (`localisation`), per detection, from its stored map at image size. Pixel (r, c) of a
  map covers image coordinates [c, c + 1) x [r, r + 1), as the view draws it; a pixel belongs to a box
  when its centre (c + 0.5, r + 0.5) lies in [x0, x1] x [y0, y1].
  * The pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", 2016): a hit when
    the map's maximum lies in the box, within a tolerance. The original uses 15 px on PASCAL VOC images
    (500 px on their longer side); here the tolerance is the same share of the image, 15 / 500 = 3% of
    its longer side (2.9 px on a 96 px image, 19 px on 640 px). Ties: every pixel equal to the maximum is
    a peak, and the hit needs all of them in the box, so the answer never depends on which tie numpy's
    argmax picks. A flat map (max == min) has no peak: no hit.
  * The share of the saliency inside the box (the energy-based pointing game of Score-CAM, Wang et al.
    2020): the positive part of the map above its median, summed inside the box, over its sum over the
    image. Why the median: every D-RISE value is >= 0 and carries a large floor (the mean weight of the
    masks, which a pixel that does not matter gets too), so "positive saliency" is saliency above that
    floor; the median estimates it from the map alone (most pixels do not matter to one detection), the
    same for maps explained now and files saved before this check. Values below the median are clipped
    to 0. The box's share of the image (`box_share`) is given beside it: D-RISE's smooth masks spread a
    detection's saliency about one grid cell around its object, so a right map on a small object puts
    perhaps 30-60% of its mass in a box that covers 5% of the image.
- **Convergence** (`convergence`): D-RISE averages `num_masks` random masks. explain() splits them, in
  drawing order, into 4 subsets of equal size and keeps each subset's weighted mask sum, pooled to at most
  64 pixels a side (block means: the masks are smooth over a grid cell, so pooling loses nothing this
  reads), by differencing the running sum it keeps anyway at each subset's end: 4 poolings per image and
  no mask kept. The figure is the Pearson correlation r between the maps of the two halves of the masks
  (subsets 1+2 against 3+4): it weighs each pixel by how far it stands from the map's mean, so it reads
  the structure the overlay shows. (A rank correlation reads mostly the background, whose ranks stay noise
  at any affordable number of masks: 0.3-0.5 at 2,000 masks on the demo while the hot region has
  settled.) Each half has num_masks / 2 masks, so r is conservative for the full map. With r(N) =
  1 / (1 + c / N) for halves of a run of N masks, the masks that would bring r to 0.9 are
  N (1 / r - 1) / (1 / 0.9 - 1). `noise` is the map's standard error from the 4 subsets (the std across
  subset maps over sqrt(4)), averaged over pixels, as a share of the map's range.

Cost: the localisation is a max, a median and a few sums per map (O(H W)); the convergence figure a few
poolings and correlations per image of at most 64 x 64: both are small beside one detector call, and
`bench/detection_checks.py` prints them beside explain()'s own time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# The pointing game's tolerance: the original's 15 px on PASCAL VOC's 500 px longer side, as a share.
TOLERANCE_SHARE = 15 / 500
SUBSETS = 4  # mask subsets explain() keeps sums of
POOLED_SIDE = 64  # the subset sums' longest side, at most
ENOUGH = 0.9  # halves agreeing at this r or above: enough masks

LOCALISATION_COLUMNS = [
    "image",
    "detection",
    "label",
    "score",
    "peak_x",
    "peak_y",
    "tied_peaks",
    "peak_distance",
    "pointing_hit",
    "energy_inside",
    "box_share",
    "tolerance",
]


def default_tolerance(size: tuple[int, int]) -> float:
    """The pointing game's tolerance in pixels for an image of `size` (H, W): 3% of its longer side."""
    return TOLERANCE_SHARE * max(size)


def _inside_box(shape: tuple[int, int], box) -> np.ndarray:
    """(H, W) bool: pixels whose centre lies in the xyxy box (edges included)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cy = np.arange(shape[0]) + 0.5
    cx = np.arange(shape[1]) + 0.5
    return ((cy >= y0) & (cy <= y1))[:, None] & ((cx >= x0) & (cx <= x1))[None, :]


def map_localisation(saliency: np.ndarray, box, tolerance: float) -> dict:
    """The pointing game and the share of saliency inside `box` for one (H, W) map (see the module's docstring).

    Returns peak (x, y) of the first tied maximum in row-major order (pixel centre, image coordinates; None
    for a flat map), tied_peaks, peak_distance (the farthest tied peak's distance to the box in pixels, 0
    inside), pointing_hit, energy_inside (None when the map has no positive part above its median) and
    box_share.
    """
    sal = np.asarray(saliency, dtype=np.float64)
    H, W = sal.shape
    x0, y0, x1, y1 = (float(v) for v in box)
    inside = _inside_box((H, W), box)
    top, bottom = float(sal.max()), float(sal.min())
    out: dict = {"box_share": float(inside.mean())}
    if top == bottom:
        out.update(peak_x=None, peak_y=None, tied_peaks=int(sal.size), peak_distance=None, pointing_hit=False)
    else:
        ties = np.flatnonzero(sal.ravel() == top)
        py, px = np.divmod(ties, W)
        cx, cy = px + 0.5, py + 0.5
        dx = np.maximum(np.maximum(x0 - cx, cx - x1), 0)
        dy = np.maximum(np.maximum(y0 - cy, cy - y1), 0)
        distance = float(np.hypot(dx, dy).max())
        out.update(
            peak_x=float(cx[0]),
            peak_y=float(cy[0]),
            tied_peaks=int(len(ties)),
            peak_distance=distance,
            pointing_hit=bool(distance <= tolerance),
        )
    positive = np.clip(sal - np.median(sal), 0, None)
    total = float(positive.sum())
    out["energy_inside"] = float(positive[inside].sum() / total) if total > 0 else None
    return out


def localisation(images, detections, saliency, tolerance: float | None = None) -> pd.DataFrame:
    """One row per detection (image by image): the pointing game and the share of saliency inside its box,
    from the stored maps. tolerance : pixels (None: 3% of each image's longer side)."""
    rows = []
    for i, dets in enumerate(detections):
        size = tuple(np.shape(images[i])[:2])
        tol = default_tolerance(size) if tolerance is None else float(tolerance)
        for j, d in enumerate(dets):
            found = map_localisation(saliency[i][j], d["box"], tol)
            rows.append(
                {"image": i, "detection": j, "label": d["label"], "score": float(d["score"]), **found, "tolerance": tol}
            )
    return _typed(pd.DataFrame(rows, columns=LOCALISATION_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["label"] = frame["label"].astype(object)  # labels as the detections hold them (str, int, ...)
    for name in ("image", "detection", "tied_peaks"):
        frame[name] = frame[name].astype(np.int64)
    frame["pointing_hit"] = frame["pointing_hit"].astype(bool)
    for name in ("score", "peak_x", "peak_y", "peak_distance", "energy_inside", "box_share", "tolerance"):
        frame[name] = frame[name].astype(np.float64)  # None: NaN
    return frame


def localisation_to_json(frame: pd.DataFrame) -> list[dict]:
    """The table as JSON records (None for missing figures), for the save format's header."""
    records = []
    for row in frame.to_dict("records"):
        records.append({k: (None if isinstance(v, float) and math.isnan(v) else _plain(v)) for k, v in row.items()})
    return records


def localisation_from_json(records, detections) -> pd.DataFrame:
    """The table `localisation_to_json` wrote; a ValueError when it does not fit the detections."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise TypeError("its localisation is not a list of records")
    want = [(i, j) for i, dets in enumerate(detections) for j in range(len(dets))]
    got = [(r.get("image"), r.get("detection")) for r in records]
    if got != want:
        raise ValueError("its localisation does not list one record per detection")
    frame = pd.DataFrame(records, columns=LOCALISATION_COLUMNS)
    frame["label"] = pd.Series([d["label"] for dets in detections for d in dets], dtype=object)  # as loaded
    return _typed(frame)


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


# --- convergence: subset sums kept while D-RISE runs --------------------------------------------------


def pool_block(size: tuple[int, int]) -> int:
    """The block side that pools an (H, W) map to at most POOLED_SIDE pixels a side."""
    return max(1, math.ceil(max(size) / POOLED_SIDE))


class SubsetSums:
    """What D-RISE's mask loop keeps for the convergence check: at the end of each of SUBSETS equal runs of
    masks, the pooled running sum (linear, so a subset's pooled sum is the difference of two snapshots).
    Nothing but the sums it already makes: `add` adds a batch's weighted masks to `total`, split at a
    subset's end when the batch straddles one."""

    def __init__(self, num_masks: int, targets: int, size: tuple[int, int]):
        self.size = size
        self.block = pool_block(size)
        self.ends = [round(k * num_masks / SUBSETS) for k in range(1, SUBSETS + 1)]
        self.counts = np.diff([0, *self.ends])
        self.snapshots: list[np.ndarray] = []
        self.targets = targets

    def _pooled(self, total: np.ndarray) -> np.ndarray:
        H, W = self.size
        f = self.block
        maps = total.reshape(self.targets, H, W)
        if f == 1:
            return maps.copy()
        rows, cols = np.arange(0, H, f), np.arange(0, W, f)
        sums = np.add.reduceat(np.add.reduceat(maps, rows, axis=1), cols, axis=2)
        area = np.diff(np.append(rows, H))[:, None] * np.diff(np.append(cols, W))[None, :]
        return sums / area

    def add(self, total: np.ndarray, weights: np.ndarray, masks: np.ndarray, done: int) -> None:
        """total += weights @ masks for masks numbered done, done + 1, ...; snapshots at subset ends."""
        start, count = 0, len(masks)
        while start < count:
            end = next((e for e in self.ends[len(self.snapshots) :] if e > done + start), done + count)
            stop = min(count, end - done)
            if start == 0 and stop == count:
                total += weights @ masks
            else:
                total += weights[:, start:stop] @ masks[start:stop]
            start = stop
            while len(self.snapshots) < SUBSETS and self.ends[len(self.snapshots)] == done + start:
                self.snapshots.append(self._pooled(total))

    def subset_sums(self) -> np.ndarray:
        """(SUBSETS, targets, h, w): each subset's pooled weighted mask sum."""
        snaps = np.stack(self.snapshots)
        return np.diff(snaps, axis=0, prepend=np.zeros_like(snaps[:1]))


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    denom = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    if denom == 0 or not math.isfinite(denom):
        return None
    return max(-1.0, min(1.0, float((a * b).sum()) / denom))


def detection_agreement(sums: np.ndarray, counts: np.ndarray, keep_prob: float) -> tuple[float | None, float | None]:
    """(r, noise) of one detection's map from its (SUBSETS, h, w) subset sums (see the module's docstring)."""
    half = SUBSETS // 2
    r = _pearson(sums[:half].sum(axis=0).ravel(), sums[half:].sum(axis=0).ravel())
    maps = sums / (counts[:, None, None] * keep_prob)
    full = sums.sum(axis=0) / (counts.sum() * keep_prob)
    spread = float(full.max() - full.min())
    if spread == 0:
        return r, None
    se = float(maps.std(axis=0, ddof=1).mean()) / math.sqrt(SUBSETS)
    return r, se / spread


def masks_for(r: float, num_masks: int, target: float = ENOUGH) -> int | None:
    """Masks that would bring the halves' agreement from r (at num_masks) to `target`, rounded up to two
    significant digits; None when r <= 0 (no agreement to extrapolate from)."""
    if r <= 0:
        return None
    need = num_masks * (1 / r - 1) / (1 / target - 1)
    digits = max(0, len(str(int(math.ceil(need)))) - 2)
    return int(math.ceil(need / 10**digits) * 10**digits)


def convergence(subsets: list[np.ndarray | None], detections: list[int], num_masks: int, keep_prob: float) -> dict:
    """The convergence check of one explain() run: per image, its (SUBSETS, d, h, w) subset sums (None for an
    image without detections, or for every image when there are fewer masks than subsets) and its number of
    detections. Returns a JSON-ready dict: num_masks, subsets, threshold, agreement and noise ([[per
    detection] per image], None where undefined), median, lowest, enough, masks_needed, verdict."""
    counts = np.diff([0, *(round(k * num_masks / SUBSETS) for k in range(1, SUBSETS + 1))])
    agreement: list[list] = []
    noise: list[list] = []
    for sums, d in zip(subsets, detections, strict=True):
        if sums is None:
            agreement.append([None] * d)
            noise.append([None] * d)
            continue
        pairs = [detection_agreement(sums[:, j], counts, keep_prob) for j in range(d)]
        agreement.append([p[0] for p in pairs])
        noise.append([p[1] for p in pairs])
    out = {
        "num_masks": int(num_masks),
        "subsets": SUBSETS,
        "threshold": ENOUGH,
        "agreement": agreement,
        "noise": noise,
    }
    out.update(verdict_of(out))
    return out


def verdict_of(conv: dict) -> dict:
    """median, lowest, enough, masks_needed and verdict (a sentence) for a convergence dict's figures."""
    n_masks = conv["num_masks"]
    values = [r for rows in conv["agreement"] for r in rows]
    known = [r for r in values if r is not None]
    out: dict = {"median": None, "lowest": None, "enough": None, "masks_needed": None}
    if not values:
        return {**out, "verdict": f"{n_masks:,} masks: no detection to check."}
    if n_masks < conv["subsets"]:
        return {
            **out,
            "enough": False,
            "verdict": f"Too few masks: {n_masks:,} cannot be split into {conv['subsets']} subsets to check the "
            "maps; increase num_masks.",
        }
    if not known:
        return {
            **out,
            "verdict": f"{n_masks:,} masks: every map is flat (no mask changed the detections), so there is "
            "nothing to compare.",
        }
    median, lowest = float(np.median(known)), float(min(known))
    flat = len(values) - len(known)
    flat_note = f"; {flat} flat {'map' if flat == 1 else 'maps'} left out" if flat else ""
    of = f"median of {len(known)} {'detection' if len(known) == 1 else 'detections'}, lowest {lowest:.2f}{flat_note}"
    out.update(median=median, lowest=lowest)
    if lowest >= conv["threshold"]:
        return {
            **out,
            "enough": True,
            "verdict": f"{n_masks:,} masks: the two halves of the masks agree at r {median:.2f} ({of}): enough.",
        }
    short = sum(r < conv["threshold"] for r in known)
    need = masks_for(lowest, n_masks, conv["threshold"])
    advice = (
        f"about {need:,} masks would bring the lowest to r {conv['threshold']:.2f}: increase num_masks."
        if need is not None
        else "increase num_masks."
    )
    return {
        **out,
        "enough": False,
        "masks_needed": need,
        "verdict": f"Too few masks for {short} of {len(known)} {'detection' if len(known) == 1 else 'detections'}: "
        f"the two halves of the {n_masks:,} masks agree at r {median:.2f} ({of}); {advice}",
    }


def check_convergence(conv, detections) -> dict | None:
    """A convergence dict as loaded or passed in, checked against the detections (TypeError / ValueError)."""
    if conv is None:
        return None
    if not isinstance(conv, dict):
        raise TypeError(f"convergence must be a dict of figures (or None), not {type(conv).__name__}.")
    for key in ("num_masks", "subsets", "threshold", "agreement", "noise"):
        if key not in conv:
            raise ValueError(f"convergence has no {key!r}.")
    for key in ("agreement", "noise"):
        rows = conv[key]
        if not isinstance(rows, list) or [len(r) if isinstance(r, list) else -1 for r in rows] != [
            len(d) for d in detections
        ]:
            raise ValueError(f"convergence's {key} must list one figure per detection, image by image.")
        for r in (v for row in rows for v in row):
            if r is not None and (isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r)):
                raise ValueError(f"convergence's {key} holds {r!r}; figures are finite numbers or None.")
    out = {**conv, "agreement": [[_float(v) for v in row] for row in conv["agreement"]]}
    out["noise"] = [[_float(v) for v in row] for row in conv["noise"]]
    out.update(verdict_of(out))
    return out


def _float(v):
    return None if v is None else float(v)


def pointing_share(frame: pd.DataFrame, rows: np.ndarray, min_score: float = 0.0) -> dict:
    """Pointing-game hits among the detections of images `rows` (a bool mask) scoring >= min_score."""
    keep = rows[frame["image"].to_numpy()] & (frame["score"].to_numpy() >= min_score)
    hits = int(frame["pointing_hit"].to_numpy()[keep].sum())
    n = int(keep.sum())
    return {"detections": n, "hits": hits, "share": hits / n if n else None}
