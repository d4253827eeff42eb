"""Small explanations of every kind, with cohorts, whose payloads are the shared test vectors of the wire.

Each case is built from plain arrays (no model is fit), so its payload is the same on every machine.
They include the inputs that once made the kernel and the view select different rows: a regression
error near a threshold at 1e6, integer class labels with more than 5 significant digits, boolean class
labels, a numeric column declared categorical, and features named like JavaScript object internals.
Used by tests/test_payload_fixtures.py (writes tests/payloads/) and tests/browser/test_cohort_sizes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import rai_widget as rw
from rai_widget.explanations import DetectionExplanation, ImageExplanation, TabularExplanation, TextExplanation

C, F = rw.Cohort, rw.Filter


@dataclass
class Case:
    name: str
    build: Callable[[], rw.Explanation]
    cohorts: list[rw.Cohort]
    # tabular: the outputs whose importance the fixture records; text: (output, stop words) token tables
    outputs: list = field(default_factory=list)


def _tabular(
    data: pd.DataFrame,
    kinds: list[str],
    values: np.ndarray,
    outputs: list,
    task: str,
    *,
    y_pred,
    y_true=None,
    probabilities=None,
    model_output=None,
) -> TabularExplanation:
    base = np.linspace(-0.5, 0.5, values.shape[2])
    surrogate = base + values.sum(axis=1)
    return TabularExplanation(
        data=data,
        feature_names=[str(c) for c in data.columns],
        feature_kinds=kinds,
        values=values,
        base_values=base,
        surrogate_output=surrogate,
        model_output=surrogate + 0.01 if model_output is None else model_output,
        output_names=outputs,
        task=task,
        units="log-odds" if task == "classification" else "output",
        y_pred=np.asarray(y_pred),
        y_true=None if y_true is None else np.asarray(y_true),
        probabilities=probabilities,
        fidelity={"r2": 0.97, "agreement": 0.99} if task == "classification" else {"r2": 0.97},
    )


def _values(n: int, f: int, k: int, seed: int) -> np.ndarray:
    # distinct magnitudes per feature, so importance orders are far from ties
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, f, k)) * (1.0 + np.arange(f))[None, :, None]


def mixed_binary() -> TabularExplanation:
    """Numbers, booleans and categories with missing values, string classes, HTML in names."""
    n = 12
    data = pd.DataFrame(
        {
            "age": [25.0, 40, np.nan, 61.5, 40, 18, 33, 70, 52, 44, 29, 38],
            "owner": pd.array(
                [True, False, None, True, False, True, True, False, None, True, False, True], dtype="boolean"
            ),
            "city": pd.Categorical(
                [
                    "Oslo",
                    "Lima",
                    None,
                    "Oslo",
                    "<b>Rome</b>",
                    "Lima",
                    "Oslo",
                    "Lima",
                    "Oslo",
                    "<b>Rome</b>",
                    None,
                    "Lima",
                ]
            ),
            "income": np.linspace(10, 120, n),
        }
    )
    values = _values(n, 4, 1, 0)
    values = np.concatenate([-values, values], axis=2)  # binary: class 0 mirrors class 1
    classes = ["deny", "<img src=x onerror=alert(1)>"]
    surrogate = values.sum(axis=1) + np.array([-0.5, 0.5])
    # the model's log-odds: the surrogate's plus an error, enough to flip the predicted class of some rows
    lo1 = surrogate[:, 1] + np.random.default_rng(10).normal(scale=4.0, size=n)
    p1 = 1 / (1 + np.exp(-lo1))
    probs = np.column_stack([1 - p1, p1])
    y_pred = np.array(classes)[(p1 > 0.5).astype(int)]
    y_true = np.array(classes)[[0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0]]
    lo = np.column_stack([-lo1, lo1])
    return _tabular(
        data,
        ["numeric", "bool", "category", "numeric"],
        values,
        classes,
        "classification",
        y_pred=y_pred,
        y_true=y_true,
        probabilities=probs,
        model_output=lo,
    )


def regression_near_a_million() -> TabularExplanation:
    """error = y_pred - y_true computed at float64: 1,000,000.1 - 1,000,000 is 0.1, not float32's 0.125."""
    y_true = np.array([1e6, 1e6, 1e6, 2.0, 5.0, 1e6])
    y_pred = np.array([1e6 + 0.1, 1e6 + 0.125, 1e6 - 0.1, 2.1, 4.0, 1e6 + 0.11])
    data = pd.DataFrame({"x": np.arange(6.0), "z": [3.0, 1, 4, 1, 5, 9]})
    values = _values(6, 2, 1, 1)
    return _tabular(
        data,
        ["numeric", "numeric"],
        values,
        ["target"],
        "regression",
        y_pred=y_pred,
        y_true=y_true,
        model_output=y_pred[:, None],
    )


