"""The firm's strategy: every lever a scenario's ``strategy`` block can set.

Each lever is a typed block in its own module — the offering (quality, pricing), care
(tiers, follow-up), staff (account managers, service desk), retention (complaints, loyalty,
early warning, win-back) and the portfolio (acquisition, selection) — composed here, where
the checks that span levers live. Each lever's costs flow into the economics ledger, and each
has an array policy that both engines call on a population snapshot at a policy epoch.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from agents.care import CareTiersParams, FollowUpParams, assign_tiers
from agents.offering import PricingParams, QualityParams
from agents.portfolio import AcquisitionParams, SelectionParams, ValuationParams, unprofitable
from agents.retention import (
    ComplaintParams,
    EarlyWarningParams,
    LoyaltyParams,
    WinBackParams,
    warning_score,
)
from agents.staff import AccountManagerParams, ServiceDeskParams
from agents.units import Frozen, limit_text

__all__ = [
    "StrategyParams",
    "assign_tiers",
    "unprofitable",
    "warning_score",
]


class StrategyParams(Frozen):
    """All levers of the firm; each block's costs flow into the economics ledger."""

    quality: QualityParams = Field(
        default=QualityParams(),
        description="what each purchase delivers: performance, failures, delivery, delight",
    )
    pricing: PricingParams = Field(
        default=PricingParams(), description="list price, standing discount, price changes"
    )
    care_tiers: CareTiersParams = Field(
        default=CareTiersParams(), description="care tiers by value (客户关怀体系, seed 004)"
    )
    account_managers: AccountManagerParams = Field(
        default=AccountManagerParams(),
        description="key-account managers: headcount, hours and their allocation (seed 001)",
    )
    follow_up: FollowUpParams = Field(
        default=FollowUpParams(), description="post-sale follow-up sequence (seed 003)"
    )
    service: ServiceDeskParams = Field(
        default=ServiceDeskParams(),
        description="service desk: staff, handling time, response-time promise, costs",
    )
    complaints: ComplaintParams = Field(
        default=ComplaintParams(), description="complaint handling: none, basic or LESCANT"
    )
    loyalty: LoyaltyParams = Field(
        default=LoyaltyParams(), description="loyalty programme: points, liability, lock-in"
    )
    early_warning: EarlyWarningParams = Field(
        default=EarlyWarningParams(),
        description="churn early warning: risk score, threshold, intervention",
    )
    win_back: WinBackParams = Field(
        default=WinBackParams(), description="win-back campaign for lapsed customers"
    )
    acquisition: AcquisitionParams = Field(
        default=AcquisitionParams(),
        description="new customers: paid funnel, referrals, or pure Bass diffusion",
    )
    selection: SelectionParams = Field(
        default=SelectionParams(),
        description="customer selection: migrate or fire the unprofitable",
    )
    valuation: ValuationParams = Field(
        default=ValuationParams(),
        description="how customers are valued for ranking: trailing revenue with a memory",
    )

    @model_validator(mode="after")
    def _capacity(self) -> StrategyParams:
        if self.care_tiers.enabled and self.account_managers.count == 0:
            for tier in self.care_tiers.tiers:
                if tier.owner == "account_manager" and tier.every is not None:
                    raise ValueError(
                        f"care tier {tier.name!r} is owned by account managers but "
                        "account_managers.count is 0; add account managers or change the owner"
                    )
        return self

    @model_validator(mode="after")
    def _give_back(self) -> StrategyParams:
        # Discounts and offers are shares below 1 of the price; the loyalty programme gives
        # back points_per_money × point_value × redemption_rate of every unit paid. More
        # than was paid is no programme, and breaks MAX_MONEY's arithmetic (agents/units.py).
        loyal = self.loyalty
        rate = loyal.points_per_money * loyal.redemption_rate
        if rate * loyal.point_value > 1.0:
            raise ValueError(
                f"loyalty.point_value={loyal.point_value:g} gives back {rate * loyal.point_value:g}"
                " of every unit paid (points_per_money × point_value × redemption_rate), more "
                f"than was paid: with points_per_money = {loyal.points_per_money:g} and "
                f"redemption_rate = {loyal.redemption_rate:g} it must be in "
                f"[0, {limit_text(1.0 / rate, up=False)}]"
            )
        return self
