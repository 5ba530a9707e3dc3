"""Round levers (sim.scenario.retune): levers changed between periods, on both engines.

The contract is stated as identities where it can be: a retune to the values in force is no
retune at all; a retune at period ``k`` leaves periods before ``k`` byte for byte as they
were; a list-price retune is a scheduled price move; a plan lever retuned before the first
step is the retuned scenario's plain run; every lane of a stack gets the same levers. The
levers' effects are checked on common random numbers, as certain inequalities or summed
over a few seeds where the gap is many standard errors, and the two engines are compared
on one retune schedule with a Welch statistic whose false-alarm rate is below 1e-3.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd
import pytest
from theory import welch_z

from sim.dashboard.live import LiveRun
from sim.errors import UserError
from sim.scenario import ROUND_LEVERS, RetuneError, Scenario, retuned, with_overrides
from sim.vector_engine.model import VectorModel

ENGINES = ("vector", "agent")
SEED = 11
#: The baseline firm at 300 customers over one year (twelve periods, one server).
SMALL = {"horizon": "1y"}
Schedule = Mapping[int, Mapping[str, object]]


@cache
def _small() -> Scenario:
    """The baseline firm resized to 300 customers over one year (one server)."""
    return LiveRun.build("baseline", SMALL, customers=300).scenario


def _run(engine: str, schedule: Schedule | None = None, seed: int = SEED,
         levers: Mapping[str, object] | None = None) -> LiveRun:  # fmt: skip
    """A small live run stepped to the end, retuned before step ``k`` as ``schedule`` says.

    ``levers`` are set on the small scenario itself (at its scale, as a retune sets them).
    """
    sc = with_overrides(_small(), dict(levers)) if levers else _small()
    live = LiveRun(sc, seed, engine)
    k = 0
    while not live.done:
        if schedule and k in schedule:
            live.retune(schedule[k])
        live.step()
        k += 1
    return live


def _same(a: LiveRun, b: LiveRun) -> None:
    pd.testing.assert_frame_equal(a.periods(), b.periods(), check_exact=True)
    pd.testing.assert_frame_equal(a.customers(), b.customers(), check_exact=True)


def _now(live: LiveRun) -> dict[str, object]:
    """Every round lever at the value the run's scenario has."""
    out: dict[str, object] = {}
    for path in ROUND_LEVERS:
        value: object = live.scenario
        for key in path.split("."):
            value = getattr(value, key)
        out[path] = value
    return out


@pytest.fixture(scope="module", params=ENGINES)
def plain(request: pytest.FixtureRequest) -> LiveRun:
    return _run(request.param)


def test_round_levers_are_the_default_spaces_levers() -> None:
    from sim.scenario.space import DEFAULT_SPACE

    levers = {f.path for f in DEFAULT_SPACE if f.kind == "lever"}
    assert levers <= set(ROUND_LEVERS) and len(levers) == 8


def test_retune_to_the_values_in_force_changes_nothing(plain: LiveRun) -> None:
    now = _now(plain)
    _same(plain, _run(plain.engine, {0: now, 4: now, 11: now}))
    assert retuned(plain.scenario, now) == plain.scenario


@pytest.mark.parametrize(
    ("lever", "before", "after", "column", "fewer"),
    [
        ("strategy.service.staff", 1, 6, "wait_mean", True),
        ("strategy.complaints.handling", "none", "lescant", "complaints_resolved", False),
    ],
)
def test_a_retune_at_k_keeps_the_periods_before_k(
    plain: LiveRun, lever: str, before: object, after: object, column: str, fewer: bool
) -> None:
    k = 5
    base = _run(plain.engine, levers={lever: before})
    moved = _run(plain.engine, {k: {lever: after}}, levers={lever: before})
    pb, pm = base.periods(), moved.periods()
    pd.testing.assert_frame_equal(pb.head(k), pm.head(k), check_exact=True)
    b, m = pb[column].iloc[k:].sum(), pm[column].iloc[k:].sum()
    if fewer:
        # Six servers for ~10 tickets a month: hardly anyone waits; one server, some do.
        assert m < 0.2 * b
    else:
        # Nobody handles complaints before: none is ever resolved; LESCANT resolves 90 %.
        assert b == 0 and m > 0


def test_a_list_price_retune_is_a_scheduled_price_move(plain: LiveRun) -> None:
    k = 5
    day = k * plain.scenario.period
    move = {"strategy.pricing.changes": [{"at": day, "to": 1.08}]}
    _same(_run(plain.engine, {k: {"strategy.pricing.list_price": 1.08}}),
          _run(plain.engine, levers=move))  # fmt: skip


#: Levers day 0 does not read: the launch cohort arrives, buys and complains while the
#: model is built, at the old list price, quality and complaint handling.
PLAN_LEVERS = {
    "strategy.service.staff": 3,
    "strategy.account_managers.count": 4,
    "strategy.acquisition.budget_per_period": 6000.0,
    "strategy.early_warning.enabled": True,
    "strategy.selection.policy": "migrate",
}


@pytest.mark.parametrize(("lever", "value"), PLAN_LEVERS.items())
def test_a_retune_before_the_first_step_is_the_retuned_scenarios_run(
    plain: LiveRun, lever: str, value: object
) -> None:
    _same(_run(plain.engine, {0: {lever: value}}), _run(plain.engine, levers={lever: value}))


