"""Command line: `smallnets train | measure | models | runs | sweep | confirm | frontier | report | jpeg-gap | datasets`.

User errors (unknown names, malformed values, missing data) end in one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from .errors import SmallnetsError


def _print_table(table, min_width: int) -> None:
    """Prints a rich table at least min_width wide. rich answers a reader that went away (`smallnets models | head`)
    with its own exit status 1; re-raised here, main() ends it like any other print, with the shell's 141."""
    from rich.console import Console

    class TableConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    TableConsole(width=max(min_width, shutil.get_terminal_size().columns)).print(table)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + message
        self.exit(2, f"smallnets: error: {message}\n")


def _common_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="dataset folder (default: $SMALLNETS_DATA, else the user data folder)")


def _common_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model family (see `smallnets models`)")
    p.add_argument("--budget", help="fit the family to at most this many parameters, e.g. 100k or 1.5M")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="set a family knob, e.g. --knob depth=56 (repeatable)")


def _results_dir(args) -> Path:
    from .store import default_results_dir
    return Path(args.results) if args.results else default_results_dir()


def _storage(args) -> str:
    """The results database: --storage URL, else results.sqlite in the results folder."""
    if getattr(args, "storage", None):
        return args.storage
    return str(_results_dir(args) / "results.sqlite")


def _add_results(p: argparse.ArgumentParser, storage: bool = True) -> None:
    p.add_argument("--results", help="results folder (default: $SMALLNETS_RESULTS, else ./smallnets-results)")
    if storage:
        p.add_argument("--storage", help="results database URL, e.g. postgresql://user@host:5432/db "
                                         "(default: results.sqlite in the results folder)")


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _whole_numbers(values: list[str], flag: str, like: str) -> list[int]:
    """A comma-separated flag's values as ints, or one line naming the flag and what it takes."""
    try:
        return [int(v) for v in values]
    except ValueError:
        raise SmallnetsError(f"{flag} must be {like}, got '{','.join(values)}'") from None


