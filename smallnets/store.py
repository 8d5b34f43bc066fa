"""The results database: one `runs` table every report reads, plus per-epoch metrics. SQLite, one file.

Each run is written in a single transaction, so a crash leaves either the whole record or none of it. A run is
identified by (config hash, seed); recording it again replaces the old record in the same transaction.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path

from .errors import SmallnetsError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    config_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    dataset TEXT NOT NULL,
    model TEXT NOT NULL,
    method TEXT NOT NULL,
    optimizer TEXT NOT NULL,
    augment INTEGER NOT NULL,
    epochs INTEGER NOT NULL,
    budget INTEGER,
    params_total INTEGER,
    params_trainable INTEGER,
    params_nonzero INTEGER,
    bytes_fp32 INTEGER,
    macs INTEGER,
    flops INTEGER,
    val_acc REAL,
    test_acc REAL,
    test_loss REAL,
    selected_epoch INTEGER,
    epochs_done INTEGER,
    wall_time_s REAL,
    train_images_per_s REAL,
    device TEXT,
    data_label TEXT,
    data_official INTEGER,
    data_sha256 TEXT,
    data_content_sha256 TEXT,
    knobs_json TEXT,
    config_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    env_json TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (config_hash, seed)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL, lr REAL,
    epoch_time_s REAL, images_per_s REAL,
    PRIMARY KEY (run_id, epoch)
);
CREATE INDEX IF NOT EXISTS runs_by_dataset ON runs (dataset, model);
"""

# Columns shown and exported by default, in order.
SUMMARY_COLUMNS = ("id", "config_hash", "seed", "status", "dataset", "model", "method", "optimizer", "augment",
                   "epochs", "params_total", "params_nonzero", "macs", "val_acc", "test_acc", "selected_epoch",
                   "wall_time_s", "train_images_per_s", "device", "data_label", "knobs_json", "created_at")


def environment() -> dict:
    """Library versions, device and code revision, stored with every run."""
    import numpy
    import torch

    from . import __version__
    env = {"smallnets": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
           "python": platform.python_version(), "platform": platform.platform(), "git_rev": None, "git_dirty": None,
           "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None}
    here = Path(__file__).resolve().parent
    try:
        env["git_rev"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                        timeout=5, check=True).stdout.strip()
        env["git_dirty"] = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                               capture_output=True, text=True, timeout=5).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return env


def default_results_dir() -> Path:
    return Path(os.environ.get("SMALLNETS_RESULTS", "smallnets-results"))


class RunStore:
    """`RunStore(path)`: path to an SQLite file (created on first use)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=60)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            raise SmallnetsError(f"{self.path}: not a usable results database ({e})") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def record(self, result, env: dict | None = None) -> int:
        """Write one RunResult (train.RunResult) and its epochs atomically; returns the run id."""
        cfg, m = result.config, result.measures
        row = {
            "config_hash": cfg.hash, "seed": result.seed, "status": result.status, "dataset": cfg.dataset,
            "model": cfg.model, "method": cfg.method, "optimizer": cfg.optimizer, "augment": int(cfg.augment),
            "epochs": cfg.epochs, "budget": cfg.budget, "params_total": m.get("params_total"),
            "params_trainable": m.get("params_trainable"), "params_nonzero": m.get("params_nonzero"),
            "bytes_fp32": m.get("bytes_fp32"), "macs": m.get("macs"), "flops": m.get("flops"),
            "val_acc": result.val_acc, "test_acc": result.test_acc, "test_loss": result.test_loss,
            "selected_epoch": result.selected_epoch, "epochs_done": len(result.history),
            "wall_time_s": result.wall_time_s, "train_images_per_s": result.train_images_per_s,
            "device": result.device, "data_label": result.data.get("data_label"),
            "data_official": int(bool(result.data.get("data_official"))), "data_sha256": result.data.get("data_sha256"),
            "data_content_sha256": result.data.get("data_content_sha256"),
            "knobs_json": json.dumps(result.knobs, sort_keys=True), "config_json": json.dumps(cfg.to_dict()),
            "result_json": json.dumps(result.to_dict(), default=str), "env_json": json.dumps(env or environment()),
            "error": result.error, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with self.conn:  # one transaction: the old record goes and the new one lands, or nothing changes
            self.conn.execute("DELETE FROM runs WHERE config_hash = ? AND seed = ?", (cfg.hash, result.seed))
            cur = self.conn.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                    tuple(row.values()))
            run_id = cur.lastrowid
            self.conn.executemany(
                "INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, h["epoch"], h["train_loss"], h["train_acc"], h["val_loss"], h["val_acc"], h["lr"],
                  h["epoch_time_s"], h["images_per_s"]) for h in result.history])
        return run_id

    def has_run(self, config_hash: str, seed: int) -> bool:
        return self.conn.execute("SELECT 1 FROM runs WHERE config_hash = ? AND seed = ?",
                                 (config_hash, seed)).fetchone() is not None

    def runs(self, **filters) -> list[dict]:
        """Rows of `runs` whose columns equal the given values (None values are ignored)."""
        filters = {k: v for k, v in filters.items() if v is not None}
        bad = set(filters) - set(self.columns())
        if bad:
            raise SmallnetsError(f"unknown run field(s) {', '.join(sorted(bad))}; known: {', '.join(self.columns())}")
        where = " AND ".join(f"{k} = ?" for k in filters) or "1"
        cur = self.conn.execute(f"SELECT * FROM runs WHERE {where} ORDER BY id", tuple(filters.values()))
        return [dict(r) for r in cur.fetchall()]

    def epochs(self, run_id: int) -> list[dict]:
        cur = self.conn.execute("SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))
        return [dict(r) for r in cur.fetchall()]

    def columns(self) -> list[str]:
        return [r[1] for r in self.conn.execute("PRAGMA table_info(runs)")]


def export_rows(rows: list[dict], fmt: str, columns: tuple[str, ...] | None = None) -> str:
    """Rows as CSV or JSON text; `columns` picks and orders the fields (default: all)."""
    if columns is not None:
        rows = [{c: r.get(c) for c in columns} for r in rows]
    if fmt == "json":
        return json.dumps(rows, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        fields = list(columns or (rows[0].keys() if rows else SUMMARY_COLUMNS))
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    raise SmallnetsError(f"unknown export format '{fmt}'; expected csv or json")
