"""The engines' figures against their targets, from one interleaved run.

The figures a compiled per-customer kernel for the vector engine will be judged by, as they
stand. Each measurement is a fresh process (this script with ``--child``), so memory and
caches do not leak between them; the parent interleaves the repeats (every job of repeat 1,
then of repeat 2 …) so that the shared 2-core machine's drift (up to 2× over minutes)
reaches every figure alike, and a ratio is taken between two jobs of one repeat, run one
after the other. Worlds are the baseline scaled to N customers (:func:`sim.scenario.scaling.scaled`)
with the ledger aggregate, run by :func:`sim.run` on seed 1, tables included and compile
excluded (each child warms :mod:`sim.jit` first); events are ``manifest["events_processed"]``.

1. ``baseline``: 100k × 5 years, vector, one core: ≤ 2 s (stretch 0.5 s); quick 100k ×
   6 months, ×10. :func:`sim.jit.warm` in a fresh process on an empty cache is its own row.
2. ``engines``: vector and agent on the same world and horizon at 100k, 6 and 3 months (the
   agent engine takes tens of minutes at 5 years; ``--full``: 5 years); quick 10k. Vector
   ≥ 100× agent. The 5-year agent time is extrapolated only in a note that says so.
3. ``classroom``: the library baseline as the classroom runs it (2,000 × 3 years, full
   ledger), both engines: vector faster.
4. ``memory``: 1M × 5 years, vector, once: the child's ``ru_maxrss`` (all the process held:
   interpreter, libraries, compiled code, run) ≤ 1 GB; quick 100k, its run's part ×10.
5. ``floor``: one exponential and one uniform per event of the baseline run, in chunks of
   65,536 (a round): numpy's Generator; the compiled words with numpy's transforms (the
   engine's path today); a compiled loop over :func:`sim.philox.block` (the kernel's floor).
6. ``sweep``: 1,000 replications × 10k × 5 years by :func:`sim.experiments.replicate` on a
   2-worker :class:`~sim.experiments.ProcessPool`, stacked as the plan stacks them: ≤ 60 s;
   quick 24 runs (6 stacks of 4: no idle worker at the end), ×1000/24.

Columns: ``figure`` (``--only`` takes it); ``what was run`` (engine, customers × years, any
extrapolation); ``s median`` and ``s min–max``, the job's wall seconds over the repeats;
``events`` processed (the floor: events whose draws were made; the sweep: runs × replication
0's); ``ns/event``, median seconds over events (the sweep: wall clock on 2 cores); ``value``,
what the target is about; ``target``; ``verdict``, "reached", "stretch reached" or "not
reached", "(est.)" if extrapolated; ``to go``, the factor missing.

    python benchmarks/engines.py --quick          # 10-25 minutes, most of it the sweep
    python benchmarks/engines.py --only baseline  # the 100k × 5 years figure alone
    python benchmarks/engines.py                  # every figure at size (hours)
    python benchmarks/engines.py --full           # and the agent engine at 100k × 5 years
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from sim import philox
from sim.jit import njit

FIGURES = ("baseline", "engines", "classroom", "memory", "floor", "sweep")
COLUMNS = ("figure", "what was run", "s median", "s min–max", "events", "ns/event",
           "value", "target", "verdict", "to go")  # fmt: skip
CHUNK = 65_536  # draws per call on the floor: about one round of the vector engine
GB = 1e9


# ---------------------------------------------------------------------- children
def world(n: int | None, years: float | None) -> Any:
    """The library baseline (``n`` None), or it scaled to ``n`` × ``years``, ledger aggregate."""
    import sim
    from sim.scenario.scaling import scaled

    if n is None:
        return sim.load_scenario("baseline")
    return scaled(sim.load_scenario("baseline", {"horizon": f"{years}y",
                                                 "output.ledger": "aggregate"}), n)  # fmt: skip


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One :func:`sim.run`: wall, the engine's part (to its last period), events, peak RSS."""
    import sim
    from sim import jit

    sc = world(spec["n"], spec["years"])
    jit.warm()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    marks: list[float] = []
    t = time.perf_counter()
    res = sim.run(sc, 1, engine=spec["engine"], force=True,
                  progress=lambda k, n: marks.append(time.perf_counter()))  # fmt: skip
    wall = time.perf_counter() - t
    return {"seconds": wall, "engine_s": marks[-1] - t, "events": res.manifest["events_processed"],
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "base": base,
            "customers": len(res.customers)}  # fmt: skip


