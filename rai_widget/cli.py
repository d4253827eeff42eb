"""The `rai-widget` command: explain a saved model on a data file, or run the demo."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import warnings
from pathlib import Path

# Exit codes that mean something to scripts calling the command.
OK, USAGE, MISSING_DEPENDENCY, BAD_INPUT, BAD_MODEL = 0, 2, 3, 4, 5


# Without --train, this share of the explained rows (at least 1) is held out of the surrogate's training rows, so
# that its fidelity is measured on rows it has not seen; below HOLDOUT_MIN_ROWS data rows it learns from them all.
HOLDOUT_SHARE = 0.2
HOLDOUT_MIN_ROWS = 50
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".xlsx", ".xls", ".feather", ".arrow")


# How outputs, classes and units read in sentences, as the view words them (js/tabular/wording.ts; both are
# checked against tests/output_wording_cases.json). A choice is an output's index, "predicted" or "average".
def _quote_name(name) -> str:
    """A class or output name inside a sentence: a plain word as it is, anything else quoted."""
    name = str(name)
    if name and all(ch.isalnum() or ch in "_.+-" for ch in name):
        return name
    return f'"{name}"' if "'" in name and '"' not in name else f"'{name}'"


def _units_phrase(task: str, units: str) -> str:
    units = units.strip()
    if not units or (task != "classification" and units == "output"):
        return "the model's output units"
    return units


def _output_noun(task: str, names, index: int) -> str:
    name = str(names[index])
    if task == "classification":
        return f"class {_quote_name(name)}"
    return "the prediction" if name.strip() == "" or name == "output" else _quote_name(name)


def _toward_phrase(task: str, names, choice) -> str:
    if isinstance(choice, str):  # "predicted" or "average": signed charts use each row's predicted class
        if task == "classification":
            return "toward each row's predicted class"
        choice = 0
    noun = _output_noun(task, names, choice)
    if task == "classification":
        return f"toward {noun}"
    return "toward a higher prediction" if noun == "the prediction" else f"toward a higher {noun}"


def _importance_caption(task: str, names, units: str, choice) -> str:
    """What the mean |SHAP value| per feature is of, and in which units."""
    units, k = _units_phrase(task, units), len(names)
    if task != "classification":
        if choice == "average" and k > 1:
            return f"mean |SHAP value| averaged over the {k} outputs, in {units}"
        index = choice if isinstance(choice, int) else 0
        return f"mean |SHAP value| in {units}: how much each feature moves {_output_noun(task, names, index)}"
    if k == 2:  # the two classes' values mirror each other
        first, second = _output_noun(task, names, 1), _output_noun(task, names, 0)
        return f"mean |SHAP value| in {units}, the same for {first} and {second}"
    if isinstance(choice, int):
        return f"mean |SHAP value| for {_output_noun(task, names, choice)}, in {units}"
    if choice == "predicted":
        return f"mean |SHAP value| for each row's predicted class, in {units}"
    return f"mean |SHAP value| averaged over the {k} classes, in {units}"


class CommandError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _did_you_mean(word: str, choices) -> str:
    choices = [str(c) for c in choices]
    folded = {c.casefold(): c for c in choices}
    close = [folded[word.casefold()]] if word.casefold() in folded else difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_out(path: str) -> None:
    """The report's path must be writable before any work is done."""
    out = Path(path)
    if out.is_dir():
        raise CommandError(f"--out {path} is a folder; give the report's file name, e.g. {out / 'report.html'}", USAGE)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise CommandError(f"--out {path}: the folder {folder} does not exist; create it first", USAGE)
    if not os.access(folder, os.W_OK):
        raise CommandError(f"--out {path}: the folder {folder} is not writable", USAGE)


def _read_table(path: str, what: str):
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise CommandError(f"{what} file not found: {p}", BAD_INPUT)
    suffix = "".join(p.suffixes[-2:]).lower()
    try:
        if suffix.endswith(".parquet") or suffix.endswith(".pq"):
            return pd.read_parquet(p)
        if suffix.endswith((".csv", ".csv.gz", ".csv.bz2", ".txt")):
            return pd.read_csv(p)
    except ImportError as err:
        raise CommandError(f"reading {p.name} needs an extra package: {err}", MISSING_DEPENDENCY) from err
    except Exception as err:
        raise CommandError(f"could not read {what} file {p}: {err}", BAD_INPUT) from err
    raise CommandError(f"{what} file {p.name}: use a .csv or .parquet file", BAD_INPUT)


