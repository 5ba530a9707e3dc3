"""Sources: a scenario's YAML files read into plain data, each value with its origin.

A scenario is written like a family recipe card: ``extends: baseline`` says "start from
grandma's card", and the lines below change a pinch here and there. This module reads the
card and its ancestors (a library name, a ``.yaml`` file or a dict), deep-merges them —
mappings merge, lists and scalars replace — and keeps an :class:`Origin` for every dotted
path, the file and line that set it last, so that a later error can point at that line.

A shared card must not reach into the reader's kitchen: ``extends`` names a library
scenario or a ``.yaml`` file in the extending file's folder or below it (symbolic links
followed first), never a file elsewhere, and a refused parent is never opened. Files are
read only when they are regular files of at most :data:`~sim.scenario.intake.MAX_FILE_BYTES`,
and parsed within the limits of :mod:`sim.scenario.intake`.

Nothing here knows the scenario schema beyond the names of its top-level keys (for the
message about a file that is not a mapping); checking the data is the job of
:mod:`sim.scenario.overrides` and :mod:`sim.scenario.diagnosis`.
"""

from __future__ import annotations

import copy
import difflib
import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from yaml.constructor import ConstructorError

import scenarios
from sim.errors import Problem, ScenarioError
from sim.scenario.dotted_paths import deep_merge, paths, under_any
from sim.scenario.intake import (
    LIMITS,
    MAX_FILE_BYTES,
    LimitError,
    data_problem,
    parse_yaml,
    show,
    yaml_reason,
)
from sim.scenario.translated import untranslated

__all__ = ["MAX_EXTENDS", "Origin", "Origins", "read_source"]

#: Longest ``extends`` chain, in files; the library's is two (a lesson on the baseline).
MAX_EXTENDS = 16

_PATH_SUFFIXES = (".yaml", ".yml")
_MAX_LISTED = 12


@dataclass(frozen=True)
class Origin:
    """Where a dotted path got its value: a file and line, a dict, or an override."""

    file: Path | None
    line: int | None
    override: bool = False


#: The origin of every dotted path written so far.
Origins = dict[str, Origin]


def read_source(
    source: str | Path | Mapping[str, Any], model: type[BaseModel]
) -> tuple[dict[str, Any], Origins, Path | None]:
    """Data, origins and file of a source after following its ``extends`` chain.

    Args:
        source: a library name, a path to a ``.yaml`` file, or a mapping.
        model: the model the data describes; its field names are offered when a file's
            top level is not a mapping.

    Returns:
        The merged data, the origin of each dotted path, and the file read (None for a
        mapping). A file that does not set ``name`` itself is named after its stem.

    Raises:
        ScenarioError: an unknown library name, an unreadable or invalid file, or a
            broken ``extends`` chain.
    """
    if isinstance(source, Mapping):
        too_big = data_problem(dict(source))
        if too_big is not None:
            raise ScenarioError([Problem("", None, None, f"the scenario has {too_big}", None)])
        data = copy.deepcopy(dict(source))
        origins = {p: Origin(None, None) for p in paths(data)}
        data, origins = _with_parent(data, origins, None, Path.cwd(), (), model)
        return data, origins, None
    if isinstance(source, Path) or _looks_like_path(source):
        file = _shown(Path(source).expanduser())
    else:
        try:
            file = _shown(scenarios.path(source))
        except scenarios.UnknownScenarioError as exc:
            raise ScenarioError(
                [
                    Problem(
                        "",
                        None,
                        None,
                        f"no scenario named {source!r} in the library",
                        _choices(
                            "a library scenario",
                            exc.available,
                            exc.suggestion,
                            " or a path to a .yaml file",
                        ),
                    )
                ]
            ) from None
    try:
        data, origins = _load_file(file, (), model)
    except ScenarioError as exc:
        if exc.file == file:
            raise
        raise ScenarioError(exc.problems, file) from None
    named = origins.get("name")
    if named is None or named.file != file:
        data["name"] = file.stem
    return data, origins, file


