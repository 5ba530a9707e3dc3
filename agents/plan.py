"""The firm's period plan: every decision taken at a period start, written once, on arrays.

At the start of each reporting period (a declared synchronisation epoch) the firm looks at
a snapshot of its active customers (a :class:`agents.roster.Roster`) and at its own record
of each (:class:`agents.roster.Records`), and decides with the array policies of
:mod:`agents.care`, :mod:`agents.staff`, :mod:`agents.retention` and :mod:`agents.portfolio`:
the period's cost lines; who is fired or migrated; care tiers, care contacts and the
account-manager visits capacity cannot cover; key-account visits; who is flagged at risk
and called; when referred and paid customers arrive.

:func:`plan_period` returns all of it as a :class:`PeriodPlan` and touches no engine. Each
engine only *executes* the plan — the agent engine as SimPy callbacks, the vector engine as
pool events — so the firm's rules exist once and the engines cannot disagree about them.
Positions in a plan (``who``) index the roster; the engine maps them back to its customers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from agents.care import assign_tiers
from agents.emotional_account import Reason
from agents.portfolio import unprofitable
from agents.retention import at_risk, recency_ratio, warning_score
from agents.roster import RECORD_FIELDS, Records, Roster, value_score
from agents.rules import decay_balance
from agents.staff import allocate_hours, apportion

if TYPE_CHECKING:
    from agents.context import Context
    from agents.firm import StrategyParams

__all__ = ["PLAN_STREAMS", "Arrivals", "Charge", "Contacts", "PeriodPlan", "plan_period"]

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741 - the index-array alias reads as in numpy's docs

#: A plan's random streams: care phases, missed and key-account visits; referrals; paid leads.
PLAN_STREAMS = ("plan", "referrals", "acquisition")


@dataclass(frozen=True, slots=True)
class Charge:
    """A cost booked at the period start on customers ``who`` (one entry per charge)."""

    line: str
    who: I
    amount: F


@dataclass(frozen=True, slots=True)
class Contacts:
    """Contacts to make during the period: who, when, and the deposit they book."""

    who: I
    at: F
    reason: I
    deposit: F


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Customers who arrive during the period: when, and who referred them (-1: nobody)."""

    at: F
    referrer: I


@dataclass(frozen=True, slots=True)
class PeriodPlan:
    """Everything the firm decided for the period [``t0``, ``t1``).

    Engines execute it in this order at ``t0``: book :attr:`overheads` and :attr:`charges`,
    churn :attr:`fired`, write :attr:`records` back, add :attr:`counts`, apply the
    :attr:`interventions`; then schedule :attr:`care`, :attr:`missed` (a broken promise),
    :attr:`visits`, :attr:`referrals` (the referral reward is booked on arrival) and
    :attr:`paid`. A scheduled contact reaches only a customer still active when it falls
    due; a care contact records ``last_care`` either way.
    """

    t0: float
    t1: float
    overheads: tuple[tuple[str, float], ...]
    fired: I
    records: Records
    charges: tuple[Charge, ...]
    counts: dict[str, I]
    leads: int
    care: Contacts
    missed: Contacts
    visits: Contacts
    warnings: I
    scores: F
    interventions: I
    referrals: Arrivals
    paid: Arrivals
    am_hours_available: float
    am_hours_used: float
    intervention: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    """Offer, offer end and deposit of an intervention (the same for everyone flagged)."""


def _ordinals(k: I) -> I:
    """0, 1, …, k[i] − 1 for each i in turn: each event's place among its customer's."""
    return np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)


_I0, _F0 = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
_NO_CONTACTS = Contacts(_I0, _F0, _I0, _F0)
_NO_ARRIVALS = Arrivals(_F0, _I0)


