#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds the front end,
# then runs the TypeScript checks, vitest, and pytest (Python API, notebooks, real-browser tests).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k mimic`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

echo "== installing: Debian chromium (browser tests), npm packages, the package with its dev extra"
bash scripts/install_browser.sh
npm ci --no-audit --no-fund
npm run build
# torch is pinned to 2.13.0 in the dev extra: a CPU build of it lies on these machines' disk.
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[dev]"

echo "== front end: typecheck and unit tests"
npx tsc --noEmit
npx vitest run

echo "== python: API, notebooks and browser tests"
"$PYTHON" -m pytest "$@"
