"""Checkpoints: a comparison's finished runs kept on disk, so that a stopped comparison resumes.

A comparison of a few arms × hundreds of replications can take an afternoon; a Ctrl-C, a
kill or a reboot should cost the runs in flight, not the afternoon. With a store (a
:class:`~sim.experiments.pages.PageFolder`, the same kind of folder a sweep writes), every
finished task (one run, or on the vector engine one stack of an arm's replications) is
written as one Parquet page the moment it comes back, atomically. Called again with the
same comparison, :func:`batches` reads the pages and runs only the (arm, replication) pairs
that have none. A run is a pure function of its scenario, seed and replication, so the
tables come out identical to an uninterrupted comparison's, however often it was stopped
and whatever executor or stacking each attempt used.

An adaptive comparison (a precision target) resumes too: each batch's size follows from
the replications before it alone, so a resumed comparison takes the same batches, reads
the finished ones and the finished runs of the interrupted one, and runs the rest.

The folder holds ``comparison.json`` (the plan: its identity, below, and every arm's
resolved scenario), ``runs/task-NNNNN.parquet`` (NNNNN the index ``replication × arms +
arm`` of the page's first run) and, once the comparison is done, ``manifest.json``. Its
identity is the arms in order with the sha256 of each resolved scenario's JSON (key order
kept: an acquisition funnel runs in the order written), the seed, the engine, the size
(``n``; or the target with ``min_n``, ``max_n`` and the baseline, which decide the
batches) and the versions of the packages that shape a run's numbers. A folder of another
identity is refused, naming the first difference: its runs never mix with these.

Once the comparison is done the folder is sealed with its manifest. ``crmsim compare``
deletes it after publishing the report (its runs are in the result then); a folder given
from Python stays, and answers a later call of the same comparison without running it.

A page's columns, one row per run:

======================  ==========================================================
``arm``                 the arm's name
``replication``         the replication index (seed ``replication_seed(seed, i)``)
``seconds``             wall time of the run in its worker (a stack's time shared)
``curve_days``          day 0 and the end day of every period (a list)
``curve_retention``     share of the day-0 cohort active on each of those days (a list)
*one column per KPI*    the run's headline KPIs (:attr:`RunResult.kpis`)
======================  ==========================================================
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sim.errors import UserError
from sim.experiments.executors import Executor, Progress, execute
from sim.experiments.pages import PageFolder
from sim.experiments.plan import check_experiment
from sim.experiments.tasks import RunOutput, scenario_json
from sim.results.collect import versions
from sim.scenario.spec import Scenario, scenario_hash, scenario_to_dict

__all__ = ["PLAN", "Batch", "Checkpoint", "batches", "comparison_identity", "discard", "sizing"]

T = TypeVar("T")
R = TypeVar("R")

#: The plan file of a comparison's store.
PLAN = "comparison.json"

#: Runs a batch of an experiment: the signature of :func:`sim.experiments.executors.execute`.
Batch = Callable[..., list[RunOutput]]

_FIXED = ("arm", "replication", "seconds", "curve_days", "curve_retention")


class Checkpoint(PageFolder):
    """The folder of a comparison's finished runs (see the module docstring)."""

    plan_file = PLAN
    lock_tag = "compare"
    noun = "comparison"

    def busy(self) -> str:
        """The message for a store another process is using."""
        return (
            f"another crmsim is running the comparison whose work is kept in {self.path}; "
            "wait for it to finish"
        )


def comparison_identity(
    arms: Mapping[str, Scenario], seed: int, engine: str, size: Mapping[str, Any]
) -> dict[str, Any]:
    """What a comparison's runs depend on: two comparisons share runs only if these match.

    Args:
        arms: arm name → resolved scenario, in order.
        seed: the experiment seed.
        engine: the resolved engine (``"agent"`` or ``"vector"``).
        size: ``{"n": …}``, or the target with ``min_n``, ``max_n`` and ``baseline``.
    """
    scenarios = [
        {"arm": arm, "scenario_sha256": hashlib.sha256(scenario_json(sc).encode()).hexdigest()}
        for arm, sc in arms.items()
    ]
    return {"arms": scenarios, "seed": seed, "engine": engine, "size": dict(size),
            "versions": versions()}  # fmt: skip


