"""rai-widget: model interpretability rendered inline in Jupyter."""

from rai_widget._errors import ExplanationFileError, ModelPredictError
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.cohorts import Cohort, Filter
from rai_widget.explainers.detection import DetectionExplainer
from rai_widget.explainers.image import ImageExplainer
from rai_widget.explainers.tabular import FidelityWarning, MimicExplainer
from rai_widget.explainers.text import TextExplainer
from rai_widget.explanations import (
    DetectionExplanation,
    Explanation,
    ImageExplanation,
    TabularExplanation,
    TextExplanation,
    load,
)
from rai_widget.explanations._from_shap import AdditivityWarning, from_shap
from rai_widget.explanations.large import LargeTabularExplanation
from rai_widget.widget import ExplanationDashboard

__version__ = "0.1.0"

__all__ = [
    "AdditivityWarning",
    "Cohort",
    "DetectionExplainer",
    "DetectionExplanation",
    "Explanation",
    "ExplanationDashboard",
    "ExplanationFileError",
    "FidelityWarning",
    "Filter",
    "ImageExplainer",
    "ImageExplanation",
    "LargeTabularExplanation",
    "MimicExplainer",
    "ModelPredictError",
    "RaiWidgetWarning",
    "TabularExplanation",
    "TextExplainer",
    "TextExplanation",
    "from_shap",
    "load",
]
