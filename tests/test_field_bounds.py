"""Field bounds: every numeric scenario field has a documented range (issue "Hostile input").

A value that validates must not overflow the int64 cents of the books, hang a run on
billions of events or exhaust memory for a reason the schema could have seen. So every
numeric leaf of the scenario declares an upper bound (and durations that schedule events a
floor), the "allowed" text of a refusal names it, the ceiling of money is backed by the
arithmetic of the books, and every library scenario still validates.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import pytest
import yaml
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

import scenarios
from agents.offering import PricingParams
from agents.retention import EarlyWarningParams, WinBackParams
from agents.staff import AccountManagerParams, ServiceDeskParams
from agents.units import (
    HOUR,
    MAX_CUSTOMERS,
    MAX_HEADCOUNT,
    MAX_MONEY,
    MAX_PRICE_INDEX,
    MAX_PURCHASES_PER_DAY,
    MAX_TIME_SCALE,
    MINUTE,
    format_duration,
    parse_duration,
)
from sim.cli.commands import app
from sim.errors import Problem, ScenarioError
from sim.results.tally import MONEY_LINES
from sim.scenario import scaled
from sim.scenario.fields import Slot, child, describe, format_number
from sim.scenario.spec import Scenario, load_scenario

#: The largest value an int64 holds: the books' cents per period and money line.
INT64_MAX = 2**63 - 1

#: Numeric leaves without an upper bound, each with the reason none makes sense.
UNBOUNDED = {
    # numpy's SeedSequence takes whole numbers of any size, as --seed and sim.run do
    # (sim.errors.check_seed); no arithmetic is done with it.
    "seed",
    # the values of a mapping keyed by stage name: AcquisitionParams._funnel checks each
    # is a conversion rate in [0, 1].
    "strategy.acquisition.funnel.*",
}

#: Durations whose floor bounds an event count: each period, renewal, contact, ticket and
#: churn review is an event per customer, so none may come more often than this.
CADENCES = {
    "period": 1.0,
    "contract.every": 1.0,
    "behaviour.hazard.max_hazard": 1.0,
    "strategy.care_tiers.tiers.#.every": HOUR,
    "strategy.follow_up.recurring": HOUR,
    "population.segments.#.service_interval": HOUR,
    "strategy.service.handling_time": MINUTE,
}


# --------------------------------------------------------------------------- the schema
_CONSTRAINTS: dict[str, type] = {
    "le": annotated_types.Le,
    "lt": annotated_types.Lt,
    "ge": annotated_types.Ge,
    "gt": annotated_types.Gt,
}


@dataclass(frozen=True)
class Leaf:
    """A numeric place in the schema: its path, type, constraints and declaring field."""

    path: str
    kind: type
    bounds: tuple[Any, ...]
    owner: type[BaseModel]
    name: str
    field: FieldInfo | None  # None for an item of a tuple (constrained through Annotated)

    def bound(self, *names: str) -> float | None:
        """The first of the constraints ``names`` (``"le"``, ``"lt"`` …), as a number."""
        for b in self.bounds:
            for name in names:
                if isinstance(b, _CONSTRAINTS[name]):
                    return float(getattr(b, name))
        return None

    @property
    def upper(self) -> float | None:
        return self.bound("le", "lt")

    @property
    def lower(self) -> float | None:
        return self.bound("ge", "gt")

    @property
    def duration(self) -> bool:
        return any(isinstance(b, BeforeValidator) and b.func is parse_duration for b in self.bounds)


def leaves(model: type[BaseModel], prefix: str = "") -> Iterator[Leaf]:
    """Every int or float leaf below ``model`` (list items as ``#``, mapping values as ``*``)."""
    for name, field in model.model_fields.items():
        yield from _leaves(
            field.annotation, tuple(field.metadata), f"{prefix}{name}", model, name, field
        )


def _leaves(
    tp: Any,
    meta: tuple[Any, ...],
    path: str,
    owner: type[BaseModel],
    name: str,
    field: FieldInfo | None,
) -> Iterator[Leaf]:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        flat = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        yield from _leaves(base, meta + tuple(flat), path, owner, name, field)
    elif origin in (Union, types.UnionType):
        for member in get_args(tp):
            yield from _leaves(member, meta, path, owner, name, field)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        yield from leaves(tp, f"{path}.")
    elif origin in (tuple, list):
        for item in dict.fromkeys(a for a in get_args(tp) if a is not Ellipsis):
            yield from _leaves(item, (), f"{path}.#", owner, name, None)
    elif origin is dict:
        yield from _leaves(get_args(tp)[1], (), f"{path}.*", owner, name, None)
    elif tp in (int, float):
        yield Leaf(path, tp, meta, owner, name, field)


LEAVES = list(leaves(Scenario))


def test_the_walk_sees_the_whole_schema() -> None:
    """A broken walk would pass the bound checks vacuously."""
    paths = {leaf.path for leaf in LEAVES}
    assert len(LEAVES) > 150
    for path in ("horizon", "population.initial", "behaviour.ladder.wallet.#",
                 "population.segments.#.dropout.beta", "strategy.early_warning.weights.#",
                 "strategy.care_tiers.tiers.#.every", *UNBOUNDED):  # fmt: skip
        assert path in paths, path
    # Pareto's beta is a duration, the shifted-beta-geometric's a plain shape: both seen.
    betas = [leaf for leaf in LEAVES if leaf.path == "population.segments.#.dropout.beta"]
    assert sorted(leaf.duration for leaf in betas) == [False, True]


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda leaf: f"{leaf.owner.__name__}.{leaf.path}")
def test_every_numeric_field_has_an_upper_bound(leaf: Leaf) -> None:
    if leaf.path in UNBOUNDED:
        assert leaf.upper is None, f"{leaf.path} has a bound now: take it off the allow-list"
        return
    assert leaf.upper is not None, f"{leaf.path} has no upper bound (le= or lt=)"
    if leaf.duration:
        assert leaf.lower is not None, f"{leaf.path} is a duration without a floor"


