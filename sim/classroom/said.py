"""What a refusal says: a catalogue key and its numbers, written in the reader's language.

The picture is a form handed back across a bilingual counter with the clerk's note on it.
The note is kept as *which* note and its numbers (``classroom.allowed.whole_range`` with
``low=1, high=6``), not as a finished English sentence, so each reader gets it in their own
language: the team page writes it in the page's language (``?lang=zh``: "超出范围（允许的值：
1 到 6 之间的整数）"), and the JSON API keeps the English ``message`` and ``allowed`` it has
always answered, adding ``key``, ``allowed_key`` and ``fields`` so that a script can write
the same note from the same catalogue.

:class:`Said` is a :class:`sim.errors.Problem`, so everything that already prints problems
(``Problem.render``, the text of :class:`~sim.classroom.schema.InvalidInput`, logs, the
tests' messages) keeps reading English; that English is the catalogue's, computed when the
problem is made, never restated in the code. Names no language translates (lever paths,
choices, engines, scoring rules) and the scenario's own English reason travel as fields,
inside a translated frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sim.classroom.credentials import AccessDenied
from sim.errors import Problem
from sim.i18n import catalogue

__all__ = ["NO_VALUE", "Said", "framed", "problem_json", "problems_of", "said", "words"]


class _NoValue:
    """The value of a problem about no single value (a missing lever, a whole request)."""

    def __repr__(self) -> str:
        return "NO_VALUE"


#: Pass as ``value`` when the problem shows none.
NO_VALUE: Final = _NoValue()

_SHOWN = 60  # characters of a value's repr shown, as the scenario's problems show


@dataclass(frozen=True)
class Said(Problem):
    """A problem whose words are catalogue keys filled with fields.

    Attributes:
        key: the catalogue key of the message.
        allowed_key: the catalogue key of what is allowed ("" when nothing more is said).
        fields: the fields both texts are filled with, ``(name, value)`` pairs in order.
    """

    key: str = ""
    allowed_key: str = ""
    fields: tuple[tuple[str, Any], ...] = ()

    def words(self, lang: str) -> tuple[str, str | None]:
        """The message and the allowed text in ``lang``."""
        return _texts(lang, self.key, self.allowed_key, dict(self.fields))


def _texts(lang: str, key: str, allowed_key: str, fields: dict[str, Any]) -> tuple[str, str | None]:
    say = catalogue(lang)
    return say(key, **fields), say(allowed_key, **fields) if allowed_key else None


def said(path: str, value: object, key: str, allowed_key: str = "", /, **fields: Any) -> Said:
    """A problem of field ``path`` saying ``key`` (and ``allowed_key``), filled with ``fields``.

    Args:
        path: the field, as the request or the settings name it ("" for the whole request).
        value: the value refused, shown shortened; :data:`NO_VALUE` for none.
        key: the catalogue key of the message.
        allowed_key: the catalogue key of what is allowed instead, or "".
        **fields: what both texts are filled with (numbers, or names joined into text).
    """
    shown = None
    if value is not NO_VALUE:
        shown = repr(value)
        shown = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 3] + "..."
    message, allowed = _texts("en", key, allowed_key, fields)
    return Said(path, None, shown, message, allowed, key=key, allowed_key=allowed_key,
                fields=tuple(fields.items()))  # fmt: skip


def framed(problem: Problem, key: str) -> Said:
    """A problem worded elsewhere (the scenario's own, in English) inside ``key``'s frame.

    Field, line and value stay; the problem's message and allowed text fill ``{reason}``.
    """
    reason = problem.message + (f" (allowed: {problem.allowed})" if problem.allowed else "")
    message, _ = _texts("en", key, "", {"reason": reason})
    return Said(problem.path, problem.line, problem.value, message, None, problem.file,
                problem.override, key=key, fields=(("reason", reason),))  # fmt: skip


def words(problem: Problem, lang: str) -> tuple[str, str | None]:
    """A problem's message and allowed text in ``lang`` (a plain problem: as it was written)."""
    if isinstance(problem, Said) and problem.key:
        return problem.words(lang)
    return problem.message, problem.allowed


def problems_of(err: Exception) -> list[Problem]:
    """The problems of a refusal, one per field; a plain message becomes one problem."""
    if isinstance(err, AccessDenied):
        return [said("", NO_VALUE, "classroom.error.denied")]
    found = getattr(err, "problems", None)
    if found:
        return list(found)
    return [Problem("", None, None, str(err))]


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as the JSON API answers it: the English words, and the keys to translate them.

    ``field``, ``value``, ``message`` and ``allowed`` as always; ``key`` and ``allowed_key``
    (None when the problem has none) with ``fields``, which fill the catalogue's texts.
    """
    out: dict[str, Any] = {"field": problem.path, "value": problem.value,
                           "message": problem.message, "allowed": problem.allowed,
                           "key": None, "allowed_key": None, "fields": {}}  # fmt: skip
    if isinstance(problem, Said) and problem.key:
        out.update(key=problem.key, allowed_key=problem.allowed_key or None,
                   fields=dict(problem.fields))  # fmt: skip
    return out