def _model_path(path: str) -> Path:
    """The model file must exist and be a model, not a data table, before any work is done."""
    p = Path(path)
    if not p.exists():
        raise CommandError(f"model file not found: {p}", BAD_INPUT)
    head = p.read_bytes()[:512] if p.is_file() else b""
    first_line = head.split(b"\n", 1)[0]
    text_table = bool(first_line) and (b"," in first_line or b"\t" in first_line) and first_line.isascii()
    if p.suffix.lower() in TABLE_SUFFIXES or head.startswith(b"PAR1") or text_table:
        raise CommandError(
            f"{p.name} is not a model file (it looks like a data table): the first argument is the model, saved with "
            "joblib.dump(model, path); the data file comes second: rai-widget explain MODEL DATA --target COLUMN",
            BAD_MODEL,
        )
    return p


def _load_model(p: Path):
    print(
        f"warning: loading {p.name} unpickles it, which runs code from the file: only load models you trust.",
        file=sys.stderr,
    )
    try:
        import joblib

        model = joblib.load(p)
    except Exception as err:
        raise CommandError(
            f"could not load the model from {p}: {type(err).__name__}: {err}. Save it with joblib.dump(model, path) "
            "in an environment with the same library versions.",
            BAD_MODEL,
        ) from err
    if not (callable(getattr(model, "predict_proba", None)) or callable(getattr(model, "predict", None))):
        raise CommandError(
            f"{p.name} holds a {type(model).__name__}, not a model with predict_proba or predict.", BAD_MODEL
        )
    return model


def _check_output(output: str | None, names) -> None:
    if output is not None and output not in [str(n) for n in names]:
        raise CommandError(
            f"--output {output!r} is not an output of the model{_did_you_mean(output, names)}; its outputs are "
            f"{[str(n) for n in names]}",
            USAGE,
        )


