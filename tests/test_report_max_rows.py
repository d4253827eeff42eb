"""save_html(max_rows=...): a tabular report of many rows holds a stratified sample of them and the figures over
every row (rai_widget/report.py), in the shape a large explanation's dashboard sends (meta["population"]).

Checked against ground truth computed here on every row: the embedded rows are exactly _sample.py's stratified
sample (every (true, predicted) class pair of the explanation present); the embedded all-row importance,
fidelity and metrics equal exp.global_importance / exp.fidelity / exp.metrics on every row (and differ from
the sample's, so the test would see the sample's figures); the file is bounded by the sample's size, not the
rows'. With no more rows than max_rows, the report is byte for byte today's. The view's labels: in Chromium,
tests/browser/test_report_sample_view.py."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from population_fake import FakeLarge, credit_model

import rai_widget as rw
from rai_widget import report
from rai_widget.explanations import _sample
from rai_widget.explanations.tabular import TabularExplanation, surrogate_fidelity

N_ROWS, MAX_ROWS = 300_000, 100_000
CLASSES = ["approve", "review", "reject"]


def synthetic(n: int, seed: int = 0) -> TabularExplanation:
    """A 3-class explanation of n rows built from arrays (no model: fast at 300,000 rows): a rare class
    ("reject", ~3% of the predictions) and ~2% of the true labels wrong, so some (true, predicted) pairs are
    rare; values add up to the surrogate output, the model output near it."""
    rng = np.random.default_rng(seed)
    f = 5
    data = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(f)})
    values = rng.normal(size=(n, f, 3)) * np.array([2.0, 1.0, 0.5, 0.25, 0.1])[None, :, None]
    base = np.array([0.5, 0.0, -4.0])
    surrogate = base + values.sum(axis=1)
    model = surrogate + rng.normal(scale=0.1, size=(n, 3))
    pred = np.asarray(CLASSES, dtype=object)[model.argmax(axis=1)]
    truth = pred.copy()
    flip = rng.random(n) < 0.02
    truth[flip] = np.asarray(CLASSES, dtype=object)[rng.integers(0, 3, flip.sum())]
    e = np.exp(model - model.max(axis=1, keepdims=True))
    return TabularExplanation(
        data=data,
        feature_names=list(data.columns),
        feature_kinds=["numeric"] * f,
        values=values,
        base_values=base,
        model_output=model,
        output_names=CLASSES,
        task="classification",
        units="log-odds",
        y_pred=pred,
        y_true=truth,
        probabilities=e / e.sum(axis=1, keepdims=True),
        fidelity=surrogate_fidelity(model, surrogate, "classification", CLASSES),
    )


@pytest.fixture(scope="module")
def big():
    return synthetic(N_ROWS)


def embedded_state(path) -> dict:
    """The widget state a report embeds (binary buffers still base64)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="rw-state">(.*?)</script>', text, re.S).group(1))


def note(path) -> str:
    return re.search(r'<div class="rw-report-note">(.*?)</div>', path.read_text(encoding="utf-8"), re.S).group(1)


