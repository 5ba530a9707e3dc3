"""The vector engine: the reference model over numpy columns, exact in continuous time.

Customers are columns (:mod:`sim.columns`). Each has two clocks — its *life* race
(purchase at the maximum wallet rate, Pareto death, service need, behavioural review, the
same competing exponential clocks as :func:`sim.processes.life`) and, in the contractual
setting, its next renewal — plus a row of scheduled events. Time advances in **rounds**:
in each round every customer whose next event falls before the next synchronisation epoch
processes exactly that one event, all customers at once, with the array reactions of
:mod:`sim.reactions`. Between epochs customers do not interact, so processing each
customer's events in its own time order is exact; there is no time step.

Synchronisation epochs, and what each assumes:

* **Period starts** (policies, capacity, referrals, paid acquisition): the firm decides from
  a snapshot at the period's start, exactly as the agent engine does.
* **List-price moves**: applied to every active customer at the move's day.
* **The service desk** couples customers inside a period: a ticket's wait depends on every
  ticket that arrived before it. A customer who opens a ticket waits at its arrival while
  the others run on; when all of them are past that day, the desk seats the day's tickets
  first come, first served (:mod:`sim.desk`), and each outcome becomes a scheduled event
  at its completion.

Beyond two rare desk cases declared in :mod:`sim.desk`, the engine makes no approximation
of its own; the two engines differ in the order random numbers are consumed (so runs are
equal in distribution, not draw for draw), and the vector engine refuses the per-event log
(``output.events``).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

import numpy as np

from agents.context import Context
from agents.emotional_account import Reason
from agents.traits import draw_traits, prior_value
from sim import dispatch, policies
from sim import reactions as r
from sim.books import Books, Snapshot
from sim.columns import Columns, Kind, Pool, full
from sim.desk import WINDOW, TicketDesk
from sim.errors import UserError
from sim.ledger import ArrayLedger
from sim.rng import Streams
from sim.scenario import Scenario

__all__ = ["VectorModel", "unsupported"]


def unsupported(sc: Scenario) -> list[str]:
    """Scenario features the vector engine cannot run (empty: it can run the scenario)."""
    out = []
    if sc.output.events:
        out.append(
            "output.events: true (the per-event log is the agent engine's; use engine 'agent')"
        )
    return out


#: Columns filled straight from the population draw: column → trait.
_TRAIT_COLUMNS = {
    "segment": "segment", "lam": "lam", "spend_p": "spend_p", "spend_nu": "mean_spend_nu",
    "dropout_p": "dropout_p", "mu": "mu", "fee": "fee",
    "price_sensitivity": "price_sensitivity", "complaint_propensity": "complaint_propensity",
    "preferred": "preferred_contact", "referral_rate": "referral_rate",
    "service_rate": "service_rate", "satisfaction": "initial_satisfaction",
    "pre_failure_satisfaction": "initial_satisfaction", "expectation": "expectation",
}  # fmt: skip


class VectorModel:
    """One run of a scenario on the vector engine."""

    def __init__(
        self, scenario: Scenario, seed: int | np.random.SeedSequence | None = None
    ) -> None:
        problems = unsupported(scenario)
        if problems:
            raise UserError(
                f"scenario {scenario.name!r} uses what the vector engine does not support: "
                + "; ".join(problems)
            )
        self.wall_start = time.perf_counter()
        self.sc = self.scenario = scenario
        streams = Streams(scenario.seed if seed is None else seed)
        self.streams = streams
        st = scenario.strategy
        self.ctx = ctx = Context.build(
            scenario.behaviour, st, scenario.economics,
            scenario.setting == "contractual", scenario.contract.every,
        )  # fmt: skip
        self.rng = {
            name: streams.generator(name)
            for name in ("purchases", "spend", "experience", "service", "contacts", "churn",
                         "acquisition", "referrals", "winback")
        }  # fmt: skip
        self.population_rng = streams.generator("population")
        self.wallet_by_level = np.asarray(ctx.wallet, dtype=float)
        self.hazard_by_level = np.asarray(ctx.hazard, dtype=float)
        self.price_sens_by_level = np.asarray(ctx.price_sens, dtype=float)
        self.review_rate = ctx.max_hazard_rate if ctx.behaviour else 0.0
        self.handling = st.complaints.handling
        handled = self.handling != "none"
        self.resolve_p = st.complaints.resolve.of(self.handling) if handled else 0.0
        self.effort = st.complaints.effort.of(self.handling) if handled else 1.0
        self.list_price = st.pricing.list_price
        self.discount = st.pricing.discount
        self.delta = math.log1p(scenario.economics.discount_rate) / 365.25
        self.k = 0
        self.now = 0.0
        self.books = Books(scenario)
        self.counts: Counter[str] = Counter()
        self.ledger = ArrayLedger(scenario.output.ledger == "full", scenario.n_periods)
        self.event_log = None
        self.warn_chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.churn_chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_events = 0
        self.am_hours_used = 0.0
        self.am_hours_available = 0.0
        n0 = scenario.population.initial
        self.cols = Columns(n0 + n0 // 2 + 64, len(Reason))
        self.pool = Pool(self.cols.capacity)
        self.desk = TicketDesk(self)
        # Launch cohort on day 0, from the same population stream as the agent engine.
        traits = draw_traits(scenario.population.segments, self.population_rng, n0)
        ids = self._reserve(traits, 0)
        self.cols.acquired[ids] = 0.0
        self._admit(ids, np.zeros(ids.size))
        self.bass = policies.bass_times(self, scenario.horizon)

    # ------------------------------------------------------------------ population
    def _reserve(self, traits: Any, channel: int, referrer: Any = -1) -> np.ndarray:
        c = self.cols
        ids = c.add(len(traits))
        self.pool.resize(c.capacity)
        ctx = self.ctx
        for column, trait in _TRAIT_COLUMNS.items():
            c.arrays[column][ids] = getattr(traits, trait)
        c.lam_max[ids] = traits.lam * ctx.max_wallet
        c.level[ids] = traits.initial_level if ctx.behaviour else 0
        c.prior_value[ids] = prior_value(
            traits.lam, traits.spend_p, traits.mean_spend_nu, traits.fee, ctx.renewals_per_year
        )
        c.channel[ids] = channel
        c.referrer[ids] = referrer
        rs = traits.service_rate
        c.total_rate[ids] = c.lam_max[ids] + traits.mu * ctx.max_hazard_mult + rs + self.review_rate
        return ids

    def schedule_arrivals(self, times: np.ndarray, channel: int, referrer: Any = -1) -> None:
        """New customers who arrive at ``times`` through ``channel``."""
        if times.size == 0:
            return
        traits = draw_traits(self.sc.population.segments, self.population_rng, times.size)
        ids = self._reserve(traits, channel, referrer)
        self.pool.push(ids, times, Kind.arrive, channel)

    def _admit(self, ids: np.ndarray, t: np.ndarray) -> None:
        c = self.cols
        c.status[ids] = 1
        for name in ("acquired", "last_touch", "balance_t", "value_t", "money_t", "recent_t",
                     "last_repeat"):  # fmt: skip
            getattr(c, name)[ids] = t
        for code, k in zip(*np.unique(c.channel[ids], return_counts=True), strict=True):
            self.books.new[policies.CHANNELS[int(code)]] += int(k)
        self.start_clocks(ids, t)
        if self.ctx.contractual:
            self.renew(ids, t)
        else:
            r.purchase(self, ids, t, repeat=False)

    def start_clocks(self, ids: np.ndarray, t: Any) -> None:
        """Start the life race (and renewals) of customers who became active at ``t``."""
        c = self.cols
        total = c.total_rate[ids]
        e = self.rng["purchases"].standard_exponential(ids.size)
        c.t_life[ids] = np.where(total > 0.0, t + e / np.where(total > 0, total, 1.0), np.inf)
        if self.ctx.contractual:
            c.t_renew[ids] = t + self.sc.contract.every

    def renew(self, ids: np.ndarray, t: Any) -> None:
        """Charge one subscription fee."""
        c = self.cols
        fee = c.fee[ids]
        r.earn(self, ids, t, fee, fee * self.ctx.cogs_share)
        self.count("renewals", ids.size)
        r.touch(self, ids, t)

    def active_ids(self) -> np.ndarray:
        """Ids of the active customers, in id order."""
        return np.flatnonzero(self.cols.status[: self.cols.n] == 1)

    def count(self, name: str, k: int = 1) -> None:
        """Add ``k`` to a per-period counter."""
        if k:
            self.counts[name] += int(k)

    def follow_up(self, ids: np.ndarray, t: Any, first: bool) -> None:
        """Schedule the post-sale follow-up steps after purchases."""
        fu = self.sc.strategy.follow_up
        if not fu.enabled or (fu.trigger == "first_purchase" and not first) or ids.size == 0:
            return
        acct = self.sc.behaviour.account
        for j, step in enumerate(fu.steps):
            self.pool.push(ids, t + step.after, Kind.step, getattr(acct, step.value), j)
        if first and fu.recurring is not None:
            self.pool.push(ids, t + fu.recurring, Kind.recurring, 0.0, self.cols.won_back[ids])

    # ------------------------------------------------------------------ the desk
    def open_tickets(self, ids: np.ndarray, t: Any, complaint: bool, opened: Any) -> None:
        """Tickets arrive at the desk at ``t`` (see :class:`sim.desk.TicketDesk`)."""
        t = full(t, ids.size)
        opened = full(opened, ids.size)
        self.n_events += ids.size
        self.desk.open(ids, t, complaint, opened)

    # ------------------------------------------------------------------ running
    def run_all(self, progress: Any = None) -> None:
        """Run every period (calls ``progress(k, n)`` after each if given)."""
        sc = self.sc
        changes = sorted(sc.strategy.pricing.changes, key=lambda ch: ch.at)
        for k in range(sc.n_periods):
            self.k = k
            t0 = k * sc.period
            t1 = min(t0 + sc.period, sc.horizon)
            b = self.bass[(self.bass >= t0) & (self.bass < t1)]
            if b.size:
                self.schedule_arrivals(b, policies.CHANNELS.index("bass"))
            policies.epoch(self, t0, t1)
            for ch in [ch for ch in changes if t0 <= ch.at < t1]:
                self.advance(ch.at)
                old = self.list_price
                self.list_price = ch.to
                r.price_change(self, self.active_ids(), ch.at, ch.to / old - 1.0)
            self.advance(t1)
            self._close(k, t0, t1)
            if progress is not None:
                progress(k + 1, sc.n_periods)

    def advance(self, until: float) -> None:
        """Process every event before ``until``, in rounds of one event per customer.

        Customers run freely; the desk seats a day's tickets (see :mod:`sim.desk`) as soon
        as every unblocked customer has been simulated past that day, so a desk day is a
        barrier only for the customers waiting at it.
        """
        c = self.cols
        desk = self.desk
        n = c.n
        busy = np.flatnonzero(self._next(np.arange(n)) < until)
        while True:
            nxt = self._next(busy)
            keep = nxt < np.minimum(c.blocked[busy], until)
            busy, nxt = busy[keep], nxt[keep]
            low = float(nxt.min()) if busy.size else np.inf
            # A returning ticket may wait beyond ``until``: the next advance seats it.
            if desk.waiting and desk.waiting[0][0] < until:
                day_end = min((desk.waiting[0][0] // WINDOW + 1.0) * WINDOW, until)
                if low >= day_end:
                    # Everybody unblocked is past the earliest waiting day: seat that day,
                    # then look again (the customers it unblocks may be behind).
                    busy = np.union1d(busy, desk.seat(day_end))
                    continue
            if not busy.size:
                break
            self._step(busy)
        self.now = until

    def _next(self, ix: np.ndarray) -> np.ndarray:
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
        self.n_events += ix.size
        if sched.any():
            self._scheduled(ix[sched])
        if life.any():
            self._life(ix[life], tl[life])
        if renew.any():
            self._renewal(ix[renew], tr[renew])

    def _life(self, ix: np.ndarray, t: np.ndarray) -> None:
        c = self.cols
        g = self.rng["purchases"]
        n = ix.size
        total = c.total_rate[ix]
        c.t_life[ix] = t + g.standard_exponential(n) / total
        u = g.random(n) * total
        rp = c.lam_max[ix]
        rm = c.mu[ix] * self.ctx.max_hazard_mult
        rs = c.service_rate[ix]
        buy = u < rp
        die = ~buy & (u < rp + rm)
        need = ~buy & ~die & (u < rp + rm + rs)
        rev = ~buy & ~die & ~need
        v = g.random(n)
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
        u = self.rng["churn"].random(int(rest.sum()))
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
        c = self.cols
        ids = self.active_ids()
        snap = Snapshot(
            level=c.level[ids].astype(np.int64),
            satisfaction=c.satisfaction[ids].astype(float),
            balance=r.balance_at(self, ids, end),
            tenure=end - c.acquired[ids],
            repeat=c.repeat[ids].astype(float),
            since_winback=end - c.last_winback[ids],
            segment=c.segment[ids].astype(np.int64),
            tier=c.tier[ids].astype(np.int64),
        )
        util = self.desk.utilisation(k, end - start)
        avail = self.am_hours_available
        am_util = self.am_hours_used / avail if avail > 0 else float("nan")
        self.am_hours_used = 0.0
        self.am_hours_available = 0.0
        self.books.close_with(
            snap, self.counts, util, self.desk.waits[k], am_util, self.list_price, k, start, end
        )
        self.desk.waits[k] = []

    # ------------------------------------------------------------------ results
    @property
    def warnings(self) -> list[tuple[float, int, float]]:
        """Early-warning flags as (time, customer id, score), like the agent engine's."""
        return [
            (t, i, s)
            for ts, ids, sc in self.warn_chunks
            for t, i, s in zip(ts.tolist(), ids.tolist(), sc.tolist(), strict=True)
        ]

    @property
    def churn_log(self) -> list[tuple[float, int]]:
        """Every churn as (time, customer id), in time order."""
        rows = [
            (t, i)
            for ts, ids in self.churn_chunks
            for t, i in zip(ts.tolist(), ids.tolist(), strict=True)
        ]
        return sorted(rows)

    def customer_columns(self) -> dict[str, np.ndarray]:
        """Every customer's state as columns (the customers table's source)."""
        c = self.cols
        n = c.n
        cols = {name: c.arrays[name][:n] for name in c.arrays}
        end = self.sc.horizon
        churned = cols["churned_at"]
        stop = np.where(np.isnan(churned), end, churned)
        ids = np.arange(n, dtype=np.int64)
        wb = c.withdrawn_by[:n]
        top = np.where((wb < 0).any(axis=1), wb.argmin(axis=1), -1)
        chan = np.array(policies.CHANNELS, dtype=object)
        return {
            **cols,
            "customer_id": ids,
            "channel": chan[cols["channel"].astype(np.int64)],
            "alive": cols["status"] == 1,
            "balance": r.balance_at(self, ids, stop),
            "top_withdrawal": top,
        }

    def nbytes(self) -> int:
        """Memory held by the run's state (columns, scheduled events, ledger chunks)."""
        return self.cols.nbytes() + self.pool.nbytes() + self.ledger.nbytes()
