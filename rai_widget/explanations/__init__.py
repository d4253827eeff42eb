"""Explanation results: plain arrays and names, saved without pickle, convertible to shap.Explanation.

One module per kind (tabular, text, image, detection); `_base` is the common base class and registry,
`_columns` the column spec cohorts filter on, `_format` the save format.
"""

from rai_widget.explanations._base import Explanation
from rai_widget.explanations._format import load
from rai_widget.explanations.detection import DetectionExplanation
from rai_widget.explanations.image import ImageExplanation
from rai_widget.explanations.tabular import TabularExplanation
from rai_widget.explanations.text import TextExplanation

__all__ = ["DetectionExplanation", "Explanation", "ImageExplanation", "TabularExplanation", "TextExplanation", "load"]
