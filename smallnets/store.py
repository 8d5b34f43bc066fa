"""The results database: one `runs` table every report reads, plus per-epoch metrics.

An SQLite file by default; a PostgreSQL URL lets many machines record into one database (the same one that holds
their Optuna study). Each run is written in a single transaction, so a crash leaves either the whole record or none
of it. A run is identified by (config hash, seed); recording it again replaces the old record in the same
transaction.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from .errors import SmallnetsError

metadata = sa.MetaData()
RUNS = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("config_hash", sa.String(32), nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("dataset", sa.String(64), nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("optimizer", sa.String(32), nullable=False),
    sa.Column("augment", sa.Integer, nullable=False),
    sa.Column("epochs", sa.Integer, nullable=False),
    sa.Column("budget", sa.BigInteger),
    sa.Column("params_total", sa.BigInteger),
    sa.Column("params_trainable", sa.BigInteger),
    sa.Column("params_nonzero", sa.BigInteger),
    sa.Column("bytes_fp32", sa.BigInteger),
    sa.Column("macs", sa.BigInteger),
    sa.Column("flops", sa.BigInteger),
    sa.Column("val_acc", sa.Float),
    sa.Column("test_acc", sa.Float),
    sa.Column("test_loss", sa.Float),
    sa.Column("selected_epoch", sa.Integer),
    sa.Column("epochs_done", sa.Integer),
    sa.Column("wall_time_s", sa.Float),
    sa.Column("train_images_per_s", sa.Float),
    sa.Column("device", sa.String(64)),
    sa.Column("data_label", sa.String(128)),
    sa.Column("data_official", sa.Integer),
    sa.Column("data_sha256", sa.String(64)),
    sa.Column("data_content_sha256", sa.String(64)),
    sa.Column("knobs_json", sa.Text),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("env_json", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("config_hash", "seed", name="runs_config_seed"),
    sa.Index("runs_by_dataset", "dataset", "model"),
)
EPOCHS = sa.Table(
    "epochs", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("epoch", sa.Integer, primary_key=True),
    *(sa.Column(c, sa.Float) for c in ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time_s",
                                         "images_per_s")),
)
EPOCH_FIELDS = tuple(c for c in EPOCHS.c.keys() if c != "run_id")  # what each entry of a run's history gives

# Columns shown and exported by default, in order.
SUMMARY_COLUMNS = ("id", "config_hash", "seed", "status", "dataset", "model", "method", "optimizer", "augment",
                   "epochs", "params_total", "params_nonzero", "macs", "val_acc", "test_acc", "selected_epoch",
                   "wall_time_s", "train_images_per_s", "device", "data_label", "knobs_json", "created_at")


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The CPU's name: Linux's "model name" line, else what the platform module knows, else None."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def environment() -> dict:
    """Library versions, device and code revision, stored with every run."""
    import numpy
    import torch

    from . import __version__
    from .train import kept_freed_memory
    env = {"smallnets": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
           "python": platform.python_version(), "platform": platform.platform(), "git_rev": None, "git_dirty": None,
           "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
           # A CPU run's images/s depends on its threads and on what else the cores were doing; say both, so two
           # runs' speeds are compared knowingly (the load is the 1-minute average when the run was recorded).
           "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
           # and which CPU, with the vector instructions torch's kernels chose on it (AVX2, AVX512, ...), which
           # set the speed as much as the threads do
           "cpu_model": cpu_model(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
           # whether float32 subnormals were flushed to zero (CPU runs since round 17: a subnormal-heavy model
           # trains many times slower without)
           "flush_denormal": bool((torch.tensor([1e-40]) * 2).item() == 0),
           # whether malloc kept freed memory instead of returning it to the kernel each step (CLI runs since round 35:
           # without it MobileNetV2 1M spent 30-46% of its CPU time in the kernel zero-filling fresh pages)
           "malloc_keeps_freed": kept_freed_memory()}
    env["git_rev"], env["git_dirty"] = code_revision()
    return env


@functools.cache
def code_revision() -> tuple[str | None, bool | None]:
    """This copy's git revision and whether its tracked files differ from it, read once per process: a run that
    ends after a commit was made during it records the code it ran, not the new commit (the CLI reads it before
    it trains anything)."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5,
                             check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                    capture_output=True, text=True, timeout=5).stdout.strip())
        return rev, dirty
    except (OSError, subprocess.SubprocessError):
        # A copy of the code without its .git (the GPU machine gets the working tree only) says its revision
        # through SMALLNETS_GIT_REV, as benchmarks/gpu_prepare.sh writes it: "<sha>" or "<sha>+dirty".
        rev = os.environ.get("SMALLNETS_GIT_REV", "").strip()
        return (rev.removesuffix("+dirty"), rev.endswith("+dirty")) if rev else (None, None)


