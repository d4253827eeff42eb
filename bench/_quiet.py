"""Waiting for a quiet machine before a timed side (2 cores: a side started on the load the last one left is skewed)."""

import os
import time


def settle(quiet: float = 0.5, longest: float = 240.0) -> float:
    """Wait (up to `longest` s) for the 1-minute load to fall below `quiet`: each side runs both cores, and the
    next one would otherwise start on the load the last one left. Returns the load it starts at."""
    deadline = time.monotonic() + longest
    while os.getloadavg()[0] >= quiet and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]
