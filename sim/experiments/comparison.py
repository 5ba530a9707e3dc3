"""Comparisons: several policies (arms) run side by side on common random numbers.

Replication ``i`` of every arm runs on ``replication_seed(seed, i)``, so the arms meet the
same customers and the same shocks and their differences are paired. A
:class:`Comparison` gives arm summaries, paired differences with intervals, and P(best),
all from :mod:`sim.experiments.stats`; an adaptive comparison grows its replications in
batches until every arm mean meets a precision target.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engines import run
from sim.errors import ArgumentError, UserError, check_callback, check_seed
from sim.experiments.arms import BASE_ARM, arms_from_scenario, default_baseline, resolve_arms
from sim.experiments.checkpoint import Batch, batches, sizing
from sim.experiments.executors import Executor, InProcess, Progress, execute
from sim.experiments.inputs import (
    check_count,
    check_executor,
    chosen_metrics,
    unknown_metric,
)
from sim.experiments.plan import check_experiment, experiment_engine
from sim.experiments.stats import (
    contrast,
    describe,
    direction,
    paired_difference,
    prob_best,
)
from sim.experiments.targets import Target, TargetStatus, needed, next_batch, parse_target
from sim.experiments.tasks import RunOutput, tabulate
from sim.results.run_result import RunResult
from sim.rng import DEFAULT_SEED, replication_seed
from sim.scenario.spec import Scenario

__all__ = ["BASE_ARM", "DEFAULT_N", "Comparison", "arms_from_scenario", "compare"]

#: ``estimate(replications, seconds)``: what an adaptive comparison expects to take.
Estimate = Callable[[int, float], None]

#: Replications per arm when neither ``n`` nor a target is given.
DEFAULT_N = 30


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
        lesson: the scenario whose ``arms:`` block gave the arms (its ``see`` text,
            ``reference`` and ``headlines``), or None for arms given one by one.
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
    lesson: Scenario | None = None

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
        self,
        metrics: Iterable[str] | None = None,
        level: float = 0.95,
        against: str | None = None,
    ) -> pd.DataFrame:
        """Every arm against the baseline (or ``against``), per metric, on paired replications.

        Columns ``arm, baseline, metric`` (``baseline`` is the arm compared with) and those
        of :func:`sim.experiments.stats.contrast`: the paired difference ``arm − baseline``
        with its t-interval, the baseline's mean, the relative difference in % (delta
        method), Welch's unpaired interval on the same runs, the variance removed by
        pairing with its replication factor and bootstrap interval, and whether the arm is
        better.
        """
        base = self.baseline if against is None else against
        if base not in self.arms:
            raise UserError(f"no arm named {base!r}; arms: {', '.join(self.arms)}")
        pairs = [(arm, base) for arm in self.arms if arm != base]
        return self._contrasts(pairs, chosen_metrics(self.metrics, metrics), level)

    def headline_differences(self, level: float = 0.95) -> pd.DataFrame:
        """The lesson's own comparisons: each headline's arm against its reference arm.

        Columns those of :meth:`differences` plus ``expect`` (``"higher"``, ``"lower"`` or
        ``""``: the lesson's claim for the metric) and ``claim`` (the claim in words); one
        row per headline metric, in the file's order. Empty without a lesson or headlines,
        and without the headlines whose arms did not take part.
        """
        rows = []
        heads = self.lesson.headlines if self.lesson is not None else ()
        for h in heads:
            if h.arm not in self.arms or h.against not in self.arms:
                continue
            metrics = [m for m in h.metrics if m in self.metrics]
            table = self._contrasts([(h.arm, h.against)], metrics, level)
            table["expect"] = [h.expect.get(m, "") for m in table["metric"]]
            table["claim"] = h.claim
            rows.append(table)
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def _contrasts(
        self, pairs: list[tuple[str, str]], metrics: list[str], level: float
    ) -> pd.DataFrame:
        rows = []
        for m in metrics:
            wide = self.values(m)
            for arm, base in pairs:
                a = wide[base].to_numpy(dtype=float)
                b = wide[arm].to_numpy(dtype=float)
                row = contrast(a, b, direction(m), level)
                rows.append({"arm": arm, "baseline": base, "metric": m, **row})
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
    estimate: Estimate | None = None,
    store: str | Path | None = None,
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
            of every arm's paired difference from the baseline (95 % interval) must be at
            most 2 % of the baseline mean's magnitude (or 5,000). Runs ``min_n``
            replications, then grows in batches (sized from the observed spread) until every
            difference meets it or ``max_n`` is reached.
        baseline: arm the others are compared with; defaults to the lesson's ``reference``
            arm when ``arms`` is a scenario with one, else ``"base"`` if there is such an
            arm, else the first arm.
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
        estimate: with a target, called once after the first batch as
            ``estimate(replications, seconds)``: the replications per arm the target looks
            like needing (at most ``max_n``) and the seconds the rest will take at the first
            batch's pace, so that a caller can say so before the long part starts.
        force: go past the soft ceilings: more than
            :data:`sim.experiments.plan.MAX_REPLICATIONS` replications per arm (``n``, or
            ``max_n`` with a target), and arms past the soft size ceilings of
            :func:`sim.scenario.size.check_size`. Every arm is checked before any run.
        store: a folder keeping every finished run (:mod:`sim.experiments.checkpoint`): called
            again with it, a stopped comparison runs only what it misses, to the same tables.

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
            or an unknown ``engine``; a ``store`` of another comparison or in use.
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
    arm_map, lesson = resolve_arms(arms)
    base_name = baseline or default_baseline(arm_map, lesson)
    if base_name not in arm_map:
        raise UserError(f"no arm named {baseline!r} to use as baseline; arms: {', '.join(arm_map)}")
    tgt = parse_target(target) if isinstance(target, str) else target
    if tgt is not None and n is not None:
        raise UserError("give either a number of replications or a target, not both")
    ex: Executor = executor if executor is not None else InProcess()
    status: dict[str, TargetStatus] = {}
    chosen = experiment_engine(arm_map, engine)  # paired arms run on one engine
    count = DEFAULT_N if n is None else n
    with batches(store, arm_map, seed, chosen, sizing(count, tgt, min_n, max_n, base_name)) as runs:
        if tgt is None:
            check_count("n", count)
            outputs = runs(
                arm_map, range(count), seed, ex, keep_results, progress, engine=chosen, force=force
            )
        else:
            check_count("min_n", min_n)
            check_count("max_n", max_n, min_n)
            workers = int(getattr(ex, "workers", 1) or 1)  # the largest batch, before the first
            check_experiment(arm_map, range(max_n), chosen, workers, force)
            outputs, status = _adaptive(
                arm_map, base_name, tgt, seed, ex, min_n, max_n, keep_results, progress, chosen,
                force, estimate, runs,
            )  # fmt: skip
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
        lesson=lesson,
    )


def _adaptive(
    arms: dict[str, Scenario],
    baseline: str,
    target: Target,
    seed: int,
    executor: Executor,
    min_n: int,
    max_n: int,
    keep_results: bool,
    progress: Progress | None,
    engine: str = "agent",
    force: bool = False,
    estimate: Estimate | None = None,
    runs: Batch = execute,
) -> tuple[list[RunOutput], dict[str, TargetStatus]]:
    """Grow the replications in batches until every paired difference meets ``target``.

    Every arm always runs the same replications, so differences stay paired; an arm that
    met the target early keeps running alongside the others. After the first batch,
    ``estimate(replications, seconds)`` hears how many replications per arm the target
    looks like needing (capped at ``max_n``) and how long the rest will take at the first
    batch's pace.
    """
    outputs: list[RunOutput] = []
    others = [a for a in arms if a != baseline]
    since: dict[str, int | None] = dict.fromkeys(others)
    done, goal = 0, min_n
    k = len(arms)
    while True:
        began = time.perf_counter()
        outputs += runs(
            arms, range(done, goal), seed, executor, keep_results, progress, done * k, goal * k,
            engine, force,
        )  # fmt: skip
        pace = (time.perf_counter() - began) / max(1, goal - done)
        first, done = done == 0, goal
        table, _, _ = tabulate(outputs, list(arms))
        if target.metric not in table.columns:
            known = [c for c in table.columns if c not in ("arm", "replication")]
            raise UserError("target: " + unknown_metric(target.metric, known))
        wide = table.pivot(index="replication", columns="arm", values=target.metric)
        base = wide[baseline].to_numpy(dtype=float)
        scale = float(np.nanmean(base)) if np.isfinite(base).any() else math.nan
        intervals = {
            a: (paired_difference(base, wide[a].to_numpy(dtype=float)), scale) for a in others
        }
        for a, (iv, ref) in intervals.items():
            if iv.n < 2:
                raise UserError(
                    f"target metric {target.metric!r} is undefined (NaN) in arm {a!r} or the "
                    "baseline; pick a metric this scenario produces (retention_36m needs a "
                    "3-year horizon, for instance)"
                )
            since[a] = (since[a] or done) if target.met(iv, ref) else None
        if first and estimate is not None:
            need = min(max_n, needed(done, intervals.values(), target))
            estimate(need, pace * (need - done))
        if all(v is not None for v in since.values()) or done >= max_n:
            break
        goal = next_batch(done, intervals.values(), target, max_n)
    status = {
        a: TargetStatus(a, since[a] is not None, since[a], iv.half_width, target.allowed(ref))
        for a, (iv, ref) in intervals.items()
    }
    return outputs, status
