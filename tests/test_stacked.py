"""Stacked (horizontally batched) training: K seeds as one wide model must be the K one-at-a-time runs."""

import json

import pytest
import torch
from torch.nn import functional as F

from smallnets.cli import main
from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.models import create_model
from smallnets.stacked import (StackedModels, _StepScaler, stack_dir_for, stackable, train_group, train_runs,
                               train_seeds, train_stacked)
from smallnets.store import RunStore
from smallnets.sweep import SweepSpec, Worker
from smallnets.train import RunOptions, build_optimizer, load_trained_model, run_dir_for, train_run

QUIET = RunOptions(progress="none")
TINY = (("depth", 8), ("width", 6))


def test_forward_backward_and_step_are_those_of_each_model():
    # In float64 the grouped kernels' reassociation is invisible, so stacked and alone must agree to ~1e-12; in
    # float32, BatchNorm over 16 images amplifies it to ~1e-3 relative in the first layers' gradients.
    models = [create_model("resnet", depth=8, width=4, seed=s).double() for s in range(3)]
    stack = StackedModels(models).train()
    x, y = torch.randn(3, 16, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (3, 16))
    cfg = TrainConfig(dataset="cifar10_sample", optimizer="sgdm", lr=0.1)
    stack_opt = build_optimizer(stack, cfg, model_axes=1)
    opts = [build_optimizer(m, cfg) for m in models]
    assert [len(g["params"]) for g in stack_opt.param_groups] == [len(g["params"]) for g in opts[0].param_groups]
    logits = stack(x)
    F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(3, -1).mean(1).sum().backward()
    grads = {n: p.grad.clone() for n, p in zip(stack.param_names, stack.parameters())}
    stack_opt.step()
    for k, (m, opt) in enumerate(zip(models, opts)):
        m.train()
        alone = m(x[k])
        torch.testing.assert_close(logits[k], alone, rtol=1e-10, atol=1e-12)
        F.cross_entropy(alone, y[k]).backward()
        for name, p in m.named_parameters():
            torch.testing.assert_close(grads[name][k], p.grad, rtol=1e-9, atol=1e-12, msg=name)
        opt.step()
        got = stack.state_of(k)
        for name, tensor in m.state_dict().items():  # weights after the step, and BatchNorm running stats
            torch.testing.assert_close(got[name], tensor, rtol=1e-9, atol=1e-12, msg=name)
        assert torch.equal(got["stem.1.num_batches_tracked"], torch.tensor(1))
    back = stack.unstack(1)
    assert type(back) is type(models[1])
    assert torch.equal(back.state_dict()["classifier.weight"], stack.state_of(1)["classifier.weight"])


@pytest.mark.parametrize("optimizer", ["sgdm", "adam", "adamw"])
def test_stacked_models_each_step_at_their_own_learning_rate(optimizer):
    """Three models at 0.2x, 1x and 3x one rate, three steps: each is the model trained alone at its rate (float64)."""
    scales = [0.2, 1.0, 3.0]
    configs = [TrainConfig(dataset="cifar10_sample", optimizer=optimizer, lr=0.05 * f) for f in scales]
    models = [create_model("resnet", depth=8, width=4, seed=s).double() for s in range(3)]
    stack = StackedModels(models).train()
    stack_opt = build_optimizer(stack, configs[1], model_axes=1)  # the reference rate is the middle model's
    scaler = _StepScaler(stack, [f / scales[1] for f in scales])
    opts = [build_optimizer(m, c) for m, c in zip(models, configs)]
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        x = torch.randn(3, 8, 3, 32, 32, dtype=torch.float64, generator=gen)
        y = torch.randint(0, 10, (3, 8), generator=gen)
        stack_opt.zero_grad()
        F.cross_entropy(stack(x).flatten(0, 1), y.flatten(), reduction="none").view(3, -1).mean(1).sum().backward()
        scaler.before_step()
        stack_opt.step()
        scaler.after_step()
        for k, (m, opt) in enumerate(zip(models, opts)):
            opt.zero_grad()
            F.cross_entropy(m(x[k]), y[k]).backward()
            opt.step()
    for k, m in enumerate(models):
        got = stack.state_of(k)
        for name, tensor in m.state_dict().items():
            torch.testing.assert_close(got[name], tensor, rtol=1e-8, atol=1e-11, msg=f"model {k}: {name}")
    # The rates really differ: the three models moved by different amounts from their starts.
    start = [create_model("resnet", depth=8, width=4, seed=s).double().classifier.weight for s in range(3)]
    moved = [(m.classifier.weight - w0).norm().item() for m, w0 in zip(models, start)]
    assert moved[0] < moved[1] < moved[2]


