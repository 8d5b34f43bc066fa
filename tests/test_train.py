import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.models import create_model
from smallnets.train import (RecordedModelMismatch, RunOptions, build_optimizer, load_trained_model, lr_factor,
                             train_run)

TINY = (("depth", 8), ("width", 6))
QUIET = RunOptions(progress="none")


def test_learns_well_above_chance(sample):
    """A few hundred SGD steps on 1,500 exact CIFAR-10 images must beat chance (10%) by far."""
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=(("depth", 8), ("width", 8)), epochs=10,
                      batch_size=64, lr=0.05)
    r = train_run(cfg, seed=0, options=QUIET, dataset=sample)
    assert r.status == "finished" and len(r.history) == 10
    assert 10 * (1500 // 64) >= 200
    assert r.history[-1]["train_loss"] < r.history[0]["train_loss"] - 0.3
    assert r.test_acc > 0.28 and r.val_acc > 0.28
    assert r.measures["params_total"] == sum(p.numel() for p in create_model("resnet", depth=8, width=8).parameters())
    assert r.data["data_sha256"].startswith("46779d1b") and r.data["data_official"]


class Crash(Exception):
    pass


def test_resume_after_crash_gives_the_same_result(sample, tmp_path):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=3, batch_size=64, augment=True,
                      ema_decay=0.9, train_limit=320, select="best_val")
    straight = train_run(cfg, 1, tmp_path / "a", QUIET, dataset=sample)

    def crash_after_two(epoch, metrics):
        if epoch == 2:
            raise Crash
    with pytest.raises(Crash):
        train_run(cfg, 1, tmp_path / "b", QUIET, callbacks=(crash_after_two,), dataset=sample)
    assert json.loads((tmp_path / "b" / "config.json").read_text())["config_hash"] == cfg.hash
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert ckpt["epoch"] == 2
    assert ckpt["wall_time"] >= sum(m["epoch_time_s"] for m in ckpt["history"])
    resumed = train_run(cfg, 1, tmp_path / "b", QUIET, dataset=sample)
    # The record counts both launches' time, not only the last one's.
    assert resumed.wall_time_s >= sum(m["epoch_time_s"] for m in resumed.history)
    assert resumed.wall_time_s > ckpt["wall_time"]
    assert resumed.test_acc == straight.test_acc and resumed.val_acc == straight.val_acc
    strip = lambda h: [{k: v for k, v in m.items() if k not in ("epoch_time_s", "images_per_s")} for m in h]  # noqa
    assert strip(resumed.history) == strip(straight.history)
    a, b = load_trained_model(tmp_path / "a"), load_trained_model(tmp_path / "b")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not (tmp_path / "b" / "checkpoint.pt").exists()
    # A finished run is not trained again: the stored result comes back.
    again = train_run(cfg, 1, tmp_path / "b", QUIET, dataset=sample)
    assert again.wall_time_s == resumed.wall_time_s


def test_a_checkpoint_of_another_model_is_refused_in_one_line(sample, tmp_path):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=2, batch_size=64, train_limit=128)

    def crash(epoch, metrics):
        raise Crash
    with pytest.raises(Crash):
        train_run(cfg, 0, tmp_path, QUIET, callbacks=(crash,), dataset=sample)
    wider = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=(("depth", 8), ("width", 7)), epochs=2,
                        batch_size=64, train_limit=128)
    with pytest.raises(RecordedModelMismatch, match=r"checkpoint .*checkpoint.pt holds another model .*size "
                                                     r"mismatch for stem.0.weight.*delete it"):
        train_run(wider, 0, tmp_path, QUIET, dataset=sample)


