"""Replication stacking: many replications of one scenario in one vector-engine pass.

A stack is the disjoint union of ``R`` worlds in one set of columns: each customer carries
its replication (the ``rep`` column, its *lane*) and its id within that replication (the
``local`` column). Customers of different lanes never meet — the desk, the policies, the
books and every random stream are per lane — so the rounds of :mod:`sim.vector_engine.model` process
all lanes at once and pay their fixed per-round cost once instead of ``R`` times.

Stacking changes nothing about any replication: each lane draws from its own streams,
spawned from its own seed exactly as a single run's, and every draw of a lane is taken in
the same order and the same batch composition as the lane would see running alone
(:class:`Split` splits a batch by lane, keeping each lane's customers in id order; the
desk seats a lane's day when *that lane's* customers are past it). Per-lane money sums
are accumulated element by element in id order, so even float totals are bit-equal.
Replication ``i`` of a stack is therefore byte-identical to ``sim.run(scenario,
seed_i, engine="vector")``: the test suite checks it, and experiments may stack in any
grouping without changing a number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.rng import Streams

if TYPE_CHECKING:
    from sim.results.books import Books
    from sim.scenario.spec import Scenario
    from sim.vector_engine.desk import TicketDesk
    from sim.vector_engine.model import VectorModel

__all__ = ["STREAMS", "EventLog", "Lane", "LaneView", "Split"]

#: The per-subsystem random streams of a vector run (besides ``population``).
STREAMS = ("purchases", "spend", "experience", "service", "contacts", "churn",
           "acquisition", "referrals", "winback", "plan")  # fmt: skip


class Lane:
    """One replication in a stack: its seed streams, books, desk and firm-side state."""

    def __init__(self, m: VectorModel, index: int, seed: Any) -> None:
        from sim.results.books import Books
        from sim.vector_engine.desk import TicketDesk

        self.m = m
        self.index = index
        streams = Streams(seed)
        self.rng = {name: streams.generator(name) for name in STREAMS}
        self.population_rng = streams.generator("population")
        self.books: Books = Books(m.sc)
        self.desk: TicketDesk = TicketDesk(m, self)
        self.n = 0  # customers reserved so far (the next local id)
        self.bass = np.empty(0)
        self.warn_chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.am_hours_used = 0.0
        self.am_hours_available = 0.0

    def count(self, name: str, k: int) -> None:
        """Add ``k`` to this lane's per-period counter ``name``."""
        if k:
            self.m.counts[self.index, self.m.counter[name]] += int(k)

    def book(self, line: str, amount: float) -> None:
        """Book a firm-level cost (no customer to attribute it to), cents-exact."""
        self.m.money[self.index, self.m.money_line[line]] += int(np.rint(amount * 100.0))


class EventLog:
    """Events of one kind (churns, win-backs) of every lane, as (days, customer ids) chunks."""

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, t: np.ndarray, ids: np.ndarray) -> None:
        """Customers ``ids`` had the event at days ``t`` (copied: callers reuse arrays)."""
        self.chunks.append((t.copy(), ids.copy()))

    def joined(self) -> tuple[np.ndarray, np.ndarray]:
        """Every event as (days, customer ids), in the order they happened.

        Concatenated once, for all lanes' results.
        """
        if not self.chunks:
            return np.empty(0), np.empty(0, dtype=np.int64)
        if len(self.chunks) > 1:
            ts, ids = zip(*self.chunks, strict=True)
            self.chunks = [(np.concatenate(ts), np.concatenate(ids))]
        return self.chunks[0]


