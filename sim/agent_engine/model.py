"""``CRMModel``: the reference (agent) engine — Mesa agents on a SimPy clock.

One ``simpy.Environment`` keeps continuous time in days; Mesa keeps the agents. ``step()``
advances exactly one reporting period and records it, so ``mesa.batch_run`` and Mesa's
visualisation drive the model unchanged. The model is also the customers' :class:`World`:
the clock, the random streams, the trust ledger and the books all reach a customer through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import simpy

from agents import rules
from agents.context import Context
from agents.customer import Customer
from agents.economics import to_cents
from agents.emotional_account import Ledger
from agents.plan import PLAN_STREAMS
from agents.roster import RECORD_FIELDS
from agents.traits import draw_traits
from sim.agent_engine import operations, processes, tables
from sim.agent_engine import retune as retuning
from sim.agent_engine.processes import CustomerDraws
from sim.results.books import Books
from sim.results.tally import CHANNELS, COUNTERS, MONEY_LINES, Tally, index
from sim.rng import Streams
from sim.scenario.spec import Scenario, load_scenario
from sim.streams import CHANNEL_CODES, PERSONAL, PersonalStreams

__all__ = ["CRMModel"]


class CRMModel(mesa.Model):
    """The reference engine: one Mesa ``Customer`` per customer, SimPy processes for time."""

    def __init__(
        self,
        scenario: Scenario | str | Path = "baseline",
        seed: int | np.random.SeedSequence | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        """Build the world of ``scenario`` on the seed streams of ``seed``.

        Args:
            scenario: a :class:`Scenario`, a library name or a YAML path (keywords only, so
                ``mesa.batch_run(CRMModel, {"scenario": "baseline", "seed": range(5)})`` works).
            seed: root seed; defaults to the scenario's ``seed``.
            overrides: dotted-path overrides applied on top of the scenario.
        """
        if not isinstance(scenario, Scenario) or overrides:
            scenario = load_scenario(
                scenario.model_dump(mode="json") if isinstance(scenario, Scenario) else scenario,
                dict(overrides) if overrides else None,
            )
        streams = Streams(scenario.seed if seed is None else seed)
        super().__init__(rng=streams.generator("mesa"))
        self.wall_start = time.perf_counter()
        self.streams = streams
        self.scenario = scenario
        st = scenario.strategy
        self.env = simpy.Environment()
        self.ctx = Context.build(
            scenario.behaviour, st, scenario.economics,
            scenario.setting == "contractual", scenario.contract.every, scenario.period,
        )  # fmt: skip
        # Every draw about one customer comes from that customer's own stream of the
        # subsystem (sim.streams); the firm's own randomness (the plan, the arrival times of
        # each channel) from the run's sequential streams.
        self.personal = personal = PersonalStreams(streams.root, PERSONAL)
        self.purchase_draws = CustomerDraws(personal, "purchases")
        self.spend_draws = CustomerDraws(personal, "spend")
        self.experience_draws = CustomerDraws(personal, "experience")
        self.complaint_draws = CustomerDraws(personal, "complaints")
        self.service_draws = CustomerDraws(personal, "service")
        self.service_quality_draws = CustomerDraws(personal, "service_quality")
        self.contact_draws = CustomerDraws(personal, "contacts")
        self.churn_draws = CustomerDraws(personal, "churn")
        self.winback_draws = CustomerDraws(personal, "winback")
        self.resolution_draws = CustomerDraws(personal, "resolution")
        self.plan_streams = {name: streams.generator(name) for name in PLAN_STREAMS}
        # Arrivals so far per channel: the next arrival's ordinal in its customer key.
        self.arrived = dict.fromkeys(CHANNEL_CODES, 0)
        # The firm's record of each customer (agents.roster), by row = unique_id - 1: Mesa
        # numbers a model's agents 1, 2, … in creation order, and customers are its only agents.
        self.records = {k: np.full(64, v, dtype=d) for k, (d, v) in RECORD_FIELDS.items()}
        self.list_price = st.pricing.list_price
        self.discount = st.pricing.discount
        self.ledger = Ledger(full=scenario.output.ledger == "full")
        self.event_log: list[tuple[float, int, str, float]] | None = (
            [] if scenario.output.events else None
        )
        self.books = Books(scenario)
        self.desk = processes.Desk(self.env, st.service.staff)
        self.customers: list[Customer] = []
        self._active: dict[int, Customer] = {}
        self.warnings: list[tuple[float, int, float]] = []
        self.churn_log: list[tuple[float, int]] = []
        self.winback_log: list[tuple[float, int]] = []
        self.acquired_total = 0
        self.n_events = 0
        self.am_hours_used = 0.0
        self.am_hours_available = 0.0
        self._period = 0
        # This period's tally (sim.results.tally), in Python lists: the event loop adds to
        # them one at a time.
        self._counts, self._money, self._new, self._churned = Tally.zeros()
        self._won_back = 0
        self._points = 0.0
        # Initial customers: a launch cohort acquired on day 0.
        traits, keys = self.arrivals("initial", scenario.population.initial)
        for i in range(len(traits)):
            self.acquire("initial", traits, i, keys[i])
        if st.pricing.changes:
            self.env.process(operations.price_moves(self))
        self.bass = operations.bass_times(self)
        # Mesa's own tools (batch_run, visualisation) read the model through a DataCollector.
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _last(name) for name in _REPORTED}
        )

    # ------------------------------------------------------------------ World protocol
    @property
    def now(self) -> float:
        """Current simulated day."""
        return float(self.env.now)

    @property
    def period_index(self) -> int:
        """Index of the reporting period being simulated."""
        return self._period

    def record_entry(self, customer: Customer, reason: int, amount: float) -> None:
        """Write an emotional-account entry to the ledger."""
        self.ledger.record(
            self.env.now, self._period, customer.unique_id, reason, amount, customer.balance
        )

    def count(self, name: str, k: int = 1) -> None:
        """Add ``k`` to a per-period counter."""
        self._counts[_COUNTER[name]] += k

    def book(self, line: str, amount: float, customer: Customer | None) -> None:
        """Book a cost (cents-exact per period); attribute it to a customer if given."""
        cents = to_cents(amount)
        if cents == 0:
            # Under half a cent books nothing, and leaves the customer's memory alone.
            return
        self._money[_MONEY[line]] += cents
        if customer is not None:
            value = cents / 100.0
            customer.cost += value
            t = self.env.now
            customer.clv -= value * float(rules.exp(self.ctx.delta * (customer.acquired - t)))
            customer.remember_money(0.0, value, t)

    def earn(self, amount: float, cogs: float, customer: Customer) -> None:
        """A purchase or fee of ``amount`` (at list price 1): revenue, cogs, discounts, points."""
        t = self.env.now
        gross = amount * self.list_price
        disc = gross * self.discount
        offer = (gross - disc) * customer.offer if customer.offer_until > t else 0.0
        rev_c = to_cents(gross)
        cogs_c = to_cents(cogs)
        self._money[_REVENUE] += rev_c
        self._money[_COGS] += cogs_c
        margin = (rev_c - cogs_c) / 100.0
        customer.revenue += rev_c / 100.0
        customer.margin += margin
        customer.clv += margin * float(rules.exp(self.ctx.delta * (customer.acquired - t)))
        customer.remember_money(margin, 0.0, t)
        self.book("discounts", disc, customer)
        self.book("offers", offer, customer)
        loyal = self.scenario.strategy.loyalty
        if loyal.enabled:
            points = (gross - disc - offer) * loyal.points_per_money
            self._points += points
            self.book("loyalty", points * loyal.point_value * loyal.redemption_rate, customer)

    def price_paid(self, customer: Customer) -> tuple[float, float]:
        """Effective price index the customer pays now, and the list price."""
        paid = self.list_price * (1.0 - self.discount)
        if customer.offer_until > self.env.now:
            paid *= 1.0 - customer.offer
        return paid, self.list_price

    def market_price(self) -> float:
        """Market price index now (competitor promotions included)."""
        return self.scenario.market.price_at(self.env.now)

    def on_churn(self, customer: Customer, reason: int) -> None:
        """Bookkeeping when a customer leaves; schedules a win-back if the policy applies."""
        del self._active[customer.unique_id]
        self._churned[reason] += 1
        self.churn_log.append((self.env.now, customer.unique_id))
        self.log(customer.unique_id, "churn", float(reason))
        operations.win_back(self, customer, reason)

    def on_purchase(self, customer: Customer, repeat: bool) -> None:
        """After a purchase: the post-sale follow-up sequence."""
        if self.event_log is not None:
            self.log(customer.unique_id, "purchase" if repeat else "first_purchase", 0.0)
        operations.follow_up(self, customer, first=not repeat)

    def complain(self, customer: Customer) -> None:
        """A voiced complaint goes to the desk — or nowhere if nobody handles complaints."""
        if self.ctx.handling == "none":
            customer.complaint_outcome(resolved=False, elapsed=0.0, handling="basic")
        else:
            processes.open_ticket(self, customer, complaint=True, opened=self.env.now)

    # ------------------------------------------------------------------ population
    def active_list(self) -> list[Customer]:
        """Active customers in id order (a stable snapshot for policies)."""
        return list(self._active.values())

    def arrivals(self, channel: str, n: int) -> tuple[Any, list[int]]:
        """The traits and customer keys of the next ``n`` arrivals of ``channel``.

        Arrivals are named by channel and ordinal (:func:`sim.streams.customer_key`) when
        they are scheduled, in time order, and each draws its traits from its own stream.
        """
        batch = self.personal.arrivals(channel, self.arrived[channel], n)
        self.arrived[channel] += n
        return draw_traits(self.scenario.population.segments, batch), batch.customers.tolist()

    def acquire(self, channel: str, traits: Any, i: int, key: int, referrer: int = -1) -> Customer:
        """Arrival ``i`` of a batch (:meth:`arrivals`) joins through ``channel`` now."""
        row = {k: getattr(traits, k)[i] for k in traits.__slots__}
        c = Customer(self, row, acquired=self.now, channel=channel, key=key)
        c.referrer = referrer
        if c.unique_id != len(self.customers) + 1:
            raise RuntimeError("customers must be the model's only agents (records by row)")
        self._grow_records(c.unique_id)
        self.customers.append(c)
        self._active[c.unique_id] = c
        self.acquired_total += 1
        self._new[_CHANNEL[channel]] += 1
        self.log(c.unique_id, "acquired", 0.0)
        self._start(c)
        if self.ctx.contractual:
            self.renew(c, first=True)
        else:
            c.purchase(repeat=False)
        return c

    def _grow_records(self, n: int) -> None:
        cap = len(self.records["tier"])
        if n <= cap:
            return
        for k, (d, v) in RECORD_FIELDS.items():
            grown = np.full(2 * cap, v, dtype=d)
            grown[:cap] = self.records[k]
            self.records[k] = grown

    @staticmethod
    def rows(customers: list[Customer]) -> np.ndarray:
        """The rows of ``customers`` in :attr:`records` (and in :attr:`customers`)."""
        return np.array([c.unique_id - 1 for c in customers], dtype=np.int64)

    def record_of(self, c: Customer, field: str) -> Any:
        """The firm's record ``field`` of customer ``c`` (:data:`agents.roster.RECORD_FIELDS`)."""
        return self.records[field][c.unique_id - 1]

    def _start(self, c: Customer) -> None:
        processes.start_life(self, c)
        if self.ctx.contractual:
            self.env.process(processes.renewals(self, c))

    def renew(self, c: Customer, first: bool = False) -> None:
        """Charge one subscription fee."""
        self.earn(c.fee, c.fee * self.ctx.cogs_share, c)
        self.count("renewals")
        c.touch()

    def reactivate(self, c: Customer) -> None:
        """A win-back succeeded: the customer is active again."""
        c.reactivate(self.scenario.strategy.win_back.deposit)
        self._active[c.unique_id] = c
        self._won_back += 1
        self.winback_log.append((self.env.now, c.unique_id))
        self.log(c.unique_id, "won_back", 0.0)
        self._start(c)
        if self.ctx.contractual:
            self.renew(c)

    def log(self, customer: int, event: str, value: float) -> None:
        """Append to the full event log when the scenario asks for it."""
        if self.event_log is not None:
            self.event_log.append((self.env.now, customer, event, value))

    # ------------------------------------------------------------------ Mesa
    def step(self) -> None:
        """Advance one reporting period and record it."""
        sc = self.scenario
        k = self.steps - 1
        self._period = k
        start = k * sc.period
        end = min((k + 1) * sc.period, sc.horizon)
        # Periods are half-open, [start, end): the run so far stopped just before anything
        # due at ``start``. The firm plans first, from the state the previous period closed
        # on, and only then do the events at ``start`` happen (as on the vector engine): an
        # epoch process would run after those of them that were scheduled before it.
        operations.epoch(self, start, end)
        self.env.run(until=end)
        self._close(k, start, end)
        self.datacollector.collect(self)
        if k + 1 >= sc.n_periods:
            self.running = False

    def retune(self, levers: Mapping[str, object]) -> None:
        """Change round levers from the next period on (:mod:`sim.agent_engine.retune`)."""
        retuning.retune(self, levers)

    def run_all(self, progress: Any = None) -> None:
        """Run every period (calls ``progress(k, n)`` after each if given)."""
        n = self.scenario.n_periods
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps, n)

    def take_tally(self) -> Tally:
        """The flows counted since the last take (this period's, at a close); starts anew."""
        tally = Tally(
            self._counts, self._money, self._new, self._churned, self._won_back, self._points
        )
        self._counts, self._money, self._new, self._churned = Tally.zeros()
        self._won_back = 0
        self._points = 0.0
        return tally

    def _close(self, k: int, start: float, end: float) -> None:
        tally = self.take_tally()
        util, waits = self.desk.close(end - start)
        avail = self.am_hours_available
        am_util = self.am_hours_used / avail if avail > 0 else float("nan")
        self.books.close(
            tables.snapshot(self, end), tally, util, waits, am_util, self.list_price, k, start, end
        )
        self.am_hours_used = 0.0
        self.am_hours_available = 0.0

    def customer_columns(self) -> dict[str, np.ndarray]:
        """Every customer's state as columns (the customers table's source)."""
        return tables.customer_columns(self)


_COUNTER = index(COUNTERS)
_MONEY = index(MONEY_LINES)
_CHANNEL = index(CHANNELS)
_REVENUE = _MONEY["revenue"]
_COGS = _MONEY["cogs"]

#: Period columns exposed to Mesa's DataCollector (``batch_run`` output columns).
_REPORTED = (
    "active", "new", "churned", "won_back", "revenue", "costs", "profit",
    "discounted_profit", "satisfaction_mean", "balance_mean", "complaints", "wait_mean",
)  # fmt: skip


def _last(column: str) -> Callable[[CRMModel], Any]:
    """A reporter returning ``column`` of the period just closed."""

    def report(model: CRMModel) -> Any:
        return model.books.rows[-1][column]

    return report
