"""Sweeps end to end: grid on SQLite, resume after SIGKILL, bad sweep files, search mode; PostgreSQL with two
worker processes and a worker killed mid-trial (skipped, with the reason, where PostgreSQL cannot be started)."""

import logging
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.store import RunStore
from smallnets.sweep import SweepSpec, Worker, load_spec, spec_from_dict
from smallnets.train import RunOptions

TINY_TRAIN = {"train_limit": 256, "val_size": 200, "batch_size": 64}
SPEC_TOML = """
name = "{name}"
datasets = ["cifar10_sample"]
families = ["resnet", "mlp"]
budgets = ["4k", "8k"]
optimizers = ["sgdm"]
seeds = [0, 1]
epochs = [{epochs}]
heartbeat_interval = 1
grace_period = 3

[train]
train_limit = 256
val_size = 200
batch_size = 64
"""


def complete_points(url: str, name: str) -> Counter:
    study = optuna.load_study(study_name=name, storage=url)
    return Counter(t.params["point"] for t in study.get_trials(states=(TrialState.COMPLETE,)))


def test_grid_sweep_on_sqlite_end_to_end(sample_dir, tmp_path):
    spec = spec_from_dict({"name": "g", "datasets": ["cifar10_sample"], "families": ["resnet", "mlp"],
                           "budgets": ["4k"], "optimizers": ["sgdm", "adam"], "seeds": [0], "epochs": [1],
                           "train": TINY_TRAIN})
    lines = []
    worker = Worker(spec, str(tmp_path / "results.sqlite"), tmp_path, RunOptions(progress="none",
                                                                                 data_dir=str(sample_dir)),
                    log=lines.append)
    counts = worker.run()
    worker.close()
    assert counts["done"] == 4 and counts["failed"] == 0 and counts["duplicate"] == 0
    assert "4/4 done" in lines[-1]
    url = f"sqlite:///{tmp_path / 'results.sqlite'}"
    assert set(complete_points(url, "g").values()) == {1} and len(complete_points(url, "g")) == 4
    with RunStore(tmp_path / "results.sqlite") as store:
        rows = store.runs()
    assert len(rows) == 4 and {r["model"] for r in rows} == {"resnet", "mlp"}
    assert all(r["params_total"] <= 4000 and r["status"] == "finished" for r in rows)
    # A relaunch finds nothing to do and trains nothing.
    again = Worker(spec, str(tmp_path / "results.sqlite"), tmp_path, RunOptions(progress="none",
                                                                                data_dir=str(sample_dir)))
    assert again.run()["done"] == 4 and again.finished_here == 0
    again.close()


def test_a_point_the_database_already_holds_is_not_trained_again(sample_dir, tmp_path):
    """A run recorded in the database without its run folder here (imported from an export, or trained on another
    machine) answers a new sweep's point as it answers `smallnets train`: training it again would replace the
    recorded result with another one under the same config and seed."""
    import shutil
    point = {"datasets": ["cifar10_sample"], "families": ["mlp"], "budgets": ["4k"], "epochs": [1], "seeds": [0],
             "train": TINY_TRAIN}
    first = Worker(spec_from_dict({"name": "first", **point}), str(tmp_path / "results.sqlite"), tmp_path,
                   RunOptions(progress="none", data_dir=str(sample_dir)))
    assert first.run()["done"] == 1
    first.close()
    with RunStore(tmp_path / "results.sqlite") as store:
        (before,) = store.runs()
    shutil.rmtree(tmp_path / "runs")
    lines = []  # no data here: a point that trained would fail to load its dataset
    second = Worker(spec_from_dict({"name": "second", **point}), str(tmp_path / "results.sqlite"), tmp_path,
                    RunOptions(progress="none", data_dir=str(tmp_path / "no-data")), log=lines.append)
    counts = second.run()
    (trial,) = second.study.get_trials()
    second.close()
    assert (counts["done"], counts["failed"]) == (1, 0)
    assert any(f"seed 0 already recorded (run {before['id']})" in line for line in lines)
    assert trial.user_attrs["run_id"] == before["id"] and trial.value == pytest.approx(before["val_acc"])
    with RunStore(tmp_path / "results.sqlite") as store:
        (after,) = store.runs()
    assert after == before
    assert not (tmp_path / "runs").exists()