@pytest.mark.parametrize(
    ("lever", "value"), [("strategy.pricing.list_price", 1.08), ("strategy.quality.product", 0.8)]
)
def test_day_zero_levers_retuned_before_the_first_step_differ(
    plain: LiveRun, lever: str, value: object
) -> None:
    a = _run(plain.engine, {0: {lever: value}}).customers()
    b = _run(plain.engine, levers={lever: value}).customers()
    assert not a.equals(b)


# (lever, value from period K, periods column, "more" or "less" after the change)
K = 4
EFFECTS = [
    ("strategy.service.staff", 4, "wait_mean", "less"),
    ("strategy.quality.product", 0.45, "failures", "more"),
    ("strategy.account_managers.count", 5, "am_visits", "more"),
    ("strategy.acquisition.budget_per_period", 7200.0, "new_paid", "more"),
    ("strategy.pricing.list_price", 1.1, "churned_price", "more"),
    ("strategy.complaints.handling", "lescant", "complaints_resolved", "more"),
    ("strategy.early_warning.enabled", True, "warnings", "more"),
    ("strategy.selection.policy", "fire", "churned_fired", "more"),
]


@pytest.mark.parametrize(("lever", "value", "column", "way"), EFFECTS)
def test_each_round_lever_moves_its_kpi_on_common_random_numbers(
    lever: str, value: object, column: str, way: str
) -> None:
    """Summed over three seeds, after the change, on the vector engine (the classroom's)."""
    base = after = 0.0
    for seed in (1, 2, 3):
        b = _run("vector", seed=seed).periods()
        a = _run("vector", {K: {lever: value}}, seed=seed).periods()
        pd.testing.assert_frame_equal(b.head(K), a.head(K), check_exact=True)
        base += b[column].iloc[K:].sum()
        after += a[column].iloc[K:].sum()
    if column == "wait_mean":
        # One server against four: the waits after the change all but vanish.
        assert after < 0.1 * base
        return
    # Counts: under no effect the difference of two Poisson totals has variance at most
    # their sum (common random numbers only shrink it), so z > 3.1 has p < 1e-3.
    z = (after - base) / np.sqrt(after + base)
    assert (z if way == "more" else -z) > 3.1, (base, after)


def test_a_stack_gives_every_lane_the_same_levers() -> None:
    sc = _small()
    levers = {"strategy.service.staff": 2, "strategy.pricing.list_price": 1.05,
              "strategy.complaints.handling": "lescant"}  # fmt: skip
    stack = VectorModel(sc, seeds=[5, 6])
    lone = [VectorModel(sc, seed=s) for s in (5, 6)]
    for k in range(sc.n_periods):
        if k == 3:
            for m in (stack, *lone):
                m.retune(levers)
        for m in (stack, *lone):
            m.step()
    for j, m in enumerate(lone):
        assert stack.lanes[j].books.rows == m.lanes[0].books.rows


def test_the_engines_agree_on_a_retune_schedule() -> None:
    schedule: Schedule = {
        3: {"strategy.service.staff": 3, "strategy.quality.product": 0.75},
        6: {"strategy.complaints.handling": "lescant", "strategy.pricing.list_price": 1.05},
        8: {"strategy.service.staff": 1, "strategy.acquisition.budget_per_period": 4000.0},
    }
    kpis = ("revenue", "complaints_resolved", "tickets", "wait_mean", "new_paid", "churned")
    runs = {e: [_run(e, schedule, seed=s).periods() for s in range(20, 26)] for e in ENGINES}
    for col in kpis:
        a = [p[col].iloc[3:].sum() for p in runs["agent"]]
        v = [p[col].iloc[3:].sum() for p in runs["vector"]]
        # Welch's t on 6 + 6 runs has about 10 degrees of freedom: |t| > 5 has p < 1e-3.
        assert abs(welch_z(a, v)) < 5.0, col
    for p in (*runs["agent"], *runs["vector"]):
        assert (p["list_price"].iloc[6:] == 1.05).all() and (p["list_price"].iloc[:6] == 1).all()


@pytest.mark.parametrize(
    ("levers", "shown"),
    [
        ({"strategy.sevrice.staff": 2}, "strategy.sevrice.staff"),
        ({"strategy.service.handling_time": 1.0}, "strategy.service.handling_time"),
        ({"population.initial": 10}, "population.initial"),
        ({"strategy.quality.product": 1.5}, "strategy.quality.product = 1.5"),
        ({"strategy.service.staff": 0}, "strategy.service.staff = 0"),
        ({"strategy.complaints.handling": "rude"}, "strategy.complaints.handling = 'rude'"),
        ({"strategy.service.staff": None}, "strategy.service.staff = None"),
    ],
)
def test_bad_retunes_are_refused_with_path_value_and_what_is_allowed(
    levers: dict[str, object], shown: str
) -> None:
    live = LiveRun(_small(), SEED, "vector")
    live.step()
    before = live.periods()
    with pytest.raises(RetuneError) as err:
        live.retune(levers)
    assert isinstance(err.value, UserError)
    text = str(err.value)
    assert shown in text and "allowed:" in text
    # Nothing changed: the run goes on as if the retune had not been asked for.
    pd.testing.assert_frame_equal(live.periods(), before)
    assert live.scenario.strategy.service.staff == 1


def test_no_retune_once_every_period_has_run() -> None:
    live = LiveRun.build("baseline", {"horizon": "2mo"}, customers=100, seed=SEED)
    while live.step():
        pass
    with pytest.raises(UserError, match="no period is left"):
        live.retune({"strategy.service.staff": 2})
    assert np.isfinite(live.periods()["revenue"]).all()