def big_integer_labels() -> TabularExplanation:
    """Class labels 123456 / 123457 / 123458: 'correct' must not read them at 5 significant digits."""
    classes = [123456, 123457, 123458]
    n = 9
    data = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.arange(n) % 3})
    values = _values(n, 2, 3, 2)
    surrogate = values.sum(axis=1) + np.linspace(-0.5, 0.5, 3)
    pred = surrogate.argmax(axis=1)
    probs = np.exp(surrogate) / np.exp(surrogate).sum(axis=1, keepdims=True)
    true = (pred + np.array([0, 1, 0, 0, 2, 0, 1, 0, 0])) % 3
    return _tabular(
        data,
        ["numeric", "numeric"],
        values,
        classes,
        "classification",
        y_pred=np.array(classes)[pred],
        y_true=np.array(classes)[true],
        probabilities=probs,
        model_output=surrogate,
    )


def constant_outputs() -> TabularExplanation:
    """Fidelity where R^2 is undefined or degenerate: class 'c' is constant and the surrogate reproduces it
    (R^2 1); class 'a' is constant on rows 0-3 where the surrogate varies (undefined there); one-row cohorts."""
    n = 8
    data = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n, dtype=float) % 3})
    values = _values(n, 2, 3, 11)
    values[:, :, 2] = 0.0  # the surrogate's class 'c' is its base value on every row
    surrogate = values.sum(axis=1) + np.linspace(-0.5, 0.5, 3)
    model = surrogate + np.random.default_rng(12).normal(scale=0.3, size=(n, 3))
    model[:4, 0] = 1.0  # constant on rows 0-3
    model[:, 2] = surrogate[:, 2]  # constant everywhere, reproduced exactly
    probs = np.exp(model) / np.exp(model).sum(axis=1, keepdims=True)
    return _tabular(
        data,
        ["numeric", "numeric"],
        values,
        ["a", "b", "c"],
        "classification",
        y_pred=np.array(["a", "b", "c"])[probs.argmax(axis=1)],
        probabilities=probs,
        model_output=model,
    )


def boolean_labels() -> TabularExplanation:
    """Classes False / True: y_true and y_pred are boolean columns on both sides."""
    n = 8
    data = pd.DataFrame({"a": np.linspace(-1, 1, n), "b": np.arange(n, dtype=float)})
    values = _values(n, 2, 1, 3)
    values = np.concatenate([-values, values], axis=2)
    p1 = 1 / (1 + np.exp(-(values.sum(axis=1)[:, 1] + 0.5)))
    probs = np.column_stack([1 - p1, p1])
    y_pred = p1 > 0.5
    y_true = np.array([True, False, True, False, True, False, True, False])
    return _tabular(
        data,
        ["numeric", "numeric"],
        values,
        [False, True],
        "classification",
        y_pred=y_pred,
        y_true=y_true,
        probabilities=probs,
    )


def numeric_category() -> TabularExplanation:
    """An integer column declared categorical (categorical_features=["zip"]): a category on both sides."""
    n = 10
    data = pd.DataFrame({"zip": [10, 2, 10, 33, 2, 2, 10, 33, 33, 10], "rooms": np.arange(n) % 4 + 1.0})
    values = _values(n, 2, 1, 4)
    return _tabular(
        data,
        ["category", "numeric"],
        values,
        ["price"],
        "regression",
        y_pred=values.sum(axis=1)[:, 0],
        y_true=values.sum(axis=1)[:, 0] - np.linspace(-0.3, 0.3, n),
    )


