"""SimPy processes: what happens to customers, and when.

Each active customer has one *life* process that races its own competing exponential clocks
— a purchase (NBD), a service need, a moment of reconsideration (the behavioural churn
hazard, sampled exactly by thinning) and, for Pareto/NBD customers, death — and a
*renewal* process in the contractual setting. Service tickets are processes of their own
that queue for the desk, a ``simpy.Resource`` like the pumps of SimPy's gas station: the
customer waits for a free agent, and the wait is felt.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from agents.rules import ChurnReason

if TYPE_CHECKING:
    from agents.customer import Customer
    from sim.agent_engine.model import CRMModel

__all__ = ["Desk", "life", "renewals", "ticket"]

Proc = Generator[simpy.Event, Any, None]


def life(model: CRMModel, c: Customer) -> Proc:
    """A customer's self-initiated events until churn (or until a win-back restarts it).

    Competing exponential clocks with constant total rate: the next event time is
    Exp(total) and its kind is chosen in proportion to the rates — exact in continuous
    time. The purchase clock runs at the customer's *maximum* wallet rate and is thinned to
    the current one, so a ladder move needs no rescheduling.
    """
    env = model.env
    d = model.purchase_draws
    gen = c.won_back
    rp = c.lam_max
    # Pareto death runs at the largest multiplier and is thinned to the current one, so the
    # ladder and loyalty lock-in act on it like on BG and sBG dropout.
    rm = c.mu * model.ctx.max_hazard_mult
    rs = c.service_rate
    rr = model.ctx.review_rate
    total = rp + rm + rs + rr
    if total <= 0.0:
        return
    while True:
        yield env.timeout(d.exponential() / total)
        if not c.alive or c.won_back != gen:
            return
        model.n_events += 1
        u = d.random() * total
        if u < rp:
            if d.random() * c.lam_max < c.lam * c.wallet():
                c.purchase(repeat=True)
        elif u < rp + rm:
            if d.random() * model.ctx.max_hazard_mult < c.hazard_multiplier():
                c.churn(ChurnReason.baseline)
        elif u < rp + rm + rs:
            env.process(ticket(model, c, complaint=False, opened=env.now))
        elif c.cancel_intent < 0:
            c.review()


def renewals(model: CRMModel, c: Customer) -> Proc:
    """Contractual renewals: every ``contract.every`` days the customer renews or cancels.

    Cancellation is observed at renewal: the baseline θ (sBG) or an intent to cancel formed
    earlier by the behavioural hazard.
    """
    env = model.env
    every = model.scenario.contract.every
    gen = c.won_back
    while True:
        yield env.timeout(every)
        if not c.alive or c.won_back != gen:
            return
        model.n_events += 1
        if c.cancel_intent >= 0:
            c.churn(c.cancel_intent)
            return
        if model.churn_draws.random() < c.dropout_p * c.hazard_multiplier():
            c.churn(ChurnReason.baseline)
            return
        model.renew(c)


class Desk:
    """The service desk: a resource with ``staff`` servers (``None``: unbounded).

    Keeps the busy-server area (for utilisation) and the waits of tickets whose service
    started in the current period.
    """

    def __init__(self, env: simpy.Environment, staff: int | None) -> None:
        self.env = env
        self.staff = staff
        self.resource = simpy.Resource(env, capacity=staff) if staff is not None else None
        self.busy = 0
        self.area = 0.0
        self._t = 0.0
        self.waits: list[float] = []

    def _integrate(self) -> None:
        now = self.env.now
        self.area += self.busy * (now - self._t)
        self._t = now

    def start(self, wait: float) -> None:
        """A ticket's service starts after ``wait`` days."""
        self._integrate()
        self.busy += 1
        self.waits.append(wait)

    def finish(self) -> None:
        """A ticket's service ends."""
        self._integrate()
        self.busy -= 1

    def close(self, length: float) -> tuple[float, list[float]]:
        """End a period of ``length`` days: utilisation and the waits, then reset."""
        self._integrate()
        util = self.area / (self.staff * length) if self.staff else float("nan")
        waits = self.waits
        self.area = 0.0
        self.waits = []
        return util, waits


def ticket(model: CRMModel, c: Customer, complaint: bool, opened: float) -> Proc:
    """One service ticket (or complaint) through the desk, then its outcome for the customer."""
    env = model.env
    desk = model.desk
    sp = model.scenario.strategy.service
    d = model.service_draws
    arrive = env.now
    model.n_events += 1
    req = None
    if desk.resource is not None:
        req = desk.resource.request()
        yield req
    wait = env.now - arrive
    desk.start(wait)
    effort = model.ctx.effort if complaint else 1.0
    yield env.timeout(d.exponential() * sp.handling_time * effort)
    desk.finish()
    if req is not None and desk.resource is not None:
        desk.resource.release(req)
    model.count("tickets")
    if wait > sp.promise:
        model.count("waits_over_promise")
    factor = sp.low_cost_factor if model.record_of(c, "low_cost") else 1.0
    model.book("service_tickets", sp.cost_per_ticket * factor, c)
    if complaint:
        model.book("service_tickets", model.scenario.strategy.complaints.cost_per_complaint, c)
        resolved = d.random() < model.ctx.resolve_p
        if c.alive:
            c.complaint_outcome(resolved, env.now - opened, model.ctx.handling)
        return
    first_time = d.random() < sp.first_contact_resolution
    perf = float(np.clip(sp.quality + model.ctx.quality_sd * d.normal(), 0.0, 1.0))
    if c.alive:
        c.service_outcome(wait, first_time, perf)
        if not first_time:
            # Not resolved at first contact: the customer has to come back.
            env.process(ticket(model, c, complaint=False, opened=opened))