def save_quietly(obj, path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = obj.save_html(path, **kwargs) if hasattr(obj, "save_html") else None
    return out, [w for w in caught if issubclass(w.category, rw.RaiWidgetWarning)]


@pytest.fixture(scope="module")
def sampled_report(big, tmp_path_factory):
    path = tmp_path_factory.mktemp("max_rows") / "big.html"
    with pytest.warns(rw.RaiWidgetWarning) as caught:
        written = big.save_html(path, max_rows=MAX_ROWS)
    return written, [str(w.message) for w in caught]


def test_a_report_of_more_rows_than_max_rows_embeds_the_stratified_sample(big, sampled_report, tmp_path):
    path, _ = sampled_report
    state = embedded_state(path)
    positions = _sample.sample_positions(big, MAX_ROWS)
    assert len(positions) == MAX_ROWS and state["meta"]["n_rows"] == MAX_ROWS
    # every (true, predicted) pair of the 300,000 rows is in the sample, the rarest ones whole
    pairs = pd.Series(list(zip(big.y_true, big.y_pred, strict=True)))
    kept = pairs.iloc[positions].value_counts()
    counts = pairs.value_counts()
    assert set(kept.index) == set(counts.index) and len(counts) == 9
    floor = MAX_ROWS // (2 * len(counts))
    for pair, count in counts.items():
        assert kept[pair] == min(count, floor) or kept[pair] > floor, pair
    # the embedded rows are those rows: the payload of an ordinary explanation of exactly them
    ordinary = report.widget_state(_sample.subset(big, positions).show())
    assert state["arrays"] == ordinary["arrays"]
    assert {k: v for k, v in state["meta"].items() if k != "population"} == ordinary["meta"]
    # bounded by the sample, not the rows: as large as a report of the 100,000 rows alone, a third of every row's
    alone, _ = save_quietly(_sample.subset(big, positions), tmp_path / "alone.html", max_rows=None)
    every, _ = save_quietly(big, tmp_path / "every.html", max_rows=None)
    size = path.stat().st_size
    assert size < 1.01 * alone.stat().st_size
    assert size < 0.4 * every.stat().st_size
    assert embedded_state(every)["meta"]["n_rows"] == N_ROWS


def test_the_report_holds_the_figures_over_every_row(big, sampled_report):
    path, _ = sampled_report
    population = embedded_state(path)["meta"]["population"]
    sample = _sample.subset(big, _sample.sample_positions(big, MAX_ROWS))
    assert population["rows"] == N_ROWS and population["sample_rows"] == MAX_ROWS
    for name in CLASSES:
        truth = big.global_importance(output=name).reindex(big.feature_names).to_numpy()
        np.testing.assert_allclose(population["importance"][name], truth, rtol=0, atol=1e-12)
        on_sample = sample.global_importance(output=name).reindex(big.feature_names).to_numpy()
        assert np.abs(on_sample - truth).max() > 1e-4  # the sample's would differ: the test can tell
    fidelity = surrogate_fidelity(big.model_output, big.surrogate_output, big.task, big.output_names)
    assert population["fidelity"]["rows"] == N_ROWS
    assert population["fidelity"]["r2"] == pytest.approx(fidelity["r2"], abs=1e-12)
    assert population["fidelity"]["agreement"] == pytest.approx(fidelity["agreement"], abs=1e-12)
    # metrics over every row: accuracy counted here, the rest as exp.metrics() computes them on all rows
    accuracy = {m["metric"]: m for m in population["metrics"]}["accuracy"]
    assert accuracy["n"] == N_ROWS
    assert accuracy["value"] == pytest.approx(np.mean(big.y_true == big.y_pred), abs=1e-12)
    expected = big.metrics(n_boot=0)
    assert [m["metric"] for m in population["metrics"]] == expected["metric"].tolist()
    np.testing.assert_allclose([m["value"] for m in population["metrics"]], expected["value"], rtol=0, atol=1e-12)


def test_the_report_and_a_warning_say_it_holds_a_sample(big, sampled_report):
    path, messages = sampled_report
    assert len(messages) == 1
    assert "300,000 rows" in messages[0] and "stratified sample of 100,000" in messages[0]
    assert "max_rows=None" in messages[0]
    text = note(path)
    assert "stratified sample of 100,000 of the 300,000 rows" in text and "all 300,000 rows" in text
    # the title counts every row, the classes as before
    assert "<title>Tabular explanation: 300,000 rows, 3 classes</title>" in path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def credit():
    explainer, X, y = credit_model(600)
    return explainer.explain(X, y_true=y)


def test_no_more_rows_than_max_rows_writes_todays_report_byte_for_byte(credit, tmp_path):
    cohorts = [rw.Cohort("older", [rw.Filter("age", ">", 40)])]
    paths = {}
    for name, max_rows in (("every", None), ("default", report.DEFAULT_MAX_ROWS), ("exact", len(credit))):
        paths[name], caught = save_quietly(credit, tmp_path / f"{name}.html", cohorts=cohorts, max_rows=max_rows)
        assert caught == []
    paths["dash"], caught = save_quietly(credit.show(cohorts=cohorts), tmp_path / "dash.html")
    assert caught == []
    pages = {name: p.read_bytes() for name, p in paths.items()}
    assert len(set(pages.values())) == 1, [k for k, v in pages.items() if v != pages["every"]]
    state = embedded_state(paths["default"])
    assert "population" not in state["meta"] and state["meta"]["n_rows"] == len(credit)
    assert "sample" not in note(paths["default"])


def test_a_dashboards_report_maps_its_cohorts_and_selection_onto_the_sample(credit, tmp_path):
    held_out = [3, 10, 11, 250, 599]
    cohorts = [
        rw.Cohort("older", [rw.Filter("age", ">", 40)]),
        rw.Cohort("held out", [rw.Filter("index", "in", held_out)]),
        rw.Cohort("first half or south", [rw.Filter("index", "<", 300), rw.Filter("region", "==", "south")], "any"),
    ]
    dash = credit.show(cohorts=cohorts, active_cohort="held out", selected_rows=list(range(0, 600, 7)))
    with pytest.warns(rw.RaiWidgetWarning, match="selected rows"):
        path = report.save_html(dash, tmp_path / "dash.html", max_rows=200)
    state = embedded_state(path)
    positions = _sample.sample_positions(credit, 200)
    sample = _sample.subset(credit, positions)
    assert state["meta"]["n_rows"] == 200 and state["active_cohort"] == "held out"
    assert state["selected_rows"] == [i for i, p in enumerate(positions) if p % 7 == 0]
    for raw in state["cohorts"]:
        original = dash.cohort(raw["name"])
        mapped = rw.Cohort.from_json(raw)
        np.testing.assert_array_equal(mapped.mask(sample), original.mask(credit)[positions], err_msg=raw["name"])


@pytest.mark.parametrize(
    "flt",
    [
        rw.Filter("index", "==", 4),
        rw.Filter("index", "!=", 4),
        rw.Filter("index", "<", 17),
        rw.Filter("index", "<=", 17),
        rw.Filter("index", ">", 512.5),
        rw.Filter("index", ">=", 512),
        rw.Filter("index", "between", [100, 140]),
        rw.Filter("index", "between", [5, 5]),
        rw.Filter("index", "not in", [0, 1, 2, 3, 400]),
    ],
    ids=lambda f: f"{f.op} {f.value}",
)
def test_a_cohort_on_the_row_index_selects_the_sample_rows_of_the_same_rows(credit, flt):
    sampled = report.ReportSample(credit, 150)
    cohort = rw.Cohort("c", [flt, rw.Filter("income", ">", 0)])
    mapped = sampled.cohort(cohort)
    np.testing.assert_array_equal(mapped.mask(sampled.sample), cohort.mask(credit)[sampled.positions])


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "100", [10]])
def test_max_rows_must_be_a_row_count_or_none(credit, tmp_path, bad):
    with pytest.raises(ValueError, match="max_rows must be a whole number of rows >= 1"):
        credit.save_html(tmp_path / "r.html", max_rows=bad)
    with pytest.raises(ValueError, match="max_rows must be"):
        report.save_html(credit.show(), tmp_path / "r.html", max_rows=bad)
    assert list(tmp_path.iterdir()) == []


