"""SCAFFOLD (session 6): what-if points; replaced by the helper that owns this file."""


def what_if_job(dash, params: dict, ctx) -> dict:
    raise ValueError("what-if is not built yet")
