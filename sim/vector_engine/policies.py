"""The firm's period epoch on columns: the vector engine executes :func:`agents.plan.plan_period`.

The plan is decided from a snapshot of one lane's active customers at the period start;
what the agent engine schedules as SimPy callbacks becomes events in each customer's row of
the :class:`sim.vector_engine.columns.Pool`. Nothing here decides anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.plan import plan_period
from agents.roster import Records, Roster
from agents.rules import ChurnReason
from sim.vector_engine import reactions as r
from sim.vector_engine.columns import Kind

if TYPE_CHECKING:
    from sim.vector_engine.lanes import Lane
    from sim.vector_engine.model import VectorModel

__all__ = ["bass_times", "epoch"]


def epoch(m: VectorModel, lane: Lane, active: np.ndarray, t0: float, t1: float) -> None:
    """Plan and schedule this period's firm actions for one lane (replication).

    ``active`` are the lane's active customers, in id order.
    """
    c = m.cols
    plan = plan_period(
        Roster.of(c, active), Records.of(c, active), m.sc.strategy, m.ctx, t0, t1, lane.rng
    )
    for line, amount in plan.overheads:
        lane.book(line, amount)
    for charge in plan.charges:
        r.book(m, charge.line, charge.amount, active[charge.who], t0)
    if plan.fired.size:
        r.churn(m, active[plan.fired], t0, ChurnReason.fired)
    plan.records.write(c, active)
    for name, who in plan.counts.items():
        m.count(name, active[who])
    lane.count("leads", plan.leads)
    lane.am_hours_available += plan.am_hours_available
    lane.am_hours_used += plan.am_hours_used
    if plan.warnings.size:
        flagged = active[plan.warnings]
        lane.warn_chunks.append((np.full(flagged.size, t0), flagged, plan.scores))
    if plan.interventions.size:
        offer, until, deposit = plan.intervention
        r.intervene(m, active[plan.interventions], t0, offer, until, deposit)
    care, missed, visits = plan.care, plan.missed, plan.visits
    m.pool.schedule(active[care.who], care.at, Kind.care, deposit=care.deposit, reason=care.reason)
    m.pool.schedule(active[missed.who], missed.at, Kind.missed)
    m.pool.schedule(active[visits.who], visits.at, Kind.visit, deposit=visits.deposit)
    ref = plan.referrals
    m.schedule_arrivals(lane, ref.at, "referral", active[ref.referrer])
    m.schedule_arrivals(lane, plan.paid.at, "paid")


def bass_times(m: VectorModel, lane: Lane, horizon: float) -> np.ndarray:
    """The lane's Bass adoption times (none without Bass diffusion), from its ``bass`` stream."""
    bass = m.sc.strategy.acquisition.bass
    if bass is None:
        return np.empty(0)
    return bass.adoption_times(m.sc.population.initial, horizon, lane.rng["bass"])
