"""The `rai-widget` command: explain a saved model on a data file, or run the demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Exit codes that mean something to scripts calling the command.
OK, USAGE, MISSING_DEPENDENCY, BAD_INPUT, BAD_MODEL = 0, 2, 3, 4, 5


class CommandError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


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


def _load_model(path: str):
    p = Path(path)
    if not p.exists():
        raise CommandError(f"model file not found: {p}", BAD_INPUT)
    print(
        f"warning: loading {p.name} unpickles it, which runs code from the file: only load models you trust.",
        file=sys.stderr,
    )
    try:
        import joblib

        return joblib.load(p)
    except Exception as err:
        raise CommandError(
            f"could not load the model from {p}: {type(err).__name__}: {err}. Save it with joblib.dump(model, path) "
            "in an environment with the same library versions.",
            BAD_MODEL,
        ) from err


def _explain(args) -> int:
    import rai_widget as rw
    from rai_widget.explainers._model import ModelPredictError

    data = _read_table(args.data, "data")
    if args.target not in data.columns:
        raise CommandError(
            f"target column {args.target!r} is not in {Path(args.data).name}; its columns are: {list(data.columns)}",
            BAD_INPUT,
        )
    y = data.pop(args.target)
    if args.rows and len(data) > args.rows:
        data, y = data.iloc[: args.rows], y.iloc[: args.rows]
    train = data
    if args.train:
        train = _read_table(args.train, "training")
        train = train.drop(columns=[args.target], errors="ignore")
    model = _load_model(args.model)
    try:
        explainer = rw.MimicExplainer(model, train, task=args.task)
        exp = explainer.explain(data, y_true=y, progress=not args.quiet)
    except ModelPredictError as err:
        raise CommandError(str(err), BAD_MODEL) from err
    except (TypeError, ValueError) as err:
        raise CommandError(str(err), BAD_INPUT) from err

    fid = exp.fidelity
    line = f"surrogate fidelity on {len(exp):,} rows: R^2 {fid['r2']:.3f} ({exp.units})"
    if "agreement" in fid:
        line += f", same predicted class for {fid['agreement']:.1%}"
    print(line)
    output = args.output if args.output is not None else ("predicted" if exp.task == "classification" else None)
    imp = exp.global_importance(output=output)
    print(f"top features ({imp.name}):")
    width = max(len(n) for n in imp.index[: args.top])
    for name, value in imp.head(args.top).items():
        print(f"  {name:<{width}}  {value:8.4f}")
    path = exp.save_html(args.out, title=f"rai-widget: {Path(args.model).name} on {Path(args.data).name}")
    print(f"report: {path.resolve()} (opens in any browser, offline)")
    return OK


def _demo(args) -> int:
    from rai_widget import ExplanationDashboard
    from rai_widget.demos import ALIASES, DEMOS, MissingExtraError, demo_module

    out = Path(args.out)
    names = list(dict.fromkeys(ALIASES.get(n, n) for n in args.only)) if args.only else list(DEMOS)
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
    print(f"\n{len(written)} report(s) written to {out.resolve()}{note}")
    print(
        "Interactive tour: from a clone of the repository, `jupyter lab notebooks/` "
        "(tabular.ipynb, text.ipynb, image.ipynb, detection.ipynb)."
    )
    if args.only and skipped:
        return MISSING_DEPENDENCY
    return OK


def build_parser() -> argparse.ArgumentParser:
    from rai_widget.demos import ALIASES, DEMOS

    parser = argparse.ArgumentParser(
        prog="rai-widget",
        description="Explain machine-learning models: global and local feature attributions, cohorts, reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the demos (tabular, text, image, detection) on bundled data and write their reports",
        description="Explain real models on data that ships in packages (nothing is downloaded) and write one "
        "offline HTML report per demo. Demos whose optional packages are missing are skipped with "
        "the pip command that adds them.",
    )
    demo.add_argument("--out", default="rai-widget-demo", help="folder for the outputs (default: %(default)s)")
    demo.add_argument(
        "--only",
        nargs="+",
        choices=[*DEMOS, *ALIASES],
        help="run only these demos (vision is the image demo's earlier name)",
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
    ex.add_argument("--task", default="auto", choices=["auto", "classification", "regression"])
    ex.add_argument("--train", help="rows the surrogate learns from (default: DATA itself)")
    ex.add_argument("--out", default="report.html", help="HTML report to write (default: %(default)s)")
    ex.add_argument("--rows", type=int, default=0, help="explain only the first N rows")
    ex.add_argument("--top", type=int, default=10, help="how many features to print (default: %(default)s)")
    ex.add_argument("--output", help="class to rank features for (default: each row's predicted class)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar")
    ex.set_defaults(func=_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