def test_grid_skips_a_budget_its_family_cannot_meet(sample_dir, tmp_path):
    """A grid over every family and budget can ask a family for less than its smallest width: that point is pruned
    as infeasible (done for good, not failed) and the others train."""
    spec = spec_from_dict({"name": "small", "datasets": ["cifar10_sample"], "families": ["mlp"],
                           "budgets": [50, "4k"], "seeds": [0], "epochs": [1], "train": TINY_TRAIN})
    lines = []
    worker = Worker(spec, str(tmp_path / "results.sqlite"), tmp_path, RunOptions(progress="none",
                                                                                 data_dir=str(sample_dir)),
                    log=lines.append)
    counts = worker.run()
    worker.close()
    assert (counts["done"], counts["infeasible"], counts["failed"]) == (2, 1, 0)
    assert any("skipped cifar10_sample|mlp|50|" in line and "below the minimum of model 'mlp'" in line
               for line in lines)
    assert "2/2 done (1 infeasible)" in lines[-1]
    with RunStore(tmp_path / "results.sqlite") as store:
        assert [r["budget"] for r in store.runs()] == [4000]


def test_a_point_whose_recorded_seeds_were_another_model_fails_and_stays_to_run(sample_dir, tmp_path):
    """If the budget fitter changed since a config's runs were recorded, the sweep must not add seeds of a new model
    to them: that point fails with the reason (not infeasible, so a later sweep tries it again) and trains nothing."""
    import json
    import sqlite3
    options = RunOptions(progress="none", data_dir=str(sample_dir))
    point = {"datasets": ["cifar10_sample"], "families": ["mlp"], "budgets": ["4k"], "epochs": [1],
             "train": TINY_TRAIN}
    first = spec_from_dict({"name": "a", "seeds": [0], **point})
    worker = Worker(first, str(tmp_path / "results.sqlite"), tmp_path, options)
    assert worker.run()["done"] == 1
    worker.close()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        (knobs,), = db.execute("SELECT knobs_json FROM runs").fetchall()
        db.execute("UPDATE runs SET knobs_json = ?", (json.dumps({**json.loads(knobs), "hidden": 3}),))
    more_seeds = spec_from_dict({"name": "b", "seeds": [0, 1], **point})
    lines, optuna_records = [], []
    catch = logging.Handler()
    catch.emit = optuna_records.append
    logging.getLogger("optuna").addHandler(catch)
    try:
        worker = Worker(more_seeds, str(tmp_path / "results.sqlite"), tmp_path, options, log=lines.append)
        counts = worker.run()
    finally:
        logging.getLogger("optuna").removeHandler(catch)
    trials = worker.study.get_trials()
    worker.close()
    failed = [r for r in optuna_records if "because of the following error" in r.getMessage()]
    assert len(failed) == 2 and all("RecordedModelMismatch" in r.getMessage() for r in failed)
    assert all(r.exc_info is None for r in failed)  # Optuna's line stays, without a traceback from deep inside
    assert (counts["done"], counts["failed"], counts["infeasible"]) == (0, 2, 0)  # a point per seed on a CPU
    assert all("mix two models" in t.user_attrs["status"] for t in trials)
    assert any("recorded seed 0 was built as (bottleneck=0, hidden=3, layers=3)" in line for line in lines)
    with RunStore(tmp_path / "results.sqlite") as store:
        assert [r["seed"] for r in store.runs()] == [0]
    assert counts["unfinished"] == 2


def _two_seed_mlp_sweep(tmp_path, sample_dir, name: str) -> list[str]:
    """The `smallnets sweep` arguments of a sweep file with two one-epoch points (an mlp, seeds 0 and 1)."""
    sweep_file = tmp_path / f"{name}.toml"
    sweep_file.write_text(f'name = "{name}"\ndatasets = ["cifar10_sample"]\nfamilies = ["mlp"]\nbudgets = ["4k"]\n'
                          'epochs = [1]\nseeds = [0, 1]\n[train]\ntrain_limit = 256\nval_size = 200\n'
                          'batch_size = 64\n')
    return ["sweep", "--config", str(sweep_file), "--results", str(tmp_path), "--data-dir", str(sample_dir),
            "--device", "cpu", "--progress", "none"]


