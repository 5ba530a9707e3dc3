"""Personal streams: counter-based random draws keyed by run, subsystem, customer and draw.

Common random numbers pair two policies only as far as each customer meets the same luck in
both. With one stream per subsystem shared by all customers, one extra event early on (a
follow-up call in one arm) shifts every later customer's draws, and which key accounts leave
is reshuffled by any change of policy. Here every customer has a stream of their own per
subsystem: draw ``k`` of customer ``c`` in subsystem ``s`` of a run is

    Philox4x64-10(key = key(run seed, s), counter = (k // 4, c, 0, 0))[k % 4]

a pure function of those four things, whatever order customers are processed in and
whichever other customers exist. Philox (Salmon et al., "Parallel random numbers: as easy as
1, 2, 3", SC 2011) is a counter-based generator: no state but the counter, so a draw is
random access. The words are computed by :mod:`sim.philox`, numpy's own generator restated
in uint64 arithmetic and compiled by numba (checked word for word against
``numpy.random.Philox``): a loop over the customers of a batch, each computing the blocks
its run of draws touches, costs about a microsecond a call plus a few nanoseconds a word,
so one customer and a million are served alike. A compiled per-customer kernel can call the
same scalar functions (:func:`sim.philox.block`, :func:`sim.philox.uniform_of`) directly.

Uniforms are ``(x >> 11) · 2⁻⁵³`` as numpy makes them, on [0, 1); :func:`open_uniform`
shifts them onto (0, 1) for the transforms, all inversions of one draw — exponentials,
normals (``ndtri``), gammas (``gammaincinv``), betas (``betaincinv``) — so a draw takes
one word, a customer's ``k`` advances alike in both engines, and a draw moves smoothly with
its parameters (the same luck, a slightly larger gamma for a slightly larger shape).

A *customer key* (:func:`customer_key`) names a customer by where they came from — the
day-0 cohort, or the ``j``-th arrival of an acquisition channel (:data:`CHANNEL_CODES`) — not
by the order the engine created them in, so the same arrival is the same person, with the
same luck, in every arm of a comparison.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt
from scipy.special import betaincinv, gammaincinv, ndtri

from sim import philox

__all__ = [
    "CHANNEL_BITS", "CHANNEL_CODES", "PERSONAL", "SLOT_BITS", "PersonalBatch", "PersonalDraws",
    "PersonalStreams", "beta", "customer_key", "customer_words", "exponential", "gamma",
    "normal", "open_uniform", "philox4x64", "run_words", "uniform",
]  # fmt: skip

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

#: The subsystems that draw per customer, in both engines. A name is the stream's identity
#: (its key is derived from it): adding one shifts nobody, renaming one changes results.
#: ``population``: the traits, a slot each (:class:`PersonalBatch`); ``purchases``: the life
#: race, three draws an event; ``spend``: a purchase's amount; ``experience``: a purchase's
#: performance, delivery on time, delight; ``complaints``: voice or silence after a failure;
#: ``service``: a ticket's handling time and resolution, drawn as it opens; ``service_quality``:
#: the performance a handled ticket is felt at; ``contacts``: a follow-up step kept on time;
#: ``churn``: dropout at a purchase, a review's acceptance, a renewal; ``winback``: a win-back's
#: success; ``resolution``: a complaint's delay from the desk's finish to its outcome (if its
#: mean is > 0). Each its own stream, so an event in one arm only shifts no other kind of draw.
PERSONAL: tuple[str, ...] = (
    "population", "purchases", "spend", "experience", "complaints", "service",
    "service_quality", "contacts", "churn", "winback", "resolution",
)  # fmt: skip

#: Bits of a customer key below the channel code: 2⁴⁸ customers per channel.
CHANNEL_BITS = 48
#: Channel codes of customer keys: the day-0 cohort and each acquisition channel. Part of a
#: run's identity, like the stream names: changing a code changes who every arrival is.
CHANNEL_CODES: dict[str, int] = {"initial": 0, "paid": 1, "referral": 2, "bass": 3}
#: A trait's slot ``s`` starts at draw ``s · 2^SLOT_BITS`` of the population stream, so each
#: trait is drawn from draws of its own, whatever the others took (:class:`PersonalBatch`).
SLOT_BITS = 32

_TWO_M53 = 2.0**-53


def philox4x64(counter: U64, key: U64) -> U64:
    """Philox4x64-10 of each counter (the compiled :func:`sim.philox.blocks`).

    Args:
        counter: shape ``(n, 4)``, unsigned 64-bit counters.
        key: shape ``(2,)``, one key for all, or ``(n, 2)``, one key per counter.

    Returns:
        Shape ``(n, 4)``: the four output words of each counter. Row ``i`` equals the block
        ``numpy.random.Philox(key=key, counter=counter[i] - 1)`` produces first (numpy
        increments its counter before each block).
    """
    counter = np.ascontiguousarray(counter, dtype=np.uint64).reshape(-1, 4)
    return philox.blocks(counter, _keys(key))


def _keys(key: U64) -> U64:
    """A key ``(2,)`` or keys ``(n, 2)`` as the kernels take them: C-contiguous rows."""
    return np.ascontiguousarray(key, dtype=np.uint64).reshape(-1, 2)


def customer_words(key0: int, key1: int, customer: int, first: int, m: int) -> U64:
    """Words ``first .. first + m − 1`` of one customer's stream (:func:`sim.philox.run`)."""
    u = np.uint64
    return philox.run(u(key0), u(key1), u(customer), u(first), m)


