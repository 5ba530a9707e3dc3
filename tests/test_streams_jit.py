"""The compiled word layer (sim.philox, sim.jit): numpy's Philox to the word, as Python too.

The kernels are held to ``numpy.random.Philox`` itself for runs of any length; their scalar
transforms to numpy's array transforms; the same functions run as plain Python under
``NUMBA_DISABLE_JIT=1`` (in a subprocess) to the same bytes; the cache lives outside the
repository and a second process loads it instead of compiling.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import jit, philox
from sim.streams import (
    PersonalDraws,
    PersonalStreams,
    customer_key,
    customer_words,
    exponential,
    open_uniform,
    philox4x64,
    run_words,
    uniform,
)

ROOT = Path(__file__).resolve().parents[1]
U64 = st.integers(0, 2**64 - 1)


def numpys_words(key: tuple[int, int], customer: int, first: int, m: int) -> np.ndarray:
    """Words ``first ..`` of a customer's stream by numpy's own Philox, at the right counter."""
    bg = np.random.Philox(key=np.array(key, dtype=np.uint64))
    state = bg.state
    # numpy steps its 256-bit counter before each block: set it one below (first >> 2, c).
    counter = ((customer << 64 | first >> 2) - 1) % (1 << 256)
    state["state"]["counter"] = np.array(
        [counter >> (64 * j) & (2**64 - 1) for j in range(4)], dtype=np.uint64
    )
    bg.state = state
    skip = first & 3
    return bg.random_raw(skip + m)[skip:]


@settings(max_examples=40, deadline=None)
@given(key=st.tuples(U64, U64), customer=U64, first=st.integers(0, 2**40), m=st.integers(1, 21))
def test_a_run_of_any_length_is_numpys_stream(
    key: tuple[int, int], customer: int, first: int, m: int
) -> None:
    expected = numpys_words(key, customer, first, m)
    assert np.array_equal(customer_words(*key, customer, first, m), expected)
    # The same run among other customers, under one key for all and under a key a row.
    others = np.array([3, customer, 2**64 - 1], dtype=np.uint64)
    draws = np.array([0, first, 5], dtype=np.uint64)
    k = np.array(key, dtype=np.uint64)
    assert np.array_equal(run_words(k, others, draws, m)[1], expected)
    rows = np.stack([k[::-1], k, k])
    assert np.array_equal(run_words(rows, others, draws, m)[1], expected)


def test_the_kernels_take_any_layout_and_leave_inputs_alone() -> None:
    counter = np.arange(40, dtype=np.uint64).reshape(4, 10)[:, ::2][:, :4]  # not contiguous
    before = counter.copy()
    key = np.array([[1, 2]] * 8, dtype=np.uint64)[::2]
    got = philox4x64(counter, key)
    assert np.array_equal(got, philox4x64(np.ascontiguousarray(counter), np.array([1, 2])))
    assert np.array_equal(counter, before) and got.dtype == np.uint64 and got.shape == (4, 4)
    none = np.zeros(0, dtype=np.uint64)
    assert run_words(np.array([1, 2], dtype=np.uint64), none, none, 3).shape == (0, 3)


def test_the_scalar_transforms_are_numpys_to_the_bit() -> None:
    words = run_words(np.array([9, 4], dtype=np.uint64), customer_key(1, np.arange(3000)),
                      np.zeros(3000, dtype=np.uint64))[:, 0]  # fmt: skip
    words = np.concatenate([words, np.array([0, 2**64 - 1, 2**11 - 1], dtype=np.uint64)])
    assert np.array_equal([philox.uniform_of(w) for w in words], uniform(words))
    assert np.array_equal([philox.open_uniform_of(w) for w in words], open_uniform(words))
    # Exponentials take libm's log, which numpy's SIMD log may miss by one unit in the last
    # place; never by more.
    compiled = np.array([philox.exponential_of(w) for w in words])
    libm = np.array([-math.log(u) for u in open_uniform(words).tolist()])
    assert np.array_equal(compiled, libm)
    ulps = np.abs(compiled - exponential(words)) / np.spacing(compiled)
    assert ulps.max() <= 1.0


def digest() -> dict[str, Any]:
    """A hash of the layer's outputs for a small world, and whether it ran compiled."""
    h = hashlib.sha256()
    rng = np.random.default_rng(20)
    key = rng.integers(0, 2**64, size=2, dtype=np.uint64)
    keys = rng.integers(0, 2**64, size=(60, 2), dtype=np.uint64)
    customers = rng.integers(0, 2**64, size=60, dtype=np.uint64)
    draws = rng.integers(0, 2**34, size=60, dtype=np.uint64)
    h.update(philox4x64(rng.integers(0, 2**64, size=(30, 4), dtype=np.uint64), key).tobytes())
    for m in (1, 3, 7):
        h.update(run_words(key, customers, draws, m).tobytes())
        h.update(run_words(keys, customers, draws, m).tobytes())
    h.update(customer_words(int(key[0]), int(key[1]), 2**63 + 1, 2**33 + 3, 11).tobytes())
    streams = PersonalStreams(np.random.SeedSequence(4), ("spend",))
    d = PersonalDraws(streams.keys["spend"], int(customers[0]), 2)
    one = [d.random(), d.open_random(), d.exponential(), d.normal(), d.gamma(2.5)]
    words = run_words(key, customers, draws)[:, 0]
    one += [philox.uniform_of(w) + philox.exponential_of(w) for w in words]
    h.update(np.array(one).tobytes())
    return {"digest": h.hexdigest(), "compiled": hasattr(philox.runs, "signatures")}


