"""Personal streams: counter-based random draws keyed by run, subsystem, customer and draw.

Common random numbers pair two policies only as far as each customer meets the same luck in
both. With one stream per subsystem shared by all customers, one extra event early on (a
follow-up call in one arm) shifts every later customer's draws, and which key accounts leave
is reshuffled by any change of policy. Here every customer has a stream of their own per
subsystem: draw ``k`` of customer ``c`` in subsystem ``s`` of a run is

    Philox4x64-10(key = key(run seed, s), counter = (c, k // 4, 0, 0))[k % 4]

a pure function of those four things, whatever order customers are processed in and
whichever other customers exist. Philox (Salmon et al., "Parallel random numbers: as easy as
1, 2, 3", SC 2011) is a counter-based generator: no state but the counter, so a draw is
random access. The implementation is numpy's own generator, restated on arrays so that a
whole batch of customers draws in a few vector operations (and checked word for word against
``numpy.random.Philox``); it uses only integer arithmetic that a compiler such as numba can
take as it is.

Uniforms are ``(x >> 11) · 2⁻⁵³`` as numpy makes them, on [0, 1); :func:`open_uniform`
shifts them by half a step onto (0, 1) for the transforms that need a nonzero argument:
exponentials by inversion, normals by Box–Muller, which each consume a fixed number of
draws, so a customer's ``k`` advances by the same amount in every engine.

A *customer key* (:func:`customer_key`) names a customer by where they came from — the
day-0 cohort, or the ``j``-th arrival of an acquisition channel — not by the order the
engine created them in, so the same arrival is the same person, with the same luck, in every
arm of a comparison.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHANNEL_BITS",
    "PersonalDraws",
    "PersonalStreams",
    "customer_key",
    "open_uniform",
    "philox4x64",
    "philox_block",
    "uniform",
]

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

# Philox4x64 constants (Random123; numpy's philox.h): the round multipliers and the Weyl
# sequence that bumps the key between rounds.
_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_ROUNDS = 10

#: Bits of a customer key below the channel code: 2⁴⁸ customers per channel.
CHANNEL_BITS = 48

_TWO_M53 = 2.0**-53


def _mulhilo(a: np.uint64, b: U64) -> tuple[U64, U64]:
    """The high and low 64-bit words of the 128-bit products ``a · b``, from 32-bit halves."""
    a_lo, a_hi = a & _LOW32, a >> _S32
    b_lo, b_hi = b & _LOW32, b >> _S32
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    mid = (p0 >> _S32) + (p1 & _LOW32) + (p2 & _LOW32)
    hi = a_hi * b_hi + (p1 >> _S32) + (p2 >> _S32) + (mid >> _S32)
    return hi, a * b  # uint64 products wrap: the low word


def philox4x64(counter: U64, key: U64) -> U64:
    """Philox4x64-10 of each counter under one key.

    Args:
        counter: shape ``(n, 4)``, unsigned 64-bit counters.
        key: shape ``(2,)``, the unsigned 64-bit key.

    Returns:
        Shape ``(n, 4)``: the four output words of each counter. Row ``i`` equals the block
        ``numpy.random.Philox(key=key, counter=counter[i] - 1)`` produces first (numpy
        increments its counter before each block).
    """
    x0, x1, x2, x3 = (counter[:, j].astype(np.uint64, copy=True) for j in range(4))
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    with np.errstate(over="ignore"):
        for r in range(_ROUNDS):
            if r:
                k0, k1 = k0 + _W0, k1 + _W1
            hi0, lo0 = _mulhilo(_M0, x0)
            hi1, lo1 = _mulhilo(_M1, x2)
            x0, x1, x2, x3 = hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0
    return np.stack([x0, x1, x2, x3], axis=1)


def uniform(words: U64) -> F64:
    """Uniforms on [0, 1) from 64-bit words, the way numpy's ``random()`` makes them."""
    return (words >> np.uint64(11)).astype(np.float64) * _TWO_M53


