"""The debrief prepared in the back office, once, and kept on disk beside the class file.

The picture is a print shop. The trainer hands in an order ("the debrief of the rounds
played so far"), the back room prints it while the class goes on, and the finished copies
wait on a shelf under the class's name: asking again for the same copies hands over the
ones on the shelf, and each team is handed its own sheets only.

Why it is built this way:

- **A request never replays a world.** At classroom size (2,000 customers, 40 teams, six
  rounds) the debrief is hundreds of world replays of about a second each. The trainer's
  "prepare" writes a small job record and wakes the back office (:class:`Debriefs`, run by
  :class:`sim.classroom.worker.Worker` in a thread of its own); pages show the progress
  meanwhile (:class:`Status`: replays done of replays planned).
- **Keyed by what it is the debrief of.** The files are named
  ``class-<id>-r<played>-<digest>-<lang>``: the rounds played, and a digest of the moment
  each was closed (a reopened round closes again at another moment, with the decisions it
  then had) and of the teams that played. A new round or a reopened one makes a new
  debrief; a stale one is never served. The trainer's and a team's view of the class give
  the same key (:meth:`DebriefKey.of`), so a team finds the trainer's debrief.
- **The job record carries its inputs.** The request, which has passed the trainer's
  token, copies the class's world, its teams and their decisions into the record
  (:func:`job_record`); the back office needs no credential and reads nothing else, and the
  record is all a restarted server needs to do the job again.
- **Atomic artefacts, then a manifest.** Every file is written to a temporary file in the
  same folder, flushed to disk (``fsync``) and renamed over its name (``os.replace``); the
  manifest ``<stem>.json``, written last, says the set is complete, and nothing is served
  before it exists. A server killed mid-job loses that job's work only: its temporary files
  are removed at the next start (:meth:`Debriefs.clean`) and its job record, still there,
  is run again (:meth:`Debriefs.pending`): an asked-for debrief is never silently dropped.
- **Both cores for the replays.** The worlds are played in a two-process pool
  (:class:`sim.experiments.executors.ProcessPool`: ``spawn``, the compiled kernels warmed
  in this process first, workers that leave with their parent); replaying is exact in any
  process, so the debrief is the same bytes as one built in a single thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.classroom.luck import DEFAULT_REPLICATES

__all__ = [
    "WORKERS",
    "DebriefKey",
    "Debriefs",
    "Status",
    "job_record",
    "played_rounds",
    "write_atomic",
]

#: Worker processes that play a debrief's worlds (1: in the back office's own thread).
WORKERS = 2
#: Suffix of the folder beside the class file that holds the debriefs.
FOLDER_SUFFIX = ".debriefs"

_log = logging.getLogger("crmsim.classroom")


class _Stopped(Exception):
    """The server is stopping: the job is left for the next start."""


def played_rounds(rounds: Sequence[Mapping[str, Any]]) -> int:
    """How many rounds, from round 1 on without a gap, have their results out."""
    played = 0
    for entry in rounds:
        if entry["state"] != "done" or entry["number"] != played + 1:
            break
        played += 1
    return played


def _public(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """A round's public result, from a team's view (``public``) or the trainer's."""
    if "public" in entry:
        return entry["public"] or {}
    return (entry.get("result") or {}).get("public") or {}


@dataclass(frozen=True)
class DebriefKey:
    """Which debrief: a class, the rounds played, their digest and the language."""

    class_id: int
    played: int
    digest: str
    lang: str

    @property
    def stem(self) -> str:
        """The artefacts' common file name."""
        return f"class-{self.class_id}-r{self.played}-{self.digest}-{self.lang}"

    @classmethod
    def of(cls, class_id: int, rounds: Sequence[Mapping[str, Any]], lang: str) -> DebriefKey | None:
        """The key of a class's debrief now, from its trainer's or a team's ``rounds``.

        None when no round has its results out.
        """
        played = played_rounds(rounds)
        if played == 0:
            return None
        board = _public(rounds[played - 1]).get("leaderboard") or []
        facts = {"closed": [str(r["closed_at"]) for r in rounds[:played]],
                 "teams": sorted(int(b["team_id"]) for b in board)}  # fmt: skip
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
        return cls(int(class_id), played, digest, lang)

    def with_lang(self, lang: str) -> DebriefKey:
        """The same debrief in another language."""
        return DebriefKey(self.class_id, self.played, self.digest, lang)


