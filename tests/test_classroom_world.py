"""A class's world (sim.classroom.setup, sim.classroom.world): fair, exact, and as scored.

Every team plays the same customers and shocks, so equal decisions give equal numbers to
the byte and a team that never moves plays the lesson's own run; the hidden parameters are
a pure function of the class seed; a round extended from the cache equals the same rounds
replayed from day 0; the leaderboard, the scoring rules, the budget and the carry-over of
unsubmitted rounds are checked against their definitions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.classroom import world
from sim.classroom.said import Said
from sim.classroom.schema import InvalidInput
from sim.classroom.setup import ClassSetup, hidden_family, round_cost
from sim.dashboard.live import LiveRun
from sim.scenario.scaling import scaled
from sim.scenario.space import DEFAULT_SPACE
from sim.scenario.spec import dump_yaml, load_scenario

STAFF = "strategy.service.staff"
BUDGET = "strategy.acquisition.budget_per_period"
HANDLING = "strategy.complaints.handling"


@pytest.fixture(scope="module")
def text() -> str:
    """A small world: the baseline at 300 customers, as a stored class keeps it."""
    return dump_yaml(scaled(load_scenario("baseline"), 300))


def config(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rounds": 3,
        "periods_per_round": 1,
        "open_levers": {
            STAFF: {"min": 1, "max": 6, "integer": True},
            BUDGET: {"min": 0, "max": 20000},
            HANDLING: {"choices": ["none", "basic", "lescant"]},
        },
    }
    return {**base, **extra}


def test_hidden_parameters_are_a_function_of_the_class_seed(text: str) -> None:
    a, b = ClassSetup.from_class(text, config(), 7), ClassSetup.from_class(text, config(), 7)
    other = ClassSetup.from_class(text, config(), 8)
    family = {f.path: f for f in DEFAULT_SPACE if f.kind == "uncertainty"}
    assert set(a.hidden) == set(family) and a.hidden == b.hidden and a.seed == b.seed
    assert a.hidden != other.hidden and a.seed != other.seed
    for path, value in a.hidden.items():
        assert family[path].low <= value <= family[path].high
    assert a.scenario.behaviour.loss_aversion == a.hidden["behaviour.loss_aversion"]
    # A parameter's draw does not depend on which others the family has.
    one = config(hidden={"behaviour.loss_aversion": {"low": 1.5, "high": 3.0}})
    assert ClassSetup.from_class(text, one, 7).hidden == {
        "behaviour.loss_aversion": a.hidden["behaviour.loss_aversion"]
    }
    # Replicates are other members of the family; replicate 0 is the class itself.
    assert a.replicate(0).hidden == a.hidden and a.replicate(1).hidden != a.hidden
    assert a.replicate(1).seed != a.seed and a.replicate(1).key != a.key


def test_without_a_family_the_world_is_the_lesson_and_events_are_promotions(text: str) -> None:
    plain = load_scenario("baseline")
    s = ClassSetup.from_class(text, config(hidden={}, events=[
        {"round": 2, "discount": 0.2, "duration": 45.0}]), 1)  # fmt: skip
    assert s.hidden == {} and s.scenario.behaviour == plain.behaviour
    assert s.scenario.horizon == pytest.approx(3 * s.scenario.period)
    (promo,) = s.scenario.market.promotions
    assert (promo.start, promo.duration, promo.discount) == (s.scenario.period, 45.0, 0.2)
    assert hidden_family({"hidden": {}}) == ()


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"rounds": 0}, "rounds"),
        ({"periods_per_round": 1.5}, "periods_per_round"),
        ({"engine": "gpu"}, "engine"),
        ({"hidden": {"behaviour.loss_aversion": {"low": 3, "high": 1}}}, "hidden."),
        ({"events": [{"round": 9, "discount": 0.1, "duration": 30}]}, "events.0.round"),
        ({"scoring": {"rule": "fame"}}, "scoring.rule"),
        ({"scoring": {"rule": "mix", "weights": {"profit": 0}}}, "scoring.weights"),
        ({"budget": -1}, "budget"),
    ],
)
def test_bad_settings_name_their_field(text: str, bad: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ClassSetup.from_class(text, config(**bad), 1)
    (problem,) = err.value.problems
    assert problem.path.startswith(field)
    # keyed: English from the catalogue, and a Chinese text of its own
    assert isinstance(problem, Said) and problem.key.startswith("classroom.refused.")
    assert problem.words("en") == (problem.message, problem.allowed)
    assert problem.words("zh")[0] != problem.message


def test_equal_decisions_give_equal_worlds_and_the_baseline_is_the_lessons_run(
    text: str,
) -> None:
    cfg = config(hidden={})
    setup = ClassSetup.from_class(text, cfg, 3)
    levers = {STAFF: 4, BUDGET: 9000.0, HANDLING: "lescant"}
    decisions = [{"1": levers, "2": levers}, {"1": levers, "2": levers}]
    out = world.simulate(text, cfg, 3, ["1", "2", "3"], decisions)
    one, two, idle = (out["teams"][t] for t in ("1", "2", "3"))
    assert one["periods"] == two["periods"] and one["score"] == two["score"]
    # Team 3 never submitted: it plays the class world untouched, period for period.
    plain = LiveRun(setup.scenario, setup.seed, setup.engine)
    plain.step()
    plain.step()
    assert idle["levers"] == setup.baseline_levers()
    assert idle["periods"] == world._finite(world._records(plain.periods()))
    assert one["periods"] != idle["periods"]


def test_a_round_extended_from_the_cache_equals_a_replay_from_day_zero(text: str) -> None:
    cfg = config()
    moves = [{"1": {STAFF: 2, BUDGET: 5000.0, HANDLING: "basic"}},
             {"1": {STAFF: 5, BUDGET: 15000.0, HANDLING: "lescant"}}, {}]  # fmt: skip
    stepped = [world.simulate(text, cfg, 11, ["1"], moves[: r + 1]) for r in range(3)]
    world._cache.clear()
    replayed = world.simulate(text, cfg, 11, ["1"], moves)
    assert replayed == stepped[-1]
    # Round 3 had no submission: the levers of round 2 carry over.
    assert replayed["teams"]["1"]["levers"] == moves[1]["1"]
    # The round's own KPIs are the cumulative ones' increments.
    r2, r3 = stepped[1]["teams"]["1"], stepped[2]["teams"]["1"]
    assert r3["kpis"]["profit"] == pytest.approx(
        r3["cumulative"]["profit"] - r2["cumulative"]["profit"], abs=1e-6
    )
    assert len(r3["periods"]) == 3 and r3["periods"][:2] == r2["periods"]


def test_the_leaderboard_ranks_and_differences_from_the_median(text: str) -> None:
    cfg = config(hidden={})
    levers = [{STAFF: s, BUDGET: b, HANDLING: "basic"} for s, b in ((1, 0.0), (3, 8000.0),
              (6, 20000.0), (3, 8000.0))]  # fmt: skip
    out = world.simulate(text, cfg, 5, ["1", "2", "3", "4"],
                         [{str(i + 1): lv for i, lv in enumerate(levers)}])  # fmt: skip
    board = out["public"]["leaderboard"]
    scores = {row["team_id"]: row["score"] for row in board}
    assert out["public"]["median"] == pytest.approx(float(np.median(list(scores.values()))))
    assert [row["score"] for row in board] == sorted(scores.values(), reverse=True)
    for row in board:
        assert row["diff_from_median"] == pytest.approx(row["score"] - out["public"]["median"])
        assert row["rank"] == 1 + sum(s > row["score"] for s in scores.values())
    assert scores["2"] == scores["4"]  # the same decisions: a tie, sharing a rank
    assert {r["rank"] for r in board if r["team_id"] in "24"} == {
        next(r["rank"] for r in board if r["team_id"] == "2")
    }
    # Profit is the score: the periods' profit summed.
    for entry in out["teams"].values():
        assert entry["score"] == pytest.approx(sum(p["profit"] for p in entry["periods"]))


def test_scoring_rules_read_their_kpi_and_a_mix_of_the_baseline_is_its_weights(
    text: str,
) -> None:
    weights = {"profit": 2.0, "retention": 1.0, "clv": 0.5}
    setup = ClassSetup.from_class(text, config(scoring={"rule": "mix", "weights": weights}), 2)
    base = world.kpis(setup, world.play(setup, [setup.baseline_levers()] * 2))
    # Each KPI against itself: sign × weight, summed.
    expected = sum(w * math.copysign(1.0, base[world._RULE_KPI[k]]) for k, w in weights.items())
    assert world.score(setup, base) == pytest.approx(expected, rel=1e-12)
    for rule, kpi in (("retention", "retention"), ("clv", "mean_clv"),
                      ("discounted_profit", "discounted_profit")):  # fmt: skip
        s = ClassSetup.from_class(text, config(scoring={"rule": rule}), 2)
        assert world.score(s, base) == base[kpi]
    assert 0.0 < base["retention"] <= 1.0 and base["discounted_profit"] < base["profit"] + 1e-9


def test_decisions_are_checked_against_levers_scenario_and_budget(text: str) -> None:
    cfg = config(budget=30000.0)
    ok = {STAFF: 2, BUDGET: 10000.0, HANDLING: "basic"}
    assert world.check_decision(text, cfg, ok) == ok
    setup = ClassSetup.from_class(text, cfg, 0)
    salary = setup.scenario.strategy.service.salary_per_period
    assert round_cost(setup, ok) == pytest.approx(10000.0 + 2 * salary)
    cases: list[tuple[dict[str, Any], str]] = [
        ({STAFF: 2, BUDGET: 10000.0}, "levers"),  # handling missing
        ({**ok, STAFF: 9}, STAFF),  # out of the class's range
        ({**ok, HANDLING: "shout"}, HANDLING),
        ({**ok, "strategy.quality.product": 0.9}, "strategy.quality.product"),  # not open
        ({**ok, STAFF: 6, BUDGET: 30000.0 - 5 * salary}, "budget"),  # one salary over
    ]
    for levers, field in cases:
        with pytest.raises(InvalidInput) as err:
            world.check_decision(text, cfg, levers)
        assert any(p.path == field for p in err.value.problems), (levers, err.value)
    with pytest.raises(InvalidInput) as budget_problem:
        world.check_decision(text, cfg, cases[-1][0])
    over = budget_problem.value.problems[0]
    assert "30,000.00" in str(over.allowed)
    assert isinstance(over, Said) and dict(over.fields) == {"budget": 30000.0}
    assert over.words("zh") == ("超出每回合预算", "每回合最多 30,000.00")


def test_more_acquisition_budget_buys_more_customers_in_the_same_world(text: str) -> None:
    cfg = config(hidden={})
    low = {STAFF: 2, BUDGET: 0.0, HANDLING: "basic"}
    high = {**low, BUDGET: 20000.0}
    out = world.simulate(text, cfg, 9, ["1", "2"], [{"1": low, "2": high}] * 2)
    acquired = {t: e["cumulative"]["customers_acquired"] for t, e in out["teams"].items()}
    paid = {t: sum(p["new_paid"] for p in e["periods"]) for t, e in out["teams"].items()}
    assert paid["1"] == 0 and paid["2"] > 0 and acquired["2"] > acquired["1"]


def test_lever_controls_describe_the_open_levers_in_both_languages(text: str) -> None:
    cfg = config()
    en = world.lever_controls(text, cfg, "en")
    zh = world.lever_controls(text, cfg, "zh")
    assert [c["path"] for c in en] == list(cfg["open_levers"])
    staff = en[0]
    assert (staff["kind"], staff["min"], staff["max"]) == ("integer", 1, 6)
    assert en[2]["kind"] == "choice" and en[2]["choices"] == ["none", "basic", "lescant"]
    assert all(a["label"] != b["label"] for a, b in zip(en, zh, strict=True))
    assert staff["value"] == ClassSetup.from_class(text, cfg, 0).baseline_levers()[STAFF]