def test_failed_points_are_run_again_by_the_next_launch(sample_dir, tmp_path, capsys):
    """A point whose trial failed (here: its recorded seed was another model; an interrupted launch ends the same
    way) is not done: the launch says so and exits 1, and the next launch of the same command runs it again."""
    import json
    import sqlite3
    from smallnets.cli import main
    launch = _two_seed_mlp_sweep(tmp_path, sample_dir, "retry")
    assert main(launch + ["--max-trials", "1"]) == 0  # seed 0 only
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        (knobs,), = db.execute("SELECT knobs_json FROM runs").fetchall()
        db.execute("UPDATE runs SET knobs_json = ?", (json.dumps({**json.loads(knobs), "hidden": 3}),))
    capsys.readouterr()
    assert main(launch) == 1  # seed 1's point fails: its config's recorded seed was another model
    err = capsys.readouterr().err
    assert "sweep retry: 1 point(s) failed and are not done; run the same command again to re-run them" in err
    with sqlite3.connect(tmp_path / "results.sqlite") as db:  # the cause goes away
        db.execute("UPDATE runs SET knobs_json = ?", (knobs,))
    assert main(launch) == 0
    out = capsys.readouterr().out
    assert "2 done (0 infeasible), 0 running elsewhere, 0 waiting, 1 failed trial(s), 0 skipped" in out  # an error
    with RunStore(tmp_path / "results.sqlite") as store:
        assert sorted(r["seed"] for r in store.runs()) == [0, 1]
    study = optuna.load_study(study_name="retry", storage=f"sqlite:///{tmp_path / 'results.sqlite'}")
    assert [t.state for t in study.get_trials()].count(TrialState.FAIL) == 1  # the failure stays, with its reason


def test_a_summary_tells_an_interrupted_trial_from_an_error(sample_dir, tmp_path, capsys, monkeypatch):
    """Ctrl-C in the middle of a trial and an error in a run both leave a failed trial; each keeps why, and the
    summary counts the interrupted ones apart, so a sweep that finished after being stopped does not read as broken."""
    import smallnets.sweep as sweep_module
    from smallnets.cli import main
    launch = _two_seed_mlp_sweep(tmp_path, sample_dir, "stop")
    real_train_runs = sweep_module.train_runs

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    def boom(*args, **kwargs):
        raise RuntimeError("out of memory in the test")

    monkeypatch.setattr(sweep_module, "train_runs", stop)
    assert main(launch) == 130
    monkeypatch.setattr(sweep_module, "train_runs", boom)
    capsys.readouterr()
    assert main(launch) == 1  # both points fail: the interrupted one was queued again
    out = capsys.readouterr().out
    assert "0 done (0 infeasible), 0 running elsewhere, 0 waiting, 3 failed trial(s) (1 interrupted: stopped " \
           "mid-run, not an error)" in out
    monkeypatch.setattr(sweep_module, "train_runs", real_train_runs)
    assert main(launch) == 0
    out = capsys.readouterr().out
    assert "2 done (0 infeasible), 0 running elsewhere, 0 waiting, 3 failed trial(s) (1 interrupted" in out
    study = optuna.load_study(study_name="stop", storage=f"sqlite:///{tmp_path / 'results.sqlite'}")
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert [t.user_attrs["status"] for t in failed] == ["interrupted from the keyboard"] + 2 * [
        "failed: RuntimeError: out of memory in the test"]


def _sweep_cmd(spec_path, storage, results, sample_dir):
    return [sys.executable, "-m", "smallnets.cli", "sweep", "--config", str(spec_path), "--storage", storage,
            "--results", str(results), "--data-dir", str(sample_dir), "--device", "cpu", "--threads", "1"]


def _wait_for_running_trial(url, name, proc, timeout=120):
    """Until a trial of worker process `proc` is RUNNING."""
    pid = proc.pid
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker {pid} exited early: {proc.stderr.read()[-2000:]}")
        try:
            study = optuna.load_study(study_name=name, storage=url)
            for t in study.get_trials(states=(TrialState.RUNNING,)):
                if t.user_attrs.get("worker", "").endswith(f":{pid}"):
                    return t
        except (KeyError, Exception):  # the study may not exist yet
            pass
        time.sleep(0.05)
    raise AssertionError("no running trial appeared")


def _state(url, name, number):
    return optuna.load_study(study_name=name, storage=url).trials[number].state


