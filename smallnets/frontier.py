"""The accuracy-vs-parameters frontier, and the two questions: best accuracy under N parameters, smallest model
reaching X%. Reads the runs table only; never trains.

Runs of one config (same hash, several seeds) are summarised as mean +- std. Every choice (which config is on the
front, which answers a query) is made on *validation* accuracy; test accuracy is reported beside it, never used to
choose.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from .config import TrainConfig
from .errors import SmallnetsError


def pareto_front(points):
    """Points (params, accuracy, *rest) not dominated by another (fewer or equal parameters and higher or equal
    accuracy, one strictly), sorted by parameters. Of exact duplicates the first given is kept."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(points[i])
            best = points[i][1]
    return front


@dataclass
class ConfigSummary:
    """All finished runs of one config."""

    config_hash: str
    config: TrainConfig
    family: str
    params: int
    macs: int | None
    knobs: dict
    data_label: str
    run_ids: list[int] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)

    @property
    def val_mean(self) -> float:
        return statistics.fmean(self.val)

    @property
    def test_mean(self) -> float:
        return statistics.fmean(self.test)

    @property
    def test_std(self) -> float:
        return statistics.stdev(self.test) if len(self.test) > 1 else 0.0

    @property
    def val_std(self) -> float:
        return statistics.stdev(self.val) if len(self.val) > 1 else 0.0

    def reproduce(self) -> str:
        """The command that trains this config again, every seed of it."""
        d = self.config.non_default()
        parts = ["smallnets train", f"--model {self.config.model}", f"--dataset {self.config.dataset}"]
        for key, value in sorted(d.items()):
            if key in ("model", "dataset", "method"):
                continue
            if key == "knobs":
                parts += [f"--knob {k}={v}" for k, v in value]
            elif key == "ema_decay":
                parts.append(f"--ema {value}")
            elif isinstance(value, bool):
                parts.append(f"--{key.replace('_', '-')}" if value else "")
            else:
                parts.append(f"--{key.replace('_', '-')} {value}")
        seeds = f"--seed {self.seeds[0]}" if len(self.seeds) == 1 else \
            f"--seeds {','.join(map(str, sorted(self.seeds)))}"
        return " ".join(p for p in parts + [seeds] if p)

    def as_row(self) -> dict:
        return {"config_hash": self.config_hash, "family": self.family, "params": self.params, "macs": self.macs,
                "optimizer": self.config.optimizer, "augment": self.config.augment, "cutout": self.config.cutout,
                "epochs": self.config.epochs, "budget": self.config.budget, "seeds": len(self.seeds), "val_mean": self.val_mean,
                "val_std": self.val_std, "test_mean": self.test_mean, "test_std": self.test_std, "knobs": self.knobs,
                "data_label": self.data_label, "run_ids": self.run_ids, "reproduce": self.reproduce()}


def summarize(rows: list[dict]) -> list[ConfigSummary]:
    """Group finished runs (rows of the runs table) by config; runs without validation accuracy are left out."""
    by_hash: dict[str, ConfigSummary] = {}
    for r in rows:
        if r["status"] != "finished" or r["val_acc"] is None or r["test_acc"] is None:
            continue
        s = by_hash.get(r["config_hash"])
        if s is None:
            s = by_hash[r["config_hash"]] = ConfigSummary(
                r["config_hash"], TrainConfig.from_dict(json.loads(r["config_json"])), r["model"], r["params_total"],
                r["macs"], json.loads(r["knobs_json"] or "{}"), r["data_label"])
        s.run_ids.append(r["id"])
        s.seeds.append(r["seed"])
        s.val.append(r["val_acc"])
        s.test.append(r["test_acc"])
    return list(by_hash.values())


def filter_rows(rows: list[dict], dataset: str | None = None, augment: bool | None = None,
                family: str | None = None, method: str | None = None) -> list[dict]:
    return [r for r in rows if (dataset is None or r["dataset"] == dataset)
            and (augment is None or bool(r["augment"]) == augment)
            and (family is None or r["model"] == family) and (method is None or r["method"] == method)]


def tracks(rows: list[dict]) -> dict[tuple[str, bool], list[dict]]:
    """Rows by track, (dataset, augmentation): each track has its own front, its own questions."""
    out: dict[tuple[str, bool], list[dict]] = {}
    for r in rows:
        out.setdefault((r["dataset"], bool(r["augment"])), []).append(r)
    return dict(sorted(out.items()))


def track_name(augment: bool, summaries: Sequence[ConfigSummary] = ()) -> str:
    """The track's name; on the augmentation track, the Cutout sizes some of its configs add (their rows say which)."""
    if not augment:
        return "no augmentation"
    sizes = sorted({s.config.cutout for s in summaries if s.config.cutout})
    cutout = f"; some configs add Cutout {'/'.join(map(str, sizes))}" if sizes else ""
    return f"standard augmentation (crop+flip{cutout})"


def frontier(summaries: list[ConfigSummary]) -> list[ConfigSummary]:
    """Configs on the (parameters down, validation accuracy up) front, by parameters."""
    return [s for _, _, _, s in pareto_front([(s.params, s.val_mean, i, s) for i, s in enumerate(summaries)])]


def best_under(summaries: list[ConfigSummary], max_params: int) -> ConfigSummary | None:
    fits = [s for s in summaries if s.params <= max_params]
    return max(fits, key=lambda s: (s.val_mean, -s.params)) if fits else None


def smallest_reaching(summaries: list[ConfigSummary], target: float) -> ConfigSummary | None:
    """`target` is an accuracy in [0, 1], reached by the mean validation accuracy."""
    reach = [s for s in summaries if s.val_mean >= target]
    return min(reach, key=lambda s: (s.params, -s.val_mean)) if reach else None


