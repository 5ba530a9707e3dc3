"""Grades: a class's scores as a CSV that Canvas or Moodle imports into its gradebook as is.

The picture is the trainer's last chore after the debrief: the school's gradebook wants a
number for every learner, and retyping forty teams' scores is where mistakes creep in. The
gradebook importers are picky about their first columns, so this module writes exactly what
each one reads and nothing it would misread:

- **Canvas** (Grades → Import): the columns ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID`` and ``Section``, then one column per assignment. Canvas matches a row to
  a learner by ``ID``, ``SIS User ID`` or ``SIS Login ID``; a column whose header is new
  becomes a new assignment (the ``"Assignment name (id)"`` form is only for assignments
  that already exist).
- **Moodle** (Grades → Import → CSV file): one identifier column, chosen on the import page
  and mapped there to a user field (ID number, username or email), and one column per grade
  item; every other column can be mapped to "ignore".

**Teams are not students.** A classroom team is a group of learners the sandbox never knew
by name, so the file has one row per team: the team's name under ``Student`` (Canvas) or
``Team`` (Moodle) and the team's id as the identifier (``SIS User ID``; Moodle's
``ID number``). ``ID`` (Canvas's own user id) and ``SIS Login ID`` stay empty because the
sandbox cannot know them. Before importing, the trainer either gives each team a matching
gradebook identity (a group account, or the team id as its SIS id) or copies the team's row
once per member with that member's identifier: the scores stay as written, the identity is
the school's. The column headers are the gradebooks' own words, so they are English in
every language; only the default assignment name comes from the message catalogue.

Numbers are written with a point as the decimal separator and ``digits`` decimals (both
importers read that), a score that is not a number (NaN) as an empty cell (no grade, which
both importers leave alone). Quoting is the ``csv`` module's (RFC 4180: a field with a
comma, a quote or a line break is quoted, quotes doubled), so any team name comes back
unchanged when the file is read with a CSV reader. A name starting with ``=`` stays as it
is, for the same reason: the file is for the gradebook's importer, not to be opened in a
spreadsheet that would evaluate it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from sim.errors import ArgumentError
from sim.i18n import DEFAULT_LANG, text
from sim.results.schema import Column

__all__ = [
    "CANVAS_COLUMNS",
    "GRADE_FORMATS",
    "GRADE_INPUT_COLUMNS",
    "MOODLE_COLUMNS",
    "grades_csv",
]

#: The gradebooks written.
GRADE_FORMATS = ("canvas", "moodle")

#: The identity columns of a Canvas gradebook import, in Canvas's order.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")

#: The identity columns written for Moodle: the identifier to map, and the team's name.
MOODLE_COLUMNS = ("ID number", "Team")

#: What :func:`grades_csv` reads from its table (the debrief leaderboard has them all).
GRADE_INPUT_COLUMNS = (
    Column("team", "str", "id", "the team's id in the class (the store's team id)"),
    Column("name", "str", "text", "the team's display name"),
    Column("score", "float64", "score", "the team's score under the class's scoring rule"),
)


def _number(value: object, digits: int) -> str:
    """A score as the importers read it: plain decimals, empty when not a number."""
    score = float(value)  # type: ignore[arg-type]
    return "" if math.isnan(score) else f"{round(score, digits):.{digits}f}"


def _checked(
    table: pd.DataFrame | Sequence[Mapping[str, object]], format: str, digits: int
) -> pd.DataFrame:
    if format not in GRADE_FORMATS:
        raise ArgumentError(
            f"format: unknown gradebook {format!r:.40}; allowed: {', '.join(GRADE_FORMATS)}"
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ArgumentError(f"digits must be a whole number from 0 to 10, got {digits!r:.40}")
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table))
    missing = [c.name for c in GRADE_INPUT_COLUMNS if c.name not in frame.columns]
    if missing:
        raise ArgumentError(
            f"the grades table lacks the columns {', '.join(missing)} "
            f"(needed: {', '.join(c.name for c in GRADE_INPUT_COLUMNS)})"
        )
    ids = frame["team"].astype(str)
    if ids.duplicated().any():
        raise ArgumentError(f"team ids must be unique, got {sorted(ids[ids.duplicated()])[:5]}")
    return frame


def grades_csv(
    table: pd.DataFrame | Sequence[Mapping[str, object]],
    format: str = "canvas",
    assignment: str | None = None,
    *,
    section: str = "",
    digits: int = 2,
    lang: str = DEFAULT_LANG,
) -> str:
    r"""The teams' scores as a gradebook import file (see the module docstring).

    Args:
        table: one row per team with :data:`GRADE_INPUT_COLUMNS` (``team``, ``name``,
            ``score``); the debrief leaderboard will do. Rows are written in its order.
        format: ``"canvas"`` or ``"moodle"``.
        assignment: the grade column's header, the assignment (Canvas) or grade item
            (Moodle) the scores go to; the catalogue's ``debrief.grades.assignment`` in
            ``lang`` when None.
        section: Canvas's ``Section`` cell for every row (empty: not set).
        digits: decimals written (0 to 10).
        lang: the language of the default assignment name.

    Returns:
        The CSV text (``\r\n`` line ends); write it as UTF-8.

    Raises:
        ArgumentError: an unknown format, a table without the needed columns or with a
            team id twice, ``digits`` out of range, an empty assignment name.
    """
    frame = _checked(table, format, digits)
    title = text("debrief.grades.assignment", lang) if assignment is None else assignment
    if not isinstance(title, str) or not title.strip():
        raise ArgumentError(f"assignment must be a non-empty name, got {assignment!r:.40}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    rows = zip(frame["team"].astype(str), frame["name"].astype(str), frame["score"], strict=True)
    if format == "canvas":
        writer.writerow([*CANVAS_COLUMNS, title])
        for team, name, score in rows:
            writer.writerow([name, "", team, "", section, _number(score, digits)])
    else:
        writer.writerow([*MOODLE_COLUMNS, title])
        for team, name, score in rows:
            writer.writerow([team, name, _number(score, digits)])
    return out.getvalue()