# --------------------------------------------------------------------------- extends
def _load_file(
    file: Path, chain: tuple[Path, ...], model: type[BaseModel]
) -> tuple[dict[str, Any], Origins]:
    """Read one file and, through ``extends``, its ancestors.

    ``chain`` holds the real paths of the files that extend this one; only the first file
    of a chain has its content quoted in messages (a parent may be anyone's file).
    """
    data, lines = _read_yaml(file, model, quote=not chain)
    origins = {p: Origin(file, line) for p, line in lines.items()}
    real = _real_path(file)
    return _with_parent(data, origins, file, file.parent, (*chain, real), model)


def _with_parent(
    data: dict[str, Any],
    origins: Origins,
    file: Path | None,
    base_dir: Path,
    chain: tuple[Path, ...],
    model: type[BaseModel],
) -> tuple[dict[str, Any], Origins]:
    """Merge ``data`` on top of the scenario it ``extends`` (if any)."""
    if "extends" not in data:
        return data, origins
    ref = data.pop("extends")
    at = origins.pop("extends", Origin(file, None))
    parent = _resolve_extends(ref, base_dir, at)
    real = _real_path(parent, Problem("extends", at.line, show(ref), "", None, at.file))
    if real in chain:
        loop = " → ".join(p.name for p in (*chain, real))
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    show(ref),
                    f"extends cycle: {loop}",
                    "a parent scenario that does not lead back to this file",
                    file=at.file,
                )
            ],
            file,
        )
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    show(ref),
                    f"the extends chain is longer than {MAX_EXTENDS} files",
                    f"a chain of at most {MAX_EXTENDS} files",
                    at.file,
                )
            ],
            file,
        )
    parent_data, parent_origins = _load_file(parent, chain, model)
    parent_data = untranslated(parent_data, data)
    replaced: set[str] = set()
    merged = deep_merge(parent_data, data, "", replaced)
    kept = {p: o for p, o in parent_origins.items() if not under_any(p, replaced)}
    kept.update(origins)
    return merged, kept


def _resolve_extends(ref: Any, base_dir: Path, at: Origin) -> Path:
    """File named by an ``extends:`` value, inside the library or below ``base_dir``.

    ``base_dir`` is the extending file's folder; a path is checked with every symbolic link
    followed, and refused before anything is read when it leads elsewhere.
    """
    hint = "the name of a library scenario, or a path relative to this file such as base.yaml"

    def refuse(message: str, allowed: str | None = hint) -> ScenarioError:
        return ScenarioError(
            [Problem("extends", at.line, show(ref), message, allowed, at.file)], at.file
        )

    if not isinstance(ref, str) or not ref.strip():
        raise refuse("must name one scenario")
    ref = ref.strip()
    if _looks_like_path(ref):
        target = base_dir / ref
        real = _real_path(target, Problem("extends", at.line, show(ref), "", hint, at.file))
        if not any(real.is_relative_to(d) for d in (_real_path(base_dir), scenarios.SCENARIO_DIR)):
            raise refuse(
                "points outside this file's folder and the scenario library; a scenario "
                "extends only a library scenario or a .yaml file in its own folder or below",
                "a library scenario name, or a relative path below this file's folder such "
                "as base.yaml or shared/base.yaml",
            )
        if not ref.endswith(_PATH_SUFFIXES):
            raise refuse("is not a .yaml or .yml file")
        if real.exists():  # a folder or a pipe is refused when read, by name
            return _shown(real)
        raise refuse(f"file not found: {_shown(target)}", _files_near(target))
    try:
        return _shown(scenarios.path(ref))
    except scenarios.UnknownScenarioError as exc:
        allowed = _choices(
            "a library scenario",
            exc.available,
            exc.suggestion,
            " or a path relative to this file such as ./base.yaml",
        )
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    show(ref),
                    f"no scenario named {ref!r} in the library",
                    allowed,
                    at.file,
                )
            ],
            at.file,
        ) from None