def test_which_configs_may_share_a_stack():
    base = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, lr=0.1)
    assert stackable(base, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, lr=0.03))
    assert stackable(base, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY))  # default rate 0.1
    assert not stackable(base, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, lr=0.1, epochs=2))
    assert not stackable(base, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, optimizer="adam"))
    # AdaBound's bounds do not scale with the rate: only equal rates stack.
    ada = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, optimizer="adabound", lr=1e-3)
    assert stackable(ada, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, optimizer="adabound"))
    assert not stackable(ada, TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY,
                                          optimizer="adabound", lr=3e-3))
    with pytest.raises(SmallnetsError, match="every setting but the learning rate"):
        train_group([(base, 0), (TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=2), 0)])


def test_stacked_learning_rates_match_one_at_a_time_runs(sample, tmp_path):
    """Two rates x one seed (the same seed: the runs differ only in their rate), stacked into one group, give the
    two runs trained alone, each in its own run folder and with its own rate in its history."""
    cfgs = [TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=2, batch_size=64,
                        train_limit=320, select="best_val", lr=lr) for lr in (0.02, 0.1)]
    alone = [train_run(c, 5, options=QUIET, dataset=sample) for c in cfgs]
    stacked = train_group([(c, 5) for c in cfgs], tmp_path, QUIET, dataset=sample)
    for c, a, b in zip(cfgs, alone, stacked):
        assert b.config == c and b.seed == 5 and b.options["stacked_with"] == [[0.02, 5], [0.1, 5]]
        assert [m["lr"] for m in b.history] == pytest.approx([m["lr"] for m in a.history])
        for ma, mb in zip(a.history, b.history):
            assert mb["train_loss"] == pytest.approx(ma["train_loss"], abs=2e-3)
            assert mb["val_acc"] == pytest.approx(ma["val_acc"], abs=0.011)
        assert b.test_acc == pytest.approx(a.test_acc, abs=0.011)
        assert (run_dir_for(tmp_path, c, 5) / "result.json").is_file()
    assert stacked[0].history[-1]["train_loss"] != stacked[1].history[-1]["train_loss"]
    assert not list((tmp_path / "runs").glob("stack-*"))  # the group's checkpoint is gone once it ends


def test_runs_are_grouped_into_the_stacks_they_may_share(sample, monkeypatch):
    import smallnets.stacked as stacked
    groups = []
    monkeypatch.setattr(stacked, "train_group", lambda members, *a, **k: (groups.append(
        [(c.optimizer, c.peak_lr, s) for c, s in members]), [None] * len(members))[1])
    monkeypatch.setattr(stacked, "train_run", lambda c, s, *a, **k: groups.append([(c.optimizer, c.peak_lr, s)]))

    def cfg(optimizer, lr):
        return TrainConfig(dataset="cifar10_sample", model="mlp", budget=5_000, optimizer=optimizer, lr=lr)
    members = [(cfg("sgdm", lr), s) for lr in (0.03, 0.1) for s in (0, 1)] + \
        [(cfg("adabound", lr), s) for lr in (1e-3, 3e-3) for s in (0, 1)] + [(cfg("adam", 1e-3), 0)]
    recorded = []
    train_runs(members, options=RunOptions(progress="none", stack="on"), on_result=recorded.append)
    assert groups == [[("sgdm", 0.03, 0), ("sgdm", 0.03, 1), ("sgdm", 0.1, 0), ("sgdm", 0.1, 1)],
                      [("adabound", 1e-3, 0), ("adabound", 1e-3, 1)], [("adabound", 3e-3, 0), ("adabound", 3e-3, 1)],
                      [("adam", 1e-3, 0)]]
    assert len(recorded) == len(members)
    groups.clear()
    train_runs(members, options=RunOptions(progress="none", stack="off"))
    assert groups == [[(c.optimizer, c.peak_lr, s)] for c, s in members]


