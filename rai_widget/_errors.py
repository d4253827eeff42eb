"""The errors rai_widget raises that callers may want to catch by type (all public in rai_widget)."""


class ModelPredictError(RuntimeError):
    """The user's model raised (or returned something unusable) while predicting; the original error,
    when there is one, is chained as __cause__."""


class ExplanationFileError(ValueError):
    """`rw.load` was given a file that is not an explanation written by `exp.save()`, or one that is
    damaged or inconsistent (truncated, corrupted, tampered with)."""
