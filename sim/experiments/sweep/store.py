"""The sweep folder: an incremental Parquet dataset that an interruption cannot spoil.

A sweep is a ledger book filled page by page (:class:`sim.experiments.pages.PageFolder`):
each finished task writes one page, and a page is either in the book whole or not at all.
The folder holds::

    sweep.json             the plan: the spec's plan and hash, the base scenario, the tasks
    experiments.parquet    the design points (the ``experiments`` table)
    runs/task-00012.parquet  one file per finished task: its runs' rows
    failed/task-00007.json   why a task failed (deleted when a later attempt succeeds)
    manifest.json          written when every task is done: every file's size and sha256

Beside the folder (never inside, so the manifest never lists them) live the lock
``.NAME.sweep.lock``, held by the one process writing the sweep (``fcntl.flock``: the kernel
frees it however that process dies), and ``.NAME.running.json``, the tasks it has handed
to workers. A page is written to a hidden temporary file, synced and renamed into place,
so a SIGKILL leaves at worst a temporary file, which the next writer deletes. The folder
itself appears with its plan whole: it is staged beside and renamed in.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.pages import PageFolder, task_name, write_atomic
from sim.results.manifest import MANIFEST

__all__ = ["PLAN", "Status", "SweepFolder", "task_name"]

#: The plan file of a sweep folder.
PLAN = "sweep.json"
#: The design table.
EXPERIMENTS = "experiments.parquet"


@dataclass(frozen=True)
class Status:
    """Where a sweep stands.

    Attributes:
        tasks: tasks in the plan.
        done: tasks whose runs are in the dataset.
        running: tasks handed to workers by a live sweep process.
        failed: tasks whose last attempt failed, with the error.
        runs: runs in the plan.
        runs_done: runs in the dataset.
        complete: every task done and the manifest written.
    """

    tasks: int
    done: tuple[int, ...]
    running: tuple[int, ...]
    failed: dict[int, str]
    runs: int
    runs_done: int
    complete: bool

    @property
    def missing(self) -> tuple[int, ...]:
        """Tasks neither done, running nor failed: what a resume runs (with the failed)."""
        seen = set(self.done) | set(self.running) | set(self.failed)
        return tuple(t for t in range(self.tasks) if t not in seen)


class SweepFolder(PageFolder):
    """One sweep's folder: create it, lock it, add pages, say where it stands.

    Args:
        path: the folder.
    """

    plan_file = PLAN
    lock_tag = "sweep"
    noun = "sweep"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        absolute = Path(os.path.abspath(self.path))
        self._running_path = absolute.parent / f".{absolute.name}.running.json"

    def create(self, plan: dict[str, Any], experiments: pd.DataFrame) -> None:
        """Stage the plan and the design beside the folder and rename them in, whole.

        Raises:
            UserError: the path is a file, or a folder that holds something else.
        """
        buffer = io.BytesIO()
        experiments.to_parquet(buffer, index=False)
        self.create_folder(plan, {EXPERIMENTS: buffer.getvalue()})

    def experiments(self) -> pd.DataFrame:
        """The design table."""
        return pd.read_parquet(self.path / EXPERIMENTS)

    def busy(self) -> str:
        """The message for a sweep another process is running."""
        return (
            f"another crmsim is running the sweep in {self.path}; wait for it, or see "
            f"crmsim sweep status {self.path}"
        )

    def unlock(self) -> None:
        """Release the lock and forget the running tasks."""
        if self.locked:
            self._running_path.unlink(missing_ok=True)
        super().unlock()

    def running(self, tasks: Iterable[int]) -> None:
        """Record the tasks now handed to workers (for :meth:`status` from elsewhere)."""
        text = json.dumps({"pid": os.getpid(), "tasks": sorted(tasks)}).encode()
        write_atomic(self._running_path, text)

    def status(self) -> Status:
        """Done, running, failed and missing tasks, read from the files and the lock."""
        plan = self.plan()
        done = self.done()
        failed = self.failures()
        running: set[int] = set()
        if self.held_elsewhere():
            try:
                running = set(json.loads(self._running_path.read_text())["tasks"]) - done
            except (OSError, ValueError, KeyError, TypeError):
                running = set()
        sizes = [len(t) * int(plan["replications"]) for t in plan["tasks"]]
        return Status(
            tasks=len(sizes),
            done=tuple(sorted(done)),
            running=tuple(sorted(running - set(failed))),
            failed=failed,
            runs=sum(sizes),
            runs_done=sum(sizes[t] for t in done if t < len(sizes)),
            complete=(self.path / MANIFEST).is_file() and len(done) == len(sizes),
        )

    def dataset(self, timings: bool = False) -> pd.DataFrame:
        """Every run's row, sorted by point and replication.

        Args:
            timings: keep ``seconds``, the one column that differs between two executions
                of the same sweep.
        """
        frame = self.rows()
        if frame.empty:
            return frame
        frame = frame.sort_values(["point", "replication"], kind="stable", ignore_index=True)
        return frame if timings else frame.drop(columns=["seconds"])
