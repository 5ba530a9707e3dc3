"""Measure the lessons at full size and record them in ``docs/lesson_effects.json``.

Every arm of each named lesson runs ``n`` times on common random numbers at the scenario's
own size and horizon; for every headline of the lesson's file (``headlines:``, an arm
against a reference arm on a few KPIs) the mean paired difference of each metric and its
95 % t-interval are written, with what pairing bought: the share of the variance of the
difference that pairing removed (:func:`sim.experiments.stats.pairing_gain`, over all ``n``
replications) and, for a metric whose direction the lesson claims, the smallest number of
replications at which the paired interval on the first replications excludes zero on the
claimed side. ``--before`` keeps the pairing figures of an earlier measurement (of the code
before a change of the engines' random numbers) beside the new ones. Full size is slow
(seconds a run on the vector engine, tens of seconds on the agent engine): run it niced, in
the background, after any change of the model or of a lesson, then ``make docs``::

    nice -n 10 .venv/bin/python scripts/measure_lessons.py --n 16 churn_early_warning
    nice -n 10 .venv/bin/python scripts/measure_lessons.py --n 16 --out /tmp/before.json ...
    nice -n 10 .venv/bin/python scripts/measure_lessons.py --n 16 --before /tmp/before.json ...
"""

from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.docgen.lessons import EFFECTS, load_lesson
from sim.experiments import arms_from_scenario, compare
from sim.experiments.stats import pairing_gain

__all__ = ["main", "measure", "smallest_n"]

#: The fewest replications a running interval is computed on.
FIRST_N = 2


def _half_width(d: np.ndarray) -> float:
    """Half-width of the 95 % t-interval of the mean of ``d`` (at least two values)."""
    return float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))


def smallest_n(d: np.ndarray, expect: str) -> int | None:
    """The fewest first replications whose paired interval excludes zero on ``expect``'s side.

    Args:
        d: paired differences (arm − reference) in replication order.
        expect: ``"higher"`` or ``"lower"``.

    Returns:
        The smallest ``m`` in ``2..len(d)`` at which the 95 % t-interval of the mean of
        ``d[:m]`` lies wholly above zero (``"higher"``) or below it (``"lower"``); ``None``
        when no ``m`` does.
    """
    for m in range(FIRST_N, len(d) + 1):
        first = d[:m]
        mean, half = float(first.mean()), _half_width(first)
        if (expect == "higher" and mean - half > 0.0) or (expect == "lower" and mean + half < 0.0):
            return m
    return None


def measure(name: str, n: int, seed: int, engine: str) -> dict[str, Any]:
    """Paired differences and pairing gains of every headline comparison of lesson ``name``."""
    base = load_lesson(name)
    arms = arms_from_scenario(base)
    cmp = compare(arms, n=n, seed=seed, keep_results=False, engine=engine)
    rows = []
    for headline in base.headlines:
        arm, ref = headline.arm, headline.against
        for metric in headline.metrics:
            wide = cmp.values(metric)
            a, r = wide[arm].to_numpy(float), wide[ref].to_numpy(float)
            ok = np.isfinite(a) & np.isfinite(r)
            d = (a - r)[ok]
            if len(d) < 2:
                continue
            mean, half = float(d.mean()), _half_width(d)
            want = headline.expect.get(metric)
            rows.append(
                {
                    "comparison": f"{arm} - {ref}",
                    "metric": metric,
                    "diff": mean,
                    "low": mean - half,
                    "high": mean + half,
                    "reference_mean": float(np.nanmean(r)),
                    "arm_mean": float(np.nanmean(a)),
                    "pairing": pairing_gain(r[ok], a[ok]).reduction,
                    "smallest_n": smallest_n(d, want) if want else None,
                }
            )
    return {
        "n": n,
        "seed": seed,
        "engine": engine,
        "customers": base.population.initial,
        "horizon": f"{base.horizon / 365.25:g}y",
        "rows": rows,
    }


def _keep_before(result: dict[str, Any], before: dict[str, Any]) -> None:
    """Copy the pairing figures of an earlier measurement of the same lesson into ``result``."""
    earlier = {(r["comparison"], r["metric"]): r for r in before.get("rows", [])}
    result["before"] = {"n": before["n"], "seed": before["seed"], "engine": before.get("engine")}
    for row in result["rows"]:
        old = earlier.get((row["comparison"], row["metric"]))
        if old is not None:
            row["pairing_before"] = old.get("pairing")
            row["smallest_n_before"] = old.get("smallest_n")


def main(argv: list[str] | None = None) -> None:
    """Measure the named lessons (two at a time) and merge them into the effects file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--engine", choices=("vector", "agent"), default="vector")
    ap.add_argument("--out", type=Path, default=EFFECTS, help="the effects file to merge into")
    ap.add_argument(
        "--before",
        type=Path,
        default=None,
        help="an earlier effects file whose pairing figures are kept beside the new ones",
    )
    args = ap.parse_args(argv)
    k = len(args.names)
    with ProcessPoolExecutor(2) as ex:
        results = list(
            ex.map(measure, args.names, [args.n] * k, [args.seed] * k, [args.engine] * k)
        )
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else {}
    data = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    for name, result in zip(args.names, results, strict=True):
        if name in before:
            _keep_before(result, before[name])
        data[name] = result
    args.out.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
