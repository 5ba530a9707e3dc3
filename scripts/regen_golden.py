"""Regenerate the golden KPI files of the scenario library (``tests/golden/<name>.json``).

Every library scenario is run once, small and short (``population.initial=300``,
``horizon=1y``) at seed 7, and its headline KPIs are written rounded to 8 significant digits.
``tests/test_golden.py`` reruns the same and demands exact equality, so any change of the
model's numbers shows up as a failing test. Run this script *on purpose*, when a change of
the numbers is intended, and review the diff of ``tests/golden/`` before committing it::

    .venv/bin/python scripts/regen_golden.py            # every library scenario
    .venv/bin/python scripts/regen_golden.py baseline   # only the ones named
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import scenarios
import sim

__all__ = ["GOLDEN_DIR", "OVERRIDES", "SEED", "golden_kpis", "golden_path", "main", "round_sig"]

#: Where the golden files live.
GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"
#: Small and short: every scenario runs in about a second.
OVERRIDES: dict[str, object] = {"population.initial": 300, "horizon": "1y"}
#: The one seed of the golden runs.
SEED = 7
#: Significant digits kept: enough to catch any change, few enough to print stably.
DIGITS = 8


def round_sig(value: float, digits: int = DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits; None for NaN or infinity (JSON)."""
    if not math.isfinite(value):
        return None
    if value == 0.0:
        return 0.0
    return float(f"{value:.{digits - 1}e}")


def golden_kpis(name: str) -> dict[str, float | None]:
    """Headline KPIs of library scenario ``name`` under the golden overrides and seed."""
    result = sim.run(sim.load_scenario(name, OVERRIDES), seed=SEED)
    return {metric: round_sig(value) for metric, value in result.kpis.items()}


def golden_path(name: str) -> Path:
    """The golden file of library scenario ``name``."""
    return GOLDEN_DIR / f"{name}.json"


def main(argv: list[str]) -> int:
    """Write the golden file of each named scenario (all library scenarios by default)."""
    names = argv or scenarios.names()
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        kpis = golden_kpis(name)
        text = json.dumps(kpis, indent=2, sort_keys=True) + "\n"
        golden_path(name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {golden_path(name)}\n")
    stale = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in scenarios.names())
    for name in stale:
        sys.stdout.write(f"note: {golden_path(name)} has no library scenario any more\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