@pytest.mark.parametrize(
    "leaf",
    [leaf for leaf in LEAVES if leaf.field is not None and leaf.upper is not None],
    ids=lambda leaf: f"{leaf.owner.__name__}.{leaf.path}",
)
def test_the_allowed_text_names_the_bounds(leaf: Leaf) -> None:
    """What a refusal offers as "allowed" is read from the same constraints."""
    slot = child(Slot((leaf.owner,)), leaf.name)
    assert slot is not None
    text = describe(slot)
    # A duration's bounds read in its own unit ("≤ 50y"), every other number as it is.
    show = format_duration if slot.duration else format_number
    assert show(leaf.upper) in text, text
    if leaf.lower:
        assert show(leaf.lower) in text, text


@pytest.mark.parametrize(("path", "floor"), sorted(CADENCES.items()))
def test_durations_that_schedule_events_have_a_floor(path: str, floor: float) -> None:
    (leaf,) = [leaf for leaf in LEAVES if leaf.path == path]
    assert leaf.duration
    assert leaf.lower is not None and leaf.lower >= floor
    assert leaf.upper is not None and leaf.upper <= MAX_TIME_SCALE


# --------------------------------------------------------------------------- money
def _money_leaves() -> list[Leaf]:
    """Leaves whose description says they are money (the parameter reference's unit rule)."""
    return [
        leaf
        for leaf in LEAVES
        if leaf.field is not None and "money" in (leaf.field.description or "").lower()
    ]


def test_every_money_field_stays_under_the_shared_ceiling() -> None:
    money = _money_leaves()
    assert len(money) >= 20
    for leaf in money:
        assert leaf.upper is not None and leaf.upper <= MAX_MONEY, leaf.path
        assert leaf.lower is not None and leaf.lower >= -MAX_MONEY, leaf.path
    assert max(leaf.upper or 0.0 for leaf in money) == MAX_MONEY


def _ceiling(model: type[BaseModel], name: str) -> float:
    """The ``le`` bound a field of ``model`` declares."""
    bounds = model.model_fields[name].metadata
    le = next(b.le for b in bounds if isinstance(b, annotated_types.Le))
    assert isinstance(le, int | float)
    return float(le)


