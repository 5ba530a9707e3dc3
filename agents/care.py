"""Care: the contact programme that keeps relationships warm.

Care tiers (客户关怀体系, seed 004) give each value band its own cadence, channel and owner —
strategic customers a weekly account-manager visit, general ones a half-yearly automated
message. The post-sale follow-up sequence (seed 003, the car dealer) thanks, calls and keeps
in touch after a sale. ``assign_tiers`` is the array policy both engines call at each epoch.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from agents.staff import rank_groups
from agents.units import HOUR, MAX_HORIZON, MAX_MONEY, Days, Frozen

__all__ = [
    "CareTier",
    "CareTiersParams",
    "FollowUpParams",
    "FollowUpStep",
    "assign_tiers",
]

Owner = Literal["account_manager", "consultant", "service", "automated"]
ContactValue = Literal["personalised_contact", "useful_information", "help_in_difficulty"]


class CareTier(Frozen):
    """One care tier (客户关怀体系): who is in it and how they are looked after."""

    name: str = Field(
        min_length=1, description="tier label, unique; names it in the customers and mix tables"
    )
    share: float = Field(
        gt=0.0,
        le=1.0,
        description="share of active customers in the tier, by value rank, top tier first; "
        "shares sum to 1",
    )
    every: Days | None = Field(
        # One contact an hour per customer at most: each is an event, so 0.000001d would
        # be billions of them; a cadence longer than the longest horizon never comes.
        ge=HOUR,
        le=MAX_HORIZON,
        description="contact cadence; null = no scheduled contact; seed 004: weekly, monthly, "
        "quarterly, half-yearly",
    )
    owner: Owner = Field(
        default="automated",
        description="who contacts: account_manager visits use AM hours and cost_per_visit and "
        "are missed when hours run out; the others are labels",
    )
    channel: Literal["visit", "call", "email", "message", "mail"] = Field(
        default="email",
        description="medium of the contact; a label only (cost and strength set price and effect)",
    )
    cost: float = Field(
        default=0.5,
        ge=0.0,
        le=MAX_MONEY,
        description="money per contact (AM-owned visits also cost cost_per_visit)",
    )
    value: ContactValue = Field(
        default="useful_information",
        description="which deposit a contact books; its size comes from behaviour.account",
    )
    strength: float = Field(
        default=1.0,
        ge=0.0,
        le=3.0,
        description="multiplier on that deposit (defaults: 1.5 for the important tier's insight, "
        "0.5 for standard care)",
    )


class CareTiersParams(Frozen):
    """Care tiers assigned by value rank at every period; the course's four tiers by default."""

    enabled: bool = Field(
        default=False,
        description="run the care tiers: every period customers are ranked by value into tiers",
    )
    tiers: tuple[CareTier, ...] = Field(
        default=(
            CareTier(name="strategic", share=0.05, every=7.0, owner="account_manager",
                     channel="visit", cost=30.0, value="help_in_difficulty"),
            CareTier(name="important", share=0.15, every=30.4375, owner="consultant",
                     channel="call", cost=8.0, value="useful_information", strength=1.5),
            CareTier(name="growth", share=0.3, every=91.3125, owner="service", channel="email",
                     cost=1.0, value="useful_information"),
            CareTier(name="general", share=0.5, every=182.625, owner="automated",
                     channel="email", cost=0.2, value="useful_information", strength=0.5),
        ),
        description="tiers, top first; migrated customers get the last; default the course's "
        "four: weekly, monthly, quarterly, half-yearly (seed 004)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _shares(self) -> CareTiersParams:
        total = sum(t.share for t in self.tiers)
        if self.enabled and abs(total - 1.0) > 1e-9:
            raise ValueError(f"care tier shares sum to {total:g}; they must sum to 1")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"care tier names must be unique, got {names}")
        return self


class FollowUpStep(Frozen):
    """A post-sale follow-up step, e.g. the 24-hour thank-you letter."""

    after: Days = Field(
        ge=0.0,
        le=MAX_HORIZON,
        description="delay after the purchase (seed 003: letter and manager call within 24h, "
        "consultant call within 7d)",
    )
    channel: Literal["letter", "call", "visit", "email", "message"] = Field(
        default="call", description="medium of the step; a label only"
    )
    cost: float = Field(
        default=5.0,
        ge=0.0,
        le=MAX_MONEY,
        description="money per step, booked even when it is late",
    )
    value: ContactValue = Field(
        default="personalised_contact",
        description="which deposit the step books (size from behaviour.account), plus "
        "kept_promise when on time",
    )


class FollowUpParams(Frozen):
    """Post-sale follow-up sequence (car-dealer lesson, seed 003)."""

    enabled: bool = Field(default=False, description="run the post-sale follow-up")
    trigger: Literal["first_purchase", "every_purchase"] = Field(
        default="first_purchase",
        description="start the steps after the first purchase only, or after every purchase",
    )
    steps: tuple[FollowUpStep, ...] = Field(
        default=(), description="steps scheduled after a triggering purchase; none by default"
    )
    recurring: Days | None = Field(
        default=None,
        ge=HOUR,  # a contact cadence, bounded as a care tier's every is
        le=MAX_HORIZON,
        description="keep-in-touch interval from the first purchase on; null = no keep-in-touch "
        "contact; seed 003: every two months (61d)",
    )
    recurring_cost: float = Field(
        default=5.0, ge=0.0, le=MAX_MONEY, description="money per keep-in-touch contact"
    )
    on_time: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="probability a step is done on time; the rest break a promise (0.95: "
        "assumption)",
    )


def assign_tiers(values: NDArray[np.float64], tiers: CareTiersParams) -> NDArray[np.int64]:
    """Care tier per customer by value rank (0 = top tier)."""
    return rank_groups(values, np.array([t.share for t in tiers.tiers]))
