"""The scenario library: YAML files a trainer can read and copy, one per lesson or policy.

This package only locates files so that ``crmsim run baseline`` works from any folder;
loading and validation live in :mod:`sim.scenario`.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

__all__ = ["SCENARIO_DIR", "UnknownScenarioError", "lesson", "names", "path"]

#: The folder holding the library's ``*.yaml`` files.
SCENARIO_DIR: Path = Path(__file__).resolve().parent


class UnknownScenarioError(KeyError):
    """No scenario of that name in the library; lists the ones there are."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        close = difflib.get_close_matches(name, available, n=1)
        self.suggestion: str | None = close[0] if close else None
        super().__init__(name)

    def __str__(self) -> str:
        listed = ", ".join(self.available) if self.available else "(the library is empty)"
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"no scenario named {self.name!r} in {SCENARIO_DIR}; available: {listed}{hint}"


def names() -> list[str]:
    """Names of the library's scenarios: ``*.yaml`` stems, sorted, without ``_`` files."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml") if not p.name.startswith("_"))


def path(name: str) -> Path:
    """Path of the library scenario ``name`` (``"baseline"`` or ``"baseline.yaml"``).

    Raises:
        UnknownScenarioError: (a ``KeyError``) there is no such scenario; the message lists
            the available names and the closest match.
    """
    stem = name.removesuffix(".yaml")
    candidate = SCENARIO_DIR / f"{stem}.yaml"
    if stem and "/" not in stem and "\\" not in stem and candidate.is_file():
        return candidate
    raise UnknownScenarioError(stem, names())


def lesson(name: str) -> str:
    """The one-line ``lesson:`` of a library scenario ("" when the file has none)."""
    data = yaml.safe_load(path(name).read_text(encoding="utf-8"))
    if isinstance(data, dict) and data.get("lesson") is not None:
        return str(data["lesson"]).strip()
    return ""