# What an optimizer comparison holds equal besides the model: runs that differ in one of these (a longer schedule,
# another batch) are separate comparisons, not more rates of one. The optimizer's own settings (rate, momentum,
# weight decay, warm-up) are what each optimizer may have its own of.
RECIPE_FIELDS = ("epochs", "batch_size", "schedule", "label_smoothing", "ema_decay", "cutout", "select", "val_size",
                 "train_limit", "knobs", "method")


def optimizer_rates(summaries: list[ConfigSummary]) -> dict[tuple, dict[str, list[tuple[float, ConfigSummary]]]]:
    """For each (budget, family, recipe) trained with more than one optimizer: each optimizer's configs by learning
    rate, with the validation accuracy each is chosen by. That accuracy is the mean over the seeds every rate of the
    optimizer has, so a rate that got extra seeds (its mean moves) is compared on the same footing as the rest. The
    recipe is a label: the epochs, and whichever other RECIPE_FIELDS differ between the budget's comparisons."""
    grouped = defaultdict(lambda: defaultdict(list))
    for s in summaries:
        if s.config.budget is not None:
            recipe = tuple((f, getattr(s.config, f)) for f in RECIPE_FIELDS)
            grouped[(s.config.budget, s.family, recipe)][s.config.optimizer].append(s)
    compared = {key: by_opt for key, by_opt in grouped.items() if len(by_opt) >= 2}
    out = {}
    for (budget, family, recipe), by_opt in sorted(compared.items(), key=lambda kv: (*kv[0][:2], str(kv[0][2]))):
        siblings = [dict(r) for b, f, r in compared if (b, f) == (budget, family)]
        differs = [(k, v) for k, v in recipe if k != "epochs" and any(r[k] != v for r in siblings)]
        label = ", ".join([f"{dict(recipe)['epochs']} epochs", *(f"{k} {v}" for k, v in differs)])
        out[(budget, family, label)] = {}
        for opt, configs in sorted(by_opt.items()):
            common = set.intersection(*(set(c.seeds) for c in configs))
            scored = []
            for c in sorted(configs, key=lambda c: c.config.peak_lr):
                vals = [v for seed, v in zip(c.seeds, c.val) if seed in common] or c.val
                scored.append((sum(vals) / len(vals), c))
            out[(budget, family, label)][opt] = scored
    return out


def chosen_rate(scored: list[tuple[float, ConfigSummary]]) -> int:
    """The index of an optimizer's chosen rate in optimizer_rates' list: the best validation accuracy."""
    return max(range(len(scored)), key=lambda i: scored[i][0])


def family_best(summaries: list[ConfigSummary]) -> dict[tuple[int, str], ConfigSummary]:
    """Each family's best config (on validation) at each budget it was fitted to."""
    best: dict[tuple[int, str], ConfigSummary] = {}
    for s in summaries:
        if s.config.budget is None:
            continue
        key = (s.config.budget, s.family)
        if key not in best or s.val_mean > best[key].val_mean:
            best[key] = s
    return best


CONFIRM_WHAT = ("front", "optimizers", "families")
CONFIRM_SEEDS = 3  # seeds a published point needs (issue 6): confirm's default, and what the report asks of the front


def confirm_targets(summaries: list[ConfigSummary], min_seeds: int,
                    what: tuple[str, ...] = ("front", "optimizers")) -> list[ConfigSummary]:
    """The chosen configs of one track (one dataset, augmentation setting and method) that have fewer than
    `min_seeds` finished seeds: those on the front, each optimizer's chosen rate where optimizers are compared, and
    (with "families") each family's best at each budget.

    Choices are made on the mean validation accuracy over however many seeds a config has, so a one-seed config
    can win by luck over a three-seed one. Giving every chosen config `min_seeds` seeds and choosing again, until
    nothing chosen is short of seeds, settles that: a lucky config's mean falls back when its new seeds come in,
    and the choice moves on."""
    chosen: dict[str, ConfigSummary] = {}
    if "front" in what:
        chosen.update((s.config_hash, s) for s in frontier(summaries))
    if "optimizers" in what:
        for by_opt in optimizer_rates(summaries).values():
            for scored in by_opt.values():
                s = scored[chosen_rate(scored)][1]
                chosen[s.config_hash] = s
    if "families" in what:
        chosen.update((s.config_hash, s) for s in family_best(summaries).values())
    return sorted((s for s in chosen.values() if len(s.seeds) < min_seeds), key=lambda s: (s.params, s.config_hash))


def parse_accuracy(text: str | float) -> float:
    """'90', '90%' or '0.9' -> 0.9."""
    try:
        value = float(str(text).rstrip("%"))
    except ValueError:
        raise SmallnetsError(f"target accuracy '{text}' is not a number like 90 or 0.9") from None
    value = value / 100 if value > 1 else value
    if not 0 < value <= 1:
        raise SmallnetsError(f"target accuracy '{text}' must be in (0, 100]")
    return value


def literature(dataset: str | None = None, augment: bool | None = None) -> list[dict]:
    """Published (accuracy, parameters) points, with their source, from the package's literature.csv."""
    with resources.files("smallnets").joinpath("literature.csv").open() as f:
        rows = [{**r, "params": int(r["params"]), "test_acc": float(r["test_acc"]) / 100, "augment": r["augment"] == "1"}
                for r in csv.DictReader(f)]
    return [r for r in rows if (dataset is None or r["dataset"] == dataset)
            and (augment is None or r["augment"] == augment)]
