"""TabularExplanation: local feature attributions for tabular rows (from MimicExplainer)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns, Column
from rai_widget.explanations._format import outcome_from_arrays, outcome_to_arrays


def _as_numbers(col: Column) -> np.ndarray:
    """A feature column as float64: numbers as they are, booleans 0/1, category codes; NaN missing."""
    if isinstance(col, C.CategoryColumn):
        out = col.codes.astype(np.float64)
        out[col.codes < 0] = np.nan
        return out
    if isinstance(col, C.BoolColumn):
        out = col.values.astype(np.float64)
        out[col.values == C.BOOL_MISSING] = np.nan
        return out
    assert isinstance(col, C.NumberColumn)
    return np.asarray(col.values, dtype=np.float64)


def _r2(target: np.ndarray, pred: np.ndarray) -> float:
    if len(target) == 0:
        return float("nan")
    ss_tot = float(((target - target.mean()) ** 2).sum())
    ss_res = float(((target - pred) ** 2).sum())
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else float("nan")
    return 1.0 - ss_res / ss_tot


def surrogate_fidelity(model_output: np.ndarray, surrogate_output: np.ndarray, task: str, output_names) -> dict:
    """How well the surrogate replicates the model on some rows: `r2_per_output`, the R^2 of its outputs
    against the model's (binary classification: class 1 only, class 0 mirrors it), `r2` their mean, and for
    classification `agreement`, the share of rows where both predict the same class; `rows`. NaN when
    undefined (no rows; a constant model output the surrogate misses). The view computes the same per cohort
    (js/tabular/stats.ts, cohortFidelity); the payload fixtures check that both agree."""
    n, k = model_output.shape
    outputs = [1] if task == "classification" and k == 2 else range(k)
    per_output = {str(output_names[c]): _r2(model_output[:, c], surrogate_output[:, c]) for c in outputs}
    fidelity: dict = {"r2": float(np.mean(list(per_output.values())))}
    if task == "classification":
        same = np.argmax(surrogate_output, axis=1) == np.argmax(model_output, axis=1)
        fidelity["agreement"] = float(same.mean()) if n else float("nan")
    fidelity["r2_per_output"] = per_output
    fidelity["rows"] = int(n)
    return fidelity


class TabularExplanation(Explanation):
    """Local feature attributions for tabular rows (from MimicExplainer).

    values[i, j, k] is feature j's contribution to output k for row i, in `units`;
    base_values[k] + values[i, :, k].sum() == surrogate_output[i, k].
    """

    kind = "tabular"
    tasks = ("classification", "regression")

    def __init__(
        self,
        *,
        data: pd.DataFrame,
        feature_names: list[str],
        feature_kinds: list[str],
        values: np.ndarray,
        base_values: np.ndarray,
        surrogate_output: np.ndarray,
        model_output: np.ndarray,
        output_names: list,
        task: str,
        units: str,
        y_pred: np.ndarray,
        y_true: np.ndarray | None = None,
        probabilities: np.ndarray | None = None,
        fidelity: dict | None = None,
    ):
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
        self._validate()

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

    def cohort_fidelity(self, cohort=None) -> dict:
        """The surrogate's fidelity on a cohort's rows (an rw.Cohort, a mask or row indices; None: every
        row), as the view's fidelity badge shows it: see `surrogate_fidelity`."""
        mask = self.cohort_mask(cohort)
        return surrogate_fidelity(self.model_output[mask], self.surrogate_output[mask], self.task, self.output_names)

    def local_importance(self, row: int, output=None) -> pd.Series:
        """One row's values for an output (default: its predicted class), sorted by |value|."""
        k = self.predicted_index()[row] if output is None else self.output_index(output)
        series = pd.Series(
            self.values[row, :, k],
            index=pd.Index(self.feature_names, name="feature"),
            name=f"value for {self.output_names[k]} ({self.units})",
        )
        return series.iloc[np.argsort(-np.abs(series.to_numpy()), kind="stable")]

    def column_spec(self) -> CohortColumns:
        """Every feature (as its kind says), then index, y_true, y_pred, correct or error, confidence."""
        cols: dict[str, Column] = {}
        for name, kind, col in zip(self.feature_names, self.feature_kinds, self.data.columns, strict=True):
            s = self.data[col]
            if kind == "category":
                cols[name] = C.category_of_series(s, C.FEATURE)
            elif kind == "bool":
                cols[name] = C.boolean(s, C.FEATURE)
            else:
                cols[name] = C.NumberColumn(pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan), C.FEATURE)
        special = C.outcome_columns(
            n=len(self),
            task=self.task,
            output_names=self.output_names,
            y_pred=self.y_pred,
            y_true=self.y_true,
            probabilities=self.probabilities,
        )
        for name, col in special.items():
            cols.setdefault(name, col)  # a feature of the same name wins
        return CohortColumns(cols, len(self))

    def numeric_data(self) -> np.ndarray:
        """(n, f) float64: numbers as they are, booleans 0/1, categories as codes (NaN missing)."""
        spec = self.column_spec()
        out = np.empty((len(self.data), len(self.feature_names)))
        for j, name in enumerate(self.feature_names):
            out[:, j] = _as_numbers(spec[name])
        return out

    def to_shap(self, output=None):
        """A shap.Explanation: values (n, f, k), or (n, f) for one output given by name or index."""
        import shap

        base = np.tile(self.base_values, (len(self), 1))
        values = self.values
        output_names: list | None = self.output_names
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
        meta, arrays = outcome_to_arrays(self)
        arrays |= {"values": self.values, "base_values": self.base_values, "surrogate_output": self.surrogate_output}
        columns_meta = []
        spec = self.column_spec()
        for j, (name, kind) in enumerate(zip(self.feature_names, self.feature_kinds, strict=True)):
            col = spec[name]
            if isinstance(col, C.CategoryColumn):
                arrays[f"data_{j}"] = col.codes
                columns_meta.append({"kind": kind, "levels": list(col.categories)})
            elif kind == "bool":
                arrays[f"data_{j}"] = _as_numbers(col)
                columns_meta.append({"kind": kind})
            else:
                arr = self.data[self.data.columns[j]].to_numpy()
                arrays[f"data_{j}"] = arr if arr.dtype.kind in "iuf" else _as_numbers(col)
                columns_meta.append({"kind": kind})
        meta |= {
            "feature_names": self.feature_names,
            "feature_kinds": self.feature_kinds,
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
                data[name] = (
                    pd.array([None if np.isnan(v) else bool(v) for v in raw], dtype="boolean")
                    if np.isnan(raw).any()
                    else raw.astype(bool)
                )
            else:
                data[name] = raw
        return cls(
            data=pd.DataFrame(data),
            feature_names=meta["feature_names"],
            feature_kinds=meta["feature_kinds"],
            values=arrays["values"],
            base_values=arrays["base_values"],
            surrogate_output=arrays["surrogate_output"],
            fidelity=meta.get("fidelity"),
            **outcome_from_arrays(meta, arrays),
        )
