"""Sweeps: datasets x families x budgets x optimizers x augmentation x epochs x seeds, on one machine or many.

The study lives in a real database through Optuna's RDB storage: an SQLite file for one process, a PostgreSQL URL
for many workers on many machines, each running the same command. Results land in the same database's `runs` table
(smallnets.store), which every report reads.

Grid mode enqueues every grid point once as a WAITING trial; workers pop them (the storage hands each to exactly one
worker). Workers send heartbeats; a trial whose worker died is failed by the next worker that looks and re-enqueued
by Optuna's retry callback, and its run resumes from its last checkpoint when the run folder is shared. A trial
that is not from the queue, or whose point is already done or held by a lower-numbered trial, is pruned as a
duplicate, so each point is completed exactly once. Search mode is Optuna multi-objective optimisation (maximise
validation accuracy, minimise parameters) over families, budgets and optimizers, with an explicit sampler and seed.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import optuna
from optuna.storages import fail_stale_trials
from optuna.trial import TrialState

try:  # Optuna >= 4.9 names it after what it does; older releases call it RetryFailedTrialCallback
    from optuna.storages import RetryHeartbeatStaleTrialCallback as RetryStaleTrial
except ImportError:
    from optuna.storages import RetryFailedTrialCallback as RetryStaleTrial

from .config import DEFAULT_LR, OPTIMIZERS, TrainConfig, parse_count
from .data import SPECS, load_dataset
from .errors import SmallnetsError
from .frontier import CONFIRM_WHAT, confirm_targets, filter_rows, pareto_front, summarize, tracks
from .models import get_family, list_models
from .store import SQLITE_BUSY_TIMEOUT_S, RunStore, database_url, lock_sqlite_transactions
from .stacked import train_runs
from .train import RecordedModelMismatch, RunOptions, RunResult, check_recorded_models, fitted_knobs, meta_model

SWEPT = ("dataset", "model", "budget", "optimizer", "augment", "epochs")
SAMPLERS = ("tpe", "nsga2", "random")


def _without_our_tracebacks(record: logging.LogRecord) -> bool:
    """Optuna logs a failed trial with its traceback. A smallnets error is already a one-line message that says
    what to do (and the sweep logged it): keep Optuna's line, drop the trace from deep inside."""
    if record.exc_info and isinstance(record.exc_info[1], SmallnetsError):
        record.exc_info = None
    return True


def _quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial_logger = logging.getLogger("optuna.study._optimize")  # where Optuna logs "Trial N failed ..."
    if _without_our_tracebacks not in trial_logger.filters:
        trial_logger.addFilter(_without_our_tracebacks)


