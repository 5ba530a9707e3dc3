"""Personal-stream words: numpy's array restatement of Philox against the compiled kernels.

One million words in each shape the vector engine asks for them: one word for each of a
million customers (a batch's uniforms), sixteen for each of 62,500 (a refill of the
``purchases`` buffers, :class:`sim.vector_engine.lanes.Luck`), and the bare block
function on 250,000 counters. The numpy side is the restatement the streams ran on before
they were compiled (kept here as the baseline, and checked word for word against the
kernels first). Each timing is the best of ``--repeat``; the compile time, and the time to
load the compiled code from the cache instead, are measured in fresh processes, the first
with an empty cache directory.

    python benchmarks/streams.py
    python benchmarks/streams.py --words 4000000 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from sim.streams import philox4x64, run_words

_M = np.array([[0xD2E7470EE14C6C93], [0xCA5A826395121157]], dtype=np.uint64)
_W = np.array([[0x9E3779B97F4A7C15], [0xBB67AE8584CAA73B]], dtype=np.uint64)
_LOW, _S32 = np.uint64(0xFFFFFFFF), np.uint64(32)


def numpy_blocks(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox4x64-10 on arrays: even and odd words as two rows, products from 32-bit halves."""
    even = np.ascontiguousarray(counter[:, 0::2].T)
    odd = np.ascontiguousarray(counter[:, 1::2].T)
    k = key.reshape(2, 1) if key.ndim == 1 else np.ascontiguousarray(key.T)
    m_lo, m_hi = _M & _LOW, _M >> _S32
    with np.errstate(over="ignore"):
        for r in range(10):
            if r:
                k = k + _W
            lo32, hi32 = even & _LOW, even >> _S32
            t = m_lo * hi32 + ((m_lo * lo32) >> _S32)
            w = (t & _LOW) + m_hi * lo32
            hi = m_hi * hi32 + (t >> _S32) + (w >> _S32)
            even, odd = hi[::-1] ^ odd ^ k, (even * _M)[::-1]
    return np.stack([even[0], odd[0], even[1], odd[1]], axis=1)


def numpy_runs(key: np.ndarray, customers: np.ndarray, draws: np.ndarray, m: int) -> np.ndarray:
    """Each customer's ``m`` words from its draw on: the blocks they touch, then a gather."""
    blocks = (m + 6) // 4
    n = customers.size
    counter = np.zeros((n * blocks, 4), dtype=np.uint64)
    counter[:, 0] = np.repeat(draws >> np.uint64(2), blocks)
    counter[:, 0] += np.tile(np.arange(blocks, dtype=np.uint64), n)
    counter[:, 1] = np.repeat(customers, blocks)
    words = numpy_blocks(counter, key).reshape(n, 4 * blocks)
    off = (draws & np.uint64(3)).astype(np.intp)
    return words[np.arange(n)[:, None], off[:, None] + np.arange(m)]


def best(fn: Callable[[], np.ndarray], repeat: int) -> float:
    """The fastest of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


FIRST_CALL = r"""
import json, time
import numpy as np
t = time.perf_counter()
from sim.streams import run_words
imported = time.perf_counter() - t
t = time.perf_counter()
run_words(np.array([1, 2], dtype=np.uint64), np.arange(3, dtype=np.uint64), np.zeros(3, dtype=np.uint64), 2)
print(json.dumps({"import": imported, "first_call": time.perf_counter() - t}))
"""  # noqa: E501


def first_call(cache: str) -> dict[str, float]:
    """Import and first-call time of ``run_words`` in a fresh process with cache ``cache``."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL],
        env={**os.environ, "NUMBA_CACHE_DIR": cache},
        check=True,
        capture_output=True,
        text=True,
    )
    row: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    """Print words per second, nanoseconds per word and the ratio for each shape."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    key = rng.integers(0, 2**64, size=2, dtype=np.uint64)
    n = args.words

    def batch(per: int) -> tuple[np.ndarray, np.ndarray]:
        c = rng.integers(0, 2**64, size=n // per, dtype=np.uint64)
        return c, rng.integers(0, 2**34, size=n // per, dtype=np.uint64)

    c1, k1 = batch(1)
    c16, k16 = batch(16)
    counters = rng.integers(0, 2**64, size=(n // 4, 4), dtype=np.uint64)
    shapes = {
        "1 word x n customers":
            (lambda: numpy_runs(key, c1, k1, 1), lambda: run_words(key, c1, k1, 1)),
        "16 words x n/16 (refill)":
            (lambda: numpy_runs(key, c16, k16, 16), lambda: run_words(key, c16, k16, 16)),
        "blocks (n/4 counters)":
            (lambda: numpy_blocks(counters, key), lambda: philox4x64(counters, key)),
    }  # fmt: skip
    print(f"{n:,} words a call, best of {args.repeat}; numpy {np.__version__}")
    print(f"{'shape':<26}{'numpy Mw/s':>11}{'ns/w':>7}{'compiled Mw/s':>15}{'ns/w':>7}{'x':>7}")
    for name, (slow, fast) in shapes.items():
        assert np.array_equal(slow(), fast()), name  # the same words, before any timing
        a, b = best(slow, args.repeat), best(fast, args.repeat)
        print(f"{name:<26}{n / a / 1e6:>11.1f}{a / n * 1e9:>7.1f}"
              f"{n / b / 1e6:>15.1f}{b / n * 1e9:>7.1f}{a / b:>7.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as cache:
        cold, warm = first_call(cache), first_call(cache)
    print(f"fresh process, empty cache: import {cold['import']:.2f} s, "
          f"first call (compile) {cold['first_call']:.2f} s")  # fmt: skip
    print(f"fresh process, warm cache:  import {warm['import']:.2f} s, "
          f"first call (cache load) {warm['first_call']:.2f} s "
          f"({cold['first_call'] / warm['first_call']:.0f}x faster)")  # fmt: skip


if __name__ == "__main__":
    main()
