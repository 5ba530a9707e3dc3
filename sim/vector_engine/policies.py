"""The firm's period epoch on columns: :mod:`sim.agent_engine.operations` for the vector engine.

The same array policies (:func:`agents.care.assign_tiers`, :func:`agents.staff.allocate_hours`,
:func:`agents.retention.warning_score`, :func:`agents.portfolio.unprofitable`) decide from a
snapshot at the period's start; what the agent engine schedules as SimPy callbacks becomes
events in each customer's row of the :class:`sim.vector_engine.columns.Pool`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.care import assign_tiers
from agents.emotional_account import Reason
from agents.portfolio import unprofitable
from agents.retention import at_risk, recency_ratio, warning_score
from agents.rules import ChurnReason
from agents.staff import allocate_hours, apportion
from sim.vector_engine import reactions as r
from sim.vector_engine.columns import Kind

if TYPE_CHECKING:
    from sim.vector_engine.lanes import Lane
    from sim.vector_engine.model import VectorModel

__all__ = ["CHANNELS", "bass_times", "epoch"]

#: Acquisition channels by code (the ``channel`` column).
CHANNELS = ("initial", "paid", "referral", "bass")


def epoch(m: VectorModel, lane: Lane, active: np.ndarray, t0: float, t1: float) -> None:
    """Decide this period's firm actions for one lane (replication) from a snapshot at ``t0``.

    ``active`` are the lane's active customers, in id order.
    """
    sc = m.sc
    st = sc.strategy
    frac = (t1 - t0) / sc.period
    svc = st.service
    if svc.staff is not None:
        lane.book("service_staff", svc.staff * svc.salary_per_period * frac)
    am = st.account_managers
    lane.book("am_staff", am.count * am.salary_per_period * frac)
    lane.book("fixed", sc.economics.fixed_cost_per_period * frac)
    if st.loyalty.enabled:
        lane.book("loyalty", st.loyalty.fixed_cost_per_period * frac)
    values = value_score(m, active, t0)
    if st.selection.policy != "none" and active.size:
        active, values = _select(m, active, values, t0)
    am_hours = am.hours_per_period(t1 - t0)
    used = _care_tiers(m, lane, active, values, t0, t1, am_hours)
    _key_accounts(m, lane, active, values, t0, t1, am_hours - used)
    if st.early_warning.enabled and active.size:
        _early_warning(m, lane, active, values, t0)
    _referrals(m, lane, active, t0, t1)
    _paid_acquisition(m, lane, t0, t1)


def value_score(m: VectorModel, ix: np.ndarray, t: float) -> np.ndarray:
    """Ranking value: trailing revenue plus the acquisition-time potential, fading."""
    c = m.cols
    fade = np.exp((c.value_t[ix] - t) / 365.25)
    return c.value[ix] * fade + c.prior_value[ix] * np.exp((c.acquired[ix] - t) / 365.25)


def _select(
    m: VectorModel, active: np.ndarray, values: np.ndarray, t0: float
) -> tuple[np.ndarray, np.ndarray]:
    sel = m.sc.strategy.selection
    c = m.cols
    f = np.exp((c.money_t[active] - t0) / m.ctx.lookback)
    bad = unprofitable(
        c.recent_margin[active] * f, c.recent_cost[active] * f, t0 - c.acquired[active], sel
    )
    who = active[bad]
    if sel.policy == "fire":
        r.churn(m, who, t0, ChurnReason.fired)
        return active[~bad], values[~bad]
    new = who[~c.low_cost[who]]
    c.low_cost[new] = True
    m.count("migrated", new)
    return active, values


def _care_tiers(
    m: VectorModel,
    lane: Lane,
    active: np.ndarray,
    values: np.ndarray,
    t0: float,
    t1: float,
    am_hours: float,
) -> float:
    """Schedule this period's care contacts; returns the account-manager hours they use."""
    ct = m.sc.strategy.care_tiers
    if not ct.enabled or not active.size:
        return 0.0
    am = m.sc.strategy.account_managers
    c = m.cols
    g = lane.rng["contacts"]
    last = len(ct.tiers) - 1
    tiers = np.where(c.low_cost[active], last, assign_tiers(values, ct))
    c.tier[active] = tiers
    every_by_tier = np.array([np.nan if t.every is None else t.every for t in ct.tiers])
    every = every_by_tier[tiers]
    none = np.isnan(every)
    c.care_every[active[none]] = np.nan
    ix, ti, ev = active[~none], tiers[~none], every[~none]
    changed = c.care_every[ix] != ev
    if changed.any():
        w = ix[changed]
        e = ev[changed]
        base = np.where(np.isfinite(c.last_care[w]), c.last_care[w], t0 - g.random(w.size) * e)
        c.care_due[w] = np.maximum(base + e, t0)
        c.care_every[w] = e
    due = c.care_due[ix]
    # Contacts that fell due while a customer was away (churned, then won back) are not
    # made up in a burst: the cadence resumes at the period start (as sim.agent_engine.operations).
    due = np.where(due < t0, np.maximum(due + np.ceil((t0 - due) / ev) * ev, t0), due)
    n = np.where(due < t1, np.ceil((t1 - due) / ev), 0).astype(np.int64)
    c.care_due[ix] = due + n * ev
    who = np.repeat(ix, n)
    tier = np.repeat(ti, n)
    j = np.arange(who.size) - np.repeat(np.cumsum(n) - n, n)
    times = np.repeat(due, n) + j * np.repeat(ev, n)
    owner_am = np.array([t.owner == "account_manager" for t in ct.tiers])[tier]
    fits = int(am_hours / am.hours_per_visit + 1e-9)
    missed = np.zeros(who.size, dtype=bool)
    owned = np.flatnonzero(owner_am)
    if owned.size > fits:
        # Capacity runs out: a random subset of the promised visits cannot be made.
        keys = g.random(owned.size)
        missed[owned[np.argsort(keys, kind="stable")[fits:]]] = True
    m.pool.push(who[missed], times[missed], Kind.missed)
    made = ~missed
    visits = made & owner_am
    used = am.hours_per_visit * int(visits.sum())
    lane.am_hours_used += used
    r.book(m, "am_visits", am.cost_per_visit, who[visits], t0)
    m.count("am_visits", who[visits])
    cost = np.array([t.cost for t in ct.tiers])[tier]
    r.book(m, "contacts", cost[made], who[made], t0)
    acct = m.sc.behaviour.account
    deposit = np.array([getattr(acct, t.value) * t.strength for t in ct.tiers])[tier]
    reason = np.array([int(Reason[t.value]) for t in ct.tiers])[tier]
    m.pool.push(who[made], times[made], Kind.care, deposit[made], reason[made])
    return used


