"""Round levers: the decisions a class may change while a run is under way.

A classroom plays a simulation in rounds, like a management team that meets every quarter:
the firm runs for a few reporting periods, the team looks at the books and changes what it
controls, and the firm runs on from the state it was in. :func:`retuned` is the team's
decision written onto the scenario; the engines (``CRMModel.retune``, ``VectorModel.retune``)
apply it at the start of the next period, ``t0 = periods done × period``, and between two
periods only: a period in progress cannot be retuned, because an engine is only ever handed
the retune between two calls of its ``step``.

Only levers that are *exact* to change at a period start are round levers. Each one is read
by the engines at the moment it acts and changes none of the bounds the engines sample
against (the maximal wallet and hazard multipliers, the review rate, a customer's maximal
purchase rate): those are fixed per customer when the customer arrives, from the ladder and
the loyalty programme, which no round lever touches. What each lever does at ``t0``:

* ``strategy.service.staff``: servers join free at ``t0``, or leave — a leaving server
  finishes the ticket in hand, and no waiting ticket starts until fewer servers are busy
  than the new staff; the queue stays first come, first served across ``t0``. An unbounded
  desk (``null``) stays as it is: a run cannot switch between a bounded and an unbounded
  desk.
* ``strategy.pricing.list_price``: a new value is a price move at ``t0``, exactly as a
  scheduled move (``strategy.pricing.changes``) on day ``t0`` (after the period's plan,
  before the period's events, a rise felt by every active customer); scheduled moves of
  later days still happen.
* ``strategy.complaints.handling``: applies to complaints voiced after ``t0``; a complaint
  already voiced keeps the handling it was voiced under, to its outcome.
* ``strategy.quality.product``: the quality of every purchase from ``t0``.
* the plan's levers (account managers, the acquisition budget, early warning, customer
  selection): read by the period plan at each period start.

The launch cohort arrives, buys and complains on day 0 while the model is built, before any
retune, so a retune before the first step equals a plain run of the retuned scenario only
for the levers day 0 does not read (see ``tests/test_retune.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.context import Context
from sim.errors import Problem, ScenarioError
from sim.scenario.intake import show
from sim.scenario.spec import Scenario, with_overrides

__all__ = ["ROUND_LEVERS", "RetuneError", "context", "retuned"]

#: The dotted scenario paths a run may change at a period start.
ROUND_LEVERS: tuple[str, ...] = (
    "strategy.service.staff",
    "strategy.quality.product",
    "strategy.account_managers.count",
    "strategy.acquisition.budget_per_period",
    "strategy.pricing.list_price",
    "strategy.complaints.handling",
    "strategy.early_warning.enabled",
    "strategy.selection.policy",
)


class RetuneError(ScenarioError):
    """A retune the engines cannot make: a path that is no round lever, or a bad value."""


def retuned(scenario: Scenario, levers: Mapping[str, object]) -> Scenario:
    """``scenario`` with the round ``levers`` set (dotted path → value), validated again.

    Args:
        scenario: the scenario in force.
        levers: new values of some of :data:`ROUND_LEVERS`.

    Returns:
        The new scenario (``scenario`` itself is unchanged); equal to ``scenario`` when
        every value is the one it has.

    Raises:
        RetuneError: every path that is not a round lever and every value the schema
            refuses, each with the path, the value and what is allowed.
    """
    if not isinstance(levers, Mapping):
        raise RetuneError(
            [
                Problem(
                    "",
                    None,
                    show(levers),
                    "levers are a mapping of dotted paths to values",
                    "e.g. {'strategy.service.staff': 4}",
                )
            ]
        )
    allowed = ", ".join(ROUND_LEVERS)
    problems = [
        Problem(str(path), None, show(value), "is not a lever a run can change mid-run", allowed)
        for path, value in levers.items()
        if path not in ROUND_LEVERS
    ]
    staff = levers.get("strategy.service.staff", scenario.strategy.service.staff)
    if (staff is None) != (scenario.strategy.service.staff is None):
        problems.append(
            Problem(
                "strategy.service.staff",
                None,
                show(staff),
                "a run cannot switch between a bounded and an unbounded (null) desk",
                "a whole number of servers ≥ 1" if staff is None else "null, as now",
            )
        )
    if problems:
        raise RetuneError(problems)
    if not levers:
        return scenario
    try:
        return with_overrides(scenario, dict(levers))
    except ScenarioError as err:
        raise RetuneError(
            [Problem(p.path, p.line, p.value, p.message, p.allowed) for p in err.problems]
        ) from err


#: What the engines' sampling bounds are built from (agents.context): a round lever must
#: leave them alone, or thinning against them would no longer be exact.
_BOUNDS = ("max_wallet", "max_hazard_mult", "max_hazard_rate", "review_rate",
           "renewals_per_year", "contractual", "behaviour")  # fmt: skip


def context(scenario: Scenario, before: Context) -> Context:
    """The run constants of the retuned ``scenario``; ``before`` are those in force.

    Raises:
        RuntimeError: a retune moved a sampling bound (a bug: no round lever does).
    """
    ctx = Context.build(
        scenario.behaviour, scenario.strategy, scenario.economics,
        scenario.setting == "contractual", scenario.contract.every, scenario.period,
    )  # fmt: skip
    moved = [f for f in _BOUNDS if getattr(before, f) != getattr(ctx, f)]
    if moved:
        raise RuntimeError(f"a round lever moved the sampling bounds {moved}")
    return ctx