def test_sqlite_sweep_resumes_after_sigkill(sample_dir, tmp_path):
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text(SPEC_TOML.format(name="k", epochs=3))
    url = f"sqlite:///{tmp_path / 'results.sqlite'}"
    cmd = _sweep_cmd(spec_path, url, tmp_path, sample_dir)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_trial = _wait_for_running_trial(url, "k", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _state(url, "k", killed_trial.number) == TrialState.RUNNING  # killed mid-trial
    relaunch = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    assert "1 failed trial(s) (1 interrupted: stopped mid-run, not an error)" in relaunch.stdout
    points = complete_points(url, "k")
    assert len(points) == 8 and set(points.values()) == {1}  # every point complete exactly once
    study = optuna.load_study(study_name="k", storage=url)
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert [t.number for t in failed] == [killed_trial.number]  # the killed trial was failed and re-run
    with RunStore(url) as store:
        rows = store.runs()
    assert len(rows) == 8 and len({(r["config_hash"], r["seed"]) for r in rows}) == 8


@pytest.mark.parametrize("filename,text,needle", [
    ("bad.toml", 'name = "x"\nfamilies = ["resnet", "alexnet"]\n',
     r"bad.toml: unknown family 'alexnet'; expected one of: "),
    ("bad.toml", 'name = "x"\nbudgets = ["10q"]\n', "budget '10q' is not a count"),
    ("bad.toml", 'name = "x"\ncolour = "red"\n', "unknown key\\(s\\) colour"),
    ("bad.toml", 'name = "x\n', "not valid TOML"),
    ("s.yaml", "name: y\nfamilies: [mlp]\ntrain: {val_size: 0}\n", "val_size must be > 0"),
    ("s.yaml", "name: y\nfamilies: [mlp]\ntrain: {epochz: 3}\n", "unknown train setting"),
    # Every combination is checked, not only the first: here the second augment value cannot take the cutout.
    ("bad.toml", 'name = "x"\naugment = [true, false]\n[train]\ncutout = 16\n', "sweep 'x': cutout needs augment"),
    ("bad.toml", 'name = "x"\nepochs = [30, 2]\n[train]\nwarmup_epochs = 5\n', "warm-up epochs must be in 0..epochs"),
])
def test_bad_sweep_files(tmp_path, filename, text, needle):
    bad = tmp_path / filename
    bad.write_text(text)
    with pytest.raises(SmallnetsError, match=needle):
        load_spec(bad)


def test_sweep_file_scalars_missing_file_and_cli_exit_code(tmp_path):
    yml = tmp_path / "s.yaml"
    yml.write_text("name: y\nfamilies: mlp\nbudgets: 20k\n")
    assert load_spec(yml).families == ("mlp",) and load_spec(yml).budgets == (20_000,)
    with pytest.raises(SmallnetsError, match="not found"):
        load_spec(tmp_path / "missing.toml")
    from smallnets.cli import main
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x\n')
    assert main(["sweep", "--config", str(bad)]) == 2


def test_search_mode_multi_objective(sample_dir, tmp_path):
    spec = SweepSpec(name="s", mode="search", datasets=("cifar10_sample",), families=("mlp", "resnet"),
                     budgets=(3_000, 20_000), optimizers=("sgdm", "adam"), epochs=(1,), trials=5, sampler="tpe",
                     sampler_seed=3, train=tuple(TINY_TRAIN.items()))
    worker = Worker(spec, str(tmp_path / "r.sqlite"), tmp_path, RunOptions(progress="none", data_dir=str(sample_dir)),
                    log=lambda _: None)
    worker.run()
    worker.close()
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'r.sqlite'}")
    finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert len(finished) == 5
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert complete and all(len(t.values) == 2 and t.values[1] <= 20_000 for t in complete)
    assert study.best_trials  # the Pareto set of (val acc up, parameters down)