def test_a_large_explanations_report_holds_its_own_sample_whatever_max_rows(tmp_path):
    explainer, X, y = credit_model(400)
    large = FakeLarge(explainer, X, y, sample_rows=120)
    path, caught = save_quietly(rw.ExplanationDashboard(large), tmp_path / "large.html")
    assert caught == []
    small = report.save_html(rw.ExplanationDashboard(large), tmp_path / "small.html", max_rows=50)
    assert path.read_bytes() == small.read_bytes()
    state = embedded_state(path)
    assert state["meta"]["n_rows"] == 120 and state["meta"]["population"]["rows"] == 400
    assert "stratified sample of 120 of the 400 rows" in note(path)


def test_kept_what_if_points_of_sampled_rows_follow_their_rows_and_the_others_are_named(credit, tmp_path):
    from rai_widget._payload._wire import wire_to_array

    positions = _sample.sample_positions(credit, 200)
    inside, outside = int(positions[7]), int(np.setdiff1d(np.arange(len(credit)), positions)[0])
    dash = credit.show()
    points = []
    for k, row in enumerate((inside, outside)):
        dash.what_if_request = {"id": k + 1, "params": {"row": row, "values": {"income": 90.0}}}
        dash.jobs["what_if"].wait(30)
        result = {key: v for key, v in dash.what_if_result.items() if key not in ("id", "row", "values")}
        result["attribution"] = wire_to_array(result["attribution"]).astype(float).tolist()
        points.append({"name": f"point {k}", "row": row, "values": {"income": 90.0}, **result})
    dash.what_if_points = points
    with pytest.warns(rw.RaiWidgetWarning, match="1 kept what-if point"):
        path = report.save_html(dash, tmp_path / "points.html", max_rows=200)
    kept = embedded_state(path)["what_if_points"]
    assert [p["name"] for p in kept] == ["point 0"] and kept[0]["row"] == 7  # the sample's 8th row is `inside`
    assert {k: v for k, v in kept[0].items() if k != "row"} == report._encode_state(
        {k: v for k, v in dash.what_if_points[0].items() if k != "row"}
    )


def test_a_dashboard_takes_max_rows_as_the_explanation_does(credit, tmp_path):
    dash = credit.show()
    with pytest.warns(rw.RaiWidgetWarning, match="sample"):
        sampled = dash.save_html(tmp_path / "sampled.html", max_rows=200)
    every, caught = save_quietly(dash, tmp_path / "every.html", max_rows=None)
    assert caught == []
    assert embedded_state(sampled)["meta"]["n_rows"] < len(credit) == embedded_state(every)["meta"]["n_rows"]
    assert "sample" in note(sampled) and "sample" not in note(every)
