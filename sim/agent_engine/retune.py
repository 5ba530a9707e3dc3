"""Round levers on the agent engine: a run's levers changed at a period start.

:func:`sim.scenario.retune.retuned` writes the decision onto the scenario (and explains the
rules of each lever); this module applies it to a running
:class:`sim.agent_engine.model.CRMModel` between two periods, when the SimPy clock has
stopped at the next period's start ``t0``. The model's ``scenario`` and ``ctx`` become the
retuned ones — customers and the period plan read both at the moment they act — and the
two things the engine holds from the levers are brought along:

* the desk's servers (:meth:`sim.agent_engine.processes.Desk.resize`): joining servers take
  the queue's first tickets at ``t0``; leaving ones finish the ticket in hand;
* the list price: a new one is a price move at ``t0``, made by the code of a scheduled move
  (:func:`sim.agent_engine.operations.move_price`) as the first event of day ``t0``, after
  the period's plan, as a scheduled move of that day is.

A complaint keeps the handling it was voiced under: each ticket carries the constants in
force when it opened (:func:`sim.agent_engine.processes.open_ticket`).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

import simpy

from sim.agent_engine.operations import move_price
from sim.errors import UserError
from sim.scenario.retune import context, retuned

if TYPE_CHECKING:
    from sim.agent_engine.model import CRMModel

__all__ = ["retune"]


def retune(model: CRMModel, levers: Mapping[str, object]) -> None:
    """Set round ``levers`` from the start of the next period (see the module docstring)."""
    sc = model.scenario
    if model.steps >= sc.n_periods:
        raise UserError(
            f"the run has finished its {sc.n_periods} periods: no period is left to retune"
        )
    new = retuned(sc, levers)
    if new == sc:
        return
    ctx = context(new, model.ctx)
    staff = new.strategy.service.staff
    if staff != sc.strategy.service.staff and staff is not None:
        model.desk.resize(staff)
    price = new.strategy.pricing.list_price
    if price != sc.strategy.pricing.list_price:
        # A process starts with an urgent event: first of the events due now, day t0.
        model.env.process(_move_now(model, price))
    model.scenario = new
    model.ctx = ctx
    model.books.scenario = new


def _move_now(model: CRMModel, to: float) -> Generator[simpy.Event, Any, None]:
    move_price(model, to)
    yield from ()
