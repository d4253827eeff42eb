"""The errors rai_widget raises that callers may want to catch by type (all public in rai_widget)."""


class ModelPredictError(RuntimeError):
    """The user's model raised, or returned something unusable, while predicting.

    The model's own error, when there is one, is chained as ``__cause__``; the message names the data the
    model was called on.
    """


class ExplanationFileError(ValueError):
    """``rw.load`` was given a file that is not an explanation written by ``exp.save()``.

    Also raised for a damaged or inconsistent file (truncated, corrupted, tampered with). A ValueError.
    """