class Split:
    """A batch of customer ids split by lane, each lane drawing from its own streams.

    Each lane's numbers are drawn in the order and batch a lone run would draw them. In a
    single-lane run the split is free: every draw is one generator call for the batch.
    """

    __slots__ = ("bounds", "lanes", "m", "n", "order", "single")

    def __init__(self, m: VectorModel, ix: np.ndarray) -> None:
        self.m = m
        self.n = n = ix.size
        self.single: int | None = 0
        if m.n_lanes == 1 or n == 0:
            return
        rep = m.cols.rep[ix]
        lo = int(rep.min())
        if lo == int(rep.max()):
            self.single = lo
            return
        self.single = None
        # A stable sort keeps each lane's customers in id order (radix sort on int16).
        self.order = np.argsort(rep, kind="stable")
        counts = np.bincount(rep, minlength=m.n_lanes)
        self.lanes = np.flatnonzero(counts).tolist()
        ends = np.cumsum(counts)
        self.bounds = [(int(ends[k] - counts[k]), int(ends[k])) for k in self.lanes]

    def _draw(self, stream: str, method: str, *args: np.ndarray) -> np.ndarray:
        lanes = self.m.lanes
        if self.single is not None:
            draw: np.ndarray = getattr(lanes[self.single].rng[stream], method)(*args, size=self.n)
            return draw
        # Gather once in lane order, draw lane by lane on views, scatter once.
        order = self.order
        grouped = [a[order] for a in args]
        parts = [
            getattr(lanes[k].rng[stream], method)(*(a[lo:hi] for a in grouped), size=hi - lo)
            for k, (lo, hi) in zip(self.lanes, self.bounds, strict=True)
        ]
        out = np.empty(self.n)
        out[order] = np.concatenate(parts)
        return out

    def uniform(self, stream: str) -> np.ndarray:
        """U(0, 1) per customer."""
        return self._draw(stream, "random")

    def exponential(self, stream: str) -> np.ndarray:
        """Exp(1) per customer."""
        return self._draw(stream, "standard_exponential")

    def normal(self, stream: str) -> np.ndarray:
        """N(0, 1) per customer."""
        return self._draw(stream, "standard_normal")

    def gamma(self, stream: str, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Gamma(shape, scale) per customer."""
        return self._draw(stream, "gamma", shape, scale)

    def groups(self) -> list[tuple[int, np.ndarray]]:
        """Positions of each lane's customers in the split batch, lane by lane."""
        if self.single is not None:
            return [(self.single, np.arange(self.n))] if self.n else []
        return [(k, self.order[lo:hi]) for k, (lo, hi) in zip(self.lanes, self.bounds, strict=True)]


class LaneView:
    """One lane of a finished stack, shaped like a finished model for ``collect``.

    Customer ids are the lane's own (``local``), as a lone run would number them.
    """

    def __init__(self, m: VectorModel, lane: Lane) -> None:
        self.m = m
        self.lane = lane
        self.scenario: Scenario = m.sc
        self.books = lane.books
        self.event_log = None
        self.n_events = int(m.n_events[lane.index])
        self.wall_start = m.wall_start
        c = m.cols
        self.ids = np.flatnonzero(c.rep[: c.n] == lane.index)
        self.ledger = m.ledger.view(lane.index, c.rep, c.local)

    def _local(self, ids: np.ndarray) -> np.ndarray:
        return self.m.cols.local[ids].astype(np.int64)

    @property
    def warnings(self) -> list[tuple[float, int, float]]:
        """Early-warning flags as (time, customer id, score)."""
        return [
            (t, i, s)
            for ts, ids, sc in self.lane.warn_chunks
            for t, i, s in zip(ts.tolist(), self._local(ids).tolist(), sc.tolist(), strict=True)
        ]

    @property
    def churn_log(self) -> list[tuple[float, int]]:
        """Every churn as (time, customer id), in time order."""
        return self._mine(self.m.churn_events)

    @property
    def winback_log(self) -> list[tuple[float, int]]:
        """Every win-back as (time, customer id), in time order."""
        return self._mine(self.m.winback_events)

    def _mine(self, log: EventLog) -> list[tuple[float, int]]:
        """The lane's entries of a stack-wide log, with local ids, in time order."""
        ts, ids = log.joined()
        mine = self.m.cols.rep[ids] == self.lane.index
        return sorted(zip(ts[mine].tolist(), self._local(ids[mine]).tolist(), strict=True))

    def customer_columns(self) -> dict[str, np.ndarray]:
        """The lane's customers as columns, numbered as a lone run numbers them."""
        cols = self.m.customer_columns(self.ids)
        ref = cols["referrer"]
        cols["referrer"] = np.where(ref >= 0, self.m.cols.local[np.maximum(ref, 0)], -1)
        cols["customer_id"] = np.arange(self.ids.size, dtype=np.int64)
        return cols