@dataclass(frozen=True)
class SweepSpec:
    name: str
    mode: str = "grid"  # grid | search
    datasets: tuple[str, ...] = ("cifar10",)
    families: tuple[str, ...] = ("resnet",)
    budgets: tuple[int, ...] = (100_000,)
    optimizers: tuple[str, ...] = ("sgdm",)
    augment: tuple[bool, ...] = (False,)
    epochs: tuple[int, ...] = (30,)
    seeds: tuple[int, ...] = (0,)
    stack_seeds: bool = False  # grid mode: one trial per point trains all its seeds (stacked into one model on a
    # GPU; see RunOptions.stack)
    lr_scales: tuple[float, ...] = (1.0,)  # multiples of each optimizer's default learning rate: the same tuning
    # effort for every optimizer, the best chosen on validation
    stack_lrs: bool = False  # grid mode: one trial per point trains all its lr_scales (with stack_seeds, times its
    # seeds), stacked into one model on a GPU (AdaBound: one stack per rate; see smallnets.stacked)
    train: tuple[tuple[str, object], ...] = ()  # other TrainConfig fields, the same for every run
    trials: int = 50  # search mode: finished trials to reach, over all workers
    sampler: str = "tpe"  # search mode: tpe | nsga2 | random
    sampler_seed: int = 0
    heartbeat_interval: int = 60  # seconds between a running trial's heartbeats
    grace_period: int | None = None  # seconds without heartbeat before a trial counts as dead (default 2x)
    max_retry: int = 3  # re-runs of a trial whose worker died

    def __post_init__(self):
        problems = []
        if self.mode not in ("grid", "search"):
            problems.append(f"mode must be grid or search, got '{self.mode}'")
        for what, values, valid in (("dataset", self.datasets, list(SPECS)), ("family", self.families, list_models()),
                                    ("optimizer", self.optimizers, OPTIMIZERS)):
            if not values:
                problems.append(f"no {what} given")
            problems += [f"unknown {what} '{v}'; expected one of: {', '.join(valid)}" for v in values if v not in valid]
        if not self.budgets or not self.seeds or not self.epochs or not self.augment or not self.lr_scales:
            problems.append("budgets, seeds, epochs, augment and lr_scales need at least one value each")
        if any(not s > 0 for s in self.lr_scales):
            problems.append(f"lr_scales must be > 0, got {list(self.lr_scales)}")
        if "lr" in dict(self.train) and self.lr_scales != (1.0,):
            problems.append("set either train.lr or lr_scales, not both")
        if self.sampler not in SAMPLERS:
            problems.append(f"unknown sampler '{self.sampler}'; expected one of: {', '.join(SAMPLERS)}")
        bad = set(dict(self.train)) - {f.name for f in dataclasses.fields(TrainConfig)}
        if bad:
            problems.append(f"unknown train setting(s) {', '.join(sorted(bad))}")
        if set(dict(self.train)) & set(SWEPT):
            problems.append(f"train settings may not set swept fields ({', '.join(sorted(set(dict(self.train)) & set(SWEPT)))})")
        if dict(self.train).get("val_size") == 0:
            problems.append("sweeps select on validation accuracy: val_size must be > 0")
        if self.trials < 1 or self.heartbeat_interval < 1:
            problems.append("trials and heartbeat_interval must be >= 1")
        if problems:
            raise SmallnetsError("; ".join(problems))
        try:  # every combination must make a valid config (warm-up within epochs, cutout with augment ...)
            for optimizer, augment, epochs in itertools.product(self.optimizers, self.augment, self.epochs):
                self.config(self.datasets[0], self.families[0], self.budgets[0], optimizer, augment, epochs)
        except SmallnetsError as e:
            raise SmallnetsError(f"sweep '{self.name}': {e}") from None

    def config(self, dataset, family, budget, optimizer, augment, epochs, lr_scale: float = 1.0) -> TrainConfig:
        train = dict(self.train)
        if lr_scale != 1.0:  # at 1.0 the default stays implicit, so the config hash is that of a plain run
            # Rounded: 0.1 * 0.1 is 0.010000000000000002 in binary, and the config (its hash, its reproduce
            # command) should carry the rate as a person writes it.
            train["lr"] = float(f"{DEFAULT_LR[optimizer] * lr_scale:.10g}")
        return TrainConfig(dataset=dataset, model=family, budget=budget, optimizer=optimizer, augment=augment,
                           epochs=epochs, **train)

    def grid(self) -> dict[str, tuple[tuple[TrainConfig, int], ...]]:
        """Every grid point (the (config, seed) runs one trial trains), keyed by a readable, stable string."""
        seed_groups = [self.seeds] if self.stack_seeds else [(s,) for s in self.seeds]
        lr_groups = [self.lr_scales] if self.stack_lrs else [(lr,) for lr in self.lr_scales]
        points = {}
        for d, f, b, o, a, e, lrs, seeds in itertools.product(self.datasets, self.families, self.budgets,
                                                              self.optimizers, self.augment, self.epochs,
                                                              lr_groups, seed_groups):
            tag = f"|lrx{','.join(f'{lr:g}' for lr in lrs)}" if lrs != (1.0,) else ""
            seed_tag = f"seeds{','.join(map(str, seeds))}" if self.stack_seeds else f"seed{seeds[0]}"
            points[f"{d}|{f}|{b}|{o}|aug{int(a)}|ep{e}{tag}|{seed_tag}"] = tuple(
                (self.config(d, f, b, o, a, e, lr), s) for lr in lrs for s in seeds)
        return points


_KEYS = {f.name for f in dataclasses.fields(SweepSpec)}


def spec_from_dict(d: dict, source: str = "sweep") -> SweepSpec:
    unknown = set(d) - _KEYS
    if unknown:
        raise SmallnetsError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"expected some of: {', '.join(sorted(_KEYS))}")
    if "name" not in d:
        raise SmallnetsError(f"{source}: needs a 'name' (the study name)")
    d = dict(d)
    for key in ("datasets", "families", "budgets", "optimizers", "augment", "epochs", "seeds", "lr_scales"):
        if key in d:
            value = d[key]
            d[key] = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if "budgets" in d:
        d["budgets"] = tuple(parse_count(b) for b in d["budgets"])
    if "train" in d:
        if not isinstance(d["train"], dict):
            raise SmallnetsError(f"{source}: 'train' must be a table of TrainConfig settings")
        d["train"] = tuple(sorted(d["train"].items()))
    try:
        return SweepSpec(**d)
    except SmallnetsError as e:
        raise SmallnetsError(f"{source}: {e}") from None
    except TypeError as e:
        raise SmallnetsError(f"{source}: {e}") from None


