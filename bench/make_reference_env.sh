#!/usr/bin/env bash
# Creates bench/.venv-ref: interpret-community 0.32.0 (the reference Mimic explainer) on Python 3.11.
# Idempotent: does nothing when the venv already imports the reference at the pinned versions.
#
# interpret-community needs numpy<=1.26.2, pandas<2, shap<=0.46 and scipy<1.16; the rest is the
# newest set that resolves with those and was run here. Nothing in it depends on torch
# (ml-wrappers only imports it when present); the script fails if torch shows up.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-ref"
python="${PYTHON:-python3.11}"

pins=(
  interpret-community==0.32.0
  interpret-core==0.6.9
  ml-wrappers==0.6.4
  raiutils==0.4.2
  numpy==1.26.2
  pandas==1.5.3
  scipy==1.15.3
  scikit-learn==1.9.1
  lightgbm==4.7.0
  narwhals==2.29.0
  shap==0.46.0
  numba==0.68.1
  llvmlite==0.50.0
  slicer==0.0.8
  cloudpickle==3.1.2
  joblib==1.6.0
  threadpoolctl==3.8.0
  packaging==26.3
  tqdm==4.70.1
  python-dateutil==4.0.0
  pytz==2026.6
  tzdata==2026.6
  requests==2.34.2
  certifi==2026.10.18
  charset-normalizer==3.5.2
  idna==3.20
  urllib3==2.8.0
)

check='
import sys, numpy, pandas, scipy, sklearn, lightgbm, shap, interpret_community
from interpret_community.mimic import MimicExplainer
from interpret_community.mimic.models import LGBMExplainableModel
want = dict(p.split("==") for p in sys.argv[1:])
have = {"interpret-community": interpret_community.__version__, "numpy": numpy.__version__,
        "pandas": pandas.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
        "lightgbm": lightgbm.__version__, "shap": shap.__version__}
bad = {k: v for k, v in have.items() if v != want[k]}
try:
    import torch  # noqa: F401
    bad["torch"] = "installed"
except ImportError:
    pass
sys.exit(f"reference venv mismatch: {bad}" if bad else 0)
'

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" "${pins[@]}" 2>/dev/null; then
  echo "reference env ok: $venv"
  exit 0
fi

rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --no-deps "${pins[@]}"
"$venv/bin/pip" check
"$venv/bin/python" -c "$check" "${pins[@]}"
echo "reference env ready: $venv"
