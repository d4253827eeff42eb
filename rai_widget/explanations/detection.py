"""DetectionExplanation: D-RISE saliency maps for object detections (from DetectionExplainer)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rai_widget.explainers import _detection_checks as checks
from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._format import jsonable, label_array
from rai_widget.explanations.image import check_images, check_maps, shown


class DetectionExplanation(Explanation):
    """D-RISE saliency maps for object detections (from ``DetectionExplainer.explain``).

    Every parameter is also the attribute of that name. Besides them: ``y_pred[i]``, image i's detected
    labels; ``task`` is ``"detection"``; ``units`` is ``"saliency"``: the mean affinity (IoU x score x
    class similarity) of the detection's best match in the masked images when the pixel is kept.

    Parameters
    ----------
    images : array or list
        (n, H, W, C) uint8, or a list of (H_i, W_i, C) arrays when sizes differ.
    detections : list
        ``detections[i]`` is image i's list of ``{"box": [x0, y0, x1, y1], "label", "score"}``.
    saliency : list
        ``saliency[i]`` is an (m_i, H_i, W_i) float32 array, one map per detection of image i (m_i = 0
        when the detector found nothing).
    output_names : list
        The classes (given, else the labels seen).
    model_output : ndarray
        (n, k): per image and class, the highest score among its detections of that class (0 when there
        is none), so the generic per-row, per-output views have a number to show.
    params : dict, optional
        The explainer's settings (``num_masks``, ``mask_res``, ...).
    y_true : optional
        Per image, its true labels, when known.
    localisation : DataFrame, optional
        One row per detection (image by image): the pointing game (does the map's peak fall in the
        detection's box: ``pointing_hit``, within ``tolerance`` px, 3% of the image's longer side;
        ``peak_x``, ``peak_y``, ``tied_peaks``, ``peak_distance``) and the share of the map's positive part
        above its median that lies in the box (``energy_inside``, beside the box's share of the image,
        ``box_share``). Computed from the maps (None: computed here; cheap) and saved.
    convergence : dict, optional
        D-RISE's masks and how well the map has settled (None for an explanation saved before this
        check): ``num_masks``; ``agreement``, per image and detection, the Pearson r between the maps of
        the two halves of the masks; ``noise``, the map's standard error over its range; ``median``,
        ``lowest``, ``enough`` (lowest r >= ``threshold``, 0.9), ``masks_needed`` and ``verdict``, a
        sentence. See rai_widget/explainers/_detection_checks.py for the definitions.

    Raises
    ------
    ValueError
        Fields that do not make one consistent explanation (shapes, boxes, labels), named.
    TypeError
        A field of the wrong type.
    """

    kind = "detection"
    tasks = ("detection",)

    def __init__(
        self,
        *,
        images,
        detections: list,
        saliency: list,
        output_names: list,
        model_output: np.ndarray,
        params: dict | None = None,
        y_true=None,
        localisation=None,
        convergence: dict | None = None,
    ):
        images = [np.asarray(im) for im in images]
        self.images = np.stack(images) if len({im.shape for im in images}) == 1 else images
        self.detections = [[dict(d) for d in dets] for dets in detections]
        self.saliency = [np.asarray(s, dtype=np.float32) for s in saliency]
        self.output_names = list(output_names)
        self.model_output = np.asarray(model_output, dtype=np.float64)
        self.params = {} if params is None else dict(params) if isinstance(params, dict) else params
        self.task = "detection"
        self.units = "saliency"
        self.y_true = y_true
        self.y_pred = [[d["label"] for d in dets] for dets in self.detections]
        self._validate()
        self.convergence = checks.check_convergence(convergence, self.detections)
        if localisation is None:
            localisation = checks.localisation(self.images, self.detections, self.saliency)
        elif not isinstance(localisation, pd.DataFrame):
            raise TypeError(f"localisation must be a DataFrame (or None), not {type(localisation).__name__}.")
        elif len(localisation) != sum(map(len, self.detections)):
            raise ValueError(f"localisation has {len(localisation)} rows, not one per detection.")
        self.localisation = localisation

    def __len__(self) -> int:
        return len(self.images)

    def _validate(self) -> None:
        """The base checks, then: images (H, W, C) uint8; per image a list of detections, each with a box of 4
        finite coordinates (x1 >= x0, y1 >= y0), a finite score and a label among the output names; one finite
        (m_i, H_i, W_i) saliency map stack per image, m_i its number of detections."""
        n = len(self)
        if self.output_names or any(self.detections):
            super()._validate()
        else:  # nothing detected and no classes given: no outputs (the base check wants at least one name)
            out = np.asarray(self.model_output)
            if out.shape != (n, 0):
                raise ValueError(f"model_output has shape {out.shape}, not ({n}, 0): there are no output names.")
        check_images(self.images, n)
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict of D-RISE's settings, not {type(self.params).__name__}.")
        if len(self.detections) != n:
            raise ValueError(f"detections has {len(self.detections)} entries for {n} images: one list per image.")
        texts = {str(o) for o in self.output_names}
        for i, dets in enumerate(self.detections):
            for j, d in enumerate(dets):
                where = f"detection {j} of image {i}"
                missing = [key for key in ("box", "score", "label") if key not in d]
                if missing:
                    raise ValueError(f"{where} has no {missing[0]!r}: a detection is {{'box', 'score', 'label'}}.")
                box = np.asarray(d["box"])
                if box.shape != (4,) or box.dtype.kind not in "iuf" or not np.isfinite(box).all():
                    raise ValueError(f"{where} has box {shown(d['box'])}; a box is 4 finite numbers [x0, y0, x1, y1].")
                if box[2] < box[0] or box[3] < box[1]:
                    raise ValueError(f"{where} has box {shown(box)}; boxes are xyxy, with x1 >= x0 and y1 >= y0.")
                score = d["score"]
                if (
                    isinstance(score, (bool, np.bool_))
                    or np.ndim(score) != 0
                    or np.asarray(score).dtype.kind not in "iuf"
                ):
                    raise ValueError(f"{where} has score {shown(score)}; a score is a number.")
                if not np.isfinite(score):
                    raise ValueError(f"{where} has score {shown(score)}; scores must be finite.")
                if str(d["label"]) not in texts:
                    names = shown(self.output_names)
                    raise ValueError(f"{where} has label {shown(d['label'])}, which is not an output name ({names}).")

        def map_shape(i: int) -> tuple:
            return (len(self.detections[i]), *np.shape(self.images[i])[:2])

        check_maps(self.saliency, n, "saliency", map_shape, per="detection")

    def __repr__(self) -> str:
        sizes = {tuple(np.shape(im)[:2]) for im in self.images}
        size = f"{sizes.pop()}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (
            f"DetectionExplanation({len(self)} images {size}, {sum(map(len, self.detections))} detections, "
            f"classes={self.output_names}, params={self.params})"
        )

    def column_spec(self) -> CohortColumns:
        """index, y_pred (the detected labels joined by ", "), detections (how many), confidence (the best score)."""
        joined = [", ".join(str(v) for v in labels) for labels in self.y_pred]
        cols: dict[str, C.Column] = {
            "index": C.number(np.arange(len(self))),
            "y_pred": C.category(joined, sorted(set(joined))),
            "detections": C.number([len(dets) for dets in self.detections]),
            "confidence": C.number([max((d["score"] for d in dets), default=0.0) for dets in self.detections]),
        }
        return CohortColumns(cols, len(self))

    def pointing_game(self, cohort=None, min_score: float = 0.0) -> dict:
        """The pointing game over a cohort's images, as the view's summary counts it.

        Parameters
        ----------
        cohort : Cohort, array or list, optional
            An ``rw.Cohort``, a boolean mask or row indices; None: every image.
        min_score : float
            Count only detections scoring at least this.

        Returns
        -------
        dict
            Among those detections: ``detections``, ``hits`` (peak in the box) and ``share`` (None when
            there is no detection).
        """
        return checks.pointing_share(self.localisation, self.cohort_mask(cohort), float(min_score))

    def to_shap(self, output=None):
        """The explanation as a ``shap.Explanation``, one row per detection (shap has no detection type).

        Parameters
        ----------
        output : str or int, optional
            A class name or index: keep that class's detections only.

        Returns
        -------
        shap.Explanation
            Image by image: values (d, H, W) the saliency maps, data (d, H, W, C) each detection's image,
            output_names the detections' labels.

        Raises
        ------
        ValueError
            Images of several sizes (shap needs one array).
        """
        import shap

        if len({np.shape(im) for im in self.images}) > 1:
            raise ValueError("to_shap() needs images of one size (these differ).")
        keep = None if output is None else str(self.output_names[self.output_index(output)])
        rows = [
            (i, j)
            for i, labels in enumerate(self.y_pred)
            for j, label in enumerate(labels)
            if keep is None or str(label) == keep
        ]
        shape = np.shape(self.images[0])
        values = np.stack([self.saliency[i][j] for i, j in rows]) if rows else np.zeros((0, *shape[:2]), np.float32)
        data = np.stack([np.asarray(self.images[i]) for i, _ in rows]) if rows else np.zeros((0, *shape), np.uint8)
        return shap.Explanation(
            values=values,
            base_values=np.zeros(len(rows)),
            data=data,
            output_names=[str(self.y_pred[i][j]) for i, j in rows],
        )

    def _to_arrays(self):
        arrays: dict[str, np.ndarray] = {"model_output": self.model_output}
        for i, dets in enumerate(self.detections):
            arrays[f"image_{i}"] = np.asarray(self.images[i])
            arrays[f"saliency_{i}"] = self.saliency[i]
            arrays[f"boxes_{i}"] = np.array([d["box"] for d in dets], dtype=np.float64).reshape(-1, 4)
            arrays[f"scores_{i}"] = np.array([d["score"] for d in dets], dtype=np.float64)
            arrays[f"labels_{i}"] = label_array([jsonable(d["label"]) for d in dets])
        meta = {
            "n": len(self),
            "params": self.params,
            "output_names": [jsonable(o) for o in self.output_names],
            "localisation": checks.localisation_to_json(self.localisation),
            "convergence": self.convergence,
        }
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        n = meta["n"]
        by_text = {str(o): o for o in meta["output_names"]}  # labels of several types were saved as text
        detections = [
            [
                {"box": box, "label": by_text.get(str(label), label), "score": score}
                for box, label, score in zip(
                    arrays[f"boxes_{i}"].tolist(),
                    arrays[f"labels_{i}"].tolist(),
                    arrays[f"scores_{i}"].tolist(),
                    strict=True,
                )
            ]
            for i in range(n)
        ]
        return cls(
            images=[arrays[f"image_{i}"] for i in range(n)],
            detections=detections,
            saliency=[arrays[f"saliency_{i}"] for i in range(n)],
            output_names=meta["output_names"],
            model_output=arrays["model_output"],
            params=meta["params"],
            # files saved before these checks have neither: the localisation is computed from the maps,
            # the convergence figures (which need the masks' subsets) stay None
            localisation=(
                None
                if meta.get("localisation") is None
                else checks.localisation_from_json(meta["localisation"], detections)
            ),
            convergence=meta.get("convergence"),
        )
