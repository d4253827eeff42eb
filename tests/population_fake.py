"""A stand-in for rai_widget.explanations.large.LargeTabularExplanation in tests of its dashboard: every row
is a pandas TabularExplanation (``full``), the sample a TabularExplanation of some of them (explained by the
same explainer, so their values are the same), and the figures of a cohort are computed on all its rows with
pandas / numpy. ``gate``, when set, is a threading.Event that population() waits for (tests of cancelling)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

import rai_widget as rw


class FakeLarge:
    def __init__(self, explainer, X: pd.DataFrame, y=None, sample_rows: int = 60, seed: int = 0):
        self.full = explainer.explain(X, y_true=y)
        rows = np.sort(np.random.default_rng(seed).choice(len(X), size=sample_rows, replace=False))
        self.sample = explainer.explain(X.iloc[rows], y_true=None if y is None else y.iloc[rows])
        self.n_rows = len(X)
        self.feature_names = self.full.feature_names
        self.feature_kinds = self.full.feature_kinds
        self.output_names = self.full.output_names
        self.task, self.units = self.full.task, self.full.units
        self.fidelity = self.full.fidelity
        self.gate: threading.Event | None = None
        self.calls: list[rw.Cohort] = []

    def global_importance(self, cohort=None, output=None):
        return self.full.global_importance(cohort, output=output)

    def metrics(self, cohort=None):
        return self.full.metrics(cohort, n_boot=0)

    def cohort_count(self, cohort) -> int:
        return int(cohort.mask(self.full).sum())

    def population(self, cohort) -> dict:
        self.calls.append(cohort)
        if self.gate is not None:
            self.gate.wait(30)
        mask = cohort.mask(self.full)
        return {
            "rows": int(mask.sum()),
            "importance": {
                str(o): self.full.global_importance(mask, output=o).reindex(self.feature_names).tolist()
                for o in self.output_names
            },
            "fidelity": self.full.cohort_fidelity(mask),
            "metrics": self.metrics(mask)[["metric", "value", "n"]].to_dict("records"),
        }


def credit_model(n: int = 400, seed: int = 0):
    """A small binary classifier on numbers and a category, with labels: (explainer, X, y)."""
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 15, n),
            "region": pd.Categorical(rng.choice(["north", "south", "east"], n)),
        }
    )
    z = (X["age"] - 45) / 12 + (X["income"] - 50) / 20 + (X["region"] == "south") * 0.8
    y = pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-z)), "yes", "no"), name="approved")
    codes = pd.get_dummies(X, columns=["region"], dtype=float)
    model = GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0).fit(codes, y)

    def predict_proba(frame):
        dummies = pd.get_dummies(frame, columns=["region"], dtype=float)
        return model.predict_proba(dummies.reindex(columns=codes.columns, fill_value=0.0))

    explainer = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"])
    return explainer, X, y
