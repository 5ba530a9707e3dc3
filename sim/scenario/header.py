"""A lesson's header in the reader's language: its line, what to see, the trainer's notes.

Every scenario has its header in English (``lesson``, ``see``, ``description``); a library
lesson also carries it in Chinese under ``zh:``. A page asks :func:`lesson_header` and gets
the language it asked for, or the English text, marked as such, where a user's own scenario
has no translation: a page in Chinese then says that the header is untranslated instead of
passing English off as the translation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.spec import Scenario

__all__ = ["LessonHeader", "lesson_header"]


@dataclass(frozen=True)
class LessonHeader:
    """The header fields of one scenario in one language."""

    name: str
    lesson: str
    see: str
    description: str
    lang: str  #: the language the texts are in (``"en"`` when a translation was missing)
    asked: str  #: the language the page asked for

    @property
    def translated(self) -> bool:
        """Whether the header is in the language asked for."""
        return self.lang == self.asked


def lesson_header(sc: Scenario, lang: str) -> LessonHeader:
    """The header of ``sc`` in ``lang`` (``"en"`` or ``"zh"``).

    A field missing from the translation falls back to English field by field, and ``lang``
    says ``"en"`` when the lesson line itself had to: a page can then flag it.
    """
    if lang == "zh" and sc.zh.lesson:
        zh = sc.zh
        return LessonHeader(
            sc.name, zh.lesson, zh.see or sc.see, zh.description or sc.description, "zh", lang
        )
    return LessonHeader(sc.name, sc.lesson, sc.see, sc.description, "en", lang)