#: The money lines that book a share of the price paid, at most the list price × spend.
PRICED_LINES = ("revenue", "discounts", "offers", "loyalty")


def test_the_books_cannot_overflow_at_the_ceilings() -> None:
    """The arithmetic behind MAX_MONEY (agents/units.py), with the ceilings as declared."""
    money = max(leaf.upper or 0.0 for leaf in _money_leaves())
    price = _ceiling(PricingParams, "list_price")
    assert price == MAX_PRICE_INDEX
    # The largest single booking a scenario sets: a whole headcount's salaries of a period.
    salaries = max(
        _ceiling(ServiceDeskParams, "staff") * _ceiling(ServiceDeskParams, "salary_per_period"),
        _ceiling(AccountManagerParams, "count")
        * _ceiling(AccountManagerParams, "salary_per_period"),
    )
    assert salaries * 100 * 100 < INT64_MAX  # a hundred times over
    # One booking at the ceiling for every customer of the largest cohort on every money
    # line of a period: even the period's total of all lines fits.
    (initial,) = [leaf for leaf in LEAVES if leaf.path == "population.initial"]
    assert initial.upper == MAX_CUSTOMERS
    assert set(PRICED_LINES) <= set(MONEY_LINES)
    others = len(MONEY_LINES) - len(PRICED_LINES)
    per_customer = len(PRICED_LINES) * price * money + others * money
    period_cents = int(per_customer) * 100 * MAX_CUSTOMERS
    assert period_cents < INT64_MAX
    # The ceiling is no lower than it must be: a tenfold MAX_MONEY would break that line.
    assert period_cents * 10 > INT64_MAX


def test_what_is_given_back_is_a_share_of_what_is_paid() -> None:
    """Discounts and offers stay below the price; the loyalty programme gives at most it."""
    for model, name in ((PricingParams, "discount"), (EarlyWarningParams, "offer"),
                        (WinBackParams, "offer")):  # fmt: skip
        bounds = model.model_fields[name].metadata
        assert any(isinstance(b, annotated_types.Lt) and b.lt == 1.0 for b in bounds), name
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"strategy.loyalty.point_value": 5})
    problem = _problem(info.value, "strategy.loyalty.point_value")
    assert "gives back 3.5 of every unit paid" in problem.message
    assert problem.allowed == "a number from 0 to 1.428571"  # 1 / (1 point × 0.7 redeemed)
    assert load_scenario("baseline", {"strategy.loyalty.point_value": 1.428571})


def test_mean_spend_per_purchase_is_bounded_through_gamma() -> None:
    """p, q and gamma each validate; a q near 1 would make the mean spend 6e9."""
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"population.segments.0.spend.q": 1.0000001})
    problem = _problem(info.value, "population.segments.0.spend.gamma")
    assert f"more than {MAX_MONEY:.0f}" in problem.message and "q = 1.0000001" in problem.message
    named = re.search(r"gamma must be at most ([\d.]+),", problem.message)
    assert named, problem.message
    # The ceiling it names is the largest gamma that validates with the same p and q.
    top = float(named.group(1))
    fits = {"population.segments.0.spend.q": 1.0000001, "population.segments.0.spend.gamma": top}
    assert load_scenario("baseline", fits)


def test_the_library_scales_to_the_largest_population() -> None:
    """Fixed costs, budgets and headcounts grow with the customers and stay allowed."""
    for name in scenarios.names():
        big = scaled(load_scenario(name), MAX_CUSTOMERS)
        assert big.population.initial == MAX_CUSTOMERS
        assert big.economics.fixed_cost_per_period <= MAX_MONEY
        assert (big.strategy.service.staff or 0) <= MAX_HEADCOUNT


