"""The vector engine's memory: customers as columns, scheduled events as per-customer slots.

:class:`Columns` holds one numpy array per customer attribute (compact dtypes where the
range allows), indexed by customer id, and grows by a quarter whenever acquisitions fill
it. :class:`Pool` holds each customer's *scheduled* events (care contacts, visits, follow-up
steps, ticket outcomes, win-back attempts, arrivals) in a small row of slots, so the
engine finds a customer's next scheduled event with one row minimum instead of a global
heap; the few customers with more pending events than a row holds keep the later ones in
a sorted spill list.
"""

from __future__ import annotations

import bisect
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.roster import RECORD_FIELDS
from sim.streams import PERSONAL

__all__ = ["COUNTERS", "FIELDS", "PAYLOAD", "Columns", "Kind", "Pool", "Status", "full", "layers"]

#: The counter column of each personal subsystem that draws during a run (sim.streams): the
#: population's traits are drawn once, at fixed slots, and need none.
COUNTERS: dict[str, str] = {name: f"k_{name}" for name in PERSONAL if name != "population"}

#: Per-customer columns: name → (dtype, initial value).
FIELDS: dict[str, tuple[Any, Any]] = {
    # Traits (fixed at acquisition). Those that only scale rates and sizes are float32
    # (7 significant digits, far finer than their spread); the ones the customers table
    # reports to compare engines customer for customer (lam, dropout_p, mu) stay float64.
    "segment": (np.int16, 0),
    "lam": (np.float64, 0.0),
    "lam_max": (np.float64, 0.0),
    "spend_p": (np.float32, 1.0),
    "spend_nu": (np.float32, 1.0),
    "dropout_p": (np.float64, 0.0),
    "mu": (np.float64, 0.0),
    "fee": (np.float64, 0.0),  # money: as exact as the agent engine's
    "price_sensitivity": (np.float32, 0.0),
    "complaint_propensity": (np.float32, 0.0),
    "preferred": (np.float32, 1.0),
    "referral_rate": (np.float32, 0.0),
    "service_rate": (np.float32, 0.0),
    "prior_value": (np.float32, 0.0),
    "channel": (np.int8, 0),
    "referrer": (np.int64, -1),
    # Stack: the customer's replication (lane) and its id within it (sim.vector_engine.lanes).
    "rep": (np.int16, 0),
    "local": (np.int32, 0),
    # Luck (sim.vector_engine.lanes.Luck): the customer's key, and the draws taken from each of
    # the customer's own streams (the counters of sim.streams; 2³² draws a stream).
    "key": (np.uint64, 0),
    **{column: (np.uint32, 0) for column in COUNTERS.values()},
    # Life.
    "status": (np.int8, 0),  # a Status
    "acquired": (np.float64, np.nan),
    "churned_at": (np.float64, np.nan),
    "churn_reason": (np.int8, -1),
    "cancel_intent": (np.int8, -1),
    "won_back": (np.int16, 0),
    "last_winback": (np.float64, -np.inf),
    "total_rate": (np.float64, 0.0),
    "t_life": (np.float64, np.inf),
    "t_renew": (np.float64, np.inf),
    "blocked": (np.float64, np.inf),  # arrival of a ticket the desk has not seated yet
    # Mind.
    "satisfaction": (np.float64, 0.0),
    "expectation": (np.float64, 0.0),
    "level": (np.int8, 0),
    "balance": (np.float64, 0.0),
    "balance_t": (np.float64, 0.0),
    "interactions": (np.int32, 0),
    "deposits": (np.float64, 0.0),
    "withdrawals": (np.float64, 0.0),
    "last_touch": (np.float64, 0.0),
    "last_contact": (np.float64, -np.inf),
    "last_failure": (np.float64, 0.0),
    "pre_failure_satisfaction": (np.float64, 0.0),
    "failures": (np.int32, 0),
    "complaints": (np.int32, 0),
    "recent_failures": (np.float64, 0.0),
    "recent_unresolved": (np.float64, 0.0),
    "recent_t": (np.float64, 0.0),
    # Purchases and money.
    "purchases": (np.int32, 0),
    "repeat": (np.int32, 0),
    "last_repeat": (np.float64, 0.0),
    "repeat_spend": (np.float64, 0.0),
    "revenue": (np.float64, 0.0),
    "margin": (np.float64, 0.0),
    "cost": (np.float64, 0.0),
    "clv": (np.float64, 0.0),
    "value": (np.float64, 0.0),
    "value_t": (np.float64, 0.0),
    "recent_margin": (np.float64, 0.0),
    "recent_cost": (np.float64, 0.0),
    "money_t": (np.float64, 0.0),
    "offer": (np.float64, 0.0),
    "offer_until": (np.float64, -np.inf),
    # The firm's record of each customer (agents.roster), kept beside the customer's own state.
    **RECORD_FIELDS,
}


