"""The demos behind `rai-widget demo` and the notebooks: real models on data that ships in packages.

Each demo module has ``run_demo(out_dir, echo=print)`` (prints what it finds, saves the explanation
in ``out_dir`` and returns it, or a list of explanations of the same images to show side by side), a
``TITLE`` for its report, a ``REPORT`` file name, ``EXTRA``, the pip extra whose packages it needs, and
optionally ``report_cohorts()``, the cohorts its report opens with.
Trained weights ship in ``rai_widget/demos/data`` so nothing is downloaded and nothing is retrained
on a user's machine; each module can retrain them.
"""

from __future__ import annotations

import importlib

# In the order `rai-widget demo` runs them.
DEMOS = ("tabular", "text", "image", "detection")
# Earlier names of demos, still accepted by `rai-widget demo --only`.
ALIASES = {"vision": "image"}


class MissingExtraError(ImportError):
    """A package a demo needs is missing; `extra` is the pip extra that installs it (`rai-widget demo`'s hint)."""

    def __init__(self, message: str, extra: str):
        super().__init__(message)
        self.extra = extra


def demo_module(name: str):
    """The demo module for `name` (one of DEMOS)."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose from {', '.join(DEMOS)}")
    return importlib.import_module(f"rai_widget.demos.{name}")


def save_explanation(exp, path, echo) -> None:
    """Save a demo's explanation at `path` and tell the user how to open it again."""
    saved = exp.save(path)
    echo(f"\nSaved the explanation to {saved}")
    echo("In a notebook: exp = rai_widget.load(path); exp.show()")
