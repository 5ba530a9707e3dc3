"""The engines benchmark cannot rot: its smallest figure runs, and its table has its columns.

``benchmarks/engines.py --quick --only floor --repeats 1`` runs in a subprocess as a user
would run it (a vector run of 100k customers × 6 months, then the draws alone), and the
printed table must have every column of :data:`COLUMNS` and a positive number in each
floor row. The floor's compiled loop is held to the words it claims to draw, and the
verdict to its arithmetic.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from sim.streams import exponential, philox4x64, uniform

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "engines.py"


@functools.cache
def bench() -> ModuleType:
    """The benchmark script as a module (it is not a package), loaded once."""
    spec = importlib.util.spec_from_file_location("bench_engines", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up by name
    spec.loader.exec_module(module)
    return module


def test_quick_floor_prints_the_table() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only", "floor", "--repeats", "1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("figure"))
    for column in bench().COLUMNS:
        assert column in header, column
    rows = [line for line in lines if line.startswith("floor ")]
    assert len(rows) == 4, out.stdout
    for row in rows:
        # ns/event and the run's multiple of it: positive numbers.
        ns = re.search(r"  ([\d,]+)  +run ×([\d,]+)", row)
        assert ns is not None, row
        assert int(ns.group(1).replace(",", "")) > 0 and int(ns.group(2).replace(",", "")) > 0
    assert re.search(r"the baseline run's own: [\d,]+ ns per event", out.stdout)


def test_compiled_floor_draws_the_words_it_claims() -> None:
    # Block b at counter (b, 0, 0, 0) gives events 2b and 2b + 1: (exponential, uniform) each.
    key = np.array([7, 11], dtype=np.uint64)
    n = 9
    counter = np.zeros(((n + 1) // 2, 4), dtype=np.uint64)
    counter[:, 0] = np.arange(counter.shape[0], dtype=np.uint64)
    words = philox4x64(counter, key).reshape(-1, 2)[:n]
    expected = float(exponential(words[:, 0]).sum() + uniform(words[:, 1]).sum())
    got = bench().compiled_draws(n, key[0], key[1])
    assert math.isclose(got, expected, rel_tol=1e-12)


def test_verdict() -> None:
    verdict = bench().verdict
    assert verdict(3.0, 2.0, True) == ("not reached", "×1.5")
    assert verdict(0.4, 2.0, True, 0.5) == ("stretch reached", "—")
    assert verdict(50.0, 100.0, False, est=True) == ("not reached (est.)", "×2.0")
    assert verdict(100.0, 100.0, False) == ("reached", "—")
