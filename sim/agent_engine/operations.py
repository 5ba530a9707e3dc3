"""The firm at work: policy epochs, acquisition, follow-ups, win-back and price moves.

At the start of every reporting period (a declared *synchronisation epoch*) the firm looks
at a snapshot of its customers — values, risk signals, profitability — and decides, with the
array policies of :mod:`agents.care`, :mod:`agents.staff`, :mod:`agents.retention` and
:mod:`agents.portfolio`, who gets which care tier, how
the account managers' hours are spread, who is flagged as at risk, who is migrated or let go,
and how many referrals and paid leads arrive in the period. The decisions are then executed
at their own moments inside the period by scheduled SimPy events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from agents.care import assign_tiers
from agents.emotional_account import Reason
from agents.portfolio import unprofitable
from agents.retention import at_risk, recency_ratio, warning_score
from agents.rules import ChurnReason, winback_probability
from agents.staff import allocate_hours, apportion

if TYPE_CHECKING:
    from agents.customer import Customer
    from sim.agent_engine.model import CRMModel

__all__ = ["at", "bass_diffusion", "epochs", "follow_up", "price_moves", "win_back"]

Proc = Generator[simpy.Event, Any, None]


def at(model: CRMModel, t: float, action: Callable[..., object], *args: Any) -> None:
    """Run ``action(*args)`` at day ``t`` (a plain callback: cheaper than a process)."""
    ev = model.env.timeout(max(t - model.env.now, 0.0))
    ev.callbacks.append(lambda _e: _call(action, args))


def _contact(model: CRMModel, c: Customer, reason: Reason, deposit: float) -> None:
    if c.alive:
        model.n_events += 1
        model.count("contacts")
        c.contact(reason, deposit)


def epochs(model: CRMModel) -> Proc:
    """One policy epoch at the start of every period."""
    sc = model.scenario
    for k in range(sc.n_periods):
        start = k * sc.period
        yield model.env.timeout(start - model.env.now)
        epoch(model, start, min(start + sc.period, sc.horizon))


def epoch(model: CRMModel, t0: float, t1: float) -> None:
    """Decide this period's firm actions from a snapshot at ``t0``."""
    sc = model.scenario
    st = sc.strategy
    frac = (t1 - t0) / sc.period  # the last period may be shorter: fixed costs pro rata
    svc = st.service
    if svc.staff is not None:
        model.book("service_staff", svc.staff * svc.salary_per_period * frac, None)
    am = st.account_managers
    model.book("am_staff", am.count * am.salary_per_period * frac, None)
    model.book("fixed", sc.economics.fixed_cost_per_period * frac, None)
    if st.loyalty.enabled:
        model.book("loyalty", st.loyalty.fixed_cost_per_period * frac, None)
    active = model.active_list()
    values = np.array([c.value_score(t0) for c in active], dtype=float)
    if st.selection.policy != "none" and active:
        active, values = _select(model, active, values, t0)
    am_hours = am.hours_per_period(t1 - t0)
    used = _care_tiers(model, active, values, t0, t1, am_hours)
    _key_accounts(model, active, values, t0, t1, am_hours - used)
    if st.early_warning.enabled and active:
        _early_warning(model, active, values, t0)
    _referrals(model, active, t0, t1)
    _paid_acquisition(model, t0, t1)


def _select(
    model: CRMModel, active: list[Customer], values: np.ndarray, t0: float
) -> tuple[list[Customer], np.ndarray]:
    sel = model.scenario.strategy.selection
    margin = np.array([c.recent_margin(t0) for c in active])
    cost = np.array([c.recent_cost(t0) for c in active])
    tenure = np.array([t0 - c.acquired for c in active])
    bad = unprofitable(margin, cost, tenure, sel)
    keep = np.ones(len(active), dtype=bool)
    for i in np.flatnonzero(bad):
        c = active[i]
        if sel.policy == "fire":
            c.churn(ChurnReason.fired)
            keep[i] = False
        elif not c.low_cost:
            c.low_cost = True
            model.count("migrated")
    return [c for c, k in zip(active, keep, strict=True) if k], values[keep]