WARM = "import time; t = time.perf_counter(); import sim.vector_engine.model; " \
       "from sim import jit; i = time.perf_counter(); n = jit.warm(); " \
       "print(i - t, time.perf_counter() - i, n)"  # fmt: skip


def compile_child(spec: dict[str, Any]) -> dict[str, Any]:
    """``sim.jit.warm()`` in a fresh process on an empty cache, then on the cache it filled."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            got = subprocess.run([sys.executable, "-c", WARM], check=True, capture_output=True,
                                 text=True, env=env)  # fmt: skip
            imported, warmed, n = got.stdout.split()
            out[label] = float(warmed)
            out[label + "_import"], out["signatures"] = float(imported), int(n)
    out["seconds"] = out["cold"]
    return out


@njit()
def compiled_draws(n: int, k0: np.uint64, k1: np.uint64) -> float:
    """``n`` exponentials and ``n`` uniforms from Philox blocks, summed (so none is skipped)."""
    acc, at, zero, one = 0.0, np.uint64(0), np.uint64(0), np.uint64(1)
    for i in range((n + 1) // 2):
        x0, x1, x2, x3 = philox.block(at, zero, zero, zero, k0, k1)
        at = at + one
        acc += philox.exponential_of(x0) + philox.uniform_of(x1)
        if 2 * i + 1 < n:
            acc += philox.exponential_of(x2) + philox.uniform_of(x3)
    return acc


def floor_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The draws alone, for the events of the baseline run (run here if not given)."""
    from sim.streams import exponential, run_words, uniform

    run = spec.get("run") or run_child({"n": spec["n"], "years": spec["years"],
                                        "engine": "vector"})  # fmt: skip
    events = int(run["events"])
    chunks = [CHUNK] * (events // CHUNK) + ([events % CHUNK] if events % CHUNK else [])
    key = np.array([0x243F6A8885A308D3, 0x13198A2E03707344], dtype=np.uint64)
    ids = np.arange(CHUNK, dtype=np.uint64)

    def generator(bits: Any) -> None:
        rng = np.random.Generator(bits)
        for m in chunks:
            rng.standard_exponential(m)
            rng.random(m)

    def words() -> None:
        for j, m in enumerate(chunks):
            w = run_words(key, ids[:m], np.full(m, 2 * j, dtype=np.uint64), 2)
            exponential(w[:, 0])
            uniform(w[:, 1])

    compiled_draws(2, key[0], key[1])  # compile (or load) before the clock
    ways = {"numpy Generator(PCG64)": lambda: generator(np.random.PCG64(1)),
            "numpy Generator(Philox)": lambda: generator(np.random.Philox(1)),
            "sim.streams.run_words + numpy transforms": words,
            "compiled sim.philox.block loop": lambda: compiled_draws(events, *key)}  # fmt: skip
    seconds = {}
    for name, way in ways.items():
        t = time.perf_counter()
        way()
        seconds[name] = time.perf_counter() - t
    return {"events": events, "run_ns": 1e9 * run["seconds"] / events, "ways": seconds,
            "seconds": sum(seconds.values())}  # fmt: skip


def sweep_child(spec: dict[str, Any]) -> dict[str, Any]:
    """``replicate`` of 10k × 5 years on a 2-worker pool, the pool started before the clock."""
    import sim
    from sim.experiments import ProcessPool, replicate
    from sim.rng import replication_seed

    sc = world(10_000, 5.0)
    t = time.perf_counter()
    with ProcessPool(2, oversubscribe=True) as pool:
        list(pool.map(abs, [1, 2]))  # compile, start the workers
        start = time.perf_counter() - t
        t = time.perf_counter()
        reps = replicate(sc, spec["runs"], seed=1, executor=pool, engine="vector", force=True)
        wall = time.perf_counter() - t
    out = {"seconds": wall, "startup": start, "runs": reps.n}
    if spec["events"]:  # the sweep's outputs carry no event count: replication 0 alone, once
        t = time.perf_counter()
        res = sim.run(sc, replication_seed(1, 0), engine="vector")
        out |= {"events": res.manifest["events_processed"], "alone": time.perf_counter() - t}
    return out


CHILDREN = {"run": run_child, "compile": compile_child, "floor": floor_child, "sweep": sweep_child}


# ---------------------------------------------------------------------- the plan
@dataclass
class Job:
    """One measurement: a child's spec, and its results over the repeats."""

    key: str
    spec: dict[str, Any]
    once: bool = False  # measured in the first repeat only
    results: list[dict[str, Any]] = field(default_factory=list)

    def s(self) -> list[float]:
        return [r["seconds"] for r in self.results]


def plan(a: argparse.Namespace) -> dict[str, list[Job]]:
    """The jobs of each figure, in the order a repeat runs them."""
    q = a.quick
    base_years = 0.5 if q else 5.0
    n2, hs = (10_000, (0.5, 0.25)) if q else (100_000, (5.0,) if a.full else (0.5, 0.25))
    run = lambda e, n, y: {"kind": "run", "engine": e, "n": n, "years": y}  # noqa: E731
    jobs = {
        "baseline": [Job("baseline", run("vector", 100_000, base_years)),
                     Job("compile", {"kind": "compile"})],
        "engines": [Job(f"{e}@{h}", run(e, n2, h)) for h in hs for e in ("vector", "agent")],
        "classroom": [Job(f"class-{e}", run(e, None, None)) for e in ("vector", "agent")],
        "memory": [Job("memory", run("vector", 100_000 if q else 1_000_000, 5.0), once=True)],
        "floor": [Job("floor", {"kind": "floor", "n": 100_000, "years": base_years})],
        "sweep": [Job("sweep", {"kind": "sweep", "runs": 24 if q else 1000})],
    }  # fmt: skip
    return {k: v for k, v in jobs.items() if a.only is None or k == a.only}


def measure(job: Job, figures: dict[str, list[Job]]) -> dict[str, Any]:
    """Run ``job`` in a fresh process; the floor is handed this repeat's baseline run."""
    spec = {**job.spec, "events": not job.results}
    done = [j for j in figures.get("baseline", []) if j.key == "baseline" and j.results]
    if spec["kind"] == "floor" and done:
        spec["run"] = done[0].results[-1]
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                         capture_output=True, text=True)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"{job.key} failed:\n{out.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


