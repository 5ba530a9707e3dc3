"""The grade export: files Canvas and Moodle import as is, every name and score round-tripping.

The identity columns are each gradebook's own; a team name with a comma, a quote, a line
break or a formula-looking start comes back unchanged through a CSV reader, and the scores
come back as written (rounded to the digits asked for).
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from sim.classroom.grades import CANVAS_COLUMNS, MOODLE_COLUMNS, grades_csv
from sim.errors import ArgumentError
from sim.i18n import text

HOSTILE = [
    {"team": "3", "name": 'Les "Bleus", Inc.', "score": 12345.678},
    {"team": "11", "name": '=HYPERLINK("x")', "score": -250.5},
    {"team": "12", "name": "销售一组, A", "score": 0.0},
    {"team": "14", "name": "two\nlines", "score": float("nan")},
]


def _rows(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline="")))


@pytest.mark.parametrize("fmt", ["canvas", "moodle"])
def test_names_and_scores_round_trip_through_csv_and_pandas(fmt: str) -> None:
    data = grades_csv(HOSTILE, fmt, "Game score")
    rows = _rows(data)
    head = [*(CANVAS_COLUMNS if fmt == "canvas" else MOODLE_COLUMNS), "Game score"]
    assert rows[0] == head
    name_col, id_col = (0, 2) if fmt == "canvas" else (1, 0)
    assert [r[name_col] for r in rows[1:]] == [t["name"] for t in HOSTILE]
    assert [r[id_col] for r in rows[1:]] == [t["team"] for t in HOSTILE]
    assert [r[-1] for r in rows[1:]] == ["12345.68", "-250.50", "0.00", ""]
    frame = pd.read_csv(io.StringIO(data), dtype={head[id_col]: str, head[name_col]: str})
    assert list(frame.columns) == head
    assert frame[head[name_col]].tolist() == [t["name"] for t in HOSTILE]
    scores = frame["Game score"].tolist()
    assert scores[:3] == [12345.68, -250.5, 0.0] and math.isnan(scores[3])


def test_canvas_leaves_the_ids_it_cannot_know_empty_and_fills_the_section() -> None:
    rows = _rows(grades_csv(HOSTILE[:1], "canvas", "S", section="Tuesday A"))
    assert rows[1] == ['Les "Bleus", Inc.', "", "3", "", "Tuesday A", "12345.68"]


def test_quotes_are_doubled_inside_a_quoted_field_and_lines_end_crlf() -> None:
    data = grades_csv(HOSTILE[:1], "moodle", "S", digits=0)
    assert data == 'ID number,Team,S\r\n3,"Les ""Bleus"", Inc.",12346\r\n'


def test_the_default_assignment_comes_from_the_catalogue_in_each_language() -> None:
    for lang in ("en", "zh"):
        head = _rows(grades_csv(HOSTILE[:1], "canvas", lang=lang))[0]
        assert head[-1] == text("debrief.grades.assignment", lang)


def test_a_dataframe_is_taken_as_well_as_rows() -> None:
    frame = pd.DataFrame(HOSTILE)
    assert grades_csv(frame, "moodle", "S") == grades_csv(HOSTILE, "moodle", "S")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"format": "blackboard"}, "allowed: canvas, moodle"),
        ({"digits": -1}, "digits"),
        ({"assignment": " "}, "assignment"),
    ],
)
def test_bad_arguments_name_what_is_allowed(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ArgumentError, match=needle):
        grades_csv(HOSTILE, **kwargs)  # type: ignore[arg-type]


def test_a_table_without_the_columns_or_with_a_team_twice_is_refused() -> None:
    with pytest.raises(ArgumentError, match="lacks the columns score"):
        grades_csv([{"team": "1", "name": "a"}])
    with pytest.raises(ArgumentError, match="unique"):
        grades_csv([{"team": "1", "name": "a", "score": 1}, {"team": "1", "name": "b", "score": 2}])
