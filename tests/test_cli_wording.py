"""How the `rai-widget` command words outputs, classes and units: as the view does (tests/output_wording_cases.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rai_widget import cli
from rai_widget.cli import main

CASES = json.loads((Path(__file__).parent / "output_wording_cases.json").read_text(encoding="utf-8"))["cases"]


def _choice(key: str):
    return int(key.split(":")[1]) if key.startswith("output:") else key


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_phrases_match_the_shared_cases(case):
    meta = case["meta"]
    task, names, units = meta["task"], meta["output_names"], meta["units"]
    assert cli._units_phrase(task, units) == case["units"]
    assert [cli._quote_name(n) for n in names] == case["quoted"]
    for key, text in case["toward"].items():
        assert cli._toward_phrase(task, names, _choice(key)) == text, key
    for key, text in case["caption"].items():
        assert cli._importance_caption(task, names, units, _choice(key)) == text, key


def _explain(tmp_path, model, frame: pd.DataFrame, capsys, *extra: str) -> str:
    import joblib

    joblib.dump(model, tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "data.csv", index=False)
    argv = ["explain", str(tmp_path / "model.joblib"), str(tmp_path / "data.csv"), "--target", "y"]
    code = main([*argv, "--out", str(tmp_path / "r.html"), "--quiet", *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _frame(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"rooms": rng.integers(1, 8, n).astype(float), "age": rng.normal(40, 10, n)})


def test_regression_reads_in_the_models_output_units(tmp_path, capsys):
    from sklearn.linear_model import LinearRegression

    X = _frame()
    y = 3 * X["rooms"] - 0.1 * X["age"]
    out = _explain(tmp_path, LinearRegression().fit(X, y), X.assign(y=y), capsys)
    assert (
        "top features (mean |SHAP value| in the model's output units: how much each feature moves the prediction):"
        in out
    )
    assert "(output)" not in out and "averaged over outputs" not in out
    assert "R^2 " in out


def test_binary_classifier_names_both_classes_and_its_units(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    X = _frame()
    y = np.where(X["rooms"] > 4, "yes", "no")
    out = _explain(tmp_path, LogisticRegression().fit(X, y), X.assign(y=y), capsys)
    assert "top features (mean |SHAP value| in log-odds, the same for class yes and class no):" in out
    assert "on log-odds, same predicted class for" in out


def test_multiclass_output_names_its_class(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    X = _frame(120)
    y = np.select([X["rooms"] < 3, X["rooms"] < 6], ["small", "mid size"], "large")
    model = LogisticRegression(max_iter=500).fit(X, y)
    out = _explain(tmp_path, model, X.assign(y=y), capsys, "--output", "mid size")
    assert "top features (mean |SHAP value| for class 'mid size', in log-odds):" in out
    out = _explain(tmp_path, model, X.assign(y=y), capsys)
    assert "top features (mean |SHAP value| for each row's predicted class, in log-odds):" in out