def run_words(key: U64, customers: U64, draws: U64, m: int = 1) -> U64:
    """Words ``draws[i] .. draws[i] + m − 1`` of customer ``customers[i]``'s stream, for all ``i``.

    One compiled loop over the customers (:func:`sim.philox.runs`), each computing the
    blocks its run touches.

    Args:
        key: the subsystem's key, ``(2,)``, or one per customer, ``(n, 2)``.
        customers: customer keys, shape ``(n,)``.
        draws: each customer's first draw number.
        m: words per customer.

    Returns:
        Shape ``(n, m)``.
    """
    c = np.ascontiguousarray(customers, dtype=np.uint64).reshape(-1)
    k = np.ascontiguousarray(draws, dtype=np.uint64).reshape(-1)
    return philox.runs(_keys(key), c, k, m)


def uniform(words: U64) -> F64:
    """Uniforms on [0, 1) from 64-bit words, the way numpy's ``random()`` makes them."""
    return (words >> np.uint64(11)).astype(np.float64) * _TWO_M53


def open_uniform(words: U64) -> F64:
    """Uniforms on the open interval (0, 1): half a step above :func:`uniform`."""
    return ((words >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_M53


def exponential(words: U64) -> F64:
    """Standard exponentials by inversion: ``−log u``, u on (0, 1)."""
    return -np.log(open_uniform(words))


def normal(words: U64) -> F64:
    """Standard normals by inversion of the normal distribution function."""
    return ndtri(open_uniform(words))


def gamma(shape: float | F64, words: U64) -> F64:
    """Standard gammas of ``shape`` (scale 1) by inversion of the regularised gamma function."""
    return gammaincinv(shape, open_uniform(words))


def beta(a: float | F64, b: float | F64, words: U64) -> F64:
    """Beta(a, b) draws by inversion of the regularised incomplete beta function."""
    return betaincinv(a, b, open_uniform(words))


def customer_key(channel: int, ordinal: int | npt.ArrayLike) -> U64:
    """The key of a customer: their channel of arrival and their ordinal within it.

    Args:
        channel: a code of :data:`CHANNEL_CODES` (0 for the day-0 cohort); a code is stable
            across runs and arms.
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

    #: Spawn-key tag of personal keys ("PE", for personal): apart from the subsystem
    #: children of :class:`sim.rng.Streams`, which use the CRC alone.
    TAG = 0x5045

    def __init__(self, root: np.random.SeedSequence, names: tuple[str, ...]) -> None:
        self.keys: dict[str, U64] = {}
        for name in names:
            child = np.random.SeedSequence(
                root.entropy, spawn_key=(*root.spawn_key, self.TAG, zlib.crc32(name.encode()))
            )
            self.keys[name] = np.asarray(child.generate_state(2, np.uint64), dtype=np.uint64)

    def arrivals(self, channel: str, first: int, n: int) -> PersonalBatch:
        """The population draws of arrivals ``first .. first + n − 1`` of ``channel``."""
        keys = customer_key(CHANNEL_CODES[channel], np.arange(first, first + n, dtype=np.uint64))
        return PersonalBatch(self.keys["population"], keys)

    def words(self, name: str, customers: U64, draws: U64) -> U64:
        """Word ``draws[i]`` of customer ``customers[i]``'s stream ``name``, for every ``i``."""
        return run_words(self.keys[name], customers, draws)[:, 0]

    def uniforms(self, name: str, customers: U64, draws: U64) -> F64:
        """Uniforms on [0, 1), one draw each."""
        return uniform(self.words(name, customers, draws))

    def exponentials(self, name: str, customers: U64, draws: U64) -> F64:
        """Standard exponentials, one draw each."""
        return exponential(self.words(name, customers, draws))

    def normals(self, name: str, customers: U64, draws: U64) -> F64:
        """Standard normals, one draw each."""
        return normal(self.words(name, customers, draws))

    def gammas(self, name: str, customers: U64, draws: U64, shape: float | F64) -> tuple[F64, U64]:
        """Standard gamma draws of ``shape``, one draw each; returns ``(values, next_draws)``."""
        k = np.asarray(draws, dtype=np.uint64)
        return gamma(shape, self.words(name, customers, k)), k + np.uint64(1)


class PersonalBatch:
    """A batch of customers' draws from one subsystem, each quantity at a slot of its own.

    The population's traits are drawn this way: trait ``s`` of a customer starts at draw
    ``s · 2^SLOT_BITS`` of their stream, so the same customer key has the same traits in
    every batch, alone or among thousands. Successive draws at one slot continue it.

    Args:
        key: the subsystem's key (``PersonalStreams.keys[name]``).
        customers: the customers' keys.
    """

    def __init__(self, key: U64, customers: U64) -> None:
        self.key = key
        self.customers = np.asarray(customers, dtype=np.uint64).reshape(-1)
        self._next: dict[int, int] = {}

    def __len__(self) -> int:
        return int(self.customers.size)

    def _words(self, slot: int) -> U64:
        k = self._next.get(slot, slot << SLOT_BITS)
        self._next[slot] = k + 1
        draws = np.full(self.customers.size, k, dtype=np.uint64)
        return run_words(self.key, self.customers, draws)[:, 0]

    def uniform(self, slot: int) -> F64:
        """One uniform on [0, 1) per customer, from slot ``slot``."""
        return uniform(self._words(slot))

    def gamma(self, shape: float | F64, slot: int) -> F64:
        """One standard gamma of ``shape`` (per customer or for all) per customer."""
        return gamma(shape, self._words(slot))

    def beta(self, a: float | F64, b: float | F64, slot: int) -> F64:
        """One Beta(a, b) per customer."""
        return beta(a, b, self._words(slot))


class PersonalDraws:
    """One customer's draws from one subsystem, one number at a time.

    The scalar twin of :class:`PersonalStreams`: the same words, and the same transforms
    through the same functions (``np.log``, scipy's ``ndtri`` and ``gammaincinv``) on
    float64 scalars, so an engine that draws one number at a time and one that draws
    arrays agree to the last bit. Words come :data:`RUN` at a time (:func:`customer_words`).
    :attr:`k` is the next draw number; an engine that keeps the counters itself can read
    and set it (the words held stay right: they are the stream's).

    Args:
        key: the subsystem's key (``PersonalStreams.keys[name]``).
        customer: the customer's key (:func:`customer_key`).
        k: the first draw number.
    """

    #: Words fetched at a time (the run after the one asked for is kept for later draws).
    RUN = 16

    __slots__ = ("_customer", "_key0", "_key1", "_start", "_words", "k")

    def __init__(self, key: U64, customer: int, k: int = 0) -> None:
        self._key0, self._key1 = int(key[0]), int(key[1])
        self._customer = int(customer)
        self.k = int(k)
        self._start = -self.RUN  # the draw number of _words[0]
        self._words: U64 = np.zeros(0, dtype=np.uint64)

    def word(self) -> int:
        """The next 64-bit word of the stream."""
        k = self.k
        i = k - self._start
        if not 0 <= i < self.RUN:
            self._start = k
            self._words = customer_words(self._key0, self._key1, self._customer, k, self.RUN)
            i = 0
        self.k = k + 1
        return int(self._words[i])

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
        """A standard normal (one draw, by inversion)."""
        return float(ndtri(np.float64(self.open_random())))

    def gamma(self, shape: float) -> float:
        """A standard gamma of ``shape`` (one draw, by inversion, as :func:`gamma`)."""
        return float(gammaincinv(float(shape), np.float64(self.open_random())))
