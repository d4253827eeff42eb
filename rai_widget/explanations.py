"""Explanation results: plain arrays and names, saved without pickle, convertible to shap.Explanation."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

FORMAT_VERSION = 1


class FidelityWarning(UserWarning):
    """The surrogate replicates the model poorly on the explained rows: read its explanations with care."""


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _label_array(values) -> np.ndarray:
    """Labels as a numpy array that np.savez can store without pickle."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([str(v) for v in arr])
    return arr


class Explanation:
    """Base of every explanation. Subclasses set `kind` and implement the array round trip."""

    kind: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Explanation]]] = {}

    output_names: list
    task: str
    units: str
    y_true: np.ndarray | None
    y_pred: np.ndarray
    model_output: np.ndarray

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Explanation._registry[cls.kind] = cls

    # --- outputs and rows -------------------------------------------------------------------
    def output_index(self, output) -> int:
        """Index of an output given by name or position."""
        if isinstance(output, (int, np.integer)) and not isinstance(output, bool):
            if output not in self.output_names and not 0 <= output < len(self.output_names):
                raise ValueError(f"output {output} is out of range; outputs: {self.output_names}.")
            if output in self.output_names:
                return self.output_names.index(output)
            return int(output)
        for i, name in enumerate(self.output_names):
            if name == output or str(name) == str(output):
                return i
        raise ValueError(f"unknown output {output!r}; outputs: {self.output_names}, or 'predicted'.")

    def predicted_index(self) -> np.ndarray:
        """Per row, the index of the predicted output (classification), else zeros."""
        if self.task == "classification":
            return np.argmax(self.model_output, axis=1)
        return np.zeros(len(self.model_output), dtype=np.int64)

    def cohort_mask(self, cohort) -> np.ndarray:
        """Boolean row mask from a Cohort, a boolean array, row indices, or None (every row)."""
        n = len(self.model_output)
        if cohort is None:
            return np.ones(n, dtype=bool)
        if hasattr(cohort, "mask"):
            return np.asarray(cohort.mask(self), dtype=bool)
        arr = np.asarray(cohort)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(f"a boolean cohort mask needs {n} values, got shape {arr.shape}.")
            return arr
        if arr.dtype.kind in "iu":
            mask = np.zeros(n, dtype=bool)
            mask[arr] = True
            return mask
        raise TypeError("cohort must be an rw.Cohort, a boolean mask or an array of row indices.")

    def _special_columns(self) -> dict[str, Any]:
        n = len(self.model_output)
        cols: dict[str, Any] = {"index": np.arange(n)}
        if self.y_true is not None:
            cols["y_true"] = self.y_true
        cols["y_pred"] = self.y_pred
        if self.task == "classification":
            if self.y_true is not None:
                cols["correct"] = np.asarray(self.y_true) == np.asarray(self.y_pred)
            probabilities = getattr(self, "probabilities", None)
            if probabilities is not None:
                cols["confidence"] = probabilities.max(axis=1)
        elif self.y_true is not None:
            cols["error"] = np.asarray(self.y_pred, dtype=np.float64) - np.asarray(self.y_true, dtype=np.float64)
        return cols

    def cohort_columns(self) -> pd.DataFrame:
        """The columns cohorts filter on: the special columns (index, y_true, y_pred, ...)."""
        return pd.DataFrame(self._special_columns())

    # --- persistence ------------------------------------------------------------------------
    def _to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    @classmethod
    def _from_arrays(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Explanation:
        raise NotImplementedError

    def save(self, path) -> Path:
        """Write one compressed .npz file (arrays + a JSON header; no pickle). Returns the path."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta, arrays = self._to_arrays()
        meta = {"format": "rai-widget", "version": FORMAT_VERSION, "kind": self.kind, **meta}
        for name, arr in arrays.items():
            if np.asarray(arr).dtype == object:
                raise TypeError(f"internal error: array {name!r} would need pickle")
        np.savez_compressed(path, __meta__=np.array(json.dumps(meta, default=_jsonable)), **arrays)
        return path

    def show(self, **kwargs):
        """Display this explanation in an interactive dashboard (in a notebook cell)."""
        from rai_widget.widget import ExplanationDashboard

        return ExplanationDashboard(self, **kwargs)

    def save_html(self, path, title: str | None = None, cohorts=None):
        """Write an offline, self-contained HTML view of this explanation (see ExplanationDashboard.save_html)."""
        return self.show(cohorts=cohorts).save_html(path, title)


def load(path) -> Explanation:
    """Load any explanation written by `exp.save(path)`."""
    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved explanation at {path}") from None
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save(): {err}") from err
    if "__meta__" not in arrays:
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save() (no header).")
    meta = json.loads(str(arrays.pop("__meta__")))
    if meta.get("format") != "rai-widget":
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save().")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer rai-widget (format {meta['version']}); upgrade rai-widget to read it."
        )
    cls = Explanation._registry.get(meta.get("kind", ""))
    if cls is None:
        raise ValueError(f"{path} holds an explanation of unknown kind {meta.get('kind')!r}.")
    return cls._from_arrays(meta, arrays)


# --- tabular ----------------------------------------------------------------------------------


class TabularExplanation(Explanation):
    """Local feature attributions for tabular rows (from MimicExplainer).

    values[i, j, k] is feature j's contribution to output k for row i, in `units`;
    base_values[k] + values[i, :, k].sum() == surrogate_output[i, k].
    """

    kind = "tabular"

    def __init__(self, *, data: pd.DataFrame, feature_names: list[str], feature_kinds: list[str],
                 values: np.ndarray, base_values: np.ndarray, surrogate_output: np.ndarray,
                 model_output: np.ndarray, output_names: list, task: str, units: str,
                 y_pred: np.ndarray, y_true: np.ndarray | None = None,
                 probabilities: np.ndarray | None = None, fidelity: dict | None = None):
        self.data = data
        self.feature_names = list(feature_names)
        self.feature_kinds = list(feature_kinds)
        self.values = values
        self.base_values = base_values
        self.surrogate_output = surrogate_output
        self.model_output = model_output
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = y_pred
        self.y_true = y_true
        self.probabilities = probabilities
        self.fidelity = fidelity or {}

    def __repr__(self) -> str:
        n, f, k = self.values.shape
        fid = ", ".join(f"{k}={v:.3f}" for k, v in self.fidelity.items() if isinstance(v, float))
        return (
            f"TabularExplanation({n} rows x {f} features, task={self.task!r}, outputs={self.output_names}, "
            f"units={self.units!r}, fidelity: {fid})"
        )

    def __len__(self) -> int:
        return self.values.shape[0]

    def global_importance(self, cohort=None, output=None) -> pd.Series:
        """Mean |value| per feature over the cohort's rows, largest first.

        output: None averages over outputs, "predicted" uses each row's predicted class, or an
        output's name or index.
        """
        mask = self.cohort_mask(cohort)
        vals = self.values[mask]
        if output is None:
            imp = np.abs(vals).mean(axis=(0, 2)) if len(vals) else np.zeros(len(self.feature_names))
            label = "mean |value|, averaged over outputs"
        elif isinstance(output, str) and output == "predicted" and "predicted" not in self.output_names:
            idx = self.predicted_index()[mask]
            picked = vals[np.arange(len(vals)), :, idx]
            imp = np.abs(picked).mean(axis=0) if len(vals) else np.zeros(len(self.feature_names))
            label = "mean |value| for the predicted class"
        else:
            k = self.output_index(output)
            imp = np.abs(vals[:, :, k]).mean(axis=0) if len(vals) else np.zeros(len(self.feature_names))
            label = f"mean |value| for {self.output_names[k]}"
        series = pd.Series(imp, index=pd.Index(self.feature_names, name="feature"), name=f"{label} ({self.units})")
        return series.sort_values(ascending=False, kind="stable")

    def local_importance(self, row: int, output=None) -> pd.Series:
        """One row's values for an output (default: its predicted class), sorted by |value|."""
        k = self.predicted_index()[row] if output is None else self.output_index(output)
        series = pd.Series(self.values[row, :, k], index=pd.Index(self.feature_names, name="feature"),
                           name=f"value for {self.output_names[k]} ({self.units})")
        return series.iloc[np.argsort(-np.abs(series.to_numpy()), kind="stable")]

    def cohort_columns(self) -> pd.DataFrame:
        special = pd.DataFrame(self._special_columns(), index=self.data.index)
        data = self.data.copy(deep=False)
        data.columns = self.feature_names
        clash = [c for c in special.columns if c in self.feature_names]
        special = special.drop(columns=clash)  # a feature of the same name wins
        return pd.concat([data, special], axis=1).reset_index(drop=True)

    def numeric_data(self) -> np.ndarray:
        """(n, f) float64: numbers as they are, booleans 0/1, categories as codes (NaN missing)."""
        out = np.empty((len(self.data), len(self.feature_names)))
        for j, (col, kind) in enumerate(zip(self.data.columns, self.feature_kinds, strict=True)):
            s = self.data[col]
            if kind == "category":
                out[:, j] = s.astype("category").cat.codes.to_numpy(dtype=np.float64)
                out[out[:, j] < 0, j] = np.nan
            elif kind == "bool":
                out[:, j] = pd.array(s, dtype="boolean").to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                out[:, j] = pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def to_shap(self, output=None):
        """A shap.Explanation: values (n, f, k), or (n, f) for one output given by name or index."""
        import shap

        base = np.tile(self.base_values, (len(self), 1))
        values = self.values
        output_names = self.output_names
        if output is not None:
            k = self.output_index(output)
            values, base, output_names = values[:, :, k], base[:, k], None
        return shap.Explanation(
            values=values,
            base_values=base,
            data=self.numeric_data(),
            display_data=self.data.to_numpy(),
            feature_names=self.feature_names,
            output_names=output_names,
        )

    def _to_arrays(self):
        arrays: dict[str, np.ndarray] = {
            "values": self.values,
            "base_values": self.base_values,
            "surrogate_output": self.surrogate_output,
            "model_output": self.model_output,
            "y_pred": _label_array(self.y_pred),
        }
        if self.y_true is not None:
            arrays["y_true"] = _label_array(self.y_true)
        if self.probabilities is not None:
            arrays["probabilities"] = self.probabilities
        columns_meta = []
        for j, (col, kind) in enumerate(zip(self.data.columns, self.feature_kinds, strict=True)):
            s = self.data[col]
            if kind == "category":
                cat = s.astype("string").astype("category")
                arrays[f"data_{j}"] = cat.cat.codes.to_numpy(dtype=np.int32)
                columns_meta.append({"kind": kind, "levels": [str(c) for c in cat.cat.categories]})
            elif kind == "bool":
                arrays[f"data_{j}"] = pd.array(s, dtype="boolean").to_numpy(dtype=np.float64, na_value=np.nan)
                columns_meta.append({"kind": kind})
            else:
                arr = s.to_numpy()
                if arr.dtype.kind not in "iuf":
                    arr = pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
                arrays[f"data_{j}"] = arr
                columns_meta.append({"kind": kind})
        meta = {
            "feature_names": self.feature_names,
            "feature_kinds": self.feature_kinds,
            "output_names": [_jsonable(o) for o in self.output_names],
            "task": self.task,
            "units": self.units,
            "fidelity": self.fidelity,
            "columns": columns_meta,
        }
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        data = {}
        for j, (name, col) in enumerate(zip(meta["feature_names"], meta["columns"], strict=True)):
            raw = arrays[f"data_{j}"]
            if col["kind"] == "category":
                data[name] = pd.Categorical.from_codes(raw, categories=col["levels"])
            elif col["kind"] == "bool":
                data[name] = pd.array([None if np.isnan(v) else bool(v) for v in raw], dtype="boolean") \
                    if np.isnan(raw).any() else raw.astype(bool)
            else:
                data[name] = raw
        return cls(
            data=pd.DataFrame(data),
            feature_names=meta["feature_names"],
            feature_kinds=meta["feature_kinds"],
            values=arrays["values"],
            base_values=arrays["base_values"],
            surrogate_output=arrays["surrogate_output"],
            model_output=arrays["model_output"],
            output_names=meta["output_names"],
            task=meta["task"],
            units=meta["units"],
            y_pred=arrays["y_pred"],
            y_true=arrays.get("y_true"),
            probabilities=arrays.get("probabilities"),
            fidelity=meta.get("fidelity"),
        )


def warn_if_poor_fidelity(fidelity: dict, r2_floor: float = 0.8, agreement_floor: float = 0.9) -> None:
    """Warn, with the numbers, when the surrogate's fidelity is below the floors."""
    problems = []
    r2 = fidelity.get("r2")
    if r2 is not None and np.isfinite(r2) and r2 < r2_floor:
        problems.append(f"R^2 {r2:.3f} < {r2_floor}")
    agreement = fidelity.get("agreement")
    if agreement is not None and agreement < agreement_floor:
        problems.append(f"class agreement {agreement:.1%} < {agreement_floor:.0%}")
    if problems:
        warnings.warn(
            "The surrogate replicates the model poorly on the explained rows ("
            + "; ".join(problems)
            + "). Its attributions may not reflect the model. Try a larger surrogate "
            "(surrogate_params={'n_estimators': 400, 'num_leaves': 63}) or more X_train rows.",
            FidelityWarning,
            stacklevel=3,
        )


# --- images -----------------------------------------------------------------------------------


def _stack_if_same(items: list):
    """One array when every item has the same shape, else the list."""
    if items and all(np.shape(a) == np.shape(items[0]) for a in items):
        return np.stack(items)
    return list(items)


class ImageExplanation(Explanation):
    """Pixel attributions for images (from ImageExplainer).

    images : (n, H, W, C) uint8, or a list of (H_i, W_i, C) arrays when sizes differ.
    attributions : one map per image at the image's own resolution: (n, H, W) (or a list of
        (H_i, W_i)) with one target per image; (n, t, H, W) (or a list of (t_i, H_i, W_i)) when
        targets were given as a list per image or chosen per label (multilabel).
    targets : output index explained, (n,) ints; or (n, t) / a list of int arrays per image.
    model_output : (n, k) scores as the model returned them, in `units` ("logit", "log-odds"
        for multilabel logits, or "probability"); `probabilities` (n, k) softmax / sigmoid of them.
    task : "classification" (y_pred: names, (n,)) or "multilabel" (y_pred: (n, k) bool).
    """

    kind = "image"

    def __init__(self, *, images, attributions, targets, method: str, params: dict, output_names: list,
                 task: str, units: str, y_pred: np.ndarray, model_output: np.ndarray,
                 probabilities: np.ndarray | None = None, y_true: np.ndarray | None = None):
        self.images = _stack_if_same([np.asarray(im) for im in images])
        self.attributions = _stack_if_same([np.asarray(a) for a in attributions])
        self.targets = _stack_if_same([np.asarray(t) for t in targets])
        self.method = method
        self.params = dict(params)
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = np.asarray(y_pred)
        self.model_output = np.asarray(model_output)
        self.probabilities = probabilities
        self.y_true = None if y_true is None else np.asarray(y_true)

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        sizes = {tuple(np.shape(im)[:2]) for im in self.images}
        size = f"{sizes.pop()}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (f"ImageExplanation({len(self)} images {size}, method={self.method!r}, task={self.task!r}, "
                f"outputs={len(self.output_names)}, units={self.units!r})")

    @property
    def multi_target(self) -> bool:
        """True when each image has a list of targets (attributions[i] is (t_i, H, W))."""
        return np.ndim(self.targets[0]) == 1

    def attribution(self, i: int, output=None) -> np.ndarray:
        """Image i's (H, W) map for an output (name or index; default its first target)."""
        a, ts = self.attributions[i], np.atleast_1d(self.targets[i])
        if not self.multi_target:
            a = np.asarray(a)[None]
        if output is None:
            return np.asarray(a[0])
        k = self.output_index(output)
        if k not in ts:
            raise ValueError(f"image {i} was explained for {[self.output_names[t] for t in ts]}, "
                             f"not {self.output_names[k]!r}.")
        return np.asarray(a[int(np.flatnonzero(ts == k)[0])])

    def _special_columns(self):
        if self.task != "multilabel":
            return super()._special_columns()
        names = np.array([str(n) for n in self.output_names])

        def labels(rows):
            return np.array([", ".join(names[np.asarray(r, dtype=bool)]) for r in rows])

        cols = {"index": np.arange(len(self.model_output)), "y_pred": labels(self.y_pred)}
        if self.y_true is not None:
            cols["y_true"] = labels(self.y_true)
            cols["correct"] = (np.asarray(self.y_true, dtype=bool) == self.y_pred).all(axis=1)
        return cols

    def to_shap(self):
        """A shap.Explanation: values (n, H, W) (or (n, t, H, W)), data = the images; same sizes only."""
        import shap

        if isinstance(self.attributions, list):
            raise ValueError("to_shap() needs images of one size (these differ).")
        return shap.Explanation(values=self.attributions, data=self.images, output_names=self.output_names)

    def _to_arrays(self):
        arrays: dict[str, np.ndarray] = {"model_output": self.model_output, "y_pred": _label_array(self.y_pred)}
        for i in range(len(self)):
            arrays[f"image_{i}"] = np.asarray(self.images[i])
            arrays[f"attributions_{i}"] = np.asarray(self.attributions[i])
            arrays[f"targets_{i}"] = np.asarray(self.targets[i])
        if self.y_true is not None:
            arrays["y_true"] = _label_array(self.y_true)
        if self.probabilities is not None:
            arrays["probabilities"] = self.probabilities
        meta = {"n": len(self), "method": self.method, "params": self.params, "task": self.task,
                "units": self.units, "output_names": [_jsonable(o) for o in self.output_names]}
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        n = meta["n"]
        return cls(images=[arrays[f"image_{i}"] for i in range(n)],
                   attributions=[arrays[f"attributions_{i}"] for i in range(n)],
                   targets=[arrays[f"targets_{i}"] for i in range(n)], method=meta["method"],
                   params=meta["params"], output_names=meta["output_names"], task=meta["task"],
                   units=meta["units"], y_pred=arrays["y_pred"], model_output=arrays["model_output"],
                   probabilities=arrays.get("probabilities"), y_true=arrays.get("y_true"))


# --- detection --------------------------------------------------------------------------------


class DetectionExplanation(Explanation):
    """D-RISE saliency maps for object detections (from DetectionExplainer).

    images : (n, H, W, C) uint8, or a list of (H_i, W_i, C) arrays when sizes differ.
    detections : detections[i] is image i's list of {"box": [x0, y0, x1, y1], "label", "score"}.
    saliency : saliency[i] is an (m_i, H_i, W_i) float32 array, one map per detection of image i
        (m_i = 0 when the detector found nothing).
    output_names : the classes (given, else the labels seen). y_pred[i] : image i's detected labels.
    model_output : (n, k): per image and class, the highest score among its detections of that class
        (0 when there is none), so the generic per-row, per-output views have a number to show.
    units : "saliency": the mean affinity (IoU x score x class similarity) of the detection's best
        match in the masked images when the pixel is kept.
    """

    kind = "detection"

    def __init__(self, *, images, detections: list, saliency: list, output_names: list,
                 model_output: np.ndarray, params: dict | None = None, y_true=None):
        images = [np.asarray(im) for im in images]
        self.images = np.stack(images) if len({im.shape for im in images}) == 1 else images
        self.detections = [[dict(d) for d in dets] for dets in detections]
        self.saliency = [np.asarray(s, dtype=np.float32) for s in saliency]
        self.output_names = list(output_names)
        self.model_output = np.asarray(model_output, dtype=np.float64)
        self.params = dict(params or {})
        self.task = "detection"
        self.units = "saliency"
        self.y_true = y_true
        self.y_pred = [[d["label"] for d in dets] for dets in self.detections]

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        sizes = {tuple(np.shape(im)[:2]) for im in self.images}
        size = f"{sizes.pop()}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (f"DetectionExplanation({len(self)} images {size}, {sum(map(len, self.detections))} detections, "
                f"classes={self.output_names}, params={self.params})")

    def _special_columns(self):
        return {
            "index": np.arange(len(self)),
            "y_pred": np.array([", ".join(str(v) for v in labels) for labels in self.y_pred], dtype=object),
            "detections": np.array([len(dets) for dets in self.detections]),
            "confidence": np.array([max((d["score"] for d in dets), default=0.0) for dets in self.detections]),
        }

    def to_shap(self, image: int = 0):
        """A shap.Explanation for one image, one row per detection: values (m, H, W), data the image (m, H, W, C)
        repeated, output_names the detections' labels. (shap has no detection type: rows are detections.)"""
        import shap

        sal, img = self.saliency[image], np.asarray(self.images[image])
        return shap.Explanation(values=sal, base_values=np.zeros(len(sal)),
                                data=np.broadcast_to(img, (len(sal), *img.shape)).copy(),
                                output_names=[str(label) for label in self.y_pred[image]])

    def _to_arrays(self):
        arrays: dict[str, np.ndarray] = {"model_output": self.model_output}
        for i, dets in enumerate(self.detections):
            arrays[f"image_{i}"] = np.asarray(self.images[i])
            arrays[f"saliency_{i}"] = self.saliency[i]
            arrays[f"boxes_{i}"] = np.array([d["box"] for d in dets], dtype=np.float64).reshape(-1, 4)
            arrays[f"scores_{i}"] = np.array([d["score"] for d in dets], dtype=np.float64)
            arrays[f"labels_{i}"] = _label_array([_jsonable(d["label"]) for d in dets])
        meta = {"n": len(self), "params": self.params, "output_names": [_jsonable(o) for o in self.output_names]}
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        n = meta["n"]
        detections = [
            [{"box": box, "label": label, "score": score} for box, label, score in zip(
                arrays[f"boxes_{i}"].tolist(), arrays[f"labels_{i}"].tolist(), arrays[f"scores_{i}"].tolist(),
                strict=True)]
            for i in range(n)
        ]
        return cls(images=[arrays[f"image_{i}"] for i in range(n)], detections=detections,
                   saliency=[arrays[f"saliency_{i}"] for i in range(n)], output_names=meta["output_names"],
                   model_output=arrays["model_output"], params=meta["params"])


# --- text -------------------------------------------------------------------------------------


class TextExplanation(Explanation):
    """Token attributions for texts (from TextExplainer).

    tokens[i] are text i's words as people read them (sub-word pieces merged, special tokens
    dropped), offsets[i] their (start, end) characters in texts[i] (-1 when unknown), values[i]
    a (t_i, k) array in `units`, and base_values[i] + values[i].sum(0) == model_output[i]
    (special tokens' values are part of base_values). truncated[i] says whether text i was longer
    than the model reads: then only the part it reads has tokens.

    Example
    -------
    >>> exp.tokens[0][:3], exp.values[0][:3, exp.output_index("positive")]
    >>> exp.global_importance(output="positive", stop_words="english").head(10)
    """

    kind = "text"

    def __init__(self, *, texts: list[str], tokens: list[list[str]], offsets: list[np.ndarray],
                 values: list[np.ndarray], base_values: np.ndarray, model_output: np.ndarray, output_names: list,
                 task: str, units: str, y_pred: np.ndarray, y_true: np.ndarray | None = None,
                 probabilities: np.ndarray | None = None, truncated: np.ndarray | None = None,
                 threshold: float | None = None, params: dict | None = None):
        self.texts = list(texts)
        self.tokens = [list(t) for t in tokens]
        self.offsets = offsets
        self.values = values
        self.base_values = base_values
        self.model_output = model_output
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = y_pred
        self.y_true = y_true
        self.probabilities = probabilities
        self.truncated = np.zeros(len(texts), dtype=bool) if truncated is None else np.asarray(truncated, dtype=bool)
        self.threshold = threshold
        self.params = params or {}

    def __repr__(self) -> str:
        return (f"TextExplanation({len(self)} texts, {sum(map(len, self.tokens))} tokens, task={self.task!r}, "
                f"outputs={self.output_names}, units={self.units!r}, truncated={int(self.truncated.sum())})")

    def __len__(self) -> int:
        return len(self.texts)

    def predicted_index(self) -> np.ndarray:
        """Per text, the index of the top output (for multi-label too)."""
        return np.argmax(self.model_output, axis=1)

    def _row_outputs(self, output) -> np.ndarray:
        predicted = isinstance(output, str) and output == "predicted" and "predicted" not in self.output_names
        if output is None or predicted:
            return self.predicted_index()
        return np.full(len(self), self.output_index(output))

    def global_importance(self, cohort=None, output=None, stop_words=None) -> pd.DataFrame:
        """Token table over a cohort's texts: mean value, mean |value| and count per token, by mean |value|.

        Tokens are grouped case-insensitively. output: None or "predicted" uses each text's predicted
        (top) output, or an output's name or index. stop_words: None keeps every token, "english"
        drops scikit-learn's English stop words, or any collection of words to drop.
        """
        mask = self.cohort_mask(cohort)
        ks = self._row_outputs(output)
        words = [w.lower() for i in np.flatnonzero(mask) for w in self.tokens[i]]
        vals = [self.values[i][:, ks[i]] for i in np.flatnonzero(mask)]
        table = pd.DataFrame({"token": words, "value": np.concatenate(vals) if vals else np.zeros(0)})
        if stop_words is not None:
            if isinstance(stop_words, str):
                if stop_words != "english":
                    raise ValueError(f"stop_words must be None, 'english' or a collection of words: {stop_words!r}.")
                from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as stop_words
            table = table[~table["token"].isin({str(w).lower() for w in stop_words})]
        table = table.assign(abs_value=table["value"].abs())
        out = table.groupby("token", sort=False).agg(mean=("value", "mean"), mean_abs=("abs_value", "mean"),
                                                      count=("value", "size"))
        out = out.sort_values("mean_abs", ascending=False, kind="stable").reset_index()
        out.attrs["units"] = self.units
        return out

    def _special_columns(self):
        if self.task != "multilabel":
            cols = super()._special_columns()
        else:  # label sets as text ("a, b"), exact-match correctness
            def joined(flags):
                return np.array([", ".join(str(o) for o, f in zip(self.output_names, row, strict=True) if f)
                                 for row in flags])
            cols = {"index": np.arange(len(self))}
            if self.y_true is not None:
                cols["y_true"] = joined(self.y_true)
            cols["y_pred"] = joined(self.y_pred)
            if self.y_true is not None:
                cols["correct"] = (np.asarray(self.y_true) == np.asarray(self.y_pred)).all(axis=1)
        cols["length"] = np.array([len(t) for t in self.tokens])
        cols["truncated"] = self.truncated
        cols["tokens"] = np.empty(len(self), dtype=object)  # each text's words, for the "contains" op
        for i, words in enumerate(self.tokens):  # one by one: equal-length tuples would broadcast
            cols["tokens"][i] = tuple(words)
        return cols

    def to_shap(self, output=None):
        """A shap.Explanation over texts: values (n, t_i, k), or (n, t_i) for one output (name or index)."""
        import shap

        values, base, names = self.values, self.base_values, self.output_names
        if output is not None:
            k = self.output_index(output)
            values, base, names = [v[:, k] for v in values], base[:, k], None
        ragged = np.empty(len(self), dtype=object)
        ragged[:] = values
        data = np.empty(len(self), dtype=object)
        data[:] = [np.array(t, dtype=object) for t in self.tokens]
        return shap.Explanation(values=ragged, base_values=base, data=data, output_names=names)

    def _to_arrays(self):
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        k = len(self.output_names)
        arrays: dict[str, np.ndarray] = {
            "texts": np.array(self.texts, dtype=str),
            "token_offsets": np.concatenate([[0], np.cumsum(lengths)]),  # text i's tokens: [o[i], o[i+1])
            "tokens": np.array([w for t in self.tokens for w in t] or [""], dtype=str)[: lengths.sum()],
            "spans": np.concatenate([np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in self.offsets]),
            "values": np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, k) for v in self.values]),
            "base_values": self.base_values,
            "model_output": self.model_output,
            "y_pred": _label_array(self.y_pred),
            "truncated": self.truncated,
        }
        if self.y_true is not None:
            arrays["y_true"] = _label_array(self.y_true)
        if self.probabilities is not None:
            arrays["probabilities"] = self.probabilities
        meta = {"output_names": [_jsonable(o) for o in self.output_names], "task": self.task, "units": self.units,
                "threshold": self.threshold, "params": self.params}
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        o = arrays["token_offsets"]
        parts = range(len(o) - 1)
        tokens = [[str(w) for w in arrays["tokens"][o[i]:o[i + 1]]] for i in parts]
        return cls(
            texts=[str(t) for t in arrays["texts"]], tokens=tokens,
            offsets=[arrays["spans"][o[i]:o[i + 1]] for i in parts],
            values=[arrays["values"][o[i]:o[i + 1]] for i in parts],
            base_values=arrays["base_values"], model_output=arrays["model_output"],
            output_names=meta["output_names"], task=meta["task"], units=meta["units"],
            y_pred=arrays["y_pred"], y_true=arrays.get("y_true"), probabilities=arrays.get("probabilities"),
            truncated=arrays["truncated"], threshold=meta.get("threshold"), params=meta.get("params"),
        )
