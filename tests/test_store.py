import csv
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import smallnets
from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.store import RunStore, cpu_model, environment, export_rows
from smallnets.train import RunResult


def fake_result(seed=0, test_acc=0.5, epochs=2, **cfg) -> RunResult:
    config = TrainConfig(dataset="cifar10_sample", epochs=epochs, **cfg)
    history = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1), "train_acc": 0.3, "val_loss": 1.2, "val_acc": 0.4,
                "lr": 0.1, "epoch_time_s": 1.0, "images_per_s": 100.0} for e in range(epochs)]
    return RunResult(config, seed, "finished", {"depth": 8, "width": 4}, history, val_acc=0.4, test_acc=test_acc,
                     selected_epoch=epochs, measures={"params_total": 1000, "params_nonzero": 990, "macs": 5000},
                     data={"data_label": "CIFAR-10 (exact 3,000-image sample)", "data_official": True,
                           "data_sha256": "ab" * 32})


def test_record_query_and_replace(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as store:
        rid = store.record(fake_result(seed=0), env={"x": 1})
        store.record(fake_result(seed=1))
        assert [r["seed"] for r in store.runs(dataset="cifar10_sample")] == [0, 1]
        assert len(store.epochs(rid)) == 2
        row = store.runs(seed=0)[0]
        assert row["params_total"] == 1000 and row["data_official"] == 1 and json.loads(row["env_json"]) == {"x": 1}
        assert json.loads(row["knobs_json"]) == {"depth": 8, "width": 4}
        # Recording the same config and seed again replaces the record and its epochs, never duplicates them.
        new_id = store.record(fake_result(seed=0, test_acc=0.6, epochs=2))
        assert len(store.runs(seed=0)) == 1 and store.runs(seed=0)[0]["test_acc"] == 0.6
        assert new_id == rid and len(store.epochs(rid)) == 2  # replaced in place: the id exports refer to stays
        # The same result recorded again (read back from its result.json by a later sweep) changes nothing: not the
        # id, not the environment of the machine that trained it.
        assert store.record(fake_result(seed=0, test_acc=0.6, epochs=2), env={"y": 2}) == rid
        assert json.loads(store.runs(seed=0)[0]["env_json"]) != {"y": 2} and len(store.runs()) == 2
        with pytest.raises(SmallnetsError, match="unknown run field"):
            store.runs(colour="red")


def test_a_failed_write_leaves_the_old_record(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as store:
        store.record(fake_result(seed=0, test_acc=0.5))
        broken = fake_result(seed=0, test_acc=0.9)
        del broken.history[1]["val_acc"]  # fails after the old row was deleted, inside the transaction
        with pytest.raises(KeyError):
            store.record(broken)
        rows = store.runs(seed=0)
        assert len(rows) == 1 and rows[0]["test_acc"] == 0.5 and len(store.epochs(rows[0]["id"])) == 2
    # Another connection sees the same committed state.
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_export_csv_and_json(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as store:
        store.record(fake_result(seed=0))
        rows = store.runs()
    parsed = list(csv.DictReader(io.StringIO(export_rows(rows, "csv", ("id", "seed", "test_acc")))))
    assert parsed == [{"id": "1", "seed": "0", "test_acc": "0.5"}]
    assert json.loads(export_rows(rows, "json"))[0]["config_hash"] == rows[0]["config_hash"]
    with pytest.raises(SmallnetsError, match="expected csv or json"):
        export_rows(rows, "xml")


def test_not_a_database(tmp_path):
    (tmp_path / "bad.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SmallnetsError, match="not a usable results database"):
        RunStore(tmp_path / "bad.sqlite")


def test_environment_has_versions():
    env = environment()
    assert env["torch"] and env["numpy"] and env["python"]
    assert env["torch_threads"] == torch.get_num_threads() >= 1 and env["cpu_count"] >= 1 and env["load_avg_1m"] >= 0
    assert env["cpu_capability"] == torch.backends.cpu.get_cpu_capability() and env["cpu_model"] == cpu_model()


@pytest.mark.parametrize("cpuinfo,expected", [
    ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu avx2\n\n"
     "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n", "AMD EPYC 7B13"),
    ("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n", "fallback"),  # ARM names no model
    (None, "fallback")])                                                               # no /proc (macOS, Windows)
def test_cpu_model_reads_the_kernels_name_or_falls_back_to_platform(tmp_path, monkeypatch, cpuinfo, expected):
    monkeypatch.setattr(platform, "processor", lambda: "fallback")
    path = tmp_path / "cpuinfo"
    if cpuinfo is not None:
        path.write_text(cpuinfo)
    assert cpu_model(path) == expected
    monkeypatch.setattr(platform, "processor", lambda: "")
    assert cpu_model(path) == (None if expected == "fallback" else expected)


@pytest.mark.parametrize("given,rev,dirty", [("abc123", "abc123", False), ("abc123+dirty", "abc123", True),
                                              ("", None, None)])
def test_a_copy_without_git_records_the_revision_it_was_given(tmp_path, given, rev, dirty):
    """The GPU machine gets the working tree without .git: its runs carry the revision gpu_prepare.sh wrote."""
    shutil.copytree(Path(smallnets.__file__).parent, tmp_path / "smallnets")
    code = "import json; from smallnets.store import environment; e = environment(); print(json.dumps(e))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path), "SMALLNETS_GIT_REV": given}).stdout
    env = json.loads(out)
    assert (env["git_rev"], env["git_dirty"]) == (rev, dirty)


def test_the_revision_is_the_one_the_process_started_with(tmp_path):
    """A run that ends after a commit made while it trained records the code it ran, not the new commit."""
    shutil.copytree(Path(smallnets.__file__).parent, tmp_path / "smallnets")
    who = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    git = {"cwd": tmp_path, "check": True, "capture_output": True, "text": True, "env": {**os.environ, **who}}
    subprocess.run(["git", "init", "-q"], **git)
    subprocess.run(["git", "add", "smallnets"], **git)
    subprocess.run(["git", "commit", "-qm", "first"], **git)
    code = ("import json, subprocess; from smallnets.store import environment; before = environment(); "
            "subprocess.run(['git', 'commit', '-q', '--allow-empty', '-m', 'later'], check=True); "
            "print(json.dumps([before['git_rev'], environment()['git_rev']]))")
    out = subprocess.run([sys.executable, "-c", code], **{**git, "env": {**git["env"], "PYTHONPATH": str(tmp_path)}})
    head = subprocess.run(["git", "rev-parse", "HEAD", "HEAD~1"], **git).stdout.split()
    assert json.loads(out.stdout) == [head[1], head[1]] and head[0] != head[1]


def test_many_stores_created_at_once(tmp_path):
    """Workers that start together all create the tables; none may fail for losing that race."""
    import threading
    errors = []

    def open_store():
        try:
            RunStore(tmp_path / "race.sqlite").close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_a_run_read_back_from_its_folder_keeps_its_record(sample, tmp_path):
    """A later sweep that finds a finished run's result.json records what it read: the same record, same id."""
    from smallnets.train import RunOptions, run_dir_for, train_run
    config = TrainConfig(dataset="cifar10_sample", model="mlp", budget=4000, epochs=1, train_limit=256,
                         val_size=200, batch_size=64)
    options = RunOptions(device="cpu", progress="none")
    with RunStore(tmp_path / "r.sqlite") as store:
        first = store.record(train_run(config, 0, run_dir_for(tmp_path, config, 0), options, dataset=sample))
        before = store.runs()[0]
        again = store.record(train_run(config, 0, run_dir_for(tmp_path, config, 0), options, dataset=sample),
                             env={"elsewhere": True})
        assert again == first and store.runs() == [before]


def _export(store) -> list[dict]:
    return json.loads(export_rows(store.runs(), "json"))


def test_import_rebuilds_a_database_from_its_export(tmp_path):
    """A results folder rebuilt from a committed runs.json holds the same records under the same ids, with their
    epochs, and later runs land after them."""
    with RunStore(tmp_path / "a.sqlite") as a:
        for seed in range(3):
            a.record(fake_result(seed=seed, test_acc=0.5 + seed / 10, epochs=seed + 1))
        with a.engine.begin() as conn:  # a gap in the ids, as a deleted run leaves
            conn.exec_driver_sql("DELETE FROM epochs WHERE run_id = 2")
            conn.exec_driver_sql("DELETE FROM runs WHERE id = 2")
        exported = _export(a)
        epochs = {r["id"]: a.epochs(r["id"]) for r in exported}
    with RunStore(tmp_path / "b.sqlite") as b:
        assert b.import_rows(exported) == {"added": 2, "present": 0, "renumbered": 0}
        assert _export(b) == exported and {r["id"]: b.epochs(r["id"]) for r in exported} == epochs
        assert [r["id"] for r in exported] == [1, 3]
        # Importing again adds nothing; a new run takes the next id, not one an imported run holds.
        assert b.import_rows(exported) == {"added": 0, "present": 2, "renumbered": 0}
        assert b.record(fake_result(seed=7)) == 4 and len(b.runs()) == 3


def test_import_keeps_what_is_there(tmp_path):
    with RunStore(tmp_path / "a.sqlite") as a:
        a.record(fake_result(seed=0))
        exported = _export(a)
    with RunStore(tmp_path / "b.sqlite") as b:
        b.record(fake_result(seed=5))  # holds id 1: the imported run gets a new id
        assert b.import_rows(exported) == {"added": 1, "present": 0, "renumbered": 1}
        assert [(r["id"], r["seed"]) for r in b.runs()] == [(1, 5), (2, 0)]
    with RunStore(tmp_path / "c.sqlite") as c:
        c.record(fake_result(seed=0, test_acc=0.9))  # the same config and seed with another result
        before = _export(c)
        with pytest.raises(SmallnetsError, match=r"seed 0\) is already in the database with a different result; "
                                                 "nothing was imported"):
            c.import_rows([dict(exported[0], seed=9, config_hash="f" * 32)] + exported)  # the new one first
        assert _export(c) == before
        with pytest.raises(SmallnetsError, match=r"x.json: run 0 lacks augment, budget, .* --all-columns`"):
            c.import_rows([{"id": 1, "seed": 0}], source="x.json")


def test_import_on_postgres_moves_the_id_sequence(tmp_path, postgres_url):
    import sqlalchemy as sa
    base = postgres_url.rsplit("/", 1)[0]
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE imported")
    engine.dispose()
    with RunStore(tmp_path / "a.sqlite") as a:
        for seed in range(3):
            a.record(fake_result(seed=seed))
        exported = _export(a)
    with RunStore(f"{base}/imported") as pg:
        assert pg.import_rows(exported)["added"] == 3
        # Without moving the sequence past the imported ids, this insert would take id 1 and fail.
        assert pg.record(fake_result(seed=3)) == 4
