"""SimPy processes: what happens to customers, and when.

Each active customer has one *life* process that races its own competing exponential clocks
— a purchase (NBD), a service need, a moment of reconsideration (the behavioural churn
hazard, sampled exactly by thinning) and, for Pareto/NBD customers, death — and a
*renewal* process in the contractual setting. Service tickets are processes of their own
that queue for the desk, a ``simpy.Resource`` like the pumps of SimPy's gas station: the
customer waits for a free agent, and the wait is felt.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from agents.handling import resolution_delay
from agents.rules import ChurnReason
from sim.streams import PersonalDraws, PersonalStreams

if TYPE_CHECKING:
    from agents.context import Context
    from agents.customer import Customer
    from sim.agent_engine.model import CRMModel

__all__ = [
    "CustomerDraws", "Desk", "Staff", "life", "open_ticket", "renewals", "start_life", "ticket",
]  # fmt: skip

Proc = Generator[simpy.Event, Any, None]


class CustomerDraws:
    """Draws from one personal subsystem, each from the asking customer's own stream.

    Each customer has a :class:`sim.streams.PersonalDraws` of their own here, holding the
    next words of their stream; it draws from the customer's own counter (the
    ``k_<subsystem>`` attribute of :class:`agents.customer.Customer`), which is written
    back: draw ``k`` of a customer is the same number whatever else happened in the run,
    and the number the vector engine draws for that customer
    (:class:`sim.vector_engine.lanes.Luck`), from the same functions of :mod:`sim.streams`.

    Args:
        streams: the run's personal streams.
        name: the subsystem (one of :data:`sim.streams.PERSONAL`).
    """

    __slots__ = ("_attr", "_by", "_key")

    def __init__(self, streams: PersonalStreams, name: str) -> None:
        self._key = streams.keys[name]
        self._attr = f"k_{name}"
        self._by: dict[int, PersonalDraws] = {}

    def _on(self, c: Customer) -> PersonalDraws:
        d = self._by.get(c.key)
        if d is None:
            d = self._by[c.key] = PersonalDraws(self._key, c.key)
        # The customer's counter rules; the words held stay right, being its stream's.
        d.k = getattr(c, self._attr)
        return d

    def _take(self, c: Customer, draw: Callable[[PersonalDraws], float]) -> float:
        """``draw`` on the customer's stream, the counter written back to the customer."""
        d = self._on(c)
        x = draw(d)
        setattr(c, self._attr, d.k)
        return x

    def random(self, c: Customer) -> float:
        """The customer's next uniform on [0, 1)."""
        return self._take(c, PersonalDraws.random)

    def open_random(self, c: Customer) -> float:
        """The customer's next uniform on (0, 1), as the transforms by inversion take it."""
        return self._take(c, PersonalDraws.open_random)

    def exponential(self, c: Customer) -> float:
        """The customer's next standard exponential (one draw)."""
        return self._take(c, PersonalDraws.exponential)

    def normal(self, c: Customer) -> float:
        """The customer's next standard normal (one draw)."""
        return self._take(c, PersonalDraws.normal)

    def gamma(self, c: Customer, shape: float, scale: float) -> float:
        """The customer's next Gamma(shape, scale): a standard gamma, scaled."""
        return self._take(c, lambda d: d.gamma(shape)) * scale


def start_life(model: CRMModel, c: Customer) -> None:
    """Start a customer's life race now (on arrival, or when won back).

    Its first draw is taken at once, whatever the rates, as on the vector engine: every
    event then takes three more of the customer's purchase stream (:func:`life`).
    """
    e = model.purchase_draws.exponential(c)
    # Pareto death runs at the largest multiplier and is thinned to the current one, so the
    # ladder and loyalty lock-in act on it like on BG and sBG dropout.
    total = c.lam_max + c.mu * model.ctx.max_hazard_mult + c.service_rate + model.ctx.review_rate
    if total > 0.0:
        model.env.process(life(model, c, e / total))


def life(model: CRMModel, c: Customer, wait: float) -> Proc:
    """A customer's self-initiated events until churn (or until a win-back restarts it).

    Competing exponential clocks with constant total rate: the next event time is
    Exp(total) and its kind is chosen in proportion to the rates — exact in continuous
    time. The purchase clock runs at the customer's *maximum* wallet rate and is thinned to
    the current one, so a ladder move needs no rescheduling. ``wait`` is the time to the
    first event (:func:`start_life` draws it).
    """
    env = model.env
    d = model.purchase_draws
    gen = c.won_back
    rp = c.lam_max
    rm = c.mu * model.ctx.max_hazard_mult
    rs = c.service_rate
    total = rp + rm + rs + model.ctx.review_rate
    # Every event takes three draws of the customer's purchase stream — the next event's
    # time, which clock rang, the thinning — in the vector engine's order
    # (sim.vector_engine.model), whichever clock it was.
    while True:
        yield env.timeout(wait)
        if not c.alive or c.won_back != gen:
            return
        model.n_events += 1
        wait = d.exponential(c) / total
        u = d.random(c) * total
        v = d.random(c)
        if u < rp:
            if v * c.lam_max < c.lam * c.wallet():
                c.purchase(repeat=True)
        elif u < rp + rm:
            if v * model.ctx.max_hazard_mult < c.hazard_multiplier():
                c.churn(ChurnReason.baseline)
        elif u < rp + rm + rs:
            open_ticket(model, c, complaint=False, opened=env.now)
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
        if model.churn_draws.random(c) < c.dropout_p * c.hazard_multiplier():
            c.churn(ChurnReason.baseline)
            return
        model.renew(c)


