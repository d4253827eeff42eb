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
import tempfile
from pathlib import Path

# In the order `rai-widget demo` runs them.
DEMOS = ("tabular", "text", "image", "detection")
# Earlier names of demos, still accepted by `rai-widget demo --only`.
ALIASES = {"vision": "image"}


class MissingExtraError(ImportError):
    """A package a demo needs is missing; `extra` is the pip extra that installs it (`rai-widget demo`'s hint)."""

    def __init__(self, message: str, extra: str):
        super().__init__(message)
        self.extra = extra


def default_demo_folder() -> Path:
    """Where the demos write without --out: a folder of the system's temporary folder, outside any source
    tree and the current folder (e.g. /tmp/rai-widget-demo)."""
    return Path(tempfile.gettempdir()) / "rai-widget-demo"


def demo_module(name: str):
    """The demo module for `name` (one of DEMOS)."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose from {', '.join(DEMOS)}")
    return importlib.import_module(f"rai_widget.demos.{name}")


def save_explanation(exp, path, echo) -> None:
    """Save a demo's explanation at `path` and print the line that opens it again (its real path, quoted)."""
    saved = Path(exp.save(path)).resolve()
    echo(f"\nSaved the explanation to {saved}")
    echo(f"In a notebook: import rai_widget as rw; exp = rw.load({str(saved)!r}); exp.show()")


def echo_side_by_side(paths, echo) -> None:
    """Print where a demo saved several explanations of the same images, and the line that shows them together."""
    saved = [str(Path(p).resolve()) for p in paths]
    echo(f"\nSaved the explanations to {', '.join(saved)}")
    show = f"rw.ExplanationDashboard([rw.load(p) for p in {saved!r}])"
    echo(f"In a notebook, side by side: import rai_widget as rw; {show}")