def job_record(
    key: DebriefKey, view: Mapping[str, Any], scenario: str, replicates: int
) -> dict[str, Any]:
    """Everything the back office needs to build the debrief ``key``, from the trainer's view.

    The teams are those of the last round played (its leaderboard), in the class's order;
    the decisions are each team's latest in each round played (frozen once it closed).
    """
    board = _public(view["rounds"][key.played - 1]).get("leaderboard") or []
    played_ids = {int(b["team_id"]) for b in board}
    teams = [[str(t["id"]), str(t["name"])] for t in view["teams"] if int(t["id"]) in played_ids]
    decisions: list[dict[str, Any]] = [{} for _ in range(key.played)]
    for d in view["decisions"]:
        if 1 <= int(d["round"]) <= key.played and int(d["team"]) in played_ids:
            decisions[int(d["round"]) - 1][str(d["team"])] = d["levers"]
    return {"key": asdict(key), "class_name": str(view["class"]["name"]), "scenario": scenario,
            "config": view["class"]["config"], "seed": int(view["class"]["seed"]),
            "teams": teams, "decisions": decisions, "replicates": replicates}  # fmt: skip


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the whole old file or the whole new one."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


@dataclass(frozen=True)
class Status:
    """Where a debrief stands.

    Attributes:
        key: which debrief.
        state: ``none`` (never asked for), ``queued``, ``running`` (replaying),
            ``drawing`` (replays done, pages being drawn), ``ready`` or ``failed``.
        done: replays done (running) or played in all (ready).
        planned: replays planned (0 until the job has listed them).
        error: why it failed (``failed`` only).
        seconds: how long it took (``ready`` only).
        teams: the team ids with pages of their own (``ready`` only).
    """

    key: DebriefKey
    state: str
    done: int = 0
    planned: int = 0
    error: str | None = None
    seconds: float = 0.0
    teams: tuple[int, ...] = ()

    def json(self) -> dict[str, Any]:
        """The status as the API answers it."""
        return {"state": self.state, "played": self.key.played, "lang": self.key.lang,
                "done": self.done, "planned": self.planned, "error": self.error,
                "seconds": self.seconds, "teams": list(self.teams)}  # fmt: skip


