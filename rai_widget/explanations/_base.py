"""Explanation: the base of every result class (the registry of kinds, outputs, cohort masks, display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rai_widget._checks import check_classes, shown
from rai_widget.explanations._columns import CohortColumns
from rai_widget.report import DEFAULT_MAX_ROWS


class Explanation:
    """Base of every explanation: what every kind has.

    Subclasses set ``kind``, declare their cohort columns in ``column_spec()`` and implement the save
    format's array round trip (``_to_arrays`` / ``_from_arrays``).

    Attributes
    ----------
    output_names : list
        The classes, labels or the regression target.
    task : str
        ``"classification"``, ``"multilabel"``, ``"regression"`` or ``"detection"``.
    units : str
        What values and outputs are in: ``"log-odds"``, ``"probability"``, ``"output"``, ...
    y_true : array_like or None
        The true labels, when given to ``explain()``.
    y_pred : array_like
        The model's predictions.
    model_output : ndarray
        (n, k): the model's output per row and output, in the explained space (``units``).
    """

    kind: ClassVar[str] = ""
    tasks: ClassVar[tuple[str, ...]] = ()  # the tasks this kind can hold
    _registry: ClassVar[dict[str, type[Explanation]]] = {}

    output_names: list
    task: str
    units: str
    y_true: Any
    y_pred: Any
    model_output: np.ndarray

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Explanation._registry[cls.kind] = cls

    def __len__(self) -> int:
        return len(self.model_output)

    # --- consistency ------------------------------------------------------------------------
    def _validate(self) -> None:
        """Check that the fields make one consistent explanation, or raise ValueError / TypeError naming
        the field. Every subclass calls it at the end of __init__ (adding its own checks), so what
        explain() returns and what rw.load() reads pass the same checks: no path gives a half-valid object."""
        check_classes(self.output_names, "output_names")
        if not isinstance(self.task, str) or self.task not in self.tasks:
            raise ValueError(f"task is {shown(self.task)}; a {type(self).__name__} has one of {', '.join(self.tasks)}.")
        if not isinstance(self.units, str):
            raise TypeError(f"units must be a string (e.g. 'probability'), not {shown(self.units)}.")
        n = len(self)
        out = np.asarray(self.model_output)
        if out.ndim != 2 or out.shape != (n, len(self.output_names)):
            raise ValueError(
                f"model_output has shape {out.shape}, not ({n}, {len(self.output_names)}): one row per explained "
                f"item and one column per output name."
            )
        if out.dtype.kind not in "biuf":
            raise TypeError(f"model_output holds {out.dtype}, not numbers.")
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if len(bad):
            raise ValueError(
                f"model_output has NaN or infinite values in rows {shown(bad)}: the model returned scores that "
                "cannot be explained."
            )
        k = len(self.output_names)
        for name in ("y_pred", "y_true"):
            labels = getattr(self, name)
            if labels is None:
                continue
            if len(labels) != n:
                raise ValueError(f"{name} has {len(labels)} values for {n} explained items.")
            if self.task not in ("classification", "regression", "multilabel"):
                continue  # e.g. detection: one list of labels per image, checked by its kind
            shape = np.shape(labels)
            if self.task == "multilabel" and (shape != (n, k) or np.asarray(labels).dtype != bool):
                raise ValueError(f"a multi-label {name} is an ({n}, {k}) boolean array (one column per output).")
            if self.task in ("classification", "regression") and len(shape) != 1:
                raise ValueError(f"{name} has shape {shape}: one label per explained item, ({n},).")
        p = getattr(self, "probabilities", None)
        if p is not None:
            p = np.asarray(p)
            if p.shape != (n, k) or p.dtype.kind not in "biuf" or not np.isfinite(p).all():
                raise ValueError(f"probabilities must be finite numbers of shape ({n}, {k}), got shape {p.shape}.")
            if (p < -1e-6).any() or (p > 1 + 1e-6).any():
                raise ValueError("probabilities must lie in [0, 1].")

    # --- outputs and rows -------------------------------------------------------------------
    def output_index(self, output) -> int:
        """Index of an output given by name or position.

        Parameters
        ----------
        output : str or int
            An output name (as in ``output_names``, or its text), or an index.

        Returns
        -------
        int
            The output's index in ``output_names``.

        Raises
        ------
        ValueError
            An unknown output, or an index out of range.
        """
        if isinstance(output, (int, np.integer)) and not isinstance(output, bool):
            if output not in self.output_names and not 0 <= output < len(self.output_names):
                raise ValueError(f"output {shown(output)} is out of range; outputs: {shown(self.output_names)}.")
            if output in self.output_names:
                return self.output_names.index(output)
            return int(output)
        for i, name in enumerate(self.output_names):
            if name == output or str(name) == str(output):
                return i
        raise ValueError(f"unknown output {shown(output)}; outputs: {shown(self.output_names)}, or 'predicted'.")

    def predicted_index(self) -> np.ndarray:
        """Per row, the index of the predicted output.

        Returns
        -------
        ndarray
            (n,) int: the output of the highest model output (classification), else zeros.
        """
        if self.task == "classification":
            return np.argmax(self.model_output, axis=1)
        return np.zeros(len(self.model_output), dtype=np.int64)

    def cohort_mask(self, cohort) -> np.ndarray:
        """The rows of a cohort, as a boolean mask.

        Parameters
        ----------
        cohort : Cohort, dict, array or list, optional
            An ``rw.Cohort`` (or its JSON dict), a boolean mask of one value per row, row indices (in
            [0, n)), or None (every row).

        Returns
        -------
        ndarray
            (n,) bool.

        Raises
        ------
        ValueError
            A mask of the wrong length, indices out of range, or filters this explanation cannot evaluate.
        TypeError
            Anything else (a cohort's name: use ``dash.cohort(name)``).
        """
        n = len(self)
        if cohort is None:
            return np.ones(n, dtype=bool)
        if isinstance(cohort, dict):
            from rai_widget.cohorts import Cohort

            cohort = Cohort.from_json(cohort)
        if hasattr(cohort, "mask"):
            return np.asarray(cohort.mask(self), dtype=bool)
        if isinstance(cohort, (str, bytes)):
            raise TypeError(
                f"cohort={shown(cohort)}: pass an rw.Cohort (e.g. dash.cohort({shown(cohort)})), a boolean mask or "
                "row indices."
            )
        arr = np.asarray(cohort)
        if arr.size == 0 and arr.dtype.kind in "fO":
            arr = arr.astype(np.int64)  # []: no rows
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(
                    f"cohort: a boolean mask needs one value per row ({n}), got shape {arr.shape}; or pass row indices."
                )
            return arr.copy()
        if arr.dtype.kind in "iu" and arr.ndim <= 1:
            arr = np.atleast_1d(arr)  # one row index: that row
            bad = arr[(arr < 0) | (arr >= n)]
            if len(bad):
                raise ValueError(f"cohort: row indices must be in [0, {n}); got {shown(bad)}.")
            mask = np.zeros(n, dtype=bool)
            mask[arr] = True
            return mask
        raise TypeError(
            f"cohort must be an rw.Cohort, a boolean mask of {n} values or a list of row indices, not "
            f"{shown(cohort) if arr.size <= 10 else type(cohort).__name__}."
        )

    # --- cohort columns ---------------------------------------------------------------------
    def column_spec(self) -> CohortColumns:
        """The columns cohorts filter on, exactly as the kernel and the view evaluate them."""
        raise NotImplementedError

    def cohort_columns(self) -> pd.DataFrame:
        """The columns cohorts filter on, as a DataFrame.

        Returns
        -------
        DataFrame
            One row per explained item: the features (tabular), then ``index``, ``y_true``, ``y_pred``,
            ``correct``, ... as ``Cohort.mask`` evaluates them.
        """
        return self.column_spec().to_frame()

    # --- tables ----------------------------------------------------------------------------
    def to_frame(self, output=None, long: bool = False) -> pd.DataFrame:
        """The explanation as a pandas table; tabular and text explanations have one (see theirs).

        An image or detection explanation has none: its attributions are maps, not rows of numbers.

        Parameters
        ----------
        output : str, int or None, optional
            Which output (a name or index, or ``"predicted"``); None: the outputs the kind holds.
        long : bool, optional
            One row per attribution (True) or per explained item (False).

        Returns
        -------
        pandas.DataFrame
            See ``TabularExplanation.to_frame`` and ``TextExplanation.to_frame``.

        Raises
        ------
        TypeError
            For a kind without a table (images, detections), saying what to use instead (``to_shap()``).

        Examples
        --------
        >>> image_exp.to_frame()
        Traceback (most recent call last):
        TypeError: ImageExplanation has no to_frame(): ... use exp.to_shap() for a shap.Explanation, ...
        """
        from rai_widget.explanations._frames import no_frame

        raise no_frame(self)

    def to_parquet(self, path, output=None) -> Path:
        """Write ``to_frame(output)`` to a Parquet file with pyarrow; tabular and text explanations have one.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write; its folder must exist.
        output : str, int or None, optional
            Which outputs, as in ``to_frame``.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        TypeError
            For a kind without a table (images, detections), as ``to_frame`` does; nothing is written.
        ImportError
            pyarrow is not installed: ``pip install "rai-widget[parquet]"``.

        Examples
        --------
        >>> exp.to_parquet("attributions.parquet")
        PosixPath('attributions.parquet')
        """
        from rai_widget.explanations._frames import to_parquet

        return to_parquet(self, path, output)

    # --- persistence and display ------------------------------------------------------------
    def _to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    @classmethod
    def _from_arrays(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Explanation:
        raise NotImplementedError

    def save(self, path) -> Path:
        """Write the explanation to one compressed ``.npz`` file: arrays and a JSON header, no pickle.

        ``rw.load(path)`` reads it back.

        Parameters
        ----------
        path : str or Path
            The file to write.

        Returns
        -------
        Path
            The path written.
        """
        from rai_widget.explanations._format import save

        return save(self, path)

    def show(self, **kwargs):
        """The interactive dashboard of this explanation; display it as a cell's last expression.

        Parameters
        ----------
        **kwargs
            ``ExplanationDashboard``'s other arguments: ``cohorts``, ``explainer``.

        Returns
        -------
        ExplanationDashboard
            The widget.
        """
        from rai_widget.widget import ExplanationDashboard

        return ExplanationDashboard(self, **kwargs)

    def save_html(self, path, title: str | None = None, cohorts=None, max_rows: int | None = DEFAULT_MAX_ROWS):
        """Write an offline, self-contained HTML view of this explanation.

        Parameters
        ----------
        path : str or Path
            The HTML file to write.
        title : str, optional
            The page's title.
        cohorts : list of Cohort, optional
            Cohorts to include besides "All data".
        max_rows : int or None, optional
            For a tabular explanation, the most rows the report embeds (default 50,000, about 18 MB with 30
            features). With more rows, the report holds a stratified sample of ``max_rows`` of them (every
            (true, predicted) class pair kept) and, beside it, global importance, fidelity and metrics over
            every row; each figure is labelled "all N rows" or "sample of n", the page's note says so, and a
            ``RaiWidgetWarning`` says so here. ``None`` embeds every row. Other kinds embed every item.

        Returns
        -------
        Path
            The path written (see ``ExplanationDashboard.save_html``).

        Examples
        --------
        >>> exp.save_html("report.html")                  # 1,000,000 rows: a sample of 50,000, all-row figures
        >>> exp.save_html("all.html", max_rows=None)      # every row (a file of hundreds of MB)
        """
        from rai_widget.report import check_max_rows, sample_dashboard, save_html

        max_rows = check_max_rows(max_rows)
        if self.kind == "tabular" and max_rows is not None and len(self) > max_rows:
            dash = sample_dashboard(self, max_rows, cohorts)  # the full dashboard (every row's payload) never built
        else:
            dash = self.show(cohorts=cohorts)
        return save_html(dash, path, title, max_rows=max_rows)