def load_spec(path: str | Path) -> SweepSpec:
    """A sweep from a TOML or YAML file."""
    path = Path(path)
    if not path.is_file():
        raise SmallnetsError(f"sweep file {path} not found")
    try:
        if path.suffix == ".toml":
            raw = tomllib.loads(path.read_text())
        elif path.suffix in (".yaml", ".yml"):
            import yaml
            raw = yaml.safe_load(path.read_text())
        else:
            raise SmallnetsError(f"sweep file {path}: expected a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, ValueError) as e:
        raise SmallnetsError(f"sweep file {path}: not valid {path.suffix[1:].upper()} ({e})") from None
    except Exception as e:  # yaml.YAMLError and friends
        if isinstance(e, SmallnetsError):
            raise
        raise SmallnetsError(f"sweep file {path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise SmallnetsError(f"sweep file {path}: expected a table of settings at the top level")
    return spec_from_dict(raw, f"sweep file {path}")


# ----------------------------------------------------------------------------------------------------------------------

def make_storage(url: str, spec: SweepSpec) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():  # heartbeats and the retry callback are marked experimental; they are the
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # documented fault-tolerance pattern
        storage = optuna.storages.RDBStorage(
            url, heartbeat_interval=spec.heartbeat_interval, grace_period=spec.grace_period,
            heartbeat_stale_trial_callback=RetryStaleTrial(max_retry=spec.max_retry),
            engine_kwargs={"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}} if url.startswith("sqlite") else None)
    lock_sqlite_transactions(storage.engine)  # else two workers can pop the same queued trial from an SQLite file
    return storage


def _sampler(spec: SweepSpec) -> optuna.samplers.BaseSampler:
    if spec.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=spec.sampler_seed)
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=spec.sampler_seed)
    return optuna.samplers.TPESampler(seed=spec.sampler_seed)


def open_study(spec: SweepSpec, url: str, wait_for_creator_s: float = 60.0) -> optuna.Study:
    """Create the study (and, in grid mode, enqueue its points), or join it if it exists.

    Creating the study is atomic in the database, so exactly one worker becomes its creator and enqueues the grid;
    the others wait for its 'enqueued' mark. Where that never comes (the creator died while enqueuing) or the grid
    grew, a joining worker adds the missing points itself; a point enqueued twice that way is pruned as a duplicate
    in the objective, never run twice.
    """
    _quiet_optuna()
    storage = make_storage(url, spec)
    directions = ["maximize"] if spec.mode == "grid" else ["maximize", "minimize"]
    try:
        study = optuna.create_study(study_name=spec.name, storage=storage, directions=directions,
                                    sampler=_sampler(spec))
        study.set_user_attr("spec", _spec_json(spec))
        creator = True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=spec.name, storage=storage, sampler=_sampler(spec))
        creator = False
    _check_same_spec(study, spec)
    if spec.mode == "grid":
        deadline = time.time() + (0 if creator else wait_for_creator_s)
        while not study.user_attrs.get("enqueued") and time.time() < deadline:
            time.sleep(0.5)
        # A point whose trials all failed (an error in the run, an interrupted launch, a dead worker past its
        # retries) is queued again: a relaunch re-runs it. Its failed trials stay, with the reason.
        queued = {_point(t) for t in study.get_trials(deepcopy=False) if _holds_point(t)}
        for key in spec.grid():
            if key not in queued:
                study.enqueue_trial({"point": key})
        study.set_user_attr("enqueued", True)
    return study


def _spec_json(spec: SweepSpec) -> str:
    return json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)


def _check_same_spec(study: optuna.Study, spec: SweepSpec) -> None:
    stored = study.user_attrs.get("spec")
    if stored is not None and not _same_spec(json.loads(stored), json.loads(_spec_json(spec))):
        raise SmallnetsError(f"study '{spec.name}' already exists with a different sweep; use another name")


def _same_spec(stored: dict, mine: dict) -> bool:
    """Equal, where a setting added to SweepSpec after the study was made counts as equal at its default."""
    defaults = json.loads(json.dumps(dataclasses.asdict(SweepSpec(name="-")), default=list))
    return all(stored.get(k, defaults.get(k)) == v for k, v in mine.items()) and set(stored) <= set(mine)


def _is_infeasible(t: optuna.trial.FrozenTrial) -> bool:
    return t.state == TrialState.PRUNED and str(t.user_attrs.get("status", "")).startswith("infeasible")


