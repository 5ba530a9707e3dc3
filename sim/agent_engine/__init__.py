"""The agent engine, the reference: Mesa agents on one SimPy clock.

:class:`CRMModel` is a ``mesa.Model``; its processes (:mod:`sim.agent_engine.processes`)
race each customer's clocks and its operations (:mod:`sim.agent_engine.operations`) execute
the firm's period plan as SimPy callbacks.
"""

from __future__ import annotations

from sim.agent_engine.model import CRMModel

__all__ = ["CRMModel"]
