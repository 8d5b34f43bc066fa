"""Model families. Importing this package registers every family."""

from . import resnet  # noqa: F401  (registers)
from .registry import Family, Fit, count_params, create_model, fit_budget, get_family, list_models

__all__ = ["Family", "Fit", "count_params", "create_model", "fit_budget", "get_family", "list_models"]