def build_parser() -> argparse.ArgumentParser:
    from .config import OPTIMIZERS, SCHEDULES, TrainConfig
    from .data import SPECS
    from .frontier import CONFIRM_SEEDS
    d = TrainConfig()
    parser = _Parser(prog="smallnets", description="Smallest networks for an accuracy; best accuracy for a budget.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train one model and record the run")
    _common_model(t)
    t.add_argument("--dataset", default=d.dataset, choices=list(SPECS))
    t.add_argument("--optimizer", default=d.optimizer, choices=OPTIMIZERS)
    t.add_argument("--lr", type=float, help="peak learning rate (default: sgdm 0.1, adam/adamw/adabound 1e-3)")
    t.add_argument("--momentum", type=float, default=d.momentum)
    t.add_argument("--nesterov", action="store_true")
    t.add_argument("--weight-decay", type=float, help="default: 5e-4 (L2); adamw 0.05 (decoupled)")
    t.add_argument("--decay-all", action="store_true", help="also decay biases and norm parameters")
    t.add_argument("--epochs", type=int, default=d.epochs)
    t.add_argument("--batch-size", type=int, default=d.batch_size)
    t.add_argument("--schedule", default=d.schedule, choices=SCHEDULES)
    t.add_argument("--warmup-epochs", type=float, default=d.warmup_epochs)
    t.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    t.add_argument("--ema", type=float, dest="ema_decay", help="evaluate an EMA of the weights with this decay")
    t.add_argument("--augment", action="store_true", help="random crop (pad 4) + horizontal flip")
    t.add_argument("--cutout", type=int, default=d.cutout, metavar="PIXELS",
                   help="with --augment: also blank a random square of this side in each training image (Cutout; "
                        "16 on CIFAR-10)")
    t.add_argument("--val-size", type=int, help="validation images carved from train (default 5000)")
    t.add_argument("--select", default=d.select, choices=("last", "best_val"),
                   help="checkpoint that is tested: last epoch or best validation accuracy")
    t.add_argument("--train-limit", type=int, help="use only the first N training images (smoke runs)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--seeds", type=_csv_list, help="several seeds, e.g. 0,1,2 (one run recorded per seed)")
    t.add_argument("--stack", default="auto", choices=("auto", "on", "off"),
                   help="with --seeds: train them at once as one stacked model (auto: on CUDA only)")
    t.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda if available)")
    t.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    t.add_argument("--compile", nargs="?", const="default", choices=("default", "reduce-overhead", "max-autotune"),
                   help="torch.compile the model; reduce-overhead uses CUDA graphs")
    t.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    t.add_argument("--progress", default="auto", choices=("auto", "bar", "lines", "none"))
    _add_results(t)
    t.add_argument("--force", action="store_true", help="train again even if this config and seed are recorded")
    t.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    t.add_argument("--json", action="store_true", help="print the result as JSON")
    _common_data(t)

    m = sub.add_parser("measure", help="parameters, bytes, MACs/FLOPs and latency of a model")
    mg = m.add_mutually_exclusive_group(required=True)
    mg.add_argument("--model", help="model family (see `smallnets models`)")
    mg.add_argument("--module", metavar="FILE.py:NAME",
                    help="your own model: a class or function in FILE.py that returns an nn.Module when called")
    m.add_argument("--budget", help="fit the family to at most this many parameters, e.g. 100k or 1.5M")
    m.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="set a family knob, e.g. --knob depth=56 (repeatable)")
    m.add_argument("--dataset", default="cifar10", choices=list(SPECS), help="sets classes and input shape")
    m.add_argument("--latency", action="store_true", help="also time batch 1 and a large batch")
    m.add_argument("--large-batch", type=int, default=256)
    m.add_argument("--device", help="device for latency (default: cuda if available)")
    m.add_argument("--json", action="store_true")

    mo = sub.add_parser("models", help="model families, or each one fitted to a budget")
    mo.add_argument("--budget", help="fit every family to this budget, e.g. 100k")
    mo.add_argument("--dataset", default="cifar10", choices=list(SPECS), help="sets classes and input shape")
    mo.add_argument("--pattern", default="*", help="family names to show, e.g. 'resnet*'")
    mo.add_argument("--json", action="store_true")

    r = sub.add_parser("runs", help="list, filter and export recorded runs")
    r.add_argument("--dataset", choices=list(SPECS))
    r.add_argument("--model", help="model family (see `smallnets models`)")
    r.add_argument("--optimizer", choices=OPTIMIZERS)
    r.add_argument("--status", choices=("finished", "diverged"))
    r.add_argument("--config-hash")
    r.add_argument("--format", default="table", choices=("table", "csv", "json"))
    r.add_argument("--all-columns", action="store_true", help="export every column (with --format csv/json)")
    r.add_argument("--output", help="write to this file instead of stdout (compressed with xz if it ends in .xz)")
    r.add_argument("--import", dest="import_file", metavar="RUNS_JSON",
                   help="add the runs of an export (--format json --all-columns) to the results database, e.g. to "
                        "rebuild a results folder from a committed runs.json (or runs.json.xz, read as xz); "
                        "ids are kept where free")
    r.add_argument("--recount", action="store_true",
                   help="count the MACs/FLOPs of the recorded runs (those the filters select) again with this version "
                        "of smallnets, from each run's knobs (no model file needed), and put changed counts in the "
                        "database and in the run's result.json; prints each change. For runs recorded before a "
                        "counting fix (transformers before 3ce7315 counted no attention matmuls on a CPU)")
    _add_results(r)

    sw = sub.add_parser("sweep", help="run (or join) a sweep: grid or multi-objective search, resumable")
    sw.add_argument("--config", help="sweep file (.toml or .yaml); flags below override its values")
    sw.add_argument("--name", help="study name (workers with the same name and storage share the work)")
    sw.add_argument("--mode", choices=("grid", "search"))
    sw.add_argument("--datasets", type=_csv_list, help="comma-separated, e.g. cifar10")
    sw.add_argument("--families", type=_csv_list, help="comma-separated, e.g. resnet,mobilenet_v2")
    sw.add_argument("--budgets", type=_csv_list, help="comma-separated, e.g. 10k,50k,100k")
    sw.add_argument("--optimizers", type=_csv_list, help="comma-separated, e.g. sgdm,adam,adabound")
    sw.add_argument("--seeds", type=_csv_list, help="comma-separated, e.g. 0,1,2")
    sw.add_argument("--stack-seeds", action="store_true", default=None,
                    help="grid mode: one trial per point trains all its seeds")
    sw.add_argument("--stack-lrs", action="store_true", default=None,
                    help="grid mode: one trial per point trains all its learning rates (lr_scales)")
    sw.add_argument("--stack", default="auto", choices=("auto", "on", "off"),
                    help="with stacked seeds or rates: train them at once as one stacked model (auto: on CUDA "
                         "only)")
    sw.add_argument("--epochs", type=_csv_list, help="comma-separated, e.g. 30")
    sw.add_argument("--augment", choices=("off", "on", "both"))
    sw.add_argument("--trials", type=int, help="search mode: finished trials to reach over all workers")
    sw.add_argument("--sampler", choices=("tpe", "nsga2", "random"))
    sw.add_argument("--sampler-seed", type=int)
    sw.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="a training setting for every run, e.g. --set batch_size=256 (repeatable)")
    sw.add_argument("--max-trials", type=int, help="stop this worker after this many trials")
    sw.add_argument("--dry-run", action="store_true",
                    help="grid mode: list every point with its model's parameters and MACs, and whether the study "
                         "has done it; train and write nothing")
    sw.add_argument("--workers", default="auto",
                    help="trials at once on this machine: a number, or auto (several on a GPU for small models, "
                         "1 on a CPU)")
    sw.add_argument("--device")
    sw.add_argument("--threads", type=int, help="CPU threads for this worker (use 1 per worker when several "
                                                 "workers share one machine's cores)")
    sw.add_argument("--progress", default="none", choices=("auto", "bar", "lines", "none"),
                    help="per-run progress (the sweep prints a line after each trial)")
    _add_results(sw)
    _common_data(sw)

    cf = sub.add_parser("confirm", help="more seeds for what the results chose (the front, each optimizer's rate), "
                                        "until every choice rests on enough seeds")
    cf.add_argument("--seeds", type=int, default=CONFIRM_SEEDS,
                    help=f"finished seeds every chosen config needs (default {CONFIRM_SEEDS})")
    cf.add_argument("--what", type=_csv_list, default=["front", "optimizers"],
                    help="which choices: front, optimizers, families (each family's best per budget); "
                         "comma-separated (default front,optimizers)")
    cf.add_argument("--dataset", choices=list(SPECS), help="default: every dataset with runs")
    cf.add_argument("--augment", choices=("off", "on"), help="augmentation track (default: both)")
    cf.add_argument("--max-params", help="confirm only chosen configs of at most this many parameters, e.g. 25k "
                                         "(the choice is still made over every config)")
    cf.add_argument("--min-params", help="confirm only chosen configs of at least this many parameters, e.g. 250k "
                                         "(the choice is still made over every config; a model sized to a budget "
                                         "has fewer parameters than it)")
    cf.add_argument("--family", type=_csv_list, help="confirm only chosen configs of these model families, "
                                                     "comma-separated (the choice is still made over every config)")
    cf.add_argument("--dry-run", action="store_true", help="print the runs the first round would train, train none")
    cf.add_argument("--max-rounds", type=int, default=10)
    cf.add_argument("--stack", default="auto", choices=("auto", "on", "off"),
                    help="train a config's new seeds (and rates) at once as one stacked model (auto: on CUDA only)")
    cf.add_argument("--device")
    cf.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    cf.add_argument("--progress", default="lines", choices=("auto", "bar", "lines", "none"))
    _add_results(cf)
    _common_data(cf)

    fr = sub.add_parser("frontier", help="the accuracy-vs-parameters front, and the two questions")
    fr.add_argument("--dataset", default="cifar10", choices=list(SPECS))
    fr.add_argument("--augment", choices=("off", "on"), help="augmentation track (default: both)")
    fr.add_argument("--family")
    fr.add_argument("--method", help="plain, pruned or distilled")
    q = fr.add_mutually_exclusive_group()
    q.add_argument("--max-params", help="best model with at most this many parameters, e.g. 100k")
    q.add_argument("--target-acc", help="smallest model reaching this accuracy, e.g. 90 (percent)")
    fr.add_argument("--json", action="store_true")
    _add_results(fr)

    rp = sub.add_parser("report", help="HTML page, Markdown summary and plots from the results database")
    rp.add_argument("--dataset", action="append", choices=list(SPECS), help="default: every dataset with runs")
    rp.add_argument("--out", help="output folder (default: <results>/report)")
    rp.add_argument("--method", help="only runs of this method (plain, pruned, distilled)")
    rp.add_argument("--link-images", action="store_true",
                    help="refer to the PNG files beside report.html instead of embedding them (a smaller page that "
                         "needs its folder; default: one self-contained file)")
    _add_results(rp)

    jg = sub.add_parser("jpeg-gap", help="accuracy of trained runs on the 1,000 exact CIFAR-10 test images vs the "
                                         "same images from the JPEG copy")
    jg.add_argument("--runs", type=_csv_list, help="run ids (default: the runs of the cifar10 front)")
    jg.add_argument("--device")
    jg.add_argument("--json", action="store_true", help="print the per-run results as JSON instead of text")
    jg.add_argument("--json-out", type=Path, metavar="FILE",
                    help="also write the per-run results as JSON to FILE, so one evaluation gives both forms")
    _add_results(jg)
    _common_data(jg)

    ds = sub.add_parser("datasets", help="which datasets are found where, and how trustworthy they are")
    ds.add_argument("--check", action="store_true", help="load, validate and fingerprint each one found")
    _common_data(ds)
    return parser