def plan_period(
    roster: Roster,
    records: Records,
    strategy: StrategyParams,
    ctx: Context,
    t0: float,
    t1: float,
    rng: Mapping[str, np.random.Generator],
) -> PeriodPlan:
    """Decide the period [``t0``, ``t1``) from a snapshot of the active customers.

    Args:
        roster: the active customers at ``t0``, in id order.
        records: the firm's record of each of them (same order; not modified).
        strategy: the firm's levers.
        ctx: the run's constants.
        t0: the period's start.
        t1: the period's end (the last period of a run may be short).
        rng: the streams of :data:`PLAN_STREAMS`.
    """
    st = strategy
    n = len(roster)
    frac = (t1 - t0) / ctx.period  # a short last period pays its fixed costs pro rata
    am = st.account_managers
    overheads = []
    if st.service.staff is not None:
        overheads.append(("service_staff", st.service.staff * st.service.salary_per_period * frac))
    overheads.append(("am_staff", am.count * am.salary_per_period * frac))
    overheads.append(("fixed", ctx.fixed_cost_per_period * frac))
    if st.loyalty.enabled:
        overheads.append(("loyalty", st.loyalty.fixed_cost_per_period * frac))
    rec = replace(records, **{k: getattr(records, k).copy() for k in RECORD_FIELDS})
    values = value_score(
        roster.value, roster.value_t, roster.prior_value, roster.acquired, t0, ctx.value_memory
    )
    charges: list[Charge] = []
    counts: dict[str, I] = {}
    # Selection: who is let go or moved to the low-cost channel.
    active = np.arange(n)
    fired = _I0
    if st.selection.policy != "none" and n:
        f = np.exp((roster.money_t - t0) / ctx.lookback)
        bad = unprofitable(
            roster.recent_margin * f, roster.recent_cost * f, t0 - roster.acquired, st.selection
        )
        if st.selection.policy == "fire":
            fired = active[bad]
            active = active[~bad]
        else:
            new = np.flatnonzero(bad & ~rec.low_cost)
            rec.low_cost[new] = True
            counts["migrated"] = new
    am_hours = am.hours_per_period(t1 - t0)
    care, missed, care_charges, am_care, used = _care(
        rec, active, values[active], st, ctx, t0, t1, am_hours, rng["plan"]
    )
    charges += care_charges
    counts["am_visits"] = am_care
    visits, visit_charges, visit_hours = _key_accounts(
        rec, active, values[active], st, ctx, t0, t1, am_hours - used, rng["plan"]
    )
    charges += visit_charges
    warnings, scores, interventions = _I0, _F0, _I0
    ew = st.early_warning
    if ew.enabled and active.size:
        warnings, scores = _early_warning(roster, rec, active, values[active], st, ctx, t0)
        counts["warnings"] = warnings
        if ew.intervene and warnings.size:
            interventions = warnings
            counts["interventions"] = warnings
            charges.append(
                Charge("contacts", warnings, np.full(warnings.size, ew.cost_per_intervention))
            )
    referrals = _referrals(roster, active, st, ctx, t0, t1, rng["referrals"])
    paid, leads, paid_cost = _paid(st, ctx, t0, t1, rng["acquisition"])
    if paid_cost:
        overheads.append(("acquisition", paid_cost))
    return PeriodPlan(
        t0=t0,
        t1=t1,
        overheads=tuple(overheads),
        fired=fired,
        records=rec,
        charges=tuple(c for c in charges if c.who.size),
        counts={k: v for k, v in counts.items() if v.size},
        leads=leads,
        care=care,
        missed=missed,
        visits=visits,
        warnings=warnings,
        scores=scores,
        interventions=interventions,
        referrals=referrals,
        paid=paid,
        am_hours_available=am_hours,
        am_hours_used=used + visit_hours,
        intervention=(ew.offer, t0 + ew.offer_duration, ew.deposit),
    )


