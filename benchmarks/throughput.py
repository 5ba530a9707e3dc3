"""Reference-engine throughput and memory, measured against SimPy itself in the same run.

Prints, for each population size, wall time, model events per second, the ratio to the raw
event rate of an empty SimPy timeout loop measured moments before, and memory per customer
(excluding the full ledger: the run keeps per-period ledger aggregates).

    python benchmarks/throughput.py                 # 1k, 10k, 100k customers × 3 years
    python benchmarks/throughput.py --sizes 1000 10000 --years 1
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Generator

import numpy as np
import simpy

import sim
from sim.agent_engine.model import CRMModel
from sim.scenario.scaling import scaled


def simpy_raw_rate(processes: int = 1000, events: int = 300_000) -> float:
    """Events per second of an empty SimPy loop: each process only waits exponential times."""
    env = simpy.Environment()
    rng = np.random.default_rng(0)
    waits = rng.exponential(1.0, size=events).tolist()

    def loop(env: simpy.Environment, k: int) -> Generator[simpy.Event, None, None]:
        i = k
        while True:
            yield env.timeout(waits[i % events])
            i += processes

    for k in range(processes):
        env.process(loop(env, k))
    horizon = events / processes
    t = time.perf_counter()
    env.run(until=horizon)
    return events / (time.perf_counter() - t)


def scenario(n: int, years: float) -> sim.Scenario:
    """The baseline scaled to ``n`` customers (staff, budgets and fixed costs alike)."""
    base = sim.load_scenario("baseline", {"horizon": f"{years}y", "output.ledger": "aggregate"})
    return scaled(base, n)


def timed_run(n: int, years: float, seed: int = 1) -> tuple[float, int]:
    """Wall time and model events of one run."""
    sc = scenario(n, years)
    gc.collect()
    t = time.perf_counter()
    model = CRMModel(sc, seed=seed)
    model.run_all()
    return time.perf_counter() - t, model.n_events


def peak_memory(n: int, years: float) -> tuple[int, int]:
    """Peak traced bytes of a run (aggregate ledger) and the customers it ever held."""
    sc = scenario(n, years)
    gc.collect()
    tracemalloc.start()
    model = CRMModel(sc, seed=1)
    model.run_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, len(model.customers)


def memory_per_customer(n: int, years: float) -> float:
    """Marginal peak bytes per customer: the slope between runs of n and 3n customers.

    The slope excludes fixed overheads (buffered random draws, imports) that a single
    ratio would spread over the customers.
    """
    small, n_small = peak_memory(n, years)
    large, n_large = peak_memory(3 * n, years)
    return (large - small) / (n_large - n_small)


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--memory-size", type=int, default=10_000)
    args = ap.parse_args()
    print(f"{'customers':>10} {'years':>5} {'wall s':>8} {'events':>10} {'events/s':>10} "
          f"{'raw simpy/s':>12} {'ratio':>6}")  # fmt: skip
    for n in args.sizes:
        raw = simpy_raw_rate()
        wall, events = timed_run(n, args.years)
        rate = events / wall
        print(f"{n:>10} {args.years:>5g} {wall:>8.2f} {events:>10} {rate:>10.0f} "
              f"{raw:>12.0f} {rate / raw:>6.2f}")  # fmt: skip
    mem = memory_per_customer(args.memory_size, min(args.years, 1.0))
    print(
        f"\nmemory per customer (slope {args.memory_size}→{3 * args.memory_size} customers, "
        f"aggregate ledger): {mem / 1024:.2f} KB"
    )


if __name__ == "__main__":
    main()
