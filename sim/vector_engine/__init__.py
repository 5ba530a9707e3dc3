"""The vector engine: the reference model over numpy columns, for volume.

Customers are columns (:mod:`sim.vector_engine.columns`), scheduled events live in a pool,
the desk seats tickets by day (:mod:`sim.vector_engine.desk`), and stacks run many
replications in one pass (:mod:`sim.vector_engine.lanes`).
"""

from __future__ import annotations

from sim.vector_engine.model import VectorModel, unsupported

__all__ = ["VectorModel", "unsupported"]