def open_uniform(words: U64) -> F64:
    """Uniforms on the open interval (0, 1): half a step above :func:`uniform`."""
    return ((words >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_M53


def customer_key(channel: int, ordinal: int | npt.ArrayLike) -> U64:
    """The key of a customer: their channel of arrival and their ordinal within it.

    Args:
        channel: 0 for the day-0 cohort, then one code per acquisition channel (the engine
            names them; a code is stable across runs and arms).
        ordinal: the customer's 0-based position among that channel's arrivals.

    Returns:
        ``channel · 2⁴⁸ + ordinal`` as unsigned 64-bit integers.
    """
    n = np.asarray(ordinal, dtype=np.uint64)
    if channel < 0 or channel >= 2 ** (64 - CHANNEL_BITS):
        raise ValueError(f"channel code {channel} is outside 0..{2 ** (64 - CHANNEL_BITS) - 1}")
    return (np.uint64(channel) << np.uint64(CHANNEL_BITS)) | n


class PersonalStreams:
    """Every customer's own stream per subsystem, for one run.

    Args:
        root: the run's root ``SeedSequence`` (:class:`sim.rng.Streams` ``.root``).
        names: the subsystems that draw per customer.

    The key of subsystem ``name`` is two words of a child of ``root`` keyed by the CRC-32 of
    the name and a tag that keeps them apart from :class:`sim.rng.Streams`' children, so
    that adding a subsystem shifts nobody's draws.
    """

    #: Spawn-key tag of personal keys ("personal" in ASCII initials): apart from the
    #: subsystem children of :class:`sim.rng.Streams`, which use the CRC alone.
    TAG = 0x5045

    def __init__(self, root: np.random.SeedSequence, names: tuple[str, ...]) -> None:
        self.keys: dict[str, U64] = {}
        for name in names:
            child = np.random.SeedSequence(
                root.entropy, spawn_key=(*root.spawn_key, self.TAG, zlib.crc32(name.encode()))
            )
            self.keys[name] = np.asarray(child.generate_state(2, np.uint64), dtype=np.uint64)

    def words(self, name: str, customers: U64, draws: U64) -> U64:
        """Word ``draws[i]`` of customer ``customers[i]``'s stream ``name``, for every ``i``."""
        c = np.asarray(customers, dtype=np.uint64).reshape(-1)
        k = np.asarray(draws, dtype=np.uint64).reshape(-1)
        counter = np.zeros((c.size, 4), dtype=np.uint64)
        counter[:, 0] = c
        counter[:, 1] = k >> np.uint64(2)
        block = philox4x64(counter, self.keys[name])
        return block[np.arange(c.size), (k & np.uint64(3)).astype(np.intp)]

    def uniforms(self, name: str, customers: U64, draws: U64) -> F64:
        """Uniforms on [0, 1): draw ``draws[i]`` of customer ``customers[i]``."""
        return uniform(self.words(name, customers, draws))

    def exponentials(self, name: str, customers: U64, draws: U64) -> F64:
        """Standard exponentials by inversion, one draw each: ``−log u``, u on (0, 1)."""
        return -np.log(open_uniform(self.words(name, customers, draws)))

    def normals(self, name: str, customers: U64, draws: U64) -> F64:
        """Standard normals by Box–Muller from draws ``k`` and ``k + 1`` (two draws each)."""
        k = np.asarray(draws, dtype=np.uint64)
        u1 = open_uniform(self.words(name, customers, k))
        u2 = uniform(self.words(name, customers, k + np.uint64(1)))
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def gammas(self, name: str, customers: U64, draws: U64, shape: float | F64) -> tuple[F64, U64]:
        """Standard gamma draws of ``shape`` (scale 1) by Marsaglia and Tsang's method.

        Each attempt takes three draws (a Box–Muller normal and a uniform) and is accepted
        with probability above 0.95 for shape ≥ 1; a shape below 1 takes one more uniform
        first, for the boost ``Gamma(a) = Gamma(a + 1) · u^(1/a)``. The number of draws used
        varies with the luck of each customer, so the counters after the draw come back
        with the values.

        Args:
            name: the subsystem.
            customers: customer keys.
            draws: each customer's next draw number in this subsystem.
            shape: the gamma shape, one for all or one per customer (> 0).

        Returns:
            ``(values, next_draws)``.
        """
        c = np.asarray(customers, dtype=np.uint64).reshape(-1)
        k = np.asarray(draws, dtype=np.uint64).reshape(-1).copy()
        a = np.broadcast_to(np.asarray(shape, dtype=np.float64), c.shape).copy()
        boost = a < 1.0
        u_boost = np.ones(c.size)
        if boost.any():
            u_boost[boost] = open_uniform(self.words(name, c[boost], k[boost]))
            k[boost] += np.uint64(1)
            a = np.where(boost, a + 1.0, a)
        d = a - 1.0 / 3.0
        cc = 1.0 / np.sqrt(9.0 * d)
        out = np.empty(c.size)
        todo = np.arange(c.size)
        three = np.uint64(3)
        while todo.size:
            kk = k[todo]
            x = self.normals(name, c[todo], kk)
            u = uniform(self.words(name, c[todo], kk + np.uint64(2)))
            k[todo] = kk + three
            t = 1.0 + cc[todo] * x
            v = t * t * t  # not ** 3: numpy and Python round a power differently
            with np.errstate(invalid="ignore", divide="ignore"):
                ok = (v > 0.0) & (
                    np.log(u) < 0.5 * x * x + d[todo] - d[todo] * v + d[todo] * np.log(v)
                )
            out[todo[ok]] = d[todo[ok]] * v[ok]
            todo = todo[~ok]
        out = np.where(boost, out * np.power(u_boost, 1.0 / np.where(boost, a - 1.0, 1.0)), out)
        return out, k


_MASK64 = (1 << 64) - 1
_M0_INT, _M1_INT, _W0_INT, _W1_INT = int(_M0), int(_M1), int(_W0), int(_W1)


def philox_block(c0: int, c1: int, key0: int, key1: int) -> tuple[int, int, int, int]:
    """:func:`philox4x64` of the one counter ``(c0, c1, 0, 0)``, in Python integers.

    The event loop of the agent engine draws one number at a time; Python's exact big
    integers do the 128-bit products directly, in about 4 µs a block of four words (a
    one-row numpy call costs ten times as much).
    """
    x0, x1, x2, x3 = c0, c1, 0, 0
    k0, k1 = key0, key1
    for r in range(_ROUNDS):
        if r:
            k0 = (k0 + _W0_INT) & _MASK64
            k1 = (k1 + _W1_INT) & _MASK64
        p0 = _M0_INT * x0
        p1 = _M1_INT * x2
        x0, x1, x2, x3 = (p1 >> 64) ^ x1 ^ k0, p1 & _MASK64, (p0 >> 64) ^ x3 ^ k1, p0 & _MASK64
    return x0, x1, x2, x3


class PersonalDraws:
    """One customer's draws from one subsystem, one number at a time.

    The scalar twin of :class:`PersonalStreams`: the same words, and the same transforms
    through numpy's own functions (``np.log``, ``np.sqrt``, ``np.cos`` on float64 scalars),
    so an engine that draws one number at a time and one that draws arrays agree to the
    last bit. :attr:`k` is the next draw number; an engine that keeps the counters itself
    can read and set it.

    Args:
        key: the subsystem's key (``PersonalStreams.keys[name]``).
        customer: the customer's key (:func:`customer_key`).
        k: the first draw number.
    """

    __slots__ = ("_block", "_customer", "_index", "_key0", "_key1", "k")

    def __init__(self, key: U64, customer: int, k: int = 0) -> None:
        self._key0, self._key1 = int(key[0]), int(key[1])
        self._customer = int(customer)
        self.k = int(k)
        self._index = -1  # the block index held in _block
        self._block: tuple[int, int, int, int] = (0, 0, 0, 0)

    def word(self) -> int:
        """The next 64-bit word of the stream."""
        k = self.k
        index = k >> 2
        if index != self._index:
            self._block = philox_block(self._customer, index, self._key0, self._key1)
            self._index = index
        self.k = k + 1
        return self._block[k & 3]

    def random(self) -> float:
        """A uniform on [0, 1)."""
        return (self.word() >> 11) * _TWO_M53

    def open_random(self) -> float:
        """A uniform on (0, 1)."""
        return ((self.word() >> 11) + 0.5) * _TWO_M53

    def exponential(self) -> float:
        """A standard exponential (one draw)."""
        return float(-np.log(np.float64(self.open_random())))

    def normal(self) -> float:
        """A standard normal (two draws, Box–Muller)."""
        u1 = np.float64(self.open_random())
        u2 = np.float64(self.random())
        return float(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2))

    def gamma(self, shape: float) -> float:
        """A standard gamma of ``shape`` (Marsaglia–Tsang, as :meth:`PersonalStreams.gammas`)."""
        a = float(shape)
        u_boost = 1.0
        boost = a < 1.0
        if boost:
            u_boost = self.open_random()
            a += 1.0
        d = a - 1.0 / 3.0
        c = float(1.0 / np.sqrt(np.float64(9.0 * d)))
        while True:
            x = self.normal()
            u = self.random()
            t = 1.0 + c * x
            v = t * t * t
            if v > 0.0 and np.log(np.float64(u)) < 0.5 * x * x + d - d * v + d * np.log(
                np.float64(v)
            ):
                g = d * v
                break
        if boost:
            g = g * float(np.power(np.float64(u_boost), 1.0 / (a - 1.0)))
        return float(g)
