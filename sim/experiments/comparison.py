"""Comparisons: several policies (arms) run side by side on common random numbers.

Replication ``i`` of every arm runs on ``replication_seed(seed, i)``, so the arms meet the
same customers and the same shocks and their differences are paired. A
:class:`Comparison` gives arm summaries, paired differences with intervals, and P(best),
all from :mod:`sim.experiments.stats`; an adaptive comparison grows its replications in
batches until every arm mean meets a precision target.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engines import run
from sim.errors import ArgumentError, UserError, check_callback, check_seed, check_source
from sim.experiments.executors import Executor, InProcess, Progress, execute
from sim.experiments.inputs import (
    as_scenario,
    check_count,
    check_executor,
    chosen_metrics,
    unknown_metric,
)
from sim.experiments.plan import check_experiment, experiment_engine
from sim.experiments.stats import contrast, describe, direction, mean_interval, prob_best
from sim.experiments.targets import Target, TargetStatus, next_batch, parse_target
from sim.experiments.tasks import RunOutput, tabulate
from sim.results.run_result import RunResult
from sim.rng import DEFAULT_SEED, replication_seed
from sim.scenario.spec import Overrides, Scenario, load_scenario, scenario_to_dict

__all__ = ["BASE_ARM", "DEFAULT_N", "Comparison", "arms_from_scenario", "compare"]

#: Replications per arm when neither ``n`` nor a target is given.
DEFAULT_N = 30

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
    # Each arm is a plain scenario: no arms of its own, so no headlines comparing them.
    data["arms"] = {}
    data["headlines"] = []
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


def _arm_map(arms: Mapping[str, Scenario] | Scenario | str | Path) -> dict[str, Scenario]:
    if isinstance(arms, Mapping):
        for k, v in arms.items():
            if not isinstance(v, Scenario):
                check_source(v, f"arms[{k!r}]")
        out = {str(k): as_scenario(v) for k, v in arms.items()}
    else:
        out = arms_from_scenario(arms)
    if len(out) < 2:
        raise UserError(f"a comparison needs at least two arms, got {len(out)}: {list(out)}")
    return out


@dataclass
class Comparison:
    """Policies run side by side on common random numbers.

    Attributes:
        arms: arm name → scenario, in display order.
        baseline: the arm the others are compared with.
        seed: the experiment seed; replication ``i`` of every arm ran on
            ``replication_seed(seed, i)``.
        engine: the engine every run ran on (``"agent"`` or ``"vector"``, never
            ``"auto"``); :meth:`result` re-runs on it.
        table: tidy per-replication KPIs: ``arm``, ``replication``, one column per KPI.
        curves: day-0 cohort retention per ``arm``, ``replication``, ``period``, ``day``.
        results: full results by ``(arm, replication)``, only with ``keep_results=True``.
        target: the precision target of an adaptive comparison, else None.
        target_status: per arm, whether the target was met (empty without a target).
        seconds: wall time of the whole comparison.
    """

    arms: dict[str, Scenario]
    baseline: str
    seed: int
    engine: str
    table: pd.DataFrame
    curves: pd.DataFrame
    results: dict[tuple[str, int], RunResult] = field(default_factory=dict)
    target: Target | None = None
    target_status: dict[str, TargetStatus] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n(self) -> int:
        """Replications per arm."""
        return int(self.table["replication"].nunique())

    @property
    def metrics(self) -> list[str]:
        """The KPI columns of :attr:`table`."""
        return [c for c in self.table.columns if c not in ("arm", "replication")]

    @property
    def capped(self) -> list[str]:
        """Arms that did not meet the target by the replication cap."""
        return [a for a, s in self.target_status.items() if not s.met]

    def values(self, metric: str) -> pd.DataFrame:
        """One metric as a replication × arm frame (columns in arm order)."""
        if metric not in self.metrics:
            raise UserError(unknown_metric(metric, self.metrics))
        wide = self.table.pivot(index="replication", columns="arm", values=metric)
        return wide[list(self.arms)]

    def result(self, arm: str, replication: int) -> RunResult:
        """The full result of one run: kept, or re-run on its seed and engine.

        A re-run is identical to the run (its KPIs are those in :attr:`table`), and is not
        held to the soft size ceilings again: the comparison already ran it.
        """
        if (arm, replication) in self.results:
            return self.results[(arm, replication)]
        if arm not in self.arms:
            raise UserError(f"no arm named {arm!r}; arms: {', '.join(self.arms)}")
        if not 0 <= replication < self.n:
            raise UserError(f"replication {replication} is not in 0..{self.n - 1}")
        seed = replication_seed(self.seed, replication)
        return run(self.arms[arm], seed, engine=self.engine, force=True)

    def arm_summary(
        self, metrics: Iterable[str] | None = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Per arm and metric: ``arm, metric, n, mean, sd, low, high, half_width``."""
        rows = []
        for m in chosen_metrics(self.metrics, metrics):
            wide = self.values(m)
            for arm in self.arms:
                rows.append({"arm": arm, "metric": m, **describe(wide[arm].to_numpy(float), level)})
        return pd.DataFrame(rows)

    def differences(
        self, metrics: Iterable[str] | None = None, level: float = 0.95
    ) -> pd.DataFrame:
        """Every arm against the baseline, per metric, on paired replications.

        Columns ``arm, baseline, metric`` and those of :func:`sim.experiments.stats.contrast`: the
        paired difference ``arm − baseline`` with its t-interval, the relative difference
        in % (delta method), Welch's unpaired interval on the same runs, the variance
        removed by pairing with its replication factor, and whether the arm is better.
        """
        rows = []
        for m in chosen_metrics(self.metrics, metrics):
            wide = self.values(m)
            a = wide[self.baseline].to_numpy(dtype=float)
            for arm in self.arms:
                if arm != self.baseline:
                    b = wide[arm].to_numpy(dtype=float)
                    row = contrast(a, b, direction(m), level)
                    rows.append({"arm": arm, "baseline": self.baseline, "metric": m, **row})
        return pd.DataFrame(rows)

    def prob_best(
        self, metrics: Iterable[str] | None = None, n_boot: int = 4000, seed: int = 0
    ) -> pd.DataFrame:
        """Probability each arm is best per metric (paired bootstrap over replications).

        Args:
            metrics: KPIs to rank; all by default. Neutral metrics get NaN.
            n_boot: bootstrap draws.
            seed: seed of the bootstrap's own generator (reports are reproducible).

        Returns:
            Columns ``metric, arm, p_best``.
        """
        rows = []
        for k, m in enumerate(chosen_metrics(self.metrics, metrics)):
            gen = np.random.default_rng([seed, k])
            p = prob_best(self.values(m).to_numpy(dtype=float), direction(m), n_boot, gen)
            rows += [
                {"metric": m, "arm": a, "p_best": float(v)}
                for a, v in zip(self.arms, p, strict=True)
            ]
        return pd.DataFrame(rows)


