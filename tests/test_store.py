import csv
import io
import json
import sqlite3

import pytest
import torch

from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.store import RunStore, environment, export_rows
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
