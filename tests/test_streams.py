"""Personal streams: each customer's draws are a pure function of run, subsystem, customer, k.

The generator is numpy's Philox4x64-10 restated on arrays (checked word for word against
``numpy.random.Philox``) and in Python integers for one-at-a-time draws (checked against the
array form); the transforms agree to the bit between the two, and a customer's draws do not
depend on which other customers draw with them, or in what order.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.streams import (
    CHANNEL_BITS,
    PersonalDraws,
    PersonalStreams,
    customer_key,
    philox4x64,
)

U64 = st.integers(0, 2**64 - 1)
_MASK64 = (1 << 64) - 1


def philox_block(
    c0: int, c1: int, key0: int, key1: int, c2: int = 0, c3: int = 0
) -> tuple[int, int, int, int]:
    """Philox4x64-10 of the one counter ``(c0, c1, c2, c3)``, in Python integers.

    An independent statement of the algorithm (Salmon et al. 2011; Random123's constants),
    which the array form and numpy's are held to: Python's exact big integers do the
    128-bit products directly.
    """
    m0, m1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
    w0, w1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
    x0, x1, x2, x3, k0, k1 = c0, c1, c2, c3, key0, key1
    for r in range(10):
        if r:
            k0, k1 = (k0 + w0) & _MASK64, (k1 + w1) & _MASK64
        p0, p1 = m0 * x0, m1 * x2
        x0, x1, x2, x3 = (p1 >> 64) ^ x1 ^ k0, p1 & _MASK64, (p0 >> 64) ^ x3 ^ k1, p0 & _MASK64
    return x0, x1, x2, x3


#: KS p-values below this fail: about one false alarm in 10⁴ per test, for any seed.
P_FLOOR = 1e-4


@settings(max_examples=60, deadline=None)
@given(key=st.tuples(U64, U64), counter=st.tuples(U64, U64, U64, U64))
def test_philox_matches_numpys_generator_word_for_word(
    key: tuple[int, int], counter: tuple[int, int, int, int]
) -> None:
    k = np.array(key, dtype=np.uint64)
    c = np.array(counter, dtype=np.uint64)
    bg = np.random.Philox(key=k, counter=c)
    expected = bg.random_raw(8).reshape(2, 4)  # numpy increments the counter first
    nxt = c.copy()
    rows = []
    for _ in range(2):  # numpy's counter is a 256-bit integer: carry into the next word
        for j in range(4):
            nxt[j] = np.uint64((int(nxt[j]) + 1) % 2**64)
            if nxt[j] != 0:
                break
        rows.append(nxt.copy())
    assert np.array_equal(philox4x64(np.array(rows), k), expected)


@settings(max_examples=60, deadline=None)
@given(key=st.tuples(U64, U64), c0=U64, c1=U64)
def test_the_scalar_block_is_the_array_block(key: tuple[int, int], c0: int, c1: int) -> None:
    row = philox4x64(np.array([[c0, c1, 0, 0]], dtype=np.uint64), np.array(key, dtype=np.uint64))
    assert philox_block(c0, c1, *key) == tuple(int(w) for w in row[0])


@pytest.fixture(scope="module")
def streams() -> PersonalStreams:
    return PersonalStreams(np.random.SeedSequence(11), ("spend", "churn"))


@pytest.mark.parametrize("shape", [0.3, 0.9, 1.0, 2.5, 6.0, 40.0])
def test_scalar_and_array_draws_agree_to_the_bit(streams: PersonalStreams, shape: float) -> None:
    customers = customer_key(2, np.arange(400))
    start = np.arange(400, dtype=np.uint64) % np.uint64(7)
    values, after = streams.gammas("spend", customers, start, shape)
    for i in range(400):
        d = PersonalDraws(streams.keys["spend"], int(customers[i]), int(start[i]))
        assert d.gamma(shape) == values[i] and d.k == after[i]
    k = start
    for name, method in (("uniforms", "random"), ("exponentials", "exponential"),
                         ("normals", "normal")):  # fmt: skip
        array = getattr(streams, name)("churn", customers, k)
        scalar = [getattr(PersonalDraws(streams.keys["churn"], int(c), int(j)), method)()
                  for c, j in zip(customers, k, strict=True)]  # fmt: skip
        assert np.array_equal(array, np.array(scalar)), name


def test_a_customers_draws_ignore_the_other_customers_and_their_order(
    streams: PersonalStreams,
) -> None:
    everyone = customer_key(0, np.arange(1000))
    k = np.arange(1000, dtype=np.uint64) % np.uint64(13)
    together = streams.uniforms("churn", everyone, k)
    order = np.random.default_rng(1).permutation(1000)
    shuffled = streams.uniforms("churn", everyone[order], k[order])
    assert np.array_equal(shuffled, together[order])
    alone = streams.uniforms("churn", everyone[500:501], k[500:501])
    assert alone[0] == together[500]
    # Another run seed, or another subsystem, is another stream.
    other = PersonalStreams(np.random.SeedSequence(12), ("churn",))
    assert not np.array_equal(other.uniforms("churn", everyone, k), together)
    assert not np.array_equal(streams.uniforms("spend", everyone, k), together)


def test_a_subsystems_key_ignores_which_other_subsystems_exist() -> None:
    root = np.random.SeedSequence(3)
    few = PersonalStreams(root, ("churn",))
    many = PersonalStreams(root, ("spend", "purchases", "churn"))
    assert np.array_equal(few.keys["churn"], many.keys["churn"])


def test_customer_keys_separate_channels() -> None:
    assert int(customer_key(0, 5)) == 5
    assert int(customer_key(3, 5)) == (3 << CHANNEL_BITS) + 5
    with pytest.raises(ValueError, match="channel code"):
        customer_key(2 ** (64 - CHANNEL_BITS), 0)


def test_draws_have_their_distributions(streams: PersonalStreams) -> None:
    n = 40_000
    customers = customer_key(1, np.arange(n))
    k = np.zeros(n, dtype=np.uint64)
    assert stats.kstest(streams.uniforms("spend", customers, k), "uniform").pvalue > P_FLOOR
    assert stats.kstest(streams.exponentials("spend", customers, k), "expon").pvalue > P_FLOOR
    assert stats.kstest(streams.normals("spend", customers, k), "norm").pvalue > P_FLOOR
    for shape in (0.4, 1.0, 3.0):
        g, _ = streams.gammas("spend", customers, k, shape)
        assert stats.kstest(g, "gamma", args=(shape,)).pvalue > P_FLOOR
    # Along one customer's stream, too: draw k against draw k + 1 is uncorrelated.
    one = streams.uniforms("spend", np.full(n, 77, dtype=np.uint64), np.arange(n, dtype=np.uint64))
    assert stats.kstest(one, "uniform").pvalue > P_FLOOR
    r = np.corrcoef(one[:-1], one[1:])[0, 1]
    assert abs(r) < 4.0 / np.sqrt(n)  # 4 standard errors: a false alarm once in 15,000