def _care_tiers(
    model: CRMModel,
    active: list[Customer],
    values: np.ndarray,
    t0: float,
    t1: float,
    am_hours: float,
) -> float:
    """Schedule this period's care contacts; returns AM hours they use."""
    ct = model.scenario.strategy.care_tiers
    if not ct.enabled or not active:
        return 0.0
    am = model.scenario.strategy.account_managers
    d = model.contact_draws
    tiers = assign_tiers(values, ct)
    last = len(ct.tiers) - 1
    plans: list[tuple[float, Customer, int]] = []
    for c, ti in zip(active, tiers.tolist(), strict=True):
        ti = last if c.low_cost else ti
        c.tier = ti
        every = ct.tiers[ti].every
        if every is None:
            c.care_every = None
            continue
        if c.care_every != every:
            # New cadence: next contact one interval after the last, or at a random phase.
            base = c.last_care if c.last_care > -np.inf else t0 - d.random() * every
            c.care_due = max(base + every, t0)
            c.care_every = every
        elif c.care_due < t0:
            # Contacts that fell due while the customer was away (churned, then won back)
            # are not made up in a burst: the cadence resumes at the period start.
            c.care_due = max(c.care_due + math.ceil((t0 - c.care_due) / every) * every, t0)
        while c.care_due < t1:
            plans.append((c.care_due, c, ti))
            c.care_due += every
    owned = [i for i, (_, _, ti) in enumerate(plans) if ct.tiers[ti].owner == "account_manager"]
    fits = int(am_hours / am.hours_per_visit + 1e-9)
    missed: set[int] = set()
    if len(owned) > fits:
        # Capacity runs out: a random subset of the promised visits cannot be made.
        keys = [d.random() for _ in owned]
        order = sorted(range(len(owned)), key=keys.__getitem__)
        missed = {owned[k] for k in order[fits:]}
    used = 0.0
    acct = model.scenario.behaviour.account
    for i, (t, c, ti) in enumerate(plans):
        tier = ct.tiers[ti]
        if tier.owner == "account_manager":
            if i in missed:
                # Capacity ran out: the promised visit does not happen.
                at(model, t, _missed, c)
                continue
            used += am.hours_per_visit
            model.am_hours_used += am.hours_per_visit
            model.book("am_visits", am.cost_per_visit, c)
            model.count("am_visits")
        model.book("contacts", tier.cost, c)
        deposit = getattr(acct, tier.value) * tier.strength
        at(model, t, _care, model, c, Reason[tier.value], deposit)
    return used


def _call(action: Callable[..., object], args: tuple[Any, ...]) -> None:
    action(*args)


def _missed(c: Customer) -> None:
    if c.alive:
        c.broken_promise()


def _care(model: CRMModel, c: Customer, reason: Reason, deposit: float) -> None:
    c.last_care = model.env.now
    _contact(model, c, reason, deposit)


def _key_accounts(
    model: CRMModel,
    active: list[Customer],
    values: np.ndarray,
    t0: float,
    t1: float,
    hours: float,
) -> None:
    """Spread the remaining account-manager hours as visits by the allocation policy."""
    am = model.scenario.strategy.account_managers
    available = am.hours_per_period(t1 - t0)
    if am.allocation == "none" or not active or hours <= 0.0:
        model.am_hours_available += available
        return
    model.am_hours_available += available
    d = model.contact_draws
    eligible = np.array([not c.low_cost for c in active])
    h = allocate_hours(np.where(eligible, values, -np.inf), hours, am) * eligible
    # Whole visits that fit in the hours left (the last fractional visit is not made).
    expected = h / am.hours_per_visit
    budget = np.floor(hours / am.hours_per_visit + 1e-9)
    if expected.sum() > budget > 0:
        expected *= budget / expected.sum()
    visits = apportion(expected, d.random())
    acct = model.scenario.behaviour.account
    length = t1 - t0
    for c, n in zip(active, visits.tolist(), strict=True):
        if n == 0:
            continue
        if c.visit_phase < 0.0:
            # A customer's visits keep one phase across periods, so a steady allocation
            # gives a steady cadence instead of two visits days apart at a period boundary.
            c.visit_phase = d.random()
        for j in range(n):
            t = t0 + (j + c.visit_phase) * length / n
            model.book("am_visits", am.cost_per_visit, c)
            model.am_hours_used += am.hours_per_visit
            at(model, t, _visit, model, c, acct.help_in_difficulty)


