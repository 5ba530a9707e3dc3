"""The firm at work on the agent engine: period plans, follow-ups, win-back and price moves.

At the start of every reporting period (a declared *synchronisation epoch*) the firm's
:func:`agents.plan.plan_period` decides from a snapshot of the active customers; this module
only executes the plan: it books the period's charges, applies what happens at once, and
schedules each contact and arrival as a SimPy callback at its own moment in the period.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from agents.emotional_account import Reason
from agents.plan import plan_period
from agents.roster import ROSTER_FIELDS, Records, Roster
from agents.rules import ChurnReason, winback_probability

if TYPE_CHECKING:
    from agents.customer import Customer
    from sim.agent_engine.model import CRMModel

__all__ = ["at", "bass_times", "epoch", "follow_up", "move_price", "price_moves", "win_back"]

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


def epoch(model: CRMModel, t0: float, t1: float) -> None:
    """Plan the period [``t0``, ``t1``) from a snapshot at ``t0`` and schedule its actions.

    :meth:`CRMModel.step` calls it when the clock has stopped at ``t0`` and before any event
    due at ``t0`` has happened, so the snapshot is the state the previous period closed on.
    """
    active = model.active_list()
    rows = model.rows(active)
    roster = Roster.of({f: [getattr(c, f) for c in active] for f in ROSTER_FIELDS})
    records = Records.of(model.records, rows)
    plan = plan_period(
        roster, records, model.scenario.strategy, model.ctx, t0, t1, model.plan_streams
    )
    for line, amount in plan.overheads:
        model.book(line, amount, None)
    for charge in plan.charges:
        for i, amount in zip(charge.who.tolist(), charge.amount.tolist(), strict=True):
            model.book(charge.line, amount, active[i])
    for i in plan.fired.tolist():
        active[i].churn(ChurnReason.fired)
    plan.records.write(model.records, rows)
    for name, who in plan.counts.items():
        model.count(name, who.size)
    model.count("leads", plan.leads)
    model.am_hours_available += plan.am_hours_available
    model.am_hours_used += plan.am_hours_used
    for i, score in zip(plan.warnings.tolist(), plan.scores.tolist(), strict=True):
        model.warnings.append((t0, active[i].unique_id, score))
    offer, until, deposit = plan.intervention
    for i in plan.interventions.tolist():
        active[i].intervene(offer, until, deposit)
    care = plan.care
    for i, t, reason, amount in zip(
        care.who.tolist(), care.at.tolist(), care.reason.tolist(), care.deposit.tolist(),
        strict=True,
    ):  # fmt: skip
        at(model, t, _care, model, active[i], Reason(reason), amount)
    for i, t in zip(plan.missed.who.tolist(), plan.missed.at.tolist(), strict=True):
        at(model, t, _missed, active[i])
    visits = plan.visits
    for i, t, amount in zip(
        visits.who.tolist(), visits.at.tolist(), visits.deposit.tolist(), strict=True
    ):
        at(model, t, _visit, model, active[i], amount)
    # Arrivals are named (and their traits drawn) as they are scheduled, in time order in
    # each channel: the j-th paid arrival is the same person in every arm.
    ref = plan.referrals
    traits, keys = model.arrivals("referral", ref.at.size)
    for j, (t, i) in enumerate(zip(ref.at.tolist(), ref.referrer.tolist(), strict=True)):
        at(model, t, _referred, model, active[i], traits, j, keys[j])
    _arrive(model, "paid", plan.paid.at)
    _arrive(model, "bass", model.bass[(model.bass >= t0) & (model.bass < t1)])


def _arrive(model: CRMModel, channel: str, times: np.ndarray) -> None:
    traits, keys = model.arrivals(channel, times.size)
    for j, t in enumerate(times.tolist()):
        at(model, t, model.acquire, channel, traits, j, keys[j])


def _call(action: Callable[..., object], args: tuple[Any, ...]) -> None:
    action(*args)


def _missed(c: Customer) -> None:
    if c.alive:
        c.broken_promise()


def _care(model: CRMModel, c: Customer, reason: Reason, deposit: float) -> None:
    model.records["last_care"][c.unique_id - 1] = model.env.now
    _contact(model, c, reason, deposit)


def _visit(model: CRMModel, c: Customer, deposit: float) -> None:
    if c.alive:
        model.count("am_visits")
        model.n_events += 1
        c.contact(Reason.help_in_difficulty, deposit)


def _referred(model: CRMModel, referrer: Customer, traits: Any, j: int, key: int) -> None:
    acq = model.scenario.strategy.acquisition
    model.book("referral_rewards", acq.referral_reward, referrer)
    model.count("referrals")
    model.acquire("referral", traits, j, key, referrer=referrer.unique_id)


def bass_times(model: CRMModel) -> np.ndarray:
    """The run's Bass adoption times (none without Bass diffusion), from its ``bass`` stream."""
    bass = model.scenario.strategy.acquisition.bass
    if bass is None:
        return np.empty(0)
    sc = model.scenario
    return bass.adoption_times(sc.population.initial, sc.horizon, model.streams.generator("bass"))


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
    if model.contact_draws.random(c) < model.scenario.strategy.follow_up.on_time:
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
        p = float(
            winback_probability(reason, wb.offer, model.ctx.winback_response, wb.offer_elasticity)
        )
        if model.winback_draws.random(c) < p:
            c.offer = wb.offer
            c.offer_until = model.env.now + wb.offer_duration
            model.reactivate(c)

    at(model, model.env.now + wb.delay, attempt)


def price_moves(model: CRMModel) -> Proc:
    """Scheduled list-price changes: every active customer feels a rise."""
    changes = sorted(model.scenario.strategy.pricing.changes, key=lambda ch: ch.at)
    for ch in changes:
        yield model.env.timeout(max(ch.at - model.env.now, 0.0))
        move_price(model, ch.to)


def move_price(model: CRMModel, to: float) -> None:
    """Our list price becomes ``to`` now: every active customer feels a rise."""
    old = model.list_price
    model.list_price = to
    rise = to / old - 1.0
    for c in model.active_list():
        c.price_change(rise)