def _model_args(args, dataset: str) -> tuple[dict, int | None, dict]:
    from .config import parse_count, parse_knob
    from .data import get_spec
    budget = parse_count(args.budget) if args.budget else None
    return get_spec(dataset).model_kwargs, budget, dict(parse_knob(k) for k in args.knob)


def cmd_train(args) -> int:
    from .config import TrainConfig, parse_count, parse_knob
    from .store import RunStore
    from .train import RunOptions, run_dir_for
    from .models import get_family
    get_family(args.model)
    config = TrainConfig(
        dataset=args.dataset, model=args.model, knobs=tuple(parse_knob(k) for k in args.knob),
        budget=parse_count(args.budget) if args.budget else None, optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, nesterov=args.nesterov, weight_decay=args.weight_decay, decay_all=args.decay_all,
        epochs=args.epochs, batch_size=args.batch_size, schedule=args.schedule, warmup_epochs=args.warmup_epochs,
        label_smoothing=args.label_smoothing, ema_decay=args.ema_decay, augment=args.augment,
        cutout=args.cutout, val_size=args.val_size, select=args.select, train_limit=args.train_limit)
    seeds = [args.seed]
    if args.seeds:
        seeds = _whole_numbers(args.seeds, "--seeds", "whole numbers like 0,1,2")
        if len(set(seeds)) != len(seeds):
            raise SmallnetsError(f"--seeds has a repeated seed: {','.join(args.seeds)}")
    results = _results_dir(args)
    with RunStore(_storage(args)) as store:
        todo = []
        for seed in seeds:
            run_dir = run_dir_for(results, config, seed)
            if args.force and run_dir.exists():
                shutil.rmtree(run_dir)
            if not args.force and store.has_run(config.hash, seed):
                row = store.runs(config_hash=config.hash, seed=seed)[0]
                outcome = f"test {row['test_acc']:.2%}" if row["test_acc"] is not None else row["status"]
                print(f"already recorded: run {row['id']} ({config.hash}, seed {seed}): {outcome} on "
                      f"{row['data_label']}; --force trains again")
            else:
                todo.append(seed)
        if not todo:
            return 0
        options = RunOptions(device=args.device, amp=not args.no_amp, compile=args.compile or False,
                             progress=args.progress, data_dir=args.data_dir,
                             download=False if args.no_download else None, stack=args.stack)
        from .stacked import train_seeds
        from .train import check_recorded_models
        check_recorded_models(store, [(config, s) for s in todo], replaced=args.force)
        run_ids = []  # each seed lands in the database as it ends: a kill during the next loses nothing
        outcomes = train_seeds(config, todo, results, options, on_result=lambda r: run_ids.append(store.record(r)))
    if args.json:
        rows = [{"run_id": i, **r.to_dict()} for i, r in zip(run_ids, outcomes)]
        print(json.dumps(rows[0] if len(rows) == 1 else rows, indent=1, default=str))
        return 0 if all(r.status == "finished" for r in outcomes) else 1
    from .measure import format_count, format_knobs
    for run_id, result in zip(run_ids, outcomes):
        m = result.measures
        print(f"run {run_id}  {config.model}({format_knobs(result.knobs)})  on {result.data['data_label']}  "
              f"[{config.hash} seed {result.seed}]")
        if result.status != "finished":
            print(f"  DIVERGED: {result.error}")
            continue
        print(f"  params {m['params_total']:,}  MACs {format_count(m['macs'])}  fp32 {m['bytes_fp32'] / 1024:,.0f} KiB")
        val = f"val {result.val_acc:.2%}  " if result.val_acc is not None else ""
        print(f"  {val}test {result.test_acc:.2%} (epoch {result.selected_epoch}, selected by {config.select})")
        stacked = f" per model, stacked with seeds {result.options['stacked_with']}" \
            if "stacked_with" in result.options else ""
        print(f"  {result.wall_time_s:.1f} s on {result.device}, {result.train_images_per_s:,.0f} train images/s"
              f"{stacked}")
        print(f"  stored in {_storage(args)} and {run_dir_for(results, config, result.seed)}")
    return 0 if all(r.status == "finished" for r in outcomes) else 1


