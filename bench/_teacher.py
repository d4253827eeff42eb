"""The benchmark's data, black-box "teacher" and fidelity yardstick: numpy only, so both
environments agree.

Imported by bench/tabular.py (numpy 2) and by bench/_reference_tabular.py in the reference venv
(numpy 1.26). Only np.random.RandomState is used: its streams are frozen across numpy versions,
unlike Generator's.
"""

import numpy as np


def make_data(rows, features, seed=0):
    """Float features: standard normals, a third of them mixed with their neighbour (correlated)."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((rows, features))
    for j in range(1, features, 3):
        X[:, j] = 0.6 * X[:, j - 1] + 0.8 * X[:, j]
    return X


class Teacher:
    """A binary classifier with smooth main effects, pairwise interactions and weak linear terms.

    The log-odds are scaled to a standard deviation of about 2, so nearly all rows lie inside the
    [-5, 5] band that interpret-community clips its distillation targets to.
    """

    classes_ = np.array([0, 1])

    def __init__(self, features, seed=0):
        rng = np.random.RandomState(seed + 1)
        self.features = features
        strong = min(10, features)
        self._main = [(j, j % 4, rng.uniform(0.5, 1.5) * rng.choice([-1.0, 1.0])) for j in range(strong)]
        self._pairs = [(rng.randint(features), rng.randint(features), rng.uniform(-0.8, 0.8)) for _ in range(5)]
        self._linear = rng.uniform(-0.2, 0.2, features)
        self._linear[:strong] = 0.0
        self._scale = 1.0
        self._offset = 0.0
        z = self.decision_function(make_data(20_000, features, seed + 2))
        self._offset, self._scale = -z.mean(), 2.0 / z.std()

    def decision_function(self, X):
        """The log-odds of class 1."""
        X = np.asarray(X, dtype=np.float64)
        shapes = (lambda x: x, lambda x: np.tanh(2 * x), lambda x: x * x - 1, np.sin)
        z = X @ self._linear
        for j, shape, weight in self._main:
            z += weight * shapes[shape](X[:, j])
        for i, k, weight in self._pairs:
            z += weight * X[:, i] * X[:, k]
        return (z + self._offset) * self._scale

    def predict_proba(self, X):
        p1 = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X):
        return (self.decision_function(X) > 0).astype(np.int64)


def fidelity(surrogate_logodds, teacher, X):
    """R^2 against the teacher's log-odds, and the share of rows where both predict the same class."""
    p1 = np.clip(teacher.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
    target = np.log(p1 / (1 - p1))
    r2 = 1 - np.sum((target - surrogate_logodds) ** 2) / np.sum((target - target.mean()) ** 2)
    agreement = np.mean((np.asarray(surrogate_logodds) > 0) == (teacher.predict(X) == 1))
    return float(r2), float(agreement)