def _explain(args) -> int:
    import numpy as np

    import rai_widget as rw

    _check_out(args.out)
    model_path = _model_path(args.model)
    data = _read_table(args.data, "data")
    if args.target not in data.columns:
        raise CommandError(
            f"target column {args.target!r} is not in {Path(args.data).name}"
            f"{_did_you_mean(args.target, data.columns)}. Its columns are: {list(data.columns)}",
            BAD_INPUT,
        )
    y_all = data.pop(args.target)
    n_explained = min(args.rows or len(data), len(data))
    rows, y = data.iloc[:n_explained], y_all.iloc[:n_explained]
    held_out = np.zeros(0, dtype=np.int64)
    if args.train:
        train = _read_table(args.train, "training")
        train = train.drop(columns=[args.target], errors="ignore")
    elif len(data) >= HOLDOUT_MIN_ROWS:
        rng = np.random.default_rng(0)
        held_out = np.sort(rng.permutation(n_explained)[: max(1, round(HOLDOUT_SHARE * n_explained))])
        train = data.drop(index=data.index[held_out])
    else:
        train = data  # too few rows to hold some out: the fidelity is in-sample, and says so
    model = _load_model(model_path)
    classes = getattr(model, "classes_", None)
    if classes is not None and hasattr(model, "predict_proba"):
        _check_output(args.output, list(classes))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", rw.RaiWidgetWarning)
            explainer = rw.MimicExplainer(model, train, task=args.task)
            _check_output(args.output, explainer.output_names)
            exp = explainer.explain(rows, y_true=y, progress=not args.quiet)
    except rw.ModelPredictError as err:
        raise CommandError(str(err), BAD_MODEL) from err
    except (TypeError, ValueError) as err:
        raise CommandError(str(err), BAD_INPUT) from err
    for w in caught:
        kind = "" if issubclass(w.category, rw.RaiWidgetWarning) else f"{w.category.__name__}: "
        print(f"warning: {kind}{w.message}", file=sys.stderr)

    def figures(fid: dict) -> str:
        if not np.isfinite(fid["r2"]):
            text = "R^2 n/a (R^2 needs 2 rows or more)" if fid["rows"] < 2 else "R^2 n/a (see the warning)"
        else:
            units = _units_phrase(exp.task, exp.units)
            text = f"R^2 {fid['r2']:.3f}" + ("" if units == "the model's output units" else f" on {units}")
        if "agreement" in fid:
            text += f", same predicted class for {fid['agreement']:.1%}"
        return text

    def count(n: int, what: str) -> str:
        return f"{n:,} {what}" + ("" if n == 1 else "s")

    cohorts = None
    if len(held_out):
        print(
            f"surrogate fidelity on {count(len(held_out), 'held-out row')} (not used to fit it): "
            f"{figures(exp.cohort_fidelity(held_out))}"
        )
        if len(held_out) < len(exp):
            print(f"  on all {count(len(exp), 'explained row')}: {figures(exp.fidelity)}")
        print(
            f"  the surrogate learned from the other {count(len(train), 'row')} of {Path(args.data).name} "
            "(pass --train to fit it on other data)"
        )
        if "index" not in exp.feature_names:
            cohorts = [rw.Cohort("held-out rows", [rw.Filter("index", "in", held_out.tolist())])]
    elif args.train:
        same = Path(args.train).resolve() == Path(args.data).resolve()
        where = "in-sample: --train is DATA itself" if same else f"the surrogate learned from {Path(args.train).name}"
        print(f"surrogate fidelity on {count(len(exp), 'row')}: {figures(exp.fidelity)} ({where})")
    else:
        print(
            f"surrogate fidelity on {count(len(exp), 'row')}: {figures(exp.fidelity)} (in-sample: the surrogate "
            f"learned from these same rows, too few ({len(data)}) to hold some out; pass --train to measure it on "
            "other rows)"
        )
    output = args.output if args.output is not None else ("predicted" if exp.task == "classification" else None)
    imp = exp.global_importance(output=output)
    if output is None:
        choice: int | str = "average"
    elif output == "predicted" and "predicted" not in exp.output_names:  # as global_importance reads it
        choice = "predicted"
    else:
        choice = exp.output_index(output)
    print(f"top features ({_importance_caption(exp.task, exp.output_names, exp.units, choice)}):")
    width = max(len(n) for n in imp.index[: args.top])
    for name, value in imp.head(args.top).items():
        print(f"  {name:<{width}}  {value:8.4f}")
    path = exp.save_html(
        args.out, title=f"rai-widget: {Path(args.model).name} on {Path(args.data).name}", cohorts=cohorts
    )
    print(f"report: {path.resolve()} (opens in any browser, offline)")
    return OK


def _demo_folder(path: str | None) -> Path:
    """The demo's output folder, made and checked writable before any demo runs."""
    from rai_widget.demos import default_demo_folder

    out = (Path(path) if path is not None else default_demo_folder()).expanduser().resolve()
    where = f"--out {path}" if path is not None else f"the demo's default folder {out}"
    if out.exists() and not out.is_dir():
        raise CommandError(f"{where} is a file, not a folder; choose a folder with --out FOLDER", USAGE)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        why = err.strerror or type(err).__name__
        raise CommandError(f"{where}: cannot create it ({why}); choose another with --out FOLDER", USAGE) from None
    if not os.access(out, os.W_OK):
        raise CommandError(f"{where} is not writable; choose another folder with --out FOLDER", USAGE)
    return out


def _demo_names(args) -> list[str]:
    from rai_widget.demos import ALIASES, DEMOS

    asked = [*args.names, *(args.only or [])]
    for name in asked:
        if name not in DEMOS and name not in ALIASES:
            raise CommandError(
                f"there is no demo {name!r}{_did_you_mean(name, [*DEMOS, *ALIASES])}; the demos are {', '.join(DEMOS)}",
                USAGE,
            )
    return list(dict.fromkeys(ALIASES.get(n, n) for n in asked)) if asked else list(DEMOS)


