"""A registry that maps a family name to a builder whose keyword arguments are its scaling knobs, and a budget fitter.

Builders take `num_classes`, `in_channels`, `image_size` and their knobs, and return a plain nn.Module. The fitter
builds candidates on the meta device (no memory, no init cost) to count their parameters.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from ..errors import SmallnetsError

COMMON_ARGS = ("num_classes", "in_channels", "image_size")


@dataclass(frozen=True)
class Family:
    name: str
    builder: Callable[..., nn.Module]
    width_knob: str  # integer knob the budget fitter scales; parameters grow monotonically with it
    alternatives: tuple[dict, ...]  # settings of other knobs the fitter may use, preferred first
    description: str
    max_width: int = 4096

    @property
    def defaults(self) -> dict:
        sig = inspect.signature(self.builder)
        return {k: p.default for k, p in sig.parameters.items() if k not in COMMON_ARGS}


_FAMILIES: dict[str, Family] = {}


def register(name: str, *, width_knob: str, alternatives: tuple[dict, ...] = ({},), description: str = "",
             max_width: int = 4096):
    def decorate(builder):
        _FAMILIES[name] = Family(name, builder, width_knob, tuple(alternatives), description or builder.__doc__ or "",
                                 max_width)
        return builder
    return decorate


def get_family(name: str) -> Family:
    if name not in _FAMILIES:
        raise SmallnetsError(f"unknown model '{name}'; expected one of: {', '.join(sorted(_FAMILIES))}")
    return _FAMILIES[name]


def list_models(pattern: str = "*") -> list[str]:
    return sorted(n for n in _FAMILIES if fnmatch.fnmatch(n, pattern))


def _check_knobs(family: Family, knobs: dict) -> None:
    unknown = set(knobs) - set(family.defaults)
    if unknown:
        raise SmallnetsError(f"model '{family.name}' has no knob {', '.join(sorted(unknown))}; "
                             f"its knobs are: {', '.join(family.defaults) or 'none'}")
    for name, value in knobs.items():
        default = family.defaults[name]
        kind = type(default) if default is not None else int  # every optional knob is an int (e.g. head_dim)
        if value is None and default is None:
            continue
        if kind is bool:
            fits = isinstance(value, bool)
        else:  # bool is an int to Python, not to a knob
            fits = isinstance(value, (int, float) if kind is float else kind) and not isinstance(value, bool)
        if not fits:  # said here, not as a comparison error from inside the builder
            expected = {int: "a whole number", float: "a number", bool: "true or false", str: "a word"}[kind]
            usual = "unset by default" if default is None else f"default {default}"
            raise SmallnetsError(f"knob {name} of model '{family.name}' must be {expected} ({usual}), got {value!r}")


def _build(family: Family, num_classes: int, in_channels: int, image_size: int, knobs: dict) -> nn.Module:
    try:
        return family.builder(num_classes=num_classes, in_channels=in_channels, image_size=image_size, **knobs)
    except (ValueError, TypeError) as e:  # builders reject impossible shapes with ValueError
        raise SmallnetsError(f"model '{family.name}' with {knobs}: {e}") from None


def count_params(name: str, *, num_classes: int = 10, in_channels: int = 3, image_size: int = 32, **knobs) -> int:
    """Parameters of a configuration, built on the meta device so that even large candidates cost nothing."""
    _check_knobs(get_family(name), knobs)
    return _count_params(name, num_classes, in_channels, image_size, tuple(sorted(knobs.items())))


@functools.lru_cache(maxsize=65536)  # the fitter asks for the same candidates again and again across budgets
def _count_params(name: str, num_classes: int, in_channels: int, image_size: int, knobs: tuple) -> int:
    with torch.device("meta"):
        model = _build(get_family(name), num_classes, in_channels, image_size, dict(knobs))
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Fit:
    family: str
    budget: int
    params: int
    knobs: dict = field(hash=False)

    @property
    def fill(self) -> float:
        return self.params / self.budget


def fit_budget(name: str, budget: int, *, num_classes: int = 10, in_channels: int = 3, image_size: int = 32,
               min_fill: float = 0.95, **fixed) -> Fit:
    """The configuration with the most parameters not above `budget`.

    For each setting of the family's other knobs, in the family's order of preference, the width knob is found by
    bisection; the first setting that fills at least `min_fill` of the budget wins, else the one that fills most.
    Knobs passed in `fixed` are kept as given.
    """
    family = get_family(name)
    _check_knobs(family, fixed)
    if family.width_knob in fixed:
        raise SmallnetsError(f"--budget chooses '{family.width_knob}' of '{name}'; do not set it as well")
    if budget <= 0:
        raise SmallnetsError(f"budget must be a positive number of parameters, got {budget}")
    defaults = family.defaults
    alternatives = [alt for alt in family.alternatives if all(fixed.get(k, v) == v for k, v in alt.items())]
    if not alternatives:
        alternatives = [{}]
    best: Fit | None = None
    smallest = None
    for alt in alternatives:
        knobs = {**defaults, **alt, **fixed}

        def params_at(width: int) -> int:
            return count_params(name, num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                                **{**knobs, family.width_knob: width})

        lo_params = params_at(1)
        smallest = lo_params if smallest is None else min(smallest, lo_params)
        if lo_params > budget:
            continue
        lo, hi = 1, family.max_width
        if params_at(hi) <= budget:
            lo = hi
        while hi - lo > 1:  # invariant: params_at(lo) <= budget < params_at(hi)
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if params_at(mid) <= budget else (lo, mid)
        fit = Fit(name, budget, params_at(lo), {**knobs, family.width_knob: lo})
        if best is None or fit.params > best.params:
            best = fit
        if fit.fill >= min_fill:
            return fit
    if best is None:
        raise SmallnetsError(f"budget {budget:,} is below the minimum of model '{name}' "
                             f"({smallest:,} parameters at its smallest width{' with ' + str(fixed) if fixed else ''})")
    return best


def create_model(name: str, *, num_classes: int = 10, in_channels: int = 3, image_size: int = 32,
                 budget: int | None = None, seed: int | None = None, **knobs) -> nn.Module:
    """Build a model by family name, either with explicit knobs or fitted to a parameter budget.

    The chosen knobs are kept on the model as `model.smallnets_config`.
    """
    family = get_family(name)
    _check_knobs(family, knobs)
    if budget is not None:
        knobs = fit_budget(name, budget, num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                           **knobs).knobs
    knobs = {**family.defaults, **knobs}
    if seed is not None:
        torch.manual_seed(seed)
    model = _build(family, num_classes, in_channels, image_size, knobs)
    model.smallnets_config = {"family": name, "num_classes": num_classes, "in_channels": in_channels,
                              "image_size": image_size, "knobs": knobs}
    return model
