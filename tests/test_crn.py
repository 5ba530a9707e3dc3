"""Common random numbers per customer: each customer's luck is their own, on both engines.

Every draw about one customer comes from that customer's own stream per subsystem
(:mod:`sim.streams`), keyed by where they came from (:data:`sim.streams.CHANNEL_CODES`), so:

* adding customers who never meet the others changes nothing for the others: their
  purchases, spend, experiences, tickets and churn are the same draw for draw (in a world
  without a shared desk queue, rationed account managers or ranked care, the only places
  customers meet);
* the j-th paid arrival arrives at the same time and is the same person in two arms whose
  levers do not touch acquisition, and the same customer has the same traits on both
  engines;
* the vector engine's words drawn ahead are the words a fresh draw gives, whatever batches
  it drew them in.

Stacked runs equal lone runs (tests/test_stacking.py) and runs are deterministic
(tests/test_engine.py, tests/test_experiments.py) on the same grounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.results.tally import CHANNELS
from sim.scenario.spec import load_scenario
from sim.streams import CHANNEL_CODES, customer_key, philox4x64, run_words
from sim.vector_engine.columns import COUNTERS
from sim.vector_engine.lanes import BUFFERED
from sim.vector_engine.model import VectorModel

ENGINES = ("agent", "vector")

#: A world where customers never meet: an unbounded desk, no care tiers ranked by value, no
#: account managers to ration, no referrals (an advocate's rate draws the arrival); paid
#: arrivals, complaints, tickets and win-back all per customer.
APART: dict[str, Any] = {
    "horizon": "1y",
    "strategy.service.staff": None,
    "strategy.care_tiers.enabled": False,
    "strategy.account_managers.count": 0,
    "strategy.account_managers.allocation": "none",
    "strategy.acquisition.referral_conversion": 0.0,
    "strategy.win_back.enabled": True,
    "output.ledger": "aggregate",
}

#: What a customer's luck decides, in the customers table.
OUTCOMES = [
    "segment", "lam", "dropout_p", "mu", "expectation", "purchases", "revenue", "margin",
    "cost_to_serve", "clv", "churned", "churn_reason", "won_back", "complaints", "failures",
    "satisfaction", "balance", "deposits", "withdrawals", "level",
]  # fmt: skip


def _customers(initial: int, engine: str, **more: Any) -> pd.DataFrame:
    sc = load_scenario("baseline", {**APART, "population.initial": initial, **more})
    return sim.run(sc, seed=7, engine=engine).customers


@pytest.mark.parametrize("engine", ENGINES)
def test_more_customers_change_nothing_for_the_first_ones(engine: str) -> None:
    few = _customers(50, engine)
    more = _customers(60, engine)
    first = [
        df[df["channel"] == "initial"].sort_values("customer_id").head(50) for df in (few, more)
    ]
    a, b = (f[OUTCOMES].reset_index(drop=True) for f in first)
    pd.testing.assert_frame_equal(a, b)
    # The runs did differ: ten more launch customers, with lives of their own.
    assert (more["channel"] == "initial").sum() == 60
    assert a["purchases"].sum() > 50 and a["complaints"].sum() > 0


@pytest.mark.parametrize("engine", ENGINES)
def test_the_jth_paid_arrival_is_the_same_person_in_every_arm(engine: str) -> None:
    # LESCANT against basic handling: a lever that changes what happens to customers (their
    # trust, so who leaves and when), not who arrives. The desk and the care tiers are on.
    arms = [
        sim.run(load_scenario("baseline", {"horizon": "8mo", "population.initial": 300,
                                           "strategy.complaints.handling": h}), seed=3,
                engine=engine).customers
        for h in ("basic", "lescant")
    ]  # fmt: skip
    paid = [df[df["channel"] == "paid"].sort_values("acquired") for df in arms]
    assert len(paid[0]) == len(paid[1]) > 100
    for column in ("acquired", "segment", "lam", "dropout_p", "mu"):
        assert paid[0][column].tolist() == paid[1][column].tolist(), column
    # …while what happened to them differs.
    assert paid[0]["satisfaction"].tolist() != paid[1]["satisfaction"].tolist()


def test_the_same_customer_has_the_same_traits_on_both_engines() -> None:
    agent, vector = (_customers(200, engine) for engine in ENGINES)
    assert len(agent) == len(vector) > 200
    for column in ("channel", "acquired", "segment", "lam", "dropout_p", "mu"):
        assert agent[column].tolist() == vector[column].tolist(), column


def test_every_channel_has_a_key_code() -> None:
    assert set(CHANNEL_CODES) == set(CHANNELS)
    assert len(set(CHANNEL_CODES.values())) == len(CHANNEL_CODES)
    assert int(customer_key(CHANNEL_CODES["paid"], 3)) != int(customer_key(0, 3))


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 60), min_size=4, max_size=12),
    name=st.sampled_from(sorted(BUFFERED)),
)
def test_words_drawn_ahead_are_the_words_drawn_now(cuts: list[int], name: str) -> None:
    """Whatever batches the vector engine draws in, each word is the stream's own."""
    m = VectorModel(load_scenario("baseline", {"population.initial": 60}), seed=5)
    rng = np.random.default_rng(sum(cuts))
    key = m.luck.keys[name]
    counter = getattr(m.cols, COUNTERS[name])
    for size in cuts:
        ix = np.sort(rng.choice(60, size=size, replace=False))
        n = int(rng.integers(1, 4))
        k = counter[ix].copy()
        got = m.luck.words(name, ix, n)
        assert np.array_equal(got, run_words(key, m.cols.key[ix], k, n))
        assert np.array_equal(counter[ix], k + n)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(25, 90))
def test_the_array_generator_is_numpys_philox_row_by_row(seed: int, n: int) -> None:
    """Past the few rows done one by one, the array form still matches numpy word for word."""
    rng = np.random.default_rng(seed)
    counter = rng.integers(0, 2**63, size=(n, 4), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    keys = rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64)
    got = philox4x64(counter, keys)
    for i in (0, n // 2, n - 1):
        # numpy steps its 256-bit counter before a block: start one below (word 0 is odd).
        below = counter[i].copy()
        below[0] -= np.uint64(1)
        assert np.array_equal(got[i], np.random.Philox(key=keys[i], counter=below).random_raw(4))
