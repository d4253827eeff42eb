#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds the front end, then
# runs the lint, format and type checks of both sides, the documentation site's strict build, vitest,
# pytest (Python API, notebooks, real-browser tests, the wheel without node), and the core tier on
# Python 3.10 and 3.13 (scripts/test_core_tier.sh). Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

echo "== installing: Debian chromium (browser tests), npm packages, the package with its dev extra"
bash scripts/install_browser.sh
npm ci --no-audit --no-fund
npm run build
# torch==2.13.0: the CPU build that lies on these machines' disk (an unpinned torch pulls a multi-GB
# CUDA build). The pin lives here, not in a published extra.
"$PYTHON" -m pip install --quiet --disable-pip-version-check "torch==2.13.0" -e ".[dev]"

echo "== lint, format and type checks"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m mypy
npm run lint
npm run typecheck

echo "== documentation site (mkdocs --strict: a broken reference or an incomplete docstring fails)"
NO_MKDOCS_2_WARNING=1 "$PYTHON" -m mkdocs build --strict --quiet --site-dir "$(mktemp -d)"

echo "== front end: unit tests"
npx vitest run

echo "== python: API, notebooks and browser tests"
"$PYTHON" -m pytest "$@"

echo "== core tier on Python 3.10 and 3.13: fresh venvs with the core dependencies only (side by side)"
bash scripts/test_core_tier.sh "${PYTHON310:-$HOME/.pyenv/versions/3.10.13/bin/python}" \
  "${PYTHON313:-$HOME/.pyenv/versions/3.13.0/bin/python}"