def javascript_names() -> TabularExplanation:
    """Features named like the internals of JavaScript objects are plain names."""
    n = 6
    data = pd.DataFrame(
        {
            "__proto__": [1.0, 5, 3, 8, 2, 9],
            "constructor": pd.Categorical(list("abcabc")),
            "toString": [True, False, True, True, False, False],
        }
    )
    values = _values(n, 3, 1, 5)
    return _tabular(data, ["numeric", "category", "bool"], values, ["y"], "regression", y_pred=values.sum(axis=1)[:, 0])


TEXTS = [
    "A boring film , and far too long",
    "Boring !",
    "not bored at all",
    "ÉMOUVANT film",
    "",
    "boringly good , a great film",
    "the BORING plot of the film",
    "great",
]


def _text(task: str) -> TextExplanation:
    tokens = [t.split() for t in TEXTS]
    k = 3 if task == "multilabel" else 2
    rng = np.random.default_rng(6)
    values = [rng.normal(size=(len(t), k)) * np.linspace(1, 2, k) for t in tokens]
    offsets = []
    for text, words in zip(TEXTS, tokens, strict=True):
        spans, pos = [], 0
        for w in words:
            start = text.index(w, pos)
            spans.append((start, start + len(w)))
            pos = start + len(w)
        offsets.append(np.array(spans, dtype=np.int64).reshape(-1, 2))
    base = np.tile(np.linspace(-0.2, 0.2, k), (len(TEXTS), 1))
    out = base + np.stack([v.sum(axis=0) for v in values])
    names = ["funny", "sad", "long"] if task == "multilabel" else ["neg", "pos"]
    if task == "multilabel":
        probs = 1 / (1 + np.exp(-out))
        y_pred = probs >= 0.5
        y_true = y_pred.copy()
        y_true[[1, 4], 0] = ~y_true[[1, 4], 0]
    else:
        probs = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
        y_pred = np.array(names)[out.argmax(axis=1)]
        y_true = np.array(names)[[0, 0, 1, 1, 0, 1, 0, 1]]
    return TextExplanation(
        texts=TEXTS,
        tokens=tokens,
        offsets=offsets,
        values=values,
        base_values=base,
        model_output=out,
        output_names=names,
        task=task,
        units="log-odds" if task == "multilabel" else "probability",
        y_pred=y_pred,
        y_true=y_true,
        probabilities=probs,
        truncated=np.array([1, 0, 0, 0, 0, 0, 1, 0], dtype=bool),
        threshold=0.5,
    )


def _image_explanation() -> ImageExplanation:
    rng = np.random.default_rng(7)
    names = [f"class {k}" for k in range(12)]  # most classes absent: the label columns keep those present
    pred = np.array([3, 7, 7, 3, 11, 0])
    true = np.array([3, 7, 5, 0, 11, 0])
    probs = np.full((6, 12), 0.01)
    probs[np.arange(6), pred] = [0.5, 0.8, 0.6, 0.7, 0.9, 0.85]
    probs /= probs.sum(axis=1, keepdims=True)
    return ImageExplanation(
        images=rng.integers(0, 256, (6, 6, 8, 3), dtype=np.uint8),
        attributions=rng.normal(size=(6, 6, 8)),
        targets=pred,
        method="integrated_gradients",
        params={"n_steps": 8},
        output_names=names,
        task="classification",
        units="logit",
        y_pred=np.array(names)[pred],
        model_output=np.log(probs),
        probabilities=probs,
        y_true=np.array(names)[true],
    )


def _detection_explanation() -> DetectionExplanation:
    rng = np.random.default_rng(8)
    dets = [
        [
            {"box": [1, 1, 4, 5], "label": "cat", "score": 0.9},
            {"box": [2, 0, 7, 3], "label": "<b>dog</b>", "score": 0.4},
        ],
        [],
        [{"box": [0, 0, 3, 3], "label": "cat", "score": 0.55}],
        [{"box": [4, 2, 8, 6], "label": "<b>dog</b>", "score": 0.75}],
    ]
    return DetectionExplanation(
        images=rng.integers(0, 256, (4, 6, 8, 3), dtype=np.uint8),
        detections=dets,
        saliency=[rng.random((len(d), 6, 8)).astype(np.float32) for d in dets],
        output_names=["cat", "<b>dog</b>"],
        model_output=np.zeros((4, 2)),
    )


