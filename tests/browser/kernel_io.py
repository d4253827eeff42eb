"""Reading values back from the notebook's kernel in browser tests."""

import json
import time


def kernel_json(run_cell, page, expr: str):
    """Evaluate `expr` in the kernel and return it, through JSON."""
    out = run_cell(page, f"import json\nprint(json.dumps({expr}))")
    return json.loads(out.strip().splitlines()[-1])


def wait_for_kernel(run_cell, page, expr: str, predicate, timeout: float = 20):
    """Re-read `expr` from the kernel until `predicate(value)` holds (comm messages are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = kernel_json(run_cell, page, expr)
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)
