"""Shared fixtures. Tests run on CPU, on small real data: the exact CIFAR-10 sample in ../shared/data when present
(skipped with the reason printed where it is absent, as on a user's fresh clone) and files the tests write."""

import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A real PostgreSQL server on a loopback port, in a temporary data directory."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or ([shutil.which("initdb")] if shutil.which(
        "initdb") else [])
    if not initdb:
        pytest.skip("PostgreSQL server not installed (Debian: apt-get install postgresql); .ci/run installs it")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg not installed (pip install 'smallnets[postgres]')")
    bindir = Path(initdb[-1]).parent
    as_user = []
    folder = Path(tempfile.mkdtemp(prefix="smallnets-pg-"))
    if os.getuid() == 0:  # PostgreSQL refuses to run as root
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start PostgreSQL as its own user")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    init = subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "smallnets"],
                          capture_output=True, text=True)
    if init.returncode:
        pytest.skip(f"initdb failed: {init.stderr.strip().splitlines()[-1] if init.stderr.strip() else init.returncode}")
    port = _free_port()
    server = subprocess.Popen(as_user + [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
                                         "-h", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while True:
        try:
            conn = psycopg.connect(host="127.0.0.1", port=port, user="smallnets", dbname="postgres", autocommit=True)
            break
        except psycopg.OperationalError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                pytest.skip(f"PostgreSQL did not start: {server.stderr.read().decode()[-300:]}")
            time.sleep(0.2)
    conn.execute("CREATE DATABASE sweeps")
    conn.close()
    yield f"postgresql://smallnets@127.0.0.1:{port}/sweeps"
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