# --------------------------------------------------------------------------- one file
def _read_yaml(
    file: Path, model: type[BaseModel], *, quote: bool
) -> tuple[dict[str, Any], dict[str, int]]:
    """Top-level mapping of a YAML file and the line (1-based) of every dotted path.

    ``quote``: whether a message may show the file's content (its top-level value).
    """

    def fail(message: str, allowed: str | None, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem("", line, None, message, allowed, file)], file)

    try:
        text = _read_text(file).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not a UTF-8 text file ({exc.reason})", "a YAML text file") from None
    try:
        data, lines, problems = parse_yaml(text, file)
    except LimitError as exc:
        mark = exc.problem_mark
        raise fail(
            f"past a reading limit: {yaml_reason(exc)}",
            f"a scenario file of {LIMITS}",
            mark.line + 1 if mark is not None else None,
        ) from None
    except ConstructorError as exc:
        mark = exc.problem_mark
        raise fail(
            f"unreadable value: {yaml_reason(exc)}",
            "YAML's standard tags (!!str, !!int, !!float, !!bool, !!null) on values they can "
            "read, such as !!float 1.5, or no tag at all",
            mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise fail(
            f"YAML syntax error: {yaml_reason(exc)}",
            "YAML: `key: value` lines indented with spaces (never tabs), list items as "
            "`- item`, and quotes around text containing ': ' or ' #'",
            line,
        ) from None
    if data is None:
        raise fail("the file is empty", "a mapping with at least a population block")
    if not isinstance(data, dict):
        value = f" {show(data)}" if quote else ""
        raise fail(
            f"the top level is {type(data).__name__}{value}, not a mapping",
            "a mapping of keys to values: " + ", ".join(model.model_fields),
            1,
        )
    if problems:
        raise ScenarioError(problems, file)
    return data, lines


def _read_text(file: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, read without blocking.

    Opened without waiting (a named pipe would wait for a writer forever) and checked on
    the open descriptor, so a file swapped after a check is still refused.
    """

    def fail(message: str, allowed: str | None) -> ScenarioError:
        return ScenarioError([Problem("", None, None, message, allowed, file)], file)

    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise fail("file not found", _files_near(file)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise fail("its symbolic links form a loop", "a link to a real file") from None
        raise fail(f"cannot read the file ({exc.strerror})", "a readable YAML file") from None
    except ValueError:  # a NUL character in the path
        raise fail("is not a valid file name", "a path to a .yaml file") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise fail("is a folder, not a file", _files_near(file / "scenario.yaml"))
        if not stat.S_ISREG(mode):
            raise fail("is not a regular file (a device, pipe or socket)", "a .yaml file on disk")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES and (chunk := os.read(fd, MAX_FILE_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})", "a readable YAML file") from None
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise fail(
            f"the file is larger than {MAX_FILE_BYTES // (1 << 20)} MiB",
            f"a scenario file of at most {MAX_FILE_BYTES:,} bytes",
        )
    return b"".join(chunks)


def _real_path(path: Path, at: Problem | None = None) -> Path:
    """``path`` with every symbolic link followed (``at``: where to report a link loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        loop = replace(
            at or Problem("", None, None, "", None, path),
            message="its symbolic links form a loop",
            allowed="a link to a real file",
        )
        raise ScenarioError([loop], loop.file) from None


# --------------------------------------------------------------------------- wording
def _choices(what: str, names: list[str], suggestion: str | None, tail: str = "") -> str:
    """``what (a, b, c)<tail>; did you mean 'x'?`` for a list of available names."""
    shown = names[:_MAX_LISTED] + (
        [f"… {len(names) - _MAX_LISTED} more"] if len(names) > _MAX_LISTED else []
    )
    text = (f"{what} ({', '.join(shown)})" if names else what) + tail
    return text + (f"; did you mean {suggestion!r}?" if suggestion else "")


def _files_near(missing: Path) -> str:
    """The YAML files beside a missing one, with the closest name to it."""
    folder = missing.parent
    siblings = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    close = difflib.get_close_matches(missing.name, siblings, n=1)
    return _choices(f"a file in {_shown(folder)}", siblings, close[0] if close else None)


def _looks_like_path(text: str) -> bool:
    """A file path (has a YAML suffix or a folder part) rather than a library name."""
    return text.endswith(_PATH_SUFFIXES) or "/" in text or "\\" in text


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (for messages)."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
