"""Running a sweep: coarse tasks through the executors, each finished task saved at once.

A task is a few consecutive design points with all their replications; on the vector
engine each point's replications run as one stack (:func:`sim.engines.run_stack`), each
identical to its lone run. How points are grouped into tasks is fixed by the plan (from the
spec alone, never from the number of workers), so a sweep resumed on another machine makes
the same files.

Run (point p, replication r) runs on ``SeedSequence(seed, spawn_key=(r,))``: the same seed
key for replication r of every point, so every point meets the same customers and shocks
(common random numbers) and the differences between points are the factors' doing.
Every run is a pure function of its spec, so the dataset does not depend on the executor,
on the workers, on the order in which they finish, or on how often the sweep was stopped.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engines import choose_engine, run, run_stack
from sim.errors import UserError
from sim.experiments.executors import Executor, InProcess, Progress
from sim.experiments.plan import STACK_CUSTOMERS
from sim.experiments.sweep.checks import load_sweep
from sim.experiments.sweep.design import Points, design_points
from sim.experiments.sweep.identity import check_same_plan, spec_from_plan
from sim.experiments.sweep.spec import SweepSpec, spec_hash
from sim.experiments.sweep.store import Status, SweepFolder
from sim.experiments.tasks import scenario_from_json, scenario_json
from sim.results.collect import versions
from sim.rng import replication_seed
from sim.scenario.spec import load_scenario, with_overrides

__all__ = ["FunctionModel", "SweepTask", "resume_sweep", "run_sweep", "run_sweep_task"]

#: A model that is a plain function: ``fn(params, seed) -> {output: value}``, params by
#: factor name. It must be importable by name (a module-level function) to reach workers.
FunctionModel = Callable[[dict[str, Any], np.random.SeedSequence], Mapping[str, float]]

#: Tasks a sweep is cut into at least (when it has that many points): enough for a
#: progress bar and for an interruption to lose little, few enough that files stay few.
MIN_TASKS = 16


@dataclass(frozen=True)
class SweepTask:
    """One task as shipped to a worker: small, picklable, a pure function of its fields."""

    task: int
    points: tuple[int, ...]
    settings: tuple[tuple[tuple[str, Any], ...], ...]
    names: tuple[tuple[str, str], ...]
    scenario_json: str
    replications: int
    seed: int
    engine: str
    model: FunctionModel | None = None


def _rows(task: SweepTask) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seeds = [replication_seed(task.seed, r) for r in range(task.replications)]
    base = scenario_from_json(task.scenario_json) if task.model is None else None
    for point, settings in zip(task.points, task.settings, strict=True):
        start = time.perf_counter()
        if task.model is not None:
            by_name = dict(task.names)
            params = {by_name[path]: value for path, value in settings}
            kpis = [dict(task.model(params, s)) for s in seeds]
        else:
            assert base is not None
            sc = with_overrides(base, dict(settings))
            engine = choose_engine(sc, task.engine, experiment=True)
            if engine == "vector" and task.replications > 1:
                kpis = [r.kpis for r in run_stack(sc, seeds, force=True)]
            else:
                kpis = [run(sc, s, engine=engine, force=True).kpis for s in seeds]
        per_run = (time.perf_counter() - start) / task.replications
        for r, values in enumerate(kpis):
            row: dict[str, Any] = {"task": task.task, "point": point, "replication": r,
                                   "seed": task.seed, "seed_key": r}  # fmt: skip
            row.update({k: float(v) for k, v in values.items()})
            row["seconds"] = per_run
            rows.append(row)
    return rows


def run_sweep_task(task: SweepTask) -> tuple[int, pd.DataFrame | None, str]:
    """Run one task wherever the executor put it: ``(task, rows, "")`` or ``(task, None, error)``.

    A failure is returned, not raised, so one bad point (a scenario the engine refuses)
    is recorded and the rest of the sweep goes on.
    """
    try:
        return task.task, pd.DataFrame(_rows(task)), ""
    except Exception as exc:  # recorded in failed/, shown by status, retried by resume
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return task.task, None, detail


def _group(spec: SweepSpec, points: int, customers: int) -> list[list[int]]:
    """Consecutive points per task: a stack's worth of customers, at least MIN_TASKS tasks."""
    fit = max(1, STACK_CUSTOMERS // max(customers * spec.replications, 1))
    spread = max(1, -(-points // MIN_TASKS))
    size = min(fit, spread)
    return [list(range(s, min(s + size, points))) for s in range(0, points, size)]


def _plan(spec: SweepSpec, points: Points, model: FunctionModel | None) -> dict[str, Any]:
    base = None if model is not None else load_scenario(spec.base_source, spec.settings or None)
    customers = 1 if base is None else base.population.initial
    plan = spec.plan()
    return {
        "kind": "sweep",
        "name": spec.name,
        "description": spec.description,
        "spec": plan,
        "spec_hash": spec_hash(plan),
        "spec_file": str(spec.file.resolve()) if spec.file else None,
        "model": None if model is None else f"{model.__module__}.{model.__qualname__}",
        "scenario": None if base is None else scenario_json(base),
        "points": len(points),
        "replications": spec.replications,
        "tasks": _group(spec, len(points), customers),
        "versions": versions(),
    }


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
    model: FunctionModel | None = None,
) -> Status:
    """Run a sweep into a new folder.

    Args:
        spec: a checked spec, or the path of a spec file.
        out: the sweep's folder (must not exist, or be empty).
        executor: where the runs happen (in this process by default; left open).
        progress: optional ``progress(done_runs, total_runs)``.
        model: a function model instead of the simulation (see :data:`FunctionModel`).

    Returns:
        The final status (``complete`` unless tasks failed).

    Raises:
        SweepError: a bad spec; a folder that holds a sweep already (of this spec: resume
            it; of another: named by the first field that differs).
        UserError: a folder that holds something else, or is locked.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec, function_model=model is not None)
    folder = SweepFolder(out)
    if folder.exists():
        check_same_plan(folder.plan(), spec, folder.path)
        raise UserError(
            f"{folder.path} already holds this sweep; continue it with "
            f"crmsim sweep resume {folder.path}"
        )
    points = design_points(spec)
    folder.create(_plan(spec, points, model), points.table)
    return _execute(folder, executor, progress, model)


def resume_sweep(
    out: str | Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
    spec: SweepSpec | str | Path | None = None,
    model: FunctionModel | None = None,
) -> Status:
    """Run what a sweep folder is missing (and what failed), nothing else.

    Args:
        out: the sweep's folder.
        executor: where the runs happen.
        progress: optional ``progress(done_runs, total_runs)``; starts at the runs done.
        spec: the spec to hold the folder to: a spec, a path, or None for the spec file
            recorded in the plan (when it is still there).
        model: the function model the sweep was made with, if any.

    Raises:
        SweepError: the folder's sweep was made from another spec (the first differing
            field named, with the spec file's line).
        UserError: no sweep in the folder, or another process running it.
    """
    folder = SweepFolder(out)
    plan = folder.plan()
    if spec is None and plan.get("spec_file") and Path(plan["spec_file"]).is_file():
        spec = plan["spec_file"]
    if spec is not None:
        if not isinstance(spec, SweepSpec):
            spec = load_sweep(spec, function_model=model is not None)
        check_same_plan(plan, spec, folder.path)
    return _execute(folder, executor, progress, model)


def _execute(
    folder: SweepFolder,
    executor: Executor | None,
    progress: Progress | None,
    model: FunctionModel | None,
) -> Status:
    folder.lock()
    try:
        plan = folder.plan()
        spec = spec_from_plan(plan)
        points = design_points(spec)
        groups: list[list[int]] = plan["tasks"]
        reps = int(plan["replications"])
        todo = [t for t in range(len(groups)) if t not in folder.done()]
        total = sum(len(g) for g in groups) * reps
        done = total - sum(len(groups[t]) for t in todo) * reps
        if progress is not None:
            progress(done, total)
        in_flight: set[int] = set()
        names = tuple((f.path, f.name) for f in spec.factors)

        def tasks() -> Iterator[SweepTask]:
            for t in todo:
                in_flight.add(t)
                folder.running(in_flight)
                settings = tuple(tuple(points.settings(spec, p).items()) for p in groups[t])
                yield SweepTask(t, tuple(groups[t]), settings, names, plan["scenario"] or "",
                                reps, spec.seed, spec.engine, model)  # fmt: skip

        ex: Executor = executor if executor is not None else InProcess()
        for task, rows, error in ex.map(run_sweep_task, tasks()):
            if rows is not None:
                folder.add(task, rows)
                done += len(groups[task]) * reps
            else:
                folder.fail(task, error)
            in_flight.discard(task)
            folder.running(in_flight)
            if progress is not None:
                progress(done, total)
        status = folder.status()
        if not status.failed and len(status.done) == status.tasks:
            folder.seal({k: plan[k] for k in ("kind", "name", "spec_hash", "points")}
                        | {"runs": total, "versions": versions()})  # fmt: skip
            status = folder.status()
        return status
    finally:
        folder.unlock()
