"""Intake: untrusted YAML text turned into data and line numbers, within fixed limits.

Scenario files travel between trainers like recipe cards pinned to a shared board, and a
card may be a prank: a few kilobytes of YAML aliases that expand to gigabytes, a list of a
million items, a thousand levels of nesting, a 5000-digit number. Like a post room that
weighs every parcel before opening it, this module parses a document once with the C
parser when PyYAML has it (safe tags only), counts every value as it is composed (an alias
counts as often as it is used) and stops at the first limit crossed, so a hostile file
costs milliseconds. The node tree it keeps gives both the data and the line of each key.

The same limits hold for a scenario given as a mapping (:func:`data_problem`).
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

from sim.errors import Problem

__all__ = [
    "LIMITS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_KEY_CHARS",
    "MAX_NODES",
    "LimitError",
    "clip",
    "data_problem",
    "parse_yaml",
    "show",
    "yaml_reason",
]

#: Largest scenario file read, in bytes (1 MiB; the biggest library file is under 4 KiB).
MAX_FILE_BYTES = 1 << 20
#: Most values (mapping keys, values and list items, aliases counted at every use) in one
#: document; the baseline scenario has about 300.
MAX_NODES = 20_000
#: Deepest nesting of mappings and lists; a scenario nests about six levels.
MAX_DEPTH = 32
#: Most characters of an integer; counts and money need fewer than 20 digits.
MAX_DIGITS = 50
#: Longest mapping key; the longest setting name has about 30 characters.
MAX_KEY_CHARS = 100

#: The limits in words, for the "allowed" part of a message.
LIMITS = (
    f"at most {MAX_FILE_BYTES >> 20} MiB, {MAX_NODES:,} values (an alias counts at each "
    f"use), {MAX_DEPTH} levels of nesting, integers of {MAX_DIGITS} digits, and no alias "
    "inside its own anchor"
)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_MAX_SHOWN = 60

#: PyYAML's safe loader on the C parser (libyaml) when PyYAML was built with it.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LimitError(yaml.MarkedYAMLError):
    """A document past one of the :data:`LIMITS`: refused before it is read whole."""


class _BoundedLoader(Composer, _SafeBase):  # type: ignore[misc, valid-type]
    """The parser's events composed by PyYAML's composer, with a budget of values and depth.

    The composer comes first in the method order, so the C parser only scans and parses
    (its own composer cannot be stopped halfway); composing in Python is what lets each
    value be counted as it arrives, and costs no more than composing in C.
    """

    def __init__(self, text: str) -> None:
        _SafeBase.__init__(self, text)
        Composer.__init__(self)
        self.values = 0
        self.depth = 0
        self.weights: dict[str, int] = {}  # anchor → values it stands for
        self.open: set[str] = set()  # anchors whose node is still being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: Any = self.peek_event()
        if self.check_event(AliasEvent):
            if event.anchor in self.open:
                raise LimitError(
                    None,
                    None,
                    f"alias *{event.anchor} is used inside its own anchor",
                    event.start_mark,
                )
            self.count(self.weights.get(event.anchor, 0), event)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        before = self.values
        self.count(1, event)
        anchor = event.anchor
        if anchor is not None:
            self.open.add(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self.open.discard(anchor)
            self.weights[anchor] = self.values - before
        self.depth -= 1
        return node

    def count(self, values: int, event: Any) -> None:
        """Add ``values`` to the document's count; refuse it past :data:`MAX_NODES`."""
        self.values += values
        if self.values > MAX_NODES:
            raise LimitError(
                None,
                None,
                f"more than {MAX_NODES:,} values (an alias counts each time it is used)",
                event.start_mark,
            )

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value from its node; a scalar its tag cannot read is a located YAML error."""
        if node.tag == _INT_TAG and len(str(node.value)) > MAX_DIGITS:
            raise LimitError(
                None,
                None,
                f"an integer of {len(node.value)} characters (at most {MAX_DIGITS} digits)",
                node.start_mark,
            )
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            text = clip(str(node.value)) if isinstance(node, yaml.ScalarNode) else "this value"
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise ConstructorError(
                None,
                None,
                f"cannot read {text!r} as {tag}",
                node.start_mark,
            ) from None


def parse_yaml(text: str, file: Path | None = None) -> tuple[Any, dict[str, int], list[Problem]]:
    """The data of one YAML document, the line of every dotted path, and its duplicate keys.

    Only YAML's standard (safe) tags are read. The lines and duplicates come from the same
    node tree as the data, walked before building the data (which flattens ``<<:`` merge
    keys into the tree); they are left empty when no ``file`` is given to name.

    Raises:
        LimitError: the document is past a limit (values, nesting, digits).
        yaml.YAMLError: the text is not one valid YAML document.
    """
    try:
        loader = _BoundedLoader(text)
    except UnicodeEncodeError:  # a lone surrogate, as a command line's bad bytes become
        raise yaml.YAMLError("the text is not valid Unicode") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines, problems = _key_lines(node, file) if file is not None else ({}, [])
        return loader.construct_document(node), lines, problems
    finally:
        loader.dispose()


def _key_lines(root: yaml.Node, file: Path) -> tuple[dict[str, int], list[Problem]]:
    """The line (1-based) of every dotted path below ``root``, and its duplicate keys.

    Lines from ``<<:`` merge keys never overwrite a line written explicitly. Aliases are
    walked as often as they are used, which :data:`MAX_NODES` has already bounded.
    """
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    _walk(root, "", lines, problems, file, weak=False)
    return lines, problems


def _walk(
    node: yaml.Node | None,
    prefix: str,
    lines: dict[str, int],
    problems: list[Problem],
    file: Path,
    *,
    weak: bool,
) -> None:
    """Record the lines below ``node`` (``weak``: only where none is recorded yet)."""

    def record(path: str, line: int) -> None:
        if weak:
            lines.setdefault(path, line)
        else:
            lines[path] = line

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
            line = key_node.start_mark.line + 1
            if len(key) > MAX_KEY_CHARS:
                problems.append(
                    Problem(
                        prefix + clip(key),
                        line,
                        None,
                        f"a key of {len(key):,} characters",
                        f"keys of at most {MAX_KEY_CHARS} characters",
                        file,
                    )
                )
                continue
            path = prefix + key
            if not weak and key in seen:
                problems.append(
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
            record(path, line)
            _walk(value_node, path + ".", lines, problems, file, weak=weak)
        for merged in merges:
            items = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for item in items:
                _walk(item, prefix, lines, problems, file, weak=True)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            record(f"{prefix}{i}", item.start_mark.line + 1)
            _walk(item, f"{prefix}{i}.", lines, problems, file, weak=weak)


def data_problem(data: Any) -> str | None:
    """What puts plain data past the limits a file is held to, or None when nothing does.

    A value reached twice counts twice, like an alias; a value inside itself is refused.
    """
    budget = [MAX_NODES]

    def visit(value: Any, depth: int, inside: frozenset[int]) -> str | None:
        budget[0] -= 1
        if budget[0] < 0:
            return f"more than {MAX_NODES:,} values"
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        # A decimal digit holds about 3.32 bits.
        if isinstance(value, int) and abs(value).bit_length() > MAX_DIGITS * 3.33:
            return f"an integer of more than {MAX_DIGITS} digits"
        items: Iterable[Any]
        if isinstance(value, dict):
            long_keys = [k for k in value if isinstance(k, str) and len(k) > MAX_KEY_CHARS]
            if long_keys:
                return f"a key of {len(long_keys[0]):,} characters (at most {MAX_KEY_CHARS})"
            items = value.values()
        elif isinstance(value, list | tuple):
            items = value
        else:
            return None
        if id(value) in inside:
            return "a mapping or list that contains itself"
        inner = inside | {id(value)}
        for item in items:
            found = visit(item, depth + 1, inner)
            if found is not None:
                return found
        return None

    return visit(data, 0, frozenset())


# --------------------------------------------------------------------------- wording
def yaml_reason(exc: yaml.YAMLError) -> str:
    """The human part of a PyYAML error (without its excerpt of the file)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        reason = exc.problem or "invalid YAML"
        if exc.context:
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            reason += f" ({exc.context}{where})"
        return reason
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


class _Preview(reprlib.Repr):
    """``repr`` that looks only at the start of a value: a few items, a few levels deep."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 3, 4, 6, 6
        self.maxset = self.maxfrozenset = 6
        self.maxstring = self.maxother = _MAX_SHOWN

    def repr_int(self, x: int, level: int) -> str:
        # Python refuses to write out an int of more than 4300 digits at all.
        if x.bit_length() > 3 * _MAX_SHOWN:
            return f"<an integer of about {int(x.bit_length() * 0.30103) + 1:,} digits>"
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        return repr(x[: self.maxstring]) + ("…" if len(x) > self.maxstring else "")


_PREVIEW = _Preview()


def show(value: Any) -> str:
    """A short ``repr`` of a value for messages, built from the value's start only."""
    text = _PREVIEW.repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def clip(text: str, limit: int = _MAX_SHOWN) -> str:
    """The start of a long text (at most ``limit`` characters), for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
