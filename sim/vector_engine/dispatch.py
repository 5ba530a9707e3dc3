"""Scheduled events of the vector engine: what each :class:`sim.vector_engine.columns.Kind` does.

The agent engine runs these as SimPy callbacks (:mod:`sim.agent_engine.operations`,
:mod:`sim.agent_engine.processes`);
here each kind is one vectorised handler over the customers whose next event it is. As in
the agent engine, an event for a customer who has left does nothing, except what the firm
pays regardless (a ticket in progress) and the win-back attempt, which is for leavers.

A complaint's event comes when the desk finishes it: the desk's count and cost then, and
the outcome too when resolutions take no time (``strategy.complaints.resolution_time``
0, the default). Otherwise its outcome is an event of its own (``Kind.resolved_fixed``,
``Kind.resolved_open``) at its resolution time after the finish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.emotional_account import Reason
from agents.handling import resolution_delay
from agents.rules import winback_probability
from sim.streams import open_uniform
from sim.vector_engine import reactions as r
from sim.vector_engine.columns import PAYLOAD, Kind, Status

if TYPE_CHECKING:
    from sim.vector_engine.model import VectorModel

__all__ = ["scheduled"]


def scheduled(
    m: VectorModel, ix: np.ndarray, t: np.ndarray, kind: np.ndarray, a: np.ndarray, b: np.ndarray
) -> None:
    """Run each customer's popped event (one per customer)."""
    alive = m.cols.status[ix] == Status.active
    if ix.size == 1 or (kind == kind[0]).all():
        _run(Kind(int(kind[0])), m, ix, t, a, b, alive)
        return
    for k in np.flatnonzero(np.bincount(kind, minlength=len(Kind))).tolist():
        s = kind == k
        _run(Kind(k), m, ix[s], t[s], a[s], b[s], alive[s])


def _run(kind: Kind, m: VectorModel, ix: np.ndarray, t: np.ndarray, a: np.ndarray,
         b: np.ndarray, alive: np.ndarray) -> None:  # fmt: skip
    # Each handler takes its payload by the names PAYLOAD gives the kind's slots.
    named = {name: v for name, v in zip(PAYLOAD[kind], (a, b), strict=True) if name}
    HANDLERS[kind](m, ix, t, alive, **named)


def _arrive(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
            channel: np.ndarray) -> None:  # fmt: skip
    ref = m.cols.referrer[ix]
    referred = ref >= 0
    if referred.any():
        acq = m.sc.strategy.acquisition
        r.book(m, "referral_rewards", acq.referral_reward, ref[referred], t[referred])
        m.count("referrals", ix[referred])
    m.admit(ix, t)


def _care(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
          deposit: np.ndarray, reason: np.ndarray) -> None:  # fmt: skip
    m.cols.last_care[ix] = t
    _contact(m, ix[alive], t[alive], reason[alive].astype(np.int64), deposit[alive])


def _contact(m: VectorModel, ix: np.ndarray, t: np.ndarray, reason: np.ndarray | int,
             deposit: np.ndarray | float) -> None:  # fmt: skip
    if ix.size:
        m.count("contacts", ix)
        r.contact(m, ix, t, reason, deposit)


def _missed(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray) -> None:
    r.broken_promise(m, ix[alive], t[alive])


def _visit(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
           deposit: np.ndarray) -> None:  # fmt: skip
    who = ix[alive]
    m.count("am_visits", who)
    r.contact(m, who, t[alive], int(Reason.help_in_difficulty), deposit[alive])


def _step(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
          deposit: np.ndarray, step: np.ndarray) -> None:  # fmt: skip
    fu = m.sc.strategy.follow_up
    ix, t, deposit, j = ix[alive], t[alive], deposit[alive], step[alive].astype(np.int64)
    if not ix.size:
        return
    cost = np.array([s.cost for s in fu.steps])[j]
    reason = np.array([int(Reason[s.value]) for s in fu.steps])[j]
    r.book(m, "follow_up", cost, ix, t)
    kept = m.luck.uniform("contacts", ix) < fu.on_time
    m.count("contacts", ix[kept])
    r.promised_step(
        m, ix[kept], t[kept], reason[kept], deposit[kept], m.sc.behaviour.account.kept_promise
    )
    r.broken_promise(m, ix[~kept], t[~kept])


def _recurring(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
               generation: np.ndarray) -> None:  # fmt: skip
    fu = m.sc.strategy.follow_up
    # A contact series belongs to one stay: a won-back customer's old series has ended.
    ok = alive & (m.cols.won_back[ix] == generation.astype(np.int64))
    if fu.recurring is None or not ok.any():
        return
    ix, t, gen = ix[ok], t[ok], generation[ok]
    r.book(m, "follow_up", fu.recurring_cost, ix, t)
    acct = m.sc.behaviour.account
    _contact(m, ix, t, int(Reason.personalised_contact), acct.personalised_contact)
    m.pool.schedule(ix, t + fu.recurring, Kind.recurring, generation=gen)