# ---------------------------------------------------------------------- the table
def verdict(
    value: float, target: float, upper: bool, stretch: float | None = None, est: bool = False
) -> tuple[str, str]:
    """("reached" / "not reached", the factor to go) of ``value`` against ``target``."""
    ok = value <= target if upper else value >= target
    word = "reached" if ok else "not reached"
    if ok and stretch is not None and value <= stretch:
        word = "stretch reached"
    gap = "—" if ok else f"×{(value / target if upper else target / value):.1f}"
    return word + (" (est.)" if est else ""), gap


def sec(x: float) -> str:
    """Seconds to three significant figures (whole seconds from 1,000 on)."""
    return f"{x:,.0f}" if x >= 1000 else f"{x:.3g}"


def cells(fig: str, what: str, secs: list[float], events: int | None) -> list[str]:
    """The first six cells of a row: figure, what, median, range, events, ns/event."""
    m = median(secs)
    ns = f"{1e9 * m / events:,.0f}" if events else "—"
    spread = f"{sec(min(secs))}–{sec(max(secs))}"
    return [fig, what, sec(m), spread, f"{events:,}" if events else "—", ns]


Rows = tuple[list[list[str]], list[str]]


def baseline_rows(by: dict[str, Job]) -> Rows:
    b, c = by["baseline"], by["compile"]
    x = 5.0 / b.spec["years"]
    v = median(b.s()) * x
    what = f"vector {b.spec['n']:,} × {b.spec['years']:g} y" + ", 1 core"
    what += f", ×{x:g} extrapolated to 5 y" if x != 1 else ""
    judged = verdict(v, 2.0, True, 0.5, x != 1)
    rows = [
        [*cells("baseline", what, b.s(), b.results[0]["events"]), f"{sec(v)} s",
         "≤ 2 s (stretch 0.5)", *judged],
        [*cells("baseline", "sim.jit.warm(), fresh process, empty cache", c.s(), None),
         "compile", "—", "—", "—"],
    ]  # fmt: skip
    engine = median(r["engine_s"] for r in b.results)
    notes = [
        f"baseline: {engine:.3g} s of the median in the engine (build and periods), the rest "
        "the result's tables",
        f"compile: {c.results[0]['signatures']} signatures; the same warm() on the filled "
        f"cache {median(r['warm'] for r in c.results):.2f} s (load); importing the engine "
        f"{median(r['warm_import'] for r in c.results):.2f} s",
    ]
    return rows, notes


