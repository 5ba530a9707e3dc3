"""Which translations a scenario inherits through ``extends``: only those of text it keeps.

A lesson's header (``lesson``, ``see``, ``description``) is translated under ``zh:`` beside
the English it translates (:class:`sim.scenario.sections.Translation`). ``extends`` merges
a file on top of its parent field by field, which would leave a file that rewrites its own
``lesson`` with the parent's Chinese lesson: a page in Chinese would then show another
lesson's header as this one's. The merge therefore drops the parent's translation of every
header field the child rewrites without translating.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HEADER_FIELDS", "untranslated"]

#: Header fields whose translations live under ``zh:``.
HEADER_FIELDS = ("lesson", "see", "description")


def untranslated(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``parent`` without the translations of the header fields ``child`` rewrites.

    A file that writes its own ``lesson`` on top of the baseline but no ``zh.lesson`` falls
    back to its English, and the page says it is untranslated.
    """
    zh = parent.get("zh")
    if not isinstance(zh, dict):
        return parent
    own = child.get("zh")
    own = own if isinstance(own, dict) else {}
    drop = [f for f in HEADER_FIELDS if f in child and f not in own]
    if not drop:
        return parent
    return {**parent, "zh": {k: v for k, v in zh.items() if k not in drop}}
