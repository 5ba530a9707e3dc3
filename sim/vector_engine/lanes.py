"""Replication stacking: many replications of one scenario in one vector-engine pass.

A stack is the disjoint union of ``R`` worlds in one set of columns: each customer carries
its replication (the ``rep`` column, its *lane*) and its id within that replication (the
``local`` column). Customers of different lanes never meet — the desk, the policies, the
books and every random stream are per lane — so the rounds of :mod:`sim.vector_engine.model` process
all lanes at once and pay their fixed per-round cost once instead of ``R`` times.

Stacking changes nothing about any replication: each lane draws from its own streams,
spawned from its own seed exactly as a single run's. A customer's draws come from their own
streams (:class:`Luck`), a pure function of the lane's seed, their key and
their counter, so the batch they are drawn in does not matter; the firm's draws (the plan,
the channels' arrival times) come from the lane's sequential streams, drawn lane by lane
(:class:`Split` splits a batch by lane, keeping each lane's customers in id order; the
desk seats a lane's day when *that lane's* customers are past it). Per-lane money sums
are accumulated element by element in id order, so even float totals are bit-equal.
Replication ``i`` of a stack is therefore byte-identical to ``sim.run(scenario,
seed_i, engine="vector")``: the test suite checks it, and experiments may stack in any
grouping without changing a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.rng import Streams
from sim.streams import (
    CHANNEL_CODES,
    PERSONAL,
    PersonalStreams,
    exponential,
    gamma,
    normal,
    run_words,
    uniform,
)
from sim.vector_engine.columns import COUNTERS

if TYPE_CHECKING:
    from sim.results.books import Books
    from sim.scenario.spec import Scenario
    from sim.vector_engine.desk import TicketDesk
    from sim.vector_engine.model import VectorModel

__all__ = ["BUFFERED", "STREAMS", "EventLog", "Lane", "LaneView", "Luck", "Split"]

#: The firm's sequential random streams of a lane: the plan's (agents.plan.PLAN_STREAMS)
#: and the Bass adoption times. Everything about one customer is drawn from that
#: customer's own streams instead (:class:`Luck`).
STREAMS = ("acquisition", "referrals", "plan", "bass")


#: Customers refilled per generator call, at most.
REFILL_CHUNK = 8192


class Lane:
    """One replication in a stack: its seed streams, books, desk and firm-side state."""

    def __init__(self, m: VectorModel, index: int, seed: Any) -> None:
        from sim.results.books import Books
        from sim.vector_engine.desk import TicketDesk

        self.m = m
        self.index = index
        self.streams = streams = Streams(seed)
        self.rng = {name: streams.generator(name) for name in STREAMS}
        self.books: Books = Books(m.sc)
        self.desk: TicketDesk = TicketDesk(m, self)
        self.n = 0  # customers reserved so far (the next local id)
        # Arrivals reserved so far per channel: the next one's ordinal in its customer key.
        self.arrived = dict.fromkeys(CHANNEL_CODES, 0)
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
    """A batch of customer ids split by lane, each lane's part in id order.

    In a single-lane run the split is free: the one group is the whole batch.
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


#: Words kept ahead per customer for the subsystems an event round draws from most, about
#: in proportion to what a busy buyer's event takes (three for the life race, one spend, two
#: or three for the experience, one for dropout or a review), so that they run out together:
#: 32 words, 256 bytes a customer.
BUFFERED = {"purchases": 16, "spend": 4, "experience": 8, "churn": 4}


