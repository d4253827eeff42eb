"""ExplanationDashboard: the anywidget that shows an explanation inline in a notebook.

What crosses the comm (docs/architecture.md, "The wire format"): `kind`, `meta` (names, settings: small
JSON), `arrays` (numpy as binary buffers, float32/int32, and the column spec cohorts filter on; built by
rai_widget._payload), and the interactive state synced both ways: `cohorts`, `active_cohort`,
`selected_rows`. State lives in traits, so saved notebook widget state and the
offline HTML report rebuild the view without a kernel. Work that needs the model (ICE curves, what-if
points) runs as kernel jobs (rai_widget._jobs), driven by traits as well.
"""

from __future__ import annotations

import functools
import importlib
import numbers
import pathlib
import warnings
from collections.abc import Sequence

import anywidget
import traitlets

from rai_widget import _population, _transport
from rai_widget._checks import shown
from rai_widget._jobs import KernelJob
from rai_widget._payload import payload
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.cohorts import ALL_DATA, Cohort
from rai_widget.explanations import Explanation, ImageExplanation, TabularExplanation
from rai_widget.report import DEFAULT_MAX_ROWS

_STATIC = pathlib.Path(__file__).parent / "static"
_STATE = ("cohorts", "active_cohort", "selected_rows", "what_if_points")  # the traits the view sets
# The kernel jobs of a tabular dashboard with an explainer: name -> "module:function", the handler
# `function(dashboard, params, ctx) -> dict` (imported when the dashboard is made).
TABULAR_JOBS = {"ice": "rai_widget.explainers._ice:ice_job", "what_if": "rai_widget.explainers._what_if:what_if_job"}
NO_EXPLAINER = (
    "needs the model: this explanation was loaded or built without its explainer. Show it with "
    "rw.ExplanationDashboard(exp, explainer=explainer) (the MimicExplainer that made it)."
)
# The values of rw.from_shap came from shap, not from a MimicExplainer's surrogate: the model jobs (whose
# what-if attributions are the surrogate's) would not match them.
NO_EXPLAINER_SHAP = (
    "needs a MimicExplainer: these values came from shap (rw.from_shap), with no model to call here. "
    "rw.MimicExplainer(model, X_train).explain(X) gives an explanation whose ICE and what-if run in the kernel."
)


class DashboardStateError(traitlets.TraitError, ValueError):
    """An invalid dashboard state (cohorts, active cohort, selected rows): a ValueError, and the TraitError
    traitlets expects from a validator (so a change made with others in one step is undone whole)."""


def _cohorts_to_json(cohorts, widget):
    return [c.to_json() for c in cohorts]


def _cohorts_from_json(data, widget):
    return data  # validated, and made Cohorts, by the trait's validator


class _State(traitlets.TraitType):
    """A state trait of any value, None included: the dashboard's validators check them all (traitlets.Any
    lets None past the validators, and List / Unicode reject values with traitlets' own messages)."""

    info_text = "a value the dashboard's validator accepts"


class _Frozen(list):
    """The list a state trait holds: reading it is a list's, editing it in place is refused, since traitlets
    would neither check nor sync the change (assign a new list instead)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            "the dashboard's state lists cannot be edited in place (the change would be neither checked nor sent "
            "to the view): assign a new list, e.g. dash.cohorts = dash.cohorts + [cohort]."
        )

    def __reduce__(self):  # copies and pickles are plain lists
        return (list, (list(self),))

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


def _handler(target: str):
    """The job handler named "module:function"."""
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def _names(cohorts) -> list:
    """The cohorts' names; also while a state from the view is being set, when they may still be JSON."""
    return [c.name if isinstance(c, Cohort) else c.get("name") if isinstance(c, dict) else None for c in cohorts]


