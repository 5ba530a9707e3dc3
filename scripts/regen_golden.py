"""Regenerate the golden KPI files of the scenario library (``tests/golden/<name>.json``).

Every library scenario is run small and short (``population.initial=300``, ``horizon=1y``)
at seed 7 once on each engine, and its KPIs are written rounded to 8 significant digits as
``{"agent": {...}, "vector": {...}}``: the engines are two implementations of one model, and
either can drift on its own. ``tests/test_golden.py`` reruns the same and demands exact
equality, so any change of the model's numbers shows up as a failing test. Run this script
*on purpose*, when a change of the numbers is intended, check how far they moved with
``scripts/golden_shift.py`` and review the diff of ``tests/golden/`` before committing it::

    .venv/bin/python scripts/regen_golden.py                    # every library scenario
    .venv/bin/python scripts/regen_golden.py baseline           # only the ones named
    .venv/bin/python scripts/regen_golden.py --dir /tmp/g base  # somewhere else
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import scenarios
import sim

__all__ = [
    "ENGINES",
    "GOLDEN_DIR",
    "OVERRIDES",
    "SEED",
    "golden_kpis",
    "golden_path",
    "golden_record",
    "main",
    "round_sig",
    "run_kpis",
]

#: Where the golden files live.
GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"
#: Small and short: every scenario runs in about a second.
OVERRIDES: dict[str, object] = {"population.initial": 300, "horizon": "1y"}
#: The one seed of the golden runs.
SEED = 7
#: The engines every golden file covers, each under its own key.
ENGINES = ("agent", "vector")
#: Significant digits kept: enough to catch any change, few enough to print stably.
DIGITS = 8


def round_sig(value: float, digits: int = DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits; None for NaN or infinity (JSON)."""
    if not math.isfinite(value):
        return None
    if value == 0.0:
        return 0.0
    return float(f"{value:.{digits - 1}e}")


def run_kpis(name: str, engine: str, seed: int = SEED) -> dict[str, float]:
    """Unrounded KPIs of library scenario ``name`` under the golden overrides on ``engine``."""
    result = sim.run(sim.load_scenario(name, OVERRIDES), seed=seed, engine=engine)
    return dict(result.kpis)


def golden_kpis(name: str, engine: str) -> dict[str, float | None]:
    """KPIs of library scenario ``name`` under the golden overrides and seed, on ``engine``."""
    return {metric: round_sig(value) for metric, value in run_kpis(name, engine).items()}


def golden_record(name: str) -> dict[str, dict[str, float | None]]:
    """The content of the golden file of ``name``: its KPIs on each engine."""
    return {engine: golden_kpis(name, engine) for engine in ENGINES}


def golden_path(name: str, directory: Path = GOLDEN_DIR) -> Path:
    """The golden file of library scenario ``name`` in ``directory``."""
    return directory / f"{name}.json"


def main(argv: list[str]) -> int:
    """Write the golden file of each named scenario (all library scenarios by default)."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("names", nargs="*", help="library scenarios (default: all of them)")
    ap.add_argument("--dir", type=Path, default=GOLDEN_DIR, help="where to write the files")
    args = ap.parse_args(argv)
    directory: Path = args.dir
    directory.mkdir(parents=True, exist_ok=True)
    for name in args.names or scenarios.names():
        text = json.dumps(golden_record(name), indent=2, sort_keys=True) + "\n"
        golden_path(name, directory).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {golden_path(name, directory)}\n")
    stale = sorted(p.stem for p in directory.glob("*.json") if p.stem not in scenarios.names())
    for name in stale:
        sys.stdout.write(f"note: {golden_path(name, directory)} has no library scenario any more\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
