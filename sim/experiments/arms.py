"""Arms: the policies of a comparison, from a mapping or from a scenario's ``arms:`` block.

A lesson file names its policies once (``arms: {basic: {}, lescant: {…}}``), with the arm
to compare the others with (``reference``) and the pairs that matter (``headlines``).
:func:`arms_from_scenario` turns the block into plain scenarios, one per arm;
:func:`resolve_arms` accepts either form and also hands back the lesson scenario itself, whose
headlines and "what to see" text a comparison carries into its reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sim.errors import UserError, check_source
from sim.experiments.inputs import as_scenario
from sim.scenario.spec import Overrides, Scenario, armless, load_scenario, scenario_to_dict

__all__ = ["BASE_ARM", "arms_from_scenario", "default_baseline", "resolve_arms"]

#: Name of the base scenario when it takes part in a comparison as an arm of its own.
BASE_ARM = "base"


def arms_from_scenario(
    scenario: Scenario | str | Path, overrides: Overrides | None = None
) -> dict[str, Scenario]:
    """The arms of a scenario's ``arms:`` block, each one the base with its overrides applied.

    Which arm is the base itself: the base scenario takes part as an arm named ``"base"``
    (listed first), unless the file says otherwise, in one of two ways:

    * an arm whose override set is empty (``current: {}``) *is* the base, under that
      name, and no extra ``"base"`` arm is added;
    * an arm named ``"base"`` with overrides is taken as written (the base plus those
      overrides), and the untouched base does not take part.

    Args:
        scenario: a scenario with an ``arms:`` block, a library name or a YAML path.
        overrides: dotted overrides applied to the base before any arm's own (``--set``).

    Returns:
        Arm name → resolved scenario (without ``arms``), in file order. Derived arms are
        named ``"<base name>:<arm>"``.

    Raises:
        ArgumentError: ``scenario`` of another type.
        ScenarioError: a scenario name or file that does not load.
        UserError: the scenario has no ``arms:`` block, or an arm's overrides are invalid.
    """
    if isinstance(scenario, Scenario):
        base = load_scenario(scenario_to_dict(scenario), overrides) if overrides else scenario
    else:
        check_source(scenario)
        base = load_scenario(scenario, overrides)
    if not base.arms:
        raise UserError(
            f"scenario {base.name!r} has no arms: block; give a mapping of arm names to "
            "override sets (e.g. arms: {lescant: {strategy.complaints.handling: lescant}})"
        )
    data = scenario_to_dict(base)
    data.update(armless())  # each arm is a plain scenario
    plain = Scenario.model_validate(data)
    out: dict[str, Scenario] = {}
    if BASE_ARM not in base.arms and all(base.arms.values()):
        out[BASE_ARM] = plain
    for arm, arm_overrides in base.arms.items():
        if not arm_overrides:
            out[arm] = plain
            continue
        try:
            out[arm] = load_scenario(data, {"name": f"{base.name}:{arm}", **arm_overrides})
        except UserError as exc:
            raise UserError(f"arm {arm!r} of scenario {base.name!r}:\n{exc}") from exc
    return out


def resolve_arms(
    arms: Mapping[str, Scenario] | Scenario | str | Path,
) -> tuple[dict[str, Scenario], Scenario | None]:
    """The arms of a comparison, and the lesson scenario they came from (if one).

    Args:
        arms: arm name → scenario (or library name / path), or one scenario with an
            ``arms:`` block.

    Returns:
        ``(arms, lesson)``: arm name → scenario, and the scenario whose ``arms:`` block was
        expanded (None for a mapping).

    Raises:
        ArgumentError: an arm of another type than a scenario, name, path or mapping.
        ScenarioError: a scenario that does not load.
        UserError: fewer than two arms.
    """
    lesson: Scenario | None = None
    if isinstance(arms, Mapping):
        for k, v in arms.items():
            if not isinstance(v, Scenario):
                check_source(v, f"arms[{k!r}]")
        out = {str(k): as_scenario(v) for k, v in arms.items()}
    else:
        lesson = as_scenario(arms) if not isinstance(arms, Scenario) else arms
        out = arms_from_scenario(lesson)
    if len(out) < 2:
        raise UserError(f"a comparison needs at least two arms, got {len(out)}: {list(out)}")
    return out, lesson


def default_baseline(arms: Mapping[str, Scenario], lesson: Scenario | None) -> str:
    """The arm the others are compared with when nobody names one.

    The lesson's ``reference`` arm; else ``base`` when the untouched base takes part; else
    the first arm.
    """
    if lesson is not None and lesson.reference in arms:
        return str(lesson.reference)
    return BASE_ARM if BASE_ARM in arms else next(iter(arms))
