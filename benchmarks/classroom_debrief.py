"""Classroom debrief: the time the back office takes to prepare one class's debrief.

Builds the job record of a class as the trainer's "prepare" does (the baseline lesson at
``--customers``, ``--teams`` teams, ``--rounds`` rounds of ``--periods`` periods, the
console's three default levers open) with every team's decisions drawn from a seeded
stream of its own (each round a team moves one of its levers with probability one half),
then has :class:`sim.classroom.debriefs.Debriefs` build it in a fresh folder exactly as the
server's back office would: every replay (``--workers`` processes), then the class's HTML
and PDF and each team's. Prints the replays played, the seconds they took, the seconds per
replay, the seconds spent drawing the pages, the total, and the CPU seconds of all the
processes (the wall clock stretches on a machine others are using; the CPU time barely).

    python benchmarks/classroom_debrief.py                  # 2,000 customers, 40 teams, 6 × 3
    python benchmarks/classroom_debrief.py --teams 10 --rounds 3
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.classroom.debriefs import DebriefKey, Debriefs  # noqa: E402
from sim.classroom.luck import DEFAULT_REPLICATES  # noqa: E402
from sim.classroom.setup import ClassSetup  # noqa: E402
from sim.scenario import dump_yaml, load_scenario  # noqa: E402

STAFF, QUALITY, PRICE = (
    "strategy.service.staff", "strategy.quality.product", "strategy.pricing.list_price"
)  # fmt: skip
LEVERS: dict[str, dict[str, Any]] = {
    STAFF: {"min": 1, "max": 6, "integer": True},
    QUALITY: {"min": 0.55, "max": 0.8},
    PRICE: {"min": 0.9, "max": 1.1},
}
SEED = 20240607


def record(
    teams: int, customers: int, rounds: int, periods: int, replicates: int
) -> dict[str, Any]:
    """The job record of a class whose every round has been played."""
    config = {"rounds": rounds, "periods_per_round": periods, "customers": customers,
              "open_levers": LEVERS}  # fmt: skip
    scenario = dump_yaml(load_scenario("baseline"))
    base = ClassSetup.from_class(scenario, config, SEED).baseline_levers()
    decisions: list[dict[str, Any]] = [{} for _ in range(rounds)]
    for team in range(1, teams + 1):
        rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(team,)))
        levers = dict(base)
        for r in range(rounds):
            if rng.random() < 0.5:
                path = str(rng.choice(list(LEVERS)))
                low, high = LEVERS[path]["min"], LEVERS[path]["max"]
                levers[path] = (int(rng.integers(low, high + 1)) if path == STAFF
                                else round(float(rng.uniform(low, high)), 3))  # fmt: skip
                decisions[r][str(team)] = dict(levers)
    key = DebriefKey(1, rounds, "benchmark", "en")
    return {"key": key.__dict__, "class_name": "Benchmark class", "scenario": scenario,
            "config": config, "seed": SEED, "teams": [[str(t), f"Team {t}"]
                                                      for t in range(1, teams + 1)],
            "decisions": decisions, "replicates": replicates}  # fmt: skip


def main() -> None:
    """Build one debrief and print what it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--periods", type=int, default=3, help="periods per round")
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES)
    parser.add_argument("--workers", type=int, default=2, help="processes for the replays")
    args = parser.parse_args()
    job = record(args.teams, args.customers, args.rounds, args.periods, args.replicates)
    with tempfile.TemporaryDirectory() as folder:
        debriefs = Debriefs(Path(folder), workers=args.workers)
        debriefs.request(job)
        key = DebriefKey(**job["key"])
        marks: dict[str, float] = {}
        started = time.monotonic()

        def watch() -> None:  # the moment the last replay came back
            while "done" not in marks:
                if debriefs.status(key).state == "drawing":
                    marks["replays"] = time.monotonic()
                    return
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        debriefs.run_pending()
        total = time.monotonic() - started
        marks["done"] = time.monotonic()
        status = debriefs.status(key)
        assert status.state == "ready", status
        replay_s = marks.get("replays", marks["done"]) - started
        n = status.done
        print(f"teams {args.teams}, customers {args.customers}, rounds {args.rounds} × "
              f"{args.periods} periods, R = {args.replicates}, workers {args.workers}")  # fmt: skip
        print(f"replays {n}: {replay_s:.1f} s ({replay_s / n:.2f} s per replay, wall clock)")
        print(f"drawing the pages ({2 + 2 * args.teams} files): {total - replay_s:.1f} s")
        print(f"total {total:.1f} s")
        cpu = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))  # fmt: skip
        print(f"CPU {cpu:.0f} s in all processes ({cpu / n:.2f} CPU s per replay, drawing "
              "included): the figure a busy machine does not inflate")  # fmt: skip


if __name__ == "__main__":
    main()
