"""The benchmark scripts, run end to end on the CPU at the smallest size that still exercises every side, and the
GPU round's shell scripts up to where they need a GPU: they run for real only on a GPU machine, whose minutes are
scarce, so a script broken by a change must fail here first."""

import os
import re
import subprocess
import sys

from .conftest import REPO


def run_benchmark(script: str, sample_dir, *args: str) -> str:
    env = {**os.environ, "SMALLNETS_DATA": str(sample_dir)}
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--device", "cpu", *args],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def test_stacked_throughput_compares_both_sides_on_the_same_seeds(sample_dir):
    out = run_benchmark("stacked_throughput.py", sample_dir, "--dataset", "cifar10_sample", "--budget", "5k",
                        "--seeds", "2", "--epochs", "1")
    assert re.search(r"one at a time .* train images/s  \(1\.00x\)  test acc \d+\.\d\d ± \d+\.\d\d%", out), out
    assert re.search(r"stacked .* train images/s  \(\d+\.\d\dx\)  test acc \d+\.\d\d ± \d+\.\d\d%", out), out
    assert "same seed, stacked minus one at a time" in out


def test_train_throughput_times_both_loops(sample_dir):
    out = run_benchmark("train_throughput.py", sample_dir, "--dataset", "cifar10_sample", "--budget", "5k",
                        "--images", "256", "--epochs", "2")
    assert re.search(r"smallnets +[\d,]+ images/s +\d+\.\d\dx", out), out
    assert re.search(r"plain DataLoader +[\d,]+ images/s +1\.00x", out), out


def test_denormals_times_both_sides_with_the_share_it_planted():
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "denormals.py"), "--budget", "5k", "--share", "0.4",
                        "--steps", "1", "--batch", "8", "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = re.findall(r"^ +(\d+\.\d)% \| +[\d,]+ \| +[\d,]+ \| +\d+\.\d\dx$", p.stdout, re.M)
    assert len(rows) == 2 and float(rows[0]) == 0 and 35 < float(rows[1]) < 45, p.stdout


def test_cpu_allocator_times_both_sides():
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "cpu_allocator.py"), "--model", "resnet",
                        "--budget", "5k", "--steps", "1", "--batch", "8", "--threads", "1"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    # Which side faults more is for a real size to say (tests/test_train.py pins the setting's effect on one block).
    side = "as it comes|keeps freed memory|not glibc: unchanged"
    rows = re.findall(rf"^ +({side}) \| +[\d,]+ \| +[\d,]+ \| +\d+\.\d% \| +[\d,]+$", p.stdout, re.M)
    assert rows[0] == "as it comes" and len(rows) == 2, p.stdout
    assert re.search(r"kept / as it comes: \d+\.\d\dx images/s", p.stdout), p.stdout


def test_sweep_throughput_modes_train_the_same_runs(sample_dir):
    out = run_benchmark("sweep_throughput.py", sample_dir, "--runs", "2", "--seeds", "2", "--epochs", "1",
                        "--dataset", "cifar10_sample", "--train-limit", "256", "--workers", "2",
                        "--modes", "one,concurrent")
    for label in ("one at a time", "concurrent"):
        assert re.search(rf"{label} +2 runs  wall .* test acc \d+\.\d\d ± \d+\.\d\d%", out), out
    # On a CPU a run is deterministic, so two workers sharing the device must reproduce the sequential runs exactly.
    assert "concurrent minus one at a time: mean +0.00 points, max |diff| 0.00 points" in out, out


def run_gpu_round(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # The script calls python3: make that this interpreter, as an activated environment would.
    env = {**os.environ, "OUT": str(tmp_path / "out"),
           "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["sh", str(REPO / "benchmarks" / "gpu_round.sh"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_gpu_round_scripts_parse():
    for script in ("gpu_round.sh", "gpu_prepare.sh"):
        p = subprocess.run(["sh", "-n", str(REPO / "benchmarks" / script)], capture_output=True, text=True)
        assert p.returncode == 0, f"{script}: {p.stderr}"


def test_gpu_round_stops_in_one_line_before_any_gpu_work(tmp_path):
    p = run_gpu_round(tmp_path, str(tmp_path), "campain")
    assert p.returncode == 2
    assert p.stderr.strip() == ("gpu_round: unknown phase 'campain'; expected check, single, sweep, stacked or "
                                "campaign")
    # A bare machine (the reply said warm: false): no data came, so it says which call to start again from.
    empty = tmp_path / "data"
    empty.mkdir()
    p = run_gpu_round(tmp_path, str(empty), "single")
    assert p.returncode == 2
    assert p.stderr.strip() == (f"gpu_round: no CIFAR-10 in {empty} (a fresh machine?): make gpu_prepare.sh's "
                                "calls from call 1")
    assert not (tmp_path / "out" / "single" / "device.txt").exists()
