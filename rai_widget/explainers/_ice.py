"""SCAFFOLD (session 6): ICE curves and partial dependence; replaced by the helper that owns this file."""


def ice_job(dash, params: dict, ctx) -> dict:
    raise ValueError("ICE curves are not built yet")