def _ticket_done(m: VectorModel, ix: np.ndarray, t: np.ndarray, wait: np.ndarray,
                 complaint: bool) -> None:  # fmt: skip
    sp = m.sc.strategy.service
    m.count("tickets", ix)
    m.count("waits_over_promise", ix[wait > sp.promise])
    factor = np.where(m.cols.low_cost[ix], sp.low_cost_factor, 1.0)
    r.book(m, "service_tickets", sp.cost_per_ticket * factor, ix, t)
    if complaint:
        r.book(m, "service_tickets", m.sc.strategy.complaints.cost_per_complaint, ix, t)


def _service(first: bool):  # type: ignore[no-untyped-def]
    def handle(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
               wait: np.ndarray, arrival: np.ndarray) -> None:  # fmt: skip
        # A returning ticket of a customer who had left before it came back never existed
        # (see sim.vector_engine.desk); every other ticket is paid for, felt only by a current
        # customer.
        c = m.cols
        real = alive | (c.churned_at[ix] >= arrival)
        ix, t, wait, alive = ix[real], t[real], wait[real], alive[real]
        _ticket_done(m, ix, t, wait, complaint=False)
        who = ix[alive]
        sp = m.sc.strategy.service
        z = m.luck.normal("service_quality", who)
        perf = np.clip(sp.quality + m.ctx.quality_sd * z, 0.0, 1.0)
        r.service_outcome(m, who, t[alive], wait[alive], np.full(who.size, first), perf)

    return handle


def _complaint(resolved: bool):  # type: ignore[no-untyped-def]
    outcome = _resolution(resolved)
    later = Kind.resolved_fixed if resolved else Kind.resolved_open

    def handle(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
               wait: np.ndarray, opened: np.ndarray) -> None:  # fmt: skip
        _ticket_done(m, ix, t, wait, complaint=True)
        # Each complaint is handled as the handling it was voiced under says.
        for ctx, s in m.retunes.voiced(opened):
            if ctx.resolution_mean <= 0.0:
                outcome(m, ix[s], t[s], alive[s], opened=opened[s])
                continue
            # Investigated, fixed, the customer told: a current customer's outcome comes
            # later, one draw of their resolution stream (as on the agent engine's ticket).
            # Past the horizon it is never popped, as the agent engine's clock stops first.
            ok = alive[s]
            go = ix[s][ok]
            v = open_uniform(m.luck.words("resolution", go, 1)[:, 0])
            delay = resolution_delay(ctx.resolution_mean, ctx.resolution_cv, v)
            m.pool.schedule(go, t[s][ok] + delay, later, opened=opened[s][ok])

    return handle


def _resolution(resolved: bool):  # type: ignore[no-untyped-def]
    def handle(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
               opened: np.ndarray) -> None:  # fmt: skip
        # A complaint's outcome for a current customer, its speed judged from its opening.
        for ctx, s in m.retunes.voiced(opened):
            ok = alive[s]
            who = ix[s][ok]
            r.complaint_outcome(
                m, who, t[s][ok], np.full(who.size, resolved), t[s][ok] - opened[s][ok],
                ctx.handling,
            )  # fmt: skip

    return handle


def _win_back(m: VectorModel, ix: np.ndarray, t: np.ndarray, alive: np.ndarray, *,
              reason: np.ndarray, generation: np.ndarray) -> None:  # fmt: skip
    wb = m.sc.strategy.win_back
    # An attempt is for the stay that ended: a customer who came back and left again has
    # a newer attempt of its own.
    ok = ~alive & (m.cols.won_back[ix] == generation.astype(np.int64))
    ix, t, why = ix[ok], t[ok], reason[ok].astype(np.int64)
    if not ix.size:
        return
    m.count("winback_attempts", ix)
    r.book(m, "win_back", wb.cost_per_attempt, ix, t)
    p = winback_probability(why, wb.offer, m.ctx.winback_response, wb.offer_elasticity)
    back = m.luck.uniform("winback", ix) < p
    who, tt = ix[back], t[back]
    if who.size:
        m.cols.offer[who] = wb.offer
        m.cols.offer_until[who] = tt + wb.offer_duration
        r.reactivate(m, who, tt, wb.deposit)


HANDLERS = {
    Kind.arrive: _arrive,
    Kind.care: _care,
    Kind.missed: _missed,
    Kind.visit: _visit,
    Kind.step: _step,
    Kind.recurring: _recurring,
    Kind.service_done: _service(True),
    Kind.service_again: _service(False),
    Kind.complaint_fixed: _complaint(True),
    Kind.complaint_open: _complaint(False),
    Kind.win_back: _win_back,
    Kind.resolved_fixed: _resolution(True),
    Kind.resolved_open: _resolution(False),
}