def paired(fig: str, vec: Job, ag: Job, what: str, target: float, shown: str) -> Rows:
    """A vector row and an agent row, and the agent/vector ratio of each repeat's pair."""
    rows = [[*cells(fig, f"{j.spec['engine']} {what}", j.s(), j.results[0]["events"]),
             "", "", "", ""] for j in (vec, ag)]  # fmt: skip
    ratios = [a["seconds"] / v["seconds"] for a, v in zip(ag.results, vec.results, strict=True)]
    rows[-1][6:] = [f"×{median(ratios):.3g}", shown, *verdict(median(ratios), target, False)]
    each = ", ".join(f"{r:.3g}" for r in ratios)
    return rows, [f"{fig} {what}: agent seconds / vector seconds, repeat by repeat: {each}"]


def engines_rows(by: dict[str, Job], hs: list[float]) -> Rows:
    rows: list[list[str]] = []
    notes: list[str] = []
    for h in hs:
        vec, ag = by[f"vector@{h}"], by[f"agent@{h}"]
        r, n = paired("engines", vec, ag, f"{vec.spec['n']:,} × {h:g} y", 100.0, "vector ≥ ×100")
        rows, notes = rows + r, notes + n
    per = {(e, h): by[f"{e}@{h}"].results[0]["events"] / h for e in ("vector", "agent") for h in hs}
    for e in ("vector", "agent"):
        notes.append(f"engines: {e} events per simulated year: "
                     + ", ".join(f"{per[(e, h)]:,.0f} at {h:g} y" for h in hs))  # fmt: skip
    if len(hs) == 2:
        x = 5.0 / hs[0]
        agent5 = median(by[f"agent@{hs[0]}"].s()) * x
        notes.append(
            f"engines: the agent engine at 5 y would take about {agent5:,.0f} s (×{x:g} "
            f"extrapolated from {hs[0]:g} y, assuming events grow linearly with the horizon: "
            f"events per year at {hs[0]:g} y over those at {hs[1]:g} y are "
            f"{per[('agent', hs[0])] / per[('agent', hs[1])]:.3f})"
        )
        b = by.get("baseline")
        if b is not None and b.spec["n"] == by[f"agent@{hs[0]}"].spec["n"]:
            vb = median(b.s()) * 5.0 / b.spec["years"]
            notes.append(f"engines: that over the baseline figure's vector 5 y ({vb:.3g} s): "
                         f"×{agent5 / vb:.3g}")  # fmt: skip
    return rows, notes


def memory_rows(by: dict[str, Job]) -> Rows:
    m = by["memory"]
    (r, n), est = (m.results[0], m.spec["n"]), m.spec["n"] != 1_000_000
    peak, base = r["peak"], r["base"]
    value = base + (peak - base) * 1_000_000 / n if est else peak
    what = f"vector {n:,} × 5 y" + (", extrapolated to 1M" if est else "")
    rows = [[*cells("memory", what, m.s(), r["events"]), f"{value / GB:.3g} GB", "≤ 1 GB peak",
             *verdict(value, GB, True, None, est)]]  # fmt: skip
    return rows, [
        f"memory: ru_maxrss of the child {peak / GB:.3f} GB, of which {base / GB:.3f} GB before "
        f"the run (interpreter, libraries, compiled code); {r['customers']:,} customers held"
        + ("; the 1M value is that base plus the run's part ×10 (quick)" if est else "")
    ]


