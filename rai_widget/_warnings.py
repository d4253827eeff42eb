"""The base of every warning rai_widget issues, so users (and the tests) can filter them all at once."""


class RaiWidgetWarning(UserWarning):
    """A warning from rai_widget: `warnings.simplefilter("ignore", rw.RaiWidgetWarning)` silences them all."""
