"""Sweep throughput: runs per minute on 1 and 2 cores, and the executors' overhead.

A small lever grid (service staff × complaint policy, ``--points`` points with
``--replications`` replications each) of the baseline at 2,000 and 10,000 customers over
``--years`` years runs twice: in this process, then on a 2-worker process pool (started and
warmed up before the clock starts). For each it prints runs per minute, and the overhead of
the sweep machinery: the sweep's wall time over the sum of its runs' own times (1.00 on one
core would mean no cost at all beyond the runs; on 2 workers the ideal is 0.50). The ratios
are measured in the same process, one after the other, beside the absolute figures, so a
loaded machine shifts both alike. The datasets of both executors must be identical
(checked).

    python benchmarks/sweep_throughput.py                    # 2,000 and 10,000 × 5 years
    python benchmarks/sweep_throughput.py --sizes 2000 --years 1

The 10,000-customer part takes many minutes on two cores; run it once.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim.experiments import InProcess, ProcessPool
from sim.experiments.sweep import SweepFolder, load_sweep, run_sweep


def spec(customers: int, years: float, points: int, replications: int):
    f = customers / 2000.0
    staff = [max(1, round(3 * f)), max(2, round(4 * f))]
    handling = ["basic", "lescant"]
    levels = [(s, h) for s in staff for h in handling][:points]
    return load_sweep({
        "name": f"bench_{customers}",
        "base": "baseline",
        "set": {"population.initial": customers, "horizon": f"{years}y",
                "strategy.acquisition.budget_per_period": 12000 * f,
                "output.ledger": "aggregate"},
        "factors": [{"path": "strategy.service.staff", "levels": sorted({s for s, _ in levels})},
                    {"path": "strategy.complaints.handling",
                     "levels": sorted({h for _, h in levels})}],
        "design": {"kind": "full_factorial"},
        "replications": replications,
        "outputs": ["profit"],
    })  # fmt: skip


def measure(checked, executor, work: Path, label: str) -> tuple[float, float, pd.DataFrame]:
    out = work / label
    start = time.perf_counter()
    status = run_sweep(checked, out, executor)
    wall = time.perf_counter() - start
    assert status.complete
    data = SweepFolder(out).dataset(timings=True)
    return wall, float(data["seconds"].sum()), data.drop(columns=["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--replications", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    try:
        with ProcessPool(2, oversubscribe=True) as pool:
            list(pool.map(abs, [1, 2]))  # start and warm the workers before any clock
            for n in args.sizes:
                checked = spec(n, args.years, args.points, args.replications)
                points = len(checked.factors[0].levels) * len(checked.factors[1].levels)
                runs = points * args.replications
                one, one_sum, here = measure(checked, InProcess(), work, f"in_{n}")
                two, two_sum, there = measure(checked, pool, work, f"pool_{n}")
                pd.testing.assert_frame_equal(here, there)
                print(
                    f"{n:,} customers × {args.years:g} years, {runs} runs "
                    f"({points} points × {args.replications} replications):"
                )
                print(
                    f"  1 core : {runs / one * 60:8.1f} runs/min  wall {one:7.1f} s  "
                    f"overhead {one / one_sum:.2f} (sweep time / sum of run times)"
                )
                print(
                    f"  2 cores: {runs / two * 60:8.1f} runs/min  wall {two:7.1f} s  "
                    f"overhead {two / two_sum:.2f} (ideal 0.50)"
                )
                print(f"  speed-up 2 cores / 1 core, same run: {one / two:.2f}×")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
