"""`rai-widget explain` on the arguments people get wrong: each is refused before any work, with the exit code
defined at the top of cli.py and a message naming the argument; and the fidelity it prints says what it is."""

import joblib
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier

import rai_widget as rw
from rai_widget import cli
from rai_widget.cli import BAD_INPUT, BAD_MODEL, OK, USAGE, main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    d = load_breast_cancer(as_frame=True)
    frame = d.data.iloc[:, :8].assign(diagnosis=d.target.map({0: "malignant", 1: "benign"}))
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(frame.iloc[:, :8], frame["diagnosis"])
    joblib.dump(model, folder / "model.joblib")
    frame.to_csv(folder / "data.csv", index=False)
    frame.head(40).to_csv(folder / "small.csv", index=False)
    joblib.dump([1, 2, 3], folder / "list.joblib")
    r = load_diabetes(as_frame=True)
    reg = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(r.data, r.target)
    joblib.dump(reg, folder / "reg.joblib")
    r.data.assign(progression=r.target).to_csv(folder / "reg.csv", index=False)
    return folder, frame, model


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run in a scratch folder, so that a default --out (report.html) is never written into the checkout."""
    monkeypatch.chdir(tmp_path)


def run(capsys, folder, *args):
    code = main(["explain", *[str(folder / a) if a.endswith((".joblib", ".csv", ".html")) else a for a in args]])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the explainer is ever built: the arguments must be refused before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("MimicExplainer was built before the arguments were checked")

    monkeypatch.setattr(rw, "MimicExplainer", refuse)


# --- fidelity: held out, or said to be in-sample -------------------------------------------------------


def test_rows_n_explains_n_rows_while_the_surrogate_learns_from_all_the_others(files, capsys, tmp_path):
    # --rows 1 used to train the surrogate on that one row too: all-zero importances, exit code 0.
    folder, frame, model = files
    out_html = tmp_path / "r.html"
    code, out, err = run(capsys, folder, "model.joblib", "data.csv", "--target", "diagnosis", "--rows", "1",
                         "--quiet", "--out", str(out_html), "--top", "8")  # fmt: skip
    assert code == OK, err
    assert "surrogate fidelity on 1 held-out row (not used to fit it): R^2 n/a (R^2 needs 2 rows or more)" in out
    assert f"learned from the other {len(frame) - 1} rows" in out
    assert "R^2 cannot be measured on 1 explained row" in err  # the FidelityWarning, as a plain line
    X = frame.drop(columns="diagnosis")
    with pytest.warns(rw.FidelityWarning, match="cannot be measured on 1 explained row"):
        exp = rw.MimicExplainer(model, X.iloc[1:]).explain(X.iloc[:1])
    imp = exp.global_importance(output="predicted")
    assert imp.iloc[0] > 0.1
    for name, value in imp.items():
        assert f"  {name:<{max(map(len, imp.index))}}  {value:8.4f}" in out


def test_small_data_is_explained_in_sample_and_says_so(files, capsys, tmp_path):
    folder, _, _ = files
    code, out, err = run(capsys, folder, "model.joblib", "small.csv", "--target", "diagnosis", "--quiet",
                         "--out", str(tmp_path / "r.html"))  # fmt: skip
    assert code == OK, err
    assert "surrogate fidelity on 40 rows: R^2" in out
    assert "(in-sample: the surrogate learned from these same rows, too few (40) to hold some out" in out


def test_train_that_is_the_data_itself_is_called_in_sample(files, capsys, tmp_path):
    folder, _, _ = files
    args = ["model.joblib", "data.csv", "--target", "diagnosis", "--quiet", "--out", str(tmp_path / "r.html")]
    code, out, err = run(capsys, folder, *args, "--train", str(folder / "data.csv"))
    assert code == OK, err
    assert "(in-sample: --train is DATA itself)" in out
    code, out, err = run(capsys, folder, *args, "--train", str(folder / "small.csv"))
    assert code == OK, err
    assert "(the surrogate learned from small.csv)" in out


def test_the_report_opens_with_the_held_out_rows_as_a_cohort(files, capsys, tmp_path):
    folder, frame, _ = files
    code, _, err = run(capsys, folder, "model.joblib", "data.csv", "--target", "diagnosis", "--quiet",
                       "--out", str(tmp_path / "r.html"), "--rows", "100")  # fmt: skip
    assert code == OK, err
    assert '"name": "held-out rows"' in (tmp_path / "r.html").read_text()


# --- arguments checked before any work ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rows", "-250"], "argument --rows: must be 1 or more, not -250"),
        (["--rows", "0"], "argument --rows: must be 1 or more, not 0"),
        (["--rows", "ten"], "argument --rows: must be a whole number, not 'ten'"),
        (["--rows", "2.5"], "argument --rows: must be a whole number, not '2.5'"),
        (["--top", "0"], "argument --top: must be 1 or more, not 0"),
        (["--top", "-3"], "argument --top: must be 1 or more, not -3"),
        (["--task", "clasification"], "argument --task: invalid choice: 'clasification'"),
    ],
)
def test_numbers_and_choices_out_of_range_are_usage_errors(files, capsys, no_work, args, message):
    # --rows -250 used to explain 50 rows (iloc[:-250]); --top 0 crashed after the whole computation.
    folder, _, _ = files
    code, _, err = run(capsys, folder, "model.joblib", "data.csv", "--target", "diagnosis", *args)
    assert code == USAGE
    assert message in err


def test_an_unknown_output_class_is_refused_before_the_surrogate_is_fit(files, capsys, no_work):
    folder, _, _ = files
    code, _, err = run(capsys, folder, "model.joblib", "data.csv", "--target", "diagnosis", "--output", "benignn")
    assert code == USAGE
    assert "--output 'benignn' is not an output of the model (did you mean 'benign'?); its outputs are" in err


def test_an_unknown_output_of_a_model_without_classes_is_refused_before_explaining(files, capsys, monkeypatch):
    folder, _, _ = files

    def no_explain(*args, **kwargs):
        raise AssertionError("explain() ran before --output was checked")

    monkeypatch.setattr(rw.MimicExplainer, "explain", no_explain)
    code, _, err = run(capsys, folder, "reg.joblib", "reg.csv", "--target", "progression", "--output", "sugar")
    assert code == USAGE
    assert "--output 'sugar' is not an output of the model; its outputs are ['output']" in err


@pytest.mark.parametrize("where", ["missing/report.html", "folder"])
def test_an_out_path_that_cannot_be_written_is_refused_first(files, capsys, no_work, tmp_path, where):
    folder, _, _ = files
    (tmp_path / "folder").mkdir()
    code, _, err = run(capsys, folder, "model.joblib", "data.csv", "--target", "diagnosis", "--out",
                       str(tmp_path / where))  # fmt: skip
    assert code == USAGE
    assert "does not exist; create it first" in err or "is a folder; give the report's file name" in err
    assert "unpickles" not in err  # refused before the model was even loaded


@pytest.mark.parametrize(
    "target, hint",
    [("Diagnosis", " (did you mean 'diagnosis'?)"), ("diagnosys", " (did you mean 'diagnosis'?)"), ("zzz", "")],
)
def test_a_wrong_target_says_did_you_mean(files, capsys, no_work, target, hint):
    folder, _, _ = files
    code, _, err = run(capsys, folder, "model.joblib", "data.csv", "--target", target)
    assert code == BAD_INPUT
    assert f"target column {target!r} is not in data.csv{hint}. Its columns are: [" in err


@pytest.mark.parametrize("name", ["data.csv", "table.parquet", "notes.txt", "data_no_suffix"])
def test_a_data_file_given_as_the_model_says_it_is_not_a_model_file(files, capsys, no_work, tmp_path, name):
    folder, frame, _ = files
    path = tmp_path / name
    if name.endswith(".parquet"):  # parquet's magic bytes, whatever wrote it (pyarrow need not be installed)
        path.write_bytes(b"PAR1" + bytes(100) + b"PAR1")
    else:
        frame.to_csv(path, index=False)
    code = main(["explain", str(path), str(folder / "data.csv"), "--target", "diagnosis"])
    err = capsys.readouterr().err
    assert code == BAD_MODEL
    assert f"{name} is not a model file (it looks like a data table): the first argument is the model" in err
    assert "unpickles" not in err  # never unpickled


def test_a_file_holding_something_else_than_a_model(files, capsys, no_work):
    folder, _, _ = files
    code, _, err = run(capsys, folder, "list.joblib", "data.csv", "--target", "diagnosis")
    assert code == BAD_MODEL
    assert "list.joblib holds a list, not a model with predict_proba or predict" in err


def test_version_and_help(capsys):
    assert main(["--version"]) == OK
    assert capsys.readouterr().out.strip() == f"rai-widget {rw.__version__}"
    assert main(["explain", "--help"]) == OK
    text = " ".join(capsys.readouterr().out.split())
    assert "--task {auto,classification,regression} what to explain: classification" in text
    assert "explain only the first N rows (the surrogate still learns from every row)" in text


def test_exit_codes_are_the_ones_cli_defines():
    assert (cli.OK, cli.USAGE, cli.MISSING_DEPENDENCY, cli.BAD_INPUT, cli.BAD_MODEL) == (0, 2, 3, 4, 5)


def test_a_model_the_explainer_refuses_is_a_clear_error_not_a_traceback(files, capsys, tmp_path):
    folder, frame, _ = files
    from sklearn.svm import SVC

    joblib.dump(SVC().fit(frame.iloc[:, :8], frame["diagnosis"]), tmp_path / "svc.joblib")
    code = main(["explain", str(tmp_path / "svc.joblib"), str(folder / "data.csv"), "--target", "diagnosis"])
    err = capsys.readouterr().err
    assert code == BAD_INPUT
    assert "rai-widget: model (SVC) is a classifier (its labels: ['benign', 'malignant']) without predict_proba" in err
    assert "Traceback" not in err
