"""rai-widget: model interpretability rendered inline in Jupyter."""

from rai_widget.cohorts import Cohort, Filter
from rai_widget.explainers.tabular import MimicExplainer
from rai_widget.explanations import Explanation, FidelityWarning, TabularExplanation, load
from rai_widget.widget import ExplanationDashboard

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "Explanation",
    "ExplanationDashboard",
    "FidelityWarning",
    "Filter",
    "MimicExplainer",
    "TabularExplanation",
    "load",
]