def _care(
    rec: Records,
    active: I,
    values: F,
    st: StrategyParams,
    ctx: Context,
    t0: float,
    t1: float,
    am_hours: float,
    g: np.random.Generator,
) -> tuple[Contacts, Contacts, list[Charge], I, float]:
    """Care tiers: the period's care contacts and the AM visits capacity cannot cover.

    Returns the contacts made, the missed visits, their charges, who got an account-manager
    visit, and the AM hours those visits use.
    """
    ct = st.care_tiers
    if not ct.enabled or not active.size:
        return _NO_CONTACTS, _NO_CONTACTS, [], _I0, 0.0
    am = st.account_managers
    last = len(ct.tiers) - 1
    # Migrated customers get the last (cheapest) tier's care whatever their value.
    tiers = np.where(rec.low_cost[active], last, assign_tiers(values, ct))
    rec.tier[active] = tiers
    every = np.array([np.nan if t.every is None else t.every for t in ct.tiers])[tiers]
    cared = ~np.isnan(every)
    rec.care_every[active[~cared]] = np.nan
    ix, ti, ev = active[cared], tiers[cared], every[cared]
    changed = rec.care_every[ix] != ev
    if changed.any():
        # A new cadence: the next contact is one interval after the last, or at a random phase.
        w, e = ix[changed], ev[changed]
        base = np.where(np.isfinite(rec.last_care[w]), rec.last_care[w], t0 - g.random(w.size) * e)
        rec.care_due[w] = np.maximum(base + e, t0)
        rec.care_every[w] = e
    due = rec.care_due[ix]
    # Contacts that fell due while a customer was away (churned, then won back) are not made
    # up in a burst: the cadence resumes at the period start.
    due = np.where(due < t0, np.maximum(due + np.ceil((t0 - due) / ev) * ev, t0), due)
    k = np.where(due < t1, np.ceil((t1 - due) / ev), 0).astype(np.int64)
    rec.care_due[ix] = due + k * ev
    who = np.repeat(ix, k)
    tier = np.repeat(ti, k)
    times = np.repeat(due, k) + _ordinals(k) * np.repeat(ev, k)
    # Contacts in time order (ties by customer): the engines make them in this order.
    order = np.lexsort((who, times))
    who, tier, times = who[order], tier[order], times[order]
    owner_am = np.array([t.owner == "account_manager" for t in ct.tiers])[tier]
    fits = int(am_hours / am.hours_per_visit + 1e-9)
    missed = np.zeros(who.size, dtype=bool)
    owned = np.flatnonzero(owner_am)
    if owned.size > fits:
        # Capacity runs out: a random subset of the promised visits cannot be made.
        keys = g.random(owned.size)
        missed[owned[np.argsort(keys, kind="stable")[fits:]]] = True
    made = ~missed
    visits = made & owner_am
    acct = ctx.acct
    cost = np.array([t.cost for t in ct.tiers])[tier]
    deposit = np.array([getattr(acct, t.value) * t.strength for t in ct.tiers])[tier]
    reason = np.array([int(Reason[t.value]) for t in ct.tiers], dtype=np.int64)[tier]
    charges = [
        Charge("am_visits", who[visits], np.full(int(visits.sum()), am.cost_per_visit)),
        Charge("contacts", who[made], cost[made]),
    ]
    care = Contacts(who[made], times[made], reason[made], deposit[made])
    gone = Contacts(who[missed], times[missed], reason[missed], np.zeros(int(missed.sum())))
    return care, gone, charges, who[visits], am.hours_per_visit * float(visits.sum())


def _key_accounts(
    rec: Records,
    active: I,
    values: F,
    st: StrategyParams,
    ctx: Context,
    t0: float,
    t1: float,
    hours: float,
    g: np.random.Generator,
) -> tuple[Contacts, list[Charge], float]:
    """Spread the remaining account-manager hours as visits by the allocation policy."""
    am = st.account_managers
    if am.allocation == "none" or not active.size or hours <= 0.0:
        return _NO_CONTACTS, [], 0.0
    eligible = ~rec.low_cost[active]
    h = allocate_hours(np.where(eligible, values, -np.inf), hours, am) * eligible
    # Whole visits that fit in the hours left (the last fractional visit is not made).
    expected = h / am.hours_per_visit
    budget = math.floor(hours / am.hours_per_visit + 1e-9)
    if expected.sum() > budget > 0:
        expected *= budget / expected.sum()
    visits = apportion(expected, float(g.random()))
    has = visits > 0
    ix, k = active[has], visits[has]
    # A customer's visits keep one phase across periods, so a steady allocation gives a
    # steady cadence instead of two visits days apart at a period boundary.
    fresh = rec.visit_phase[ix] < 0.0
    rec.visit_phase[ix[fresh]] = g.random(int(fresh.sum()))
    who = np.repeat(ix, k)
    times = t0 + (_ordinals(k) + rec.visit_phase[who]) * (t1 - t0) / np.repeat(k, k)
    order = np.lexsort((who, times))
    who, times = who[order], times[order]
    deposit = np.full(who.size, ctx.acct.help_in_difficulty)
    reason = np.full(who.size, int(Reason.help_in_difficulty), dtype=np.int64)
    charges = [Charge("am_visits", who, np.full(who.size, am.cost_per_visit))]
    return Contacts(who, times, reason, deposit), charges, am.hours_per_visit * float(who.size)


