"""The run's constants, unpacked once from the scenario's parameter models.

The event loop reads these millions of times; plain attributes on a slotted object are
several times faster than walking nested pydantic models, and nothing here can change
during a run. Both engines build one ``Context`` per run and read every derived constant
(review rate, complaint handling, discount rate per day, …) from it, so a constant is
derived in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from agents.economics import EconomicsParams
from agents.emotional_account import AccountParams
from agents.firm import StrategyParams
from agents.relationship import LadderParams
from agents.rules import BehaviourParams, HazardParams
from agents.units import DAYS_PER_YEAR

__all__ = ["Context"]


@dataclass(slots=True, frozen=True)
class Context:
    """Flat, read-only view of the parameters the customer rules use."""

    behaviour: bool
    contractual: bool
    dropout_at_purchase: bool
    loss_aversion: float
    sat_rate: float
    sat_per_point: float
    exp_rate: float
    kappa: float
    half_life: float
    acct: AccountParams
    ladder: LadderParams
    hazard_params: HazardParams
    max_hazard_rate: float
    wallet: tuple[float, ...]
    hazard: tuple[float, ...]
    price_sens: tuple[float, ...]
    referral: tuple[float, ...]
    max_wallet: float
    loyalty_wallet: float
    loyalty_lock: float
    cogs_share: float
    quality: float
    quality_sd: float
    failure_margin: float
    miss_size: float
    exceed_margin: float
    on_time: float
    delight: float
    delight_size: float
    promise: float
    apology: dict[str, float]
    recovery_paradox: bool
    paradox_bonus: float
    renewals_per_year: float
    winback_satisfaction: float
    lookback: float
    signal_memory: float
    max_hazard_mult: float
    period: float
    fixed_cost_per_period: float
    value_memory: float
    review_rate: float
    handling: str
    resolve_p: float
    effort: float
    resolution_mean: float
    resolution_cv: float
    winback_response: np.ndarray
    delta: float

    @classmethod
    def build(
        cls,
        behaviour: BehaviourParams,
        strategy: StrategyParams,
        economics: EconomicsParams,
        contractual: bool,
        renewal_every: float,
        period: float,
    ) -> Context:
        """Unpack the parameter models of one scenario (``period``: its reporting period)."""
        on = behaviour.enabled
        handling = strategy.complaints.handling
        handled = handling != "none"
        response = strategy.win_back.response_array()
        response.flags.writeable = False
        lad = behaviour.ladder
        loyal = strategy.loyalty
        q = strategy.quality
        return cls(
            behaviour=on,
            contractual=contractual,
            dropout_at_purchase=not contractual,
            loss_aversion=behaviour.loss_aversion,
            sat_rate=behaviour.satisfaction_rate,
            sat_per_point=behaviour.satisfaction_per_point,
            exp_rate=behaviour.expectation_rate,
            kappa=behaviour.tolerance,
            half_life=behaviour.account.half_life,
            acct=behaviour.account,
            ladder=lad,
            hazard_params=behaviour.hazard,
            max_hazard_rate=1.0 / behaviour.hazard.max_hazard,
            wallet=lad.wallet,
            hazard=lad.hazard,
            price_sens=lad.price_sensitivity,
            referral=lad.referral,
            max_wallet=(max(lad.wallet) * (1.0 + loyal.wallet_uplift * loyal.enabled))
            if on
            else 1.0,
            loyalty_wallet=1.0 + loyal.wallet_uplift if loyal.enabled else 1.0,
            loyalty_lock=1.0 - loyal.switching_cost if loyal.enabled else 1.0,
            cogs_share=economics.cogs_share,
            quality=q.product,
            quality_sd=q.sd,
            failure_margin=q.failure_margin,
            miss_size=q.miss_size,
            exceed_margin=q.exceed_margin,
            on_time=q.on_time,
            delight=q.delight,
            delight_size=q.delight_size,
            promise=strategy.service.promise,
            apology={k: strategy.complaints.apology.of(k) for k in ("basic", "lescant")},
            recovery_paradox=behaviour.recovery_paradox,
            paradox_bonus=behaviour.paradox_bonus,
            renewals_per_year=DAYS_PER_YEAR / renewal_every if contractual else 0.0,
            winback_satisfaction=strategy.win_back.restart_satisfaction,
            lookback=strategy.selection.lookback,
            signal_memory=strategy.early_warning.signal_memory,
            max_hazard_mult=(
                max(lad.hazard) * (1.0 - loyal.switching_cost * loyal.enabled) if on else 1.0
            ),
            period=period,
            fixed_cost_per_period=economics.fixed_cost_per_period,
            value_memory=strategy.valuation.memory,
            # Reconsideration moments are candidates thinned by the behavioural hazard; the
            # pure modes have none.
            review_rate=1.0 / behaviour.hazard.max_hazard if on else 0.0,
            handling=handling,
            resolve_p=strategy.complaints.resolve.of(handling) if handled else 0.0,
            effort=strategy.complaints.effort.of(handling) if handled else 1.0,
            # Days from the desk finishing a complaint to its outcome (agents.handling).
            resolution_mean=strategy.complaints.resolution_time.of(handling) if handled else 0.0,
            resolution_cv=strategy.complaints.resolution_cv.of(handling) if handled else 0.0,
            winback_response=response,
            # Continuous discounting: (1 + r)^(−t/365.25) = exp(−δ·t).
            delta=math.log1p(economics.discount_rate) / DAYS_PER_YEAR,
        )
