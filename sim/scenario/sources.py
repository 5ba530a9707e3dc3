"""Sources: a scenario's YAML files read into plain data, each value with its origin.

A scenario is written like a family recipe card: ``extends: baseline`` says "start from
grandma's card", and the lines below change a pinch here and there. This module reads the
card and its ancestors (a library name, a ``.yaml`` file or a dict), deep-merges them —
mappings merge, lists and scalars replace — and keeps an :class:`Origin` for every dotted
path, the file and line that set it last, so that a later error can point at that line.

Nothing here knows the scenario schema beyond the names of its top-level keys (for the
message about a file that is not a mapping); checking the data is the job of
:mod:`sim.scenario.overrides` and :mod:`sim.scenario.diagnosis`.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

import scenarios
from sim.errors import Problem, ScenarioError
from sim.scenario.dotted_paths import deep_merge, paths, under_any

__all__ = ["Origin", "Origins", "read_source", "show", "yaml_reason"]

_PATH_SUFFIXES = (".yaml", ".yml")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_SHOWN = 60
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
        data, origins = _load_file(file, (file.resolve(),), model)
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
    """Read one file and, through ``extends``, its ancestors (``chain``: files so far)."""
    data, lines = _read_yaml(file, model)
    origins = {p: Origin(file, line) for p, line in lines.items()}
    return _with_parent(data, origins, file, file.parent, chain, model)


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
    if parent.resolve() in chain:
        loop = " → ".join(p.name for p in (*chain, parent.resolve()))
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
    parent_data, parent_origins = _load_file(parent, (*chain, parent.resolve()), model)
    replaced: set[str] = set()
    merged = deep_merge(parent_data, data, "", replaced)
    kept = {p: o for p, o in parent_origins.items() if not under_any(p, replaced)}
    kept.update(origins)
    return merged, kept


def _resolve_extends(ref: Any, base_dir: Path, at: Origin) -> Path:
    """File named by an ``extends:`` value: a relative path, or a library name."""
    hint = "the name of a library scenario, or a path relative to this file such as base.yaml"
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(
            [Problem("extends", at.line, show(ref), "must name one scenario", hint, at.file)],
            at.file,
        )
    ref = ref.strip()
    if _looks_like_path(ref):
        target = base_dir / ref
        if target.is_file():
            return _shown(target)
        raise ScenarioError(
            [
                Problem(
                    "extends",
                    at.line,
                    show(ref),
                    f"file not found: {_shown(target)}",
                    _files_near(target),
                    at.file,
                )
            ],
            at.file,
        )
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
def _read_yaml(file: Path, model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, int]]:
    """Top-level mapping of a YAML file and the line (1-based) of every dotted path."""

    def fail(message: str, allowed: str | None, line: int | None = None) -> ScenarioError:
        return ScenarioError([Problem("", line, None, message, allowed, file)], file)

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("file not found", _files_near(file)) from None
    except UnicodeDecodeError as exc:
        raise fail(f"not a UTF-8 text file ({exc.reason})", "a YAML text file") from None
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})", "a readable YAML file") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
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
        raise fail(
            f"the top level is {type(data).__name__} {show(data)}, not a mapping",
            "a mapping of keys to values: " + ", ".join(model.model_fields),
            1,
        )
    lines: dict[str, int] = {}
    duplicates: list[Problem] = []
    _walk_lines(root, "", lines, duplicates, file, weak=False, active=set())
    if duplicates:
        raise ScenarioError(duplicates, file)
    return data, lines


def _walk_lines(
    node: yaml.Node | None,
    prefix: str,
    lines: dict[str, int],
    duplicates: list[Problem],
    file: Path,
    *,
    weak: bool,
    active: set[int],
) -> None:
    """Record the line of every key and list item below ``node``; flag duplicate keys.

    ``weak`` lines (from ``<<:`` merge keys) never overwrite a line written explicitly;
    ``active`` holds the nodes being walked, so that a self-referencing anchor ends.
    """
    if node is None or id(node) in active:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            path = prefix + key
            line = key_node.start_mark.line + 1
            if not weak and key in seen:
                duplicates.append(
                    Problem(
                        path,
                        line,
                        None,
                        f"duplicate key {key!r}, already set on line {seen[key]}; "
                        "YAML would silently keep only the last one",
                        "each key once per block (merge the two blocks)",
                        file,
                    )
                )
            seen.setdefault(key, line)
            if weak:
                lines.setdefault(path, line)
            else:
                lines[path] = line
            _walk_lines(value_node, path + ".", lines, duplicates, file, weak=weak, active=active)
        for merged in merges:
            items = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for item in items:
                _walk_lines(item, prefix, lines, duplicates, file, weak=True, active=active)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}{i}"
            if weak:
                lines.setdefault(path, item.start_mark.line + 1)
            else:
                lines[path] = item.start_mark.line + 1
            _walk_lines(item, path + ".", lines, duplicates, file, weak=weak, active=active)
    active.discard(id(node))


def yaml_reason(exc: yaml.YAMLError) -> str:
    """The human part of a PyYAML error (without its excerpt of the file)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        reason = exc.problem or "invalid YAML"
        if exc.context:
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            reason += f" ({exc.context}{where})"
        return reason
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


# --------------------------------------------------------------------------- wording
def show(value: Any) -> str:
    """A short ``repr`` of a value for messages."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


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
