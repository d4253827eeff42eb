"""Re-run the demo notebooks in place and write them the way JupyterLab would save them.

    python scripts/run_notebooks.py                   # run every notebooks/*.ipynb, then normalize it
    python scripts/run_notebooks.py tabular.ipynb     # just that one
    python scripts/run_notebooks.py --normalize-only  # rewrite without running (metadata, numbers)

The notebooks are committed executed, with their widget state, so viewers that support widgets draw the
dashboards. Opening one in JupyterLab must not mark it modified, and saving it from Lab must give the
same bytes (tests/browser/test_notebooks_open_clean.py), so the file is written as Lab writes it back:

- `metadata.kernelspec` is the installed kernelspec's, word for word: Lab replaces a kernelspec that
  differs from the kernel it starts ("Python 3" where ipykernel's says "Python 3 (ipykernel)"), which
  marks the notebook modified as soon as it opens;
- a float with an integral value (a progress bar's `max: 5.0`) is written as an integer: the browser's
  JSON has one number type, so Lab saves it back as `5`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "python3"
JS_EXPONENT_FROM = 1e21  # JSON.stringify writes integral numbers from here on with an exponent


def _number_as_the_browser_writes_it(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < JS_EXPONENT_FROM else value


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as Lab would save it back: the installed kernelspec, integral floats as integers."""
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    nb.metadata["kernelspec"] = {"display_name": spec.display_name, "language": spec.language, "name": KERNEL}
    text = json.dumps(nb)
    return nbformat.from_dict(json.loads(text, parse_float=_number_as_the_browser_writes_it))


def run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # store_widget_state (the default): the dashboards' state goes into metadata.widgets.
    NotebookClient(nb, kernel_name=KERNEL, timeout=1800, resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks in notebooks/ (default: all)")
    parser.add_argument("--normalize-only", action="store_true", help="rewrite without running the cells")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / n for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        nb = nbformat.read(path, as_version=4) if args.normalize_only else run(path)
        nbformat.validate(nb)
        nbformat.write(normalize(nb), path)
        print(f"wrote {path.relative_to(NOTEBOOKS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
