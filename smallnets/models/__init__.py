"""Model families. Importing this package registers every family."""

from . import mobile, resnet, shallow, squeezenet, transformer, vgg  # noqa: F401  (each registers its families)
from .registry import Family, Fit, count_params, create_model, fit_budget, get_family, list_models

__all__ = ["Family", "Fit", "count_params", "create_model", "fit_budget", "get_family", "list_models"]