def test_sigkill_then_resume(sample_dir, tmp_path):
    """Kill a real training process mid-run with SIGKILL; relaunching finishes it with the uninterrupted result."""
    args = [sys.executable, "-m", "smallnets.cli", "train", "--model", "resnet", "--knob", "depth=8", "--knob",
            "width=6", "--dataset", "cifar10_sample", "--epochs", "6", "--train-limit", "512", "--batch-size", "64",
            "--augment", "--data-dir", str(sample_dir), "--device", "cpu", "--json"]
    env = {**os.environ, "SMALLNETS_OFFLINE": "1"}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(args + ["--results", str(killed)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 120
    ckpts = []
    while time.time() < deadline and not ckpts:
        ckpts = list(killed.glob("runs/*/seed0/checkpoint.pt"))
        time.sleep(0.02)
    assert ckpts, "no checkpoint appeared"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not list(killed.glob("runs/*/seed0/result.json")), "run finished before it could be killed"
    done_at_kill = torch.load(ckpts[0], weights_only=False)["epoch"]
    assert 1 <= done_at_kill < 6

    resumed = json.loads(subprocess.run(args + ["--results", str(killed)], env=env, capture_output=True, text=True,
                                        check=True).stdout)
    fresh = json.loads(subprocess.run(args + ["--results", str(tmp_path / "fresh")], env=env, capture_output=True,
                                      text=True, check=True).stdout)
    assert resumed["test_acc"] == fresh["test_acc"]
    assert [m["train_loss"] for m in resumed["history"]] == [m["train_loss"] for m in fresh["history"]]


def test_divergence_is_recorded_not_raised(sample):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=2, lr=1e12, train_limit=256,
                      batch_size=32)
    r = train_run(cfg, 0, options=QUIET, dataset=sample)
    assert r.status == "diverged" and r.test_acc is None and "loss became" in r.error


def test_cpu_training_flushes_subnormals_and_the_run_says_so(sample):
    """On a CPU a weight or moment in float32's subnormal range costs many times the arithmetic (Adam at a high rate
    puts many there: benchmarks/denormals.py), so a CPU run flushes them to zero, and its environment records it."""
    from smallnets.store import environment
    torch.set_flush_denormal(False)
    assert (torch.tensor([1e-40]) * 2).item() != 0 and environment()["flush_denormal"] is False
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=1, train_limit=128, batch_size=64)
    assert train_run(cfg, 0, options=RunOptions(progress="none", device="cpu"), dataset=sample).status == "finished"
    assert (torch.tensor([1e-40]) * 2).item() == 0 and environment()["flush_denormal"] is True