def _demo(args) -> int:
    from rai_widget import ExplanationDashboard
    from rai_widget.demos import MissingExtraError, demo_module

    names = _demo_names(args)
    out = _demo_folder(args.out)
    print(f"Writing the demo's outputs to {out}" + ("" if args.out is not None else " (choose the folder with --out)"))
    written, skipped = [], []
    for name in names:
        print(f"\n=== {name} demo ===")
        try:
            module = demo_module(name)
            exp = module.run_demo(out, echo=print)
        except ImportError as err:
            extra = err.extra if isinstance(err, MissingExtraError) else {"tabular": "demo"}.get(name, "demo-full")
            hint = "" if "pip install" in str(err) else f'\n  to run it: pip install "rai-widget[{extra}]"'
            print(f"skipped: {err}{hint}")
            skipped.append(name)
            continue
        # a list is several methods on the same images: one report, side by side
        cohorts = module.report_cohorts() if hasattr(module, "report_cohorts") else None
        report = ExplanationDashboard(exp, cohorts=cohorts).save_html(out / module.REPORT, title=module.TITLE)
        print(f"Report: {report.resolve()} (opens in any browser, offline)")
        written.append(report)
    note = f"; skipped: {', '.join(skipped)}" if skipped else ""
    print(f"\n{len(written)} report(s) written to {out}{note}")
    print(
        "Interactive tour: from a clone of the repository, `jupyter lab notebooks/` "
        "(tabular.ipynb, text.ipynb, image.ipynb, detection.ipynb)."
    )
    if (args.names or args.only) and skipped:  # asked for by name: a missing package is an error
        return MISSING_DEPENDENCY
    return OK


def build_parser() -> argparse.ArgumentParser:
    from rai_widget.demos import ALIASES, DEMOS, default_demo_folder

    parser = argparse.ArgumentParser(
        prog="rai-widget",
        description="Explain machine-learning models: global and local feature attributions, cohorts, reports.",
    )
    from rai_widget import __version__

    parser.add_argument("--version", action="version", version=f"rai-widget {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the demos (tabular, text, image, detection) on bundled data and write their reports",
        description="Explain real models on data that ships in packages (nothing is downloaded) and write one "
        "offline HTML report per demo. Demos whose optional packages are missing are skipped with "
        "the pip command that adds them.",
    )
    demo.add_argument(
        "names",
        nargs="*",
        metavar="DEMO",
        help=f"the demos to run, of {', '.join(DEMOS)} (default: all; vision is the image demo's earlier name)",
    )
    demo.add_argument(
        "--out",
        default=None,
        metavar="FOLDER",
        help=f"folder for the outputs (default: {default_demo_folder()}, in the system's temporary folder)",
    )
    demo.add_argument(
        "--only",
        nargs="+",
        choices=[*DEMOS, *ALIASES],
        metavar="DEMO",
        help="run only these demos, as DEMO does",
    )
    demo.set_defaults(func=_demo)

    ex = sub.add_parser(
        "explain",
        help="explain a saved model on a CSV/Parquet file and write an HTML report",
        description="Explain a saved scikit-learn-compatible model (joblib/pickle) on a data file: prints the "
        "surrogate's fidelity and the top features, and writes a self-contained HTML report.",
    )
    ex.add_argument("model", help="model file written by joblib.dump (or pickle)")
    ex.add_argument("data", help="rows to explain: .csv or .parquet, including the target column")
    ex.add_argument("--target", required=True, help="name of the target (label) column in DATA")
    ex.add_argument(
        "--task",
        default="auto",
        choices=["auto", "classification", "regression"],
        help="what to explain: classification (the model's class probabilities, from predict_proba), regression "
        "(the number predict() returns), or auto (classification when the model has predict_proba; default)",
    )
    ex.add_argument(
        "--train",
        help="rows the surrogate learns from (default: DATA, less a held-out fifth of the explained rows on which "
        "its fidelity is measured)",
    )
    ex.add_argument("--out", default="report.html", help="HTML report to write (default: %(default)s)")
    ex.add_argument(
        "--rows",
        type=_positive_int,
        default=None,
        metavar="N",
        help="explain only the first N rows (the surrogate still learns from every row)",
    )
    ex.add_argument(
        "--top", type=_positive_int, default=10, metavar="N", help="how many features to print (default: %(default)s)"
    )
    ex.add_argument("--output", help="class to rank features for (default: each row's predicted class)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar")
    ex.set_defaults(func=_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error argparse has explained
        return stop.code if isinstance(stop.code, int) else USAGE
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE
    try:
        return args.func(args)
    except CommandError as err:
        print(f"rai-widget: {err}", file=sys.stderr)
        return err.code
    except ImportError as err:
        print(f"rai-widget: {err}", file=sys.stderr)
        return MISSING_DEPENDENCY


if __name__ == "__main__":
    sys.exit(main())