CASES = [
    Case(
        "tabular_mixed_binary",
        mixed_binary,
        [
            C("older", [F("age", ">", 40)]),
            C("owners or Lima", [F("owner", "==", True), F("city", "==", "Lima")], combine="any"),
            C("not owners", [F("owner", "!=", True)]),  # keeps the missing
            C("no city", [F("city", "not in", ["Oslo", "Lima", "<b>Rome</b>"])]),
            C("wrong", [F("correct", "==", False)]),
            C("sure", [F("confidence", ">=", 0.8)]),
            C("predicted html", [F("y_pred", "==", "<img src=x onerror=alert(1)>")]),
        ],
        outputs=[None, "predicted", 0, 1],
    ),
    Case(
        "tabular_regression_near_a_million",
        regression_near_a_million,
        [
            C("small error", [F("error", "<=", 0.11)]),
            C("error 0.1", [F("error", "==", 0.1)]),
            C("overshoot", [F("error", "between", [0.1, 0.125])]),
            C("undershoot", [F("error", "<", 0)]),
        ],
        outputs=[None],
    ),
    Case(
        "tabular_big_integer_labels",
        big_integer_labels,
        [
            C("wrong", [F("correct", "==", False)]),
            C("true 123457", [F("y_true", "==", 123457)]),
            C("predicted 123456 or 123458", [F("y_pred", "in", [123456, 123458])]),
        ],
        outputs=[None, "predicted", 2],
    ),
    Case(
        "tabular_constant_outputs",
        constant_outputs,
        [
            C("first four", [F("index", "<", 4)]),
            C("one row", [F("index", "==", 5)]),
            C("no rows", [F("index", ">", 100)]),
        ],
        outputs=[None, 2],
    ),
    Case(
        "tabular_boolean_labels",
        boolean_labels,
        [
            C("true positives", [F("y_true", "==", True), F("y_pred", "==", True)]),
            C("predicted false", [F("y_pred", "!=", True)]),
            C("right", [F("correct", "==", True)]),
        ],
        outputs=[None, 1],
    ),
    Case(
        "tabular_numeric_category",
        numeric_category,
        [
            C("zip 10", [F("zip", "==", 10)]),
            C("zip 2 or 33", [F("zip", "in", ["2", 33])]),
            C("big error", [F("error", ">", 0.19)]),
        ],
        outputs=[None],
    ),
    Case(
        "tabular_javascript_names",
        javascript_names,
        [
            C("proto above 2", [F("__proto__", ">", 2)]),
            C("constructor a", [F("constructor", "==", "a")]),
            C("toString", [F("toString", "==", True)]),
        ],
        outputs=[None],
    ),
    Case(
        "text_classification",
        lambda: _text("classification"),
        [
            C("boring", [F("tokens", "contains", "BORING")]),
            C("no film", [F("tokens", "not contains", "film")]),
            C("long and wrong", [F("length", ">", 3), F("correct", "==", False)]),
            C("truncated", [F("truncated", "==", True)]),
            C("unsure", [F("confidence", "<", 0.9)]),
        ],
        outputs=[("predicted", True), (1, False)],
    ),
    Case(
        "text_multilabel",
        lambda: _text("multilabel"),
        [
            C("wrong sets", [F("correct", "==", False)]),
            C("predicted long only", [F("y_pred", "==", "long")]),
            C("great", [F("tokens", "contains", "great")]),
        ],
        outputs=[("predicted", False), (2, True)],
    ),
    Case(
        "image_classification",
        _image_explanation,
        [
            C("wrong", [F("correct", "==", False)]),
            C("class 7", [F("y_pred", "==", "class 7")]),
            C("absent class", [F("y_true", "==", "class 1")]),
            C("sure", [F("confidence", ">", 0.5)]),
        ],
    ),
    Case(
        "detection",
        _detection_explanation,
        [
            C("cats", [F("y_pred", "in", ["cat", "cat, <b>dog</b>"])]),
            C("empty", [F("detections", "==", 0)]),
            C("confident", [F("confidence", ">=", 0.75)]),
        ],
    ),
]