def _child(code: str, *args: str, **env: str) -> Any:
    """Run ``code`` in a fresh interpreter at the repository root; its last line, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_without_the_compiler_the_same_functions_give_the_same_bytes() -> None:
    code = (
        "import json, runpy\n"
        "ns = runpy.run_path('tests/test_streams_jit.py')\n"
        "print(json.dumps(ns['digest']()))"
    )
    python = _child(code, NUMBA_DISABLE_JIT="1")
    compiled = digest()
    assert compiled["compiled"] and not python["compiled"]
    assert python["digest"] == compiled["digest"]


def test_the_cache_is_a_writable_user_directory_outside_the_repository() -> None:
    where = jit.cache_dir().resolve()
    assert where.is_dir() and os.access(where, os.W_OK)
    assert not where.is_relative_to(ROOT)
    assert all(
        Path(d.stats.cache_path).resolve().is_relative_to(where) for d, _ in jit.registered()
    )
    assert not list((ROOT / "sim").rglob("*.nbi"))  # numba's in-tree default, never used


def test_a_second_process_loads_the_warmed_cache_instead_of_compiling(tmp_path: Path) -> None:
    # Its own cache directory: the suite's other processes share the user cache and may be
    # compiling into it at this moment.
    cache = {jit.CACHE_ENV: str(tmp_path)}
    code = (
        "import json, sys, runpy, sim.jit as jit, sim.streams\n"
        "if sys.argv[1] == 'lazy':  # calls first, as a run does, then the warm-up\n"
        "    runpy.run_path('tests/test_streams_jit.py')['digest']()\n"
        "jit.warm()\n"
        "runpy.run_path('tests/test_streams_jit.py')['digest']()\n"
        "stats = [d.stats for d, sigs in jit.registered() if sigs]\n"
        "print(json.dumps([sum(s.cache_hits.values()) for s in stats]"
        " + [sum(s.cache_misses.values()) for s in stats]))"
    )
    first = _child(code, "lazy", **cache)
    n = len(first) // 2
    assert n >= 3 and first[n:] == [1] * n  # the first process compiles each kernel once
    for order in ("lazy", "warm"):  # either way, a second process compiles nothing
        counts = _child(code, order, **cache)
        assert counts[:n] == [1] * n and counts[n:] == [0] * n, order


class _Recorded(Exception):
    """Raised by the stand-in pool: the test only needs to know what happened before it."""


def test_the_process_pool_warms_the_cache_before_starting_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sim.experiments import executors

    calls: list[str] = []
    monkeypatch.setattr(jit, "warm", lambda: calls.append("warm"))

    def pool(*args: object, **kwargs: object) -> None:
        calls.append("pool")
        raise _Recorded

    monkeypatch.setattr(executors, "ProcessPoolExecutor", pool)
    with pytest.raises(_Recorded):
        list(executors.ProcessPool(workers=2, oversubscribe=True).map(abs, [1]))
    assert calls == ["warm", "pool"]