FAULTS_ON_REUSE = """
import resource, sys, torch
from smallnets.train import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "kept" else False
for _ in range(4):  # 256 MB: far over the largest block glibc's malloc takes from its heap as it comes (32 MB)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = torch.ones(64 << 20)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del block
print(applied, faults)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="keeping freed memory is a glibc malloc setting")
def test_kept_freed_memory_is_reused_without_page_faults():
    """As it comes, glibc maps a large block fresh from the kernel each time and zero-fills it page by page on first
    touch (a CPU run of MobileNetV2 1M spent 30% of its time there: benchmarks/cpu_allocator.py). The commands that
    train keep freed memory instead, so the same block allocated a fourth time costs no page faults."""
    def applied_and_faults_on_fourth_use(side):
        applied, faults = subprocess.run([sys.executable, "-c", FAULTS_ON_REUSE, side], capture_output=True,
                                         text=True, check=True).stdout.split()
        return applied, int(faults)
    (applied_default, default), (applied_kept, kept) = map(applied_and_faults_on_fourth_use, ("default", "kept"))
    assert (applied_default, applied_kept) == ("False", "True")
    assert default > 100 and kept < 10, (default, kept)  # 65,536 4 KB pages, or 128 huge ones, against none


def test_best_val_selection_uses_validation_only(sample):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=TINY, epochs=4, lr=0.05, train_limit=512,
                      batch_size=64, select="best_val", val_size=300)
    r = train_run(cfg, 0, options=QUIET, dataset=sample)
    vals = [m["val_acc"] for m in r.history]
    assert r.selected_epoch == vals.index(max(vals)) + 1 and r.val_acc == max(vals)


@pytest.mark.parametrize("name", ["sgdm", "adam", "adamw", "adabound"])
def test_optimizers_and_decay_groups(name):
    model = create_model("resnet", depth=8, width=4)
    cfg = TrainConfig(optimizer=name)
    opt = build_optimizer(model, cfg)
    decayed, plain = opt.param_groups
    assert all(p.dim() >= 2 for p in decayed["params"]) and all(p.dim() < 2 for p in plain["params"])
    assert decayed["weight_decay"] == cfg.decay and plain["weight_decay"] == 0
    if name == "adabound":
        assert decayed["final_lr"] == 0.1 and decayed["weight_decouple"] is False  # L2, as in the paper
    before = [p.detach().clone() for p in model.parameters()]
    loss = model(torch.randn(8, 3, 32, 32)).logsumexp(1).mean()
    loss.backward()
    opt.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert len(build_optimizer(model, TrainConfig(optimizer=name, decay_all=True)).param_groups) == 1


def test_schedules():
    cos = lr_factor(TrainConfig(epochs=10, schedule="cosine"), 100)
    assert cos(0) == 1.0 and abs(cos(500) - 0.5) < 1e-9 and cos(1000) < 1e-9
    warm = lr_factor(TrainConfig(epochs=10, schedule="cosine", warmup_epochs=1), 100)
    assert warm(0) == 0.01 and warm(99) == 1.0 and warm(100) == 1.0
    one = lr_factor(TrainConfig(epochs=10, schedule="onecycle"), 100)
    assert one(0) == 0 and one(300) == 1.0 and abs(one(650) - 0.5) < 1e-9 and one(1000) == 0
    step = lr_factor(TrainConfig(epochs=10, schedule="step"), 100)
    assert step(499) == 1.0 and abs(step(500) - 0.1) < 1e-12 and abs(step(800) - 0.01) < 1e-12


def test_config_validation_and_hash():
    assert TrainConfig().hash == TrainConfig(epochs=30).hash  # defaults are not part of the hash
    assert TrainConfig(epochs=31).hash != TrainConfig().hash
    assert TrainConfig(knobs=(("width", 8), ("depth", 14))).hash == TrainConfig(knobs={"depth": 14, "width": 8}.items()).hash
    with pytest.raises(SmallnetsError, match="unknown optimizer 'sgd'; expected one of: sgdm, adam, adamw, adabound"):
        TrainConfig(optimizer="sgd")
    with pytest.raises(SmallnetsError, match="epochs must be >= 1"):
        TrainConfig(epochs=0)
    with pytest.raises(SmallnetsError, match="unknown config field"):
        TrainConfig.from_dict({"epochz": 3})
    c = TrainConfig(knobs=(("depth", 14),), budget=50_000, augment=True)
    assert TrainConfig.from_dict(c.to_dict()) == c
    with pytest.raises(SmallnetsError, match="cutout needs augment"):
        TrainConfig(cutout=16)
    with pytest.raises(SmallnetsError, match="cutout must be >= 0 pixels, got -1"):
        TrainConfig(cutout=-1, augment=True)
    assert TrainConfig(augment=True, cutout=16).hash != TrainConfig(augment=True).hash


def test_published_runs_keep_their_config_hashes():
    """A field added since (cutout, say) is left out of the hash at its default, so every committed run's config
    still hashes to the name its results live under."""
    exports = sorted((Path(__file__).parents[1] / "docs" / "results").glob("*/runs.json"))
    assert exports
    for export in exports:
        for run in json.loads(export.read_text()):
            assert TrainConfig.from_dict(json.loads(run["config_json"])).hash == run["config_hash"], export


def test_config_numbers_are_one_type_whatever_the_file_wrote():
    # warmup_epochs = 3 in a TOML file is an int, the CLI's --warmup-epochs 3 a float: one config, one hash.
    assert TrainConfig(warmup_epochs=3, lr=1).hash == TrainConfig(warmup_epochs=3.0, lr=1.0).hash
    assert TrainConfig(epochs=20.0).epochs == 20 and isinstance(TrainConfig(epochs=20.0).epochs, int)
    assert TrainConfig.from_dict({"lr": 1, "epochs": 20.0}) == TrainConfig(lr=1.0, epochs=20)
    with pytest.raises(SmallnetsError, match="config field lr must be a number, got '0.1'"):
        TrainConfig(lr="0.1")
    with pytest.raises(SmallnetsError, match="config field epochs must be a whole number, got 2.5"):
        TrainConfig(epochs=2.5)
    with pytest.raises(SmallnetsError, match="config field augment must be true or false, got 'false'"):
        TrainConfig(augment="false")
    with pytest.raises(SmallnetsError, match="config field batch_size must be a number, got True"):
        TrainConfig(batch_size=True)
