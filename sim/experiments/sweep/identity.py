"""A sweep folder's identity: which spec made it, and the spec rebuilt from its plan.

A folder is resumed only with the spec that made it: a resume that changed a range, a seed
or an output would mix two experiments in one dataset, and no later analysis could tell.
:func:`check_same_plan` compares the spec's plan (:meth:`SweepSpec.plan`) with the one the
folder recorded and names the first field that differs, with its line in the spec file.
:func:`spec_from_plan` rebuilds the spec from the folder alone, so a folder resumes even
where its spec file is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import Problem
from sim.experiments.sweep.spec import Design, SweepError, SweepSpec, spec_hash
from sim.scenario.intake import show
from sim.scenario.space import Factor

__all__ = ["check_same_plan", "first_difference", "spec_from_plan"]


def first_difference(a: Any, b: Any, prefix: str = "") -> tuple[str, Any, Any] | None:
    """The first dotted path where ``a`` and ``b`` differ, with both values, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            found = first_difference(a.get(key), b.get(key), f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{prefix}{i}.")
            if found is not None:
                return found
        return None
    return None if a == b else (prefix.rstrip("."), a, b)


def check_same_plan(plan: dict[str, Any], spec: SweepSpec, folder: Path) -> None:
    """Refuse ``spec`` for a folder made by another spec.

    Raises:
        SweepError: naming the spec file, the line and field of the first difference, the
            value the folder was made with and the value the spec has now.
    """
    mine = spec.plan()
    if spec_hash(mine) == plan.get("spec_hash"):
        return
    found = first_difference(plan.get("spec", {}), mine) or ("", None, None)
    path, then, now = found
    field = path.replace(".low", ".range").replace(".high", ".range")
    problem = Problem(
        field,
        spec.line(field),
        show(now),
        f"the sweep in {folder} was made from another spec: it has {show(then)} here, so "
        "its runs would not belong with these",
        "the spec that made it (or a new --out folder for this one)",
        spec.file,
    )
    raise SweepError([problem], spec.file)


def spec_from_plan(plan: dict[str, Any]) -> SweepSpec:
    """The spec a folder's plan records, rebuilt without reading any file."""
    data = plan["spec"]
    factors = tuple(
        Factor(
            path=f["path"],
            name=f["name"],
            kind=f["kind"],
            unit=f["unit"],
            low=f["low"],
            high=f["high"],
            scale=f["scale"],
            levels=tuple(f["levels"]),
        )
        for f in data["factors"]
    )
    return SweepSpec(
        name=plan.get("name", "sweep"),
        description=str(plan.get("description", "")),
        factors=factors,
        design=Design(**data["design"]),
        outputs=tuple(data["outputs"]),
        base=data["base"],
        settings=dict(data["settings"]),
        replications=int(data["replications"]),
        seed=int(data["seed"]),
        engine=data["engine"],
    )