def _key_accounts(
    m: VectorModel,
    lane: Lane,
    active: np.ndarray,
    values: np.ndarray,
    t0: float,
    t1: float,
    hours: float,
) -> None:
    """Spread the remaining account-manager hours as visits by the allocation policy."""
    am = m.sc.strategy.account_managers
    lane.am_hours_available += am.hours_per_period(t1 - t0)
    if am.allocation == "none" or not active.size or hours <= 0.0:
        return
    c = m.cols
    g = lane.rng["contacts"]
    eligible = ~c.low_cost[active]
    h = allocate_hours(np.where(eligible, values, -np.inf), hours, am) * eligible
    expected = h / am.hours_per_visit
    budget = np.floor(hours / am.hours_per_visit + 1e-9)
    if expected.sum() > budget > 0:
        expected *= budget / expected.sum()
    visits = apportion(expected, float(g.random()))
    has = visits > 0
    ix, n = active[has], visits[has]
    fresh = c.visit_phase[ix] < 0.0
    c.visit_phase[ix[fresh]] = g.random(int(fresh.sum()))
    who = np.repeat(ix, n)
    j = np.arange(who.size) - np.repeat(np.cumsum(n) - n, n)
    times = t0 + (j + c.visit_phase[who]) * (t1 - t0) / np.repeat(n, n)
    r.book(m, "am_visits", am.cost_per_visit, who, t0)
    lane.am_hours_used += am.hours_per_visit * who.size
    m.pool.push(who, times, Kind.visit, m.sc.behaviour.account.help_in_difficulty)