def test_a_broken_model_does_not_leak_into_the_others():
    models = [create_model("resnet", depth=8, width=4, seed=s) for s in range(2)]
    with torch.no_grad():
        models[1].classifier.weight.fill_(float("nan"))
        models[1].stem[0].weight.fill_(float("inf"))
    stack = StackedModels(models).train()
    logits = stack(torch.randn(2, 8, 3, 32, 32))
    assert torch.isfinite(logits[0]).all() and not torch.isfinite(logits[1]).any()
    logits[0].sum().backward(retain_graph=True)
    logits[1].sum().backward()
    assert all(torch.isfinite(p.grad[0]).all() for p in stack.parameters())


def test_different_architectures_cannot_stack():
    with pytest.raises(SmallnetsError, match="share one architecture"):
        StackedModels([create_model("resnet", depth=8, width=4), create_model("resnet", depth=8, width=6)])


@pytest.mark.parametrize("cutout", [0, 8])
def test_stacked_runs_match_one_at_a_time_runs(sample, cutout):
    """Same seeds, same recipe (augmentation, EMA, best-val selection): the same runs, to float reassociation."""
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=3, batch_size=64, augment=True,
                      cutout=cutout, ema_decay=0.9, train_limit=320, select="best_val", lr=0.05)
    alone = [train_run(cfg, s, options=QUIET, dataset=sample) for s in (3, 4)]
    stacked = train_stacked(cfg, [3, 4], options=QUIET, dataset=sample)
    assert [r.seed for r in stacked] == [3, 4]
    for a, b in zip(alone, stacked):
        assert b.status == "finished" and b.knobs == a.knobs
        assert b.measures["params_total"] == a.measures["params_total"]
        assert b.options["stacked_with"] == [3, 4]
        assert [m["epoch"] for m in b.history] == [1, 2, 3]
        for ma, mb in zip(a.history, b.history):
            assert mb["train_loss"] == pytest.approx(ma["train_loss"], abs=2e-3)
            assert mb["val_acc"] == pytest.approx(ma["val_acc"], abs=0.011)  # at most ~5 of 500 images flip
        assert b.test_acc == pytest.approx(a.test_acc, abs=0.011)
    # The seeds really differ: a stacked group is not one model copied.
    assert stacked[0].history[0]["train_loss"] != stacked[1].history[0]["train_loss"]


class Crash(Exception):
    pass


def test_stacked_group_resumes_after_a_crash(sample, tmp_path):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=3, batch_size=64, augment=True,
                      train_limit=256, select="best_val")
    straight = train_stacked(cfg, [0, 1], tmp_path / "a", QUIET, dataset=sample)

    def crash_after_two(epoch, metrics):
        assert len(metrics) == 2
        if epoch == 2:
            raise Crash
    with pytest.raises(Crash):
        train_stacked(cfg, [0, 1], tmp_path / "b", QUIET, callbacks=(crash_after_two,), dataset=sample)
    ckpt = stack_dir_for(tmp_path / "b", [(cfg, 0), (cfg, 1)]) / "checkpoint.pt"
    at_crash = torch.load(ckpt, weights_only=False)
    assert at_crash["epoch"] == 2
    resumed = train_stacked(cfg, [0, 1], tmp_path / "b", QUIET, dataset=sample)
    assert all(r.wall_time_s > at_crash["wall_time"] >= at_crash["train_time"] for r in resumed)  # both launches
    for a, b in zip(straight, resumed):
        assert (a.seed, a.val_acc, a.test_acc, a.selected_epoch) == (b.seed, b.val_acc, b.test_acc, b.selected_epoch)
        ma = load_trained_model(run_dir_for(tmp_path / "a", cfg, a.seed))
        mb = load_trained_model(run_dir_for(tmp_path / "b", cfg, b.seed))
        assert all(torch.equal(x, y) for x, y in zip(ma.state_dict().values(), mb.state_dict().values()))
    assert not ckpt.exists() and not ckpt.parent.exists()
    # Finished seeds are read back, not trained again; a new seed next to them trains alone.
    again = train_stacked(cfg, [0, 1], tmp_path / "b", QUIET, dataset=sample)
    assert [r.wall_time_s for r in again] == [r.wall_time_s for r in resumed]


