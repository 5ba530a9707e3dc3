"""The vector engine: the reference model over numpy columns, exact in continuous time.

Customers are columns (:mod:`sim.vector_engine.columns`). Each has two clocks — its *life*
race (purchase at the maximum wallet rate, Pareto death, service need, behavioural review,
the same competing exponential clocks as :func:`sim.agent_engine.processes.life`) and, in
the contractual setting, its next renewal — plus a row of scheduled events. Time advances
in **rounds**: in each round every customer whose next event falls before the next
synchronisation epoch processes exactly that one event, all customers at once, with the
array reactions of :mod:`sim.vector_engine.reactions`. Between epochs customers do not
interact, so processing each customer's events in its own time order is exact; there is
no time step.

Synchronisation epochs, and what each assumes:

* **Period starts**: the firm's plan (:func:`agents.plan.plan_period`) is decided from a
  snapshot at the period's start, exactly as on the agent engine.
* **List-price moves**: applied to every active customer at the move's day.
* **The service desk** couples customers inside a period: a ticket's wait depends on every
  ticket that arrived before it. A customer who opens a ticket waits at its arrival while
  the others run on; when all of them are past that day, the desk seats the day's tickets
  first come, first served (:mod:`sim.vector_engine.desk`), and each outcome becomes a
  scheduled event at its completion.

Beyond two rare desk cases declared in :mod:`sim.vector_engine.desk`, the engine makes no
approximation of its own. Every number about one customer is drawn from that customer's own
streams (:class:`sim.vector_engine.lanes.Luck`), in the same amounts per event as the agent engine
draws them; the engines still differ where customers meet (the order the desk serves a
day's tickets, money summed in another order), so runs are equal in distribution, not
draw for draw. The vector engine refuses the per-event log (``output.events``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agents.context import Context
from agents.emotional_account import Reason
from agents.rules import ChurnReason
from sim.errors import UserError
from sim.results.tally import CHANNELS, COUNTERS, MONEY_LINES, index
from sim.scenario.spec import Scenario
from sim.streams import exponential, uniform
from sim.vector_engine import dispatch, policies, tables
from sim.vector_engine import reactions as r
from sim.vector_engine import retune as retuning
from sim.vector_engine.columns import Columns, Kind, Pool, Status, full
from sim.vector_engine.desk import seat_days
from sim.vector_engine.lanes import EventLog, Lane, LaneView, Luck, Split
from sim.vector_engine.ledger import ArrayLedger
from sim.vector_engine.population import arrivals

__all__ = ["VectorModel", "unsupported"]


def unsupported(sc: Scenario) -> list[str]:
    """Scenario features the vector engine cannot run (empty: it can run the scenario)."""
    out = []
    if sc.output.events:
        out.append(
            "output.events: true (the per-event log is the agent engine's; use engine 'agent')"
        )
    return out


class VectorModel:
    """A run of a scenario on the vector engine: one replication, or a stack of them.

    Args:
        scenario: the scenario.
        seed: the run's root seed (int or ``SeedSequence``); the scenario's by default.
        seeds: instead of ``seed``, one root seed per replication of a stack
            (:mod:`sim.vector_engine.lanes`); replication ``i`` is identical to a lone run on
            ``seeds[i]``.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence | None = None,
        seeds: Sequence[int | np.random.SeedSequence] | None = None,
    ) -> None:
        problems = unsupported(scenario)
        if problems:
            raise UserError(
                f"scenario {scenario.name!r} uses what the vector engine does not support: "
                + "; ".join(problems)
            )
        if seeds is not None and seed is not None:
            raise ValueError("give seed or seeds, not both")
        self.wall_start = time.perf_counter()
        self.sc = self.scenario = scenario
        st = scenario.strategy
        self.ctx = ctx = Context.build(
            scenario.behaviour, st, scenario.economics,
            scenario.setting == "contractual", scenario.contract.every, scenario.period,
        )  # fmt: skip
        self.retunes = retuning.Retunes(ctx)  # levers changed between periods, if any
        self.wallet_by_level = np.asarray(ctx.wallet, dtype=float)
        self.hazard_by_level = np.asarray(ctx.hazard, dtype=float)
        self.price_sens_by_level = np.asarray(ctx.price_sens, dtype=float)
        self.list_price = st.pricing.list_price
        self.discount = st.pricing.discount
        self.k = self.periods_done = 0  # the period being run, and those closed
        self.now = 0.0
        roots = list(seeds) if seeds is not None else [scenario.seed if seed is None else seed]
        if not roots:
            raise ValueError("a stack needs at least one seed")
        nl = self.n_lanes = len(roots)
        # This period's tally: one row per lane in the layout of sim.results.tally.
        self.counter = index(COUNTERS)
        self.counts = np.zeros((nl, len(COUNTERS)), dtype=np.int64)
        self.money_line = index(MONEY_LINES)
        self.money = np.zeros((nl, len(MONEY_LINES)), dtype=np.int64)  # cents
        self.points = np.zeros(nl)
        self.new = np.zeros((nl, len(CHANNELS)), dtype=np.int64)
        self.churned = np.zeros((nl, len(ChurnReason)), dtype=np.int64)
        self.won_back = np.zeros(nl, dtype=np.int64)
        self.n_events = np.zeros(nl, dtype=np.int64)
        self.ledger = ArrayLedger(scenario.output.ledger == "full", scenario.n_periods, nl)
        self.churn_events = EventLog()
        self.winback_events = EventLog()
        # Ticket outcomes seated but not yet scheduled (sim.vector_engine.desk), services and
        # complaints.
        self.seated: dict[bool, list[tuple[np.ndarray, ...]]] = {False: [], True: []}
        n0 = scenario.population.initial
        self.cols = Columns(nl * (n0 + n0 // 2) + 64, len(Reason))
        self.pool = Pool(self.cols.capacity)
        self.lanes = [Lane(self, k, root) for k, root in enumerate(roots)]
        self.luck = Luck(self, [lane.streams.root for lane in self.lanes])
        # Launch cohort on day 0: the same customers as the agent engine's, each drawn from
        # their own population stream.
        ids = np.concatenate([arrivals(self, lane, "initial", n0) for lane in self.lanes])
        self.cols.acquired[ids] = 0.0
        self.admit(ids, np.zeros(ids.size))
        for lane in self.lanes:
            lane.bass = policies.bass_times(self, lane, scenario.horizon)

    # ------------------------------------------------------------------ population
    def schedule_arrivals(
        self, lane: Lane, times: np.ndarray, channel: str, referrer: Any = -1
    ) -> None:
        """New customers of ``lane`` who arrive at ``times`` (in time order) through ``channel``."""
        if times.size == 0:
            return
        ids = arrivals(self, lane, channel, times.size, referrer)
        self.pool.schedule(ids, times, Kind.arrive, channel=CHANNELS.index(channel))

    def admit(self, ids: np.ndarray, t: np.ndarray) -> None:
        """Customers ``ids`` arrive at ``t``: they become active and make a first purchase."""
        c = self.cols
        c.status[ids] = Status.active
        for name in ("acquired", "last_touch", "balance_t", "value_t", "money_t", "recent_t",
                     "last_repeat"):  # fmt: skip
            getattr(c, name)[ids] = t
        np.add.at(self.new, (c.rep[ids], c.channel[ids]), 1)
        self.start_clocks(ids, t)
        if self.ctx.contractual:
            self.renew(ids, t)
        else:
            r.purchase(self, ids, t, repeat=False)

    def start_clocks(self, ids: np.ndarray, t: Any) -> None:
        """Start the life race (and renewals) of customers who became active at ``t``."""
        c = self.cols
        total = c.total_rate[ids]
        e = self.luck.exponential("purchases", ids)
        c.t_life[ids] = np.where(total > 0.0, t + e / np.where(total > 0, total, 1.0), np.inf)
        if self.ctx.contractual:
            c.t_renew[ids] = t + self.sc.contract.every

    def renew(self, ids: np.ndarray, t: Any) -> None:
        """Charge one subscription fee."""
        c = self.cols
        fee = c.fee[ids]
        r.earn(self, ids, t, fee, fee * self.ctx.cogs_share)
        self.count("renewals", ids)
        r.touch(self, ids, t)

    def active_ids(self) -> np.ndarray:
        """Ids of the active customers (of every lane), in id order."""
        return np.flatnonzero(self.cols.status[: self.cols.n] == Status.active)

    def by_lane(self, ids: np.ndarray) -> list[np.ndarray]:
        """``ids`` split by lane, each part in id order."""
        if self.n_lanes == 1:
            return [ids]
        parts = [np.empty(0, dtype=np.int64)] * self.n_lanes
        for k, pos in Split(self, ids).groups():
            parts[k] = ids[pos]
        return parts

    # ------------------------------------------------------------------ accumulators
    def count(self, name: str, ids: np.ndarray) -> None:
        """Count one ``name`` event for each customer in ``ids``, in its lane's books."""
        if not ids.size:
            return
        self.counts[:, self.counter[name]] += self.per_lane(ids)

    def per_lane(self, ids: np.ndarray) -> int | np.ndarray:
        """How many of ``ids`` each lane has (a plain count in a single-lane run)."""
        if self.n_lanes == 1:
            return ids.size
        return np.bincount(self.cols.rep[ids], minlength=self.n_lanes)

    def add_money(self, line: str, ids: np.ndarray, cents: np.ndarray) -> None:
        """Book revenue (``line="revenue"``) or a cost line of customers ``ids``, in cents."""
        j = self.money_line[line]
        if self.n_lanes == 1:
            self.money[0, j] += int(cents.sum())
        else:
            np.add.at(self.money[:, j], self.cols.rep[ids], cents)

    def add_points(self, ids: np.ndarray, points: np.ndarray) -> None:
        """Loyalty points issued (summed one by one in id order: stacks add up bit-equal)."""
        np.add.at(self.points, self.cols.rep[ids], points)

    def add_churned(self, ids: np.ndarray, reason: np.ndarray) -> None:
        """Churns by reason."""
        np.add.at(self.churned, (self.cols.rep[ids], reason), 1)

    def add_won_back(self, ids: np.ndarray) -> None:
        """Customers won back."""
        np.add.at(self.won_back, self.cols.rep[ids], 1)

    def follow_up(self, ids: np.ndarray, t: Any, first: bool) -> None:
        """Schedule the post-sale follow-up steps after purchases."""
        fu = self.sc.strategy.follow_up
        if not fu.enabled or (fu.trigger == "first_purchase" and not first) or ids.size == 0:
            return
        acct = self.sc.behaviour.account
        for j, step in enumerate(fu.steps):
            self.pool.schedule(
                ids, t + step.after, Kind.step, deposit=getattr(acct, step.value), step=j
            )
        if first and fu.recurring is not None:
            self.pool.schedule(
                ids, t + fu.recurring, Kind.recurring, generation=self.cols.won_back[ids]
            )

    # ------------------------------------------------------------------ the desk
    def open_tickets(self, ids: np.ndarray, t: Any, complaint: bool, opened: Any) -> None:
        """Tickets arrive at their lane's desk at ``t`` (see :class:`TicketDesk`)."""
        t = full(t, ids.size)
        opened = full(opened, ids.size)
        self.n_events += self.per_lane(ids)
        for k, pos in Split(self, ids).groups():
            self.lanes[k].desk.open(ids[pos], t[pos], complaint, opened[pos])

    # ------------------------------------------------------------------ running
    def run_all(self, progress: Any = None) -> None:
        """Run every period (calls ``progress(k, n)`` after each if given)."""
        while self.step():
            if progress is not None:
                progress(self.periods_done, self.sc.n_periods)

    def step(self) -> bool:
        """Run and close the next period; False, doing nothing, once all are run."""
        sc = self.sc
        k = self.periods_done
        if k >= sc.n_periods:
            return False
        self.k = k
        # Half-open periods [t0, t1), bounded as on the agent engine (CRMModel.step).
        t0 = k * sc.period
        t1 = min((k + 1) * sc.period, sc.horizon)
        # Every active customer's buffered draws topped up in one call: within the period
        # only the busiest run short.
        self.luck.top_up(self.active_ids())
        for lane, active in zip(self.lanes, self.by_lane(self.active_ids()), strict=True):
            b = lane.bass[(lane.bass >= t0) & (lane.bass < t1)]
            if b.size:
                self.schedule_arrivals(lane, b, "bass")
            policies.epoch(self, lane, active, t0, t1)
        retuning.move_prices(self, t0, t1)
        self.advance(t1)
        self._close(k, t0, t1)
        self.periods_done = k + 1
        return True

    def retune(self, levers: Mapping[str, object]) -> None:
        """Change round levers from the next period on (:mod:`sim.vector_engine.retune`)."""
        retuning.retune(self, levers)

    def advance(self, until: float) -> None:
        """Process every event before ``until``, in rounds of one event per customer.

        Customers run freely; a lane's desk seats a day's tickets (see
        :mod:`sim.vector_engine.desk`) as
        soon as every unblocked customer of that lane has been simulated past that day, so
        a desk day is a barrier only for the customers waiting at it.
        """
        c = self.cols
        lanes = self.lanes
        busy = np.flatnonzero(self.next_times(np.arange(c.n)) < until)
        while True:
            nxt = self.next_times(busy)
            keep = nxt < np.minimum(c.blocked[busy], until)
            busy, nxt = busy[keep], nxt[keep]
            # A returning ticket may wait beyond ``until``: the next advance seats it.
            due = [ln for ln in lanes if ln.desk.waiting and ln.desk.waiting[0][0] < until]
            if due:
                busy = seat_days(self, due, busy, nxt, until)
            if not busy.size:
                break
            self._step(busy)
        self.now = until

    def next_times(self, ix: np.ndarray) -> np.ndarray:
        """Each customer's next event time (life clock, renewal or scheduled)."""
        c = self.cols
        return np.minimum(np.minimum(c.t_life[ix], c.t_renew[ix]), self.pool.next[ix])

    def _step(self, ix: np.ndarray) -> None:
        """Each customer in ``ix`` processes its next event."""
        c = self.cols
        tl, tr, tp = c.t_life[ix], c.t_renew[ix], self.pool.next[ix]
        life = (tl <= tr) & (tl <= tp)
        renew = ~life & (tr <= tp)
        sched = ~life & ~renew
        self.n_events += self.per_lane(ix)
        if sched.any():
            self._scheduled(ix[sched])
        if life.any():
            self._life(ix[life], tl[life])
        if renew.any():
            self._renewal(ix[renew], tr[renew])

    def _life(self, ix: np.ndarray, t: np.ndarray) -> None:
        c = self.cols
        # One run of three purchase-stream draws per event, as on the agent engine: the next
        # event's time, which clock rang, the thinning.
        w = self.luck.words("purchases", ix, 3)
        total = c.total_rate[ix]
        c.t_life[ix] = t + exponential(w[:, 0]) / total
        u = uniform(w[:, 1]) * total
        rp = c.lam_max[ix]
        rm = c.mu[ix] * self.ctx.max_hazard_mult
        rs = c.service_rate[ix]
        buy = u < rp
        die = ~buy & (u < rp + rm)
        need = ~buy & ~die & (u < rp + rm + rs)
        rev = ~buy & ~die & ~need
        v = uniform(w[:, 2])
        buy &= v * c.lam_max[ix] < c.lam[ix] * r.wallet(self, ix)
        die &= v * self.ctx.max_hazard_mult < r.hazard_multiplier(self, ix)
        rev &= c.cancel_intent[ix] < 0
        if buy.any():
            r.purchase(self, ix[buy], t[buy], repeat=True)
        if die.any():
            r.churn(self, ix[die], t[die], 0)
        if need.any():
            self.open_tickets(ix[need], t[need], complaint=False, opened=t[need])
        if rev.any():
            r.review(self, ix[rev], t[rev])

    def _renewal(self, ix: np.ndarray, t: np.ndarray) -> None:
        c = self.cols
        intent = c.cancel_intent[ix] >= 0
        if intent.any():
            r.churn(self, ix[intent], t[intent], c.cancel_intent[ix[intent]].astype(np.int64))
        rest = ~intent
        u = self.luck.uniform("churn", ix[rest])
        drop = np.zeros(ix.size, dtype=bool)
        drop[rest] = u < c.dropout_p[ix[rest]] * r.hazard_multiplier(self, ix[rest])
        if drop.any():
            r.churn(self, ix[drop], t[drop], 0)
        ok = rest & ~drop
        c.t_renew[ix[ok]] = t[ok] + self.sc.contract.every
        if ok.any():
            self.renew(ix[ok], t[ok])

    def _scheduled(self, ix: np.ndarray) -> None:
        t, kind, a, b = self.pool.pop(ix)
        dispatch.scheduled(self, ix, t, kind, a, b)

    # ------------------------------------------------------------------ books
    def _close(self, k: int, start: float, end: float) -> None:
        tables.close_period(self, k, start, end)

    # ------------------------------------------------------------------ results
    def view(self, lane: int = 0) -> LaneView:
        """Replication ``lane`` of the finished run, shaped for ``collect``."""
        return LaneView(self, self.lanes[lane])

    def customer_columns(self, ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Customers' state as columns (every customer, or ``ids``): the customers table.

        Ids and referrers are the stack's own (:class:`sim.vector_engine.lanes.LaneView`
        renumbers them).
        """
        return tables.customer_columns(self, ids)

    def nbytes(self) -> int:
        """Memory held by the run's state (columns, luck, scheduled events, ledger chunks)."""
        return self.cols.nbytes() + self.luck.nbytes() + self.pool.nbytes() + self.ledger.nbytes()
