"""The classroom file: SQLite connections, transactions and the schema's creation.

Why it is opened this way:

- **SQLite in WAL mode, ``synchronous=FULL``.** One file the trainer can copy, no server
  to install. WAL lets teams read their pages while a submission is being written, and
  FULL syncs the log on every commit, so a submission acknowledged is on disk and survives
  a SIGKILL or a power cut (NORMAL, the usual WAL pairing, may lose the last commits on
  power loss, which is exactly the promise a classroom cannot break).
- **``foreign_keys=ON``** on every connection (SQLite's default is off), so the schema's
  references hold: a decision always names a team of its own class and an existing round.
- **A 30-second busy timeout** makes a writer wait its turn instead of surfacing "database
  is locked" when 40 teams press submit in the same second; writes are short, so the wait
  is the queue of other writers, each one fsync long.
- **One connection per thread and per process.** sqlite3 connections must not be used by
  two threads at once, and one inherited through ``fork`` must not be used in the child,
  so each thread of each process opens its own on first use (it is cheap: a file open and
  three pragmas).
- **Explicit transactions.** Python's implicit ones are off (``isolation_level=None``);
  every write runs in ``BEGIN IMMEDIATE``, which takes the write lock *before* reading what
  it decides on, so a check ("is round 1 still open?") and the write that follows it cannot
  be interleaved with another writer's. A deferred transaction would instead fail with
  SQLITE_BUSY, without waiting, when it tried to upgrade to a writer.
- **Writers of one process queue on a lock** before asking SQLite. SQLite's own wait is a
  sleep-and-retry with back-off (up to 100 ms a try), so 40 threads contending through it
  alone spend most of their time asleep; a process-wide lock hands the write lock on in
  order instead (40 concurrent submissions measured 1.5 s p95 without it). Other
  processes still meet the busy timeout, which remains the cross-process guarantee.
- **The schema is created in one transaction** with a ``schema_version`` row, so two
  processes opening a new file at once create it once, and a file written by a newer
  crmsim is refused instead of misread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sim.classroom.schema import DDL, SCHEMA_VERSION, canonical_json
from sim.errors import UserError

__all__ = ["BUSY_TIMEOUT_S", "Database", "log_event", "stamp"]

BUSY_TIMEOUT_S = 30.0


def stamp(moment: datetime) -> str:
    """A time as stored: ISO 8601 in UTC to the microsecond, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def log_event(
    conn: sqlite3.Connection, class_id: int, at: datetime, actor: str, action: str,
    round_: int | None = None, detail: Mapping[str, Any] | None = None,
) -> None:  # fmt: skip
    """Append one entry to the audit log, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO events (class_id, at, actor, action, round, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (class_id, stamp(at), actor, action, round_, canonical_json(dict(detail or {}), "detail")),
    )


class Database:
    """A classroom SQLite file, opened per thread, with its schema in place.

    Args:
        path: the database file, created with its schema if missing.
        clock: returns the current time (tests pass a fake one); UTC now by default.
        timeout: how long a writer waits for the lock before giving up, in seconds.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] | None = None,
        timeout: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._timeout = timeout
        self._local = threading.local()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._writer = threading.Lock()
        self._create_schema()

    def now(self) -> datetime:
        """The current time from the store's clock, in UTC."""
        return self._clock().astimezone(UTC)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise UserError(f"{self.path}: SQLite refused WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._lock:
                self._opened.append((os.getpid(), conn))
        return conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside one transaction, committed on success.

        Args:
            write: take the write lock up front (``BEGIN IMMEDIATE``); False for a
                read-only snapshot, which never waits for writers in WAL mode.
        """
        conn = self._conn()
        if write and not self._writer.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError(f"database is locked: no turn in {self._timeout} s")
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT too: never leave one half open
                    conn.execute("ROLLBACK")
                raise
        finally:
            if write:
                self._writer.release()

    def close(self) -> None:
        """Close every connection this process opened (call when its threads are done)."""
        with self._lock:
            mine = [c for pid, c in self._opened if pid == os.getpid()]
            self._opened = [(p, c) for p, c in self._opened if p != os.getpid()]
        for conn in mine:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_schema(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is not None and row[0] > SCHEMA_VERSION:
                raise UserError(
                    f"{self.path} was written by a newer crmsim (schema {row[0]}, this one "
                    f"reads up to {SCHEMA_VERSION}); upgrade crmsim to open it"
                )
            # A migration from an older version runs here, one step per version, when the
            # layout first changes; version 1 is the first, so there is nothing to run yet.
            for statement in DDL.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
