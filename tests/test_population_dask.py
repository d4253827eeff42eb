"""The dashboard of a real large explanation (explainer.explain() of a dask frame on a LocalCluster of 2 worker
processes, 1 thread each): meta.population and the population job's answers equal the figures of explain() of the
same rows as one pandas frame, for "All data", a cohort on a feature and rows picked by their index in the sample."""

from __future__ import annotations

import dask.dataframe as dd  # the dask extra, installed with the dev extra: a missing one fails, not skips
import numpy as np
import pytest
from dask_cluster import local_cluster
from population_fake import credit_model
from sklearn.metrics import accuracy_score

import rai_widget as rw
from rai_widget._population import json_safe

pytestmark = pytest.mark.slow  # a cluster of two processes, numba compiling in each: ~25 s
ROWS, PARTS, SAMPLE = 3000, 4, 300


@pytest.fixture(scope="module")
def explained():
    import population_fake

    with local_cluster(population_fake):  # the workers need not import the tests' modules
        explainer, X, y = credit_model(ROWS)
        ddf, dy = dd.from_pandas(X, npartitions=PARTS), dd.from_pandas(y, npartitions=PARTS)
        large = explainer.explain(ddf, y_true=dy, sample_rows=SAMPLE)
        yield large, explainer.explain(X, y_true=y)


def _ask(dash, cohort, job_id):
    dash.population_request = {"id": job_id, "params": {"cohort": cohort.to_json()}}
    dash.jobs["population"].wait(120)
    assert dash.population_status["state"] == "done", dash.population_status
    return dash.population_result


def test_the_dashboard_of_a_dask_explanation_shows_figures_over_every_row(explained):
    large, full = explained
    dash = large.show()
    assert dash.explanation is large.sample and len(large.sample) == SAMPLE
    pop = dash.meta["population"]
    assert (pop["rows"], pop["sample_rows"]) == (ROWS, SAMPLE)
    np.testing.assert_allclose(pop["importance"]["yes"], np.abs(full.values[:, :, 1]).mean(axis=0), rtol=1e-9)
    assert pop["fidelity"]["rows"] == ROWS
    accuracy = next(m for m in pop["metrics"] if m["metric"] == "accuracy")
    assert accuracy["value"] == pytest.approx(accuracy_score(full.y_true, full.y_pred), rel=1e-12)

    older = rw.Cohort("older", [rw.Filter("age", ">", 40), rw.Filter("region", "in", ["north", "east"])])
    result = _ask(dash, older, 1)
    assert {k: v for k, v in result.items() if k not in ("id", "cohort")} == json_safe(large.population(older))
    mask = older.mask(full)
    assert result["rows"] == int(mask.sum()) != older.count(large.sample)  # the count pandas gives on all rows
    np.testing.assert_allclose(result["importance"]["yes"], np.abs(full.values[mask, :, 1]).mean(axis=0), rtol=1e-9)
    accuracy = next(m for m in result["metrics"] if m["metric"] == "accuracy")
    assert accuracy["value"] == pytest.approx(accuracy_score(full.y_true[mask], full.y_pred[mask]), rel=1e-12)

    # rows brushed in the view are sample positions; over all rows the same rows have their global positions
    picked = rw.Cohort("brushed", [rw.Filter("index", "in", [0, 3, 5])])
    rows = large.sample.data.index[[0, 3, 5]].tolist()
    result = _ask(dash, picked, 2)
    assert result["rows"] == 3
    np.testing.assert_allclose(result["importance"]["yes"], np.abs(full.values[rows, :, 1]).mean(axis=0), rtol=1e-9)
