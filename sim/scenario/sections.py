"""Sections: the population, contract and output blocks of a scenario file.

The world's behaviour and the firm's levers are parameter models of ``agents/``; these
three blocks belong to the scenario itself: who is there at day 0 and in what segment mix,
how often a subscription renews, and what a run keeps besides its periods and customers.
:class:`~sim.scenario.spec.Scenario` composes them with the rest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from agents.traits import SegmentParams
from agents.units import DAYS_PER_MONTH, MAX_CUSTOMERS, MAX_HORIZON, Days, Frozen

__all__ = ["ContractParams", "OutputParams", "PopulationParams"]


class PopulationParams(Frozen):
    """The customers at the start and the segment mix of everyone who arrives later."""

    initial: int = Field(
        default=1000,
        ge=0,
        le=MAX_CUSTOMERS,
        description="customers at day 0: a launch cohort (channel 'initial') that the "
        "retention KPIs follow",
    )
    segments: tuple[SegmentParams, ...] = Field(
        min_length=1,
        description="customer segments, each a recipe for its customers; shares sum to 1",
    )

    @model_validator(mode="after")
    def _shares(self) -> PopulationParams:
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{s.name}={s.share:g}" for s in self.segments)
            raise ValueError(f"segment shares must sum to 1, got {total:g} ({shares})")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        return self


class ContractParams(Frozen):
    """Contractual setting: how often the subscription renews (and is paid)."""

    every: Days = Field(
        default=DAYS_PER_MONTH,
        ge=1.0,  # a renewal (and its fee and cancellation) at most once a day
        le=MAX_HORIZON,
        description="renewal interval (contractual setting): the fee is charged and "
        "cancellation observed at each renewal; 1mo: a monthly subscription",
    )


class OutputParams(Frozen):
    """What the run keeps besides the periods and customers tables."""

    ledger: Literal["full", "aggregate"] = Field(
        default="full",
        description="keep every emotional-account entry, or only per-period totals by reason "
        "(smaller output, no per-customer stories)",
    )
    events: bool = Field(
        default=False,
        description="keep the full event log: acquisitions, purchases, churns, win-backs",
    )


class Translation(Frozen):
    """A lesson's header in another language: what the trainer and the learner read."""

    lesson: str = Field(default="", description="the lesson line, translated")
    see: str = Field(default="", description="what a learner should see, translated")
    description: str = Field(default="", description="the trainer's notes, translated")
