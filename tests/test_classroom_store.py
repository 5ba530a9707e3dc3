"""The classroom store: rounds once, decisions kept, teams kept apart, hostile input inert.

Every test uses a real SQLite file in ``tmp_path``; the crash, double-advance and load tests
are in ``tests/test_classroom_concurrency.py``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from classstore import CONFIG, new_class, result_for

from sim.classroom import AccessDenied, ClassStore, InvalidInput, check_levers
from sim.classroom.said import Said
from sim.classroom.schema import check_name
from sim.errors import UserError

TABLES = {"schema_version", "classes", "teams", "rounds", "decisions", "events"}


# -- a class, round by round ---------------------------------------------------------------


def test_a_class_runs_round_by_round(tmp_path: Path) -> None:
    store, cid, token, (a, b) = new_class(tmp_path / "c.sqlite")
    assert store.join(cid, a.code.lower().replace("-", " ")) == {
        "team": a.team_id,
        "name": "team 0",
    }
    with pytest.raises(InvalidInput, match="not open"):
        store.submit(cid, a.code, 1, {"strategy.price": 20})  # the lobby: nothing open yet
    assert store.advance(cid, token, 0).current == 1
    first = store.submit(cid, a.code, 1, {"strategy.price": 20})
    second = store.submit(cid, a.code, 1, {"strategy.price": 30, "strategy.channel": "phone"})
    retry = [store.submit(cid, b.code, 1, {"strategy.price": 15}, request_id="t1") for _ in "ab"]
    assert retry[0] == retry[1] and retry[0].revision == 1  # a retried request is stored once
    store.submit(cid, b.code, 1, {"strategy.service.staff": 4})
    assert (first.revision, second.revision) == (1, 2)
    state = store.advance(cid, token, 1)
    assert (state.current, state.state, state.changed, state.closed) == (2, "open", True, 1)
    with pytest.raises(InvalidInput, match="not open"):
        store.submit(cid, a.code, 1, {"strategy.price": 40})  # round 1 is closed
    inputs = store.round_inputs(cid, 1)
    assert inputs["scenario"] == "name: baseline\n" and inputs["config"] == CONFIG
    assert inputs["decisions"] == {
        a.team_id: {"strategy.price": 30, "strategy.channel": "phone"},
        b.team_id: {"strategy.service.staff": 4},
    }
    assert [d["revision"] for d in store.trainer_view(cid, token)["decisions"]] == [2, 2]
    assert store.pending_results() == [(cid, 1)]
    assert store.record_result(cid, 1, result_for([a, b], 1)) is True
    assert store.record_result(cid, 1, result_for([a, b], 1)) is False  # a retry: same result
    with pytest.raises(InvalidInput, match="different result"):
        store.record_result(cid, 1, result_for([b, a], 9))
    assert store.pending_results() == []
    view = store.team_view(cid, a.code)
    assert view["rounds"][0]["result"] == {"profit": 100 + a.team_id}
    assert view["rounds"][0]["public"] == {"leader": "team 0"}
    assert [d["revision"] for d in view["decisions"]] == [2]
    assert "events" not in view["class"]["config"] and view["class"]["seed"] is None
    seed = store.reveal_seed(cid, token)
    assert store.team_view(cid, a.code)["class"]["seed"] == seed
    assert store.trainer_view(cid, token)["teams"][0]["joined_at"] is not None
    store.close()


def test_deadlines_advance_once_and_reopen_is_guarded(tmp_path: Path) -> None:
    now = [datetime(2026, 5, 1, 9, 0, tzinfo=UTC)]
    store, cid, token, (a, _) = new_class(tmp_path / "c.sqlite", clock=lambda: now[0])
    store.advance(cid, token, 0)
    assert store.advance_due() == []
    now[0] += timedelta(seconds=601)
    assert [s.closed for s in store.advance_due()] == [1]
    assert store.advance_due() == []  # the same deadline never fires twice
    assert not store.advance(cid, token, 1).changed  # nor does a late click
    assert store.reopen(cid, token, 1).current == 1  # round 2 unused: withdrawn
    store.submit(cid, a.code, 1, {"strategy.price": 11})
    store.advance(cid, token, 1)
    store.submit(cid, a.code, 2, {"strategy.price": 12})
    with pytest.raises(InvalidInput, match="later rounds"):
        store.reopen(cid, token, 1)
    with pytest.raises(InvalidInput, match="ahead"):
        store.advance(cid, token, 5)
    for expected in (2, 3):
        store.advance(cid, token, expected)
    final = store.advance(cid, token, 3)  # past the last round: nothing more opens
    assert (final.current, final.state, final.changed) == (3, "closed", False)
    store.close()


def test_check_levers_names_the_field_and_the_range() -> None:
    with pytest.raises(InvalidInput) as err:
        check_levers(CONFIG, {"strategy.price": 70, "strategy.service.staff": 2.5, "x.y": 1})
    text = str(err.value)
    assert "strategy.price = 70: out of range (allowed: a number from 10 to 50)" in text
    assert "strategy.service.staff = 2.5: out of range (allowed: a whole number from 1 to 20)" in (
        text
    )
    assert "x.y = 1: not an open lever in this class" in text
    assert len(err.value.problems) == 3
    assert check_levers(CONFIG, {"strategy.channel": "email"}) == {"strategy.channel": "email"}
    price, staff, _ = err.value.problems
    assert isinstance(price, Said) and isinstance(staff, Said)
    assert price.words("zh") == ("超出范围", "10 到 50 之间的数")
    assert staff.words("zh") == ("超出范围", "1 到 20 之间的整数")
    assert staff.words("en") == (staff.message, staff.allowed)  # the English is the catalogue's


@pytest.mark.parametrize(
    ("name", "key", "zh"),
    [
        ("   ", "classroom.refused.name_empty", "不能为空"),
        ("x" * 41, "classroom.refused.name_long", "太长：共 41 个字符"),
        ("a\x00b", "classroom.refused.name_controls", "含有控制字符"),
    ],
)
def test_a_refused_name_says_why_in_each_language(name: str, key: str, zh: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_name(name, "team name", limit=40)
    (problem,) = err.value.problems
    assert isinstance(problem, Said) and problem.key == key
    assert problem.words("zh") == (zh, "1 到 40 个字符，不含控制字符")
    assert problem.allowed == "1 to 40 characters, no control characters"


# -- isolation -----------------------------------------------------------------------------


def test_no_team_reaches_another_and_the_trainer_token_is_needed(tmp_path: Path) -> None:
    store, cid, token, (a, b) = new_class(tmp_path / "c.sqlite")
    other = store.create_class("Tuesday", "x", CONFIG)
    stranger = store.add_team(other.class_id, other.trainer_token, "team 0")
    store.advance(cid, token, 0)
    store.submit(cid, b.code, 1, {"strategy.price": 49})
    assert all(d["team"] == a.team_id for d in store.team_view(cid, a.code)["decisions"])
    bad_codes = [stranger.code, "ABCD-EFGH", token, "", None, 12345678, "' OR '1'='1", "A" * 10**4]
    bad_tokens = [a.code, other.trainer_token, "", None, token + "x", token[:-1]]
    team_calls = [
        lambda c: store.join(cid, c),
        lambda c: store.team_view(cid, c),
        lambda c: store.submit(cid, c, 1, {"strategy.price": 20}),
        lambda c: store.submit(cid, c, 1, {"bad lever": "x"}),  # credential before validation
    ]
    trainer_calls = [
        lambda t: store.add_team(cid, t, "intruder"),
        lambda t: store.advance(cid, t, 1),
        lambda t: store.reopen(cid, t, 1),
        lambda t: store.reveal_seed(cid, t),
        lambda t: store.trainer_view(cid, t),
    ]
    messages = set()
    for call, wrong in [(c, w) for c in team_calls for w in bad_codes] + [
        (c, w) for c in trainer_calls for w in bad_tokens
    ]:
        with pytest.raises(AccessDenied) as err:
            call(wrong)
        messages.add(str(err.value))
    for missing_class in (999, -1, True, "1", None):
        with pytest.raises(AccessDenied) as err:
            store.team_view(missing_class, a.code)  # type: ignore[arg-type]
        messages.add(str(err.value))
    assert len(messages) == 1 and isinstance(err.value, UserError)  # one answer: "no"
    assert len(store.trainer_view(cid, token)["decisions"]) == 1  # nothing was written
    assert store.trainer_view(cid, token)["rounds"][0]["state"] == "open"
    store.close()


# -- hostile input -------------------------------------------------------------------------

HOSTILE_NAMES = [
    "Robert'); DROP TABLE teams;--",
    '"; DELETE FROM decisions; --',
    "队伍一号",
    "🦄🚀 Einhörner",
    "Ünïcødé \\ backslash %s ?",
]


def test_hostile_strings_round_trip_and_leave_the_schema_intact(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    store = ClassStore(path)
    scenario = "name: x\x00y; DROP TABLE classes; --\n描述: 🦄\n" + "z" * 10_000
    evil = "e'mail\"; DROP TABLE decisions;--"
    config = {**CONFIG, "open_levers": {"strategy.channel": {"choices": [evil, "电话"]}}}
    made = store.create_class("Class'; DROP TABLE classes;--", scenario, config)
    cid, token = made.class_id, made.trainer_token
    teams = [store.add_team(cid, token, name) for name in HOSTILE_NAMES]
    for bad in ["x" * 10_000, "a\x00b", "", "   ", "\u202eevil", 42]:
        with pytest.raises(InvalidInput):
            store.add_team(cid, token, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="already taken"):
        store.add_team(cid, token, HOSTILE_NAMES[2])
    store.advance(cid, token, 0)
    for team, value in zip(teams, [evil, "电话"] * 3, strict=False):
        store.submit(cid, team.code, 1, {"strategy.channel": value})
    for levers in [{"a'; DROP TABLE rounds;--": 1}, {"strategy.channel": "x\x00"}, [1], "{}"]:
        with pytest.raises(InvalidInput):
            store.submit(cid, teams[0].code, 1, levers)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.submit(cid, teams[0].code, 1, {"strategy.channel": float("nan")})
    store.close()

    again = ClassStore(path)
    view = again.trainer_view(cid, token)
    assert [t["name"] for t in view["teams"]] == HOSTILE_NAMES
    assert view["class"]["name"] == "Class'; DROP TABLE classes;--"
    assert [d["levers"]["strategy.channel"] for d in view["decisions"]] == [evil, "电话"] * 2 + [
        evil
    ]
    again.advance(cid, token, 1)
    assert again.round_inputs(cid, 1)["scenario"] == scenario  # NUL and all, byte for byte
    again.close()
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names >= TABLES
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_file_from_a_newer_crmsim_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ClassStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(UserError, match="newer crmsim"):
        ClassStore(path)