def sizing(n: int, target: object, min_n: int, max_n: int, baseline: str) -> dict[str, Any]:
    """A comparison's size as its identity records it: ``n``, or what decides its batches.

    With a target (not None) the batches follow from the target, ``min_n``, ``max_n`` and
    the baseline the differences are taken from; without one only ``n`` counts.
    """
    if target is None:
        return {"n": n}
    return {"target": str(target), "min_n": min_n, "max_n": max_n, "baseline": baseline}


def _difference(then: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    """The first difference between two identities, in words."""
    names = [[a["arm"] for a in ident.get("arms", [])] for ident in (then, now)]
    if names[0] != names[1]:
        return f"its arms are {', '.join(names[0])}; this comparison's are {', '.join(names[1])}"
    for old, new in zip(then["arms"], now["arms"], strict=True):
        if old != new:
            return f"arm {old['arm']!r} had another scenario (its content changed since)"
    for key in ("seed", "engine"):
        if then.get(key) != now.get(key):
            return f"its {key} is {then.get(key)}, this comparison's is {now.get(key)}"
    old_size, new_size = then.get("size", {}), now.get("size", {})
    if ("n" in old_size) != ("n" in new_size):
        said = [f"-n {z['n']}" if "n" in z else f"the target {z.get('target')}"
                for z in (old_size, new_size)]  # fmt: skip
        return f"it was made with {said[0]}, this comparison with {said[1]}"
    for key in [*old_size, *(k for k in new_size if k not in old_size)]:
        if old_size.get(key) != new_size.get(key):
            label = "-n" if key == "n" else key
            return f"its {label} is {old_size.get(key)}, this comparison's is {new_size.get(key)}"
    old_v, new_v = then.get("versions", {}), now.get("versions", {})
    for pkg in sorted(set(old_v) | set(new_v)):
        if old_v.get(pkg) != new_v.get(pkg):
            return f"it was run with {pkg} {old_v.get(pkg)}, this is {pkg} {new_v.get(pkg)}"
    return "its plan differs"


def _page(outputs: list[RunOutput]) -> pd.DataFrame:
    rows = [
        {"arm": o.arm, "replication": o.replication, "seconds": o.seconds,
         "curve_days": list(o.days), "curve_retention": list(o.retention), **o.kpis}
        for o in outputs
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _outputs(page: pd.DataFrame) -> Iterator[RunOutput]:
    metrics = [c for c in page.columns if c not in _FIXED]
    for row in page.to_dict("records"):
        yield RunOutput(
            arm=str(row["arm"]),
            replication=int(row["replication"]),
            kpis={m: float(row[m]) for m in metrics},
            days=tuple(float(x) for x in row["curve_days"]),
            retention=tuple(float(x) for x in row["curve_retention"]),
            seconds=float(row["seconds"]),
        )


class _Saving:
    """An executor that saves every result as a page before handing it on."""

    def __init__(self, inner: Executor, save: Callable[[object], None]) -> None:
        self.inner, self.save = inner, save
        self.workers = int(getattr(inner, "workers", 1) or 1)

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        results = self.inner.map(fn, tasks)
        try:
            for result in results:
                self.save(result)
                yield result
        finally:
            close = getattr(results, "close", None)
            if callable(close):
                close()  # cancels what the inner executor still has in flight


def _missing(
    arms: list[str], replications: range, have: Mapping[tuple[str, int], Any]
) -> list[tuple[list[str], range]]:
    """The runs to make as blocks: consecutive replications missing the same arms."""
    blocks: list[tuple[list[str], range]] = []
    for i in replications:
        missing = [a for a in arms if (a, i) not in have]
        if not missing:
            continue
        if blocks and blocks[-1][0] == missing and blocks[-1][1].stop == i:
            blocks[-1] = (missing, range(blocks[-1][1].start, i + 1))
        else:
            blocks.append((missing, range(i, i + 1)))
    return blocks


class _Keeper:
    """A comparison's runs through its store: opened on the first batch, sealed at the end."""

    def __init__(self, folder: Checkpoint, plan: dict[str, Any]) -> None:
        self.folder, self.plan = folder, plan
        self.order = [a["arm"] for a in plan["identity"]["arms"]]
        self.saved: dict[tuple[str, int], RunOutput] = {}

    def open(self) -> None:
        folder = self.folder
        folder.path.resolve().parent.mkdir(parents=True, exist_ok=True)
        folder.lock()
        if not folder.exists():
            folder.create_folder(self.plan)
            return
        then = folder.plan().get("identity", {})
        if then != self.plan["identity"]:
            folder.unlock()
            why = _difference(then, self.plan["identity"])
            raise UserError(
                f"{folder.path} holds the work of another comparison: {why}. Its runs "
                "would not belong with these, so it is left alone: delete it to start this "
                "comparison afresh, or give another --out (store= from Python)"
            )
        for page in folder.pages():
            try:
                frame = pd.read_parquet(page)
            except Exception as exc:  # a damaged page: say which, never guess its runs
                folder.unlock()
                raise UserError(
                    f"cannot read {page} ({exc}); delete it and run again to redo its runs"
                ) from None
            self.saved.update(((o.arm, o.replication), o) for o in _outputs(frame))

    def save(self, result: object) -> None:
        items = result if isinstance(result, list) else [result]
        runs = [o for o in items if isinstance(o, RunOutput)]
        if not runs:
            return
        first = min(o.replication * len(self.order) + self.order.index(o.arm) for o in runs)
        self.folder.add(first, _page(runs))
        self.saved.update(((o.arm, o.replication), o) for o in runs)

    def execute(
        self,
        arms: Mapping[str, Scenario],
        replications: range,
        seed: int,
        executor: Executor,
        keep_results: bool = False,
        progress: Progress | None = None,
        done: int = 0,
        total: int | None = None,
        engine: str = "agent",
        force: bool = False,
    ) -> list[RunOutput]:
        """As :func:`sim.experiments.executors.execute`, the saved runs read, not run."""
        workers = int(getattr(executor, "workers", 1) or 1)
        check_experiment(arms, replications, engine, workers, force)
        if not self.folder.locked:
            self.open()
        total = done + len(arms) * len(replications) if total is None else total
        blocks = _missing(list(arms), replications, self.saved)
        done += len(arms) * len(replications) - sum(len(a) * len(r) for a, r in blocks)
        if progress is not None and not blocks:  # else the first block's execute says it
            progress(done, total)
        saving = _Saving(executor, self.save)
        for names, block in blocks:
            part = {a: arms[a] for a in names}
            execute(part, block, seed, saving, keep_results, progress, done, total, engine, force)
            done += len(names) * len(block)
        return [self.saved[(arm, i)] for i in replications for arm in arms]


@contextmanager
def batches(
    store: str | Path | None,
    arms: Mapping[str, Scenario],
    seed: int,
    engine: str,
    size: Mapping[str, Any],
) -> Iterator[Batch]:
    """The batch runner of a comparison: plain :func:`execute`, or through a store.

    With a store, the folder is created (or checked and locked) on the first batch, so a
    comparison refused before it runs anything leaves no folder; the lock is released on
    leaving, and a comparison that finished seals the folder with its manifest.

    Args:
        store: the store's folder, or None to keep nothing.
        arms: arm name → resolved scenario, in order.
        seed: the experiment seed.
        engine: the resolved engine.
        size: the comparison's size (see :func:`comparison_identity`).

    Raises:
        UserError: (on the first batch) a store that holds another comparison (the first
            difference named), that another process is using, or a damaged page.
    """
    if store is None:
        yield execute
        return
    identity = comparison_identity(arms, seed, engine, size)
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    described = {arm: {"scenario_name": sc.name, "scenario_hash": scenario_hash(sc),
                       "scenario": scenario_to_dict(sc)} for arm, sc in arms.items()}  # fmt: skip
    plan = {"kind": "comparison", "identity_sha256": digest, "identity": identity,
            "arms": described}  # fmt: skip
    keeper = _Keeper(Checkpoint(store), plan)
    try:
        yield keeper.execute
        if keeper.folder.locked:
            keeper.folder.seal({"kind": "comparison", "identity_sha256": digest,
                                "runs": len(keeper.saved), "versions": versions()})  # fmt: skip
    finally:
        keeper.folder.unlock()


def discard(store: str | Path) -> None:
    """Delete a store whose comparison is published (its runs are in the result now).

    Only a folder that holds a comparison's plan is deleted: never a folder of the user's.
    """
    if (Path(store) / PLAN).is_file():
        shutil.rmtree(Path(store), ignore_errors=True)