def _user_module(spec: str):
    """Build the nn.Module named by 'file.py:Name' (a class or function called without arguments)."""
    import importlib.util
    from torch import nn
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SmallnetsError(f"--module '{spec}' must look like path/to/file.py:Name")
    if not Path(path).is_file():
        raise SmallnetsError(f"--module: file {path} not found")
    module_spec = importlib.util.spec_from_file_location("smallnets_user_model", path)
    user = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(user)
    except Exception as e:  # noqa: BLE001 - the user's file failed to import: say so in one line
        raise SmallnetsError(f"--module: importing {path} failed ({type(e).__name__}: {e})") from None
    if not hasattr(user, name):
        raise SmallnetsError(f"--module: {path} has no '{name}'")
    model = getattr(user, name)()
    if not isinstance(model, nn.Module):
        raise SmallnetsError(f"--module: {name}() returned {type(model).__name__}, expected an nn.Module")
    return model


def cmd_measure(args) -> int:
    import torch
    from .measure import format_count, format_knobs, measure_model
    from .models import create_model
    from .train import resolve_device
    shape, budget, knobs = _model_args(args, args.dataset)
    if args.module:
        model, name, knobs = _user_module(args.module), args.module, {}
    else:
        model = create_model(args.model, budget=budget, **shape, **knobs)
        name, knobs = args.model, model.smallnets_config["knobs"]
    device = resolve_device(args.device)
    h, c = shape["image_size"], shape["in_channels"]
    with torch.device(device):
        try:
            result = measure_model(model.to(device), (c, h, h), latency=args.latency, large_batch=args.large_batch,
                                   device=device)
        except RuntimeError as e:
            if not args.module:
                raise
            raise SmallnetsError(f"{name} does not run on a {c}x{h}x{h} input ({str(e).splitlines()[0]}); "
                                 f"pick --dataset for the input shape") from None
    result = {"model": name, "knobs": knobs, "input": [c, h, h], **result}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{name}({format_knobs(result['knobs'])}) on input {c}x{h}x{h}")
    print(f"  parameters  {result['params_total']:,} total, {result['params_trainable']:,} trainable, "
          f"{result['params_nonzero']:,} non-zero")
    print(f"  bytes       {result['bytes_fp32']:,} fp32, {result['bytes_fp16']:,} fp16, {result['bytes_int8']:,} int8")
    print(f"  compute     {format_count(result['macs'])} MACs = {format_count(result['flops'])} FLOPs per image "
          f"(matmuls and convolutions only)")
    if args.latency:
        print(f"  latency     batch 1: {result['latency_ms_b1']:.2f} ms; batch {args.large_batch}: "
              f"{result[f'latency_ms_b{args.large_batch}']:.1f} ms = "
              f"{result[f'images_per_s_b{args.large_batch}']:,.0f} images/s on {result['latency_device']}")
    return 0


def cmd_models(args) -> int:
    from .measure import count_flops, format_count, format_knobs
    from .models import create_model, fit_budget, get_family, list_models
    from .config import parse_count
    from .data import get_spec
    spec = get_spec(args.dataset)
    shape = spec.model_kwargs
    c, h = shape["in_channels"], shape["image_size"]
    names = list_models(args.pattern)
    if not names:
        raise SmallnetsError(f"no model family matches '{args.pattern}'; families: {', '.join(list_models())}")
    rows = []
    budget = parse_count(args.budget) if args.budget else None
    for name in names:
        fam = get_family(name)
        if budget is None:
            rows.append({"family": name, "knobs": fam.defaults, "width_knob": fam.width_knob,
                         "description": fam.description})
            continue
        try:
            fit = fit_budget(name, budget, **shape)
        except SmallnetsError as e:
            rows.append({"family": name, "error": str(e)})
            continue
        model = create_model(name, **shape, **fit.knobs)
        macs = count_flops(model, (c, h, h))["macs"]
        rows.append({"family": name, "knobs": fit.knobs, "params": fit.params, "fill": fit.fill, "macs": macs,
                     "bytes_fp32": 4 * fit.params})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from rich.table import Table
    table = Table(title=f"model families{f' fitted to {budget:,} parameters' if budget else ''} ({spec.title})")
    if budget is None:
        for col in ("family", "scaled knob", "default knobs", "description"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["family"], r["width_knob"], format_knobs(r["knobs"]), r["description"])
    else:
        for col in ("family", "knobs", "params", "fill", "MACs", "fp32"):
            table.add_column(col, justify="left" if col in ("family", "knobs") else "right")
        for r in rows:
            if "error" in r:
                table.add_row(r["family"], r["error"], "", "", "", "")
            else:
                table.add_row(r["family"], format_knobs(r["knobs"]), f"{r['params']:,}",
                              f"{r['fill']:.1%}", format_count(r["macs"]), f"{r['bytes_fp32'] / 1024:,.0f} KiB")
    _print_table(table, 100)
    return 0


