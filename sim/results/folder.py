"""Result folders that appear whole or not at all.

A run or a comparison writes many files: tables, figures, a page and ``manifest.json``.
Written one by one into the final folder, a kill, a Ctrl-C or a second writer can leave new
tables beside an old manifest. :class:`ResultFolder` works in three steps instead:

1. **claim**, before any work starts: check the path (it names a folder, is no file, has a
   writable parent, fits the file system's name limit, and holds no result unless ``force``)
   and take an exclusive ``fcntl.flock`` on the sibling lock file ``.NAME.lock``. A second
   writer is refused at once, not queued behind the first;
2. **stage**: everything is written into the sibling ``.NAME.<token>.staging``;
3. **publish**: write ``manifest.json`` listing every other file with its size and sha256,
   sync, and rename the staging folder onto the final name (one ``rename``, atomic).

:func:`read_folder` checks a folder against its manifest (:mod:`sim.results.manifest`), so
a mixed folder is refused however it was made.

What a kill at any moment leaves:

* before the rename: the final name is untouched (absent, or the previous result) and a
  staging sibling is left over; the next claim of the same folder deletes it;
* replacing a result (``force``): the old folder is renamed aside to
  ``.NAME.<token>.replaced``, the new one renamed in, the old one deleted. Killed between the
  two renames, the final name is absent while the previous, complete result waits aside:
  :func:`read_folder` says so, and the next claim moves it back before anything else. Killed
  after the second rename, the new result is in place and the next claim deletes the aside.
  Ctrl-C is held back for the two renames, so only a kill can split them;
* the lock file stays: deleting it would let a late writer lock a file nobody else sees.

The lock is advisory (it keeps ``crmsim`` writers apart, not other programs) and the kernel
releases it when its process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from sim.results.manifest import MANIFEST, FolderError, read_manifest, write_manifest

__all__ = ["FolderError", "ResultFolder", "read_folder", "short_name"]

#: Bytes of a folder name derived from a user's name (a scenario's), hash suffix included.
NAME_LIMIT = 120

_SIBLING_LIMIT = 200  # leaves room for ".", ".<token>.replaced" within 255 bytes
_NAME_MAX = 255  # when the file system does not say


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes, with a hash of the whole name when cut.

    The hash keeps two long names that share a beginning apart, and the cut never splits a
    character.
    """
    raw = name.encode("utf-8", errors="surrogateescape")
    if len(raw) <= limit:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:10]
    head = raw[: limit - len(digest) - 1].decode("utf-8", errors="ignore")
    return f"{head}-{digest}"


