"""Page folders: an experiment's work saved task by task, so that an interruption loses little.

An experiment that takes hours is a ledger book filled page by page: each finished task
writes one page, and a page is either in the book whole or not at all. A page folder holds::

    PLAN                    the plan: what the experiment is (its identity), as JSON
    runs/task-00012.parquet one file per finished task: its runs' rows
    failed/task-00007.json  why a task failed (deleted when a later attempt succeeds)
    manifest.json           written when the work is done: every file's size and sha256

A page is written to a hidden temporary file, synced and renamed into place, so a SIGKILL
leaves at worst a temporary file, which the next writer deletes. The folder itself appears
with its plan whole: it is staged beside and renamed in. Beside the folder (never inside,
so the manifest never lists it) lives the lock ``.NAME.TAG.lock``, held by the one process
writing the folder (``fcntl.flock``: the kernel frees it however that process dies).

Sweeps (:class:`sim.experiments.sweep.SweepFolder`) and resumable comparisons
(:mod:`sim.experiments.checkpoint`) are the two kinds; each names its plan file, its lock
tag and the noun its messages use.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from sim.errors import UserError
from sim.results.manifest import write_manifest

__all__ = ["FAILED", "RUNS", "PageFolder", "task_name", "write_atomic"]

#: The folders of finished pages and of failure records.
RUNS, FAILED = "runs", "failed"
_TASK = re.compile(r"task-(\d{5,})\.(parquet|json)")


def task_name(task: int) -> str:
    """``task-00012``: the stem of a task's files."""
    return f"task-{task:05d}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a synced hidden temporary file and one rename."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class PageFolder:
    """One experiment's page folder: create it, lock it, add pages, seal it.

    Args:
        path: the folder.
    """

    #: The plan file inside the folder.
    plan_file: ClassVar[str] = "plan.json"
    #: The middle of the lock file's name, ``.NAME.TAG.lock``.
    lock_tag: ClassVar[str] = "pages"
    #: What the folder holds, in messages.
    noun: ClassVar[str] = "experiment"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        absolute = Path(os.path.abspath(self.path))
        self._lock_path = absolute.parent / f".{absolute.name}.{self.lock_tag}.lock"
        self._lock: int | None = None

    # -- creating and locking ---------------------------------------------------------
    def exists(self) -> bool:
        """Whether the folder holds a plan."""
        return (self.path / self.plan_file).is_file()

    def create_folder(self, plan: dict[str, Any], files: Mapping[str, bytes] | None = None) -> None:
        """Stage the plan (and ``files``, name → bytes) beside the folder and rename it in, whole.

        Raises:
            UserError: the path is a file, or a folder that holds something else.
        """
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise UserError(
                f"{self.path} exists and holds no {self.noun}; choose another --out folder"
            )
        parent = self.path.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        staging = parent / f".{self.path.name}.{secrets.token_hex(6)}.staging"
        staging.mkdir()
        try:
            (staging / RUNS).mkdir()
            for name, data in (files or {}).items():
                (staging / name).write_bytes(data)
            text = json.dumps(plan, indent=2, default=str).encode()
            write_atomic(staging / self.plan_file, text)
            os.replace(staging, self.path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def plan(self) -> dict[str, Any]:
        """The plan the folder was made with.

        Raises:
            UserError: no plan here, or a plan that is not readable JSON.
        """
        try:
            return dict(json.loads((self.path / self.plan_file).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UserError(f"{self.path} holds no {self.noun} (no {self.plan_file})") from None
        except (OSError, ValueError) as exc:
            raise UserError(f"{self.path / self.plan_file} cannot be read: {exc}") from None

    def busy(self) -> str:
        """The message for a folder another process holds."""
        return f"another crmsim is running the {self.noun} in {self.path}; wait for it"

    def lock(self) -> None:
        """Take the folder's lock; refuse at once if another process holds it."""
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(self.busy()) from None
        self._lock = fd
        for leftover in self.path.glob(f"{RUNS}/.*.tmp"):
            leftover.unlink(missing_ok=True)

    def unlock(self) -> None:
        """Release the lock."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @property
    def locked(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock is not None

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock (never true of this object's own)."""
        if self._lock is not None:
            return False
        try:
            fd = os.open(self._lock_path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    # -- pages ------------------------------------------------------------------------
    def add(self, task: int, rows: pd.DataFrame) -> None:
        """Write one finished task's rows as its page, atomically; clear its failure."""
        buffer = rows.to_parquet(index=False)
        write_atomic(self.path / RUNS / f"{task_name(task)}.parquet", buffer)
        (self.path / FAILED / f"{task_name(task)}.json").unlink(missing_ok=True)

    def fail(self, task: int, error: str) -> None:
        """Record why a task failed."""
        (self.path / FAILED).mkdir(exist_ok=True)
        text = json.dumps({"task": task, "error": error}).encode()
        write_atomic(self.path / FAILED / f"{task_name(task)}.json", text)

    def done(self) -> set[int]:
        """Tasks whose page is written."""
        return _numbers(self.path / RUNS, "parquet")

    def failures(self) -> dict[int, str]:
        """Tasks whose last attempt failed (and no page since), with the error."""
        failed: dict[int, str] = {}
        for task in sorted(_numbers(self.path / FAILED, "json") - self.done()):
            try:
                entry = json.loads((self.path / FAILED / f"{task_name(task)}.json").read_text())
                failed[task] = str(entry.get("error", ""))
            except (OSError, ValueError):
                failed[task] = "(the failure record cannot be read)"
        return failed

    def pages(self) -> list[Path]:
        """The finished pages, in task order."""
        return [self.path / RUNS / f"{task_name(t)}.parquet" for t in sorted(self.done())]

    def rows(self) -> pd.DataFrame:
        """Every page's rows, in task order (empty without pages)."""
        files = self.pages()
        if not files:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    def seal(self, manifest: dict[str, Any]) -> None:
        """Write the manifest: every file of the folder with its size and sha256."""
        for leftover in self.path.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        write_manifest(self.path, manifest)


def _numbers(folder: Path, suffix: str) -> set[int]:
    try:
        names = [p.name for p in folder.iterdir()]
    except FileNotFoundError:
        return set()
    return {int(m.group(1)) for n in names if (m := _TASK.fullmatch(n)) and m.group(2) == suffix}
