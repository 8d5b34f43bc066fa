"""Shared fixtures. Tests run on CPU, on small real data: the exact CIFAR-10 sample in ../shared/data when present
(skipped with the reason printed where it is absent, as on a user's fresh clone) and files the tests write."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from smallnets import data

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    for candidate in (os.environ.get("SMALLNETS_DATA"), REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "cifar10_exact_sample.npz").is_file():
            return Path(candidate).resolve()
    return None


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own decode cache, so no test sees another's files."""
    monkeypatch.setenv("SMALLNETS_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("SMALLNETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("cifar10_exact_sample.npz not found (set SMALLNETS_DATA or place ../shared/data beside the repo)")
    return d


@pytest.fixture(scope="session")
def sample(sample_dir) -> data.Dataset:
    """The 3,000 exact CIFAR-10 images (2,000 train, 1,000 test)."""
    return data.load_dataset("cifar10_sample", sample_dir, use_cache=False)


@pytest.fixture
def small_counts(monkeypatch):
    """Shrink the expected image counts so tests can write official-format files of a few dozen images."""
    def shrink(name, n_train, n_test):
        monkeypatch.setitem(data.SPECS, name, dataclasses.replace(data.SPECS[name], n_train=n_train, n_test=n_test))
    return shrink


def fake_images(n, shape, num_classes, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
    y = np.arange(n) % num_classes
    return x, y.astype(np.int64)
