"""The reference half of bench/tabular.py; runs in bench/.venv-ref (see make_reference_env.sh).

    bench/.venv-ref/bin/python bench/_reference_tabular.py DATA.npy --seed 0

Times interpret-community's MimicExplainer with LGBMExplainableModel (fit + explain_global on every
row, which computes the local importances of every row and aggregates them) and prints one JSON
line: seconds, fidelity measured as in rai_widget, peak RSS (VmHWM).
"""

import argparse
import json
import os
import sys
import time

import lightgbm
import numpy as np
from interpret_community.mimic import MimicExplainer
from interpret_community.mimic.models import LGBMExplainableModel
from threadpoolctl import threadpool_info

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _teacher import Teacher, fidelity  # noqa: E402


def peak_rss_mb():
    # Not getrusage: its ru_maxrss survives fork + exec, so it would report the parent's peak.
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    return int(kb) / 1024


parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

X = np.load(args.data)
teacher = Teacher(X.shape[1], seed=args.seed)

start = time.perf_counter()
explainer = MimicExplainer(teacher, X, LGBMExplainableModel, augment_data=False, classes=[0, 1])
fitted = time.perf_counter()
global_explanation = explainer.explain_global(X)
done = time.perf_counter()
local_values = np.asarray(global_explanation.local_importance_values)
assert local_values.shape == (2, X.shape[0], X.shape[1]), local_values.shape

# explain_local(X) is the other documented way to get every row's values; timed for the record.
start_local = time.perf_counter()
explainer.explain_local(X)
local_seconds = time.perf_counter() - start_local

# For two classes the surrogate is an LGBMRegressor fitted on the teacher's clipped log-odds.
surrogate = explainer.surrogate_model.model
r2, agreement = fidelity(surrogate.predict(X), teacher, X)
print(
    json.dumps(
        {
            "seconds": done - start,
            "fit_seconds": fitted - start,
            "explain_global_seconds": done - fitted,
            "explain_local_seconds": local_seconds,
            "r2": r2,
            "agreement": agreement,
            "peak_rss_mb": peak_rss_mb(),
            "surrogate": type(surrogate).__name__,
            "lightgbm_n_jobs": surrogate.get_params().get("n_jobs"),
            "threads": {f"{p['internal_api']} ({p['prefix']})": p["num_threads"] for p in threadpool_info()},
            "teacher_checksum": float(teacher.decision_function(X).sum()),
            "versions": {"lightgbm": lightgbm.__version__, "numpy": np.__version__},
        }
    )
)
