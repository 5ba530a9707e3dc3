"""The vector engine's service desk: first come, first served on ``staff`` servers.

A ticket's wait depends on every ticket that arrived before it, so the desk is where the
vector engine's customers meet inside a period. It does so by **desk days** of ``WINDOW``
days: a customer who opens a ticket is blocked at its arrival while everybody else runs
on; once every unblocked customer has been simulated past the end of the earliest waiting
ticket's day, the desk seats that day's tickets in arrival order (ties to the lower
customer id) on the server that frees first — exactly as the agent engine's SimPy resource
would — and each outcome becomes a scheduled event at its own completion time, so the
customer resumes with the outcome in its proper place (a complaint's outcome may then wait
its resolution time, :mod:`sim.vector_engine.dispatch`).

The draws that decide a ticket (service time; first-contact or complaint resolution) are
taken when it opens. A ticket not resolved at first contact therefore comes back at its
own end *inside the same seating*, in its first-come first-served place among the other
tickets. Two approximations remain, both declared in docs/design.md:

* a customer who opens a second, unrelated ticket in the window in which its first was
  seated queues behind that window's tickets that arrived after it (a second failure the
  same day: rare);
* a returning ticket of a customer who left before it came back still occupies a server
  (it is not counted, costed or felt) — the agent engine would not have opened it.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from sim.streams import exponential, uniform
from sim.vector_engine.columns import Kind

if TYPE_CHECKING:
    from sim.vector_engine.lanes import Lane
    from sim.vector_engine.model import VectorModel

__all__ = ["WINDOW", "TicketDesk", "flush_seated", "seat_days"]

#: Length of a desk window, days: a day, the rhythm in which service promises are kept.
WINDOW = 1.0

Row = tuple[float, int, bool, float, float, float]


class TicketDesk:
    """One lane's servers' free times, waiting tickets and per-period waits and busy time."""

    def __init__(self, m: VectorModel, lane: Lane) -> None:
        sc = m.sc
        self.m = m
        self.lane = lane
        self.staff = sc.strategy.service.staff
        self.free: list[float] = [0.0] * (self.staff or 0)
        self.waiting: list[Row] = []
        self.busy_area = np.zeros(sc.n_periods)
        self.waits: list[list[float]] = [[] for _ in range(sc.n_periods)]
        # Period ends as the engine closes them: the last one at the horizon.
        edges = np.arange(1, sc.n_periods + 1) * sc.period
        edges[-1] = min(sc.horizon, edges[-1])
        self._edges = edges, np.concatenate(([0.0], edges[:-1]))

    def _draw(self, ids: np.ndarray, complaint: bool) -> tuple[np.ndarray, np.ndarray]:
        """A ticket's luck, from its customer's service stream: handling time, resolution."""
        m = self.m
        w = m.luck.words("service", ids, 2)
        effort = m.ctx.effort if complaint else 1.0
        service = exponential(w[:, 0]) * m.sc.strategy.service.handling_time * effort
        return service, uniform(w[:, 1])

    def open(self, ids: np.ndarray, t: np.ndarray, complaint: bool, opened: np.ndarray) -> None:
        """Tickets arrive at ``t``; their customers wait until the desk seats them."""
        service, u = self._draw(ids, complaint)
        self.m.cols.blocked[ids] = np.minimum(self.m.cols.blocked[ids], t)
        for row in zip(t.tolist(), ids.tolist(), opened.tolist(), service.tolist(), u.tolist(),
                       strict=True):  # fmt: skip
            heapq.heappush(self.waiting, (row[0], row[1], complaint, row[2], row[3], row[4]))
        if self.staff is None:
            # Unbounded desk: nobody waits, so nothing couples customers; seat at once.
            self.seat(np.inf)
            flush_seated(self.m)

    def seat(self, before: float) -> np.ndarray:
        """Seat, in arrival order, every waiting ticket that arrived before ``before``.

        The outcomes are queued on the model (``m.seated``) and scheduled by
        :func:`flush_seated`, once for every lane that seated in the same pass.

        Returns:
            The customers whose tickets were seated (unblocked unless a returning ticket
            of theirs still waits).
        """
        m = self.m
        c = m.cols
        fcr = m.sc.strategy.service.first_contact_resolution
        rows: dict[bool, list[tuple[int, float, float, float, float, float]]] = {
            False: [], True: []
        }  # fmt: skip
        done: list[int] = []
        while self.waiting and self.waiting[0][0] < before:
            a, cid, complaint, opened, service, u = heapq.heappop(self.waiting)
            start = max(a, heapq.heappop(self.free)) if self.staff is not None else a
            end = start + service
            if self.staff is not None:
                heapq.heappush(self.free, end)
            rows[complaint].append((cid, a, start, end, opened, u))
            done.append(cid)
            c.blocked[cid] = np.inf
            if not complaint and u >= fcr:
                # Not resolved at first contact: the customer comes back when it ends.
                s2, u2 = self._draw(np.array([cid]), False)
                heapq.heappush(self.waiting, (end, cid, False, opened, float(s2[0]), float(u2[0])))
                c.blocked[cid] = end
        # Service tickets first, then complaints (the order outcomes are scheduled in).
        seated = rows[False] + rows[True]
        if seated:
            ids, a_, s_, e_, o_, u_ = (np.array(x) for x in zip(*seated, strict=True))
            wait = s_ - a_
            self._stats(s_, e_, wait)
            k = len(rows[False])
            ids = ids.astype(np.int64)
            if k:
                kind = np.where(u_[:k] < fcr, Kind.service_done, Kind.service_again)
                m.seated[False].append((ids[:k], e_[:k], kind, wait[:k], a_[:k]))
            if k < len(seated):
                # Judged by the handling the complaint was voiced under (a retune may follow).
                fixed = u_[k:] < m.retunes.resolve_p(o_[k:])
                kind = np.where(fixed, Kind.complaint_fixed, Kind.complaint_open)
                m.seated[True].append((ids[k:], e_[k:], kind, wait[k:], o_[k:]))
        return np.unique(np.array(done, dtype=np.int64))

    def _stats(self, start: np.ndarray, end: np.ndarray, wait: np.ndarray) -> None:
        sc = self.m.sc
        edges = self._edges[0]
        # A ticket seated before the horizon may start after it, behind a queue: its wait
        # and service fall in no period of the run (as on the agent engine, whose clock
        # stops first), not in the last one, which must not depend on the horizon.
        inside = start < edges[-1]
        if not inside.all():
            start, end, wait = start[inside], end[inside], wait[inside]
            if not start.size:
                return
        first = np.minimum((start // sc.period).astype(np.int64), sc.n_periods - 1)
        if first[0] == first[-1] and (first == first[0]).all():
            self.waits[int(first[0])].extend(wait.tolist())
        else:
            for k, w in zip(first.tolist(), wait.tolist(), strict=True):
                self.waits[k].append(w)
        if self.staff is not None:
            self.add_busy(start, end, first)

    def add_busy(self, start: np.ndarray, end: np.ndarray, first: np.ndarray) -> None:
        """Busy server time of services [start, end) by period, ``first`` their start's."""
        sc = self.m.sc
        edges, lo = self._edges
        # Busy server time by period (a service can straddle a period's end).
        last = np.minimum(np.searchsorted(edges, end, side="left"), sc.n_periods - 1)
        one = first == last
        area = np.maximum(np.minimum(end, edges[first]) - np.maximum(start, lo[first]), 0.0)
        np.add.at(self.busy_area, first[one], area[one])
        for k0, k1, s, e in zip(first[~one].tolist(), last[~one].tolist(),
                                start[~one].tolist(), end[~one].tolist(), strict=True):  # fmt: skip
            for k in range(k0, k1 + 1):
                self.busy_area[k] += max(min(e, edges[k]) - max(s, lo[k]), 0.0)

    def utilisation(self, k: int, length: float) -> float:
        """Share of the servers' time busy in period ``k``."""
        return self.busy_area[k] / (self.staff * length) if self.staff else float("nan")