def test_a_search_stops_on_an_error_instead_of_counting_it_infeasible(sample_dir, tmp_path, capsys):
    """A search whose dataset is missing used to prune every trial as 'infeasible' and end as if done, with exit 0.
    Now the first trial fails with the reason, the search stops and says so (exit 1), and the relaunch, once the data
    is there, runs the trials it owes; a budget the family cannot meet is still infeasible, not a failure."""
    from smallnets.cli import main
    sweep_file = tmp_path / "search.toml"
    sweep_file.write_text('name = "search"\nmode = "search"\ntrials = 3\ndatasets = ["cifar10_sample"]\n'
                          'families = ["mlp", "resnet"]\nbudgets = ["100", "8k"]\nepochs = [1]\n[train]\n'
                          'train_limit = 256\nval_size = 200\nbatch_size = 64\n')
    launch = ["sweep", "--config", str(sweep_file), "--results", str(tmp_path), "--device", "cpu",
              "--progress", "none", "--data-dir"]
    assert main(launch + [str(tmp_path / "no-data")]) == 1
    captured = capsys.readouterr()
    assert "1 failed trial(s)" in captured.out
    assert "a trial failed (the reason is above), so the search stopped with 3 trial(s) to go" in captured.err
    study = optuna.load_study(study_name="search", storage=f"sqlite:///{tmp_path / 'results.sqlite'}")
    failed, = study.get_trials(states=(TrialState.FAIL,))
    assert failed.user_attrs["status"].startswith("failed: CIFAR-10 (exact 3,000-image sample) not found")
    assert main(launch + [str(sample_dir)]) == 0
    done = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert len(done) == 3
    kinds = sorted(t.user_attrs["status"].split(":")[0] for t in done)
    assert kinds == ["finished", "finished", "infeasible"]  # a fixed sampler seed: one budget below its family's least


# ---- PostgreSQL ------------------------------------------------------------------------------------------------------

# The postgres_url fixture (a real server on a loopback port) is in conftest.py.


def test_two_workers_on_postgres_with_one_killed(sample_dir, tmp_path, postgres_url):
    """Two worker processes share one study; one is SIGKILLed mid-trial; every point is completed exactly once."""
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text(SPEC_TOML.format(name="pg", epochs=3))
    cmd = _sweep_cmd(spec_path, postgres_url, tmp_path, sample_dir)
    a = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    b = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed_trial = _wait_for_running_trial(postgres_url, "pg", a)
    a.send_signal(signal.SIGKILL)
    a.wait()
    assert _state(postgres_url, "pg", killed_trial.number) in (TrialState.RUNNING, TrialState.FAIL)  # mid-trial
    out, err = b.communicate(timeout=300)
    assert b.returncode == 0, err
    points = complete_points(postgres_url, "pg")
    assert len(points) == 8 and set(points.values()) == {1}
    study = optuna.load_study(study_name="pg", storage=postgres_url)
    assert killed_trial.number in [t.number for t in study.get_trials(states=(TrialState.FAIL,))]
    workers = Counter(t.user_attrs["worker"].split(":")[1] for t in study.get_trials(states=(TrialState.COMPLETE,)))
    assert str(b.pid) in workers  # the survivor finished the rest, the killed trial included
    with RunStore(postgres_url) as store:
        rows = store.runs()
    assert len(rows) == 8 and len({(r["config_hash"], r["seed"]) for r in rows}) == 8
    assert all(r["status"] == "finished" for r in rows)