class ExplanationDashboard(anywidget.AnyWidget):
    """Interactive view of an explanation. Display it as the last expression of a notebook cell.

    dash.cohorts, dash.active_cohort and dash.selected_rows follow what the user does in the view,
    and setting them from Python updates the view. Every value, from the constructor, from Python or
    from the view, passes one check (the trait validators): cohorts are a list of rw.Cohort (or their
    JSON) with unique names, each evaluable on this explanation; "All data" (every row) is always
    there, put first when missing; when the active cohort is removed, "All data" becomes active.
    A bad value set from Python raises a ValueError naming the cohort; one sent by the view is undone
    (the view is sent the kernel's state back) with a RaiWidgetWarning saying why.

    Parameters
    ----------
    explanation : Explanation, LargeTabularExplanation or list of ImageExplanation
        One explanation, or a list of ImageExplanations of the same images (one per attribution method),
        shown side by side: ``rw.ExplanationDashboard([exp_ig, exp_gradcam])``. Cohorts are evaluated on
        the first (they share images, labels and predictions). A large explanation (``explain()`` of a
        Dask frame) shows its sample, each figure labelled "all N rows" or "sample of n".
    cohorts : list of Cohort, optional
        Cohorts to start with (``rw.Cohort`` or their JSON), besides "All data".
    explainer : MimicExplainer, optional
        For a tabular explanation, the explainer whose model the what-if and ICE views call (needed for
        a loaded explanation; ``exp.show()`` of one made in this kernel finds it). Its features, outputs
        and task must be the explanation's.
    max_message_bytes : int, optional
        The largest comm message the dashboard sends, in bytes (default
        ``ExplanationDashboard.default_max_message_bytes``, 5,000,000: Databricks' limit). Larger data
        arrives in chunks, the view showing its progress; at least 1,000,000.
    **kwargs
        ``active_cohort=`` and ``selected_rows=`` to start with; the rest goes to ``anywidget.AnyWidget``.

    Attributes
    ----------
    cohorts : list of Cohort
        The cohorts, "All data" first; assign a new list to change them (``dash.cohorts = [*dash.cohorts, c]``).
    active_cohort : str
        The name of the cohort the view shows.
    selected_rows : list of int
        The rows selected in the view.
    explanation : Explanation
        The explanation shown (the first, for several image methods).
    explanations : list of Explanation
        Every explanation shown.
    large : LargeTabularExplanation or None
        The large explanation whose sample is shown (None for any other).

    Raises
    ------
    ValueError
        Cohorts that cannot be evaluated on this explanation, duplicate names, or an explainer of another
        model.
    TypeError
        Something that is not an explanation.
    RuntimeError
        The front-end bundle is missing (a source checkout without ``npm run build``).
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"
    default_max_message_bytes = _transport.DEFAULT_MAX_MESSAGE_BYTES  # max_message_bytes= when not given

    kind = traitlets.Unicode("").tag(sync=True)
    # The data: synced whole while small, else as a descriptor with the large buffers in chunks (rai_widget._transport)
    meta = traitlets.Dict().tag(sync=True, to_json=_transport.to_json("meta"))
    arrays = traitlets.Dict().tag(sync=True, to_json=_transport.to_json("arrays"))
    # Any element type: the validators below check every value, Python's and the view's, with clear messages
    cohorts = _State().tag(sync=True, to_json=_cohorts_to_json, from_json=_cohorts_from_json)
    active_cohort = _State(ALL_DATA).tag(sync=True)
    selected_rows = _State().tag(sync=True)
    # Kernel jobs (rai_widget._jobs): whether they can run here, and each job's request / status / result.
    kernel = traitlets.Dict().tag(sync=True)
    ice_request = traitlets.Dict().tag(sync=True)
    ice_status = traitlets.Dict().tag(sync=True)
    ice_result = traitlets.Dict().tag(sync=True)
    # ICE and PDP precomputed by save_html for the offline report (rai_widget.explainers._ice.offline_ice).
    ice_offline = traitlets.Dict().tag(sync=True)
    what_if_request = traitlets.Dict().tag(sync=True)
    what_if_status = traitlets.Dict().tag(sync=True)
    what_if_result = traitlets.Dict().tag(sync=True)
    # A large explanation (rai_widget._population): a cohort's figures over every row, asked by the view.
    population_request = traitlets.Dict().tag(sync=True)
    population_status = traitlets.Dict().tag(sync=True)
    population_result = traitlets.Dict().tag(sync=True)
    # The what-if points the user keeps (saved with the notebook's widget state and in the offline report).
    what_if_points = _State().tag(sync=True)

    @traitlets.default("cohorts")
    def _no_cohorts(self) -> list[Cohort]:
        return _Frozen([Cohort(ALL_DATA, [])])

    @traitlets.default("selected_rows")
    def _no_rows(self) -> list[int]:
        return _Frozen()

    @traitlets.default("what_if_points")
    def _no_points(self) -> list[dict]:
        return _Frozen()

    def __init__(
        self,
        explanation: Explanation | Sequence[ImageExplanation],
        cohorts=None,
        explainer=None,
        max_message_bytes: int | None = None,
        **kwargs,
    ):
        methods: list[Explanation] | None = None
        # A large explanation (explain() of a Dask frame): its sample is drawn, its all-row figures beside it.
        self.large = _population.large_of(explanation)
        if self.large is not None:
            explanation = self.large.sample
        if isinstance(explanation, (list, tuple)):
            # Several image explanations (one per method) of the same images: drawn side by side.
            from rai_widget.explanations.image import comparable_images

            methods = list(comparable_images(explanation))
            explanation = methods[0]
        if not isinstance(explanation, Explanation):
            raise TypeError(
                f"ExplanationDashboard needs an explanation (e.g. from MimicExplainer(...).explain(X)), "
                f"not {type(explanation).__name__}."
            )
        if not (_STATIC / "widget.js").exists():
            raise RuntimeError(
                "rai_widget's front-end bundle is missing (rai_widget/static/widget.js). Reinstall the "
                "package, or in a source checkout run `npm install && npm run build`."
            )
        state = {k: kwargs.pop(k) for k in ("active_cohort", "selected_rows") if k in kwargs}
        self.explanation = explanation
        self.explanations = [explanation] if methods is None else methods
        self._columns = explanation.column_spec()  # computed once: the payload ships it, cohorts are evaluated on it
        cap = _transport.check_cap(
            self.default_max_message_bytes if max_message_bytes is None else max_message_bytes,
            "default_max_message_bytes" if max_message_bytes is None else "max_message_bytes",
        )
        super().__init__(**kwargs)
        self._transport = _transport.Transport(self, cap)  # from here on, meta and arrays travel under the cap
        self.kind = explanation.kind
        self.meta, self.arrays = payload(self.explanations, self._columns)
        if self.large is not None:
            self.meta = {**self.meta, "population": _population.population_meta(self.large)}
        self.cohorts = [] if cohorts is None else cohorts  # checked by _check_cohorts, as every later set is
        for name, value in state.items():
            setattr(self, name, value)
        self.explainer = self._check_explainer(explainer)
        self.jobs: dict[str, KernelJob] = {}
        if self.explainer is not None:
            for job, target in TABULAR_JOBS.items():
                self.jobs[job] = KernelJob(self, job, functools.partial(_handler(target), self))
            self.kernel = {"available": True, "reason": ""}
        else:
            if not isinstance(explanation, TabularExplanation):
                why = "is for tabular explanations"
            else:
                why = NO_EXPLAINER_SHAP if explanation.source == "shap" else NO_EXPLAINER
            self.kernel = {"available": False, "reason": why}
        if self.large is not None:  # needs no explainer: the large explanation computes it
            self.jobs["population"] = KernelJob(self, "population", functools.partial(_population.population_job, self))
            self.kernel = {**self.kernel, "population": True}

    def _check_explainer(self, explainer):
        """The explainer behind the model jobs: the one given, else the one that made the explanation (an
        explanation from explain() in this kernel remembers it), checked to match the explanation."""
        exp = self.explanation
        if explainer is None:
            return getattr(exp, "explainer", None) if isinstance(exp, TabularExplanation) else None
        from rai_widget.explainers.tabular import MimicExplainer

        if not isinstance(exp, TabularExplanation):
            raise TypeError(f"explainer= is for tabular explanations; this is a {exp.kind} explanation.")
        if exp.source == "shap":
            raise ValueError(
                "explainer= is for explanations a MimicExplainer made; these values came from shap (rw.from_shap), "
                "and a what-if's attributions would be its surrogate's, not shap's. Show them without explainer=."
            )
        if not isinstance(explainer, MimicExplainer):
            raise TypeError(
                f"explainer must be the rw.MimicExplainer that made the explanation, not {type(explainer).__name__}."
            )
        mismatch = [
            what
            for what, mine, theirs in (
                ("features", exp.feature_names, explainer.feature_names),
                ("outputs", [str(o) for o in exp.output_names], [str(o) for o in explainer.output_names]),
                ("task", exp.task, explainer.task),
            )
            if mine != theirs
        ]
        if mismatch:
            raise ValueError(
                f"this explainer cannot have made the explanation: their {' and '.join(mismatch)} differ. Pass the "
                "MimicExplainer that explained these rows."
            )
        return explainer

    # --- the state's one validation boundary: the constructor, Python's sets and the view's all pass here
    @traitlets.validate("cohorts")
    def _check_cohorts(self, proposal) -> list[Cohort]:
        """Cohorts as the dashboard holds them: copies, named uniquely, each evaluable on this explanation, and
        "All data" (every row, no filters) first when missing."""
        value = proposal["value"]
        if isinstance(value, (str, dict, Cohort)) or not isinstance(value, (list, tuple)):
            raise DashboardStateError(
                f"cohorts must be a list of rw.Cohort (or their JSON), not {type(value).__name__}; for one cohort, "
                "wrap it in a list: dash.cohorts = [cohort]."
            )
        cohorts = []
        for i, c in enumerate(value):
            try:
                if isinstance(c, dict):
                    c = Cohort.from_json(c)
                elif not isinstance(c, Cohort):
                    raise TypeError(f"a {type(c).__name__}, not an rw.Cohort or its JSON")
                cohorts.append(Cohort.from_json(c.to_json()))  # a copy: editing the caller's cohort changes nothing
            except (TypeError, ValueError) as err:
                raise DashboardStateError(f"cohorts[{i}] is not a cohort: {err}") from None
        names = [c.name for c in cohorts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DashboardStateError(
                f"cohort names must be unique; {shown(dupes)} {'is' if len(dupes) == 1 else 'are'} used more than "
                "once: rename or drop the copies."
            )
        for c in cohorts:
            if c.name == ALL_DATA and c.filters:
                raise DashboardStateError(
                    f"the cohort {ALL_DATA!r} is every row and has no filters; give your cohort another name."
                )
            try:
                c.mask(self._columns)  # fail now, with the reason, rather than in the browser
            except (TypeError, ValueError) as err:
                raise DashboardStateError(f"cohort {c.name!r} cannot be evaluated on this explanation: {err}") from None
        if ALL_DATA not in names:
            cohorts.insert(0, Cohort(ALL_DATA, []))
        return _Frozen(cohorts)

    @traitlets.observe("cohorts")
    def _keep_active(self, change) -> None:
        """The active cohort was removed: the view shows "All data" (which is always there) instead."""
        if self.active_cohort not in _names(self.cohorts):
            self.active_cohort = ALL_DATA

    @traitlets.validate("active_cohort")
    def _check_active(self, proposal):
        name = proposal["value"]
        names = _names(self.cohorts) or [ALL_DATA]
        if not isinstance(name, str) or name not in names:
            raise DashboardStateError(f"no cohort named {shown(name)}; cohorts: {shown(names)}.")
        return name

    @traitlets.validate("selected_rows")
    def _check_rows(self, proposal):
        n = len(self.explanation)
        value = proposal["value"]
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            raise DashboardStateError(f"selected_rows must be a list of row indices, not {type(value).__name__}.")
        odd = [r for r in value if isinstance(r, bool) or not isinstance(r, numbers.Integral)]
        if odd:
            raise DashboardStateError(f"selected_rows must be row indices (integers); got {shown(odd[0])}.")
        rows = [int(r) for r in value]
        bad = [r for r in rows if not 0 <= r < n]
        if bad:
            raise DashboardStateError(f"selected_rows must be row indices in [0, {n}); got {shown(bad)}.")
        return _Frozen(rows)

    @traitlets.validate("what_if_points")
    def _check_points(self, proposal):
        from rai_widget.explainers._what_if_points import check_points

        if not isinstance(self.explanation, TabularExplanation):
            if proposal["value"]:
                raise DashboardStateError("what_if_points are for tabular explanations.")
            return _Frozen()
        try:
            return _Frozen(check_points(proposal["value"], self))
        except (TypeError, ValueError) as err:
            raise DashboardStateError(str(err)) from None

    @property
    def what_if(self):
        """The what-if points kept in the view, as a DataFrame (tabular).

        One row per point (index: its name): the explained row it started from, every feature's value
        (``"value: <feature>"``), the prediction, the probabilities (``"probability: <class>"``) or model
        output, the surrogate/model gap, the attribution (``"attribution: <feature>"``, ``"... -> <class>"``
        per class) and the findings. Compare with ``exp.local_importance(row)``; save with
        ``dash.what_if.to_csv(path)``.
        """
        from rai_widget.explainers._what_if_points import points_frame

        return points_frame(self)

    def _repr_mimebundle_(self, **kwargs):
        self._transport.displayed()  # chunked data follows the display (rai_widget._transport)
        return super()._repr_mimebundle_(**kwargs)

    def set_state(self, sync_data):
        """What the view sends. A state the kernel cannot use (a cohort the kernel cannot evaluate, an
        unknown active cohort, rows out of range) is undone whole: the kernel keeps its last valid state,
        sends it back so the view shows it again, and says why in a RaiWidgetWarning."""
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as err:
            self.send_state([k for k in _STATE if k in sync_data] or list(_STATE))
            warnings.warn(
                f"the dashboard's view sent a state the kernel cannot use, so it was undone: {err}",
                RaiWidgetWarning,
                stacklevel=2,
            )

    def cohort(self, name: str) -> Cohort:
        """The cohort called ``name``.

        Parameters
        ----------
        name : str
            The cohort's name.

        Returns
        -------
        Cohort
            The cohort.

        Raises
        ------
        KeyError
            No cohort has that name (the error lists them).
        """
        for c in self.cohorts:
            if c.name == name:
                return c
        raise KeyError(f"no cohort named {shown(name)}; cohorts: {shown([c.name for c in self.cohorts])}")

    def cohort_rows(self, name: str | None = None):
        """The explained rows of a cohort.

        Parameters
        ----------
        name : str, optional
            The cohort's name; default the active cohort.

        Returns
        -------
        DataFrame or ndarray
            Its rows of ``exp.data`` (tabular); for other kinds, its boolean mask over the items.

        Raises
        ------
        KeyError
            No cohort has that name.
        """
        mask = self.cohort(name or self.active_cohort).mask(self._columns)
        return self.explanation.data[mask] if isinstance(self.explanation, TabularExplanation) else mask

    def save_html(self, path, title: str | None = None, max_rows: int | None = DEFAULT_MAX_ROWS):
        """Write this view, with its cohorts, to one HTML file that opens offline without a kernel.

        The file holds the bundle and the state: no network request, no server, no port; it stays
        interactive (cohorts, classes, charts, rows). Share it rather than the notebook's own HTML export,
        whose widget manager loads from a CDN.

        Parameters
        ----------
        path : str or Path
            The HTML file to write.
        title : str, optional
            The page's title.
        max_rows : int or None, optional
            For a tabular explanation, the most rows the report embeds (default 50,000). With more, it holds
            a stratified sample of them and the figures over every row, each labelled "all N rows" or
            "sample of n", with the cohorts, selection and kept what-if points mapped onto the sample; a
            RaiWidgetWarning says so. None embeds every row. A large explanation's report holds its own sample.

        Returns
        -------
        Path
            The path written.
        """
        from rai_widget.report import save_html

        return save_html(self, path, title, max_rows=max_rows)

    def __repr__(self) -> str:  # stable across runs, for notebook output comparison
        methods = f", {len(self.explanations)} methods" if len(self.explanations) > 1 else ""
        return f"ExplanationDashboard({self.kind}, {self.meta.get('n_rows', 0)} rows{methods})"