def _visit(model: CRMModel, c: Customer, deposit: float) -> None:
    if c.alive:
        model.count("am_visits")
        model.n_events += 1
        c.contact(Reason.help_in_difficulty, deposit)


def _early_warning(model: CRMModel, active: list[Customer], values: np.ndarray, t0: float) -> None:
    ew = model.scenario.strategy.early_warning
    ratio = recency_ratio(
        t0,
        np.array([c.acquired for c in active]),
        np.array([c.last_repeat for c in active]),
        np.array([c.purchases for c in active], dtype=float),
    )
    fails = np.array([c.recent_signal(t0)[0] for c in active])
    unres = np.array([c.recent_signal(t0)[1] for c in active])
    balance = np.array([c.balance_at(t0) for c in active])
    score = warning_score(ratio, fails, unres, balance, ew.weights)
    # A flag opens a case for one window: the customers flagged within it are not flagged again.
    cases = {cid for t, cid, _ in model.warnings if t0 - t < ew.window}
    open_case = np.array([c.unique_id in cases for c in active], dtype=bool)
    flagged = np.flatnonzero(at_risk(score, values, open_case, ew))
    for i in flagged.tolist():
        c = active[i]
        model.warnings.append((t0, c.unique_id, float(score[i])))
        model.count("warnings")
        if ew.intervene:
            model.count("interventions")
            model.book("contacts", ew.cost_per_intervention, c)
            c.intervene(ew.offer, t0 + ew.offer_duration, ew.deposit)


def _referrals(model: CRMModel, active: list[Customer], t0: float, t1: float) -> None:
    """Referrals from advocates: a Poisson process at the advocates' total rate this period."""
    acq = model.scenario.strategy.acquisition
    if acq.referral_conversion <= 0.0 or not active or not model.ctx.behaviour:
        # Advocacy is behaviour: the pure modes have no referrals (Bass has its own process).
        return
    ref = model.ctx.referral
    rates = np.array(
        [
            c.referral_rate * ref[c.level] if c.satisfaction >= acq.advocate_satisfaction else 0.0
            for c in active
        ]
    )
    total = float(rates.sum())
    if total <= 0.0:
        return
    rng = model.referral_rng
    n = int(rng.poisson(total * (t1 - t0)))
    if n == 0:
        return
    times = np.sort(t0 + rng.random(n) * (t1 - t0))
    who = rng.choice(len(active), size=n, p=rates / total)
    converts = rng.random(n) < acq.referral_conversion
    for t, i, ok in zip(times.tolist(), who.tolist(), converts.tolist(), strict=True):
        if ok:
            referrer = active[i]
            at(model, t, _referred, model, referrer)


def _referred(model: CRMModel, referrer: Customer) -> None:
    acq = model.scenario.strategy.acquisition
    model.book("referral_rewards", acq.referral_reward, referrer)
    model.count("referrals")
    model.acquire("referral", referrer=referrer.unique_id)


