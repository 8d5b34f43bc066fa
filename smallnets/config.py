"""An experiment is a frozen TrainConfig; its hash, over the fields not at their default, names where its results live.

Leaving default fields out of the hash means a new option (with a default) does not rename every old run. The seed
is not part of the config: replicates of one experiment share its hash.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import numbers
import re
import typing
from dataclasses import dataclass
from typing import Any

from .errors import SmallnetsError

OPTIMIZERS = ("sgdm", "adam", "adamw", "adabound")
SCHEDULES = ("cosine", "onecycle", "step", "constant")
SELECTIONS = ("last", "best_val")

# Learning rates people use at batch 128 for these optimizers; the sweep tunes them on validation.
DEFAULT_LR = {"sgdm": 0.1, "adam": 1e-3, "adamw": 1e-3, "adabound": 1e-3}
# L2 5e-4 is the CIFAR standard for SGDM and what the AdaBound paper uses for all its optimizers; AdamW's decay is
# decoupled (multiplied by lr), so it needs a far larger coefficient for a similar effect.
DEFAULT_WEIGHT_DECAY = {"sgdm": 5e-4, "adam": 5e-4, "adamw": 5e-2, "adabound": 5e-4}


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "cifar10"  # a name from smallnets.data.SPECS
    model: str = "resnet"  # a registered model family
    knobs: tuple[tuple[str, Any], ...] = ()  # explicit family knobs, sorted (name, value) pairs
    budget: int | None = None  # fit the family's width to at most this many parameters
    optimizer: str = "sgdm"  # sgdm | adam | adamw | adabound
    lr: float | None = None  # peak learning rate; None takes DEFAULT_LR of the optimizer
    momentum: float = 0.9  # sgdm momentum
    nesterov: bool = False  # sgdm: Nesterov momentum
    weight_decay: float | None = None  # None takes DEFAULT_WEIGHT_DECAY of the optimizer
    decay_all: bool = False  # also decay biases and norm parameters (default: only tensors with dim >= 2)
    epochs: int = 30
    batch_size: int = 128
    schedule: str = "cosine"  # cosine | onecycle | step | constant, stepped every batch
    warmup_epochs: float = 0.0  # linear warm-up from 0 (cosine, step, constant)
    label_smoothing: float = 0.0
    ema_decay: float | None = None  # evaluate an exponential moving average of the weights with this decay
    augment: bool = False  # random crop (pad 4) + horizontal flip (where the dataset allows)
    cutout: int = 0  # with augment: also blank a random square of this side in each training image; 0: none
    val_size: int | None = None  # validation images carved from train; None takes the dataset's default
    select: str = "last"  # which checkpoint is tested: last epoch, or best validation accuracy
    train_limit: int | None = None  # use only the first N training images (tests, smoke runs)
    method: str = "plain"  # how the model was obtained: plain | pruned | distilled (later stages)

    def __post_init__(self):
        self._coerce_numbers()
        problems = []
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"unknown optimizer '{self.optimizer}'; expected one of: {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            problems.append(f"unknown schedule '{self.schedule}'; expected one of: {', '.join(SCHEDULES)}")
        if self.select not in SELECTIONS:
            problems.append(f"unknown selection '{self.select}'; expected one of: {', '.join(SELECTIONS)}")
        if self.epochs < 1:
            problems.append(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch size must be >= 1, got {self.batch_size}")
        if self.lr is not None and not self.lr > 0:
            problems.append(f"learning rate must be > 0, got {self.lr}")
        if self.weight_decay is not None and self.weight_decay < 0:
            problems.append(f"weight decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.label_smoothing < 1:
            problems.append(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            problems.append(f"EMA decay must be in (0, 1), got {self.ema_decay}")
        if self.epochs >= 1 and not 0 <= self.warmup_epochs <= self.epochs:
            problems.append(f"warm-up epochs must be in 0..epochs, got {self.warmup_epochs}")
        if self.cutout < 0:
            problems.append(f"cutout must be >= 0 pixels, got {self.cutout}")
        if self.cutout and not self.augment:
            # A run without augment is on the no-augmentation track; cutout there would put an augmented run on it.
            problems.append("cutout needs augment (it adds to the crop+flip recipe)")
        if self.select == "best_val" and self.val_size == 0:
            problems.append("select=best_val needs a validation split (val_size > 0)")
        if problems:
            raise SmallnetsError("; ".join(problems))
        object.__setattr__(self, "knobs", tuple(sorted(dict(self.knobs).items())))

    def _coerce_numbers(self):
        # A config file may spell 3.0 as 3 (or 30 as 30.0): the same config must get the same hash, and a string or
        # a fraction must fail here with the field's name, not as a TypeError deep in training.
        for name, kind in _number_fields().items():
            value = getattr(self, name)
            if value is None:
                continue
            if kind is bool:
                if not isinstance(value, bool):
                    raise SmallnetsError(f"config field {name} must be true or false, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise SmallnetsError(f"config field {name} must be a number, got {value!r}")
            elif kind is float:
                object.__setattr__(self, name, float(value))
            elif isinstance(value, numbers.Integral) or float(value).is_integer():
                object.__setattr__(self, name, int(value))
            else:
                raise SmallnetsError(f"config field {name} must be a whole number, got {value!r}")

    @property
    def knob_dict(self) -> dict:
        return dict(self.knobs)

    @property
    def peak_lr(self) -> float:
        return DEFAULT_LR[self.optimizer] if self.lr is None else self.lr

    def settings(self) -> str:
        """The settings that most often tell two configs of one model apart, for a line a person reads (the hash
        settles it): two shallow CNNs of 97,573 parameters differ by optimizer and rate."""
        return (f"{self.dataset}, {self.optimizer} lr {self.peak_lr:g}, aug {int(self.augment)}"
                f"{f', cutout {self.cutout}' if self.cutout else ''}")

    @property
    def decay(self) -> float:
        return DEFAULT_WEIGHT_DECAY[self.optimizer] if self.weight_decay is None else self.weight_decay

    def non_default(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) != f.default}

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["knobs"] = self.knob_dict
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise SmallnetsError(f"unknown config field(s) {', '.join(sorted(unknown))}; "
                                 f"expected some of: {', '.join(sorted(names))}")
        d = dict(d)
        if isinstance(d.get("knobs"), dict):
            d["knobs"] = tuple(d["knobs"].items())
        elif d.get("knobs") is not None:
            d["knobs"] = tuple(tuple(kv) for kv in d["knobs"])
        return cls(**d)

    @property
    def hash(self) -> str:
        nd = self.non_default()
        if "knobs" in nd:
            nd["knobs"] = dict(nd["knobs"])
        return hashlib.sha256(json.dumps(nd, sort_keys=True).encode()).hexdigest()[:12]


@functools.cache
def _number_fields() -> dict[str, type]:
    """TrainConfig's bool, int and float fields (optional or not), read from its annotations."""
    kinds = {}
    for name, hint in typing.get_type_hints(TrainConfig).items():
        for kind in (bool, int, float):
            if hint == kind or hint == kind | None:
                kinds[name] = kind
    return kinds

_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_count(text: str | int, what: str = "budget") -> int:
    """'100000', '100k', '1.5M' -> an integer count."""
    if isinstance(text, int):
        return text
    m = _BUDGET.match(str(text))
    if not m:
        raise SmallnetsError(f"{what} '{text}' is not a count like 100000, 100k or 1.5M")
    value = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[m.group(2).lower()]
    if value != int(value) or value <= 0:
        raise SmallnetsError(f"{what} '{text}' must be a positive whole number of parameters")
    return int(value)


def parse_knob(text: str) -> tuple[str, Any]:
    """'depth=56' -> ('depth', 56); values are read as int, float, bool or string."""
    if "=" not in text:
        raise SmallnetsError(f"knob '{text}' must look like name=value, e.g. depth=56")
    name, raw = (s.strip() for s in text.split("=", 1))
    for cast in (int, float):
        try:
            return name, cast(raw)
        except ValueError:
            pass
    if raw.lower() in ("true", "false"):
        return name, raw.lower() == "true"
    return name, raw


__all__ = ["TrainConfig", "parse_count", "parse_knob", "OPTIMIZERS", "SCHEDULES"]
