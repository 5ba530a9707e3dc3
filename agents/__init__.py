"""CRM Sandbox behaviour: customers, their minds, and the firm's levers.

Nothing here imports ``sim``; the engine hands agents everything they use. ``Customer`` (a
Mesa agent) is imported on first use, so tools that only read parameters or results do not
pay for importing Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from agents.customer import Customer, World


def __getattr__(name: str) -> Any:
    if name in ("Customer", "World"):
        from agents import customer

        return getattr(customer, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