def compare(
    arms: Mapping[str, Scenario] | Scenario | str | Path,
    n: int | None = None,
    seed: int = DEFAULT_SEED,
    target: str | Target | None = None,
    baseline: str | None = None,
    executor: Executor | None = None,
    max_n: int = 200,
    min_n: int = 5,
    keep_results: bool = False,
    progress: Progress | None = None,
    engine: str = "agent",
    force: bool = False,
) -> Comparison:
    """Run policies side by side on common random numbers.

    Replication ``i`` of every arm runs on ``replication_seed(seed, i)``, so the arms meet
    the same customers and the same shocks and their differences are paired.

    Args:
        arms: arm name → scenario (or library name / path), or one scenario (object, name
            or path) with an ``arms:`` block (see :func:`arms_from_scenario`).
        n: replications per arm; :data:`DEFAULT_N` when neither ``n`` nor ``target`` is given.
        seed: experiment seed (:data:`sim.rng.DEFAULT_SEED` by default).
        target: precision target such as ``"profit:2%"`` or ``"profit:5000"``: the half-width
            of every arm mean's 95 % interval must be at most 2 % of the mean's magnitude (or
            5,000). Runs ``min_n`` replications, then grows in batches (sized from the
            observed spread) until every arm meets it or ``max_n`` is reached.
        baseline: arm the others are compared with; defaults to ``"base"`` if there is
            such an arm, else the first arm.
        executor: where to run (:mod:`sim.experiments.executors`); in this process by default. An
            executor passed in is left open.
        max_n: replication cap of an adaptive comparison.
        min_n: first batch of an adaptive comparison.
        keep_results: keep every full :class:`RunResult`; without it
            :meth:`Comparison.result` re-runs a run on demand.
        progress: optional callback ``progress(done_runs, total_runs)``; in an adaptive
            comparison the total grows with each batch.
        engine: ``"agent"``, ``"vector"`` or ``"auto"`` (the vector engine for experiments,
            unless an arm asks for the per-event log); every arm runs on the same engine.
        force: go past the soft ceilings: more than
            :data:`sim.experiments.plan.MAX_REPLICATIONS` replications per arm (``n``, or
            ``max_n`` with a target), and arms past the soft size ceilings of
            :func:`sim.scenario.size.check_size`. Every arm is checked before any run.

    Returns:
        The comparison; its methods give summaries, paired differences and P(best).

    Raises:
        ArgumentError: ``arms`` (or one of its scenarios) of another type, a ``seed`` that is
            not a whole number ≥ 0 (``True`` included), a ``target`` that is neither a
            string nor a :class:`Target`, a ``baseline`` that is not a string, an
            ``executor`` without ``map``, a ``progress`` that cannot be called.
        ScenarioError: a scenario name or file that does not load.
        UserError: fewer than two arms, an unknown baseline or target metric, both ``n`` and
            ``target``, bad counts (more than the ceiling without ``force``), an arm past a
            size ceiling (a hard one, or a soft one without ``force``), a malformed target
            or an unknown ``engine``.
    """
    start = time.perf_counter()
    seed = check_seed(seed)
    if target is not None and not isinstance(target, str | Target):
        raise ArgumentError(
            f"target must be a string such as 'profit:2%' or a Target, got {target!r:.60}"
        )
    if baseline is not None and not isinstance(baseline, str):
        raise ArgumentError(f"baseline must be an arm's name, got {baseline!r:.60}")
    check_executor(executor)
    check_callback(progress)
    arm_map = _arm_map(arms)
    base_name = baseline or (BASE_ARM if BASE_ARM in arm_map else next(iter(arm_map)))
    if base_name not in arm_map:
        raise UserError(f"no arm named {baseline!r} to use as baseline; arms: {', '.join(arm_map)}")
    tgt = parse_target(target) if isinstance(target, str) else target
    if tgt is not None and n is not None:
        raise UserError("give either a number of replications or a target, not both")
    ex: Executor = executor if executor is not None else InProcess()
    status: dict[str, TargetStatus] = {}
    chosen = experiment_engine(arm_map, engine)  # paired arms run on one engine
    if tgt is None:
        count = DEFAULT_N if n is None else n
        check_count("n", count)
        outputs = execute(
            arm_map, range(count), seed, ex, keep_results, progress, engine=chosen, force=force
        )
    else:
        check_count("min_n", min_n)
        check_count("max_n", max_n, min_n)
        workers = int(getattr(ex, "workers", 1) or 1)  # the largest batch, before the first
        check_experiment(arm_map, range(max_n), chosen, workers, force)
        outputs, status = _adaptive(
            arm_map, tgt, seed, ex, min_n, max_n, keep_results, progress, chosen, force
        )
    table, curves, kept = tabulate(outputs, list(arm_map))
    return Comparison(
        arms=arm_map,
        baseline=base_name,
        seed=seed,
        engine=chosen,
        table=table,
        curves=curves,
        results=kept,
        target=tgt,
        target_status=status,
        seconds=time.perf_counter() - start,
    )


