"""Two live runs side by side on common random numbers, and the replicated comparison.

Two policies watched on the same seed meet the same customers — the same people arrive
through each channel with the same traits and the same personal luck (:mod:`sim.streams`)
— so the gap between the two curves is the policy's doing plus what the policy changed
downstream, not which customers happened to turn up. One pair of runs is still one draw of
the world: :func:`replicate` runs the two arms on many paired seeds and says, with an
interval, whether the gap is real (:class:`sim.experiments.comparison.Comparison`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.dashboard.live import LiveRun
from sim.dashboard.views import profit_view
from sim.errors import ArgumentError, UserError
from sim.experiments.comparison import Comparison, compare
from sim.i18n.catalogue import check_lang
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["PAIR_METRICS", "VERDICT_METRICS", "LivePair", "Replicated", "replicate"]

#: The per-period metrics :meth:`LivePair.difference` compares.
PAIR_METRICS = ("profit", "cumulative_profit", "active", "balance_mean")

#: The KPIs :func:`replicate` gives a verdict on, when the comparison has them.
VERDICT_METRICS = ("discounted_profit", "profit", "active_end", "retention_12m", "balance_end")


class LivePair:
    """Two live runs stepped together: arm ``a`` (the reference) and arm ``b``.

    Args:
        a: the reference run.
        b: the other run, on the same seed and engine (common random numbers).

    Raises:
        UserError: runs on different seeds or engines (their difference would mix the
            policy with the luck of the draw).
    """

    def __init__(self, a: LiveRun, b: LiveRun) -> None:
        if not isinstance(a, LiveRun) or not isinstance(b, LiveRun):
            raise ArgumentError("a LivePair pairs two LiveRun objects")
        if a.seed != b.seed or a.engine != b.engine:
            raise UserError(
                "a pair runs both arms on one seed and one engine (common random numbers); "
                f"got seeds {a.seed} and {b.seed}, engines {a.engine!r} and {b.engine!r}"
            )
        self.a = a
        self.b = b

    @classmethod
    def build(
        cls,
        scenario: str | Path | Scenario,
        levers_a: Mapping[str, Any] | None = None,
        levers_b: Mapping[str, Any] | None = None,
        customers: int | None = None,
        seed: int | None = None,
        engine: str = "vector",
    ) -> LivePair:
        """One scenario under two sets of levers, on one seed (see :meth:`LiveRun.build`)."""
        a = LiveRun.build(scenario, levers_a, customers, seed, engine)
        b = LiveRun.build(scenario, levers_b, customers, a.seed, engine)
        return cls(a, b)

    @property
    def period(self) -> int:
        """Periods both runs have completed."""
        return min(self.a.period, self.b.period)

    @property
    def done(self) -> bool:
        """Whether both runs are done."""
        return self.a.done and self.b.done

    def step(self) -> bool:
        """Run one more period of each run not yet done; False when neither moved."""
        moved_a = self.a.step()
        moved_b = self.b.step()
        return moved_a or moved_b

    def difference(self) -> pd.DataFrame:
        """Arm ``b`` against arm ``a`` per period, for :data:`PAIR_METRICS`.

        Returns:
            A tidy table, one row per period both runs have closed and metric:
            ``period``, ``metric``, ``a`` and ``b`` (the two runs' values), ``diff`` =
            b − a. Metrics: ``profit`` of the period, ``cumulative_profit`` (summed in
            cents), ``active`` customers at its end, ``balance_mean`` (mean trust balance
            of the active customers).
        """
        sides = []
        for run in (self.a, self.b):
            periods = run.periods()
            frame = profit_view(periods)[["period", "profit", "cumulative_profit"]]
            frame["active"] = periods["active"].to_numpy(float)
            frame["balance_mean"] = periods["balance_mean"].to_numpy(float)
            sides.append(frame)
        both = sides[0].merge(sides[1], on="period", suffixes=("_a", "_b"))
        parts = [
            pd.DataFrame(
                {
                    "period": both["period"].to_numpy(np.int64),
                    "metric": m,
                    "a": both[f"{m}_a"].to_numpy(float),
                    "b": both[f"{m}_b"].to_numpy(float),
                }
            )
            for m in PAIR_METRICS
        ]
        out = pd.concat(parts).sort_values("period", kind="stable", ignore_index=True)
        out["diff"] = out["b"] - out["a"]
        return out


class Replicated(NamedTuple):
    """A replicated comparison of two arms and its verdicts."""

    comparison: Comparison
    #: :meth:`Comparison.differences` rows for :data:`VERDICT_METRICS` (``arm`` against
    #: ``baseline``, the paired ``diff`` with ``low``/``high`` …) and ``verdict``, the
    #: sentence of :func:`sim.report.wording.verdict`.
    verdicts: pd.DataFrame


def replicate(
    scenario_a: str | Path | Scenario,
    scenario_b: str | Path | Scenario,
    n: int,
    seed: int,
    engine: str = "vector",
    progress: Callable[[int, int], None] | None = None,
    lang: str = "en",
    names: tuple[str, str] | None = None,
    metrics: Iterable[str] | None = None,
) -> Replicated:
    """Run arms ``a`` and ``b`` on ``n`` paired seeds and give each KPI's verdict.

    A thin front of :func:`sim.experiments.comparison.compare`: the statistics are its own.

    Args:
        scenario_a: the reference arm (a scenario, library name or path).
        scenario_b: the other arm.
        n: paired replications per arm.
        seed: the experiment seed.
        engine: ``"vector"`` or ``"agent"``.
        progress: optional ``progress(done_runs, total_runs)``.
        lang: the language of the verdicts (``sim.i18n.LANGS``), where the wording has it.
        names: the arms' names; the scenarios' own names when they differ, else
            ``("A", "B")``.
        metrics: the KPIs to give verdicts on; :data:`VERDICT_METRICS` by default.

    Raises:
        UserError: as :func:`compare` (bad counts, unknown engine, size ceilings …), an
            unknown language.
    """
    from sim.report.wording import verdict  # the pages' wording, loaded only when asked

    lang = check_lang(lang, "lang")
    arms = [s if isinstance(s, Scenario) else load_scenario(s) for s in (scenario_a, scenario_b)]
    if names is None:
        names = (arms[0].name, arms[1].name) if arms[0].name != arms[1].name else ("A", "B")
    if len(names) != 2 or names[0] == names[1]:
        raise UserError(f"names must be two different arm names, got {names!r:.60}")
    comparison = compare(
        dict(zip(names, arms, strict=True)), n=n, seed=seed, baseline=names[0],
        engine=engine, progress=progress,
    )  # fmt: skip
    wanted = [m for m in (metrics or VERDICT_METRICS) if m in comparison.metrics]
    rows = comparison.differences(wanted)
    currency = str(getattr(arms[0].economics, "currency", "") or "")
    # The wording speaks ``lang`` once it takes one; until then its sentences are English.
    extra = {"lang": lang} if "lang" in inspect.signature(verdict).parameters else {}
    rows["verdict"] = [verdict(row, currency, **extra) for row in rows.to_dict("records")]
    return Replicated(comparison, rows)
