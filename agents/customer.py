"""The customer: one Mesa agent with a mind (satisfaction, expectation, trust) and a history.

A customer does not run its own clock. The engine decides *when* something happens (a
purchase, a service ticket's outcome, a contact, a moment of reconsideration) and calls the
matching reaction here; each reaction is a few calls into :mod:`agents.rules` plus reasoned
entries in the emotional account. Everything the customer needs from outside — the time, its
random draws, the ledger, the books — comes through the :class:`World` it is handed.
"""

from __future__ import annotations

from typing import Any

import mesa

from agents import rules
from agents.emotional_account import Reason
from agents.relationship import ladder_step
from agents.rules import ChurnReason, Kano
from agents.traits import prior_value
from agents.world import DrawSource, World

__all__ = ["Customer", "DrawSource", "World"]


class Customer(mesa.Agent):
    """A customer with heterogeneous traits, a trust account and a purchase history."""

    # Slots keep a customer small (the benchmark's memory target); Mesa's own attributes
    # (model, unique_id) live in the instance dict the base class provides.
    __slots__ = (
        "acquired", "alive", "balance", "balance_t", "cancel_intent", "channel", "churn_reason",
        "churned_at", "clv", "complaint_propensity", "complaints", "cost", "deposits",
        "dropout_p", "expectation", "failures", "fee", "interactions", "k_churn", "k_complaints",
        "k_contacts", "k_experience", "k_purchases", "k_resolution", "k_service",
        "k_service_quality", "k_spend", "k_winback", "key", "lam", "lam_max",
        "last_contact", "last_failure", "last_repeat", "last_touch", "last_winback", "level",
        "margin", "money_t", "mu", "offer", "offer_until", "pre_failure_satisfaction",
        "preferred", "price_sensitivity", "prior_value", "purchases", "recent_cost",
        "recent_failures", "recent_margin", "recent_t", "recent_unresolved", "referral_rate",
        "referrer", "repeat", "repeat_spend", "revenue", "satisfaction", "segment",
        "service_rate", "spend_nu", "spend_p", "value", "value_t", "withdrawals",
        "withdrawn_by", "won_back",
    )  # fmt: skip

    def __init__(
        self, model: Any, traits: dict[str, Any], acquired: float, channel: str, key: int = 0
    ) -> None:
        super().__init__(model)
        w: World = model
        ctx = w.ctx
        # --- traits (fixed) ----------------------------------------------------------
        self.segment: int = int(traits["segment"])
        self.lam: float = float(traits["lam"])
        self.spend_p: float = float(traits["spend_p"])
        self.spend_nu: float = float(traits["mean_spend_nu"])
        self.dropout_p: float = float(traits["dropout_p"])
        self.mu: float = float(traits["mu"])
        self.fee: float = float(traits["fee"])
        self.price_sensitivity: float = float(traits["price_sensitivity"])
        self.complaint_propensity: float = float(traits["complaint_propensity"])
        self.preferred: float = float(traits["preferred_contact"])
        self.referral_rate: float = float(traits["referral_rate"])
        self.service_rate: float = float(traits["service_rate"])
        self.lam_max: float = self.lam * ctx.max_wallet
        # --- luck: the customer's key names their own random streams (sim.streams), and
        # each counter is the next draw of one subsystem's stream (the World draws them).
        self.key = int(key)
        self.k_purchases = self.k_spend = self.k_experience = self.k_complaints = 0
        self.k_service = self.k_service_quality = self.k_contacts = self.k_churn = 0
        self.k_winback = self.k_resolution = 0
        # --- state ---------------------------------------------------------------------
        self.alive = True
        self.satisfaction: float = float(traits["initial_satisfaction"])
        self.expectation: float = float(traits["expectation"])
        self.level: int = int(traits["initial_level"]) if ctx.behaviour else 0
        self.balance = 0.0
        self.balance_t = acquired
        self.interactions = 0
        self.acquired = acquired
        self.channel = channel
        self.referrer = -1
        self.churned_at = float("nan")
        self.churn_reason = -1
        self.cancel_intent = -1
        self.won_back = 0
        self.last_winback = float("-inf")
        self.purchases = 0
        self.repeat = 0
        self.last_repeat = acquired
        self.repeat_spend = 0.0
        self.revenue = 0.0
        self.margin = 0.0
        self.cost = 0.0
        self.clv = 0.0
        self.last_touch = acquired
        # No earlier contact: the first one is never "too soon".
        self.last_contact = float("-inf")
        self.offer = 0.0
        self.offer_until = float("-inf")
        self.value = 0.0
        self.value_t = acquired
        self.prior_value = float(
            prior_value(self.lam, self.spend_p, self.spend_nu, self.fee, ctx.renewals_per_year)
        )
        self.recent_margin = 0.0
        self.recent_cost = 0.0
        self.money_t = acquired
        self.complaints = 0
        self.last_failure = 0.0
        self.pre_failure_satisfaction = self.satisfaction
        self.failures = 0
        self.recent_failures = 0.0
        self.recent_unresolved = 0.0
        self.recent_t = acquired
        self.deposits = 0.0
        self.withdrawals = 0.0
        self.withdrawn_by: dict[int, float] = {}

    # ------------------------------------------------------------------ account
    def balance_at(self, t: float) -> float:
        """Emotional-account balance at day ``t`` (cooled since the last entry)."""
        return float(
            rules.decay_balance(self.balance, t - self.balance_t, self.model.ctx.half_life)
        )

    def entry(self, reason: Reason, amount: float) -> float:
        """Book a deposit (> 0) or withdrawal (< 0); withdrawals are scaled by tolerance.

        Returns:
            The amount actually booked.
        """
        w: World = self.model
        if not w.ctx.behaviour or amount == 0.0:
            return 0.0
        t = w.now
        b = self.balance_at(t)
        if amount < 0.0:
            amount = amount * float(rules.tolerance(b, w.ctx.kappa, w.ctx.acct.tolerance_cap))
            self.withdrawals += amount
            self.withdrawn_by[reason] = self.withdrawn_by.get(reason, 0.0) + amount
        else:
            self.deposits += amount
        self.balance = b + amount
        self.balance_t = t
        w.record_entry(self, int(reason), amount)
        self.level = ladder_step(self.level, self.balance, self.interactions, w.ctx.ladder)
        return amount

    def tolerance_now(self) -> float:
        """Tolerance multiplier at the current balance."""
        w: World = self.model
        return float(rules.tolerance(self.balance_at(w.now), w.ctx.kappa, w.ctx.acct.tolerance_cap))

    def feel(self, impact: float, tol: float | None = None) -> None:
        """Let an experience's felt impact move satisfaction (tolerance on losses).

        Args:
            impact: the felt value of the experience.
            tol: tolerance taken *before* the experience's own ledger entries; without it,
                a failure's withdrawal would lower the balance and so count twice.
        """
        w: World = self.model
        if not w.ctx.behaviour:
            return
        if tol is None:
            tol = self.tolerance_now()
        self.satisfaction = float(
            rules.satisfaction_step(self.satisfaction, impact, w.ctx.sat_rate, tol)
        )

    def touch(self) -> None:
        """Any interaction: counts toward the ladder and resets neglect."""
        self.interactions += 1
        self.last_touch = self.model.now

    # ------------------------------------------------------------------ multipliers
    def wallet(self) -> float:
        """Purchase-rate multiplier from the ladder and loyalty membership."""
        ctx = self.model.ctx
        return ctx.wallet[self.level] * ctx.loyalty_wallet if ctx.behaviour else 1.0

    def hazard_multiplier(self) -> float:
        """Churn multiplier: ladder switching cost × loyalty lock-in."""
        ctx = self.model.ctx
        return ctx.hazard[self.level] * ctx.loyalty_lock if ctx.behaviour else 1.0

    # ------------------------------------------------------------------ reactions
    def purchase(self, repeat: bool) -> None:
        """Buy: pay, experience the product and delivery, maybe complain, maybe drop out."""
        w: World = self.model
        ctx = w.ctx
        t = w.now
        z = w.spend_draws.gamma(self, self.spend_p, 1.0 / self.spend_nu)
        w.earn(z, z * ctx.cogs_share, self)
        self.purchases += 1
        self._add_value(z, t)
        if repeat:
            self.repeat += 1
            self.last_repeat = t
            self.repeat_spend += z
        w.count("purchases")
        if ctx.behaviour:
            self._experience_purchase(w)
        self.touch()
        w.on_purchase(self, repeat)
        # BG/NBD: after a repeat purchase the customer may become inactive (latent).
        if (
            repeat
            and ctx.dropout_at_purchase
            and w.churn_draws.random(self) < self.dropout_p * self.hazard_multiplier()
        ):
            self.churn(ChurnReason.baseline)

    def _experience_purchase(self, w: World) -> None:
        ctx = w.ctx
        d_ = w.experience_draws
        perf = ctx.quality + ctx.quality_sd * d_.normal(self)
        tol = self.tolerance_now()
        before = self.satisfaction
        d = perf - self.expectation
        impact = float(rules.kano_response(d, Kano.one_dimensional, ctx.loss_aversion))
        failed = d < -ctx.failure_margin
        lost = 0.0
        if d > ctx.exceed_margin:
            self.entry(Reason.exceeded_expectation, ctx.acct.exceeded_per_unit * d)
        elif failed:
            lost += self.entry(
                Reason.service_failure, ctx.acct.failure_per_unit * ctx.loss_aversion * d
            )
        if d_.random(self) >= ctx.on_time:
            # Delivery is a must-be attribute: on time goes unnoticed, late is a broken promise.
            failed = True
            lost += self.entry(Reason.broken_promise, -ctx.acct.broken_promise)
            impact += float(rules.kano_response(-ctx.miss_size, Kano.must_be, ctx.loss_aversion))
        if ctx.delight > 0.0 and d_.random(self) < ctx.delight:
            impact += float(
                rules.kano_response(ctx.delight_size, Kano.attractive, ctx.loss_aversion)
            )
            self.entry(Reason.exceeded_expectation, ctx.acct.exceeded_per_unit * ctx.delight_size)
        self.feel(impact, tol)
        self.expectation = float(rules.adapt_expectation(self.expectation, perf, ctx.exp_rate))
        if failed:
            self.last_failure = -lost
            self.pre_failure_satisfaction = before
            self.fail(w)

    def fail(self, w: World) -> None:
        """A failure happened: complain (voice) or stay silent (grudge)."""
        self.failures += 1
        self._decay_recent(w.now)
        self.recent_failures += 1.0
        w.count("failures")
        if w.complaint_draws.random(self) < self.complaint_propensity:
            self.complaints += 1
            w.count("complaints")
            w.complain(self)
        else:
            w.count("silent_failures")
            self.entry(Reason.silent_dissatisfaction, -w.ctx.acct.silent_dissatisfaction)

    def complaint_outcome(self, resolved: bool, elapsed: float, handling: str) -> None:
        """The complaint was handled (or not) ``elapsed`` days after it was voiced.

        Unresolved: a withdrawal. Resolved: an apology with a fix (a deposit that, by
        default, only partly offsets the failure). Time counts either way: within the
        promise it is respected (a deposit for a quick resolution), beyond it the wait is a
        withdrawal — so resolved quickly > resolved late.
        """
        w: World = self.model
        ctx = w.ctx
        tol = self.tolerance_now()
        quick = elapsed <= ctx.promise
        if not quick:
            self._wait_withdrawal(elapsed)
        if not resolved:
            self._decay_recent(w.now)
            self.recent_unresolved += 1.0
            self.entry(Reason.unresolved_complaint, -ctx.acct.unresolved_complaint)
            self.feel(-ctx.acct.unresolved_complaint * ctx.sat_per_point, tol)
            return
        w.count("complaints_resolved")
        fix = ctx.acct.apology_fix * ctx.apology[handling]
        felt = fix * ctx.sat_per_point
        if quick:
            w.count("complaints_quick")
            self.entry(Reason.respected_time, ctx.acct.quick_resolution)
            felt += ctx.acct.quick_resolution * ctx.sat_per_point
            if ctx.recovery_paradox:
                # Explicit option: a quick recovery more than repairs the failure — its trust
                # withdrawal is repaid with a bonus, and the satisfaction it cost is restored
                # with the bonus on top (the recovery felt as a delight).
                fix = max(fix, ctx.paradox_bonus * self.last_failure)
                self.satisfaction = max(self.satisfaction, self.pre_failure_satisfaction)
                felt = (ctx.paradox_bonus - 1.0) * self.last_failure * ctx.sat_per_point
        self.entry(Reason.apology_fix, fix)
        self.feel(felt, tol)

    def _wait_withdrawal(self, wait: float) -> None:
        """A wait beyond the promised response time: a withdrawal growing with the excess."""
        ctx = self.model.ctx
        over = min(
            ctx.acct.long_wait_per_promise * (wait / ctx.promise - 1.0), ctx.acct.long_wait_cap
        )
        self.entry(Reason.long_wait, -over)
        self._decay_recent(self.model.now)
        self.recent_failures += 1.0

    def service_outcome(self, wait: float, resolved_first_time: bool, performance: float) -> None:
        """A service ticket was handled after ``wait`` days."""
        w: World = self.model
        ctx = w.ctx
        self.touch()
        if not ctx.behaviour:
            return
        tol = self.tolerance_now()
        if wait <= ctx.promise:
            self.entry(Reason.respected_time, ctx.acct.respected_time)
        else:
            self._wait_withdrawal(wait)
        d = performance - self.expectation
        impact = float(rules.kano_response(d, Kano.one_dimensional, ctx.loss_aversion))
        if not resolved_first_time:
            impact += float(rules.kano_response(-ctx.miss_size, Kano.must_be, ctx.loss_aversion))
        self.feel(impact, tol)

    def contact(self, reason: Reason, deposit: float) -> None:
        """A scheduled contact or visit: deposit, or annoyance if it comes too soon."""
        w: World = self.model
        ctx = w.ctx
        t = w.now
        gap = t - self.last_contact
        self.last_contact = t
        self.touch()
        effect = float(
            rules.contact_effect(
                gap, self.preferred, deposit, ctx.acct.over_contact, ctx.acct.over_contact_cap
            )
        )
        if effect >= 0.0:
            self.entry(reason, effect)
        else:
            w.count("over_contacts")
            self.entry(Reason.over_contact, effect)

    def promised_step(self, reason: Reason, deposit: float, kept: float) -> None:
        """A promised post-sale step done on time: part of the service, never "too soon"."""
        self.touch()
        self.entry(reason, deposit)
        self.entry(Reason.kept_promise, kept)

    def broken_promise(self) -> None:
        """A promised contact did not happen (missed or late)."""
        self.model.count("broken_promises")
        self.entry(Reason.broken_promise, -self.model.ctx.acct.broken_promise)

    def price_change(self, rise: float) -> None:
        """Our list price moved by ``rise`` (relative); a rise is a withdrawal."""
        ctx = self.model.ctx
        if rise > 0.0:
            sens = self.price_sensitivity * ctx.price_sens[self.level]
            amount = ctx.acct.price_rise_per_unit * rise * sens
            tol = self.tolerance_now()
            self.entry(Reason.price_rise, -amount)
            self.feel(-amount * ctx.sat_per_point, tol)

    def intervene(self, offer: float, until: float, deposit: float) -> None:
        """Early-warning intervention: a personal call that helps, plus a retention offer.

        The call answers a problem, like a service ticket, so it is not a care contact on
        the calendar: it does not make the next scheduled contact come "too soon" (an
        overdrawn customer would feel that annoyance amplified and the call would backfire).
        """
        self.offer = offer
        self.offer_until = until
        self.touch()
        self.entry(Reason.help_in_difficulty, deposit)

    def review(self) -> None:
        """A moment of reconsideration (thinning candidate of the behavioural hazard)."""
        w: World = self.model
        ctx = w.ctx
        t = w.now
        comps = self.hazards(t)
        total = comps[0] + comps[1] + comps[2] + comps[3]
        if w.churn_draws.random(self) < rules.churn_accept_probability(total, ctx.max_hazard_rate):
            reason = int(rules.dominant_reason(comps))
            if ctx.contractual:
                self.cancel_intent = reason
            else:
                self.churn(reason)

    def hazards(self, t: float) -> tuple[float, float, float, float]:
        """Behavioural churn hazards per day now (dissatisfaction, overdrawn, price, neglect)."""
        w: World = self.model
        ctx = w.ctx
        paid, _ = w.price_paid(self)
        gap = rules.price_gap(paid, w.market_price())
        sens = self.price_sensitivity * ctx.price_sens[self.level]
        neglect = rules.neglect_pressure(t - self.last_touch, self.preferred, ctx.hazard_params)
        return rules.churn_components(
            self.satisfaction, self.balance_at(t), gap, sens, neglect, self.hazard_multiplier(),
            ctx.hazard_params,
        )  # fmt: skip

    # ------------------------------------------------------------------ life and death
    def churn(self, reason: int) -> None:
        """Leave: record when and why; the engine stops this customer's processes."""
        if not self.alive:
            return
        self.alive = False
        self.churned_at = self.model.now
        self.churn_reason = int(reason)
        self.cancel_intent = -1
        self.model.on_churn(self, int(reason))

    def reactivate(self, deposit: float) -> None:
        """Won back: active again with a fresh start on trust and a reset expectation gap."""
        w: World = self.model
        self.alive = True
        self.won_back += 1
        self.last_winback = w.now
        self.churned_at = float("nan")
        self.churn_reason = -1
        self.balance = 0.0
        self.balance_t = w.now
        self.satisfaction = max(self.satisfaction, w.ctx.winback_satisfaction)
        self.last_touch = w.now
        self.last_contact = w.now
        self.entry(Reason.help_in_difficulty, deposit)

    # ------------------------------------------------------------------ bookkeeping
    def _add_value(self, amount: float, t: float) -> None:
        # Trailing value: revenue with the firm's valuation memory (what a CRM ranks on).
        memory = self.model.ctx.value_memory
        self.value = self.value * float(rules.exp((self.value_t - t) / memory)) + amount
        self.value_t = t

    def remember_money(self, margin: float, cost: float, t: float) -> None:
        """Track margin and cost to serve with the selection policy's memory (lookback)."""
        f = float(rules.exp((self.money_t - t) / self.model.ctx.lookback))
        self.recent_margin = self.recent_margin * f + margin
        self.recent_cost = self.recent_cost * f + cost
        self.money_t = t

    def _decay_recent(self, t: float) -> None:
        # Recent-failure counters fade with the early-warning signal memory.
        f = float(rules.exp((self.recent_t - t) / self.model.ctx.signal_memory))
        self.recent_failures *= f
        self.recent_unresolved *= f
        self.recent_t = t