# --------------------------------------------------------------------------- the issue
# (the YAML that sets the value, its dotted path, the bound the refusal must name)
ISSUE: dict[str, tuple[dict[str, Any], str, str]] = {
    "budget": (
        {"strategy": {"acquisition": {"budget_per_period": 1e15}}},
        "strategy.acquisition.budget_per_period",
        f"≤ {format_number(MAX_MONEY)}",
    ),
    "fixed_cost": (
        {"economics": {"fixed_cost_per_period": 1e308}},
        "economics.fixed_cost_per_period",
        f"≤ {format_number(MAX_MONEY)}",
    ),
    "account_managers": (
        {"strategy": {"account_managers": {"count": 10**9}}},
        "strategy.account_managers.count",
        f"≤ {MAX_HEADCOUNT}",
    ),
    "staff": (
        {"strategy": {"service": {"staff": 10**9}}},
        "strategy.service.staff",
        f"≤ {MAX_HEADCOUNT}",
    ),
    "period": ({"period": "0.00001d"}, "period", "≥ 1d"),
    "care_every": (
        {
            "strategy": {
                "care_tiers": {"tiers": [{"name": "all", "share": 1.0, "every": "0.000001d"}]}
            }
        },
        "strategy.care_tiers.tiers.0.every",
        "≥ 1h",
    ),
    "initial": ({"population": {"initial": 10**12}}, "population.initial", f"≤ {MAX_CUSTOMERS}"),
    "horizon": ({"horizon": "10000y"}, "horizon", "≤ 50y"),
}


def _problem(err: ScenarioError, path: str) -> Problem:
    found = [p for p in err.problems if p.path == path]
    assert found, [p.path for p in err.problems]
    return found[0]


@pytest.mark.parametrize("case", sorted(ISSUE))
def test_issue_values_are_refused_at_load(case: str) -> None:
    data, path, bound = ISSUE[case]
    with pytest.raises(ScenarioError) as info:
        load_scenario({"extends": "baseline", **data})
    problem = _problem(info.value, path)
    assert bound in problem.message, problem.render()
    assert problem.allowed is not None and bound in problem.allowed, problem.render()


@pytest.mark.parametrize("case", sorted(ISSUE))
def test_issue_files_fail_validate_cleanly(case: str, tmp_path: Path) -> None:
    data, path, bound = ISSUE[case]
    file = tmp_path / f"{case}.yaml"
    file.write_text(yaml.safe_dump({"extends": "baseline", **data}), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(file)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"✗ {file}" in result.stdout
    assert path in result.stderr and bound in result.stderr, result.stderr
    # the file and the line that set the value
    assert re.search(rf"{re.escape(file.name)}:\d+: {re.escape(path)} = ", result.stderr)


def test_an_override_past_a_bound_fails_validate_cleanly() -> None:
    result = CliRunner().invoke(
        app, ["validate", "baseline", "--set", "strategy.service.staff=1e9"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "strategy.service.staff" in result.stderr


def test_a_tuple_item_past_its_bound_is_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"behaviour.ladder.wallet.1": 50})
    assert _problem(info.value, "behaviour.ladder.wallet.1").message == "must be ≤ 10"


def test_mean_purchases_a_day_are_bounded_through_alpha() -> None:
    """r and alpha each validate; their ratio would ask for 5760 purchases a day."""
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"population.segments.0.purchase.alpha": "1min"})
    problem = _problem(info.value, "population.segments.0.purchase.alpha")
    assert f"more than {MAX_PURCHASES_PER_DAY:g}" in problem.message
    assert problem.value == "'1min'" and problem.override
    named = re.search(r"alpha must be at least ([\d.]+) days", problem.message)
    assert named, problem.message
    # The floor it names is the lowest alpha that validates with the same r.
    floor = float(named.group(1))
    buy = load_scenario("baseline", {"population.segments.0.purchase.alpha": floor})
    purchase = buy.population.segments[0].purchase
    assert purchase is not None and purchase.r / floor <= MAX_PURCHASES_PER_DAY
    with pytest.raises(ScenarioError):
        load_scenario("baseline", {"population.segments.0.purchase.alpha": floor * 0.999})


# --------------------------------------------------------------------------- the library
@pytest.mark.parametrize("name", scenarios.names())
def test_library_scenarios_validate(name: str) -> None:
    """Each library file and each of its arms (checked by load_scenario) is within bounds."""
    assert load_scenario(name).name


def test_corpus_base_validates() -> None:
    assert load_scenario(Path(__file__).parent / "broken" / "_base.yaml").name == "corpus-base"