def test_all_diverged_is_recorded_as_diverged(sample):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=2, lr=1e12, train_limit=256,
                      batch_size=64)
    results = train_stacked(cfg, [0, 1], options=QUIET, dataset=sample)
    assert [r.status for r in results] == ["diverged", "diverged"]
    assert all("loss became" in r.error and r.test_acc is None for r in results)


def test_bad_seed_lists():
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY)
    with pytest.raises(SmallnetsError, match="distinct seeds"):
        train_stacked(cfg, [1, 1])


def test_cli_train_with_several_seeds(sample_dir, tmp_path, capsys):
    results = tmp_path / "res"
    argv = ["train", "--model", "mlp", "--budget", "5k", "--dataset", "cifar10_sample", "--epochs", "1",
            "--train-limit", "256", "--batch-size", "64", "--seeds", "0,1", "--stack", "on", "--progress", "none",
            "--results", str(results), "--data-dir", str(sample_dir)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("stacked with seeds [0, 1]") == 2
    with RunStore(results / "results.sqlite") as store:
        rows = store.runs()
    assert sorted(r["seed"] for r in rows) == [0, 1] and len({r["config_hash"] for r in rows}) == 1
    assert main(argv) == 0
    assert capsys.readouterr().out.count("already recorded") == 2


def test_cli_seeds_one_after_another_land_as_each_ends(sample_dir, tmp_path, monkeypatch, capsys):
    """Killed while seed 1 trains: seed 0 is already in the database, and the relaunch trains only seed 1."""
    import smallnets.stacked as stacked
    real_train_run, started = stacked.train_run, []

    def killed_at_seed_1(config, seed, *args, **kwargs):
        started.append(seed)
        if seed == 1 and len(started) == 2:
            raise KeyboardInterrupt
        return real_train_run(config, seed, *args, **kwargs)

    monkeypatch.setattr(stacked, "train_run", killed_at_seed_1)
    results = tmp_path / "res"
    argv = ["train", "--model", "mlp", "--budget", "5k", "--dataset", "cifar10_sample", "--epochs", "1",
            "--train-limit", "256", "--batch-size", "64", "--seeds", "0,1", "--stack", "off", "--progress", "none",
            "--results", str(results), "--data-dir", str(sample_dir)]
    assert main(argv) == 130  # interrupted: "finished runs are recorded, a relaunch resumes the rest"
    with RunStore(results / "results.sqlite") as store:
        assert [r["seed"] for r in store.runs()] == [0]
    assert main(argv) == 0 and started == [0, 1, 1]
    assert "already recorded" in capsys.readouterr().out
    with RunStore(results / "results.sqlite") as store:
        assert sorted(r["seed"] for r in store.runs()) == [0, 1]


def test_sweep_with_stacked_seeds(sample_dir, tmp_path):
    spec = SweepSpec(name="st", datasets=("cifar10_sample",), families=("resnet", "mlp"), budgets=(4_000,),
                     seeds=(0, 1, 2), epochs=(1,), stack_seeds=True,
                     train=(("batch_size", 64), ("train_limit", 256), ("val_size", 200)))
    assert sorted(spec.grid()) == ["cifar10_sample|mlp|4000|sgdm|aug0|ep1|seeds0,1,2",
                                   "cifar10_sample|resnet|4000|sgdm|aug0|ep1|seeds0,1,2"]
    worker = Worker(spec, str(tmp_path / "results.sqlite"), tmp_path,
                    RunOptions(progress="none", data_dir=str(sample_dir), stack="on"), log=lambda *_: None)
    counts = worker.run()
    trials = worker.study.get_trials()
    worker.close()
    assert counts["done"] == 2 and len(trials) == 2
    with RunStore(tmp_path / "results.sqlite") as store:
        rows = store.runs()
    assert sorted((r["model"], r["seed"]) for r in rows) == [("mlp", s) for s in range(3)] + \
        [("resnet", s) for s in range(3)]
    for t in trials:
        runs = [r for r in rows if r["id"] in t.user_attrs["run_ids"]]
        assert t.value == pytest.approx(sum(r["val_acc"] for r in runs) / 3)
        assert t.user_attrs["seeds"] == [0, 1, 2] and t.user_attrs["status"] == "finished"


def test_sweep_with_stacked_learning_rates_and_seeds(sample_dir, tmp_path):
    spec = SweepSpec(name="lrs", datasets=("cifar10_sample",), families=("mlp",), budgets=(4_000,), seeds=(0, 1),
                     epochs=(1,), lr_scales=(0.3, 1.0), stack_seeds=True, stack_lrs=True,
                     train=(("batch_size", 64), ("train_limit", 256), ("val_size", 200)))
    (key, runs), = spec.grid().items()
    assert key == "cifar10_sample|mlp|4000|sgdm|aug0|ep1|lrx0.3,1|seeds0,1"
    assert [(c.peak_lr, s) for c, s in runs] == [(0.03, 0), (0.03, 1), (0.1, 0), (0.1, 1)]
    # Without stack_lrs each rate is its own point, under the key it always had.
    assert sorted(SweepSpec(**{**spec.__dict__, "stack_lrs": False}).grid()) == [
        "cifar10_sample|mlp|4000|sgdm|aug0|ep1|lrx0.3|seeds0,1", "cifar10_sample|mlp|4000|sgdm|aug0|ep1|seeds0,1"]
    worker = Worker(spec, str(tmp_path / "results.sqlite"), tmp_path,
                    RunOptions(progress="none", data_dir=str(sample_dir), stack="on"), log=lambda *_: None)
    assert worker.run()["done"] == 1
    trial, = worker.study.get_trials()
    worker.close()
    with RunStore(tmp_path / "results.sqlite") as store:
        rows = {r["id"]: r for r in store.runs()}
    assert sorted(rows) == sorted(trial.user_attrs["run_ids"]) and len(rows) == 4
    by_lr = {}
    for r in rows.values():
        assert r["optimizer"] == "sgdm"
        by_lr.setdefault(TrainConfig.from_dict(json.loads(r["config_json"])).peak_lr, []).append(r["val_acc"])
    assert sorted(by_lr) == [0.03, 0.1]
    # The trial's value is its best rate's mean over seeds; the front reads each rate's runs from the database.
    assert trial.value == pytest.approx(max(sum(v) / 2 for v in by_lr.values()))
    assert len(trial.user_attrs["config_hashes"]) == 2 and trial.user_attrs["seeds"] == [0, 1]


def test_auto_stacks_on_cuda_only(sample):
    cfg = TrainConfig(dataset="cifar10_sample", model="mlp", budget=5_000, epochs=1, train_limit=128, batch_size=64)
    results = train_seeds(cfg, [0, 1], options=RunOptions(progress="none", device="cpu"), dataset=sample)
    assert [r.seed for r in results] == [0, 1] and all("stacked_with" not in r.options for r in results)
    results = train_seeds(cfg, [0, 1], options=RunOptions(progress="none", device="cpu", stack="on"), dataset=sample)
    assert all(r.options["stacked_with"] == [0, 1] for r in results)
    with pytest.raises(SmallnetsError, match="stack must be auto, on or off"):
        RunOptions(stack="yes")
