"""CRM Sandbox behaviour: customers, their minds, and the firm's levers.

Nothing here imports ``sim``; the engine hands agents everything they use.
"""

from __future__ import annotations

from agents.customer import Customer, World
from agents.emotional_account import AccountParams, Ledger, Reason
from agents.firm import StrategyParams
from agents.relationship import LadderParams, Stage, ladder_step, lifecycle_stage
from agents.rules import BehaviourParams, ChurnReason, Kano
from agents.traits import Level, SegmentParams, Traits, draw_traits

__all__ = [
    "AccountParams",
    "BehaviourParams",
    "ChurnReason",
    "Customer",
    "Kano",
    "LadderParams",
    "Ledger",
    "Level",
    "Reason",
    "SegmentParams",
    "Stage",
    "StrategyParams",
    "Traits",
    "World",
    "draw_traits",
    "ladder_step",
    "lifecycle_stage",
]