def _paid_acquisition(model: CRMModel, t0: float, t1: float) -> None:
    """Paid leads arrive as a Poisson process and pass the funnel stage by stage."""
    acq = model.scenario.strategy.acquisition
    if acq.budget_per_period <= 0.0 or acq.bass is not None:
        return
    frac = (t1 - t0) / model.scenario.period
    model.book("acquisition", acq.budget_per_period * frac, None)
    rng = model.acquisition_rng
    leads = int(rng.poisson(acq.budget_per_period / acq.cost_per_lead * frac))
    model.count("leads", leads)
    # One draw through the whole funnel: stage-by-stage thinning gives the same law but
    # would make the draws depend on the order the stages are listed in.
    n = int(rng.binomial(leads, acq.conversion()))
    for t in np.sort(t0 + rng.random(n) * (t1 - t0)).tolist():
        at(model, t, model.acquire, "paid")


def bass_diffusion(model: CRMModel) -> Proc:
    """Pure Bass diffusion: adoption hazard (M − N)(p + q·N/M), exact event by event."""
    bass = model.scenario.strategy.acquisition.bass
    assert bass is not None  # started only when configured
    m = bass.market_potential
    p = bass.p / 365.25
    q = bass.q / 365.25
    d = model.acquisition_draws
    n = model.acquired_total
    while n < m:
        rate = (m - n) * (p + q * n / m)
        yield model.env.timeout(d.exponential() / rate)
        model.acquire("bass")
        n += 1


def follow_up(model: CRMModel, c: Customer, first: bool) -> None:
    """Schedule the post-sale follow-up steps after a purchase."""
    fu = model.scenario.strategy.follow_up
    if not fu.enabled or (fu.trigger == "first_purchase" and not first):
        return
    t = model.env.now
    acct = model.scenario.behaviour.account
    for step in fu.steps:
        at(model, t + step.after, _step, model, c, step.value, getattr(acct, step.value), step.cost)
    if first and fu.recurring is not None:
        at(model, t + fu.recurring, _recurring, model, c, c.won_back)


def _step(model: CRMModel, c: Customer, value: str, deposit: float, cost: float) -> None:
    if not c.alive:
        return
    model.book("follow_up", cost, c)
    if model.contact_draws.random() < model.scenario.strategy.follow_up.on_time:
        model.count("contacts")
        model.n_events += 1
        c.promised_step(Reason[value], deposit, model.scenario.behaviour.account.kept_promise)
    else:
        c.broken_promise()


def _recurring(model: CRMModel, c: Customer, gen: int) -> None:
    fu = model.scenario.strategy.follow_up
    if not c.alive or c.won_back != gen or fu.recurring is None:
        return
    model.book("follow_up", fu.recurring_cost, c)
    _contact(
        model, c, Reason.personalised_contact, model.scenario.behaviour.account.personalised_contact
    )
    at(model, model.env.now + fu.recurring, _recurring, model, c, gen)


def win_back(model: CRMModel, c: Customer, reason: int) -> None:
    """Schedule a win-back attempt after the delay, if the customer qualifies."""
    wb = model.scenario.strategy.win_back
    if not wb.enabled or c.revenue < wb.min_revenue or reason == ChurnReason.fired:
        return
    gen = c.won_back

    def attempt() -> None:
        if c.alive or c.won_back != gen:
            return
        model.count("winback_attempts")
        model.book("win_back", wb.cost_per_attempt, c)
        p = float(winback_probability(reason, wb.offer, model.winback_base, wb.offer_elasticity))
        if model.winback_draws.random() < p:
            c.offer = wb.offer
            c.offer_until = model.env.now + wb.offer_duration
            model.reactivate(c)

    at(model, model.env.now + wb.delay, attempt)


def price_moves(model: CRMModel) -> Proc:
    """Scheduled list-price changes: every active customer feels a rise."""
    changes = sorted(model.scenario.strategy.pricing.changes, key=lambda ch: ch.at)
    for ch in changes:
        yield model.env.timeout(max(ch.at - model.env.now, 0.0))
        old = model.list_price
        model.list_price = ch.to
        rise = ch.to / old - 1.0
        for c in model.active_list():
            c.price_change(rise)
