"""How far the golden KPIs moved since a git revision, in units of their replication spread.

A failing golden test says only *that* the numbers moved. Whether they moved a little or a
lot is judged against the seed-to-seed spread of the same KPI: for every library scenario
and both engines, this compares the golden file as committed at ``--against`` (default
``HEAD``) with what the current code gives, and divides each headline KPI's change by its
standard deviation over seeds 1..8 (golden overrides, same engine). A change that only
re-deals the random draws moves a KPI by the difference of two draws, typically about 1.4 SD
and rarely beyond 4; a change of the model's rules can move it much further. Run it before
``scripts/regen_golden.py``, to know what the new golden values mean::

    .venv/bin/python scripts/golden_shift.py                          # against HEAD
    .venv/bin/python scripts/golden_shift.py --against HEAD~3 baseline subscription
    .venv/bin/python scripts/golden_shift.py --max-shift 4            # exit 1 beyond 4 SD

Golden files in the older one-engine format hold the numbers of ``sim.run`` without an
engine argument, which is the agent engine; they are compared on that engine only.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import regen_golden as regen
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import scenarios

__all__ = ["HEADLINE_KPIS", "ONE_ENGINE_FORMAT", "SPREAD_SEEDS", "Shift", "golden_then", "main"]

#: The KPIs whose shift is reported (those a scenario lacks are skipped).
HEADLINE_KPIS = (
    "discounted_profit",
    "profit",
    "retention_12m",
    "active_end",
    "customers_acquired",
    "satisfaction_end",
)
#: The replications whose standard deviation is the unit of a shift.
SPREAD_SEEDS = tuple(range(1, 9))
#: The engine behind a one-engine golden file: ``sim.run``'s default, which wrote them.
ONE_ENGINE_FORMAT = "agent"
#: The repository root, where ``git show`` runs.
ROOT = regen.GOLDEN_DIR.parent.parent

Golden = dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class Shift:
    """One KPI of one scenario on one engine: the golden value then, now, and its spread."""

    scenario: str
    engine: str
    kpi: str
    then: float
    now: float
    spread_sd: float

    @property
    def in_sd(self) -> float:
        """The change in units of the spread (infinite when a spreadless KPI changed)."""
        change = self.now - self.then
        if math.isnan(change) or math.isnan(self.spread_sd):
            return math.nan
        if self.spread_sd > 0.0:
            return change / self.spread_sd
        return 0.0 if change == 0.0 else math.copysign(math.inf, change)


def golden_then(name: str, rev: str) -> Golden | None:
    """The golden file of ``name`` as committed at ``rev``, per engine; None if it had none."""
    path = regen.golden_path(name).relative_to(ROOT).as_posix()
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None
    record = json.loads(shown.stdout)
    if set(record) <= set(regen.ENGINES) and all(isinstance(v, dict) for v in record.values()):
        return dict(record)
    return {ONE_ENGINE_FORMAT: record}


def _number(value: float | None) -> float:
    """A golden or KPI value as a float, NaN for the JSON null of a non-finite value."""
    return math.nan if value is None else float(value)


def _shifts(
    name: str, engine: str, then: dict[str, float | None], runs: dict[int, dict[str, float]]
) -> list[Shift]:
    """The headline shifts of ``name`` on ``engine`` from its golden values and its runs."""
    out = []
    for kpi in HEADLINE_KPIS:
        if kpi not in runs[regen.SEED]:
            continue
        now = _number(regen.round_sig(runs[regen.SEED][kpi]))
        before = _number(then.get(kpi))
        if math.isnan(now) and math.isnan(before):
            continue
        spread = np.array([runs[seed][kpi] for seed in SPREAD_SEEDS], dtype=float)
        spread = spread[np.isfinite(spread)]
        sd = float(spread.std(ddof=1)) if len(spread) > 1 else math.nan
        out.append(Shift(name, engine, kpi, before, now, sd))
    return out


def _measure(jobs: list[tuple[str, str, int]]) -> dict[tuple[str, str, int], dict[str, float]]:
    """Run every (scenario, engine, seed) job on two processes, with a progress bar."""
    done: dict[tuple[str, str, int], dict[str, float]] = {}
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar,
        ProcessPoolExecutor(max_workers=2) as pool,
    ):
        task = bar.add_task("runs", total=len(jobs))
        futures = {pool.submit(regen.run_kpis, *job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            done[job] = future.result()
            bar.update(task, advance=1, description=f"{job[0]} ({job[1]})")
    return done


def _table(shifts: list[Shift]) -> str:
    """The shifts as an aligned text table, one row each."""
    header = ("scenario", "engine", "kpi", "golden_then", "now", "spread_sd", "shift_in_sd")
    rows = [header] + [
        (
            s.scenario,
            s.engine,
            s.kpi,
            f"{s.then:.8g}",
            f"{s.now:.8g}",
            f"{s.spread_sd:.5g}",
            f"{s.in_sd:+.2f}",
        )
        for s in shifts
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        left = [cell.ljust(w) for cell, w in zip(row[:3], widths[:3], strict=True)]
        right = [cell.rjust(w) for cell, w in zip(row[3:], widths[3:], strict=True)]
        lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table of shifts; 1 when one exceeds ``--max-shift``, else 0."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("names", nargs="*", help="library scenarios (default: all of them)")
    ap.add_argument(
        "--against", default="HEAD", metavar="REV", help="git revision of the golden files"
    )
    ap.add_argument(
        "--max-shift", type=float, default=None, metavar="X", help="exit 1 if any |shift| > X SD"
    )
    args = ap.parse_args(argv)
    names: list[str] = args.names or scenarios.names()
    for name in names:
        try:
            scenarios.path(name)
        except scenarios.UnknownScenarioError as err:
            ap.error(str(err))
    rev = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{args.against}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if rev.returncode != 0:
        ap.error(f"--against {args.against!r} is not a commit of {ROOT}")

    goldens: dict[str, Golden] = {}
    for name in names:
        golden = golden_then(name, args.against)
        if golden is None:
            sys.stdout.write(f"note: {name} has no golden file at {args.against}\n")
            continue
        missing = [engine for engine in regen.ENGINES if engine not in golden]
        if missing:
            sys.stdout.write(
                f"note: {name} at {args.against} has no golden values for {', '.join(missing)};"
                f" compared on {', '.join(golden)} only\n"
            )
        goldens[name] = golden
    seeds = sorted({regen.SEED, *SPREAD_SEEDS})
    jobs = [
        (name, engine, seed)
        for name, golden in goldens.items()
        for engine in golden
        for seed in seeds
    ]
    runs = _measure(jobs)

    shifts = [
        shift
        for name, golden in goldens.items()
        for engine, then in golden.items()
        for shift in _shifts(name, engine, then, {seed: runs[name, engine, seed] for seed in seeds})
    ]
    compared = [s for s in shifts if not math.isnan(s.in_sd)]
    if shifts:
        sys.stdout.write(_table(shifts))
    if not compared:
        sys.stdout.write("largest |shift_in_sd|: none (nothing to compare)\n")
        return 0
    top = max(compared, key=lambda s: abs(s.in_sd))
    sys.stdout.write(
        f"largest |shift_in_sd|: {abs(top.in_sd):.2f} ({top.scenario}, {top.engine}, {top.kpi})\n"
    )
    return 1 if args.max_shift is not None and abs(top.in_sd) > args.max_shift else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