def default_results_dir() -> Path:
    return Path(os.environ.get("SMALLNETS_RESULTS", "smallnets-results"))


def database_url(location: str | os.PathLike) -> str:
    """An SQLAlchemy URL from a URL or a path to an SQLite file."""
    text = str(location)
    if "://" in text:
        return text
    Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(text).expanduser()}"


def lock_sqlite_transactions(engine: sa.Engine) -> sa.Engine:
    """Make every SQLite transaction take the database's write lock when it begins (BEGIN IMMEDIATE).

    Python's sqlite3 driver starts a transaction only at the first write, so a read-then-write ("is this trial still
    WAITING? then it is mine") runs its read outside any transaction and two processes can both win; Optuna's
    SELECT ... FOR UPDATE means nothing to SQLite. Two sweep workers did train the same queued trial that way (optuna
    issue #4002). Taking the lock at BEGIN makes each transaction atomic; the busy timeout makes the others wait.
    This is SQLAlchemy's documented recipe for pysqlite transactions."""
    if engine.dialect.name != "sqlite":
        return engine

    @sa.event.listens_for(engine, "connect")
    def _driver_leaves_transactions_to_us(dbapi_conn, _):
        dbapi_conn.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners (Optuna creates its tables at once) are not reused
    return engine


# How long an SQLite connection waits for another's write lock before failing; the runs table and the Optuna study
# (which builds its own engine) use the same wait.
SQLITE_BUSY_TIMEOUT_S = 60


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn, _):
            conn.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer
            conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        return lock_sqlite_transactions(engine)
    return sa.create_engine(url, pool_pre_ping=True)


