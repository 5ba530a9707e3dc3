"""The message catalogue: keys, their English and Chinese text, and the checks they pass.

Entries live in ``messages/*.yaml`` (read with ``yaml.safe_load``)::

    kpi.profit:
      en: Profit
      zh: 利润

A text may hold ``str.format`` fields (``"{arm} kept {share:.1%}"``); both languages of a key
name the same fields, so a caller fills either with the same arguments. Loading checks what
a careless edit would break: both languages present, the same fields, a key defined in one
file only. ``tests/test_i18n.py`` adds what needs the whole code base (no English text under
two keys, every key a page asks for defined).

A key that is not here is a bug, not a missing translation: :meth:`Catalogue.text` raises
``KeyError`` naming the closest keys rather than showing the key to a learner.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from sim.errors import UserError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable
    from pathlib import Path

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Catalogue",
    "Entry",
    "catalogue",
    "check_lang",
    "entries",
    "load_folder",
    "text",
]

#: The languages every entry has, the default first.
LANGS: tuple[str, ...] = ("en", "zh")

#: The language a page is written in when nobody asks for another.
DEFAULT_LANG = "en"

#: Each language's name in itself, for a language switch.
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


@dataclass(frozen=True)
class Entry:
    """One key of the catalogue: its text per language and the file that defines it."""

    key: str
    texts: dict[str, str]
    source: str

    def fields(self, lang: str) -> frozenset[str]:
        """The ``str.format`` field names of the text in ``lang`` (``{share:.1%}`` → share)."""
        return frozenset(
            name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(self.texts[lang])
            if name
        )


def check_lang(lang: object, where: str = "--lang") -> str:
    """``lang`` itself when it is a catalogue language, else a :class:`UserError` naming them."""
    if lang not in LANGS:
        allowed = ", ".join(f"{k} ({LANGUAGE_NAMES[k]})" for k in LANGS)
        raise UserError(f"{where}: unknown language {lang!r}; allowed: {allowed}")
    return str(lang)


class Catalogue:
    """The texts of one language, looked up by key and filled with arguments."""

    def __init__(self, entries: dict[str, Entry], lang: str) -> None:
        self.entries = entries
        self.lang = check_lang(lang)

    def __call__(self, key: str, /, **fields: Any) -> str:
        """Shorthand for :meth:`text`."""
        return self.text(key, **fields)

    def text(self, key: str, /, **fields: Any) -> str:
        """The text of ``key`` in this language, its fields filled from ``fields``."""
        entry = self.entries.get(key)
        if entry is None:
            near = difflib.get_close_matches(key, self.entries, n=3)
            hint = f"; closest: {', '.join(near)}" if near else ""
            raise KeyError(f"no message {key!r} in the catalogue{hint}")
        raw = entry.texts[self.lang]
        return raw.format(**fields) if fields else raw

    def has(self, key: str) -> bool:
        """Whether ``key`` is in the catalogue."""
        return key in self.entries

    def keys(self, prefix: str = "") -> list[str]:
        """The keys that start with ``prefix``, sorted."""
        return sorted(k for k in self.entries if k.startswith(prefix))


def load_folder(folder: Traversable | Path) -> dict[str, Entry]:
    """Every entry of every ``*.yaml`` file in ``folder``, checked (see the module docstring).

    Raises:
        ValueError: a file is not a mapping of keys, a key is defined twice, an entry lacks
            a language or a text, or its languages fill different fields.
    """
    out: dict[str, Entry] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{item.name}: a catalogue file is a mapping of keys")
        for key, texts in data.items():
            where = f"{item.name}: {key}"
            if key in out:
                raise ValueError(f"{where}: also defined in {out[key].source}")
            if not isinstance(texts, dict) or set(texts) != set(LANGS):
                raise ValueError(f"{where}: needs exactly the languages {', '.join(LANGS)}")
            if not all(isinstance(t, str) and t.strip() for t in texts.values()):
                raise ValueError(f"{where}: every language needs a non-empty text")
            entry = Entry(str(key), {k: str(v) for k, v in texts.items()}, item.name)
            fields = {lang: entry.fields(lang) for lang in LANGS}
            if len(set(fields.values())) > 1:
                raise ValueError(f"{where}: the languages fill different fields {fields}")
            out[entry.key] = entry
    return out


@cache
def entries() -> dict[str, Entry]:
    """Every entry of the package's ``messages/`` folder, checked once per process."""
    return load_folder(resources.files("sim.i18n") / "messages")


@cache
def catalogue(lang: str = DEFAULT_LANG) -> Catalogue:
    """The catalogue in ``lang`` (a :class:`UserError` for a language it does not have)."""
    return Catalogue(entries(), lang)


def text(key: str, lang: str = DEFAULT_LANG, /, **fields: Any) -> str:
    """The text of ``key`` in ``lang``: ``text("kpi.profit", "zh")`` → ``"利润"``."""
    return catalogue(lang).text(key, **fields)