def _early_warning(
    m: VectorModel, lane: Lane, active: np.ndarray, values: np.ndarray, t0: float
) -> None:
    ew = m.sc.strategy.early_warning
    c = m.cols
    ratio = recency_ratio(t0, c.acquired[active], c.last_repeat[active], c.purchases[active])
    f = np.exp((c.recent_t[active] - t0) / m.ctx.signal_memory)
    score = warning_score(
        ratio, c.recent_failures[active] * f, c.recent_unresolved[active] * f,
        r.balance_at(m, active, t0), ew.weights,
    )  # fmt: skip
    # A flag opens a case for one window: the customers flagged within it are not flagged again.
    open_case = c.case_until[active] > t0
    flagged = np.flatnonzero(at_risk(score, values, open_case, ew))
    who = active[flagged]
    c.case_until[who] = t0 + ew.window
    lane.warn_chunks.append((np.full(who.size, t0), who.copy(), score[flagged].astype(float)))
    m.count("warnings", who)
    if ew.intervene and who.size:
        m.count("interventions", who)
        r.book(m, "contacts", ew.cost_per_intervention, who, t0)
        r.intervene(m, who, t0, ew.offer, t0 + ew.offer_duration, ew.deposit)


def _referrals(m: VectorModel, lane: Lane, active: np.ndarray, t0: float, t1: float) -> None:
    """Referrals from advocates: a Poisson process at the advocates' total rate."""
    acq = m.sc.strategy.acquisition
    if acq.referral_conversion <= 0.0 or not active.size or not m.ctx.behaviour:
        return
    c = m.cols
    ref = np.asarray(m.ctx.referral)
    rates = np.where(
        c.satisfaction[active] >= acq.advocate_satisfaction,
        c.referral_rate[active] * ref[c.level[active]],
        0.0,
    )
    total = float(rates.sum())
    if total <= 0.0:
        return
    g = lane.rng["referrals"]
    n = int(g.poisson(total * (t1 - t0)))
    if n == 0:
        return
    times = np.sort(t0 + g.random(n) * (t1 - t0))
    who = g.choice(active.size, size=n, p=rates / total)
    ok = g.random(n) < acq.referral_conversion
    m.schedule_arrivals(lane, times[ok], CHANNELS.index("referral"), active[who[ok]])


def _paid_acquisition(m: VectorModel, lane: Lane, t0: float, t1: float) -> None:
    """Paid leads arrive as a Poisson process and pass the funnel in one draw."""
    acq = m.sc.strategy.acquisition
    if acq.budget_per_period <= 0.0 or acq.bass is not None:
        return
    frac = (t1 - t0) / m.sc.period
    lane.book("acquisition", acq.budget_per_period * frac)
    g = lane.rng["acquisition"]
    leads = int(g.poisson(acq.budget_per_period / acq.cost_per_lead * frac))
    lane.count("leads", leads)
    n = int(g.binomial(leads, acq.conversion()))
    m.schedule_arrivals(lane, np.sort(t0 + g.random(n) * (t1 - t0)), CHANNELS.index("paid"))


def bass_times(m: VectorModel, lane: Lane, horizon: float) -> np.ndarray:
    """Pure Bass diffusion adoption times, exact event by event (hazard (M − N)(p + qN/M))."""
    bass = m.sc.strategy.acquisition.bass
    if bass is None:
        return np.empty(0)
    mp = bass.market_potential
    p = bass.p / 365.25
    q = bass.q / 365.25
    n0 = m.sc.population.initial
    k = np.arange(n0, max(mp, n0), dtype=float)
    rate = (mp - k) * (p + q * k / mp)
    gaps = lane.rng["acquisition"].standard_exponential(k.size) / rate
    times = np.cumsum(gaps)
    return times[times < horizon]
