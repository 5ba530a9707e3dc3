"""The offering: what each purchase delivers and what it costs the customer.

Product and delivery quality feed expectation–disconfirmation at every purchase; the list
price (an index of the market average), a standing discount and scheduled price changes set
what customers pay and how far we sit from the market.
"""

from __future__ import annotations

from pydantic import Field

from agents.units import MAX_HORIZON, MAX_PRICE_INDEX, Days, Frozen

__all__ = [
    "PriceChange",
    "PricingParams",
    "QualityParams",
]


class QualityParams(Frozen):
    """What the firm delivers at each purchase (performance on the 0–1 expectation scale)."""

    product: float = Field(
        default=0.65,
        ge=0.0,
        le=1.0,
        description="mean performance P of a purchase on the 0–1 expectation scale (index); "
        "0.65: just above the default expectation 0.6",
    )
    sd: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="standard deviation of performance draws (index), for purchases and "
        "service tickets alike; assumption",
    )
    failure_margin: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,  # a margin wider than the whole 0–1 scale is never crossed
        description="shortfall below expectation (index) beyond which a purchase is a failure "
        "(a service_failure withdrawal, and a chance to complain)",
    )
    miss_size: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="felt size (index) of a must-be miss: a late delivery or a ticket not "
        "solved at first contact hurts satisfaction as a shortfall of this size would; "
        "0.2: as large as the failure threshold, assumption",
    )
    exceed_margin: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="surplus above expectation (index) beyond which a purchase earns an "
        "exceeded-expectation deposit",
    )
    on_time: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="probability a delivery is on time; a late one is a broken promise and a "
        "failure (Kano must-be); 0.95: assumption",
    )
    delight: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="probability of an attractive surprise per purchase (Kano: delights, "
        "absence not missed; seed 003); 0 = off",
    )
    delight_size: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="size of a surprise on the expectation scale (index): felt as a gain and "
        "deposited × exceeded_per_unit",
    )


class PriceChange(Frozen):
    """A scheduled change of our list price index."""

    at: Days = Field(ge=0.0, le=MAX_HORIZON, description="day the new list price takes effect")
    to: float = Field(
        ge=1.0 / MAX_PRICE_INDEX,
        le=MAX_PRICE_INDEX,
        description="new list price index; a rise withdraws trust from every active customer",
    )


class PricingParams(Frozen):
    """List price (index; 1.0 = market average), standing discount, scheduled changes."""

    list_price: float = Field(
        default=1.0,
        # Revenue is spend × this: the ceiling is part of MAX_MONEY's arithmetic.
        ge=1.0 / MAX_PRICE_INDEX,
        le=MAX_PRICE_INDEX,
        description="our list price index (1.0 = market average): revenue scales with it and "
        "price-sensitive customers compare it with the market",
    )
    discount: float = Field(
        default=0.0,
        ge=0.0,
        lt=1.0,
        description="standing discount off list for everyone, booked as the discounts cost line "
        "(seed 000: price alone cannot buy loyalty)",
    )
    changes: tuple[PriceChange, ...] = Field(
        default=(), description="scheduled list-price changes, in any order"
    )