def _is_done(t: optuna.trial.FrozenTrial) -> bool:
    """Finished for good: completed, or pruned because its run diverged or its family cannot meet its budget
    (re-running it would end the same way)."""
    return (t.state == TrialState.COMPLETE or _is_infeasible(t)
            or (t.state == TrialState.PRUNED and t.user_attrs.get("status") == "diverged"))


def _point(t: optuna.trial.FrozenTrial) -> str | None:
    return t.params.get("point") or t.system_attrs.get("fixed_params", {}).get("point")


def _failed(c: dict) -> str:
    notes = [f"{c['interrupted']} interrupted"] if c["interrupted"] else []
    notes += [f"{c['unfinished']} point(s) left for a relaunch"] if c["unfinished"] else []
    return f"{c['failed']} failed" + (f" ({'; '.join(notes)})" if notes else "")


def _was_interrupted(t: optuna.trial.FrozenTrial) -> bool:
    """A failed trial whose run did not go wrong but was stopped: Ctrl-C, or a worker killed mid-trial, which left
    no reason behind (its trial was failed later, when its heartbeat went stale). An error leaves 'failed: ...'."""
    status = str(t.user_attrs.get("status", ""))
    return t.state == TrialState.FAIL and not status.startswith("failed")


def _holds_point(t: optuna.trial.FrozenTrial) -> bool:
    """Done, running or waiting: the trial answers its point or will."""
    return _is_done(t) or t.state in (TrialState.RUNNING, TrialState.WAITING)


def _counts(study: optuna.Study) -> dict:
    """Trials by state; "infeasible" (budget below the family's minimum) are also counted in "done";
    "unfinished": points that only failed trials hold, which the next launch re-runs; "interrupted": failed trials
    that were stopped rather than went wrong (also counted in "failed")."""
    c = {s: 0 for s in ("done", "infeasible", "running", "waiting", "failed", "interrupted", "duplicate")}
    trials = study.get_trials(deepcopy=False)
    held = {_point(t) for t in trials if _holds_point(t)}
    c["unfinished"] = len({_point(t) for t in trials if t.state == TrialState.FAIL} - held - {None})
    for t in trials:
        if _is_done(t):
            c["done"] += 1
            c["infeasible"] += _is_infeasible(t)
        elif t.state == TrialState.RUNNING:
            c["running"] += 1
        elif t.state == TrialState.WAITING:
            c["waiting"] += 1
        elif t.state == TrialState.FAIL:
            c["failed"] += 1
            c["interrupted"] += _was_interrupted(t)
        else:
            c["duplicate"] += 1
    return c


def _duplicate_of(study: optuna.Study, trial: optuna.Trial, key: str) -> int | None:
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED)):
        if t.number == trial.number or t.params.get("point") != key:
            continue
        if _is_done(t) or (t.state == TrialState.RUNNING and t.number < trial.number):
            return t.number
    return None


