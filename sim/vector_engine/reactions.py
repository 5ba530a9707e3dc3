"""Customer reactions on arrays: :class:`agents.customer.Customer`'s methods, for many at once.

Each function takes the vector engine ``m``, the ids ``ix`` of the customers it happens to
(unique within one call) and their event times ``t``, and applies the same sequence of
:mod:`agents.rules` calls and reasoned trust entries as the agent's method of the same
name, in the same order. The agent engine's code is the specification: a change there
needs the same change here, and the equivalence tests fail until it is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from agents import rules
from agents.emotional_account import Reason
from agents.relationship import ladder_step
from agents.rules import ChurnReason, Kano
from sim.streams import normal, uniform
from sim.vector_engine.columns import Kind, Status, full
from sim.vector_engine.money import book, earn

if TYPE_CHECKING:
    from sim.vector_engine.model import VectorModel

__all__ = [
    "book",
    "broken_promise",
    "churn",
    "complaint_outcome",
    "contact",
    "earn",
    "entry",
    "fail",
    "feel",
    "hazard_multiplier",
    "intervene",
    "price_change",
    "promised_step",
    "purchase",
    "reactivate",
    "review",
    "service_outcome",
    "touch",
    "wallet",
]

F = np.ndarray


def _exp(x: Any) -> Any:
    return np.exp(x)


# --------------------------------------------------------------------------- account
def balance_at(m: VectorModel, ix: F, t: Any) -> F:
    """Balances cooled to ``t``."""
    c = m.cols
    return rules.decay_balance(c.balance[ix], t - c.balance_t[ix], m.ctx.half_life)


def tolerance_now(m: VectorModel, ix: F, t: Any) -> F:
    """Tolerance multipliers at the current balances."""
    ctx = m.ctx
    return rules.tolerance(balance_at(m, ix, t), ctx.kappa, ctx.acct.tolerance_cap)


def entry(m: VectorModel, ix: F, t: Any, reason: int | F, amount: Any) -> F:
    """Book deposits (> 0) or withdrawals (< 0, scaled by tolerance); returns what was booked."""
    ctx = m.ctx
    if not ctx.behaviour or ix.size == 0:
        return np.zeros(ix.shape)
    if not isinstance(amount, np.ndarray) or amount.shape != ix.shape:
        amount = full(amount, ix.size)
    nz = amount != 0.0
    if not nz.all():
        booked = np.zeros(ix.shape)
        sub = np.flatnonzero(nz)
        t_s = t[sub] if np.ndim(t) else t
        r_s = np.asarray(reason)[sub] if np.ndim(reason) else reason
        booked[sub] = entry(m, ix[sub], t_s, r_s, amount[sub])
        return booked
    c = m.cols
    b = balance_at(m, ix, t)
    neg = amount < 0.0
    amt = np.where(neg, amount * rules.tolerance(b, ctx.kappa, ctx.acct.tolerance_cap), amount)
    c.withdrawals[ix] += np.where(neg, amt, 0.0)
    c.deposits[ix] += np.where(neg, 0.0, amt)
    if neg.any():
        r = full(reason, ix.size)
        c.withdrawn_by[ix[neg], r[neg]] += amt[neg].astype(np.float32)
    new = b + amt
    c.balance[ix] = new
    c.balance_t[ix] = t
    m.ledger.record(t, m.k, ix, reason, amt, new, c.rep)
    c.level[ix] = ladder_step(c.level[ix], new, c.interactions[ix], ctx.ladder)
    return amt


def feel(m: VectorModel, ix: F, impact: Any, tol: F) -> None:
    """Move satisfaction by felt impacts (tolerance taken before the entries)."""
    ctx = m.ctx
    if not ctx.behaviour or ix.size == 0:
        return
    c = m.cols
    c.satisfaction[ix] = rules.satisfaction_step(c.satisfaction[ix], impact, ctx.sat_rate, tol)


def touch(m: VectorModel, ix: F, t: Any) -> None:
    """Any interaction: counts toward the ladder and resets neglect."""
    c = m.cols
    c.interactions[ix] += 1
    c.last_touch[ix] = t


def wallet(m: VectorModel, ix: F) -> F:
    """Purchase-rate multipliers from the ladder and loyalty membership."""
    ctx = m.ctx
    if not ctx.behaviour:
        return np.ones(ix.size)
    return m.wallet_by_level[m.cols.level[ix]] * ctx.loyalty_wallet


def hazard_multiplier(m: VectorModel, ix: F) -> F:
    """Churn multipliers: ladder switching cost × loyalty lock-in."""
    ctx = m.ctx
    if not ctx.behaviour:
        return np.ones(ix.size)
    return m.hazard_by_level[m.cols.level[ix]] * ctx.loyalty_lock


def _decay_recent(m: VectorModel, ix: F, t: Any) -> None:
    c = m.cols
    f = _exp((c.recent_t[ix] - t) / m.ctx.signal_memory)
    c.recent_failures[ix] *= f
    c.recent_unresolved[ix] *= f
    c.recent_t[ix] = t


# --------------------------------------------------------------------------- reactions
def purchase(m: VectorModel, ix: F, t: Any, repeat: bool) -> None:
    """Buy: pay, experience the product and delivery, maybe complain, maybe drop out."""
    if ix.size == 0:
        return
    c = m.cols
    ctx = m.ctx
    z = m.luck.gamma("spend", ix, c.spend_p[ix]) * (1.0 / c.spend_nu[ix])
    earn(m, ix, t, z, z * ctx.cogs_share)
    c.purchases[ix] += 1
    fade = _exp((c.value_t[ix] - t) / m.ctx.value_memory)
    c.value[ix] = c.value[ix] * fade + z
    c.value_t[ix] = t
    if repeat:
        c.repeat[ix] += 1
        c.last_repeat[ix] = t
        c.repeat_spend[ix] += z
    m.count("purchases", ix)
    if ctx.behaviour:
        _experience_purchase(m, ix, t)
    touch(m, ix, t)
    m.follow_up(ix, t, first=not repeat)
    if repeat and ctx.dropout_at_purchase:
        alive = c.status[ix] == Status.active
        u = m.luck.uniform("churn", ix)
        drop = alive & (u < c.dropout_p[ix] * hazard_multiplier(m, ix))
        if drop.any():
            churn(m, ix[drop], _at(t, drop), ChurnReason.baseline)


def _at(t: Any, mask: F) -> Any:
    return t[mask] if np.ndim(t) else t


def _experience_purchase(m: VectorModel, ix: F, t: Any) -> None:
    ctx = m.ctx
    acct = ctx.acct
    c = m.cols
    n = ix.size
    # One run of the customer's experience stream: the performance, delivery on time, and
    # delight when the lesson has any.
    w = m.luck.words("experience", ix, 3 if ctx.delight > 0.0 else 2)
    perf = ctx.quality + ctx.quality_sd * normal(w[:, 0])
    tol = tolerance_now(m, ix, t)
    before = c.satisfaction[ix].copy()
    d = perf - c.expectation[ix]
    impact = rules.kano_response(d, Kano.one_dimensional, ctx.loss_aversion)
    failed = d < -ctx.failure_margin
    lost = np.zeros(n)
    up = d > ctx.exceed_margin
    entry(m, ix[up], _at(t, up), Reason.exceeded_expectation, acct.exceeded_per_unit * d[up])
    down = failed & ~up
    lost[down] += entry(
        m, ix[down], _at(t, down), Reason.service_failure,
        acct.failure_per_unit * ctx.loss_aversion * d[down],
    )  # fmt: skip
    late = uniform(w[:, 1]) >= ctx.on_time
    failed |= late
    lost[late] += entry(m, ix[late], _at(t, late), Reason.broken_promise, -acct.broken_promise)
    impact = impact + np.where(
        late, rules.kano_response(-ctx.miss_size, Kano.must_be, ctx.loss_aversion), 0.0
    )
    if ctx.delight > 0.0:
        dl = uniform(w[:, 2]) < ctx.delight
        impact = impact + np.where(
            dl, rules.kano_response(ctx.delight_size, Kano.attractive, ctx.loss_aversion), 0.0
        )
        entry(
            m, ix[dl], _at(t, dl), Reason.exceeded_expectation,
            acct.exceeded_per_unit * ctx.delight_size,
        )  # fmt: skip
    feel(m, ix, impact, tol)
    c.expectation[ix] = rules.adapt_expectation(c.expectation[ix], perf, ctx.exp_rate)
    if failed.any():
        who = ix[failed]
        c.last_failure[who] = -lost[failed]
        c.pre_failure_satisfaction[who] = before[failed]
        fail(m, who, _at(t, failed))


def fail(m: VectorModel, ix: F, t: Any) -> None:
    """Failures happened: complain (voice) or stay silent (grudge)."""
    c = m.cols
    c.failures[ix] += 1
    _decay_recent(m, ix, t)
    c.recent_failures[ix] += 1.0
    m.count("failures", ix)
    voice = m.luck.uniform("complaints", ix) < c.complaint_propensity[ix]
    who = ix[voice]
    c.complaints[who] += 1
    m.count("complaints", who)
    if who.size:
        if m.ctx.handling == "none":
            complaint_outcome(m, who, _at(t, voice), np.zeros(who.size, bool), 0.0, "basic")
        else:
            tt = _at(t, voice)
            m.open_tickets(who, tt, complaint=True, opened=tt)
    quiet = ix[~voice]
    m.count("silent_failures", quiet)
    entry(
        m, quiet, _at(t, ~voice), Reason.silent_dissatisfaction, -m.ctx.acct.silent_dissatisfaction
    )


def _wait_withdrawal(m: VectorModel, ix: F, t: Any, wait: Any) -> None:
    ctx = m.ctx
    over = np.minimum(
        ctx.acct.long_wait_per_promise * (wait / ctx.promise - 1.0), ctx.acct.long_wait_cap
    )
    entry(m, ix, t, Reason.long_wait, -over)
    _decay_recent(m, ix, t)
    m.cols.recent_failures[ix] += 1.0


def complaint_outcome(
    m: VectorModel, ix: F, t: Any, resolved: F, elapsed: Any, handling: str
) -> None:
    """Complaints handled (or not) ``elapsed`` days after they were voiced."""
    ctx = m.ctx
    acct = ctx.acct
    c = m.cols
    elapsed = full(elapsed, ix.size)
    tol = tolerance_now(m, ix, t)
    quick = elapsed <= ctx.promise
    slow = ~quick
    _wait_withdrawal(m, ix[slow], _at(t, slow), elapsed[slow])
    no = ~resolved
    who = ix[no]
    _decay_recent(m, who, _at(t, no))
    c.recent_unresolved[who] += 1.0
    entry(m, who, _at(t, no), Reason.unresolved_complaint, -acct.unresolved_complaint)
    feel(m, who, -acct.unresolved_complaint * ctx.sat_per_point, tol[no])
    if not resolved.any():
        return
    ix, tol, quick = ix[resolved], tol[resolved], quick[resolved]
    t = _at(t, resolved)
    m.count("complaints_resolved", ix)
    fix = np.full(ix.size, acct.apology_fix * ctx.apology[handling])
    felt = fix * ctx.sat_per_point
    m.count("complaints_quick", ix[quick])
    entry(m, ix[quick], _at(t, quick), Reason.respected_time, acct.quick_resolution)
    felt = np.where(quick, felt + acct.quick_resolution * ctx.sat_per_point, felt)
    if ctx.recovery_paradox and quick.any():
        q = ix[quick]
        lf = c.last_failure[q]
        fix[quick] = np.maximum(fix[quick], ctx.paradox_bonus * lf)
        c.satisfaction[q] = np.maximum(c.satisfaction[q], c.pre_failure_satisfaction[q])
        felt[quick] = (ctx.paradox_bonus - 1.0) * lf * ctx.sat_per_point
    entry(m, ix, t, Reason.apology_fix, fix)
    feel(m, ix, felt, tol)


def service_outcome(m: VectorModel, ix: F, t: Any, wait: F, first: F, perf: F) -> None:
    """Service tickets handled after ``wait`` days."""
    ctx = m.ctx
    touch(m, ix, t)
    if not ctx.behaviour or ix.size == 0:
        return
    tol = tolerance_now(m, ix, t)
    ok = wait <= ctx.promise
    entry(m, ix[ok], _at(t, ok), Reason.respected_time, ctx.acct.respected_time)
    _wait_withdrawal(m, ix[~ok], _at(t, ~ok), wait[~ok])
    d = perf - m.cols.expectation[ix]
    impact = rules.kano_response(d, Kano.one_dimensional, ctx.loss_aversion)
    impact = impact + np.where(
        first, 0.0, rules.kano_response(-ctx.miss_size, Kano.must_be, ctx.loss_aversion)
    )
    feel(m, ix, impact, tol)


def contact(m: VectorModel, ix: F, t: Any, reason: Any, deposit: Any) -> None:
    """Scheduled contacts or visits: deposits, or annoyance when they come too soon."""
    ctx = m.ctx
    c = m.cols
    gap = t - c.last_contact[ix]
    c.last_contact[ix] = t
    touch(m, ix, t)
    effect = rules.contact_effect(
        gap, c.preferred[ix], deposit, ctx.acct.over_contact, ctx.acct.over_contact_cap
    )
    effect = full(effect, ix.size)
    neg = effect < 0.0
    m.count("over_contacts", ix[neg])
    reason = np.where(neg, int(Reason.over_contact), reason).astype(np.int64)
    entry(m, ix, t, reason, effect)


def promised_step(m: VectorModel, ix: F, t: Any, reason: Any, deposit: Any, kept: float) -> None:
    """Promised post-sale steps done on time."""
    touch(m, ix, t)
    entry(m, ix, t, reason, deposit)
    entry(m, ix, t, Reason.kept_promise, kept)


def broken_promise(m: VectorModel, ix: F, t: Any) -> None:
    """Promised contacts that did not happen."""
    m.count("broken_promises", ix)
    entry(m, ix, t, Reason.broken_promise, -m.ctx.acct.broken_promise)


def price_change(m: VectorModel, ix: F, t: float, rise: float) -> None:
    """Our list price moved by ``rise``; a rise is a withdrawal."""
    ctx = m.ctx
    if rise <= 0.0 or ix.size == 0:
        return
    c = m.cols
    sens = c.price_sensitivity[ix] * m.price_sens_by_level[c.level[ix]]
    amount = ctx.acct.price_rise_per_unit * rise * sens
    tol = tolerance_now(m, ix, t)
    entry(m, ix, t, Reason.price_rise, -amount)
    feel(m, ix, -amount * ctx.sat_per_point, tol)


def intervene(m: VectorModel, ix: F, t: float, offer: float, until: float, deposit: float) -> None:
    """Early-warning interventions: a personal call that helps, plus a retention offer."""
    c = m.cols
    c.offer[ix] = offer
    c.offer_until[ix] = until
    touch(m, ix, t)
    entry(m, ix, t, Reason.help_in_difficulty, deposit)


def hazards(m: VectorModel, ix: F, t: Any) -> tuple[F, F, F, F]:
    """Behavioural churn hazards per day (dissatisfaction, overdrawn, price, neglect)."""
    ctx = m.ctx
    c = m.cols
    paid = (
        m.list_price * (1.0 - m.discount) * np.where(c.offer_until[ix] > t, 1.0 - c.offer[ix], 1.0)
    )
    gap = rules.price_gap(paid, m.sc.market.prices_at(np.asarray(t, dtype=float)))
    sens = c.price_sensitivity[ix] * m.price_sens_by_level[c.level[ix]]
    neglect = rules.neglect_pressure(t - c.last_touch[ix], c.preferred[ix], ctx.hazard_params)
    return rules.churn_components(
        c.satisfaction[ix], balance_at(m, ix, t), gap, sens, neglect,
        hazard_multiplier(m, ix), ctx.hazard_params,
    )  # fmt: skip


def review(m: VectorModel, ix: F, t: Any) -> None:
    """Moments of reconsideration (thinning candidates of the behavioural hazard)."""
    if ix.size == 0:
        return
    ctx = m.ctx
    comps = hazards(m, ix, t)
    total = comps[0] + comps[1] + comps[2] + comps[3]
    u = m.luck.uniform("churn", ix)
    go = u < rules.churn_accept_probability(total, ctx.max_hazard_rate)
    if not go.any():
        return
    reason = rules.dominant_reason(comps)[go]
    if ctx.contractual:
        m.cols.cancel_intent[ix[go]] = reason
    else:
        churn(m, ix[go], _at(t, go), reason)


def churn(m: VectorModel, ix: F, t: Any, reason: Any) -> None:
    """Leave: record when and why, stop the clocks, schedule a win-back if it applies."""
    c = m.cols
    reason = full(reason, ix.size)
    t = full(t, ix.size)
    live = c.status[ix] == Status.active
    ix, reason, t = ix[live], reason[live], t[live]
    if ix.size == 0:
        return
    c.status[ix] = Status.gone
    c.churned_at[ix] = t
    c.churn_reason[ix] = reason
    c.cancel_intent[ix] = -1
    c.t_life[ix] = np.inf
    c.t_renew[ix] = np.inf
    m.add_churned(ix, reason.astype(np.int64))
    m.churn_events.add(t, ix)
    wb = m.sc.strategy.win_back
    if wb.enabled:
        ok = (c.revenue[ix] >= wb.min_revenue) & (reason != ChurnReason.fired)
        m.pool.schedule(
            ix[ok],
            t[ok] + wb.delay,
            Kind.win_back,
            reason=reason[ok],
            generation=c.won_back[ix[ok]],
        )


def reactivate(m: VectorModel, ix: F, t: Any, deposit: float) -> None:
    """Won back: active again with a fresh start on trust and a reset expectation gap."""
    c = m.cols
    c.status[ix] = Status.active
    c.won_back[ix] += 1
    c.last_winback[ix] = t
    c.churned_at[ix] = np.nan
    c.churn_reason[ix] = -1
    c.balance[ix] = 0.0
    c.balance_t[ix] = t
    c.satisfaction[ix] = np.maximum(c.satisfaction[ix], m.ctx.winback_satisfaction)
    c.last_touch[ix] = t
    c.last_contact[ix] = t
    entry(m, ix, t, Reason.help_in_difficulty, deposit)
    m.add_won_back(ix)
    m.winback_events.add(full(t, ix.size), ix)
    m.start_clocks(ix, t)
    if m.ctx.contractual:
        m.renew(ix, t)
