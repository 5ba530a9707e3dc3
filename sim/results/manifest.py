"""The manifest's file list: what a result folder holds, byte for byte.

``manifest.json`` names a result (a run's scenario, seed and versions, or a comparison's arms)
and lists every other file of its folder with its size and sha256. A folder whose files do not
match, because a save was interrupted or two saves mixed, is refused with the first file that
differs, and a listed name that would leave the folder, or is no regular file, is refused
before it is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from sim.errors import UserError

__all__ = ["MANIFEST", "FolderError", "read_manifest", "write_manifest"]

#: The file that names a result and lists its other files.
MANIFEST = "manifest.json"

_FILES = "files"


class FolderError(UserError):
    """A result folder that cannot be written or read as asked.

    The path, the lock, or files that do not match the manifest ("incomplete or mixed
    result"): each is the user's to fix, so it is a :class:`UserError`.
    """


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` plus the list of every other file of ``folder``, all synced to disk."""
    listing: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder).as_posix()
        if rel != MANIFEST and file.is_file() and not file.is_symlink():
            size, digest = _digest(file, sync=True)
            listing[rel] = {"sha256": digest, "size": size}
    text = json.dumps({**manifest, _FILES: listing}, indent=2, sort_keys=True, default=str)
    with open(folder / MANIFEST, "wb") as fh:
        fh.write(text.encode())
        os.fsync(fh.fileno())


def read_manifest(
    folder: str | Path, wanted: Iterable[str] = (), *, absent: str = ""
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Check a result folder against its manifest and read some of its files.

    Every file the manifest lists must be there with its size and sha256; the bytes returned
    are the bytes checked, so a folder replaced while it is read is refused, never mixed.

    Args:
        folder: the result folder.
        wanted: names of files to return (each must be listed).
        absent: added to the message when the folder holds no manifest.

    Returns:
        The manifest (without its file list) and the wanted files' bytes by name.

    Raises:
        FolderError: no result there, or "incomplete or mixed result: FILE …" naming the
            first file that is missing, unlisted or different.
    """
    src = Path(folder)
    try:
        if not stat.S_ISREG(os.stat(src / MANIFEST).st_mode):
            raise _mixed(src, MANIFEST, "is not a regular file")
        raw = (src / MANIFEST).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise FolderError(f"{src} holds no saved result (no {MANIFEST}){absent}") from None
    except OSError as exc:
        raise FolderError(f"cannot read {src / MANIFEST}: {exc.strerror}") from None
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise _mixed(src, MANIFEST, "is not valid JSON") from None
    listing = manifest.pop(_FILES, None) if isinstance(manifest, dict) else None
    if not isinstance(listing, dict):
        raise _mixed(src, MANIFEST, "lists no files (not saved by this crmsim); save it again")
    wanted = set(wanted)
    for name in sorted(wanted - listing.keys()):
        raise _mixed(src, name, f"is not listed in {MANIFEST}")
    data: dict[str, bytes] = {}
    for name, entry in sorted(listing.items()):
        if not _safe(name) or not isinstance(entry, dict):
            raise _mixed(src, name, f"is not a valid entry of {MANIFEST}")
        path = src / name
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise _mixed(src, name, "is not a regular file")
            if name in wanted:
                data[name] = path.read_bytes()
                size, digest = len(data[name]), hashlib.sha256(data[name]).hexdigest()
            else:
                size, digest = _digest(path)
        except FileNotFoundError:
            raise _mixed(src, name, "is missing") from None
        except OSError as exc:
            raise FolderError(f"cannot read {path}: {exc.strerror}") from None
        if size != entry.get("size"):
            raise _mixed(src, name, f"has {size} bytes, {MANIFEST} says {entry.get('size')}")
        if digest != entry.get("sha256"):
            raise _mixed(src, name, f"does not match its sha256 in {MANIFEST}")
    return manifest, data


def _mixed(folder: Path, name: str, problem: str) -> FolderError:
    return FolderError(f"incomplete or mixed result: {name} {problem} (folder {folder})")


def _safe(name: object) -> bool:
    """A listed name that stays inside the folder."""
    if not isinstance(name, str) or not name or name == MANIFEST or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not name.startswith("/") and all(p not in ("..", ".") for p in parts)


def _digest(path: Path, *, sync: bool = False) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
        if sync:
            os.fsync(fh.fileno())
    return size, h.hexdigest()