def seat_days(
    m: VectorModel, due: list[Lane], busy: np.ndarray, nxt: np.ndarray, until: float
) -> np.ndarray:
    """Seat every desk day whose lane has all its unblocked customers past it.

    ``busy`` are the customers still running before ``until`` and ``nxt`` their next event
    times; ``due`` the lanes with a ticket waiting before ``until``. After a day is seated,
    the customers it unblocks join the lane's runners and the lane looks again: its next day
    is seated too if they are all past it. Seating changes only the seated customers, so
    updating the lane's earliest next event with theirs is the same as looking at every
    runner again.

    Returns:
        ``busy`` with the unblocked customers who have an event before ``until``.
    """
    c = m.cols
    low = _low(m, busy, nxt)
    added = []
    while due:
        # One day per lane at a time, the outcomes of all lanes scheduled together.
        seated = []
        for ln in due:
            desk = ln.desk
            if desk.waiting and desk.waiting[0][0] < until:
                day_end = min((desk.waiting[0][0] // WINDOW + 1.0) * WINDOW, until)
                if low[ln.index] >= day_end:
                    seated.append((ln, desk.seat(day_end)))
        if not seated:
            break
        flush_seated(m)
        new = np.concatenate([ids for _, ids in seated])
        nn = m.next_times(new)
        ok = nn < np.minimum(c.blocked[new], until)
        if ok.any():
            new, nn = new[ok], nn[ok]
            if m.n_lanes == 1:
                low[0] = min(low[0], float(nn.min()))
            else:
                np.minimum.at(low, c.rep[new], nn)
            added.append(new)
        due = [ln for ln, _ in seated]
    return np.union1d(busy, np.concatenate(added)) if added else busy


def flush_seated(m: VectorModel) -> None:
    """Schedule the outcomes of the tickets the desks just seated (services first)."""
    for complaint in (False, True):
        parts = m.seated[complaint]
        if not parts:
            continue
        if len(parts) == 1:
            ids, end, kind, a, b = parts[0]
        else:
            ids, end, kind, a, b = (np.concatenate(x) for x in zip(*parts, strict=True))
        # Mixed kinds of one pair (service_done/again, complaint_fixed/open), whose payloads
        # are named alike (PAYLOAD): a is the wait, b the arrival or opening time.
        m.pool.push(ids, end, kind, a, b)
        parts.clear()


def _low(m: VectorModel, busy: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Each lane's earliest next event among ``busy`` (inf for a lane with none)."""
    if m.n_lanes == 1:
        return np.array([nxt.min() if nxt.size else np.inf])
    low = np.full(m.n_lanes, np.inf)
    np.minimum.at(low, m.cols.rep[busy], nxt)
    return low
