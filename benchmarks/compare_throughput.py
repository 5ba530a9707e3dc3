"""Policy-comparison throughput: runs per minute with 1 worker and with 2, and the speed-up.

Compares the baseline (scaled to ``--customers`` over ``--years``) against the same world
with one more service agent, on ``--replications`` paired replications per arm, first in
this process and then on a 2-worker process pool, and prints runs per minute for each and
the ratio. The pool is started (and warmed up) before the clock starts, so the figure is
steady-state throughput; the start-up time is printed separately. Both executors must
produce identical tables (checked).

    python benchmarks/compare_throughput.py                    # 10,000 customers × 3 years
    python benchmarks/compare_throughput.py --customers 2000 --years 1 --replications 4

The default size takes several minutes on two cores. With a smaller ``--customers`` or
``--years``, scale the printed per-run time up: a run's cost grows roughly linearly with its
number of events, i.e. with customers × years (plus a fixed cost of assembling the tables).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import pandas as pd

import sim
from sim.experiments import InProcess, ProcessPool, compare


def scenario(n: int, years: float, extra_staff: int = 0) -> sim.Scenario:
    """The baseline scaled to ``n`` customers (acquisition and staff scaled alike).

    Same scaling as ``benchmarks/throughput.py``; the per-customer ledger is aggregated so
    that memory stays flat.
    """
    f = n / 2000.0
    return sim.load_scenario(
        "baseline",
        {
            "population.initial": n,
            "horizon": f"{years}y",
            "output.ledger": "aggregate",
            "strategy.acquisition.budget_per_period": 12000 * f,
            "strategy.service.staff": max(1, round(3 * f)) + extra_staff,
            "strategy.account_managers.count": max(1, round(5 * f)),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="customers at day 0")
    parser.add_argument("--years", type=float, default=3.0, help="horizon in years")
    parser.add_argument(
        "--replications", type=int, default=2, help="paired replications per arm (≥ 2)"
    )
    parser.add_argument("--seed", type=int, default=0, help="experiment seed")
    args = parser.parse_args()

    arms = {
        "baseline": scenario(args.customers, args.years),
        "staff+1": scenario(args.customers, args.years, extra_staff=1),
    }
    runs = len(arms) * args.replications
    print(
        f"compare: {args.customers:,} customers × {args.years:g} years, {len(arms)} arms × "
        f"{args.replications} replications = {runs} runs; {os.cpu_count()} CPUs"
    )

    t = time.perf_counter()
    one = compare(arms, n=args.replications, seed=args.seed, executor=InProcess())
    wall1 = time.perf_counter() - t

    with ProcessPool(2) as pool:
        t = time.perf_counter()
        list(pool.map(math.factorial, [1, 1]))  # start and warm up both workers
        startup = time.perf_counter() - t
        t = time.perf_counter()
        two = compare(arms, n=args.replications, seed=args.seed, executor=pool)
        wall2 = time.perf_counter() - t

    pd.testing.assert_frame_equal(one.table, two.table)
    rate1, rate2 = runs / wall1 * 60.0, runs / wall2 * 60.0
    print(f"  1 worker : {wall1:8.1f} s  {rate1:8.2f} runs/min  ({wall1 / runs:.1f} s per run)")
    print(
        f"  2 workers: {wall2:8.1f} s  {rate2:8.2f} runs/min  "
        f"(pool start-up {startup:.1f} s, not counted)"
    )
    print(f"  speed-up : {wall1 / wall2:.2f}× (identical results: yes)")


if __name__ == "__main__":
    main()