class Luck:
    """Every customer's own random streams on the vector engine (one lane, or a stack).

    Each column row carries its customer's key (``key``, :func:`sim.streams.customer_key`)
    and a counter per personal subsystem (``k_<subsystem>``,
    :data:`sim.vector_engine.columns.COUNTERS`): the draws that customer has taken from it.
    A batch's next numbers come from those streams (:mod:`sim.streams`) and advance the
    counters, so a customer's draws are the same whichever customers share the batch,
    whichever lane of a stack it is in, and whatever order the rounds take them in; the
    agent engine draws the same numbers one at a time
    (:class:`sim.agent_engine.processes.CustomerDraws`). In a stack each lane's streams
    have the lane's own keys, picked per row by the ``rep`` column.

    Each call into the generator, and each gather of a batch's counters, costs a few
    microseconds whatever its size, and the rounds at the end of a period are a handful of
    customers each, so for the :data:`BUFFERED` subsystems each customer keeps its next
    words ahead: when one customer of a batch runs short, every buffer under half full of
    every customer in the batch is refilled, in every buffered subsystem (a compiled call
    each, :func:`sim.streams.run_words`), and the next rounds find their numbers waiting.
    Drawing ahead is always right: a word is a pure function of the customer and the draw
    number.

    Args:
        m: the model, whose columns hold the keys and counters.
        roots: each lane's root ``SeedSequence``, in lane order.
    """

    def __init__(self, m: VectorModel, roots: Sequence[np.random.SeedSequence]) -> None:
        self.m = m
        self.lanes = [PersonalStreams(root, PERSONAL) for root in roots]
        # Per subsystem: one key for a lone run, else a key row per lane.
        self.keys = {
            name: self.lanes[0].keys[name] if len(roots) == 1
            else np.stack([s.keys[name] for s in self.lanes])
            for name in PERSONAL
        }  # fmt: skip
        # Each row's next words, at the end of its buffer row, and how many are left.
        self._buf = {name: np.zeros((0, w), dtype=np.uint64) for name, w in BUFFERED.items()}
        self._left = {name: np.zeros(0, dtype=np.int16) for name in BUFFERED}

    def _key(self, name: str, ix: np.ndarray) -> np.ndarray:
        key = self.keys[name]
        return key if key.ndim == 1 else key[self.m.cols.rep[ix]]

    def words(self, name: str, ix: np.ndarray, n: int) -> np.ndarray:
        """The next ``n`` words of each customer's stream ``name`` (``ix`` unique): ``(len, n)``."""
        counter = getattr(self.m.cols, COUNTERS[name])
        k = counter[ix]
        if name not in BUFFERED:
            counter[ix] = k + np.uint64(n)
            return run_words(self._key(name, ix), self.m.cols.key[ix], k, n)
        # Refills read the counters: they move only once the words are taken.
        left = self._ensure(name, ix, n)
        words = self._buf[name][ix[:, None], (BUFFERED[name] - left)[:, None] + np.arange(n)]
        self._left[name][ix] = left - n
        counter[ix] = k + np.uint64(n)
        return words

    def _ensure(self, name: str, ix: np.ndarray, n: int) -> np.ndarray:
        """At least ``n`` words ahead for each of ``ix`` in ``name``; returns how many."""
        if self._buf[name].shape[0] < self.m.cols.capacity:
            self._grow()
        left = self._left[name][ix]
        if (left < n).any():
            self._refill(name, ix, n)
            left = self._left[name][ix]
        return left

    def top_up(self, ix: np.ndarray) -> None:
        """Refill every buffer under half full of customers ``ix`` (a period's start)."""
        if self._buf[next(iter(BUFFERED))].shape[0] < self.m.cols.capacity:
            self._grow()
        self._refill("", ix, 0)

    def _refill(self, name: str, ix: np.ndarray, n: int) -> None:
        """Refill, for customers ``ix``, every buffer under half full (``name``'s under ``n``)."""
        if ix.size > REFILL_CHUNK:
            # A million customers at a period start: a generator call's arrays stay small.
            for at in range(0, ix.size, REFILL_CHUNK):
                self._refill(name, ix[at : at + REFILL_CHUNK], n)
            return
        c = self.m.cols
        for other, width in BUFFERED.items():
            low = self._left[other][ix] < max(n if other == name else 0, width // 2)
            rows = ix[low]
            if rows.size:
                k = getattr(c, COUNTERS[other])[rows]
                self._buf[other][rows] = run_words(self._key(other, rows), c.key[rows], k, width)
                self._left[other][rows] = width

    def _grow(self) -> None:
        cap = self.m.cols.capacity
        for name, width in BUFFERED.items():
            buf, left = self._buf[name], self._left[name]
            self._buf[name] = np.zeros((cap, width), dtype=np.uint64)
            self._buf[name][: buf.shape[0]] = buf
            self._left[name] = np.zeros(cap, dtype=np.int16)
            self._left[name][: left.size] = left

    def nbytes(self) -> int:
        """Memory held by the words kept ahead."""
        return sum(b.nbytes + self._left[name].nbytes for name, b in self._buf.items())

    def uniform(self, name: str, ix: np.ndarray) -> np.ndarray:
        """Each customer's next uniform on [0, 1)."""
        return uniform(self.words(name, ix, 1)[:, 0])

    def exponential(self, name: str, ix: np.ndarray) -> np.ndarray:
        """Each customer's next standard exponential (one draw)."""
        return exponential(self.words(name, ix, 1)[:, 0])

    def normal(self, name: str, ix: np.ndarray) -> np.ndarray:
        """Each customer's next standard normal (one draw)."""
        return normal(self.words(name, ix, 1)[:, 0])

    def gamma(self, name: str, ix: np.ndarray, shape: np.ndarray) -> np.ndarray:
        """Each customer's next standard gamma of ``shape`` (one draw)."""
        return gamma(shape, self.words(name, ix, 1)[:, 0])
