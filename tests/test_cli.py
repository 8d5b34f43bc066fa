import json
import platform
import subprocess
import sys

import pytest

from smallnets.cli import main
from smallnets.config import TrainConfig
from smallnets.store import RunStore
from smallnets.train import run_dir_for


@pytest.mark.parametrize("argv,needle", [
    (["train", "--model", "nope"], "unknown model 'nope'; expected one of: "),
    (["train", "--model", "resnet", "--budget", "10q"], "budget '10q' is not a count like 100000, 100k or 1.5M"),
    (["train", "--model", "resnet", "--epochs", "-1"], "epochs must be >= 1, got -1"),
    (["train", "--model", "resnet", "--cutout", "16"], "cutout needs augment (it adds to the crop+flip recipe)"),
    (["train", "--model", "resnet", "--optimizer", "sgd"], "invalid choice: 'sgd' (choose from 'sgdm'"),
    (["train", "--model", "resnet", "--dataset", "cifar11"], "invalid choice: 'cifar11'"),
    (["train", "--model", "resnet", "--dataset", "cifar100", "--no-download", "--data-dir", "/nonexistent"],
     "CIFAR-100 not found: put /nonexistent/cifar-100-python.tar.gz"),
    (["train", "--model", "resnet", "--seeds", "0,x"], "--seeds must be whole numbers like 0,1,2, got '0,x'"),
    (["sweep", "--name", "s", "--families", "resnet", "--budgets", "10k", "--seeds", "a"],
     "--seeds must be whole numbers like 0,1,2, got 'a'"),
    (["sweep", "--name", "s", "--families", "resnet", "--budgets", "10k", "--epochs", "1.5"],
     "--epochs must be whole numbers like 10,30, got '1.5'"),
    (["measure", "--model", "resnet", "--budget", "50"], "below the minimum of model 'resnet'"),
    (["measure", "--model", "resnet", "--knob", "depth"], "knob 'depth' must look like name=value"),
    (["runs", "--results", "/nonexistent"], "no results database at /nonexistent/results.sqlite"),
    (["models", "--pattern", "zzz*"], "no model family matches 'zzz*'"),
    (["runs", "--import", "/nonexistent.json", "--storage", "sqlite:///:memory:"],
     "/nonexistent.json: not a readable JSON export of runs"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_input_from_a_real_process():
    p = subprocess.run([sys.executable, "-m", "smallnets.cli", "train", "--model", "resnet", "--budget", "10q"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.strip().startswith("smallnets: error: budget '10q'") and not p.stdout


@pytest.mark.parametrize("argv", [["measure", "--model", "resnet", "--budget", "10k"], ["datasets"], ["models"],
                                  ["models", "--budget", "10k"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(argv):
    """`smallnets ... | head` closes the pipe early: the command stops with the shell's SIGPIPE status and no
    traceback (it printed two: one from the print, one from Python flushing stdout at exit). The tables that rich
    prints (models, runs) exited 1, rich's own answer to a broken pipe."""
    p = subprocess.Popen([sys.executable, "-m", "smallnets.cli", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # before the command's first line: every write it makes meets a closed pipe
    err = p.stderr.read()
    assert p.wait() == 141
    assert err == ""


def test_train_runs_and_export(sample_dir, tmp_path, capsys):
    results = tmp_path / "res"
    argv = ["train", "--model", "resnet", "--budget", "10k", "--dataset", "cifar10_sample", "--epochs", "2",
            "--train-limit", "256", "--batch-size", "64", "--data-dir", str(sample_dir), "--results", str(results)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "CIFAR-10 (exact 3,000-image sample)" in out and "test " in out and "params " in out
    assert main(argv) == 0
    assert "already recorded" in capsys.readouterr().out

    assert main(["runs", "--results", str(results), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["params_total"] <= 10_000 and rows[0]["status"] == "finished"
    with RunStore(results / "results.sqlite") as store:  # the command kept malloc's freed memory, and says so
        env = json.loads(store.runs()[0]["env_json"])
    assert env["malloc_keeps_freed"] is (platform.libc_ver()[0] == "glibc") and env["flush_denormal"] is True
    assert main(["runs", "--results", str(results), "--format", "csv", "--output", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text().startswith("id,config_hash,seed,status")
    assert main(["runs", "--results", str(results)]) == 0
    assert "1 run(s)" in capsys.readouterr().out
    # A filter on a family that does not exist is a typo to point at, not an empty table.
    assert main(["runs", "--results", str(results), "--model", "resnt"]) == 2
    assert "unknown model 'resnt'; expected one of:" in capsys.readouterr().err
    assert main(["runs", "--results", str(results), "--model", "mlp"]) == 0
    assert "0 run(s)" in capsys.readouterr().out
    # --storage: the run is recorded in that database (shared by many machines when it is PostgreSQL), not the
    # folder's; the folder still holds the run's files.
    shared = tmp_path / "shared.sqlite"
    assert main([*argv, "--seed", "1", "--storage", str(shared)]) == 0
    assert str(shared) in capsys.readouterr().out
    assert main(["runs", "--storage", str(shared), "--format", "json"]) == 0
    assert [r["seed"] for r in json.loads(capsys.readouterr().out)] == [1]
    assert main(["runs", "--results", str(results)]) == 0 and "1 run(s)" in capsys.readouterr().out
    # An all-columns export rebuilds the database elsewhere: the same rows, and a second import adds nothing.
    export = tmp_path / "runs.json"
    assert main(["runs", "--results", str(results), "--format", "json", "--all-columns", "--output", str(export)]) == 0
    rebuilt = ["--results", str(tmp_path / "rebuilt")]
    assert main(["runs", "--import", str(export), *rebuilt]) == 0
    assert "1 run(s) added" in capsys.readouterr().out
    assert main(["runs", "--import", str(export), *rebuilt]) == 0
    again = capsys.readouterr().out
    assert "0 run(s) added" in again and "1 already there" in again
    assert main(["runs", *rebuilt, "--format", "json", "--all-columns"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(export.read_text())
    # An export written as .xz (how superseded rounds keep theirs) is compressed and imports the same rows.
    packed = tmp_path / "runs.json.xz"
    assert main(["runs", "--results", str(results), "--format", "json", "--all-columns", "--output", str(packed)]) == 0
    assert packed.read_bytes().startswith(b"\xfd7zXZ")
    unpacked = ["--results", str(tmp_path / "from-xz")]
    assert main(["runs", "--import", str(packed), *unpacked]) == 0 and "1 run(s) added" in capsys.readouterr().out
    assert main(["runs", *unpacked, "--format", "json", "--all-columns"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(export.read_text())
    (tmp_path / "cut.json.xz").write_bytes(packed.read_bytes()[:40])  # an interrupted copy
    assert main(["runs", "--import", str(tmp_path / "cut.json.xz"), *unpacked]) == 2
    assert "cut.json.xz: not a readable JSON export of runs" in capsys.readouterr().err


def test_a_config_whose_model_changed_since_its_runs_is_refused(sample_dir, tmp_path, capsys):
    """A config hash holds the budget, not the fitted width: if the fitter builds another model than the recorded
    seeds' (a new smallnets version, an imported export), new seeds must not be averaged with the old ones."""
    import sqlite3
    results = tmp_path / "res"
    argv = ["train", "--model", "resnet", "--budget", "10k", "--dataset", "cifar10_sample", "--epochs", "1",
            "--train-limit", "128", "--batch-size", "64", "--data-dir", str(sample_dir), "--results", str(results)]
    assert main(argv) == 0
    db = sqlite3.connect(results / "results.sqlite")
    (knobs,), = db.execute("SELECT knobs_json FROM runs").fetchall()
    older = {**json.loads(knobs), "width": json.loads(knobs)["width"] + 1}
    with db:
        db.execute("UPDATE runs SET knobs_json = ?", (json.dumps(older),))
    capsys.readouterr()
    assert main(argv + ["--seeds", "0,1"]) == 2  # seed 0 is recorded; seed 1 would be new
    err = capsys.readouterr().err
    assert "recorded seed 0 was built as" in err and "mix two models" in err and err.count("\n") == 1
    assert db.execute("SELECT seed FROM runs").fetchall() == [(0,)]
    # Retraining every seed replaces the old model's runs, so nothing mixes.
    assert main(argv + ["--seeds", "0,1", "--force"]) == 0
    rows = db.execute("SELECT seed, knobs_json FROM runs ORDER BY seed").fetchall()
    assert [s for s, _ in rows] == [0, 1] and all(json.loads(k) == json.loads(knobs) for _, k in rows)
    # A knob added to the family since (here: at its default) does not make the old runs another model.
    with db:
        db.execute("UPDATE runs SET knobs_json = ?", (json.dumps({k: v for k, v in json.loads(knobs).items()
                                                                   if k != "shortcut"}),))
    assert main(argv + ["--seeds", "2"]) == 0
    assert db.execute("SELECT seed FROM runs ORDER BY seed").fetchall() == [(0,), (1,), (2,)]


def test_recount_puts_right_the_macs_an_older_counter_recorded(sample_dir, tmp_path, capsys):
    """Runs recorded before a counting fix (transformers counted without their attention matmuls on a CPU) get
    this version's MACs in the database row, the stored result and the run's result.json together, and nothing
    else of the record changes."""
    import sqlite3
    from smallnets.measure import count_flops
    from smallnets.train import meta_model
    results = tmp_path / "res"
    common = ["--budget", "10k", "--dataset", "cifar10_sample", "--epochs", "1", "--train-limit", "128",
              "--batch-size", "64", "--data-dir", str(sample_dir), "--results", str(results)]
    assert main(["train", "--model", "vit_s", "--optimizer", "adamw", *common]) == 0
    assert main(["train", "--model", "resnet", *common]) == 0
    db = sqlite3.connect(results / "results.sqlite")
    (vit_id, config_json, right, result_json), = db.execute(
        "SELECT id, config_json, macs, result_json FROM runs WHERE model = 'vit_s'").fetchall()
    config = TrainConfig.from_dict(json.loads(config_json))
    assert right == count_flops(meta_model(config), (3, 32, 32))["macs"]
    # What an older counter recorded: fewer MACs, in all three places.
    old = right - 1000
    recorded = json.loads(result_json)
    recorded["measures"].update(macs=old, flops=2 * old)
    with db:
        db.execute("UPDATE runs SET macs = ?, flops = ?, result_json = ? WHERE id = ?",
                   (old, 2 * old, json.dumps(recorded), vit_id))
    result_file = run_dir_for(results, config, 0) / "result.json"
    on_disk = json.loads(result_file.read_text())
    on_disk["measures"].update(macs=old, flops=2 * old)
    result_file.write_text(json.dumps(on_disk))
    before = db.execute("SELECT * FROM runs ORDER BY id").fetchall()
    capsys.readouterr()

    assert main(["runs", "--recount", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert f"run {vit_id} vit_s" in out and f"MACs {old:,} -> {right:,}" in out and out.count("MACs") == 1
    assert "recounted 2 finished run(s)" in out and "1 changed, 1 result.json file(s) rewritten, 0 left alone" in out
    after = db.execute("SELECT * FROM runs ORDER BY id").fetchall()
    columns = [c[1] for c in db.execute("PRAGMA table_info(runs)")]
    changed = {columns[i] for a, b in zip(before, after) for i in range(len(columns)) if a[i] != b[i]}
    assert changed == {"macs", "flops", "result_json"}  # id, accuracies, environment and date stay the training's
    (macs, flops, result_json), = db.execute(
        "SELECT macs, flops, result_json FROM runs WHERE id = ?", (vit_id,)).fetchall()
    stored = json.loads(result_json)
    assert (macs, flops) == (right, 2 * right) and stored["measures"]["macs"] == right
    assert stored["measures"]["recount"]["macs_before"] == old
    assert {**stored, "measures": None} == {**recorded, "measures": None}
    assert json.loads(result_file.read_text())["measures"] == stored["measures"]
    # Counting again finds nothing to change.
    assert main(["runs", "--recount", "--results", str(results)]) == 0
    assert "0 changed, 0 result.json file(s) rewritten, 0 left alone" in capsys.readouterr().out
    # An export made before the recount does not go into the recounted database, and the refusal says why.
    export = tmp_path / "before.json"
    with db:  # the old record, back for a moment to export it
        db.execute("UPDATE runs SET result_json = ? WHERE id = ?", (json.dumps(recorded), vit_id))
    assert main(["runs", "--results", str(results), "--format", "json", "--all-columns", "--output", str(export)]) == 0
    with db:
        db.execute("UPDATE runs SET result_json = ? WHERE id = ?", (result_json, vit_id))
    capsys.readouterr()
    assert main(["runs", "--import", str(export), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported; only its measures differ" in err and "--recount" in err
    # Knobs that no longer build a model of the recorded size are another model: that run is left alone, said so.
    stored["knobs"]["dim"] += 8
    with db:
        db.execute("UPDATE runs SET result_json = ? WHERE id = ?", (json.dumps(stored), vit_id))
    assert main(["runs", "--recount", "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert f"left alone: run {vit_id}: vit_s run" in out and "not recounted" in out and "1 left alone" in out


def test_measure_models_and_datasets(sample_dir, tmp_path, capsys):
    assert main(["measure", "--model", "resnet", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["params_total"] == 269_722 and m["macs"] * 2 == m["flops"]
    assert main(["models", "--budget", "100k", "--json"]) == 0
    fits = json.loads(capsys.readouterr().out)
    assert all(f["params"] <= 100_000 for f in fits)
    (tmp_path / "cifar10_exact_sample.npz").symlink_to(sample_dir / "cifar10_exact_sample.npz")
    assert main(["datasets", "--data-dir", str(tmp_path), "--check"]) == 0
    out = capsys.readouterr().out
    assert "cifar10_sample" in out and "ok: 2,000 train / 1,000 test" in out


def test_jpeg_gap_command(sample_dir, tmp_path, capsys):
    if not (sample_dir / "cifar10_jpeg_lossy.npz.xz").is_file():
        pytest.skip("cifar10_jpeg_lossy.npz.xz not found beside the sample")
    res = ["--results", str(tmp_path), "--data-dir", str(sample_dir)]
    assert main(["train", "--model", "shallow_cnn", "--budget", "5k", "--dataset", "cifar10", "--epochs", "1",
                 "--train-limit", "2000", "--val-size", "500", "--device", "cpu", *res]) == 0
    capsys.readouterr()
    assert main(["jpeg-gap", *res, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert 0 <= row["exact_acc"] <= 1 and 0 <= row["jpeg_acc"] <= 1 and row["model"] == "shallow_cnn"
    assert abs(row["exact_minus_jpeg"]) < 0.1 and row["images"] == 1000 and row["seed"] == 0
    # The accuracy difference is exactly the images that flip one way minus those that flip the other.
    assert row["exact_minus_jpeg"] * 1000 == pytest.approx(row["right_only_exact"] - row["right_only_jpeg"], abs=1e-6)
    assert row["exact_acc"] - row["jpeg_acc"] == pytest.approx(row["exact_minus_jpeg"], abs=1e-6)
    assert main(["jpeg-gap", *res]) == 0
    assert "mean difference over 1 run(s)" in capsys.readouterr().out
    # One evaluation gives both forms: the text on stdout and the rows --json prints in the file.
    assert main(["jpeg-gap", *res, "--json-out", str(tmp_path / "gap.json")]) == 0
    assert "mean difference over 1 run(s)" in capsys.readouterr().out
    assert json.loads((tmp_path / "gap.json").read_text()) == [row]
    assert main(["jpeg-gap", *res, "--json-out", str(tmp_path / "no" / "such" / "gap.json")]) == 2
    assert "--json-out" in capsys.readouterr().err
    # With an augmentation run too, each track has its own front, and the default evaluates both.
    assert main(["train", "--model", "shallow_cnn", "--budget", "5k", "--dataset", "cifar10", "--epochs", "1",
                 "--train-limit", "2000", "--val-size", "500", "--device", "cpu", "--augment", *res]) == 0
    capsys.readouterr()
    assert main(["jpeg-gap", *res, "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert sorted(r["augment"] for r in both) == [False, True]
    assert main(["jpeg-gap", *res, "--runs", "99"]) == 2
    assert main(["jpeg-gap", *res, "--runs", "3,seven"]) == 2
    assert "--runs must be run ids like 3,7" in capsys.readouterr().err
    # A front run whose model file is not here (one imported from an export) is named and left out of the mean.
    aug_id = next(r["run_id"] for r in both if r["augment"])
    with RunStore(tmp_path / "results.sqlite") as store:
        (aug,) = store.runs(id=aug_id)
    (run_dir_for(tmp_path, TrainConfig.from_dict(json.loads(aug["config_json"])), aug["seed"]) / "model.pt").unlink()
    capsys.readouterr()
    assert main(["jpeg-gap", *res]) == 0
    out, err = capsys.readouterr()
    assert f"run {aug_id} (shallow_cnn" in err and "not measured" in err
    assert "mean difference over 1 run(s)" in out and "1 front run(s) without a saved model not measured" in out
    assert main(["jpeg-gap", *res, "--runs", str(aug_id)]) == 2
    assert f"run {aug_id}: no saved model at" in capsys.readouterr().err


def test_diverged_run_via_cli(sample_dir, tmp_path, capsys):
    argv = ["train", "--model", "resnet", "--knob", "depth=8", "--knob", "width=4", "--dataset", "cifar10_sample",
            "--epochs", "1", "--train-limit", "128", "--batch-size", "32", "--lr", "1e12", "--data-dir",
            str(sample_dir), "--results", str(tmp_path), "--device", "cpu"]
    assert main(argv) == 1
    assert "DIVERGED: loss became" in capsys.readouterr().out
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "already recorded" in out and ": diverged on CIFAR-10" in out
    assert main(["runs", "--results", str(tmp_path), "--status", "diverged", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["test_acc"] is None


def test_measure_a_users_own_module(tmp_path, capsys):
    (tmp_path / "mine.py").write_text(
        "from torch import nn\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)\n"
        "        self.fc = nn.Linear(4 * 32 * 32, 10)\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.conv(x).flatten(1))\n"
        "def not_a_model():\n"
        "    return 3\n")
    assert main(["measure", "--module", f"{tmp_path / 'mine.py'}:Tiny", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["params_total"] == 3 * 4 * 9 + 4 * 1024 * 10 + 10
    assert m["macs"] == 32 * 32 * 4 * 27 + 4096 * 10
    assert main(["measure", "--module", f"{tmp_path / 'mine.py'}:not_a_model"]) == 2
    assert "expected an nn.Module" in capsys.readouterr().err
    assert main(["measure", "--module", f"{tmp_path / 'mine.py'}:Tiny", "--dataset", "mnist"]) == 2
    assert "does not run on a 1x28x28 input" in capsys.readouterr().err
    assert main(["measure", "--module", "nothere.py:X"]) == 2
