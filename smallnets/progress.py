"""Progress of long work: a live bar in a terminal, one line per epoch on request, nothing under CI."""

from __future__ import annotations

import os
import sys
import time


def resolve_mode(mode: str = "auto") -> str:
    if mode != "auto":
        return mode
    if os.environ.get("CI") or not sys.stderr.isatty():
        return "none"
    return "bar"


def _eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


class EpochProgress:
    """Shows epoch, loss, accuracy, images/s and ETA of one training run."""

    def __init__(self, title: str, epochs: int, steps_per_epoch: int, mode: str = "auto", start_epoch: int = 0):
        self.mode, self.title, self.epochs, self.steps = resolve_mode(mode), title, epochs, steps_per_epoch
        self.start_epoch, self.t0 = start_epoch, time.perf_counter()
        self._bar = None
        if self.mode == "bar":
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                                 transient=False)
            self._bar.start()
            self._task = self._bar.add_task(title, total=epochs * steps_per_epoch,
                                            completed=start_epoch * steps_per_epoch, info="")

    def step(self, epoch: int, step: int) -> None:
        if self._bar is not None and step % 10 == 0:
            self._bar.update(self._task, completed=epoch * self.steps + step,
                             description=f"{self.title} epoch {epoch + 1}/{self.epochs}")

    def epoch_done(self, epoch: int, m: dict) -> None:
        done = epoch + 1 - self.start_epoch
        eta = (time.perf_counter() - self.t0) / done * (self.epochs - epoch - 1)
        val = f" val {m['val_acc']:.2%}" if m.get("val_acc") is not None else ""
        info = (f"loss {m['train_loss']:.3f} acc {m['train_acc']:.2%}{val} {m['images_per_s']:,.0f} img/s")
        if self._bar is not None:
            self._bar.update(self._task, completed=(epoch + 1) * self.steps, info=info)
        elif self.mode == "lines":
            print(f"{self.title} epoch {epoch + 1}/{self.epochs} {info} ETA {_eta(eta)}", flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
