"""New customers on columns: writing a population draw into a lane's fresh rows.

A customer's row is reserved when its arrival is scheduled (traits drawn, rates fixed) and
it becomes active when its arrival event runs
(:meth:`sim.vector_engine.model.VectorModel.admit`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from agents.traits import draw_traits, prior_value
from sim.results.tally import CHANNELS

if TYPE_CHECKING:
    from sim.vector_engine.lanes import Lane
    from sim.vector_engine.model import VectorModel

__all__ = ["TRAIT_COLUMNS", "arrivals", "reserve"]

#: Columns filled straight from the population draw: column → trait.
TRAIT_COLUMNS = {
    "segment": "segment", "lam": "lam", "spend_p": "spend_p", "spend_nu": "mean_spend_nu",
    "dropout_p": "dropout_p", "mu": "mu", "fee": "fee",
    "price_sensitivity": "price_sensitivity", "complaint_propensity": "complaint_propensity",
    "preferred": "preferred_contact", "referral_rate": "referral_rate",
    "service_rate": "service_rate", "satisfaction": "initial_satisfaction",
    "pre_failure_satisfaction": "initial_satisfaction", "expectation": "expectation",
}  # fmt: skip


def arrivals(m: VectorModel, lane: Lane, channel: str, n: int, referrer: Any = -1) -> np.ndarray:
    """Rows for the next ``n`` arrivals of ``channel`` in ``lane``, traits drawn; their ids.

    Arrivals are named by channel and ordinal (:func:`sim.streams.customer_key`) when they
    are scheduled, in time order, as on the agent engine, and each draws its traits from its
    own population stream (:func:`agents.traits.draw_traits`).
    """
    batch = m.luck.lanes[lane.index].arrivals(channel, lane.arrived[channel], n)
    lane.arrived[channel] += n
    ids = reserve(m, lane, draw_traits(m.sc.population.segments, batch), CHANNELS.index(channel),
                  referrer)  # fmt: skip
    m.cols.key[ids] = batch.customers
    return ids


def reserve(
    m: VectorModel, lane: Lane, traits: Any, channel: int, referrer: Any = -1
) -> np.ndarray:
    """Rows for ``traits`` (a population draw) in ``lane``; returns their ids."""
    c = m.cols
    k = len(traits)
    ids = c.add(k)
    m.pool.resize(c.capacity)
    ctx = m.ctx
    for column, trait in TRAIT_COLUMNS.items():
        c.arrays[column][ids] = getattr(traits, trait)
    c.rep[ids] = lane.index
    c.local[ids] = np.arange(lane.n, lane.n + k)
    lane.n += k
    c.lam_max[ids] = traits.lam * ctx.max_wallet
    c.level[ids] = traits.initial_level if ctx.behaviour else 0
    c.prior_value[ids] = prior_value(
        traits.lam, traits.spend_p, traits.mean_spend_nu, traits.fee, ctx.renewals_per_year
    )
    c.channel[ids] = channel
    c.referrer[ids] = referrer
    # The life race runs at its maximum total rate; each event is thinned to what happens.
    rs = traits.service_rate
    c.total_rate[ids] = c.lam_max[ids] + traits.mu * ctx.max_hazard_mult + rs + ctx.review_rate
    return ids
