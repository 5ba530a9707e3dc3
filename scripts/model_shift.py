"""How far a change moved the model: headline KPIs before and after, in replication spreads.

A change that re-deals random draws moves any one seed's numbers by about the spread
between seeds, so a single golden value cannot tell a re-deal from a real shift. This
script runs every library scenario on ``--seeds`` seeds (small and short: the golden
overrides) on both engines, in the working tree and in a checkout of ``--against``, and
prints for each headline KPI the difference of the two means in units of the spread of
single runs (the pooled standard deviation), with the difference's own standard error::

    .venv/bin/python scripts/model_shift.py --against 7d9a1eb --seeds 8
    .venv/bin/python scripts/model_shift.py --against 7d9a1eb baseline over_contact

The revision is checked out with ``git worktree`` into a temporary folder and imported
from there (``PYTHONPATH``), so both sides run in this interpreter with the same packages.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The golden overrides (scripts/regen_golden.py): every scenario runs in about a second.
OVERRIDES = {"population.initial": 300, "horizon": "1y"}
HEADLINE = (
    "discounted_profit", "profit", "retention_12m", "active_end", "customers_acquired",
    "satisfaction_end",
)  # fmt: skip
ENGINES = ("agent", "vector")

_WORKER = """
import json, sys
import sim
name, engine, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
result = sim.run(sim.load_scenario(name, json.loads(sys.argv[4])), seed=seed, engine=engine)
print(json.dumps({k: result.kpis.get(k) for k in json.loads(sys.argv[5])}))
"""


def kpis(tree: str, name: str, engine: str, seed: int) -> dict[str, float | None]:
    """Headline KPIs of one run, computed by the code in ``tree``."""
    env = {**os.environ, "PYTHONPATH": tree}
    args = [name, engine, str(seed), json.dumps(OVERRIDES), json.dumps(HEADLINE)]
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, *args], cwd=tree, env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    out: dict[str, float | None] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def stats(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    return mean, sd


def main(argv: list[str]) -> int:
    """Print the shift table; exit 1 if ``--max-shift`` is given and exceeded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="library scenarios (default: all)")
    parser.add_argument("--against", required=True, help="git revision to compare with")
    parser.add_argument("--seeds", type=int, default=8, help="seeds 1..N per side")
    parser.add_argument("--max-shift", type=float, default=None, help="fail above this")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import scenarios

    names = args.names or scenarios.names()
    with tempfile.TemporaryDirectory() as tmp:
        old = str(Path(tmp) / "old")
        subprocess.run(["git", "worktree", "add", "-f", "--detach", old, args.against],
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        try:
            jobs = [(tree, n, e, s) for tree in (old, str(ROOT)) for n in names
                    for e in ENGINES for s in range(1, args.seeds + 1)]  # fmt: skip
            with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                results = list(pool.map(kpis, *zip(*jobs, strict=True)))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", old], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip
    by: dict[tuple[str, str, str], list[dict[str, float | None]]] = {}
    for (tree, n, e, _), r in zip(jobs, results, strict=True):
        by.setdefault(("then" if tree == old else "now", n, e), []).append(r)
    w = sys.stdout.write
    w(f"{'scenario':26}{'engine':8}{'kpi':20}{'mean_then':>14}{'mean_now':>14}"
      f"{'sd':>12}{'shift_sd':>10}{'±se':>7}\n")  # fmt: skip
    worst = (0.0, "")
    for n in names:
        for e in ENGINES:
            for k in HEADLINE:
                a = [r[k] for r in by[("then", n, e)] if r.get(k) is not None]
                b = [r[k] for r in by[("now", n, e)] if r.get(k) is not None]
                if len(a) < 2 or len(b) < 2:
                    continue
                (ma, sa), (mb, sb) = stats(a), stats(b)  # type: ignore[arg-type]
                sd = math.sqrt((sa**2 + sb**2) / 2)
                shift = (mb - ma) / sd if sd > 0 else 0.0
                se = math.sqrt(1 / len(a) + 1 / len(b))  # of the shift, in sd units
                w(f"{n:26}{e:8}{k:20}{ma:14.6g}{mb:14.6g}{sd:12.4g}{shift:+10.2f}{se:7.2f}\n")
                if abs(shift) > abs(worst[0]):
                    worst = (shift, f"{n}, {e}, {k}")
    w(f"largest |shift|: {abs(worst[0]):.2f} replication sd ({worst[1]})\n")
    if args.max_shift is not None and abs(worst[0]) > args.max_shift:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
