"""The lesson library teaches its lessons.

Every lesson scenario in ``scenarios/`` compares policies in an ``arms:`` block. Here the
arms run side by side with :func:`sim.experiments.compare` on common random numbers
(replication ``i`` of every arm runs on ``replication_seed(SEED, i)``: the same customers,
the same shocks), and each lesson's direction is asserted on the paired differences: the
mean difference must exceed ``Z`` = 3.3 of its standard errors, which a policy without
the effect passes by chance far less than once in a thousand times.

The sizes below (``customers``, ``horizon``, ``n``) are the smallest found to keep each
effect well beyond that margin: every comparison was run on several base seeds while the
tests were written (``docs/lessons.md`` gives the effect sizes measured at full size), and
the base seed was then fixed so that the suite is deterministic. Smaller worlds keep the
scenario's proportions: :func:`sim.scenario.scaling.scaled` shrinks staff, account managers,
budgets and fixed costs with the customer base.

A lesson that fails here means the model no longer reproduces what the course teaches —
or never did: read the message (arm means and the paired difference) before touching the
margin or the seed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pytest

import scenarios
import sim
from sim.experiments import Comparison, arms_from_scenario, compare, replicate
from sim.scenario.scaling import scaled
from sim.scenario.spec import Scenario, with_overrides

#: Base seed of every comparison (fixed after checking several).
SEED = 20250101
#: Required mean paired difference, in standard errors of that mean.
Z = 3.3
#: Tiny runs that only prove a scenario and each of its arms load, validate and run.
SMOKE = {"population.initial": 60, "horizon": "2mo"}


# --------------------------------------------------------------------------- helpers
def shrink(scenario: Scenario, customers: int) -> Scenario:
    """``scenario`` resized to ``customers`` with a desk that is just as uncongested.

    :func:`sim.scenario.scaling.scaled` rounds the desk's headcount to the nearest whole agent, so
    3 agents for 2,000 customers become 1 for 800: one agent at 80 % utilisation makes
    customers wait far longer than three at 65 % (an M/M/1 queue against an M/M/3 one),
    and every lesson would be taught at a congested desk. Rounding up keeps waits short.
    """
    small = scaled(scenario, customers)
    staff = scenario.strategy.service.staff
    if staff is None:
        return small
    factor = customers / scenario.population.initial
    return with_overrides(small, {"strategy.service.staff": max(1, math.ceil(staff * factor))})


@functools.cache
def lesson_arms(name: str, customers: int | None, horizon: str) -> dict[str, Scenario]:
    """The arms of library scenario ``name`` over ``horizon``, resized to ``customers``."""
    base = sim.load_scenario(name, {"horizon": horizon})
    if customers is not None and customers != base.population.initial:
        base = shrink(base, customers)
    return arms_from_scenario(base)


def run_arms(
    name: str, arms: tuple[str, ...], n: int, customers: int | None, horizon: str
) -> Comparison:
    """Replicate the named arms of a lesson ``n`` times on common random numbers."""
    available = lesson_arms(name, customers, horizon)
    missing = [a for a in arms if a not in available]
    assert not missing, f"{name}: no arms {missing}; the file has {list(available)}"
    return compare({a: available[a] for a in arms}, n=n, seed=SEED)


@dataclass(frozen=True)
class Direction:
    """``better`` beats ``worse`` on ``metric`` (× ``factor``: "by more than …")."""

    better: str
    worse: str
    metric: str
    lower_is_better: bool = False
    factor: float = 1.0

    def differences(self, wide: pd.DataFrame) -> np.ndarray:
        """Paired differences, oriented so that positive means the lesson holds."""
        d = wide[self.better].to_numpy(float) - self.factor * wide[self.worse].to_numpy(float)
        return -d if self.lower_is_better else d

    def __str__(self) -> str:
        op = "<" if self.lower_is_better else ">"
        times = f"{self.factor:g} × " if self.factor != 1.0 else ""
        return f"{self.metric}: {self.better} {op} {times}{self.worse}"


def paired_verdict(d: np.ndarray) -> tuple[float, float, bool]:
    """Mean paired difference, its standard error, and whether it exceeds ``Z`` of them."""
    mean = float(np.mean(d))
    se = float(np.std(d, ddof=1) / math.sqrt(len(d)))
    return mean, se, mean > Z * se


def assert_directions(name: str, cmp: Comparison, directions: list[Direction]) -> None:
    """Assert every direction; the message lists each failing one with arm means."""
    failures = []
    for direction in directions:
        wide = cmp.values(direction.metric)
        mean, se, ok = paired_verdict(direction.differences(wide))
        if not ok:
            means = ", ".join(f"{a} {wide[a].mean():.6g}" for a in wide.columns)
            z = mean / se if se > 0 else float("nan")
            failures.append(
                f"{direction}: paired mean difference {mean:.4g} ± {se:.3g} (z = {z:.2f}, "
                f"needs > {Z}) over n = {len(wide)}; arm means: {means}"
            )
    assert not failures, f"lesson {name!r} not shown:\n  " + "\n  ".join(failures)


# --------------------------------------------------------------------------- the library
LESSON_TESTS: dict[str, str] = {}
F = TypeVar("F", bound=Callable[[], None])


def lesson_test(name: str) -> Callable[[F], F]:
    """Register the decorated test as the one that checks library scenario ``name``."""

    def register(fn: F) -> F:
        LESSON_TESTS[name] = fn.__name__
        return fn

    return register


@pytest.mark.parametrize("name", scenarios.names())
def test_scenario_has_a_lesson(name: str) -> None:
    assert scenarios.lesson(name), f"{name}.yaml has no one-line `lesson:`"
    assert sim.load_scenario(name).lesson.strip() == scenarios.lesson(name)


@pytest.mark.parametrize("name", scenarios.names())
def test_scenario_and_every_arm_run(name: str) -> None:
    base = sim.load_scenario(name, SMOKE)
    runs = {"(file)": base}
    if base.arms:
        assert len(base.arms) >= 2, f"{name}: an arms block compares at least two policies"
        runs.update(arms_from_scenario(name, SMOKE))
    for arm, scenario in runs.items():
        result = sim.run(scenario, seed=1)
        assert len(result.periods) == scenario.n_periods, f"{name} {arm}"
        assert result.check_schema() == [], f"{name} {arm}"
        assert math.isfinite(result.kpi("discounted_profit")), f"{name} {arm}"


def test_every_lesson_scenario_has_a_lesson_test() -> None:
    untested = sorted(set(scenarios.names()) - {"baseline"} - set(LESSON_TESTS))
    assert not untested, f"library scenarios without a lesson test here: {untested}"


def test_paired_verdict_needs_the_margin() -> None:
    assert paired_verdict(np.array([10.0, 11.0, 9.0, 10.0]))[2]
    assert not paired_verdict(np.array([1.0, -1.0, 2.0, -1.5]))[2]
    assert not paired_verdict(np.array([0.0, 0.0, 0.0]))[2]


# --------------------------------------------------------------------------- the lessons
@lesson_test("key_account_pyramid")
def test_key_account_pyramid_beats_equal_split() -> None:
    cmp = run_arms("key_account_pyramid", ("pyramid", "equal"), 8, 400, "1y")
    assert_directions(
        "key_account_pyramid",
        cmp,
        [
            Direction("pyramid", "equal", "discounted_profit"),
            Direction("pyramid", "equal", "revenue"),
        ],
    )


@lesson_test("care_tiers")
def test_care_tiers_keep_more_customers_than_one_size_contact() -> None:
    cmp = run_arms("care_tiers", ("tiers", "one_size"), 10, 800, "1y")
    assert_directions("care_tiers", cmp, [Direction("tiers", "one_size", "retention_12m")])


@lesson_test("over_contact")
def test_contact_at_preferred_cadence_beats_over_and_rare_contact() -> None:
    cmp = run_arms("over_contact", ("at_preference", "over_contact", "rare"), 10, 800, "1y")
    assert_directions(
        "over_contact",
        cmp,
        [
            Direction("at_preference", "over_contact", "retention_12m"),
            Direction("at_preference", "over_contact", "discounted_profit"),
            Direction("at_preference", "rare", "retention_12m"),
        ],
    )


@lesson_test("complaint_handling")
def test_handled_complaints_recover_and_keep_trust() -> None:
    # Retention and profit move too little against the noise of a small world to be
    # asserted here; docs/lessons.md gives them at full size.
    cmp = run_arms("complaint_handling", ("none", "basic", "lescant"), 8, 800, "1y")
    assert_directions(
        "complaint_handling",
        cmp,
        [
            Direction("basic", "none", "balance_end"),
            Direction("lescant", "none", "balance_end"),
            Direction("lescant", "basic", "recovery_rate"),
        ],
    )


@pytest.mark.slow
@lesson_test("service_staffing")
def test_understaffed_desk_waits_longer_and_loses_customers() -> None:
    # Full size: a smaller world rounds the desk to other headcounts (see shrink). The
    # profit the lost customers take with them shows at full size over the three years of
    # docs/lessons.md, not in one year.
    cmp = run_arms("service_staffing", ("adequate", "understaffed"), 5, None, "1y")
    assert_directions(
        "service_staffing",
        cmp,
        [
            Direction("adequate", "understaffed", "mean_wait", lower_is_better=True),
            Direction("adequate", "understaffed", "retention_12m"),
        ],
    )


@lesson_test("post_sale_follow_up")
def test_post_sale_follow_up_keeps_new_customers() -> None:
    cmp = run_arms("post_sale_follow_up", ("follow_up", "none"), 6, 800, "1y")
    assert_directions("post_sale_follow_up", cmp, [Direction("follow_up", "none", "retention_12m")])


@pytest.mark.slow
@lesson_test("loyalty_programme")
def test_loyalty_programme_keeps_more_customers() -> None:
    cmp = run_arms("loyalty_programme", ("programme", "no_programme"), 7, None, "2y")
    assert_directions(
        "loyalty_programme",
        cmp,
        [Direction("programme", "no_programme", "retention_24m")],
    )


@pytest.mark.slow
@lesson_test("churn_early_warning")
def test_early_warning_call_keeps_flagged_customers() -> None:
    # Precision is the share of flagged customers who leave within the 90-day window: the
    # call must lower it. Retention and profit gains are too small against the noise of a
    # small world to be asserted here; docs/lessons.md gives them at full size.
    cmp = run_arms("churn_early_warning", ("intervene", "watch_only"), 6, 800, "2y")
    assert_directions(
        "churn_early_warning",
        cmp,
        [Direction("intervene", "watch_only", "warning_precision", lower_is_better=True)],
    )


@pytest.mark.slow
@lesson_test("win_back")
def test_win_back_recovers_customers() -> None:
    # The lesson's retention gain (about a point at 24 months, docs/lessons.md) is too small
    # for seven replications on shared subsystem streams; what they show every time is the
    # mechanism: customers won back.
    cmp = run_arms("win_back", ("win_back", "let_go"), 7, None, "2y")
    assert_directions("win_back", cmp, [Direction("win_back", "let_go", "won_back")])


@lesson_test("price_war")
def test_price_war_costs_customers_and_matching_keeps_them() -> None:
    cmp = run_arms("price_war", ("calm", "ignore", "match"), 5, 800, "1y")
    assert_directions(
        "price_war",
        cmp,
        [
            Direction("ignore", "calm", "churn_share_price"),
            Direction("calm", "ignore", "retention_12m"),
            Direction("match", "ignore", "retention_12m"),
        ],
    )


@pytest.mark.slow
@lesson_test("customer_selection")
def test_migrating_loss_makers_raises_profit_and_firing_sheds_them() -> None:
    # Firing also raises profit at full size (docs/lessons.md), but removing customers
    # unsettles the common random numbers too much to assert it in a small world; what
    # is asserted for it is that it sheds the demanding tenth and with it their tickets.
    cmp = run_arms("customer_selection", ("none", "migrate", "fire"), 16, 800, "1y")
    assert_directions(
        "customer_selection",
        cmp,
        [
            Direction("migrate", "none", "discounted_profit"),
            Direction("none", "fire", "retention_12m"),
            Direction("fire", "none", "utilisation", lower_is_better=True),
        ],
    )


@pytest.mark.slow
@lesson_test("retention_vs_acquisition")
def test_moving_acquisition_money_into_retention_raises_profit() -> None:
    # Full size: the "retain" arm sets an absolute acquisition budget, which a resized
    # world would not scale.
    cmp = run_arms("retention_vs_acquisition", ("retain", "acquire"), 6, None, "2y")
    assert_directions(
        "retention_vs_acquisition",
        cmp,
        [
            Direction("retain", "acquire", "retention_24m"),
            Direction("retain", "acquire", "discounted_profit"),
        ],
    )


@lesson_test("five_points_retention")
def test_five_points_less_churn_keep_five_points_more_and_compound() -> None:
    # The profit gain (about 18 % over three years at full size, docs/lessons.md) is
    # too noisy in a small world to assert here; the retention it comes from is not.
    cmp = run_arms("five_points_retention", ("five_points", "baseline"), 6, 800, "2y")
    assert_directions(
        "five_points_retention",
        cmp,
        [
            Direction("five_points", "baseline", "retention_12m"),
            Direction("five_points", "baseline", "retention_24m"),
        ],
    )


def renewal_rates(customers: pd.DataFrame, every: float) -> tuple[float, float]:
    """Mean monthly renewal rate of the launch cohort in months 1–3 and in months 13–24."""
    cohort = customers[customers["channel"] == "initial"]
    churned = cohort["churned"].to_numpy(float)

    def alive(month: float) -> float:
        t = month * every
        return float(np.sum(np.isnan(churned) | (churned > t)))

    # Renewals happen at whole months; count the survivors half-way between them.
    early = (alive(3.5) / alive(0.5)) ** (1 / 3)
    late = (alive(24.5) / alive(12.5)) ** (1 / 12)
    return early, late


@lesson_test("subscription")
def test_subscription_renewal_rate_rises_with_tenure() -> None:
    scenario = sim.load_scenario("subscription", {"horizon": "25mo"})
    scenario = shrink(scenario, 400)
    reps = replicate(scenario, n=6, seed=SEED, keep_results=True)
    rates = [renewal_rates(reps.result(i).customers, scenario.contract.every) for i in range(6)]
    d = np.array([late - early for early, late in rates])
    mean, se, ok = paired_verdict(d)
    assert ok, (
        f"subscription: renewal rate months 13–24 minus months 1–3 = {mean:.4f} ± {se:.4f} "
        f"(needs > {Z} SE); (early, late) per replication: {rates}"
    )