class Debriefs:
    """The debriefs of one class file: requested, built one at a time, served from disk.

    Args:
        folder: where the artefacts and job records live (created on the first request).
        workers: processes that play the worlds (1: in the calling thread).
        replicates: worlds of luck versus skill per debrief.
    """

    def __init__(
        self, folder: Path, workers: int = WORKERS, replicates: int = DEFAULT_REPLICATES
    ) -> None:
        self.folder = Path(folder)
        self.workers = workers
        self.replicates = replicates
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._running: tuple[str, int, int, bool] | None = None  # stem, done, planned, drawing
        self._failed: dict[str, str] = {}

    @classmethod
    def beside(cls, db: Path) -> Debriefs:
        """The debriefs of the class file ``db``, in ``<db stem>.debriefs`` next to it."""
        return cls(db.parent / f"{db.stem}{FOLDER_SUFFIX}")

    def _job(self, key: DebriefKey) -> Path:
        return self.folder / f"{key.stem}.job.json"

    def _manifest(self, key: DebriefKey) -> Path:
        return self.folder / f"{key.stem}.json"

    def request(self, record: Mapping[str, Any]) -> Status:
        """Ask for the debrief of a :func:`job_record`; a no-op when it is done or asked for."""
        key = DebriefKey(**record["key"])
        with self._lock:
            self._failed.pop(key.stem, None)  # asked again after a failure: tried again
            if not self._manifest(key).exists() and not self._job(key).exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                write_atomic(self._job(key), json.dumps(record, sort_keys=True).encode())
        self.wake.set()
        return self.status(key)

    def status(self, key: DebriefKey) -> Status:
        """Where the debrief ``key`` stands."""
        manifest = self._manifest(key)
        if manifest.exists():
            done = json.loads(manifest.read_text("utf-8"))
            return Status(key, "ready", done["replays"], done["replays"],
                          seconds=done["seconds"], teams=tuple(done["teams"]))  # fmt: skip
        with self._lock:
            if key.stem in self._failed:
                return Status(key, "failed", error=self._failed[key.stem])
            if self._running is not None and self._running[0] == key.stem:
                _, done_now, planned, drawing = self._running
                return Status(key, "drawing" if drawing else "running", done_now, planned)
        return Status(key, "queued" if self._job(key).exists() else "none")

    def artefact(self, key: DebriefKey, suffix: str, team: int | None = None) -> Path | None:
        """The finished ``html`` or ``pdf`` of the class (or of ``team``); None if not there."""
        if not self._manifest(key).exists():
            return None
        name = key.stem if team is None else f"{key.stem}-team-{int(team)}"
        path = self.folder / f"{name}.{suffix}"
        return path if path.is_file() else None

    def clean(self) -> int:
        """Remove what a killed server left; returns how many files.

        Its temporary files, and the job records of debriefs it had finished (killed between
        writing the manifest and removing the record).
        """
        if not self.folder.is_dir():
            return 0
        found = list(self.folder.glob(".*.tmp"))
        found += [p for p in self.folder.glob("*.job.json")
                  if (self.folder / p.name.replace(".job.json", ".json")).exists()]  # fmt: skip
        for path in found:
            path.unlink(missing_ok=True)
        return len(found)

    def pending(self) -> list[Path]:
        """Job records without a finished debrief and not failed here, oldest first."""
        if not self.folder.is_dir():
            return []
        jobs = [p for p in self.folder.glob("*.job.json")
                if not (self.folder / p.name.replace(".job.json", ".json")).exists()]  # fmt: skip
        with self._lock:
            jobs = [p for p in jobs if p.name.removesuffix(".job.json") not in self._failed]
        return sorted(jobs, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def run_pending(self, stop: threading.Event | None = None) -> int:
        """Build every pending debrief, one at a time; returns how many were finished."""
        finished = 0
        for job in self.pending():
            if stop is not None and stop.is_set():
                break
            stem = job.name.removesuffix(".job.json")
            try:
                self.build(json.loads(job.read_text("utf-8")), stop)
                finished += 1
            except _Stopped:
                break  # left for the next start, which runs it again
            except Exception as exc:  # a bug or a refused setting: shown, asked for again
                _log.exception("preparing the debrief %s failed", stem)
                with self._lock:
                    self._failed[stem] = str(exc) or repr(exc)
            finally:
                with self._lock:
                    self._running = None
        return finished

    def build(self, record: Mapping[str, Any], stop: threading.Event | None = None) -> None:
        """Build one debrief and write its artefacts, the manifest last."""
        from sim.classroom.debrief import class_debrief
        from sim.classroom.debrief_page import render_debrief_html
        from sim.classroom.debrief_pdf import render_debrief_pdf
        from sim.classroom.setup import ClassSetup

        key = DebriefKey(**record["key"])
        started = time.monotonic()
        counts = [0, 0]  # replays done, planned
        with self._lock:
            self._running = (key.stem, 0, 0, False)

        def progress(done: int, planned: int) -> None:
            if stop is not None and stop.is_set():
                raise _Stopped()
            counts[:] = [done, planned]
            with self._lock:
                self._running = (key.stem, done, planned, False)

        setup = ClassSetup.from_class(record["scenario"], record["config"], record["seed"])
        teams = {team: name for team, name in record["teams"]}
        options: dict[str, Any] = {
            "class_name": record["class_name"],
            "lang": key.lang,
            "replicates": int(record["replicates"]),
            "progress": progress,
        }
        if self.workers > 1:
            from sim.experiments.executors import ProcessPool

            with ProcessPool(self.workers) as pool:
                made = class_debrief(setup, teams, record["decisions"], mapper=pool.map, **options)
        else:
            made = class_debrief(setup, teams, record["decisions"], **options)
        with self._lock:
            self._running = (key.stem, counts[0], counts[1], True)
        for team in [None, *teams]:
            if stop is not None and stop.is_set():
                raise _Stopped()
            name = key.stem if team is None else f"{key.stem}-team-{team}"
            write_atomic(self.folder / f"{name}.html", render_debrief_html(made, team).encode())
            write_atomic(self.folder / f"{name}.pdf", bytes(render_debrief_pdf(made, team)))
        manifest = {"replays": counts[0], "seconds": round(time.monotonic() - started, 1),
                    "teams": [int(t) for t in teams],
                    "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        write_atomic(self._manifest(key), json.dumps(manifest, sort_keys=True).encode())
        self._job(key).unlink(missing_ok=True)