def full(x: Any, n: int) -> np.ndarray:
    """``x`` as an array of length ``n`` (a scalar repeated)."""
    if isinstance(x, np.ndarray) and x.shape == (n,):
        return x
    return np.full(n, x)


def layers(ids: np.ndarray) -> list[np.ndarray]:
    """Positions of ``ids`` split into layers in which no id repeats.

    The j-th occurrence of each id is in layer j: a fancy-index update per layer applies
    every occurrence, where one update over all would silently drop repeats.
    """
    order = np.argsort(ids, kind="stable")
    ws = ids[order]
    first = np.ones(ws.size, dtype=bool)
    first[1:] = ws[1:] != ws[:-1]
    layer = np.arange(ws.size) - np.maximum.accumulate(np.where(first, np.arange(ws.size), 0))
    return [order[layer == j] for j in range(int(layer.max()) + 1)] if ids.size else []


class Columns:
    """One array per attribute, the first ``n`` entries in use; grows by a quarter."""

    def __init__(self, capacity: int, n_reasons: int) -> None:
        self.n = 0
        self.capacity = max(int(capacity), 16)
        self.arrays: dict[str, np.ndarray] = {
            name: np.full(self.capacity, init, dtype=dtype)
            for name, (dtype, init) in FIELDS.items()
        }
        # Withdrawals by reason (the customers table's top withdrawal), float32 to stay small.
        self.withdrawn_by = np.zeros((self.capacity, n_reasons), dtype=np.float32)
        # Plain attributes: the hot path reads them millions of times.
        self.__dict__.update(self.arrays)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> np.ndarray: ...

    def add(self, k: int) -> np.ndarray:
        """Reserve ``k`` new customers; returns their ids."""
        need = self.n + k
        if need > self.capacity:
            # A quarter more each time: at most a fifth of the rows idle (memory is the
            # limit at a million customers; copying is cheap next to simulating).
            cap = max(need, self.capacity + self.capacity // 4)
            # Column by column, each old array released as soon as it is copied: growing
            # then needs one column's extra memory, not a second copy of the whole table.
            for name, (dtype, init) in FIELDS.items():
                grown = np.full(cap, init, dtype=dtype)
                grown[: self.n] = self.arrays[name][: self.n]
                self.arrays[name] = self.__dict__[name] = grown
            wb = np.zeros((cap, self.withdrawn_by.shape[1]), dtype=np.float32)
            wb[: self.n] = self.withdrawn_by[: self.n]
            self.withdrawn_by = wb
            self.capacity = cap
        ids = np.arange(self.n, need, dtype=np.int64)
        self.n = need
        return ids

    def nbytes(self) -> int:
        """Memory held by the columns (capacity, not only the customers in use)."""
        return sum(a.nbytes for a in self.arrays.values()) + self.withdrawn_by.nbytes


class Status(IntEnum):
    """Where a customer is in its life (the ``status`` column)."""

    reserved = 0  # traits drawn, arrival scheduled, not yet arrived
    active = 1
    gone = 2  # churned (a win-back makes the customer active again)


class Kind(IntEnum):
    """Kinds of scheduled event (the pool's ``kind`` code)."""

    arrive = 0
    care = 1
    missed = 2  # a promised account-manager visit that capacity could not cover
    visit = 3
    step = 4  # a follow-up step
    recurring = 5  # a recurring follow-up contact
    service_done = 6
    service_again = 7  # not resolved at first contact: the customer comes back
    complaint_fixed = 8
    complaint_open = 9  # not resolved
    win_back = 10
    resolved_fixed = 11  # a complaint's outcome, its resolution time after the desk's finish
    resolved_open = 12


#: What each kind's two payload slots (``a``, ``b``) hold; "" is an unused slot. Events are
#: scheduled by these names (:meth:`Pool.schedule`) and handlers take them by these names.
PAYLOAD: dict[Kind, tuple[str, str]] = {
    Kind.arrive: ("channel", ""),
    Kind.care: ("deposit", "reason"),
    Kind.missed: ("", ""),
    Kind.visit: ("deposit", ""),
    Kind.step: ("deposit", "step"),
    Kind.recurring: ("", "generation"),  # generation: the won_back count it belongs to
    Kind.service_done: ("wait", "arrival"),
    Kind.service_again: ("wait", "arrival"),
    Kind.complaint_fixed: ("wait", "opened"),
    Kind.complaint_open: ("wait", "opened"),
    Kind.win_back: ("reason", "generation"),
    Kind.resolved_fixed: ("", "opened"),
    Kind.resolved_open: ("", "opened"),
}


class Pool:
    """Scheduled events: each customer's earliest ``width`` in a row of slots, the rest spilled.

    ``inf`` marks a free slot. Rows have a fixed width: a customer with more pending events
    than that (a key account with a month of visits and care contacts ahead) keeps its
    earliest ones in its row and the later ones in a small sorted spill list, which refills
    the row as slots free. Every spilled event is later than every event in its row, so the
    row minimum (``next``) is always the customer's next event, and memory per customer does
    not grow with the busiest customer's schedule.
    """

    def __init__(self, capacity: int, width: int = 4) -> None:
        self.t = np.full((capacity, width), np.inf)
        self.kind = np.zeros((capacity, width), dtype=np.int8)
        self.a = np.zeros((capacity, width))
        self.b = np.zeros((capacity, width))
        self.next = np.full(capacity, np.inf)  # each row's minimum
        self.spilled = np.zeros(capacity, dtype=bool)
        # customer → its later events as (time, sequence, kind, a, b), sorted; the sequence
        # keeps equal times first-in, first-out.
        self.spill: dict[int, list[tuple[float, int, int, float, float]]] = {}
        self._seq = 0

    def resize(self, capacity: int) -> None:
        """Follow the columns' capacity."""
        old = self.t.shape[0]
        if capacity <= old:
            return
        w = self.t.shape[1]
        for name, fill in (("t", np.inf), ("kind", 0), ("a", 0.0), ("b", 0.0)):
            grown = np.full((capacity, w), fill, dtype=getattr(self, name).dtype)
            grown[:old] = getattr(self, name)
            setattr(self, name, grown)
        nxt = np.full(capacity, np.inf)
        nxt[:old] = self.next
        self.next = nxt
        spilled = np.zeros(capacity, dtype=bool)
        spilled[:old] = self.spilled
        self.spilled = spilled

    def schedule(self, who: np.ndarray, t: Any, kind: Kind, **payload: Any) -> None:
        """Schedule events of one kind, their payload given by the names of :data:`PAYLOAD`."""
        names = PAYLOAD[kind]
        unknown = set(payload) - set(names)
        if unknown:
            raise TypeError(f"{kind.name} events carry {names}, not {sorted(unknown)}")
        self.push(who, t, kind, payload.get(names[0], 0.0), payload.get(names[1], 0.0))

    def push(
        self, who: np.ndarray, t: np.ndarray, kind: int | np.ndarray, a: Any = 0.0, b: Any = 0.0
    ) -> None:
        """Schedule events with raw payload slots; :meth:`schedule` names them.

        ``who`` may repeat a customer: each event gets its own slot.
        """
        who = np.asarray(who, dtype=np.int64)
        if who.size == 0:
            return
        t, kind_a, a_a, b_a = (full(x, who.size) for x in (t, kind, a, b))
        if who.size == 1 or (np.diff(who) > 0).all():
            self._push_unique(who, t, kind_a, a_a, b_a)
            return
        for sel in layers(who):
            self._push_unique(who[sel], t[sel], kind_a[sel], a_a[sel], b_a[sel])

    def _push_unique(
        self, who: np.ndarray, t: np.ndarray, kind: np.ndarray, a: np.ndarray, b: np.ndarray
    ) -> None:
        free = np.isinf(self.t[who])
        room = free.any(axis=1)
        if not room.all():
            for j in np.flatnonzero(~room).tolist():
                self._push_full(int(who[j]), float(t[j]), int(kind[j]), float(a[j]), float(b[j]))
            who, t, kind, a, b, free = (x[room] for x in (who, t, kind, a, b, free))
        slot = free.argmax(axis=1)
        self.t[who, slot] = t
        self.kind[who, slot] = kind
        self.a[who, slot] = a
        self.b[who, slot] = b
        self.next[who] = np.minimum(self.next[who], t)

    def _push_full(self, who: int, t: float, kind: int, a: float, b: float) -> None:
        """One event for a customer whose row is full: it, or the row's latest, spills."""
        self._seq += 1
        j = int(self.t[who].argmax())
        late = float(self.t[who, j])
        if t < late:
            # The new event is earlier than the row's latest: swap them.
            out = (late, self._seq, int(self.kind[who, j]), float(self.a[who, j]),
                   float(self.b[who, j]))  # fmt: skip
            self.t[who, j], self.kind[who, j], self.a[who, j], self.b[who, j] = t, kind, a, b
            self.next[who] = min(float(self.next[who]), t)
        else:
            out = (t, self._seq, kind, a, b)
        bisect.insort(self.spill.setdefault(who, []), out)
        self.spilled[who] = True

    def pop(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return each customer's earliest event: (time, kind, a, b)."""
        rows = self.t[who]
        slot = rows.argmin(axis=1)
        t = rows[np.arange(who.size), slot]
        kind = self.kind[who, slot]
        a = self.a[who, slot]
        b = self.b[who, slot]
        self.t[who, slot] = np.inf
        refill = np.flatnonzero(self.spilled[who])
        for j in refill.tolist():
            c, s = int(who[j]), int(slot[j])
            later = self.spill[c]
            self.t[c, s], _, self.kind[c, s], self.a[c, s], self.b[c, s] = later.pop(0)
            if not later:
                del self.spill[c]
                self.spilled[c] = False
        self.next[who] = self.t[who].min(axis=1)
        return t, kind, a, b

    def take(
        self, kinds: tuple[Kind, ...], where: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return the pending events of ``kinds`` that ``where`` selects.

        ``where(who, t, a, b)`` gets the candidates' arrays and returns which to take.
        Returns ``(who, t, kind, a, b)``, ordered by customer, then time. Used between two
        periods only (a retune of the desk, :mod:`sim.vector_engine.retune`), never in the
        event loop.
        """
        codes = np.array([int(k) for k in kinds], dtype=self.kind.dtype)
        cand = np.isin(self.kind, codes) & np.isfinite(self.t)
        rows, slots = np.nonzero(cand)
        hit = where(rows, self.t[rows, slots], self.a[rows, slots], self.b[rows, slots])
        rows, slots = rows[hit], slots[hit]
        got = self.t[rows, slots], self.kind[rows, slots], self.a[rows, slots], self.b[rows, slots]
        spilled: list[tuple[int, float, int, float, float]] = []
        self.t[rows, slots] = np.inf
        for cid, later in list(self.spill.items()):
            one = np.array([cid])
            keep = []
            for ev in later:
                at, _, code, pa, pb = ev
                if code in codes and where(one, np.array([at]), np.array([pa]), np.array([pb]))[0]:
                    spilled.append((cid, at, code, pa, pb))
                else:
                    keep.append(ev)
            self.spill[cid] = keep
        # Refill the rows that lost events from their spill (still later than the row).
        for cid in np.unique(rows).tolist():
            later = self.spill.get(cid, [])
            while later and np.isinf(self.t[cid]).any():
                j = int(np.isinf(self.t[cid]).argmax())
                self.t[cid, j], _, self.kind[cid, j], self.a[cid, j], self.b[cid, j] = later.pop(0)
        for cid in [cid for cid, later in self.spill.items() if not later]:
            del self.spill[cid]
            self.spilled[cid] = False
        if rows.size:
            self.next[rows] = self.t[rows].min(axis=1)
        extra = np.array(spilled, dtype=float).reshape(-1, 5)
        who = np.concatenate([rows, extra[:, 0].astype(np.int64)])
        t = np.concatenate([got[0], extra[:, 1]])
        kind = np.concatenate([got[1].astype(np.int64), extra[:, 2].astype(np.int64)])
        a, b = np.concatenate([got[2], extra[:, 3]]), np.concatenate([got[3], extra[:, 4]])
        order = np.lexsort((t, who))
        return who[order], t[order], kind[order], a[order], b[order]

    def pending(self, who: int) -> int:
        """Number of events scheduled for customer ``who`` (row and spill)."""
        return int(np.isfinite(self.t[who]).sum()) + len(self.spill.get(who, ()))

    def nbytes(self) -> int:
        """Memory held by the slots and (approximately, 100 B an event) the spill."""
        rows = self.t.nbytes + self.kind.nbytes + self.a.nbytes + self.b.nbytes
        spill = 100 * sum(len(v) for v in self.spill.values())
        return rows + self.next.nbytes + self.spilled.nbytes + spill