def cmd_runs(args) -> int:
    from .store import SUMMARY_COLUMNS, RunStore, export_rows
    if args.model:  # a misspelt family is said as such, not answered with an empty table
        from .models import get_family
        get_family(args.model)
    if args.import_file:
        return _import_runs(args)
    if args.recount:
        return _recount_runs(args)
    path = _existing_storage(args)
    with RunStore(path) as store:
        rows = store.runs(dataset=args.dataset, model=args.model, optimizer=args.optimizer, status=args.status,
                          config_hash=args.config_hash)
    if args.format == "table":
        from rich.table import Table
        table = Table(title=f"{len(rows)} run(s) in {path}")
        cols = ("id", "config_hash", "seed", "status", "dataset", "model", "optimizer", "augment", "epochs",
                "params_total", "val_acc", "test_acc", "wall_time_s", "data_label")
        for col in cols:
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(*(f"{r[c]:.2%}" if c.endswith("_acc") and r[c] is not None else
                            f"{r[c]:.1f}" if c == "wall_time_s" else f"{r[c]:,}" if c == "params_total" and r[c]
                            else str(r[c]) for c in cols))
        _print_table(table, 180)
        return 0
    text = export_rows(rows, args.format, None if args.all_columns else SUMMARY_COLUMNS)
    if args.output:
        if args.output.endswith(".xz"):  # superseded rounds keep their export this way: a tenth of the size
            import lzma
            with lzma.open(args.output, "wt") as f:
                f.write(text)
        else:
            Path(args.output).write_text(text)
        print(f"wrote {len(rows)} run(s) to {args.output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _import_runs(args) -> int:
    from .store import RunStore
    import lzma
    source = Path(args.import_file)
    try:
        if source.suffix == ".xz":
            with lzma.open(source, "rt") as f:
                text = f.read()
        else:
            text = source.read_text()
        rows = json.loads(text)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError, lzma.LZMAError) as e:
        raise SmallnetsError(f"{source}: not a readable JSON export of runs ({type(e).__name__}: {e})") from None
    if not isinstance(rows, list):
        raise SmallnetsError(f"{source}: expected a JSON list of runs (smallnets runs --format json --all-columns)")
    path = _storage(args)
    with RunStore(path) as store:  # an SQLite file's folder is created with it (store.database_url)
        counts = store.import_rows(rows, source=str(source))
    print(f"{source}: {counts['added']} run(s) added to {path} ({counts['renumbered']} under a new id), "
          f"{counts['present']} already there; their model files are not part of an export")
    return 0


def _recount_runs(args) -> int:
    from .store import RunStore, code_revision, same_apart_from_measures
    from .train import RunResult, recount_measures, run_dir_for, _atomic_json
    path = _existing_storage(args)
    git_rev, git_dirty = code_revision()
    counts = {"runs": 0, "changed": 0, "files": 0, "left alone": 0}
    with RunStore(path) as store:
        rows = store.runs(dataset=args.dataset, model=args.model, optimizer=args.optimizer, status="finished",
                          config_hash=args.config_hash)
        for row in rows:
            recorded = json.loads(row["result_json"])
            result = RunResult.from_dict(recorded)
            if not result.measures:
                continue
            counts["runs"] += 1
            try:
                measures = recount_measures(result)
            except SmallnetsError as e:
                print(f"left alone: run {row['id']}: {e}")
                counts["left alone"] += 1
                continue
            before = {k: result.measures.get(k) for k in ("macs", "flops")}
            if {k: measures[k] for k in before} != before:
                # what the run had before stays in its record, with the revision that counted again
                measures["recount"] = {"git_rev": git_rev, "git_dirty": git_dirty,
                                       **{f"{k}_before": v for k, v in before.items()}}
                store.rewrite_measures(row["id"], measures)
                counts["changed"] += 1
                print(f"run {row['id']} {row['model']} ({row['params_total']:,} params, config {row['config_hash']}, "
                      f"seed {row['seed']}): MACs {before['macs']:,} -> {measures['macs']:,} "
                      f"({measures['macs'] / before['macs'] - 1:+.1%})")
            else:
                measures = result.measures
            # The run's folder, where it is here, gets the same counts: a results database rebuilt from the run
            # folders (a sweep finding a run it does not hold reads its result.json) would bring the old ones back.
            result_file = run_dir_for(_results_dir(args), result.config, result.seed) / "result.json"
            if result_file.is_file():
                try:
                    on_disk = json.loads(result_file.read_text())
                except (OSError, ValueError) as e:
                    print(f"left alone: {result_file} is not readable JSON ({type(e).__name__})")
                    counts["left alone"] += 1
                    continue
                if on_disk.get("measures") == json.loads(json.dumps(measures, default=str)):
                    continue
                if not same_apart_from_measures(on_disk, recorded):
                    print(f"left alone: {result_file} holds another result than run {row['id']}")
                    counts["left alone"] += 1
                    continue
                _atomic_json({**on_disk, "measures": measures}, result_file)
                counts["files"] += 1
    print(f"recounted {counts['runs']} finished run(s) in {path}: {counts['changed']} changed, "
          f"{counts['files']} result.json file(s) rewritten, {counts['left alone']} left alone")
    return 1 if counts["left alone"] else 0


def _existing_storage(args) -> str:
    path = _storage(args)
    if "://" not in path and not Path(path).is_file():
        raise SmallnetsError(f"no results database at {path}; train something first or pass --results/--storage")
    return path