def _early_warning(
    roster: Roster, rec: Records, active: I, values: F, st: StrategyParams, ctx: Context, t0: float
) -> tuple[I, F]:
    """Flag customers at risk; returns their roster positions and risk scores."""
    ew = st.early_warning
    ratio = recency_ratio(
        t0, roster.acquired[active], roster.last_repeat[active], roster.purchases[active]
    )
    f = np.exp((roster.recent_t[active] - t0) / ctx.signal_memory)
    balance = decay_balance(roster.balance[active], t0 - roster.balance_t[active], ctx.half_life)
    score = warning_score(
        ratio, roster.recent_failures[active] * f, roster.recent_unresolved[active] * f,
        balance, ew.weights,
    )  # fmt: skip
    # A flag opens a case for one window: the customers flagged within it are not flagged again.
    open_case = rec.case_until[active] > t0
    flagged = np.flatnonzero(at_risk(score, values, open_case, ew))
    who = active[flagged]
    rec.case_until[who] = t0 + ew.window
    return who, score[flagged].astype(np.float64)


def _referrals(
    roster: Roster,
    active: I,
    st: StrategyParams,
    ctx: Context,
    t0: float,
    t1: float,
    g: np.random.Generator,
) -> Arrivals:
    """Referrals from advocates: a Poisson process at the advocates' total rate this period."""
    acq = st.acquisition
    # Advocacy is behaviour: the pure modes have no referrals (Bass has its own process).
    if acq.referral_conversion <= 0.0 or not active.size or not ctx.behaviour:
        return _NO_ARRIVALS
    level = roster.level[active]
    rates = np.where(
        roster.satisfaction[active] >= acq.advocate_satisfaction,
        roster.referral_rate[active] * np.asarray(ctx.referral)[level],
        0.0,
    )
    total = float(rates.sum())
    if total <= 0.0:
        return _NO_ARRIVALS
    k = int(g.poisson(total * (t1 - t0)))
    if k == 0:
        return _NO_ARRIVALS
    times = np.sort(t0 + g.random(k) * (t1 - t0))
    who = g.choice(active.size, size=k, p=rates / total)
    ok = g.random(k) < acq.referral_conversion
    return Arrivals(times[ok], active[who[ok]])


def _paid(
    st: StrategyParams, ctx: Context, t0: float, t1: float, g: np.random.Generator
) -> tuple[Arrivals, int, float]:
    """Paid leads arrive as a Poisson process and pass the funnel in one draw."""
    acq = st.acquisition
    if acq.budget_per_period <= 0.0 or acq.bass is not None:
        return _NO_ARRIVALS, 0, 0.0
    frac = (t1 - t0) / ctx.period
    leads = int(g.poisson(acq.budget_per_period / acq.cost_per_lead * frac))
    # One draw through the whole funnel: stage-by-stage thinning gives the same law but
    # would make the draws depend on the order the stages are listed in.
    k = int(g.binomial(leads, acq.conversion()))
    times = np.sort(t0 + g.random(k) * (t1 - t0))
    return Arrivals(times, np.full(k, -1, dtype=np.int64)), leads, acq.budget_per_period * frac
