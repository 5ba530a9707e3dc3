"""Unit tests of the behavioural rules (``agents/rules.py``) and the ladder / lifecycle.

Each rule is checked against its documented closed form, and a ``hypothesis`` property test
pins the promise of ``agents/xp.py``: a rule called on Python scalars one by one gives
*exactly* (``==``, not approximately) the numbers it gives on the same values as arrays, so
the agent engine (scalars) and any array engine share one behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agents.emotional_account import AccountParams
from agents.relationship import LadderParams, Stage, ladder_step, lifecycle_stage
from agents.retention import EarlyWarningParams, at_risk, warning_score
from agents.rules import (
    BehaviourParams,
    HazardParams,
    Kano,
    adapt_expectation,
    churn_accept_probability,
    churn_components,
    contact_effect,
    decay_balance,
    dominant_reason,
    kano_response,
    neglect_pressure,
    price_gap,
    satisfaction_step,
    tolerance,
    valence,
    winback_probability,
)
from agents.traits import Level

H = HazardParams()
LAD = LadderParams()
LAMBDA = BehaviourParams().loss_aversion

# --------------------------------------------------------------------------- strategies
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
balance_st = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False)


# --------------------------------------------------------------------------- experiences
def test_valence_is_identity_on_gains_and_lambda_on_losses() -> None:
    assert valence(0.3, LAMBDA) == 0.3
    assert valence(0.0, LAMBDA) == 0.0
    assert valence(-0.3, LAMBDA) == LAMBDA * -0.3
    # Equal magnitudes: the loss weighs exactly λ times the gain.
    assert valence(-0.2, 2.0) / valence(0.2, 2.0) == -2.0
    d = np.array([-1.0, -0.1, 0.0, 0.1, 1.0])
    np.testing.assert_array_equal(valence(d, 3.0), np.array([-3.0, 3.0 * -0.1, 0.0, 0.1, 1.0]))


def test_loss_aversion_default_is_in_the_kahneman_tversky_range() -> None:
    # MODEL property 2: "ratio is a parameter, default in the loss-aversion range" (≈ 1.5–2.5).
    assert 1.5 <= LAMBDA <= 2.5
    assert LAMBDA == 2.25


@pytest.mark.parametrize("d", [-0.7, -0.2, -1e-6, 0.0, 1e-6, 0.2, 0.7])
def test_kano_kinds(d: float) -> None:
    must = kano_response(d, Kano.must_be, LAMBDA)
    one = kano_response(d, Kano.one_dimensional, LAMBDA)
    attr = kano_response(d, Kano.attractive, LAMBDA)
    if d >= 0:
        assert must == 0.0  # success of a must-be goes unnoticed
        assert attr == d  # delight counts at face value
    else:
        assert must == LAMBDA * d  # failure hurts, with loss aversion
        assert attr == 0.0  # absence of an attractive attribute is not missed
    # One-dimensional = both sides = the plain valence.
    assert one == valence(d, LAMBDA)
    assert must + attr == one


def test_tolerance_closed_form_and_saturation() -> None:
    kappa = 0.05
    assert tolerance(0.0, kappa) == 1.0
    assert tolerance(10.0, kappa) == math.exp(-0.5)
    assert tolerance(-10.0, kappa) == math.exp(0.5)
    # Buffer saturates beyond ±cap.
    assert tolerance(1e6, kappa, cap=20.0) == tolerance(20.0, kappa, cap=20.0)
    assert tolerance(-1e6, kappa, cap=20.0) == math.exp(kappa * 20.0)
    # κ = 0 switches tolerance off.
    assert tolerance(-50.0, 0.0) == 1.0


@given(a=balance_st, b=balance_st)
def test_tolerance_is_monotone_decreasing(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    assert tolerance(hi, 0.05) <= tolerance(lo, 0.05)
    assert tolerance(hi, 0.05) > 0.0


def test_satisfaction_step_closed_form() -> None:
    s, rate = 0.4, 0.3
    # Gains close a fraction rate·impact of the distance to 1; tolerance is ignored.
    assert satisfaction_step(s, 0.5, rate, 7.0) == s + rate * 0.5 * (1.0 - s)
    # Losses close rate·impact·tol of the distance to 0.
    assert satisfaction_step(s, -0.5, rate, 2.0) == s + rate * -0.5 * 2.0 * s
    assert satisfaction_step(s, 0.0, rate, 1.0) == s
    # A step larger than 1 is clipped: at worst satisfaction reaches the bound exactly.
    assert satisfaction_step(s, -100.0, rate, 1.0) == 0.0
    assert satisfaction_step(s, 100.0, rate, 1.0) == 1.0
    # At s = 1/2 and tolerance 1 equal-magnitude gain/loss move it by exactly 1 : λ.
    up = satisfaction_step(0.5, valence(0.2, LAMBDA), rate, 1.0) - 0.5
    down = satisfaction_step(0.5, valence(-0.2, LAMBDA), rate, 1.0) - 0.5
    assert -down / up == pytest.approx(LAMBDA, rel=1e-12)


@settings(max_examples=300)
@given(
    s=unit,
    impact=st.floats(allow_nan=False, allow_infinity=False),
    rate=st.floats(min_value=1e-6, max_value=1.0),
    balance=st.floats(allow_nan=False, allow_infinity=False),
)
def test_satisfaction_stays_in_unit_interval(
    s: float, impact: float, rate: float, balance: float
) -> None:
    tol = tolerance(balance, 0.05, 20.0)
    with np.errstate(over="ignore"):  # impact·tol may overflow to ±inf: still clipped
        out = satisfaction_step(s, impact, rate, tol)
    assert 0.0 <= out <= 1.0
    # Direction follows the sign of the impact.
    if impact > 0:
        assert out >= s
    elif impact < 0:
        assert out <= s


@given(s=unit, a=finite, b=finite, rate=st.floats(min_value=1e-3, max_value=1.0))
def test_satisfaction_step_monotone_in_impact(s: float, a: float, b: float, rate: float) -> None:
    lo, hi = min(a, b), max(a, b)
    assert satisfaction_step(s, lo, rate, 1.3) <= satisfaction_step(s, hi, rate, 1.3)


def test_adapt_expectation() -> None:
    assert adapt_expectation(0.6, 0.8, 0.1) == pytest.approx(0.62, abs=1e-15)
    assert adapt_expectation(0.6, 0.8, 0.0) == 0.6
    assert adapt_expectation(0.6, 0.8, 1.0) == 0.8
    # Bounded on [0, 1] even for performance outside it.
    assert adapt_expectation(0.9, 5.0, 1.0) == 1.0
    assert adapt_expectation(0.1, -5.0, 1.0) == 0.0


@given(e=unit, p=unit, rate=unit)
def test_adapt_expectation_moves_toward_performance(e: float, p: float, rate: float) -> None:
    out = adapt_expectation(e, p, rate)
    assert min(e, p) - 1e-15 <= out <= max(e, p) + 1e-15


# --------------------------------------------------------------------------- cooling
@pytest.mark.parametrize("b", [12.0, -7.5, 1e-3, 0.0])
def test_decay_half_life_exactly_halves(b: float) -> None:
    h = 180.0
    assert decay_balance(b, h, h) == b / 2.0
    assert decay_balance(b, 2 * h, h) == b / 4.0
    assert decay_balance(b, 0.0, h) == b


@given(b=balance_st, t1=st.floats(0.0, 1e3), t2=st.floats(0.0, 1e3))
def test_decay_cools_toward_neutral(b: float, t1: float, t2: float) -> None:
    h = 180.0
    x = decay_balance(b, t1, h)
    # Never crosses neutral, never grows in magnitude, keeps decaying.
    assert abs(x) <= abs(b)
    assert x * b >= 0.0
    later = decay_balance(b, t1 + t2, h)
    assert abs(later) <= abs(x)
    # Memoryless: cooling t1 then t2 equals cooling t1 + t2.
    assert decay_balance(x, t2, h) == pytest.approx(later, rel=1e-12, abs=1e-300)


# --------------------------------------------------------------------------- contact
def test_contact_effect_closed_form() -> None:
    deposit, annoy = 1.5, 3.0
    # At or beyond the preferred interval: a full deposit.
    assert contact_effect(30.0, 30.0, deposit, annoy) == deposit
    assert contact_effect(300.0, 30.0, deposit, annoy) == deposit
    # Twice as often as preferred: one unit of annoyance.
    assert contact_effect(15.0, 30.0, deposit, annoy) == deposit - annoy
    # Much too often: the annoyance is capped.
    assert contact_effect(1.0, 30.0, deposit, annoy, cap=2.0) == deposit - 2 * annoy
    assert contact_effect(0.0, 30.0, deposit, annoy, cap=2.0) == deposit - 2 * annoy
    # The very first contact (gap ∞) is never too soon.
    assert contact_effect(math.inf, 30.0, deposit, annoy) == deposit


@given(g1=st.floats(0.0, 1e4), g2=st.floats(0.0, 1e4), pref=st.floats(1.0, 365.0))
def test_contact_effect_monotone_in_gap(g1: float, g2: float, pref: float) -> None:
    lo, hi = min(g1, g2), max(g1, g2)
    acct = AccountParams()
    a = contact_effect(lo, pref, 1.5, acct.over_contact, acct.over_contact_cap)
    b = contact_effect(hi, pref, 1.5, acct.over_contact, acct.over_contact_cap)
    assert a <= b <= 1.5
    assert a >= 1.5 - acct.over_contact * acct.over_contact_cap


# --------------------------------------------------------------------------- churn
def test_price_gap() -> None:
    assert price_gap(1.0, 1.0) == 0.0
    assert price_gap(0.8, 1.0) == 0.0
    assert price_gap(1.2, 1.0) == pytest.approx(0.2, abs=1e-15)
    assert price_gap(1.0, 0.8) == pytest.approx(0.25, abs=1e-15)


def test_neglect_pressure() -> None:
    pref = 30.0
    assert neglect_pressure(0.0, pref, H) == 0.0
    assert neglect_pressure(H.neglect_grace * pref, pref, H) == 0.0
    assert neglect_pressure((H.neglect_grace + 1.0) * pref, pref, H) == 1.0
    assert neglect_pressure(1e9, pref, H) == H.neglect_cap


def test_churn_components_neutral_state_is_zero() -> None:
    comps = churn_components(H.satisfaction_threshold, 0.0, 0.0, 0.8, 0.0, 1.0, H)
    assert comps == (0.0, 0.0, 0.0, 0.0)
    comps = churn_components(1.0, 25.0, 0.0, 1.0, 0.0, 1.0, H)
    assert comps == (0.0, 0.0, 0.0, 0.0)


def test_churn_components_closed_form() -> None:
    y = 365.25
    dis, over, pri, neg = churn_components(0.0, -8.0, 0.2, 0.5, 2.0, 1.0, H)
    assert dis == pytest.approx(H.dissatisfaction / y, rel=1e-14)
    assert over == pytest.approx(H.overdrawn * math.expm1(H.overdraft_steepness * 8.0) / y)
    assert pri == pytest.approx(H.price * 0.5 * 0.2 / y, rel=1e-14)
    assert neg == pytest.approx(H.neglect * 2.0 / y, rel=1e-14)
    # The multiplier (ladder switching cost × loyalty) scales every component.
    half = churn_components(0.0, -8.0, 0.2, 0.5, 2.0, 0.5, H)
    for a, b in zip(half, (dis, over, pri, neg), strict=True):
        assert a == pytest.approx(0.5 * b, rel=1e-14)


def test_overdraft_hazard_is_steep() -> None:
    # MODEL "overdraft raises it steeply": convex (exponential) in the overdraft.
    over = [churn_components(1.0, -b, 0.0, 0.0, 0.0, 1.0, H)[1] for b in (0.0, 5.0, 10.0, 20.0)]
    assert over[0] == 0.0
    assert over[2] > 2.0 * over[1]
    assert over[3] > 10.0 * over[1]


def test_churn_accept_probability_closed_form() -> None:
    cap = 1.0 / 30.0
    for total in (0.0, 1e-9, 1e-4, 0.01, 1.0 / 30.0, 1.0, 50.0):
        p = churn_accept_probability(total, cap)
        # 1 − exp(−Σ/H), written with expm1 so tiny Σ keeps full precision.
        assert p == pytest.approx(-math.expm1(-total / cap), rel=1e-14, abs=1e-300)
        assert p == pytest.approx(1.0 - math.exp(-total / cap), rel=1e-7, abs=1e-300)
        # The realised hazard cap·p never exceeds the cap and equals Σ for small Σ.
        assert 0.0 <= cap * p <= min(total, cap) + 1e-18
    assert churn_accept_probability(1e-10, cap) * cap == pytest.approx(1e-10, rel=1e-6)


def test_dominant_reason_first_wins_ties() -> None:
    assert dominant_reason((0.1, 0.3, 0.2, 0.0)) == 2
    assert dominant_reason((0.5, 0.5, 0.5, 0.5)) == 1
    assert dominant_reason((0.0, 0.0, 0.0, 1e-12)) == 4
    comps = (np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0]), 0.5, np.array([0.0, 0.0, 1.0]))
    np.testing.assert_array_equal(dominant_reason(comps), [1, 2, 4])


def test_winback_probability() -> None:
    base = np.array([0.05, 0.10, 0.03, 0.25, 0.30, 0.0])
    assert winback_probability(3, 0.2, base, 2.0) == pytest.approx(0.25 * 1.4, rel=1e-15)
    assert winback_probability(5, 0.9, base, 2.0) == 0.0
    assert winback_probability(4, 0.9, base, 10.0) == 1.0  # capped
    np.testing.assert_allclose(
        winback_probability(np.array([0, 1, 2]), 0.0, base, 2.0), [0.05, 0.10, 0.03]
    )


# --------------------------------------------------------------------------- early warning
def test_warning_score_closed_form() -> None:
    w = (-2.0, 0.3, 0.5, 1.0, -0.3)
    z = -2.0 + 0.3 * math.log(4.0) + 0.5 * 1.5 + 1.0 * 0.5 - 0.3 * -6.0
    got = warning_score(np.array([4.0]), np.array([1.5]), np.array([0.5]), np.array([-6.0]), w)
    assert got[0] == pytest.approx(1.0 / (1.0 + math.exp(-z)), rel=1e-12)


def test_warning_score_rises_as_trust_falls_and_failures_pile_up() -> None:
    w = EarlyWarningParams().weights
    one = np.ones(5)
    balance = np.array([10.0, 3.0, 0.0, -4.0, -10.0])
    by_balance = warning_score(one, 0 * one, 0 * one, balance, w)
    assert np.all(np.diff(by_balance) > 0)
    fails = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
    assert np.all(np.diff(warning_score(one, fails, 0 * one, 0 * one, w)) > 0)
    assert np.all(np.diff(warning_score(one, 0 * one, fails, 0 * one, w)) > 0)


def test_default_score_flags_an_overdrawn_account_not_a_slow_buyer() -> None:
    """At the defaults a balance near −7 alone reaches the 0.5 threshold; a long gap does not."""
    ew = EarlyWarningParams()
    calm = warning_score(np.array([1.0]), np.zeros(1), np.zeros(1), np.array([-6.0]), ew.weights)
    over = warning_score(np.array([1.0]), np.zeros(1), np.zeros(1), np.array([-7.0]), ew.weights)
    slow = warning_score(np.array([8.0]), np.zeros(1), np.zeros(1), np.array([2.0]), ew.weights)
    assert calm[0] < ew.threshold <= over[0]
    assert slow[0] < ew.threshold


def test_at_risk_needs_score_value_and_no_open_case() -> None:
    ew = EarlyWarningParams(value_share=0.5, threshold=0.5)
    score = np.array([0.9, 0.9, 0.9, 0.2, 0.6, 0.9])
    values = np.array([10.0, 20.0, 1.0, 30.0, 40.0, 50.0])
    open_case = np.array([False, False, False, False, False, True])
    # the top half by value is 30, 40 and 50 (at or above the median, 25)
    np.testing.assert_array_equal(
        at_risk(score, values, open_case, ew), [False, False, False, False, True, False]
    )
    everyone = EarlyWarningParams(value_share=1.0)
    np.testing.assert_array_equal(
        at_risk(score, values, open_case, everyone), [True, True, True, False, True, False]
    )


# --------------------------------------------------------------------------- ladder
def test_ladder_promotion_needs_balance_and_history() -> None:
    up = LAD.promote_at[0]
    need = LAD.min_interactions[0]
    assert ladder_step(0, up, need, LAD) == 1
    assert ladder_step(0, up - 1e-9, need, LAD) == 0
    assert ladder_step(0, up, need - 1, LAD) == 0
    assert ladder_step(2, LAD.promote_at[2], LAD.min_interactions[2], LAD) == 3
    # The top rung cannot climb; the bottom cannot slip.
    assert ladder_step(3, 1e9, 10**9, LAD) == 3
    assert ladder_step(0, -1e9, 0, LAD) == 0


def test_ladder_moves_at_most_one_rung() -> None:
    assert ladder_step(0, 1e9, 10**9, LAD) == 1
    assert ladder_step(3, -1e9, 0, LAD) == 2


def test_ladder_hysteresis_band() -> None:
    # Between the floor and the next promotion the level holds, from either side.
    for lv in (1, 2):
        mid = 0.5 * (LAD.demote_below[lv - 1] + LAD.promote_at[lv])
        assert ladder_step(lv, mid, 10**6, LAD) == lv
    # Level 1 is reached at balance 5 but only lost below 0.
    assert ladder_step(1, 0.0, 0, LAD) == 1
    assert ladder_step(1, -1e-9, 0, LAD) == 0


def test_ladder_returns_int_for_scalars_and_int_array_for_arrays() -> None:
    out = ladder_step(1, 3.0, 4, LAD)
    assert isinstance(out, int | np.integer)
    arr = ladder_step(np.array([0, 1, 3]), np.array([10.0, -5.0, 0.0]), np.array([5, 5, 5]), LAD)
    assert arr.dtype.kind == "i"
    np.testing.assert_array_equal(arr, [1, 0, 2])


def test_ladder_params_validation() -> None:
    with pytest.raises(ValidationError, match="hysteresis"):
        LadderParams(promote_at=(5.0, 12.0, 25.0), demote_below=(6.0, 5.0, 15.0))
    with pytest.raises(ValidationError, match="increase"):
        LadderParams(promote_at=(12.0, 5.0, 25.0), demote_below=(0.0, 5.0, 15.0))
    with pytest.raises(ValidationError, match="non-negative"):
        LadderParams(hazard=(1.0, -0.1, 0.5, 0.3))


def test_level_multipliers_are_ordered() -> None:
    # MODEL "Levels change share of wallet, switching cost, price sensitivity, referral".
    assert list(LAD.wallet) == sorted(LAD.wallet)
    assert list(LAD.referral) == sorted(LAD.referral)
    assert list(LAD.hazard) == sorted(LAD.hazard, reverse=True)
    assert list(LAD.price_sensitivity) == sorted(LAD.price_sensitivity, reverse=True)


def test_lifecycle_stage_each_rule() -> None:
    rows = [
        # active, tenure, repeats, level, balance, satisfaction, since_winback -> stage
        (False, 500.0, 9, 3, 30.0, 0.9, math.inf, Stage.lapsed),
        (True, 500.0, 9, 3, 30.0, 0.9, 10.0, Stage.won_back),
        (True, 500.0, 9, 3, -1.0, 0.9, math.inf, Stage.at_risk),
        (True, 500.0, 9, 3, 30.0, 0.3, math.inf, Stage.at_risk),
        (True, 10.0, 0, 0, 0.0, 0.7, math.inf, Stage.acquisition),
        (True, 40.0, 0, 0, 0.0, 0.7, math.inf, Stage.activation),
        (True, 400.0, 1, 0, 0.0, 0.7, math.inf, Stage.activation),
        (True, 400.0, 5, 2, 20.0, 0.7, math.inf, Stage.advocacy),
        (True, 400.0, 5, 1, 20.0, 0.9, math.inf, Stage.growth),
        (True, 400.0, 5, 3, 20.0, 0.5, math.inf, Stage.retention),
    ]
    cols = list(zip(*rows, strict=True))
    out = lifecycle_stage(
        np.array(cols[0], dtype=bool),
        np.array(cols[1]),
        np.array(cols[2], dtype=float),
        np.array(cols[3]),
        np.array(cols[4]),
        np.array(cols[5]),
        np.array(cols[6]),
    )
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, np.array([int(s) for s in cols[7]]))


# --------------------------------------------------------------------------- scalar == array
def _same_scalar_and_array(
    rule: Callable[..., Any], columns: Sequence[Sequence[Any]], *fixed: Any, **kw: Any
) -> None:
    """``rule`` on element i of each column (scalars) equals element i of the array call."""
    n = len(columns[0])
    arrays = [np.asarray(c) for c in columns]
    vec = rule(*arrays, *fixed, **kw)
    vec_parts = vec if isinstance(vec, tuple) else (vec,)
    for i in range(n):
        one = rule(*(c[i] for c in columns), *fixed, **kw)
        one_parts = one if isinstance(one, tuple) else (one,)
        assert len(one_parts) == len(vec_parts)
        for s, v in zip(one_parts, vec_parts, strict=True):
            assert np.ndim(s) == 0, f"{rule.__name__} returned a non-scalar for scalar input"
            expect = np.broadcast_to(v, (n,))[i]
            assert s == expect, f"{rule.__name__}: scalar {s!r} != array {expect!r} at {i}"


def _cols(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[list[list[Any]]]:
    """``len(strategies)`` equally long lists of draws (one per argument)."""
    return st.integers(1, 12).flatmap(
        lambda n: st.tuples(*(st.lists(s, min_size=n, max_size=n) for s in strategies)).map(list)
    )


@given(_cols(finite), st.floats(1.0, 5.0))
def test_polymorphic_valence(cols: list[list[float]], lam: float) -> None:
    _same_scalar_and_array(valence, cols, lam)


@given(_cols(finite, st.sampled_from([0, 1, 2])), st.floats(1.0, 5.0))
def test_polymorphic_kano(cols: list[list[Any]], lam: float) -> None:
    _same_scalar_and_array(kano_response, cols, lam)


@given(_cols(balance_st), st.floats(0.0, 0.5), st.floats(0.1, 50.0))
def test_polymorphic_tolerance(cols: list[list[float]], kappa: float, cap: float) -> None:
    _same_scalar_and_array(tolerance, cols, kappa, cap)


@given(
    _cols(unit, finite, st.floats(0.1, 5.0)),
    st.floats(1e-3, 1.0),
)
def test_polymorphic_satisfaction_step(cols: list[list[float]], rate: float) -> None:
    s, impact, tol = cols
    _same_scalar_and_array(lambda a, b, c: satisfaction_step(a, b, rate, c), [s, impact, tol])


@given(_cols(unit, st.floats(-0.5, 1.5)), unit)
def test_polymorphic_adapt_expectation(cols: list[list[float]], rate: float) -> None:
    _same_scalar_and_array(adapt_expectation, cols, rate)


@given(_cols(balance_st, st.floats(0.0, 2000.0)), st.floats(1.0, 1000.0))
def test_polymorphic_decay(cols: list[list[float]], half_life: float) -> None:
    _same_scalar_and_array(decay_balance, cols, half_life)


@given(_cols(st.floats(0.0, 500.0), st.floats(1.0, 365.0)), positive, positive, st.floats(0, 5))
def test_polymorphic_contact_effect(
    cols: list[list[float]], deposit: float, annoy: float, cap: float
) -> None:
    _same_scalar_and_array(contact_effect, cols, deposit, annoy, cap)


@given(_cols(st.floats(0.1, 3.0), st.floats(0.1, 3.0)))
def test_polymorphic_price_gap(cols: list[list[float]]) -> None:
    _same_scalar_and_array(price_gap, cols)


@given(_cols(st.floats(0.0, 5000.0), st.floats(1.0, 365.0)))
def test_polymorphic_neglect(cols: list[list[float]]) -> None:
    _same_scalar_and_array(neglect_pressure, cols, H)


@given(
    _cols(
        unit,
        balance_st,
        st.floats(0.0, 2.0),
        unit,
        st.floats(0.0, 5.0),
        st.floats(0.0, 2.0),
    )
)
def test_polymorphic_churn_components(cols: list[list[float]]) -> None:
    _same_scalar_and_array(churn_components, cols, H)


@given(_cols(st.floats(0.0, 10.0)), st.floats(1e-3, 1.0))
def test_polymorphic_churn_accept(cols: list[list[float]], cap: float) -> None:
    _same_scalar_and_array(churn_accept_probability, cols, cap)


@given(_cols(*(st.floats(0.0, 1.0),) * 4))
def test_polymorphic_dominant_reason(cols: list[list[float]]) -> None:
    _same_scalar_and_array(lambda a, b, c, d: dominant_reason((a, b, c, d)), cols)


@given(_cols(st.integers(0, 5)), st.floats(0.0, 0.99), st.floats(0.0, 5.0))
def test_polymorphic_winback(cols: list[list[int]], offer: float, elasticity: float) -> None:
    base = (0.05, 0.10, 0.03, 0.25, 0.30, 0.0)
    _same_scalar_and_array(lambda r: winback_probability(r, offer, base, elasticity), cols)


@given(_cols(st.integers(0, 3), st.floats(-40.0, 40.0), st.integers(0, 20)))
def test_polymorphic_ladder(cols: list[list[Any]]) -> None:
    _same_scalar_and_array(lambda lv, b, n: ladder_step(lv, b, n, LAD), cols)


def test_level_enum_matches_ladder_tables() -> None:
    assert len(LAD.up_table) == len(Level) == len(LAD.down_table) == len(LAD.need_table)