def _strip_workers(argv: list[str]) -> list[str]:
    """The sweep arguments without --workers/--threads, which the parent sets for each child."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--workers", "--threads"):
            skip = True
            continue
        if a.startswith(("--workers=", "--threads=")):
            continue
        out.append(a)
    return out


def cmd_sweep(args, argv_in: list[str] | None = None) -> int:
    from .config import parse_knob
    from .sweep import Worker, load_spec, spec_from_dict
    import dataclasses
    from_file = load_spec(args.config) if args.config else None
    base = dataclasses.asdict(from_file) if from_file else {}
    train = {**(dict(from_file.train) if from_file else {}), **dict(parse_knob(kv) for kv in args.set)}
    overrides = {"name": args.name, "mode": args.mode, "datasets": args.datasets, "families": args.families,
                 "budgets": args.budgets, "optimizers": args.optimizers, "trials": args.trials,
                 "sampler": args.sampler, "sampler_seed": args.sampler_seed, "stack_seeds": args.stack_seeds,
                 "stack_lrs": args.stack_lrs,
                 "seeds": _whole_numbers(args.seeds, "--seeds", "whole numbers like 0,1,2") if args.seeds else None,
                 "epochs": _whole_numbers(args.epochs, "--epochs", "whole numbers like 10,30") if args.epochs else None,
                 "augment": {"off": [False], "on": [True], "both": [False, True]}.get(args.augment)}
    raw = {**base, **{k: v for k, v in overrides.items() if v is not None}, "train": train}
    if not raw.get("name"):
        raise SmallnetsError("a sweep needs a name: --name NAME or 'name' in the sweep file")
    spec = spec_from_dict(raw, "sweep")
    if args.dry_run:
        return _print_plan(spec, _storage(args))
    if args.workers == "auto":
        from .sweep import choose_workers
        workers = choose_workers(spec, args.device)
    else:
        try:
            workers = int(args.workers)
        except ValueError:
            workers = 0
        if workers < 1:
            raise SmallnetsError(f"--workers must be a positive number or auto, got '{args.workers}'")
    if workers > 1:
        from .sweep import run_concurrent
        argv = sys.argv[2:] if argv_in is None else argv_in
        counts = run_concurrent(_strip_workers(argv), workers, spec, _storage(args),
                                _results_dir(args) / "sweep-logs", args.threads)
        print(f"sweep {spec.name}: {counts['done']} done ({counts['infeasible']} infeasible), "
              f"{_failed_trials(counts)}, {counts['duplicate']} skipped")
        return _unfinished(spec, counts)
    from .train import RunOptions
    options = RunOptions(device=args.device, progress=args.progress, data_dir=args.data_dir, stack=args.stack)
    worker = Worker(spec, _storage(args), _results_dir(args), options)
    try:
        counts = worker.run(max_trials=args.max_trials)
    finally:
        worker.close()
    print(f"sweep {spec.name}: {counts['done']} done ({counts['infeasible']} infeasible), {counts['running']} "
          f"running elsewhere, {counts['waiting']} waiting, {_failed_trials(counts)}, {counts['duplicate']} skipped")
    print(f"results: {_storage(args)}; see `smallnets frontier` and `smallnets report`")
    return _unfinished(spec, counts)


def _failed_trials(counts: dict) -> str:
    """Trials stopped mid-run (Ctrl-C, a killed worker) count as failed too; say how many, since nothing went wrong
    in them."""
    n = counts["interrupted"]
    return f"{counts['failed']} failed trial(s)" + (f" ({n} interrupted: stopped mid-run, not an error)" if n else "")


def _unfinished(spec, counts: dict) -> int:
    """Exit status 1, and a line that says so, where points ended failed and nothing re-ran them."""
    if not counts["unfinished"]:
        return 0
    if spec.mode == "search":
        print(f"smallnets: sweep {spec.name}: a trial failed (the reason is above), so the search stopped with "
              f"{counts['unfinished']} trial(s) to go; run the same command again once it is fixed", file=sys.stderr)
        return 1
    print(f"smallnets: sweep {spec.name}: {counts['unfinished']} point(s) failed and are not done; run the same "
          f"command again to re-run them (`smallnets sweep --dry-run` lists what is left)", file=sys.stderr)
    return 1


def _print_plan(spec, storage: str) -> int:
    from .measure import format_count
    from .sweep import plan_sweep
    exists, plan = plan_sweep(spec, storage)
    done = sum(p.state == "done" for p in plan)
    print(f"sweep {spec.name}: " + (f"study in {storage}, {done} of {len(plan)} point(s) done" if exists
                                     else f"no study yet in {storage}"))
    print(f"  {'state':<10} {'runs':>4} {'params':>10} {'MACs/img':>9}  point")
    for p in plan:
        size = (f"{p.params:>10,} {format_count(p.macs):>9}" if p.params is not None else f"{'-':>10} {'-':>9}")
        print(f"  {p.state:<10} {p.runs:>4} {size}  {p.key}" + (f": {p.why}" if p.why else ""))
    to_train = sum(p.runs - p.recorded for p in plan if p.state == "to train")
    recorded = sum(p.recorded for p in plan if p.state in ("recorded", "to train"))
    infeasible = sum(p.state == "infeasible" for p in plan)
    print(f"{len(plan)} point(s), {sum(p.runs for p in plan)} run(s): {to_train} run(s) to train"
          + (f"; {recorded} run(s) already in the database, which the sweep takes from it" if recorded else "")
          + (f"; {infeasible} point(s) infeasible, which the sweep skips" if infeasible else ""))
    return 0


def cmd_confirm(args) -> int:
    from .config import parse_count
    from .sweep import confirm_seeds
    from .train import RunOptions
    options = RunOptions(device=args.device, progress=args.progress, data_dir=args.data_dir, stack=args.stack)
    max_params = parse_count(args.max_params, "--max-params") if args.max_params else None
    min_params = parse_count(args.min_params, "--min-params") if args.min_params else None
    runs = confirm_seeds(_existing_storage(args), _results_dir(args), args.seeds, tuple(args.what), args.dataset,
                         {"off": False, "on": True}.get(args.augment), options, args.max_rounds, args.dry_run,
                         max_params, tuple(args.family) if args.family else None, min_params)
    if args.dry_run:
        for config, seed in runs:
            print(f"would train {config.model} {config.hash} seed {seed}  ({config.settings()})")
        print(f"{len(runs)} run(s) in the first round; later rounds follow if the choice moves")
        return 0
    print(f"confirm: {len(runs)} run(s) trained; every chosen config has {args.seeds} finished seed(s) or ran out of "
          f"rounds. See `smallnets frontier` and `smallnets report`.")
    return 0


def cmd_frontier(args) -> int:
    from .config import parse_count
    from .frontier import (best_under, filter_rows, frontier, parse_accuracy, smallest_reaching, summarize,
                           track_name, tracks)
    from .measure import format_knobs, format_mean_std
    from .store import RunStore
    with RunStore(_existing_storage(args)) as store:
        rows = store.runs()
    augment = {"off": False, "on": True}.get(args.augment)
    # One front per augmentation track, as in the report: over both at once, the cheap no-augmentation runs at
    # large budgets would vanish behind the augmented ones and the no-augmentation question would go unanswered.
    by_track = {aug: track_summaries for (_, aug), track in
                tracks(filter_rows(rows, args.dataset, augment, args.family, args.method)).items()
                if (track_summaries := summarize(track))}
    summaries = [s for track_summaries in by_track.values() for s in track_summaries]
    if not summaries:
        raise SmallnetsError(f"no finished runs with validation accuracy for dataset '{args.dataset}'"
                             f"{' and these filters' if (augment is not None or args.family or args.method) else ''}")
    labels = sorted({s.data_label for s in summaries})
    if args.max_params or args.target_acc:
        if args.max_params:
            limit = parse_count(args.max_params, "--max-params")
            answer = best_under(summaries, limit)
            question = f"best model with at most {limit:,} parameters"
        else:
            target = parse_accuracy(args.target_acc)
            answer = smallest_reaching(summaries, target)
            question = f"smallest model reaching {target:.2%} validation accuracy"
        if args.json:
            print(json.dumps({"question": question, "answer": answer.as_row() if answer else None}, indent=1,
                             default=str))
            return 0 if answer else 1
        if answer is None:
            print(f"{question}: none among {len(summaries)} configs on {', '.join(labels)}")
            return 1
        a = answer.as_row()
        print(f"{question} on {a['data_label']}, {track_name(a['augment'])}"
              f"{f' with Cutout {c}' if (c := a['cutout']) else ''}"
              f"{'' if augment is not None else ' (both tracks searched)'}:")
        print(f"  {a['family']}({format_knobs(a['knobs'])})  {a['params']:,} parameters")
        print(f"  validation {format_mean_std(a['val_mean'], a['val_std'], a['seeds'])}%, test "
              f"{format_mean_std(a['test_mean'], a['test_std'], a['seeds'])}% over {a['seeds']} seed(s); runs "
              f"{a['run_ids']} [{a['config_hash']}]")
        print(f"  reproduce: {a['reproduce']}")
        return 0
    fronts = {aug: [s.as_row() for s in frontier(track_summaries)] for aug, track_summaries in by_track.items()}
    if args.json:
        print(json.dumps([a for front in fronts.values() for a in front], indent=1, default=str))
        return 0
    for aug, front in fronts.items():
        print(f"front: {len(front)} of {len(by_track[aug])} configs on {', '.join(labels)}, "
              f"{track_name(aug, by_track[aug])} (chosen on validation; test shown):")
        for a in front:
            test = format_mean_std(a["test_mean"], a["test_std"], a["seeds"]) + "%"
            print(f"  {a['params']:>10,}  {a['family']:14s} test {test:<14}  val {100 * a['val_mean']:6.2f}  "
                  f"seeds {a['seeds']}  epochs {a['epochs']}{f'  cutout {c}' if (c := a['cutout']) else ''}  "
                  f"[{a['config_hash']}]")
    return 0


def cmd_report(args) -> int:
    from .report import build_report
    from .store import RunStore
    with RunStore(_existing_storage(args)) as store:
        rows = store.runs()
    datasets = args.dataset or sorted({r["dataset"] for r in rows})
    if not datasets:
        raise SmallnetsError("the results database holds no runs")
    out = Path(args.out) if args.out else _results_dir(args) / "report"
    for d in datasets:
        paths = build_report(rows, d, out, args.method, link_images=args.link_images)
        print(f"{d}: {paths['html']}  {paths['markdown']}  ({len(paths['plots'])} plots)")
    return 0


def cmd_jpeg_gap(args) -> int:
    from .config import TrainConfig
    from .data import DeviceBatches, exact_vs_jpeg_test_pairs, load_dataset
    from .frontier import filter_rows, frontier, summarize, tracks
    from .store import RunStore
    from .train import correct_per_image, load_trained_model, resolve_device, run_dir_for
    with RunStore(_existing_storage(args)) as store:
        rows = store.runs()
    if args.runs:
        wanted = set(_whole_numbers(args.runs, "--runs", "run ids like 3,7 (see `smallnets runs`)"))
        chosen = [r for r in rows if r["id"] in wanted]
        if len(chosen) != len(wanted):
            raise SmallnetsError(f"no run(s) {sorted(wanted - {r['id'] for r in chosen})} in the results database")
    else:
        ids = {i for track in tracks(filter_rows(rows, "cifar10", method="plain")).values()  # a front per track
               for s in frontier(summarize(track)) for i in s.run_ids}
        chosen = [r for r in rows if r["id"] in ids]
        if not chosen:
            raise SmallnetsError("no finished cifar10 runs to evaluate; pass --runs")
    if args.json_out and not args.json_out.parent.is_dir():  # said before the evaluation, not after it
        raise SmallnetsError(f"--json-out {args.json_out}: no folder {args.json_out.parent}")
    device = resolve_device(args.device)
    sample = load_dataset("cifar10_sample", args.data_dir, download_missing=False)
    jpeg = load_dataset("cifar10", args.data_dir, download_missing=False)
    if jpeg.source.official:
        raise SmallnetsError("cifar10 here is the official data, not the JPEG copy: there is no gap to measure")
    x_exact, x_jpeg, y = exact_vs_jpeg_test_pairs(sample, jpeg)
    run_dirs = {r["id"]: run_dir_for(_results_dir(args), TrainConfig.from_dict(json.loads(r["config_json"])), r["seed"])
                for r in chosen}
    missing = [r for r in chosen if not (run_dirs[r["id"]] / "model.pt").is_file()]
    if missing and (args.runs or len(missing) == len(chosen)):
        r = missing[0]
        raise SmallnetsError(f"run {r['id']}: no saved model at {run_dirs[r['id']] / 'model.pt'}"
                             f"{' (nor for any other front run)' if len(missing) > 1 else ''}")
    # A front that holds runs imported from an export (no model files) is measured where its models are here;
    # the others are named, not silently left out of the mean.
    skipped = [f"run {r['id']} ({r['model']}, {r['params_total']:,} params, seed {r['seed']}): no saved model at "
               f"{run_dirs[r['id']] / 'model.pt'}, not measured" for r in missing]
    out = []
    not_here = {r["id"] for r in missing}
    for r in chosen:
        if r["id"] in not_here:
            continue
        model = load_trained_model(run_dirs[r["id"]], str(device))
        exact, on_jpeg = (correct_per_image(model, DeviceBatches(x, y, jpeg.spec, batch_size=1000, device=device),
                                            device) for x in (x_exact, x_jpeg))
        # The same 1,000 images on both sides: what differs is only the images that flip, counted each way.
        out.append({"run_id": r["id"], "model": r["model"], "params": r["params_total"], "seed": r["seed"],
                    "augment": bool(r["augment"]), "images": len(y), "exact_acc": exact.float().mean().item(),
                    "jpeg_acc": on_jpeg.float().mean().item(),
                    "exact_minus_jpeg": (exact.float() - on_jpeg.float()).mean().item(),
                    "right_only_exact": int((exact & ~on_jpeg).sum()), "right_only_jpeg": int((on_jpeg & ~exact).sum())})
    for line in skipped:
        print(line, file=sys.stderr)
    if args.json_out:
        try:
            args.json_out.write_text(json.dumps(out, indent=1) + "\n")
        except OSError as e:
            raise SmallnetsError(f"--json-out {args.json_out}: cannot write ({e.strerror})") from None
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{len(y)} exact CIFAR-10 test images vs the same images from {jpeg.label}:")
    for o in out:
        print(f"  run {o['run_id']:>5}  {o['model']:14s} {o['params']:>10,} params  aug {int(o['augment'])}  "
              f"seed {o['seed']:<3} "
              f"exact {100 * o['exact_acc']:6.2f}%  JPEG {100 * o['jpeg_acc']:6.2f}%  "
              f"difference {100 * o['exact_minus_jpeg']:+.2f} points  (images right only on exact "
              f"{o['right_only_exact']}, only on JPEG {o['right_only_jpeg']})")
    diffs = [100 * o["exact_minus_jpeg"] for o in out]
    spread = f" +- {statistics.stdev(diffs):.2f} (std over runs)" if len(diffs) > 1 else ""
    left_out = f"; {len(skipped)} front run(s) without a saved model not measured" if skipped else ""
    print(f"mean difference over {len(out)} run(s): {statistics.fmean(diffs):+.2f} points{spread}{left_out}")
    return 0


def cmd_datasets(args) -> int:
    from .data import SPECS, candidate_sources, data_dir, load_source
    root = data_dir(args.data_dir)
    print(f"data folder: {root}")
    for name, spec in SPECS.items():
        sources = candidate_sources(name, root)
        if not sources:
            print(f"  {name:16s} not found")
            continue
        for i, src in enumerate(sources):
            use = "uses" if i == 0 else "also"
            trust = "official" if src.official else "NOT official"
            line = f"  {name:16s} {use} {src.kind:16s} {', '.join(map(str, src.paths))}  [{src.label}; {trust}]"
            if args.check and i == 0:
                try:
                    ds = load_source(src)
                    line += f" ok: {len(ds.y_train):,} train / {len(ds.y_test):,} test, sha256 {ds.file_sha256[:16]}"
                except SmallnetsError as e:
                    line += f" FAILED: {e}"
            print(line)
    return 0


COMMANDS = {"train": cmd_train, "measure": cmd_measure, "models": cmd_models, "runs": cmd_runs,
            "datasets": cmd_datasets, "jpeg-gap": cmd_jpeg_gap, "sweep": cmd_sweep, "confirm": cmd_confirm,
            "frontier": cmd_frontier, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("train", "sweep", "confirm"):
        # The flag is per thread, and torch's CPU worker threads take it from the thread that starts them: set here,
        # before any of them exist, it reaches them all (prepare_run's reaches only the calling thread).
        from .store import code_revision
        from .train import flush_subnormals, keep_freed_memory
        flush_subnormals()
        keep_freed_memory()
        code_revision()  # the code about to train, before a commit made while it trains can change the answer
    if getattr(args, "threads", None):
        if args.threads < 1:
            print(f"smallnets: error: --threads must be >= 1, got {args.threads}", file=sys.stderr)
            return 2
        import torch
        torch.set_num_threads(args.threads)
    try:
        if args.command == "sweep":  # the concurrent executor re-launches itself with the same arguments
            return cmd_sweep(args, list(argv)[1:] if argv is not None else None)
        return COMMANDS[args.command](args)
    except SmallnetsError as e:
        print(f"smallnets: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("smallnets: interrupted; finished runs are recorded, a relaunch resumes the rest", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`smallnets runs | head`): stop quietly, as Unix tools do, instead of a traceback
        # here and another when Python flushes stdout at exit, hence stdout now points at /dev/null. A run cut off
        # this way keeps its last checkpoint, like one interrupted.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # what a shell reports for a tool that SIGPIPE ended


if __name__ == "__main__":
    sys.exit(main())