class Staff(simpy.Resource):
    """The desk's servers, whose number a retune may change between two periods.

    Joining servers take the longest-waiting tickets at once. Leaving ones are not
    interrupted: a busy server finishes the ticket in hand, and no waiting ticket starts
    until fewer servers are busy than the new staff (the vector engine's desk does the same,
    :mod:`sim.vector_engine.retune`).
    """

    def resize(self, capacity: int) -> None:
        """Serve with ``capacity`` servers from now on."""
        self._capacity = capacity
        while self.put_queue and len(self.users) < capacity:
            self._trigger_put(None)  # seats the next waiting ticket


class Desk:
    """The service desk: a resource with ``staff`` servers (``None``: unbounded).

    Keeps the busy-server area (for utilisation) and the waits of tickets whose service
    started in the current period.
    """

    def __init__(self, env: simpy.Environment, staff: int | None) -> None:
        self.env = env
        self.staff = staff
        self.resource = Staff(env, capacity=staff) if staff is not None else None
        self.busy = 0
        self.area = 0.0
        self._t = 0.0
        self.waits: list[float] = []

    def resize(self, staff: int) -> None:
        """``staff`` servers from now on (a bounded desk stays bounded); see :class:`Staff`."""
        if self.resource is None:
            raise ValueError("an unbounded desk cannot be given a number of servers")
        self.staff = staff
        self.resource.resize(staff)

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


def open_ticket(model: CRMModel, c: Customer, complaint: bool, opened: float) -> None:
    """A ticket (or complaint) opens now: its luck is drawn at once, then it joins the desk.

    As on the vector engine's desk, from the customer's service stream: the handling time,
    then whether it is resolved (at first contact, or the complaint's resolution).
    """
    d = model.service_draws
    ctx = model.ctx
    effort = ctx.effort if complaint else 1.0
    handling = d.exponential(c) * model.scenario.strategy.service.handling_time * effort
    u = d.random(c)
    model.env.process(ticket(model, c, complaint, opened, handling, u, ctx))


def ticket(
    model: CRMModel,
    c: Customer,
    complaint: bool,
    opened: float,
    handling: float,
    u: float,
    ctx: Context,
) -> Proc:
    """One service ticket (or complaint) through the desk, then its outcome for the customer.

    ``handling`` is its service time and ``u`` the uniform that decides its resolution
    (:func:`open_ticket` draws them); ``ctx`` the constants in force when it opened: a
    complaint is handled, to its outcome, as it was voiced under (a retune may come between).
    A complaint's outcome comes its resolution time after the desk finishes
    (:func:`agents.handling.resolution_delay`, one draw of the customer's resolution stream,
    taken at the finish for a current customer when the mean is above 0), and its speed is
    judged from the complaint's opening.
    """
    env = model.env
    desk = model.desk
    sp = model.scenario.strategy.service
    arrive = env.now
    model.n_events += 1
    req = None
    if desk.resource is not None:
        req = desk.resource.request()
        yield req
    wait = env.now - arrive
    desk.start(wait)
    yield env.timeout(handling)
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
        if ctx.resolution_mean > 0.0 and c.alive:
            # Investigated, fixed, the customer told: the outcome comes later (as on the
            # vector engine, sim.vector_engine.dispatch); past the horizon, never.
            v = model.resolution_draws.open_random(c)
            yield env.timeout(float(resolution_delay(ctx.resolution_mean, ctx.resolution_cv, v)))
            model.n_events += 1
        if c.alive:
            c.complaint_outcome(u < ctx.resolve_p, env.now - opened, ctx.handling)
        return
    first_time = u < sp.first_contact_resolution
    if c.alive:
        # The performance felt is drawn only for a current customer (as on the vector engine).
        z = model.service_quality_draws.normal(c)
        perf = float(np.clip(sp.quality + model.ctx.quality_sd * z, 0.0, 1.0))
        c.service_outcome(wait, first_time, perf)
        if not first_time:
            # Not resolved at first contact: the customer has to come back.
            open_ticket(model, c, complaint=False, opened=opened)
