"""Round levers on the vector engine: a run's levers changed at a period start.

:func:`sim.scenario.retune.retuned` writes the class's decision onto the scenario (and
explains the rules of each lever); this module applies it to a running
:class:`sim.vector_engine.model.VectorModel` between two periods, to every lane of a stack
alike. The model's ``sc``/``scenario`` and ``ctx`` become the retuned ones, and what the
engine derived from them is brought along:

* **List price.** A new list price is a price move at ``t0`` made by the same code as a
  scheduled move (:func:`move_prices`), so a retune at period ``k`` and a scheduled move on
  day ``k × period`` give the same run, number for number.
* **Staff.** The desk seats a day's tickets as soon as it can, so at ``t0`` it has already
  given the tickets still queued their (future) start on the old servers. A retune takes
  those seatings back — their outcome events out of the pool, their waits and busy time out
  of the coming periods' tallies — sets the servers' free times to what they are at ``t0``
  (busy ones until their ticket ends, the rest free), joins or removes servers and seats the
  taken-back tickets again, first come, first served: the agent engine's SimPy resource does
  the same at ``t0`` (:class:`sim.agent_engine.processes.Staff`). Servers that leave are
  the first to be free: a busy one finishes its ticket in hand.
* **Complaint handling.** A complaint keeps the handling it was voiced under: the desk and
  the outcome look the handling up by the complaint's opening day (:class:`Retunes`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.context import Context
from sim.errors import UserError
from sim.scenario.retune import context, retuned
from sim.vector_engine import reactions as r
from sim.vector_engine.columns import Kind

if TYPE_CHECKING:
    from sim.vector_engine.lanes import Lane
    from sim.vector_engine.model import VectorModel

__all__ = ["DESK_KINDS", "Retunes", "move_prices", "retune"]

#: The pool's ticket outcomes, each seated by the desk: payload (wait, arrival or opening).
DESK_KINDS = (Kind.service_done, Kind.service_again, Kind.complaint_fixed, Kind.complaint_open)

#: The context's complaint-handling constants, fixed for a complaint when it is voiced.
_HANDLING = ("handling", "resolve_p", "effort", "resolution_mean", "resolution_cv")


class Retunes:
    """A run's contexts over time, and the price moves retunes asked for.

    A plain run has one context and no moves; every lookup is then the context's own value.

    Args:
        ctx: the run's context at the start.
    """

    def __init__(self, ctx: Context) -> None:
        self.starts: list[float] = []  # day each later context took over
        self.contexts: list[Context] = [ctx]
        self.moves: list[tuple[float, float]] = []  # (day, new list price)

    def add(self, t0: float, ctx: Context) -> None:
        """``ctx`` is in force from ``t0`` (for complaints voiced after ``t0``)."""
        if any(getattr(ctx, f) != getattr(self.contexts[-1], f) for f in _HANDLING):
            self.starts.append(t0)
            self.contexts.append(ctx)

    def voiced(self, opened: np.ndarray) -> Iterator[tuple[Context, Any]]:
        """The contexts complaints opened at ``opened`` were voiced under, with their positions.

        A complaint voiced on a retune's day itself was voiced before it (the launch cohort's
        on day 0 while the model was built; later ones on the very day have probability 0).
        """
        if not self.starts:
            yield self.contexts[0], slice(None)
            return
        which = np.searchsorted(np.asarray(self.starts), opened, side="left")
        for j in np.unique(which).tolist():
            yield self.contexts[j], which == j

    def resolve_p(self, opened: np.ndarray) -> Any:
        """The chance of resolution of complaints opened at ``opened``."""
        if not self.starts:
            return self.contexts[0].resolve_p
        p = np.array([c.resolve_p for c in self.contexts])
        return p[np.searchsorted(np.asarray(self.starts), opened, side="left")]


def retune(m: VectorModel, levers: Mapping[str, object]) -> None:
    """Set round ``levers`` from the start of the next period (see the module docstring)."""
    sc = m.sc
    k = m.periods_done
    if k >= sc.n_periods:
        raise UserError(
            f"the run has finished its {sc.n_periods} periods: no period is left to retune"
        )
    new = retuned(sc, levers)
    if new == sc:
        return
    t0 = k * sc.period
    ctx = context(new, m.ctx)
    staff = new.strategy.service.staff
    if staff != sc.strategy.service.staff and staff is not None:
        for lane in m.lanes:
            _restaff(m, lane, staff, t0)
    price = new.strategy.pricing.list_price
    if price != sc.strategy.pricing.list_price:
        m.retunes.moves.append((t0, price))
    m.retunes.add(t0, ctx)
    m.sc = m.scenario = new
    m.ctx = ctx
    for lane in m.lanes:
        lane.books.scenario = new
    # Read by level on every event: from the ladder, which no round lever changes.
    m.wallet_by_level = np.asarray(ctx.wallet, dtype=float)
    m.hazard_by_level = np.asarray(ctx.hazard, dtype=float)
    m.price_sens_by_level = np.asarray(ctx.price_sens, dtype=float)


def move_prices(m: VectorModel, t0: float, t1: float) -> None:
    """Make the list-price moves of [t0, t1): the scheduled ones, then a retune's.

    Each is applied to every active customer at its day, after every event before it.
    """
    due = sorted(m.sc.strategy.pricing.changes, key=lambda ch: ch.at)
    moves = [(ch.at, ch.to) for ch in due] + m.retunes.moves
    for at, to in moves:
        if t0 <= at < t1:
            m.advance(at)
            old = m.list_price
            m.list_price = to
            r.price_change(m, m.active_ids(), at, to / old - 1.0)


def _restaff(m: VectorModel, lane: Lane, staff: int, t0: float) -> None:
    """``lane``'s desk has ``staff`` servers from ``t0``; its queue seated again."""
    desk = lane.desk
    old = desk.staff
    assert old is not None  # retuned() refuses switching to or from an unbounded desk
    c = m.cols
    mine = lane.index

    def queued(who: np.ndarray, t: np.ndarray, wait: np.ndarray, arr: np.ndarray) -> Any:
        return (c.rep[who] == mine) & (arr + wait >= t0)

    who, end, kind, wait, arrival = m.pool.take(DESK_KINDS, queued)
    # Free times at t0: the servers busy with a ticket started before t0 until it ends.
    busy = _in_service(m, mine, t0)
    free = sorted([*busy, *[t0] * (old - len(busy))])
    free = free[old - staff :] if staff < old else free + [t0] * (staff - old)
    heapq.heapify(free)
    desk.free = free
    desk.staff = staff
    # The coming periods' waits and busy time were only those of the tickets taken back and
    # of the services under way at t0.
    k = int(t0 // m.sc.period)
    for j in range(k, len(desk.waits)):
        desk.waits[j] = []
    desk.busy_area[k:] = 0.0
    if busy:
        ends = np.array(busy)
        desk.add_busy(np.full(ends.size, t0), ends, np.full(ends.size, k, dtype=np.int64))
    if not who.size:
        return
    service = end - (arrival + wait)
    order = np.lexsort((who, arrival))  # first come, first served; ties to the lower id
    who, end, kind, arrival, service = (x[order] for x in (who, end, kind, arrival, service))
    start = np.empty(who.size)
    for i, s in enumerate(service.tolist()):
        start[i] = max(float(arrival[i]), heapq.heappop(free))
        heapq.heappush(free, start[i] + s)
    new_end = start + service
    desk._stats(start, new_end, start - arrival)
    m.pool.push(who, new_end, kind, start - arrival, arrival)
    # A ticket not resolved at first contact comes back when it ends: at its new end.
    again = kind == Kind.service_again
    if again.any():
        moved = dict(zip(zip(who[again].tolist(), end[again].tolist(), strict=True),
                         new_end[again].tolist(), strict=True))  # fmt: skip
        rows = []
        for row in desk.waiting:
            t = moved.get((row[1], row[0]))
            if t is not None and not row[2]:
                if c.blocked[row[1]] == row[0]:
                    c.blocked[row[1]] = t
                row = (t, *row[1:])
            rows.append(row)
        heapq.heapify(rows)
        desk.waiting = rows


def _in_service(m: VectorModel, lane: int, t0: float) -> list[float]:
    """End times of ``lane``'s tickets started before ``t0`` and still being served."""
    c = m.cols
    pool = m.pool
    codes = [int(k) for k in DESK_KINDS]
    r_, s_ = np.nonzero(np.isin(pool.kind, codes) & np.isfinite(pool.t))
    ok = (c.rep[r_] == lane) & (pool.b[r_, s_] + pool.a[r_, s_] < t0) & (pool.t[r_, s_] > t0)
    ends = pool.t[r_, s_][ok].tolist()
    for who, later in pool.spill.items():
        if c.rep[who] == lane:
            ends += [t for t, _, kind, a, b in later if kind in codes and b + a < t0 < t]
    return ends
