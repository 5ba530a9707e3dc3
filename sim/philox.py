"""Philox4x64-10, compiled: the block function and the word layer of the personal streams.

:mod:`sim.streams` names the words (draw ``k`` of customer ``c`` in a subsystem is word
``k % 4`` of the block at counter ``(k // 4, c, 0, 0)`` under the subsystem's key); this
module computes them, as scalar functions over unsigned 64-bit integers that compiled code
calls one customer at a time, and array kernels that loop over customers with them. It is
numpy's own generator restated (Salmon et al., SC 2011; the constants of Random123 and
numpy's ``philox.h``), checked word for word against ``numpy.random.Philox``.

Everything is uint64 arithmetic with wraparound, as in C. Numba types a Python integer as
int64, and int64 mixed with uint64 as float64, so every constant here is an ``np.uint64``
and offsets into a block are cast explicitly. The high word of a 128-bit product is put
together from 32-bit halves, exactly, in both compiled code and plain Python
(``NUMBA_DISABLE_JIT=1``, under which these run as Python on numpy scalars).

The transforms that compiled code may take here are exact arithmetic (:func:`uniform_of`,
:func:`open_uniform_of`) or libm's ``log`` (:func:`exponential_of`); numpy's own ``log`` is
its SIMD version on AVX-512 machines, which differs from libm's in the last bit for about
one draw in 300, so :func:`sim.streams.exponential` stays numpy's until both engines take
one ``log``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from sim.jit import njit

__all__ = [
    "block", "blocks", "exponential_of", "mulhilo", "open_uniform_of", "run", "runs",
    "uniform_of",
]  # fmt: skip

U64 = npt.NDArray[np.uint64]

# The round multipliers and the Weyl sequence that bumps the key between rounds.
_M0, _M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)
_W0, _W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)
_LOW32, _S32 = np.uint64(0xFFFFFFFF), np.uint64(32)
_ZERO, _ONE, _TWO, _THREE, _S11 = (np.uint64(v) for v in (0, 1, 2, 3, 11))
_ROUNDS = 10
_TWO_M53 = 2.0**-53

#: The array kernels' signatures, compiled ahead by :func:`sim.jit.warm`: counters and keys
#: as C-contiguous uint64 rows (the callers in :mod:`sim.streams` make them so).
_BLOCKS = "uint64[:, ::1](uint64[:, ::1], uint64[:, ::1])"
_RUNS = "uint64[:, ::1](uint64[:, ::1], uint64[::1], uint64[::1], int64)"
_RUN = "uint64[::1](uint64, uint64, uint64, uint64, int64)"


@njit()
def mulhilo(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """The high and low words of the 128-bit product ``a · b``.

    From 32-bit halves, so that no carry is lost: ``t`` and ``w`` collect the cross terms
    and stay below 2⁶⁴; the low word is the wrapped uint64 product.
    """
    a_lo, a_hi = a & _LOW32, a >> _S32
    b_lo, b_hi = b & _LOW32, b >> _S32
    t = b_lo * a_hi + ((b_lo * a_lo) >> _S32)
    w = (t & _LOW32) + b_hi * a_lo
    return b_hi * a_hi + (t >> _S32) + (w >> _S32), a * b


@njit()
def block(
    c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, k0: np.uint64, k1: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Philox4x64-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``."""
    for r in range(_ROUNDS):
        if r:
            k0 = k0 + _W0
            k1 = k1 + _W1
        hi0, lo0 = mulhilo(_M0, c0)
        hi1, lo1 = mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@njit(_BLOCKS)
def blocks(counter: U64, key: U64) -> U64:
    """The block of each counter row ``(n, 4)``, under one key ``(1, 2)`` or a key a row."""
    n = counter.shape[0]
    out = np.empty((n, 4), dtype=np.uint64)
    one = key.shape[0] == 1
    for i in range(n):
        j = 0 if one else i
        x0, x1, x2, x3 = block(
            counter[i, 0], counter[i, 1], counter[i, 2], counter[i, 3], key[j, 0], key[j, 1]
        )
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = x0, x1, x2, x3
    return out


@njit()
def _fill(
    out: U64, i: int, k0: np.uint64, k1: np.uint64, customer: np.uint64, first: np.uint64
) -> None:
    """Row ``i`` of ``out``: the customer's words from draw ``first`` on, block by block."""
    at = first >> _TWO
    skip = np.int64(first & _THREE)
    x0, x1, x2, x3 = block(at, customer, _ZERO, _ZERO, k0, k1)
    for t in range(out.shape[1]):
        p = skip + t
        if p and not p & 3:
            at = at + _ONE
            x0, x1, x2, x3 = block(at, customer, _ZERO, _ZERO, k0, k1)
        q = p & 3
        out[i, t] = x0 if q == 0 else x1 if q == 1 else x2 if q == 2 else x3


@njit(_RUNS)
def runs(key: U64, customers: U64, draws: U64, m: int) -> U64:
    """Words ``draws[i] .. draws[i] + m − 1`` of each customer's stream: ``(n, m)``.

    ``key`` is one key ``(1, 2)`` or a key per customer ``(n, 2)``; a run may be any length.
    """
    n = customers.shape[0]
    out = np.empty((n, m), dtype=np.uint64)
    one = key.shape[0] == 1
    for i in range(n):
        j = 0 if one else i
        _fill(out, i, key[j, 0], key[j, 1], customers[i], draws[i])
    return out


@njit(_RUN)
def run(k0: np.uint64, k1: np.uint64, customer: np.uint64, first: np.uint64, m: int) -> U64:
    """Words ``first .. first + m − 1`` of one customer's stream: ``(m,)``."""
    out = np.empty((1, m), dtype=np.uint64)
    _fill(out, 0, k0, k1, customer, first)
    return out[0]


@njit()
def uniform_of(word: np.uint64) -> float:
    """A uniform on [0, 1) from a word, as numpy's ``random()`` makes it: ``(w >> 11)·2⁻⁵³``."""
    return np.float64(word >> _S11) * _TWO_M53


@njit()
def open_uniform_of(word: np.uint64) -> float:
    """A uniform on (0, 1) from a word: half a step above :func:`uniform_of`."""
    return (np.float64(word >> _S11) + 0.5) * _TWO_M53


@njit()
def exponential_of(word: np.uint64) -> float:
    """A standard exponential by inversion, ``−log u``, with libm's ``log`` (see above)."""
    return -math.log(open_uniform_of(word))
