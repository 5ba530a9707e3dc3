"""Live-dashboard step time: one reporting period of the classroom world, on both engines.

Steps the library baseline (2,000 customers, three years: 36 monthly periods) one period at
a time with :class:`sim.dashboard.LiveRun`, timing each ``step()`` and, after it, the
``views()`` a dashboard redraws from and the nine charts the page sends from them (each an
ECharts option, serialised with ``json.dumps`` as the widget sends it to the browser, which
draws it); prints the median, 95th percentile and maximum in milliseconds and the steps per
second, per engine. The dashboard's target is at most 100 ms a step (ten periods a second).
The machine's load average is printed with the figures: on a shared machine they are only
as quiet as it is.

    python benchmarks/dashboard_step.py
    python benchmarks/dashboard_step.py --scenario win_back --customers 500 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from sim.dashboard import LIVE_ENGINES, LiveRun
from sim.dashboard.charts import CHARTS, option


def measure(scenario: str, customers: int | None, engine: str, seed: int) -> dict[str, object]:
    """Build, then step one run to its end: the seconds of each step, views() and charts."""
    start = time.perf_counter()
    live = LiveRun.build(scenario, customers=customers, seed=seed, engine=engine)
    built = time.perf_counter() - start
    steps, views, draws = [], [], []
    while True:
        t0 = time.perf_counter()
        if not live.step():
            break
        t1 = time.perf_counter()
        cut = live.views()
        t2 = time.perf_counter()
        json.dumps([option(name, cut, "en") for name in CHARTS], allow_nan=False)
        t3 = time.perf_counter()
        steps.append(t1 - t0)
        views.append(t2 - t1)
        draws.append(t3 - t2)
    return {
        "built": built, "steps": np.array(steps), "views": np.array(views),
        "draws": np.array(draws), "live": live,
    }  # fmt: skip


def row(label: str, seconds: np.ndarray) -> str:
    ms = seconds * 1000.0
    return (
        f"  {label:<8} median {np.median(ms):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms   "
        f"max {ms.max():7.1f} ms   {1.0 / np.mean(seconds):6.1f} per second"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline", help="library name or YAML path")
    parser.add_argument("--customers", type=int, default=None, help="resize the population")
    parser.add_argument("--seed", type=int, default=1, help="root seed")
    parser.add_argument("--repeats", type=int, default=1, help="runs per engine (pooled)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for engine in LIVE_ENGINES:
        runs = [measure(args.scenario, args.customers, engine, args.seed + i)
                for i in range(args.repeats)]  # fmt: skip
        live = runs[0]["live"]
        assert isinstance(live, LiveRun)
        steps = np.concatenate([r["steps"] for r in runs])
        views = np.concatenate([r["views"] for r in runs])
        draws = np.concatenate([r["draws"] for r in runs])
        both = steps + views
        built = np.mean([r["built"] for r in runs])
        print(
            f"{engine} engine, {live.scenario.name}: {live.scenario.population.initial:,} "
            f"customers, {live.n_periods} periods, {args.repeats} run(s); build {built:.2f} s"
        )
        print(row("step", steps))
        print(row("views", views))
        print(row("both", both))
        print(row("draw", draws))
        print(row("period", both + draws))
        verdict = "meets" if np.percentile(both, 95) <= 0.1 else "misses"
        print(f"  p95 of step + views {verdict} the 100 ms target")
        share = np.median(draws) / np.median(both + draws)
        print(f"  the nine chart options: {share:.0%} of a period's median time in the server")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