def test_two_workers_share_postgres_without_duplicates(sample_dir, tmp_path, postgres_url):
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text(SPEC_TOML.format(name="pg2", epochs=1))
    cmd = _sweep_cmd(spec_path, postgres_url, tmp_path, sample_dir)
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    points = complete_points(postgres_url, "pg2")
    assert len(points) == 8 and set(points.values()) == {1}
    study = optuna.load_study(study_name="pg2", storage=postgres_url)
    workers = {t.user_attrs["worker"] for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert len(workers) == 2  # both did work


POP_QUEUE = """
import sys, time, optuna
from smallnets.sweep import SweepSpec, make_storage
url, queued, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
study = optuna.load_study(study_name="pop", storage=make_storage(url, SweepSpec(name="pop", datasets=("cifar10_sample",))))
time.sleep(max(0.0, start_at - time.time()))  # every process asks at the same moment
popped = []
while (trial := study.ask()).number < queued:  # past the queue, ask() makes a new trial: the queue is empty
    popped.append(trial.number)
print(" ".join(map(str, popped)))
"""


def test_queued_trials_go_to_one_worker_each_on_sqlite(tmp_path):
    """Four processes pop one SQLite queue at once: each queued trial goes to exactly one of them (Python's sqlite3
    began transactions only at the first write, so two could read WAITING and both take the trial)."""
    from smallnets.sweep import make_storage
    url = f"sqlite:///{tmp_path / 'queue.sqlite'}"
    spec = SweepSpec(name="pop", datasets=("cifar10_sample",))
    study = optuna.create_study(study_name="pop", storage=make_storage(url, spec))
    queued = 60
    for i in range(queued):
        study.enqueue_trial({"i": i})
    start_at = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", POP_QUEUE, url, str(queued), str(start_at)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    popped = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        popped += [int(n) for n in out.split()]
    assert sorted(popped) == list(range(queued)), Counter(popped).most_common(3)


def test_concurrent_executor_two_workers_on_cpu(sample_dir, tmp_path, capsys):
    """`--workers 2` runs two worker processes on one study; each point is trained once, by one of them."""
    from smallnets.cli import main
    spec_path = tmp_path / "sweep.toml"
    spec_path.write_text(SPEC_TOML.format(name="c", epochs=1))
    argv = ["sweep", "--config", str(spec_path), "--results", str(tmp_path), "--data-dir", str(sample_dir),
            "--device", "cpu", "--workers", "2", "--threads", "1"]
    assert main(argv) == 0
    assert "2 workers (1 CPU thread(s) each)" in capsys.readouterr().out
    url = f"sqlite:///{tmp_path / 'results.sqlite'}"
    points = complete_points(url, "c")
    assert len(points) == 8 and set(points.values()) == {1}
    study = optuna.load_study(study_name="c", storage=url)
    assert len({t.user_attrs["worker"] for t in study.get_trials(states=(TrialState.COMPLETE,))}) == 2
    assert len(list((tmp_path / "sweep-logs").glob("c-worker*.log"))) == 2
    with RunStore(url) as store:
        assert len(store.runs()) == 8
    assert main(argv[:-4] + ["--workers", "0"]) == 2


def test_choose_workers_on_cpu_is_one():
    from smallnets.sweep import choose_workers
    spec = SweepSpec(name="x", datasets=("cifar10_sample",), families=("mlp",), budgets=(10_000,))
    assert choose_workers(spec, "cpu") == 1


def test_lr_scales_give_every_optimizer_the_same_tuning():
    spec = SweepSpec(name="o", datasets=("cifar10_sample",), families=("mlp",), budgets=(10_000,),
                     optimizers=("sgdm", "adam"), lr_scales=(0.3, 1.0, 3.0))
    grid = spec.grid()
    assert len(grid) == 6
    lrs = {(c.optimizer, round(c.peak_lr, 6)) for (c, _), in grid.values()}
    assert lrs == {("sgdm", 0.03), ("sgdm", 0.1), ("sgdm", 0.3), ("adam", 0.0003), ("adam", 0.001), ("adam", 0.003)}
    plain = SweepSpec(name="p", datasets=("cifar10_sample",), families=("mlp",), budgets=(10_000,))
    ((plain_config, _),), = plain.grid().values()
    assert plain_config.hash in {c.hash for (c, _), in grid.values()}  # scale 1.0 is the plain run, same hash
    with pytest.raises(SmallnetsError, match="either train.lr or lr_scales"):
        SweepSpec(name="x", datasets=("cifar10_sample",), lr_scales=(0.5, 1.0), train=(("lr", 0.1),))


def test_lr_scale_names_the_rate_as_written():
    spec = SweepSpec(name="x", datasets=("cifar10_sample",), families=("mlp",), budgets=(5_000,), lr_scales=(0.1, 0.3))
    configs = [config for (config, _), in spec.grid().values()]
    assert sorted(c.lr for c in configs) == [0.01, 0.03]  # not 0.010000000000000002
    plain = TrainConfig(dataset="cifar10_sample", model="mlp", budget=5_000, lr=0.01)
    assert plain.hash in {c.hash for c in configs}


def test_a_study_made_before_a_new_sweep_setting_can_still_be_joined(tmp_path):
    import json
    from smallnets.sweep import open_study
    url = f"sqlite:///{tmp_path / 'o.db'}"
    spec = SweepSpec(name="old", datasets=("cifar10_sample",), families=("mlp",), budgets=(4_000,))
    study = open_study(spec, url)
    stored = json.loads(study.user_attrs["spec"])
    del stored["stack_seeds"]  # as written by a version without the setting
    study.set_user_attr("spec", json.dumps(stored))
    assert len(open_study(spec, url).trials) == 1  # at its default the new setting is the same sweep
    with pytest.raises(SmallnetsError, match="already exists with a different sweep"):
        open_study(SweepSpec(name="old", datasets=("cifar10_sample",), families=("mlp",), budgets=(4_000,),
                             stack_seeds=True), url)


def test_postgres_store_replaces_a_run_in_place(postgres_url):
    """On PostgreSQL too: a re-recorded run keeps its id, and the runs recorded after it get new ones."""
    from .test_store import fake_result
    with RunStore(postgres_url) as store:
        first = store.record(fake_result(seed=7, test_acc=0.5, epochs=3))
        assert store.record(fake_result(seed=7, test_acc=0.6, epochs=3)) == first
        assert store.record(fake_result(seed=7, test_acc=0.6, epochs=3)) == first
        other = store.record(fake_result(seed=8, epochs=3))
        assert other > first
        rows = store.runs(config_hash=fake_result(epochs=3).config.hash)
    assert [(r["id"], r["seed"], r["test_acc"]) for r in rows] == [(first, 7, 0.6), (other, 8, 0.5)]


def test_dry_run_plans_the_grid_without_writing_and_sees_what_the_study_did(sample_dir, tmp_path, capsys):
    """`sweep --dry-run` lists every point with the size its model will have, reads the study without creating one,
    marks the points a worker finished, flags a budget a family cannot meet, and refuses a changed sweep."""
    from smallnets.cli import main
    sweep_file = tmp_path / "plan.toml"
    sweep_file.write_text(SPEC_TOML.format(name="plan", epochs=1))
    results = tmp_path / "results"
    args = ["sweep", "--config", str(sweep_file), "--results", str(results), "--dry-run"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "no study yet" in out and "8 point(s), 8 run(s): 8 run(s) to train" in out
    assert not results.exists()  # a plan writes nothing, not even the results folder

    worker = Worker(load_spec(sweep_file), str(results / "results.sqlite"), results,
                    RunOptions(progress="none", data_dir=str(sample_dir)))
    worker.run(max_trials=1)
    worker.close()
    with RunStore(results / "results.sqlite") as store:
        (trained,) = store.runs()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "1 of 8 point(s) done" in out and "7 run(s) to train" in out
    done_lines = [line for line in out.splitlines() if line.strip().startswith("done")]
    assert len(done_lines) == 1
    assert f"|{trained['model']}|{trained['budget']}|" in done_lines[0]
    assert f"{trained['params_total']:,}" in done_lines[0]  # the plan's size is the trained model's

    # A run the database holds but this study did not train (imported, or another study's): the sweep takes it from
    # the database, and the plan says so instead of counting it as training to do.
    other = tmp_path / "other.toml"
    other.write_text(SPEC_TOML.format(name="other", epochs=1))
    assert main(["sweep", "--config", str(other), "--results", str(results), "--dry-run"]) == 0
    out = capsys.readouterr().out
    recorded_lines = [line for line in out.splitlines() if line.strip().startswith("recorded")]
    assert len(recorded_lines) == 1 and f"|{trained['model']}|{trained['budget']}|" in recorded_lines[0]
    assert "7 run(s) to train; 1 run(s) already in the database, which the sweep takes from it" in out

    capsys.readouterr()
    assert main(args + ["--budgets", "4k,50"]) == 2  # another sweep under the same name
    assert "already exists with a different sweep" in capsys.readouterr().err
    assert main(args + ["--name", "tiny", "--budgets", "50,4k"]) == 0
    out = capsys.readouterr().out
    assert out.count("infeasible") == 4 + 1 and "below the minimum of model 'resnet'" in out
    assert ("3 run(s) to train; 1 run(s) already in the database, which the sweep takes from it; "
            "4 point(s) infeasible, which the sweep skips") in out
    assert main(args + ["--mode", "search"]) == 2


SHIPPED_SWEEPS = sorted(Path(__file__).resolve().parent.parent.glob("sweeps/*.toml"))


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=[p.stem for p in SHIPPED_SWEEPS])
def test_shipped_sweep_files_load_and_every_point_fits_its_budget(path):
    """The campaign files are what a GPU session runs unattended: one that does not load, or a family that cannot
    reach a budget, would cost a device call to find out."""
    from smallnets.data import SPECS
    from smallnets.models import fit_budget

    spec = load_spec(path)
    points = spec.grid()
    assert points and all(members for members in points.values())
    for dataset, family, budget in {(c.dataset, c.model, c.budget) for ms in points.values() for c, _ in ms}:
        fit = fit_budget(family, budget, **SPECS[dataset].model_kwargs)
        assert fit.params <= budget, (family, budget)
