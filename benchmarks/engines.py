"""Vector engine against the agent engine: speed, scaling and memory, from one interleaved run.

Every measurement runs in a fresh Python process (so peak memory is that run's own), and
the two engines alternate size by size on the same machine, so the ratios compare like
with like. The world is the baseline scaled to N customers (staff, account managers,
budgets and fixed costs alike) with the per-period ledger aggregate instead of the full
ledger. "Events" are each engine's own count of processed events (life-clock events,
renewals, tickets and scheduled contacts), so events per second compare the engines'
work rates; the speed ratio is agent wall time over vector wall time.

    python benchmarks/engines.py                       # the issue's full grid (hours: the
                                                       # agent engine at 100k × 5 years)
    python benchmarks/engines.py --quick               # 10k × 1 year both, vector scaling
    python benchmarks/engines.py --agent-sizes 10000 --vector-sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

CHILD = r"""
import gc, json, resource, sys, time
import sim
from sim.scenario.scaling import scaled
n, years, engine = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
sc = sim.load_scenario("baseline", {"horizon": f"{years}y", "output.ledger": "aggregate"})
sc = scaled(sc, n)
if engine == "agent":
    from sim.agent_engine.model import CRMModel
    model = CRMModel(sc, seed=1)
else:
    from sim.vector_engine.model import VectorModel
    model = VectorModel(sc, seed=1)
gc.collect()
t = time.perf_counter()
model.run_all()
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
books = model.books if engine == "agent" else model.lanes[0].books
print(json.dumps({"n": n, "years": years, "engine": engine, "wall": wall,
                  "events": int(sum([model.n_events] if engine == "agent" else model.n_events)),
                  "peak": peak, "acquired": int(books.acquired_total)}))
"""


def measure(n: int, years: float, engine: str) -> dict[str, Any]:
    """One run in a fresh process: wall time, events, peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(years), engine],
        check=True,
        capture_output=True,
        text=True,
    )
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"  {engine:6s} {n:>9,} × {years:g} y: {row['wall']:9.2f} s, "
        f"{row['events'] / row['wall']:12,.0f} events/s, peak {row['peak'] / 2**20:8.1f} MiB",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=float, default=5.0)
    ap.add_argument("--agent-sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument(
        "--vector-sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000, 1_000_000]
    )
    ap.add_argument("--horizons", type=float, nargs="*", default=[1.0, 2.0, 5.0])
    ap.add_argument("--quick", action="store_true", help="10k × 1 year, vector to 100k")
    a = ap.parse_args()
    if a.quick:
        a.years, a.agent_sizes, a.horizons = 1.0, [10_000], [1.0]
        a.vector_sizes = [1_000, 10_000, 100_000]
    print(f"Engines, interleaved, baseline scaled, {a.years:g} years:")
    rows: dict[tuple[str, int, float], dict[str, Any]] = {}
    for n in sorted(set(a.agent_sizes) | set(a.vector_sizes)):
        for engine in ("agent", "vector"):
            sizes = a.agent_sizes if engine == "agent" else a.vector_sizes
            if n in sizes:
                rows[(engine, n, a.years)] = measure(n, a.years, engine)
    print("\nSpeed ratio (agent wall / vector wall):")
    for n in a.agent_sizes:
        ag, vc = rows.get(("agent", n, a.years)), rows.get(("vector", n, a.years))
        if ag and vc:
            print(f"  {n:>9,}: ×{ag['wall'] / vc['wall']:.1f}")
    vec = sorted((r for (e, _, _), r in rows.items() if e == "vector"), key=lambda r: r["n"])
    print("\nVector scaling in N (wall per customer-year, µs):")
    for r in vec:
        print(f"  {r['n']:>9,}: {1e6 * r['wall'] / (r['n'] * r['years']):8.1f}")
    if len(vec) >= 2:
        lo, hi = vec[0], vec[-1]
        per = (hi["peak"] - lo["peak"]) / (hi["acquired"] - lo["acquired"])
        print(f"\nPeak memory per customer ever acquired (marginal, {lo['n']:,} → {hi['n']:,}):"
              f" {per:,.0f} bytes")  # fmt: skip
    if len(a.horizons) > 1 and a.vector_sizes:
        n = 10_000 if 10_000 in a.vector_sizes else a.vector_sizes[0]
        print(f"\nVector scaling in horizon ({n:,} customers):")
        for years in a.horizons:
            r = rows.get(("vector", n, years)) or measure(n, years, "vector")
            print(f"  {years:g} y: {r['wall']:.2f} s, {r['wall'] / years:.2f} s per year")


if __name__ == "__main__":
    main()