def floor_rows(by: dict[str, Job]) -> Rows:
    f = by["floor"]
    ev = f.results[0]["events"]
    run_ns = median(r["run_ns"] for r in f.results)
    rows, notes = [], []
    for way in f.results[0]["ways"]:
        secs = [r["ways"][way] for r in f.results]
        ns = 1e9 * median(secs) / ev
        rows.append([*cells("floor", way, secs, ev), f"run ×{run_ns / ns:,.0f}", "—", "—", "—"])
        notes.append(f"floor: {way}: {ns / 2:.1f} ns per draw")
    notes.append(f"floor: one exponential and one uniform per event; the baseline run's own: "
                 f"{run_ns:,.0f} ns per event")  # fmt: skip
    return rows, notes


def sweep_rows(by: dict[str, Job]) -> Rows:
    s = by["sweep"]
    runs, one = s.spec["runs"], s.results[0]["events"]
    x = 1000 / runs
    startup = median(r["startup"] for r in s.results)
    v = startup + median(s.s()) * x
    what = f"replicate vector 10,000 × 5 y, {runs} runs, 2 workers"
    what += f", ×{x:.3g} extrapolated to 1,000" if x != 1 else ""
    rows = [[*cells("sweep", what, s.s(), one * runs), f"{sec(v)} s", "≤ 60 s",
             *verdict(v, 60.0, True, None, x != 1)]]  # fmt: skip
    note = (
        f"sweep: starting and warming the pool {startup:.2f} s (before the clock, added once "
        f"to the value); events ≈ {runs} × replication 0's {one:,}; replication 0 alone took "
        f"{s.results[0]['alone']:.3g} s, the sweep {median(s.s()) / runs:.3g} s of wall a run"
    )
    return rows, [note]


def table(figures: dict[str, list[Job]]) -> Rows:
    """The rows of the table, and the notes printed under it, figure by figure."""
    by = {j.key: j for jobs in figures.values() for j in jobs}
    parts: list[Rows] = []
    if "baseline" in figures:
        parts.append(baseline_rows(by))
    if "engines" in figures:
        hs = sorted({j.spec["years"] for j in figures["engines"]}, reverse=True)
        parts.append(engines_rows(by, hs))
    if "classroom" in figures:
        parts.append(paired("classroom", by["class-vector"], by["class-agent"],
                            "library baseline 2,000 × 3 y", 1.0, "vector faster"))  # fmt: skip
    parts += [f(by) for k, f in (("memory", memory_rows), ("floor", floor_rows),
                                  ("sweep", sweep_rows)) if k in figures]  # fmt: skip
    return [r for p in parts for r in p[0]], [n for p in parts for n in p[1]]


def show(rows: list[list[str]], notes: list[str]) -> None:
    widths = [max(len(r[i]) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    print("\n".join([line(list(COLUMNS)), "  ".join("-" * w for w in widths),
                     *map(line, rows), "", *("* " + n for n in notes)]))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller worlds, extrapolated (minutes)")
    ap.add_argument("--full", action="store_true", help="the agent engine at 100k × 5 y too")
    ap.add_argument("--only", choices=FIGURES, help="run one figure")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved repeats (3; quick 2)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        spec = json.loads(a.child)
        print(json.dumps(CHILDREN[spec["kind"]](spec)))
        return
    repeats = a.repeats if a.repeats is not None else 2 if a.quick else 3
    if repeats < 1:
        ap.error(f"--repeats must be at least 1, got {repeats}")
    figures = plan(a)
    load = lambda: " ".join(f"{x:.2f}" for x in os.getloadavg())  # noqa: E731
    print(f"engines benchmark{' (quick)' if a.quick else ''}: {repeats} interleaved repeat(s), "
          f"{os.cpu_count()} CPUs, load average before {load()}", flush=True)  # fmt: skip
    for k in range(repeats):
        for jobs in figures.values():
            for job in jobs:
                if job.once and k:
                    continue
                job.results.append(measure(job, figures))
                print(f"  repeat {k + 1}/{repeats} {job.key}: {job.results[-1]['seconds']:.2f} s",
                      flush=True)  # fmt: skip
    print(f"load average after {load()}\n")
    show(*table(figures))


if __name__ == "__main__":
    main()
