"""The vector engine's event pool (columns.Pool) against a plain per-customer heap."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.vector_engine.columns import Kind, Pool

N = 6


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("push"), st.lists(st.integers(0, N - 1), min_size=1, max_size=12)),
            st.tuples(st.just("pop"), st.lists(st.integers(0, N - 1), min_size=1, max_size=N)),
        ),
        max_size=40,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_pool_pops_each_customers_events_in_time_order(ops: list, seed: int) -> None:
    # Few slots and many events per customer: rows fill and spill, and must refill in order.
    rng = np.random.default_rng(seed)
    pool = Pool(N, width=2)
    ref: dict[int, list[tuple[float, float, float, int]]] = {c: [] for c in range(N)}
    for op, who in ops:
        if op == "push":
            ids = np.array(who, dtype=np.int64)
            t = rng.random(ids.size) * 100.0
            a, b = rng.random(ids.size), rng.random(ids.size)
            kind = rng.integers(0, len(Kind), ids.size)
            pool.push(ids, t, kind, a, b)
            for c, ti, ai, bi, ki in zip(who, t, a, b, kind, strict=True):
                heapq.heappush(ref[c], (float(ti), float(ai), float(bi), int(ki)))
        else:
            ids = np.array(sorted({c for c in who if ref[c]}), dtype=np.int64)
            if not ids.size:
                continue
            t, kind, a, b = pool.pop(ids)
            for j, c in enumerate(ids.tolist()):
                assert (t[j], a[j], b[j], int(kind[j])) == heapq.heappop(ref[c])
        for c in range(N):
            assert pool.next[c] == (ref[c][0][0] if ref[c] else np.inf)
            assert pool.pending(c) == len(ref[c])


def test_rows_stay_narrow_however_busy_one_customer_is() -> None:
    pool = Pool(3, width=4)
    pool.push(np.zeros(50, dtype=np.int64), np.arange(50.0)[::-1], Kind.visit)
    assert pool.t.shape == (3, 4) and pool.pending(0) == 50
    popped = [float(pool.pop(np.array([0]))[0][0]) for _ in range(50)]
    assert popped == sorted(popped) and pool.pending(0) == 0 and not pool.spill
