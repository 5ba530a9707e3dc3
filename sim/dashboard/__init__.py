"""The live dashboard: a Solara app over a run stepped period by period.

The engine side is here: :class:`LiveRun` steps one scenario a reporting period at a time on
either engine, :class:`Views` cuts what it has run so far into one tidy table per chart,
:class:`Story` tells one customer's life, and :class:`LivePair` runs two policies side by
side on common random numbers (with :func:`replicate` for the verdict over many seeds).
"""

from sim.dashboard.live import LIVE_ENGINES, LiveRun
from sim.dashboard.pair import LivePair, Replicated, replicate
from sim.dashboard.story import Story, Withdrawal
from sim.dashboard.views import Views

__all__ = [
    "LIVE_ENGINES",
    "LivePair",
    "LiveRun",
    "Replicated",
    "Story",
    "Views",
    "Withdrawal",
    "replicate",
]
