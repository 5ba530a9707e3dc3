"""Resolution time: a handled complaint's outcome comes its resolution time after the desk.

``strategy.complaints.resolution_time`` and ``resolution_cv`` give each handling quality a
gamma delay from the desk finishing a complaint to its outcome; the customer judges the
speed against the promise from the moment they complained. Checked here:

* the delay rule (:func:`agents.handling.resolution_delay`) against the gamma's closed
  forms: its quantile function, its mean and its coefficient of variation;
* the delay moves outcomes, not the desk: with outcomes that leave the customer as they
  were, a slower resolution leaves every ticket, wait and cost where it was, and only the
  complaints counted as quick fall (both engines);
* outcomes due past the horizon are dropped: nothing measured before it depends on it;
* both engines give the same customer the same delay, from the same word of their
  ``resolution`` stream, and in a world where customers never meet they agree period by
  period on which complaints were quick;
* the complaint lesson's fast and slow LESCANT arms, paired on common random numbers: the
  slow one ends with less trust, by a margin a lesson without the effect passes by chance
  less than once in a thousand times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_horizon import assert_horizon_free

import sim
from agents.customer import Customer
from agents.handling import resolution_delay
from sim.agent_engine.model import CRMModel
from sim.errors import ScenarioError
from sim.experiments import arms_from_scenario, compare
from sim.scenario.scaling import scaled
from sim.scenario.spec import load_scenario, with_overrides
from sim.streams import open_uniform
from sim.vector_engine.model import VectorModel

ENGINES = ("agent", "vector")

#: LESCANT handling on a small baseline world.
LESCANT: dict[str, Any] = {
    "population.initial": 400,
    "horizon": "8mo",
    "strategy.complaints.handling": "lescant",
}
#: Complaint outcomes that change nothing about the customer (no deposit, no withdrawal,
#: nothing felt): runs that differ only in when the outcomes come are then the same run,
#: ticket for ticket, and only the counters of the outcomes tell them apart.
INERT: dict[str, Any] = {
    "behaviour.account.apology_fix": 0.0,
    "behaviour.account.quick_resolution": 0.0,
    "behaviour.account.unresolved_complaint": 0.0,
    "behaviour.account.long_wait_per_promise": 0.0,
}
#: What the desk decides: identical whatever the resolution time.
DESK = [
    "complaints", "tickets", "wait_mean", "wait_p90", "waits_over_promise", "utilisation",
    "cost_service_tickets", "failures", "purchases", "churned",
]  # fmt: skip


def _slow(mean: str, cv: float) -> dict[str, Any]:
    return {
        "strategy.complaints.resolution_time.lescant": mean,
        "strategy.complaints.resolution_cv.lescant": cv,
    }


# --------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("cv", [0.25, 0.5, 1.0, 2.0])
def test_the_delay_is_the_gamma_quantile_of_its_uniform(cv: float) -> None:
    u = np.linspace(1e-6, 1 - 1e-6, 1001)
    shape = 1.0 / cv**2
    want = stats.gamma.ppf(u, shape, scale=6.0 / shape)
    np.testing.assert_allclose(resolution_delay(6.0, cv, u), want, rtol=1e-9)


@pytest.mark.parametrize("cv", [0.25, 0.5, 1.0])
def test_many_delays_have_the_mean_and_cv_asked_for(cv: float) -> None:
    # Midpoints of a fine grid of uniforms: the sample moments converge to the integrals of
    # the quantile function, E[X] = mean and sd/mean = cv, without sampling noise.
    n = 400_000
    u = (np.arange(n) + 0.5) / n
    x = resolution_delay(3.0, cv, u)
    assert x.mean() == pytest.approx(3.0, rel=1e-3)
    assert x.std() / x.mean() == pytest.approx(cv, rel=5e-3)
    assert (np.diff(x) >= 0).all(), "a larger draw never gives a shorter delay"


def test_no_spread_or_no_mean_is_exactly_the_mean() -> None:
    u = np.array([1e-12, 0.3, 0.5, 1 - 1e-12])
    assert resolution_delay(0.25, 0.0, u).tolist() == [0.25] * 4
    assert resolution_delay(0.0, 0.5, u).tolist() == [0.0] * 4
    assert resolution_delay(6.0, 0.0, 0.7).shape == ()


def test_resolution_fields_default_to_no_delay_and_are_bounded() -> None:
    sc = load_scenario("baseline")
    c = sc.strategy.complaints
    assert c.resolution_time.of("basic") == c.resolution_time.of("lescant") == 0.0
    assert c.resolution_cv.of("basic") == c.resolution_cv.of("lescant") == 0.0
    assert load_scenario("baseline", _slow("6d", 0.5)).strategy.complaints.resolution_time.of(
        "lescant"
    ) == pytest.approx(6.0)
    for bad in (_slow("-1d", 0.5), _slow("1d", 11.0), _slow("60y", 0.5)):
        with pytest.raises(ScenarioError):
            load_scenario("baseline", bad)


# --------------------------------------------------------------------------- the engines
@pytest.mark.parametrize("engine", ENGINES)
def test_a_slower_resolution_moves_outcomes_not_the_desk(engine: str) -> None:
    runs = {
        mean: sim.run(
            load_scenario("baseline", {**LESCANT, **INERT, **_slow(mean, 0.5)}),
            seed=11,
            engine=engine,
        ).periods
        for mean in ("0d", "12h", "4d")
    }
    now, soon, late = runs["0d"], runs["12h"], runs["4d"]
    for p in (soon, late):
        pd.testing.assert_frame_equal(p[DESK], now[DESK], check_exact=True)
    quick = [int(p["complaints_quick"].sum()) for p in (now, soon, late)]
    assert quick[0] > quick[1] > quick[2] >= 0, quick
    assert quick[0] > 20, quick
    # Outcomes due past the horizon are never felt; every other one still comes.
    resolved = [int(p["complaints_resolved"].sum()) for p in (now, soon, late)]
    assert resolved[0] >= resolved[1] >= resolved[2] > 0.8 * resolved[0], resolved


@pytest.mark.parametrize("engine", ENGINES)
def test_outcomes_due_past_the_horizon_change_nothing_before_it(engine: str) -> None:
    # Resolutions of a week and more: many complaints of the last weeks resolve after the
    # shorter horizon; what it measured must not depend on whether the run goes on.
    runs = [
        sim.run(
            load_scenario("baseline", {**LESCANT, "horizon": h, **_slow("8d", 1.0)}),
            seed=2,
            engine=engine,
        )
        for h in ("6mo", "200d")
    ]
    assert_horizon_free(*runs)


def test_both_engines_give_a_customer_the_same_delays() -> None:
    sc = load_scenario("baseline", {**LESCANT, "population.initial": 30, **_slow("2d", 0.7)})
    agent, vector = CRMModel(sc, seed=5), VectorModel(sc, seed=5)
    ctx = agent.ctx
    customers: list[Customer] = agent.customers
    ids = np.arange(len(customers))
    assert [c.key for c in customers] == vector.cols.key[ids].tolist()
    for _ in range(3):
        a = [
            float(resolution_delay(ctx.resolution_mean, ctx.resolution_cv,
                                   agent.resolution_draws.open_random(c)))
            for c in customers
        ]  # fmt: skip
        u = open_uniform(vector.luck.words("resolution", ids, 1)[:, 0])
        v = resolution_delay(vector.ctx.resolution_mean, vector.ctx.resolution_cv, u)
        assert a == v.tolist()
    assert len(set(a)) == len(a)
    assert [c.k_resolution for c in customers] == vector.cols.k_resolution[ids].tolist() == [3] * 30


def test_engines_agree_on_quick_complaints_where_customers_never_meet() -> None:
    # tests/test_crn.py's world apart: an unbounded desk, no ranked care, no account
    # managers, no referrals; each customer's life is then a function of their own draws.
    apart = {
        "horizon": "1y", "population.initial": 300, "strategy.service.staff": None,
        "strategy.care_tiers.enabled": False, "strategy.account_managers.count": 0,
        "strategy.account_managers.allocation": "none",
        "strategy.acquisition.referral_conversion": 0.0, "output.ledger": "aggregate",
        "strategy.complaints.handling": "lescant", **_slow("20h", 0.5),
    }  # fmt: skip
    sc = load_scenario("baseline", apart)
    agent, vector = (sim.run(sc, seed=7, engine=e).periods for e in ENGINES)
    for column in ("complaints", "complaints_resolved", "complaints_quick", "tickets"):
        assert agent[column].tolist() == vector[column].tolist(), column
    quick, resolved = int(agent["complaints_quick"].sum()), int(agent["complaints_resolved"].sum())
    # About half the delays fall within the promise: both outcomes are exercised.
    assert 0.2 * resolved < quick < 0.8 * resolved, (quick, resolved)


# --------------------------------------------------------------------------- the lesson
#: Replications of the paired lesson test, and the bound the mean paired difference must
#: exceed in standard errors: the 1 − 1e-3 quantile of Student's t with n − 1 degrees of
#: freedom (4.79), so an arm without the effect passes less than once in a thousand times.
#: On four base seeds the trust gap stood 10.8 to 19 standard errors above zero.
N_PAIRS = 8
T_BOUND = float(stats.t.ppf(1 - 1e-3, N_PAIRS - 1))


def test_the_complaint_lesson_shows_slow_resolutions_lose_trust() -> None:
    base = sim.load_scenario("complaint_handling", {"horizon": "1y"})
    small = scaled(base, 800)
    # As tests/test_lessons.py's shrink: the desk rounded up, as uncongested as at full size.
    staff = math.ceil(3 * 800 / base.population.initial)
    small = with_overrides(small, {"strategy.service.staff": staff})
    arms = arms_from_scenario(small)
    cmp = compare(
        {a: arms[a] for a in ("lescant", "lescant_slow")}, n=N_PAIRS, seed=20250101,
        engine="vector",
    )  # fmt: skip
    wide = cmp.values("balance_end")
    d = (wide["lescant"] - wide["lescant_slow"]).to_numpy(float)
    se = float(d.std(ddof=1) / math.sqrt(d.size))
    assert d.mean() > T_BOUND * se, (
        f"balance_end: lescant − lescant_slow = {d.mean():.4g} ± {se:.3g} "
        f"(needs > {T_BOUND:.2f} SE over n = {d.size}); arm means {wide.mean().to_dict()}"
    )