class Worker:
    """One process working on a sweep: run `Worker(spec, url, results).run()` on as many machines as you like."""

    def __init__(self, spec: SweepSpec, storage_url: str, results_dir: Path, options: RunOptions = RunOptions(),
                 log=print):
        self.spec, self.url, self.results_dir = spec, database_url(storage_url), Path(results_dir)
        self.options, self.log = options, log
        self.store = RunStore(self.url)
        self.study = open_study(spec, self.url)
        self.points = spec.grid()
        self.started, self.finished_here = time.time(), 0
        self._datasets = {}  # loaded once per worker, not once per trial

    # -- one trial -----------------------------------------------------------------------------------------------------
    def _train(self, trial: optuna.Trial, members: tuple[tuple[TrainConfig, int], ...]) -> float:
        """Train the trial's (config, seed) runs (stacked when there are several), record every run, and return the
        best config's mean validation accuracy over its finished seeds. A trial that fails keeps why in its
        'status', so that the sweep's summary can tell an error from a launch stopped with Ctrl-C."""
        try:
            return self._train_members(trial, members)
        except KeyboardInterrupt:
            trial.set_user_attr("status", "interrupted from the keyboard")
            raise
        except optuna.TrialPruned:
            raise
        except Exception as e:
            why = str(e) if isinstance(e, SmallnetsError) else f"{type(e).__name__}: {e}"  # ours say it in one line
            trial.set_user_attr("status", f"failed: {why}")
            raise

    def _train_members(self, trial: optuna.Trial, members: tuple[tuple[TrainConfig, int], ...]) -> float:
        config = members[0][0]
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        try:  # before the dataset loads: a refused trial costs nothing
            check_recorded_models(self.store, members)
        except RecordedModelMismatch as e:  # the trial fails (a later sweep tries again); `_train` records why
            self.log(f"sweep {self.spec.name}: {e}")
            raise
        # A run the database already holds is its answer, as for `smallnets train`, even where its run folder is
        # not here (imported from an export, or trained on another machine): training it again would replace the
        # recorded result with another one under the same config and seed.
        recorded, reused = {}, {}
        for c, s in members:
            rows = self.store.runs(config_hash=c.hash, seed=s)
            if rows:
                recorded[(c.hash, s)] = rows[0]["id"]
                reused[(c.hash, s)] = RunResult.from_dict(json.loads(rows[0]["result_json"]))
                self.log(f"sweep {self.spec.name}: {c.model} {c.hash} seed {s} already recorded (run {rows[0]['id']})")
        to_train = [(c, s) for c, s in members if (c.hash, s) not in reused]
        if to_train and config.dataset not in self._datasets:
            self._datasets[config.dataset] = load_dataset(config.dataset, self.options.data_dir,
                                                          download_missing=self.options.download)

        def record(result):  # into the database as each run (or stacked group) ends: a kill loses nothing finished
            recorded[(result.config.hash, result.seed)] = self.store.record(result)

        trained = dict(zip(to_train, train_runs(to_train, self.results_dir, self.options,
                                                dataset=self._datasets.get(config.dataset), on_result=record)))
        results = [reused.get((c.hash, s)) or trained[(c, s)] for c, s in members]
        run_ids = [recorded[(c.hash, s)] for c, s in members]
        by_config: dict[str, list] = {}
        for r in results:
            if r.status == "finished":
                by_config.setdefault(r.config.hash, []).append(r)

        def mean(runs, key):
            return sum(getattr(r, key) for r in runs) / len(runs)

        best = max(by_config.values(), key=lambda runs: mean(runs, "val_acc"), default=None)
        val_acc = mean(best, "val_acc") if best else None
        hashes = list(dict.fromkeys(c.hash for c, _ in members))
        for k, v in (("config_hash", (best[0].config if best else config).hash), ("config_hashes", hashes),
                     ("seed", members[0][1]), ("seeds", sorted({s for _, s in members})),
                     ("run_id", run_ids[0]), ("run_ids", run_ids),
                     ("status", "finished" if best else "diverged"),
                     ("diverged_seeds", [r.seed for r in results if r.status != "finished"]),
                     ("params", best[0].measures.get("params_total") if best else None),
                     ("test_acc", mean(best, "test_acc") if best else None), ("val_acc", val_acc),
                     ("wall_time_s", max(r.wall_time_s for r in results))):
            trial.set_user_attr(k, v)
        self.finished_here += 1
        if not best:
            raise optuna.TrialPruned(f"diverged: {results[0].error}")
        return val_acc

    def grid_objective(self, trial: optuna.Trial) -> float:
        frozen = self.study._storage.get_trial(trial._trial_id)
        if "fixed_params" not in frozen.system_attrs and "point" not in frozen.params:
            trial.set_user_attr("status", "no queued work")  # the queue emptied between our look and our ask
            raise optuna.TrialPruned("no queued work")
        key = trial.suggest_categorical("point", list(self.points))
        other = _duplicate_of(self.study, trial, key)
        if other is not None:
            trial.set_user_attr("status", f"duplicate of trial {other}")
            raise optuna.TrialPruned(f"duplicate of trial {other}")
        self._prune_if_infeasible(trial, self.points[key][0][0], point=key)
        return self._train(trial, self.points[key])

    def _prune_if_infeasible(self, trial: optuna.Trial, config: TrainConfig, point: str | None = None) -> None:
        """A budget below the family's smallest width (a grid over every family and budget, or a search's sampled
        budget, may ask for one) is no failure of the sweep: the trial is pruned as infeasible before data loads.
        A grid names the point it skips."""
        try:
            fitted_knobs(config)
        except SmallnetsError as e:
            trial.set_user_attr("status", f"infeasible: {e}")
            if point is not None:
                self.log(f"sweep {self.spec.name}: skipped {point}: {e}")
            raise optuna.TrialPruned(str(e)) from None

    def search_objective(self, trial: optuna.Trial) -> tuple[float, float]:
        s = self.spec
        dataset = trial.suggest_categorical("dataset", list(s.datasets))
        family = trial.suggest_categorical("family", list(s.families))
        budget = trial.suggest_int("budget", min(s.budgets), max(max(s.budgets), min(s.budgets) + 1), log=True)
        optimizer = trial.suggest_categorical("optimizer", list(s.optimizers))
        augment = trial.suggest_categorical("augment", list(s.augment))
        epochs = trial.suggest_categorical("epochs", list(s.epochs))
        lr_scale = trial.suggest_categorical("lr_scale", list(s.lr_scales))
        config = s.config(dataset, family, budget, optimizer, augment, epochs, lr_scale)  # its settings checked at load
        self._prune_if_infeasible(trial, config)
        # Anything that goes wrong in training (a missing dataset, a recorded seed of another model) fails the trial,
        # with the reason, and stops the search: counted as infeasible, it would have ended the sweep as if done.
        val = self._train(trial, ((config, s.seeds[0]),))
        return val, float(trial.user_attrs["params"])

    # -- the loop ------------------------------------------------------------------------------------------------------
    def progress(self) -> str:
        c = _counts(self.study)
        total = len(self.points) if self.spec.mode == "grid" else self.spec.trials
        complete = [t for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                    if t.user_attrs.get("params")]
        front = pareto_front([(t.user_attrs["params"], t.user_attrs["val_acc"], t.number) for t in complete])
        best = " ".join(f"{p / 1000:.0f}k:{a:.1%}" for p, a, _ in front[:6])
        times = [t.user_attrs["wall_time_s"] for t in complete if t.user_attrs.get("wall_time_s")]
        left = max(0, total - c["done"])
        eta = ""
        if times and left:
            per = sum(times) / len(times) / max(1, c["running"] or 1)
            eta = f" | ETA {int(per * left // 60)}m{int(per * left % 60):02d}s"
        infeasible = f" ({c['infeasible']} infeasible)" if c["infeasible"] else ""
        return (f"sweep {self.spec.name}: {c['done']}/{total} done{infeasible}, {c['running']} running, "
                f"{_failed(c)}, {c['duplicate']} skipped | best so far (val) {best or '-'}{eta}")

    def run(self, max_trials: int | None = None) -> dict:
        """Work until the sweep is complete (or `max_trials` trials were run here); returns the final counts."""
        stop = (lambda: max_trials is not None and self.finished_here >= max_trials)
        if self.spec.mode == "search":
            def after_trial(study, t):
                self.log(self.progress())
                if stop() or t.state == TrialState.FAIL:  # an error comes back on the next trials: stop, and say so
                    study.stop()

            callbacks = [optuna.study.MaxTrialsCallback(self.spec.trials, states=(TrialState.COMPLETE,
                                                                                  TrialState.PRUNED)), after_trial]
            self.study.optimize(self.search_objective, callbacks=callbacks, catch=(Exception,))
            c = _counts(self.study)
            if not stop():  # it ended short of its trials only where a trial failed: a relaunch runs those it owes
                c["unfinished"] = max(0, self.spec.trials - c["done"])
            return c
        while not stop():
            with warnings.catch_warnings():  # fail_stale_trials is marked experimental; it is the documented way
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                fail_stale_trials(self.study)  # a dead worker's trial goes back to the queue
            c = _counts(self.study)
            if c["waiting"]:
                self.study.optimize(self.grid_objective, n_trials=1, catch=(Exception,))
                self.log(self.progress())
            elif c["running"]:  # others are busy, or died: wait until they finish or their heartbeat goes stale
                time.sleep(min(self.spec.heartbeat_interval, 5))
            else:
                break
        return _counts(self.study)

    def close(self) -> None:
        self.store.close()


