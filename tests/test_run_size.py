"""Run size: the estimate is close to what runs produce, and too big a world never starts.

The estimate (:mod:`sim.scenario.size`) is held against real runs of shrunken library
scenarios on both engines, on fixed seeds: customers from the customers table, events from
the engine's own count (``manifest["events_processed"]``). Then the ceilings: a huge world
is refused at once by every way in (``sim.run``, ``run_stack``, ``replicate``, ``compare``,
the command line), ``force`` passes the soft ceiling but never the hard one, and a forced
experiment is not refused again inside its workers. The tests that pass a ceiling lower it
(or the machine's memory) with ``monkeypatch`` so that what then runs stays tiny.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sim
from sim.cli.commands import app
from sim.errors import ArgumentError, UserError
from sim.experiments import compare, replicate
from sim.experiments.executors import InProcess
from sim.experiments.tasks import RunTask
from sim.scenario import size
from sim.scenario.size import RunSize, check_size, estimate
from sim.scenario.spec import load_scenario

SMALL = {"population.initial": 200, "horizon": "1y"}
TINY = ["--set", "population.initial=100", "--set", "horizon=6mo"]

#: Library scenarios shrunk to a second's run, each exercising other parts of the estimate.
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline": ("baseline", SMALL),  # care tiers, AM visits, paid leads, referrals, tickets
    "three years": ("baseline", {**SMALL, "horizon": "3y"}),
    "pure modes": ("baseline", {**SMALL, "behaviour.enabled": False}),  # BG/NBD exactly
    "subscription": ("subscription", SMALL),  # sBG renewals
    "bass": (
        "subscription",
        {**SMALL, "strategy.acquisition.bass": {"market_potential": 1500, "p": 0.5, "q": 2.0}},
    ),
    "follow-up": ("post_sale_follow_up", SMALL),  # steps and keep-in-touch contacts
    "pyramid": ("key_account_pyramid", SMALL),  # key-account visits without care tiers
}

#: How far the estimate may be from a run, as factors estimate / run. Customers come from
#: arrivals alone and are tight; events lean high because behavioural churn is left out
#: (the runs here give 0.95–1.37).
CUSTOMERS = (0.85, 1.2)
EVENTS = (0.8, 1.6)


# --------------------------------------------------------------------------- the estimate
@pytest.mark.parametrize("engine", ["agent", "vector"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_estimate_is_close_to_a_real_run(case: str, engine: str) -> None:
    source, overrides = CASES[case]
    sc = load_scenario(source, overrides)
    start = time.perf_counter()
    guess = estimate(sc, engine)
    assert time.perf_counter() - start < 0.5  # closed form, not a simulation
    result = sim.run(sc, seed=11, engine=engine)
    customers = guess.customers / len(result.customers)
    events = guess.events / result.manifest["events_processed"]
    assert CUSTOMERS[0] < customers < CUSTOMERS[1], (case, customers)
    assert EVENTS[0] < events < EVENTS[1], (case, events)
    assert guess.periods == len(result.periods)


def test_memory_grows_with_what_the_run_keeps() -> None:
    sc = load_scenario("baseline", SMALL)
    lean = estimate(load_scenario("baseline", {**SMALL, "output.ledger": "aggregate"}))
    assert estimate(sc).agent_bytes > lean.agent_bytes  # every ledger entry kept
    logged = estimate(load_scenario("baseline", {**SMALL, "output.events": True}))
    assert logged.agent_bytes > estimate(sc).agent_bytes
    one, stack = estimate(sc, "vector"), estimate(sc, "vector", replications=8)
    assert (stack.customers, stack.events) == (one.customers, one.events)  # per replication
    lane = one.vector_bytes - size.BYTES["base"]
    assert stack.vector_bytes == pytest.approx(size.BYTES["base"] + 8 * lane)
    assert "8 replications stacked" in stack.describe()


def test_the_estimate_names_where_a_size_comes_from() -> None:
    paid = load_scenario("baseline", {**SMALL, "strategy.acquisition.budget_per_period": 10**7})
    assert "budget_per_period" in estimate(paid).customers_from
    chatty = {**SMALL, "strategy.care_tiers.tiers.3.every": "1h"}
    assert "care_tiers" in estimate(load_scenario("baseline", chatty)).events_from
    launch = load_scenario("baseline", {**SMALL, "population.initial": 5_000})
    assert "population.initial" in estimate(launch).customers_from


def test_an_absurd_world_is_sized_without_overflow_or_a_hang() -> None:
    absurd = {  # each value at or near its field's bound
        "population.initial": 10_000_000,
        "horizon": "50y",
        "population.segments.0.referral_rate": 300,
        "strategy.acquisition.referral_conversion": 1.0,
        "strategy.care_tiers.tiers.0.every": "2h",
    }
    start = time.perf_counter()
    guess = estimate(load_scenario("baseline", absurd), "vector")
    assert time.perf_counter() - start < 1.0
    values = (guess.customers, guess.events, guess.agent_bytes, guess.vector_bytes)
    assert all(0 < v <= 1e18 for v in values)
    assert guess.customers > size.HARD_CUSTOMERS
    assert "10^" in guess.describe() or "trillion" in guess.describe()


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_estimate_refuses_a_bad_replication_count(bad: Any) -> None:
    with pytest.raises(ArgumentError, match="replications"):
        estimate(load_scenario("baseline", SMALL), "vector", bad)


def test_estimate_refuses_an_unresolved_engine() -> None:
    with pytest.raises(ArgumentError, match="'agent' or 'vector'"):
        estimate(load_scenario("baseline", SMALL), "auto")


# --------------------------------------------------------------------------- the ceilings
HUGE = {"population.initial": 5_000_000}  # valid, and far past the soft ceiling


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_a_huge_world_is_refused_before_anything_is_allocated(engine: str) -> None:
    sc = load_scenario("baseline", HUGE)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(UserError, match=r"≈ 5(\.\d+)? million customers ever alive") as err:
            sim.run(sc, seed=1, engine=engine)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 20 * 2**20  # its customers' traits alone would take 600 MB
    assert "population.initial" in str(err.value) and "make the world smaller" in str(err.value)


def test_a_huge_stack_is_refused_before_anything_is_allocated() -> None:
    sc = load_scenario("baseline", HUGE)
    start = time.perf_counter()
    with pytest.raises(UserError, match="this stack of 3 replications"):
        sim.run_stack(sc, [1, 2, 3])
    assert time.perf_counter() - start < 1.0


def test_force_passes_the_soft_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(size, "machine_memory", lambda: 2**50)  # memory is not in question
    sc = load_scenario("baseline", {**HUGE, "output.ledger": "aggregate"})
    with pytest.raises(UserError, match=r"the soft ceiling is 1 million customers.*--force"):
        check_size(sc, "vector")
    assert isinstance(check_size(sc, "vector", force=True), RunSize)


def test_a_forced_run_runs_past_a_lowered_soft_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 50)
    sc = load_scenario("baseline", {"population.initial": 60, "horizon": "2mo"})
    with pytest.raises(UserError, match="soft ceiling is 50 customers"):
        sim.run(sc, seed=1)
    assert len(sim.run(sc, seed=1, force=True).customers) > 50
    assert len(sim.run_stack(sc, [1, 2], force=True)) == 2


@pytest.mark.parametrize(
    ("ceiling", "value", "words"),
    [
        ("HARD_CUSTOMERS", 1_000, "hard ceiling of 1,000 customers"),
        ("machine_memory", lambda: 2**27, "hard ceiling of this machine's 128 MiB of memory"),
    ],
)
def test_the_hard_ceiling_refuses_even_with_force(
    monkeypatch: pytest.MonkeyPatch, ceiling: str, value: Any, words: str
) -> None:
    monkeypatch.setattr(size, ceiling, value)
    sc = load_scenario("baseline", {"population.initial": 5_000})
    for force in (False, True):
        with pytest.raises(UserError, match=words) as err:
            sim.run(sc, seed=1, engine="vector", force=force)
        assert "not even --force" in str(err.value)


# --------------------------------------------------------------------------- experiments
class _Taker:
    """An executor that notes the tasks it was handed, runs the first few, then stops."""

    workers = 1

    def __init__(self, take: int = 0) -> None:
        self.take = take
        self.taken: list[Any] = []

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        self.taken = list(itertools.islice(tasks, self.take))
        return iter([fn(t) for t in self.taken])


@pytest.fixture
def low_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """A soft ceiling of 150 customers: the big arm passes it, the small one does not."""
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 150)


def _arms() -> dict[str, Any]:
    small = {"population.initial": 40, "horizon": "2mo"}
    return {
        "small": load_scenario("baseline", small),
        "big": load_scenario("baseline", {**small, "population.initial": 160}),
    }


@pytest.mark.usefixtures("low_ceiling")
@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_an_experiment_checks_every_arm_before_running_any(engine: str) -> None:
    taker = _Taker(take=4)
    with pytest.raises(UserError, match=r"arm 'big': .*soft ceiling is 150 customers"):
        compare(_arms(), n=2, executor=taker, engine=engine)
    with pytest.raises(UserError, match="soft ceiling is 150 customers"):
        replicate(_arms()["big"], n=2, executor=taker, engine=engine)
    with pytest.raises(UserError, match=r"arm 'big'"):
        compare(_arms(), target="profit:50%", min_n=2, max_n=3, executor=taker, engine=engine)
    assert taker.taken == []


@pytest.mark.usefixtures("low_ceiling")
def test_a_forced_experiment_is_forced_in_its_workers_too() -> None:
    taker = _Taker(take=4)
    done = compare(_arms(), n=2, executor=taker, force=True)  # the workers' runs do not refuse
    assert done.n == 2 and all(t.force for t in taker.taken)
    assert all(isinstance(t, RunTask) for t in taker.taken)
    assert replicate(_arms()["big"], n=2, executor=InProcess(), force=True).n == 2
    assert len(done.result("big", 1).customers) > 150  # a re-run was forced too


# --------------------------------------------------------------------------- command line
@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_crmsim_run_past_the_soft_ceiling_exits_2_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 50)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "baseline", *TINY, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "soft ceiling is 50 customers" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # no folder, no lock, no staging
    forced = runner.invoke(app, ["run", "baseline", *TINY, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize("command", ["run", "compare"])
def test_force_says_it_replaces_and_passes_the_soft_ceilings(
    runner: CliRunner, command: str
) -> None:
    shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
    words = " ".join(shown.replace("│", " ").split())
    assert "Override the soft safeguards: replace a" in words
    assert "soft size ceilings (1,000,000 customers, 200,000,000 events" in words


def test_crmsim_validate_prints_the_size_and_warns_past_the_soft_ceiling(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["validate", "baseline", "--set", "population.initial=100"])
    assert result.exit_code == 0, result.output
    line = result.stdout.splitlines()[1]
    assert line.startswith("  size: ≈ ") and "customers ever alive" in line
    assert "events" in line and line.endswith("(agent engine)")
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 50)
    warned = runner.invoke(app, ["validate", "baseline", *TINY, "--engine", "vector"])
    assert warned.exit_code == 0, warned.output  # the file is valid
    assert "✓ baseline" in warned.stdout and "(vector engine)" in warned.stdout
    assert "crmsim run needs --force" in warned.stderr


def test_crmsim_validate_fails_past_the_hard_ceiling(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(size, "HARD_CUSTOMERS", 50)
    result = runner.invoke(app, ["validate", "baseline", *TINY])
    assert result.exit_code == 2, result.output
    assert "✗ baseline" in result.stdout and "hard ceiling of 50 customers" in result.stderr


def test_crmsim_compare_past_a_ceiling_exits_2_before_any_executor(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []
    monkeypatch.setattr("sim.cli.compare.make_executor", lambda *a: started.append(a))
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 50)
    out = tmp_path / "out"
    args = ["compare", "complaint_handling", *TINY, "-n", "2", "--workers", "2", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "soft ceiling is 50 customers" in result.stderr and "Traceback" not in result.output
    assert started == [] and not out.exists()
    far = ["compare", "complaint_handling", "-n", "1000000000", "--workers", "2"]
    assert runner.invoke(app, far).exit_code == 2 and started == []


def test_crmsim_compare_with_force_passes_force_to_the_comparison(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(size, "SOFT_CUSTOMERS", 50)
    out = tmp_path / "out"
    args = ["compare", "complaint_handling", *TINY, "-n", "2", "-m", "profit", "-o", str(out)]
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