def _adaptive(
    arms: dict[str, Scenario],
    target: Target,
    seed: int,
    executor: Executor,
    min_n: int,
    max_n: int,
    keep_results: bool,
    progress: Progress | None,
    engine: str = "agent",
    force: bool = False,
) -> tuple[list[RunOutput], dict[str, TargetStatus]]:
    """Grow the replications in batches until every arm meets ``target`` or ``max_n``.

    Every arm always runs the same replications, so differences stay paired; an arm that
    met the target early keeps running alongside the others.
    """
    outputs: list[RunOutput] = []
    since: dict[str, int | None] = dict.fromkeys(arms)
    done, goal = 0, min_n
    k = len(arms)
    while True:
        outputs += execute(
            arms, range(done, goal), seed, executor, keep_results, progress, done * k, goal * k,
            engine, force,
        )  # fmt: skip
        done = goal
        table, _, _ = tabulate(outputs, list(arms))
        if target.metric not in table.columns:
            known = [c for c in table.columns if c not in ("arm", "replication")]
            raise UserError("target: " + unknown_metric(target.metric, known))
        intervals = {
            a: mean_interval(table.loc[table["arm"] == a, target.metric].to_numpy(dtype=float))
            for a in arms
        }
        for a, iv in intervals.items():
            if iv.n < 2:
                raise UserError(
                    f"target metric {target.metric!r} is undefined (NaN) in arm {a!r}; "
                    "pick a metric this scenario produces (retention_36m needs a 3-year "
                    "horizon, for instance)"
                )
            since[a] = (since[a] or done) if target.met(iv) else None
        if all(v is not None for v in since.values()) or done >= max_n:
            break
        goal = next_batch(done, intervals.values(), target, max_n)
    status = {
        a: TargetStatus(
            a, since[a] is not None, since[a], iv.half_width, target.allowed(iv.estimate)
        )
        for a, iv in intervals.items()
    }
    return outputs, status