class RunStore:
    """`RunStore(path_or_url)`: an SQLite file path (created on first use) or a database URL
    (postgresql://user@host:port/db)."""

    def __init__(self, location: str | os.PathLike):
        self.url = database_url(location)
        try:
            self.engine = make_engine(self.url)
            self._create_tables()
        except (sa.exc.SQLAlchemyError, ImportError) as e:
            raise SmallnetsError(f"{location}: not a usable results database "
                                 f"({type(e).__name__}: {str(e).splitlines()[0]})") from None

    def _create_tables(self, attempts: int = 5) -> None:
        # Workers starting together all check for the tables, and all but one lose the race to create them;
        # a loser finds them there when it looks again.
        for attempt in range(attempts):
            try:
                metadata.create_all(self.engine)
                return
            except (sa.exc.ProgrammingError, sa.exc.IntegrityError, sa.exc.OperationalError):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def close(self) -> None:
        self.engine.dispose()

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
            "epochs": cfg.epochs, "budget": cfg.budget, **_measure_columns(m),
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
        same = sa.and_(RUNS.c.config_hash == cfg.hash, RUNS.c.seed == result.seed)
        with self.engine.begin() as conn:  # one transaction: the old record goes and the new one lands, or nothing
            old = conn.execute(sa.select(RUNS.c.id, RUNS.c.result_json).where(same).order_by(RUNS.c.id)).all()
            if old and old[0].result_json == row["result_json"] and len(old) == 1:
                # The same result read again (a sweep finding a finished run's result.json): the record stays as
                # it is, with the environment of the machine that trained it and the id exports refer to.
                return old[0].id
            if old:
                ids = [o.id for o in old]
                conn.execute(EPOCHS.delete().where(EPOCHS.c.run_id.in_(ids)))
                conn.execute(RUNS.delete().where(RUNS.c.id.in_(ids)))
                row["id"] = ids[0]  # a replaced run keeps its id
            run_id = conn.execute(RUNS.insert().values(**row)).inserted_primary_key[0]
            epochs = [{"run_id": run_id, **{c: h[c] for c in EPOCH_FIELDS}} for h in result.history]
            if epochs:
                conn.execute(EPOCHS.insert(), epochs)
        return run_id

    def rewrite_measures(self, run_id: int, measures: dict) -> None:
        """Put a run's recounted measures (train.recount_measures) in its record: the measure columns and the
        measures in its stored result change; its id, epochs, accuracies, environment and date stay those of the
        training."""
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(RUNS.c.result_json).where(RUNS.c.id == run_id)).first()
            if old is None:
                raise SmallnetsError(f"no run {run_id} in the results database")
            result = {**json.loads(old.result_json), "measures": measures}
            conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(
                **_measure_columns(measures), result_json=json.dumps(result, default=str)))

    def import_rows(self, rows: list[dict], source: str = "the import") -> dict:
        """Put exported runs (`smallnets runs --format json --all-columns`) back into this database, so a results
        folder can be rebuilt from committed exports and later rounds add to it. A run keeps its exported id where
        that id is free (reports and notes cite ids) and gets a new one where another run holds it; a run already
        here with the same result is left as it is; one here with a different result for the same config and seed
        stops the import before anything is written. Returns counts: added, present, renumbered."""
        needed = set(RUNS.c.keys()) - {"id", "error"}
        columns = set(self.columns())
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or needed - set(row):
                missing = sorted(needed - set(row)) if isinstance(row, dict) else ["(not an object)"]
                raise SmallnetsError(f"{source}: run {i} lacks {', '.join(missing[:5])}"
                                     f"{' ...' if len(missing) > 5 else ''}; expected an export made with "
                                     "`smallnets runs --format json --all-columns`")
        counts = {"added": 0, "present": 0, "renumbered": 0}
        with self.engine.begin() as conn:
            existing = conn.execute(sa.select(RUNS.c.id, RUNS.c.config_hash, RUNS.c.seed, RUNS.c.result_json)).all()
            taken = {r.id for r in existing}
            here = {(r.config_hash, r.seed): r.result_json for r in existing}
            for row in rows:
                key = (row["config_hash"], row["seed"])
                if key in here:
                    if here[key] != row["result_json"]:
                        same = same_apart_from_measures(json.loads(here[key]), json.loads(row["result_json"]))
                        hint = ("; only its measures differ: run `smallnets runs --recount` on the export's results "
                                "and this database, then export again" if same else "")
                        raise SmallnetsError(f"{source}: run {row.get('id')} ({row['model']}, config "
                                             f"{row['config_hash']}, seed {row['seed']}) is already in the database "
                                             f"with a different result; nothing was imported{hint}")
                    counts["present"] += 1
                    continue
                values = {k: v for k, v in row.items() if k in columns}
                if values.get("id") is None or values["id"] in taken:
                    values.pop("id", None)
                    counts["renumbered"] += 1
                run_id = conn.execute(RUNS.insert().values(**values)).inserted_primary_key[0]
                taken.add(run_id)
                here[key] = row["result_json"]
                history = json.loads(row["result_json"]).get("history") or []
                epochs = [{"run_id": run_id, **{c: h.get(c) for c in EPOCH_FIELDS}} for h in history]
                if epochs:
                    conn.execute(EPOCHS.insert(), epochs)
                counts["added"] += 1
            if conn.dialect.name == "postgresql" and counts["added"]:
                # Rows inserted with their own ids leave the id sequence behind; the next recorded run would
                # collide with them.
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('runs', 'id'), "
                                     "(SELECT MAX(id) FROM runs))"))
        return counts

    def recorded_knobs(self, config_hash: str) -> dict[int, dict]:
        """seed -> the knobs its model was built with, for each recorded run of a config that built one."""
        query = sa.select(RUNS.c.seed, RUNS.c.knobs_json).where(RUNS.c.config_hash == config_hash)
        with self.engine.connect() as conn:
            return {r.seed: json.loads(r.knobs_json) for r in conn.execute(query) if r.knobs_json not in (None, "{}")}

    def has_run(self, config_hash: str, seed: int) -> bool:
        return bool(self.runs(config_hash=config_hash, seed=seed))

    def runs(self, **filters) -> list[dict]:
        """Rows of `runs` whose columns equal the given values (None values are ignored)."""
        filters = {k: v for k, v in filters.items() if v is not None}
        bad = set(filters) - set(self.columns())
        if bad:
            raise SmallnetsError(f"unknown run field(s) {', '.join(sorted(bad))}; known: {', '.join(self.columns())}")
        query = sa.select(RUNS).where(*(RUNS.c[k] == v for k, v in filters.items())).order_by(RUNS.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def epochs(self, run_id: int) -> list[dict]:
        query = sa.select(EPOCHS).where(EPOCHS.c.run_id == run_id).order_by(EPOCHS.c.epoch)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @staticmethod
    def columns() -> list[str]:
        return [c.name for c in RUNS.columns]


def same_apart_from_measures(a: dict, b: dict) -> bool:
    """Whether two stored results (RunResult.to_dict) are one run's, whatever their measures: a recount
    (`smallnets runs --recount`) changes those alone."""
    return {**a, "measures": None} == {**b, "measures": None}


def _measure_columns(m: dict) -> dict:
    """The runs columns that hold a run's measures (measure.measure_model)."""
    return {k: m.get(k) for k in ("params_total", "params_trainable", "params_nonzero", "bytes_fp32", "macs",
                                  "flops")}


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
