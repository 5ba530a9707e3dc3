"""Parameters that used to mean two things, split: moving one leaves the other behaviour alone.

``quality.failure_margin`` is the shortfall beyond which a purchase counts as a failure (a
service-failure withdrawal and a chance to complain); ``quality.miss_size`` is the felt size
of a must-be miss (a late delivery, a ticket not solved at first contact). One customer of a
real agent model meets the same event with fixed draws under each setting.
"""

from __future__ import annotations

import simpy

from agents.emotional_account import Reason
from sim.agent_engine.model import CRMModel
from sim.scenario.spec import load_scenario


class Fixed:
    """Draws handed out as given: normals and uniforms from their own lists.

    The agent engine asks a draw source for the next number of one customer's own stream
    (``normal(customer)``); the customer is ignored here.
    """

    def __init__(self, normals: list[float], uniforms: list[float]) -> None:
        self.normals, self.uniforms = list(normals), list(uniforms)

    def normal(self, customer: object) -> float:
        return self.normals.pop(0)

    def random(self, customer: object) -> float:
        return self.uniforms.pop(0)


def _purchase(overrides: dict[str, float], shortfall: float, late: bool) -> tuple[float, list[int]]:
    """Satisfaction after one purchase ``shortfall`` below expectation, and its entries."""
    sc = load_scenario("baseline", {"population.initial": 5, **overrides,
                                    "strategy.quality.delight": 0.0})  # fmt: skip
    model = CRMModel(sc, seed=1)
    model.env = simpy.Environment(initial_time=10.0)
    c = model.customers[0]
    c.expectation, c.satisfaction = 0.6, 0.5
    q = sc.strategy.quality
    # perf = quality + sd · z lands `shortfall` below the expectation.
    z = (c.expectation - shortfall - q.product) / q.sd
    # The uniform decides delivery on time; the complaint stream's, voice (1.0: stay silent).
    model.experience_draws = Fixed([z], [0.999999 if late else 0.0])
    model.complaint_draws = Fixed([], [1.0])
    before = len(model.ledger.entries()["reason"])
    c._experience_purchase(model)
    reasons = model.ledger.entries()["reason"][before:].tolist()
    return c.satisfaction, reasons


def test_the_failure_threshold_decides_failures_and_not_the_felt_miss() -> None:
    # A shortfall of 0.25: a failure under a 0.2 threshold, none under 0.3.
    _, tight = _purchase({"strategy.quality.failure_margin": 0.2}, 0.25, late=False)
    _, loose = _purchase({"strategy.quality.failure_margin": 0.3}, 0.25, late=False)
    assert Reason.service_failure in tight and Reason.service_failure not in loose
    # The miss size does not move the classification.
    for miss in (0.05, 0.6):
        _, again = _purchase(
            {"strategy.quality.failure_margin": 0.2, "strategy.quality.miss_size": miss},
            0.25, late=False,
        )  # fmt: skip
        assert again == tight


def test_the_felt_miss_sets_the_pain_of_a_late_delivery_and_not_the_threshold() -> None:
    # On time, no shortfall: no miss, and the miss size cannot matter.
    small, _ = _purchase({"strategy.quality.miss_size": 0.05}, 0.0, late=False)
    large, _ = _purchase({"strategy.quality.miss_size": 0.6}, 0.0, late=False)
    assert small == large
    # Late: a bigger felt miss costs more satisfaction; the failure threshold does not.
    small, entries = _purchase({"strategy.quality.miss_size": 0.05}, 0.0, late=True)
    large, _ = _purchase({"strategy.quality.miss_size": 0.6}, 0.0, late=True)
    assert Reason.broken_promise in entries and large < small
    for margin in (0.05, 0.9):
        same, _ = _purchase(
            {"strategy.quality.miss_size": 0.6, "strategy.quality.failure_margin": margin},
            0.0, late=True,
        )  # fmt: skip
        assert same == large


def _ticket(overrides: dict[str, float]) -> float:
    sc = load_scenario("baseline", {"population.initial": 5, **overrides})
    model = CRMModel(sc, seed=1)
    model.env = simpy.Environment(initial_time=10.0)
    c = model.customers[0]
    c.expectation, c.satisfaction = 0.6, 0.5
    c.service_outcome(0.1, False, 0.6)  # on time, at expectation, not solved first time
    return c.satisfaction


def test_an_unsolved_ticket_hurts_by_the_miss_size_not_the_failure_threshold() -> None:
    base = _ticket({})
    assert _ticket({"strategy.quality.miss_size": 0.6}) < base
    assert _ticket({"strategy.quality.failure_margin": 0.9}) == base
    assert _ticket({"strategy.quality.failure_margin": 0.01}) == base
