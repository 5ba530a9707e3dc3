"""Measure the memory behind ``sim.scenario.size``: bytes per customer, entry, row and period.

Each measurement is one ``sim.run`` in a fresh interpreter, so that nothing another run
left behind is counted. The peak resident set is reset just before the run (Linux
``/proc/self/clear_refs``) and read just after it: its growth is the memory the run needed,
the tables of its result included. The figures are then differences between runs that
differ in one thing only:

* per customer: the baseline scenario over one year at two launch cohorts, ledger
  ``aggregate`` (the vector engine's column rows, sized by capacity, are read off the
  engine itself and taken out first);
* per ledger entry: the larger of those runs again with ``output.ledger: full``;
* per event-log row (agent engine): again with ``output.events: true``;
* per period: a tiny world over three years, reported daily against monthly.

The interpreter's own memory before a run is the resident set after the imports. The
throughput (events per second of wall time) justifies ``SOFT_EVENTS``. Run it on an idle
machine and copy the figures it prints into ``sim/scenario/size.py``::

    .venv/bin/python scripts/measure_run_size.py
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["main", "measure"]

#: The baseline scenario over one year: a launch cohort and ≈ 450 paid arrivals.
YEAR = {"horizon": "1y"}
#: A world too small to matter, so that the periods are all there is.
TINY = {"population.initial": 20, "strategy.acquisition.budget_per_period": 0, "horizon": "3y"}


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured run (in this process): sizes, peak memory growth, wall time."""
    import sim
    from sim.scenario.spec import load_scenario

    sc = load_scenario("baseline", spec["overrides"])
    # A tiny run first: every module imported, every cache warm, before anything is counted.
    sim.run(load_scenario("baseline", {"population.initial": 5, "horizon": "2mo"}), seed=1,
            engine=spec["engine"])  # fmt: skip
    base = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set (VmHWM)
    result = sim.run(sc, seed=1, engine=spec["engine"])
    peak = _status("VmHWM")
    out = {
        "base": base,
        "growth": peak - base,
        "customers": len(result.customers),
        "entries": len(result.ledger) if sc.output.ledger == "full" else 0,
        "log": len(result.events),
        "periods": len(result.periods),
        "events": result.manifest["events_processed"],
        "wall": result.manifest["wall_time_s"],
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if spec["engine"] == "vector":
        from sim.vector_engine.model import VectorModel

        vm = VectorModel(sc, seed=1)  # built, not run: its columns and event pool
        out["rows"] = vm.cols.capacity
        out["row_bytes"] = (vm.cols.nbytes() + vm.pool.nbytes()) / vm.cols.capacity
    return out


def measure(engine: str, **overrides: Any) -> dict[str, Any]:
    """One run of the baseline scenario with ``overrides`` in a fresh interpreter."""
    spec = json.dumps({"engine": engine, "overrides": overrides})
    done = subprocess.run(
        [sys.executable, __file__, "--one", spec], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _per(grown: dict[str, Any], base: dict[str, Any], key: str) -> float:
    """Memory growth per extra ``key`` (customers, entries …) from ``base`` to ``grown``."""
    return (grown["growth"] - base["growth"]) / (grown[key] - base[key])


def main() -> None:
    """Measure every figure, print the runs and the constants for ``sim/scenario/size.py``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--small", type=int, default=2000, help="smaller agent cohort")
    parser.add_argument("--large", type=int, default=8000, help="larger agent cohort")
    parser.add_argument("--scale", type=int, default=10, help="vector cohorts × this")
    args = parser.parse_args()
    if args.one:
        sys.stdout.write(json.dumps(_child(json.loads(args.one))) + "\n")
        return
    agg, full = {"output.ledger": "aggregate"}, {"output.ledger": "full"}
    runs: dict[str, dict[str, Any]] = {}
    for engine, k in (("agent", 1), ("vector", args.scale)):
        small, large = args.small * k, args.large * k
        runs[f"{engine} small"] = measure(engine, **YEAR, **agg, **{"population.initial": small})
        runs[f"{engine} large"] = measure(engine, **YEAR, **agg, **{"population.initial": large})
        runs[f"{engine} full"] = measure(engine, **YEAR, **full, **{"population.initial": large})
        runs[f"{engine} monthly"] = measure(engine, **TINY, **agg, period="1mo")
        runs[f"{engine} daily"] = measure(engine, **TINY, **agg, period="1d")
    runs["agent log"] = measure(
        "agent", **YEAR, **agg, **{"population.initial": args.large, "output.events": True}
    )
    out = sys.stdout.write
    out(f"{'run':16s} {'customers':>9s} {'entries':>8s} {'log':>7s} {'periods':>7s} "
        f"{'events':>9s} {'wall s':>7s} {'growth MiB':>10s} {'events/s':>9s}\n")  # fmt: skip
    for name, r in runs.items():
        out(f"{name:16s} {r['customers']:9d} {r['entries']:8d} {r['log']:7d} {r['periods']:7d} "
            f"{r['events']:9d} {r['wall']:7.1f} {r['growth'] / 2**20:10.1f} "
            f"{r['events'] / max(r['wall'], 1e-9):9.0f}\n")  # fmt: skip
    a, v = runs["agent large"], runs["vector large"]
    row = v["row_bytes"]
    extra = {k: dict(r) for k, r in runs.items() if k.startswith("vector")}
    for r in extra.values():
        r["growth"] -= row * r["rows"]  # the columns, by capacity
    figures = {
        "base": min(r["base"] for r in runs.values()),
        "agent_customer": _per(a, runs["agent small"], "customers"),
        "agent_entry": _per(runs["agent full"], a, "entries"),
        "agent_log": _per(runs["agent log"], a, "log"),
        "vector_row": row,
        "vector_customer": _per(extra["vector large"], extra["vector small"], "customers"),
        "vector_entry": _per(runs["vector full"], v, "entries"),
        "period": max(
            _per(runs[f"{e} daily"], runs[f"{e} monthly"], "periods") for e in ("agent", "vector")
        ),
    }
    out("\nmeasured bytes (sim.scenario.size.BYTES):\n")
    for key, value in figures.items():
        out(f"    {key:16s} {value:14,.0f}\n")


if __name__ == "__main__":
    main()