# ----------------------------------------------------------------------------------------------------------------------
# Several trials at once on one machine

def choose_workers(spec: SweepSpec, device: str | None = None) -> int:
    """How many trials to run at once here. A <= 100k-parameter model leaves a GPU mostly idle between its small
    kernels, so several processes share it; on a CPU one worker with every core is as fast as several sharing them."""
    import torch
    on_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    if not on_cuda:
        return 1
    largest = max(spec.budgets)
    by_size = 8 if largest <= 100_000 else 4 if largest <= 1_000_000 else 2
    free, _ = torch.cuda.mem_get_info()
    # Each worker holds the uint8 dataset (150 MiB for CIFAR), the CUDA context and its activations: ~2 GiB is ample
    # below a few M parameters at batch 128-512, for up to 4 stacked runs; more stacked runs, more activations.
    runs_per_trial = (len(spec.seeds) if spec.stack_seeds else 1) * (len(spec.lr_scales) if spec.stack_lrs else 1)
    per_worker = (2 << 30) * max(1.0, runs_per_trial / 4)
    return max(1, min(by_size, int(0.8 * free // per_worker)))


def run_concurrent(argv: list[str], workers: int, spec: SweepSpec, storage_url: str, log_dir: Path,
                   threads: int | None = None, poll_s: float = 5.0, log=print) -> dict:
    """Run `workers` worker processes (`smallnets sweep` with `argv`) on one study and report progress until all
    exit. The study is created (and the grid enqueued) here first, so the workers only join it."""
    import subprocess
    import sys
    study = open_study(spec, database_url(storage_url))
    log_dir.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    threads = threads or max(1, cores // workers)
    procs, logs = [], []
    for i in range(workers):
        out = open(log_dir / f"{spec.name}-worker{i}.log", "ab")
        logs.append(out)
        procs.append(subprocess.Popen([sys.executable, "-m", "smallnets.cli", "sweep", *argv, "--workers", "1",
                                       "--threads", str(threads)], stdout=out, stderr=subprocess.STDOUT))
    log(f"sweep {spec.name}: {workers} workers ({threads} CPU thread(s) each), logs in {log_dir}")
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(poll_s)
            c = _counts(study)
            total = len(spec.grid()) if spec.mode == "grid" else spec.trials
            log(f"sweep {spec.name}: {c['done']}/{total} done, {c['running']} running, {_failed(c)}")
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        raise
    finally:
        for out in logs:
            out.close()
    bad = [i for i, p in enumerate(procs) if p.returncode]
    if bad:
        raise SmallnetsError(f"worker(s) {bad} of sweep '{spec.name}' failed; see {log_dir}")
    return _counts(study)


# ----------------------------------------------------------------------------------------------------------------------
# Before a sweep: what it would train

@dataclass(frozen=True)
class PlannedPoint:
    key: str  # the grid point, as the study names it
    runs: int  # (config, seed) runs its trial trains
    state: str  # done | recorded | to train | infeasible (the family cannot meet the budget: the sweep skips it)
    params: int | None = None
    macs: int | None = None  # of one forward pass of one image
    why: str = ""  # what makes it infeasible
    recorded: int = 0  # of its runs, those the database already holds (the sweep takes them from it, trains none)


def _read_database(location: str) -> tuple[str | None, set[str], set[tuple[str, int]]]:
    """(its URL, its tables, the (config hash, seed) of every run it holds) where the database exists; one read,
    creating neither file nor tables."""
    if "://" not in location:
        path = Path(location).expanduser()
        if not path.is_file():
            return None, set(), set()
        location = f"sqlite:///{path}"
    import sqlalchemy as sa
    engine = sa.create_engine(location)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        if "runs" not in tables:
            return location, tables, set()
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT config_hash, seed FROM runs"))
            return location, tables, {(h, seed) for h, seed in runs}
    finally:
        engine.dispose()


def _existing_study(spec: SweepSpec, url: str | None, tables: set[str]) -> optuna.Study | None:
    """The sweep's study if the database (as _read_database found it) holds it; reads only."""
    if "studies" not in tables:
        return None
    _quiet_optuna()
    storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
    try:
        study = optuna.load_study(study_name=spec.name, storage=storage)
    except KeyError:
        return None
    _check_same_spec(study, spec)
    return study


def plan_sweep(spec: SweepSpec, location: str) -> tuple[bool, list[PlannedPoint]]:
    """(whether the study exists, each grid point with its model's size and whether it is done), from the sweep
    and the database alone: nothing is trained or written, and the models are built on the meta device (no memory,
    no data). A budget that a family cannot meet shows here, before any GPU time goes into the sweep."""
    from .measure import count_flops, count_parameters
    if spec.mode != "grid":
        raise SmallnetsError("a plan lists grid points; a search sweep chooses its trials as it goes")
    url, tables, recorded = _read_database(location)
    study = _existing_study(spec, url, tables)
    done = {t.params.get("point") for t in study.get_trials(deepcopy=False) if _is_done(t)} if study else set()
    sized: dict[tuple, tuple[int, int] | SmallnetsError] = {}
    plan = []
    for key, members in spec.grid().items():
        config = members[0][0]  # a point's runs differ only in seed and learning rate: one model shape
        kwargs = SPECS[config.dataset].model_kwargs
        shape = (config.dataset, config.model, config.budget, config.knobs)
        if shape not in sized:
            try:
                model = meta_model(config)
                size = kwargs["image_size"]
                sized[shape] = (count_parameters(model).total,
                                count_flops(model, (kwargs["in_channels"], size, size))["macs"])
            except SmallnetsError as e:
                sized[shape] = e
        got = sized[shape]
        if isinstance(got, SmallnetsError):
            plan.append(PlannedPoint(key, len(members), "infeasible", why=str(got)))
        else:
            held = sum((c.hash, seed) in recorded for c, seed in members)
            state = "done" if key in done else "recorded" if held == len(members) else "to train"
            plan.append(PlannedPoint(key, len(members), state, *got, recorded=held))
    return study is not None, plan


# ----------------------------------------------------------------------------------------------------------------------
# After a sweep: more seeds for what it chose

def confirm_seeds(storage_url: str, results_dir: Path, min_seeds: int, what: tuple[str, ...] = ("front", "optimizers"),
                  dataset: str | None = None, augment: bool | None = None, options: RunOptions = RunOptions(),
                  max_rounds: int = 10, dry_run: bool = False, max_params: int | None = None,
                  families: tuple[str, ...] | None = None, min_params: int | None = None,
                  log=print) -> list[tuple[TrainConfig, int]]:
    """Give every chosen config (`frontier.confirm_targets`) of each track `min_seeds` finished seeds, then choose
    again and repeat until nothing chosen is short of seeds (or `max_rounds` passed). Returns the (config, seed)
    runs trained, or with `dry_run` the first round's runs that would be.

    `max_params` confirms only the chosen configs of at most that many parameters (the choice itself is still
    made over every config): where seeds are dear, the cheap end of a front is settled first. `min_params`, its
    twin, leaves the chosen configs below it out, so two machines on one database can split a front by size
    without training the same seeds. `families` likewise confirms only the chosen configs of those model
    families, to settle the choices that move the front first.

    A new seed is the smallest one the config has no run of (a diverged seed counts as tried, so it is not
    re-run). Every run is recorded as it ends. One process at a time per set of configs: two confirming the same
    configs at once would train the same seeds twice."""
    if min_seeds < 1:
        raise SmallnetsError(f"--seeds must be >= 1, got {min_seeds}")
    bad = [w for w in what if w not in CONFIRM_WHAT]
    if bad or not what:
        raise SmallnetsError(f"--what: unknown choice(s) {', '.join(bad) or '(none given)'}; expected some of: "
                             f"{', '.join(CONFIRM_WHAT)}")
    if max_rounds < 1:
        raise SmallnetsError(f"--max-rounds must be >= 1, got {max_rounds}")
    if min_params is not None and max_params is not None and min_params > max_params:
        raise SmallnetsError(f"--min-params {min_params:,} is above --max-params {max_params:,}: no config is both")
    for name in families or ():  # a misspelt family is said as such, not answered with nothing to confirm
        get_family(name)

    def outside_bounds(s) -> str | None:
        """Why the bounds leave a chosen config out, said so that it does not look settled: a model sized to a
        budget has fewer parameters than the budget (resnet 50k on Fashion-MNIST: 49,709), so --min-params 50k
        leaves it out."""
        if max_params is not None and s.params > max_params:
            return f"above --max-params {max_params:,}"
        if min_params is not None and s.params < min_params:
            return f"below --min-params {min_params:,}"
        if families is not None and s.config.model not in families:
            return "not in --family"
        return None

    trained: list[tuple[TrainConfig, int]] = []
    with RunStore(database_url(storage_url)) as store:
        for round_no in range(1, max_rounds + 1):
            rows = filter_rows(store.runs(), dataset, augment, method="plain")
            tried: dict[str, set[int]] = {}
            for r in rows:
                tried.setdefault(r["config_hash"], set()).add(r["seed"])
            members, left_out = [], []
            for track in tracks(rows).values():
                for s in confirm_targets(summarize(track), min_seeds, what):
                    short = min_seeds - len(s.seeds)
                    if why := outside_bounds(s):
                        if short > 0:
                            left_out.append(f"{s.config.model} {s.config.hash} {s.params:,} parameters "
                                            f"({s.config.settings()}; {why})")
                        continue
                    fresh = (seed for seed in range(10**6) if seed not in tried[s.config_hash])
                    members += [(s.config, next(fresh)) for _ in range(short)]
            if left_out:
                more = f"; and {len(left_out) - 6} more" if len(left_out) > 6 else ""
                log(f"confirm: left out {len(left_out)} chosen config(s) short of {min_seeds} seeds: "
                    f"{'; '.join(left_out[:6])}{more}")
            if dry_run:
                return members
            if not members:
                return trained
            log(f"confirm round {round_no}: {len(members)} run(s) for "
                f"{len({c.hash for c, _ in members})} chosen config(s) short of {min_seeds} seeds")
            check_recorded_models(store, members)
            train_runs(members, results_dir, options, on_result=store.record)
            trained += members
    log(f"confirm: stopped after {max_rounds} rounds; the choice may still move (run again to go on)")
    return trained
