"""Measure the lessons at full size and record them in ``docs/lesson_effects.json``.

Every arm of each named lesson runs ``n`` times on common random numbers at the scenario's
own size and horizon; for every headline of the lesson's file (``headlines:``, an arm
against a reference arm on a few KPIs) the mean paired difference of each metric and its
95 % t-interval are written. Full size is slow (seconds to tens of seconds a run): run it
niced, in the background, after any change of the model or of a lesson, then ``make docs``::

    .venv/bin/python scripts/measure_lessons.py --n 12 --seed 20250101 churn_early_warning
"""

from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

from sim.docgen.lessons import EFFECTS, load_lesson
from sim.experiments import arms_from_scenario, compare

__all__ = ["main", "measure"]


def measure(name: str, n: int, seed: int) -> dict[str, Any]:
    """Paired differences of every headline comparison of lesson ``name`` at full size."""
    base = load_lesson(name)
    arms = arms_from_scenario(base)
    cmp = compare(arms, n=n, seed=seed, keep_results=False)
    rows = []
    for headline in base.headlines:
        arm, ref = headline.arm, headline.against
        for metric in headline.metrics:
            wide = cmp.values(metric)
            d = (wide[arm] - wide[ref]).to_numpy(float)
            d = d[np.isfinite(d)]
            if len(d) < 2:
                continue
            mean = float(d.mean())
            half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
            rows.append(
                {
                    "comparison": f"{arm} - {ref}",
                    "metric": metric,
                    "diff": mean,
                    "low": mean - half,
                    "high": mean + half,
                    "reference_mean": float(np.nanmean(wide[ref])),
                    "arm_mean": float(np.nanmean(wide[arm])),
                }
            )
    return {
        "n": n,
        "seed": seed,
        "customers": base.population.initial,
        "horizon": f"{base.horizon / 365.25:g}y",
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> None:
    """Measure the named lessons (two at a time) and merge them into the effects file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--seed", type=int, default=20250101)
    args = ap.parse_args(argv)
    with ProcessPoolExecutor(2) as ex:
        results = list(
            ex.map(measure, args.names, [args.n] * len(args.names), [args.seed] * len(args.names))
        )
    data = json.loads(EFFECTS.read_text(encoding="utf-8")) if EFFECTS.exists() else {}
    for name, result in zip(args.names, results, strict=True):
        data[name] = result
    EFFECTS.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
