"""Replication stacking: time per replication of an experiment, lone runs against stacks.

An experiment of R replications can run each replication alone (agent or vector engine)
or R at a time in one vector-engine stack (:mod:`sim.vector_engine.lanes`), whose replications are
identical to the lone runs. Every measurement runs in a fresh Python process on one core;
the configurations alternate for each world size, so the ratios compare like with like.
The world is the baseline scaled to N customers with the per-period ledger aggregate.

    python benchmarks/stacking.py                          # 500 and 2,000 customers × 1 y
    python benchmarks/stacking.py --sizes 2000 --years 3 --stacks 8 32
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

CHILD = r"""
import json, resource, sys, time
import sim
from sim.engines import run_stack
from sim.scenario.scaling import scaled
n, years, mode, k = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sc = sim.load_scenario("baseline", {"horizon": f"{years}y", "output.ledger": "aggregate"})
sc = scaled(sc, n)
t = time.perf_counter()
if mode == "stack":
    run_stack(sc, list(range(k)))
else:
    for seed in range(k):
        sim.run(sc, seed=seed, engine=mode)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": wall, "peak": peak}))
"""


def measure(n: int, years: float, mode: str, k: int) -> dict[str, Any]:
    """``k`` replications in a fresh process: wall time per replication and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(years), mode, str(k)],
        check=True,
        capture_output=True,
        text=True,
    )
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    row["per_run"] = row["wall"] / k
    return row


def main(argv: list[str] | None = None) -> None:
    """Print seconds per replication for each configuration and the speed-ups."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    ap.add_argument("--years", type=float, default=1.0)
    ap.add_argument("--stacks", type=int, nargs="+", default=[4, 16, 32])
    ap.add_argument("--lone", type=int, default=2, help="replications timed alone")
    args = ap.parse_args(argv)
    print(f"baseline scaled, {args.years:g} year(s); seconds per replication (peak MiB)")
    for n in args.sizes:
        rows = {"agent": measure(n, args.years, "agent", args.lone),
                "vector": measure(n, args.years, "vector", args.lone)}  # fmt: skip
        for k in args.stacks:
            rows[f"stack of {k}"] = measure(n, args.years, "stack", k)
        agent, lone = rows["agent"]["per_run"], rows["vector"]["per_run"]
        print(f"\n{n:,} customers")
        head = ("configuration", "s/run", "peak", "vs agent", "vs lone")
        print("  {:14s} {:>8s} {:>8s} {:>9s} {:>8s}".format(*head))
        for name, row in rows.items():
            print(
                f"  {name:14s} {row['per_run']:8.3f} {row['peak'] / 2**20:8.0f} "
                f"{agent / row['per_run']:8.1f}× {lone / row['per_run']:7.1f}×",
                flush=True,
            )


if __name__ == "__main__":
    main()