class ResultFolder:
    """A claim on one result folder: checked and locked on entry, published whole or not at all.

    Use it as a context manager around the whole job, so the lock is held (and every check
    done) before the work starts::

        with ResultFolder("out/run1") as folder:
            result = sim.run(scenario)
            result.write_tables(folder.staging)
            folder.publish(result.manifest)

    Leaving the block without :meth:`publish` (an error, Ctrl-C) deletes the staging folder
    and leaves the final name as it was.

    Args:
        target: the folder the result appears under.
        force: replace a result already there (a folder holding ``manifest.json``).
    """

    def __init__(self, target: str | Path, *, force: bool = False) -> None:
        self.target = Path(target)
        self.force = force
        self._path = Path(os.path.abspath(self.target))
        self._lock: int | None = None
        self._staging: Path | None = None

    def __enter__(self) -> ResultFolder:
        self._claim()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    @property
    def staging(self) -> Path:
        """The folder to write into (created on first use, beside the target)."""
        if self._lock is None:
            raise RuntimeError("claim the folder first: use ResultFolder as a context manager")
        if self._staging is None:
            path = self._sibling("staging")
            path.mkdir(mode=0o700)
            self._staging = path
        return self._staging

    def carry(self, source: str | Path) -> None:
        """Hard-link every entry of ``source`` but its manifest into the staging folder.

        The published folder then keeps them (a rebuilt report keeps its run's tables). Files
        written afterwards must replace the links by rename (as :func:`atomic_write_bytes`
        does), never rewrite them in place, or the source would change under its name.
        """
        src = Path(source)
        for entry in sorted(src.iterdir()):
            if entry.name == MANIFEST:
                continue
            dest = self.staging / entry.name
            if entry.is_symlink():
                os.symlink(os.readlink(entry), dest)
            elif entry.is_dir():
                shutil.copytree(entry, dest, symlinks=True, copy_function=_link)
            else:
                _link(entry, dest)

    def publish(self, manifest: dict[str, Any]) -> Path:
        """Write ``manifest.json`` (``manifest`` plus the file list) and rename into place.

        Returns:
            The target path, as given.

        Raises:
            FolderError: the target filled up or turned into a file since the claim.
        """
        staging = self.staging
        write_manifest(staging, manifest)
        staging.chmod(0o777 & ~_umask())
        _sync_dir(staging)
        try:
            with _interrupts_held():
                if _holds_anything(self._path):
                    aside = self._sibling("replaced")
                    os.rename(self._path, aside)
                    os.rename(staging, self._path)
                    _sync_dir(self._path.parent)
                    shutil.rmtree(aside, ignore_errors=True)
                else:
                    os.replace(staging, self._path)
                    _sync_dir(self._path.parent)
        except OSError as exc:
            raise FolderError(
                f"cannot put the result into {self.target}: {exc.strerror or exc}"
            ) from None
        self._staging = None
        return self.target

    def _claim(self) -> None:
        name = self.target.name
        if str(self.target) in ("", ".") or name in ("", ".", ".."):
            raise FolderError(
                f"the output folder {str(self.target)!r} names no folder; give one such as out/run1"
            )
        parent = self._path.parent
        limit = _name_max(parent)
        if len(os.fsencode(name)) > limit:
            raise FolderError(
                f"the output folder name {name[:40]}… is {len(os.fsencode(name))} bytes, longer "
                f"than the {limit} this file system allows; choose a shorter one"
            )
        self._check_target()  # refuse before writing anything; checked again under the lock
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FolderError(f"cannot create the folder {parent}: {exc.strerror or exc}") from None
        if not os.access(parent, os.W_OK | os.X_OK):
            raise FolderError(f"{parent} is not writable; choose another output folder")
        lock = parent / f".{short_name(name, _SIBLING_LIMIT)}.lock"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise FolderError(f"cannot create the lock file {lock}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderError(
                f"another crmsim is writing {self.target} (it holds the lock {lock}); wait for "
                "it to finish or choose another output folder"
            ) from None
        self._lock = fd
        try:
            self._recover()
            self._check_target()
        except OSError as exc:
            self.__exit__(None, None, None)
            raise FolderError(f"cannot prepare {self.target}: {exc.strerror or exc}") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _recover(self) -> None:
        """Undo what a killed writer left: put a set-aside result back, delete the rest."""
        asides = self._siblings("replaced")
        if asides and not os.path.lexists(self._path):
            newest = max(asides, key=lambda p: p.stat().st_mtime)
            os.rename(newest, self._path)
            asides.remove(newest)
        for leftover in [*asides, *self._siblings("staging")]:
            shutil.rmtree(leftover, ignore_errors=True)

    def _check_target(self) -> None:
        """Refuse a file, a folder that holds no result, or a result without ``force``."""
        path, shown = self._path, self.target
        if not os.path.lexists(path):
            return
        if not path.is_dir():
            raise FolderError(f"{shown} is a file, not a folder; choose another output folder")
        if not _holds_anything(path):
            return
        if not (path / MANIFEST).is_file():
            raise FolderError(
                f"{shown} is a folder that holds no saved result; it is left alone (choose "
                "another output folder)"
            )
        if not self.force:
            raise FolderError(
                f"{shown} already holds a result; replace it with --force (force=True from "
                "Python) or choose another output folder"
            )

    def _sibling(self, kind: str) -> Path:
        stem = short_name(self._path.name, _SIBLING_LIMIT)
        return self._path.parent / f".{stem}.{secrets.token_hex(6)}.{kind}"

    def _siblings(self, kind: str) -> list[Path]:
        return _siblings(self._path, kind)


def read_folder(
    folder: str | Path, wanted: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Check a result folder against its manifest and read some of its files.

    :func:`sim.results.manifest.read_manifest`, saying where an interrupted replacement
    left the previous result when the folder is gone.
    """
    return read_manifest(folder, wanted, absent=_aside_note(Path(folder)))


def _aside_note(folder: Path) -> str:
    asides = _siblings(Path(os.path.abspath(folder)), "replaced")
    if not asides or os.path.lexists(folder):
        return ""
    return (
        f"; an interrupted replacement left the previous result at {asides[0]}, and the next "
        f"write to {folder} moves it back"
    )


def _siblings(path: Path, kind: str) -> list[Path]:
    """The staging or set-aside siblings of ``path`` (exact names, never a neighbour's)."""
    stem = re.escape(f".{short_name(path.name, _SIBLING_LIMIT)}.")
    pattern = re.compile(f"{stem}[0-9a-f]{{12}}\\.{kind}")
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    return [p for p in entries if pattern.fullmatch(p.name) and p.is_dir()]


def _link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Hard-link, or copy where the file system has no hard links."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _holds_anything(path: Path) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is not None
    except (FileNotFoundError, NotADirectoryError):
        return False


def _name_max(folder: Path) -> int:
    """The longest file name the file system holding ``folder`` (or its nearest ancestor) takes."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return _NAME_MAX


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, then deliver it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous == signal.SIG_DFL:
            raise KeyboardInterrupt
