"""The CUDA path (bf16 autocast, channels_last, device-resident batches, compile, stacked seeds). Skipped, with the
reason, where no GPU is present, as in CI; run on the GPU machine with `python -m pytest tests/test_cuda.py`."""

import pytest
import torch

from smallnets import data
from smallnets.config import TrainConfig
from smallnets.train import RunOptions, train_run

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def test_device_batches_live_on_the_gpu(sample):
    b = data.DeviceBatches(sample.x_train, sample.y_train, sample.spec, batch_size=256, device="cuda", shuffle=True,
                           augment=True, cutout=16, channels_last=True, generator=torch.Generator("cuda").manual_seed(0))
    x, y = next(iter(b))
    assert x.is_cuda and y.is_cuda and x.is_contiguous(memory_format=torch.channels_last)
    blanked = (x == 0).all(1).flatten(1).sum(1)  # cutout's square: 64 to 256 pixels of each image
    assert blanked.min() >= 64 and blanked.max() <= 256
    cpu = data.DeviceBatches(sample.x_train, sample.y_train, sample.spec, batch_size=256)
    gpu = data.DeviceBatches(sample.x_train, sample.y_train, sample.spec, batch_size=256, device="cuda")
    torch.testing.assert_close(next(iter(gpu))[0].cpu(), next(iter(cpu))[0])


@pytest.mark.parametrize("compile_mode", [False, "default"])
def test_trains_on_cuda_with_bf16_and_channels_last(sample, tmp_path, compile_mode):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=(("depth", 8), ("width", 16)), epochs=8,
                      batch_size=128, lr=0.05, augment=True)
    r = train_run(cfg, 0, tmp_path / "run", RunOptions(device="cuda", progress="none", compile=compile_mode),
                  dataset=sample)
    assert r.status == "finished" and r.device.startswith("cuda") and r.options["amp"] and r.options["channels_last"]
    assert r.test_acc > 0.3


def test_resume_on_cuda(sample, tmp_path):
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=(("depth", 8), ("width", 8)), epochs=3,
                      batch_size=64, augment=True, train_limit=512)

    class Stop(Exception):
        pass

    def stop(epoch, _):
        if epoch == 2:
            raise Stop
    with pytest.raises(Stop):
        train_run(cfg, 0, tmp_path / "b", RunOptions(device="cuda", progress="none"), callbacks=(stop,),
                  dataset=sample)
    resumed = train_run(cfg, 0, tmp_path / "b", RunOptions(device="cuda", progress="none"), dataset=sample)
    straight = train_run(cfg, 0, tmp_path / "a", RunOptions(device="cuda", progress="none"), dataset=sample)
    # cuDNN may pick non-deterministic kernels: the same data order and initial state, so close, not bit-equal.
    assert abs(resumed.test_acc - straight.test_acc) < 0.05


@pytest.mark.parametrize("compile_mode", [False, "default"])
def test_stacked_seeds_on_cuda_match_one_at_a_time(sample, compile_mode):
    from smallnets.stacked import train_seeds
    cfg = TrainConfig(dataset="cifar10_sample", model="resnet", knobs=(("depth", 8), ("width", 16)), epochs=8,
                      batch_size=128, lr=0.05, augment=True)
    options = RunOptions(device="cuda", progress="none", compile=compile_mode)  # stack="auto": stacked on CUDA
    stacked = train_seeds(cfg, [0, 1, 2, 3], options=options, dataset=sample)
    assert all(r.options["stacked_with"] == [0, 1, 2, 3] and r.options["amp"] for r in stacked)
    alone = [train_run(cfg, s, options=RunOptions(device="cuda", progress="none"), dataset=sample) for s in range(4)]
    mean = lambda rs: sum(r.test_acc for r in rs) / len(rs)  # noqa: E731
    # bf16 and cuDNN's kernel choices make single runs drift apart over 8 epochs: the seeds' mean must agree.
    assert all(r.test_acc > 0.3 for r in stacked) and abs(mean(stacked) - mean(alone)) < 0.03
