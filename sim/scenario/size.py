"""Run size: how big a run will be, worked out before it starts.

A removal firm looks round the house before it sends a van: so many rooms, so many boxes,
one van or three. :func:`estimate` does the same for a scenario: from its parameters alone
(no random draw, no simulation, a few milliseconds) it works out the customers ever alive,
the events the engine will process and the memory each engine needs. :func:`check_size`
holds that against the ceilings below before any work starts: a *soft* one that
``force=True`` (``--force``) passes, and a *hard* one that nothing passes.

The estimate is the expected value of the model's generative process. Arrivals: the launch
cohort, paid leads through the funnel, the mean Bass path and referrals from every active
customer (each an advocate at its starting ladder level), stepped over :data:`GRID` steps so
that the referred refer in turn. Survival: baseline dropout at the starting ladder level (λ's
and μ's Gamma laws in closed form, p and θ over :data:`NODES` Beta quantiles); behavioural
churn, firing and win-back are left out, so counts lean high. Events as the engines count
them (``manifest["events_processed"]``): the life race per customer-day alive (purchases at
the wallet's top rate, Pareto deaths, service needs, reconsiderations), renewals and
keep-in-touch contacts on their schedules, tickets (needs ÷ first-contact resolution, and
voiced complaints), care contacts (tier share × customer-days ÷ cadence), account-manager
visits (their hours ÷ hours per visit; care visits past them are missed) and follow-up steps.
Memory: bytes per customer, ledger entry, event-log row and period, measured on each engine
by ``scripts/measure_run_size.py``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import betaincinv, ndtr

from agents.context import Context
from agents.dropout import BGDropout, ConstantDropout, ParetoDropout
from agents.traits import Level, SegmentParams
from sim.errors import ArgumentError, UserError

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = [
    "HARD_CUSTOMERS", "HARD_MEMORY_SHARE", "SOFT_CUSTOMERS", "SOFT_EVENTS", "SOFT_MEMORY_SHARE",
    "RunSize", "check_size", "estimate", "machine_memory",
]  # fmt: skip

#: Time steps over the horizon on which arrivals, referrals and survival are stepped.
GRID = 400
#: Equal-probability quantiles over which a Beta-distributed dropout chance is averaged.
NODES = 64
#: Largest count the estimate carries: far past every ceiling, far below overflow.
_CAP = 1e18

#: Bytes of peak resident memory, measured by ``.venv/bin/python scripts/measure_run_size.py``
#: (growth of the peak during ``sim.run``; measured figure in each comment, numpy 2, 2 cores).
BYTES = {
    "base": 198 * 2**20,  # 207,740,928: interpreter, numpy, pandas, Mesa, the sandbox
    "agent_customer": 6_100,  # 6,115: Mesa agent, SimPy process, records, result rows
    "agent_entry": 440,  # 441: a ledger entry in Python lists, then arrays and a frame
    "agent_log": 280,  # 276: a row of the event log (output.events)
    "vector_row": 586,  # 586, exact: a row of the customer columns and the event pool
    "vector_customer": 1_500,  # 1,517: a customer's result rows, beyond its columns
    "vector_entry": 290,  # 289: a ledger entry in array chunks, then the ledger frame
    "period": 12_300,  # 12,288: books, tally, ledger totals, periods row of a period
    "bass": 32,  # four float64 arrays of the Bass potential (adoption times drawn up front)
}

SOFT_CUSTOMERS = 1_000_000
"""Customers ever alive in one run past which it needs ``force``: the vector engine is built
for a million; past that a run takes long and gigabytes, more often a slip than a plan."""

HARD_CUSTOMERS = 50_000_000
"""Customers ever alive in one run that nothing runs: ≈ 110 GB on the vector engine (≈ 2.2 KB
each, columns and tables), ≈ 300 GB on the agent engine (6.1 KB each)."""

SOFT_EVENTS = 200_000_000
"""Events in one run past which it needs ``force``: ≈ 1.6 h on the agent engine (≈ 35,000
events/s measured by the script), ≈ 5 min on the vector engine (≈ 700,000 events/s)."""

SOFT_MEMORY_SHARE = 0.5
"""Share of the machine's memory past which a run needs ``force``: leave room for the rest."""

HARD_MEMORY_SHARE = 1.0
"""Share of the machine's memory past which nothing runs: it would die, or swap for days."""


@dataclass(frozen=True)
class RunSize:
    """The expected size of one run, or of one stack of replications run together.

    Counts are per replication (one world); memory is for the whole pass (a stack shares it).

    Attributes:
        customers: customers ever alive: the launch cohort and every arrival.
        events: events the engine processes, as ``manifest["events_processed"]`` counts them.
        periods: reporting periods.
        agent_bytes: peak memory on the agent engine (vector_bytes: on the vector engine).
        engine: the engine the run is for (``"agent"`` or ``"vector"``).
        replications: replications in one pass (a vector-engine stack).
        customers_from: where most customers come from (events_from: most events), by field.
    """

    customers: float
    events: float
    periods: int
    agent_bytes: float
    vector_bytes: float
    engine: str
    replications: int
    customers_from: str
    events_from: str

    @property
    def bytes(self) -> float:
        """Peak memory on :attr:`engine`."""
        return self.agent_bytes if self.engine == "agent" else self.vector_bytes

    def describe(self) -> str:
        """One line: ``≈ 2,460 customers ever alive, ≈ 310,000 events, ≈ 45 MiB (agent engine)``."""
        k = self.replications
        return (
            f"≈ {_amount(self.customers)} customers ever alive, ≈ {_amount(self.events)} "
            f"events{' each' if k > 1 else ''}, ≈ {_bytes(self.bytes)} ({self.engine} engine"
            f"{f', {k} replications stacked' if k > 1 else ''})"
        )


def estimate(scenario: Scenario, engine: str = "agent", replications: int = 1) -> RunSize:
    """The expected size of a run of ``scenario``, from its parameters alone.

    Args:
        scenario: a validated scenario.
        engine: ``"agent"`` or ``"vector"`` (resolve ``"auto"`` first with
            :func:`sim.engines.choose_engine`).
        replications: replications run together in one vector-engine pass (a stack).

    Returns:
        The size, worked out as the module docstring says.

    Raises:
        ArgumentError: an unknown engine, or ``replications`` that is not a whole number ≥ 1.
    """
    if engine not in ("agent", "vector"):
        raise ArgumentError(f"engine must be 'agent' or 'vector', got {engine!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ArgumentError(f"replications must be a whole number ≥ 1, got {replications!r}")
    sc, b, k = scenario, BYTES, float(replications)
    ctx = Context.build(
        sc.behaviour, sc.strategy, sc.economics,
        sc.setting == "contractual", sc.contract.every, sc.period,
    )  # fmt: skip
    with np.errstate(all="ignore"):
        f, came_from, done_by = _flows(sc, ctx)
    full = sc.output.ledger == "full"
    periods = b["period"] * sc.n_periods
    agent = b["base"] + periods + b["agent_customer"] * f["customers"]
    agent += b["agent_entry"] * f["entries"] * full + b["agent_log"] * f["log"] * sc.output.events
    # The vector engine's columns start at 1.5 × the launch cohort and grow by a quarter.
    rows = max(1.5 * sc.population.initial + 64, 1.25 * f["customers"])
    lane = periods + b["vector_row"] * rows + b["vector_customer"] * f["customers"]
    lane += b["vector_entry"] * f["entries"] * full + b["bass"] * f["bass"]
    vector = b["base"] + k * lane
    return RunSize(
        customers=f["customers"],
        events=f[f"{engine}_events"],
        periods=sc.n_periods,
        agent_bytes=min(agent, _CAP),
        vector_bytes=min(vector, _CAP),
        engine=engine,
        replications=replications,
        customers_from=max(came_from, key=came_from.__getitem__),
        events_from=max(done_by, key=done_by.__getitem__),
    )


def check_size(
    scenario: Scenario, engine: str = "agent", force: bool = False, replications: int = 1
) -> RunSize:
    """Refuse a run past the size ceilings, before any of its work starts.

    Args:
        scenario: a validated scenario.
        engine: ``"agent"`` or ``"vector"``.
        force: go past the soft ceilings (:data:`SOFT_CUSTOMERS`, :data:`SOFT_EVENTS`,
            :data:`SOFT_MEMORY_SHARE` of the machine's memory).
        replications: replications run together in one pass (a vector-engine stack).

    Returns:
        The estimate (:func:`estimate`).

    Raises:
        ArgumentError: as :func:`estimate`.
        UserError: a hard ceiling passed (:data:`HARD_CUSTOMERS`, :data:`HARD_MEMORY_SHARE`
            of the machine's memory), or a soft one without ``force``; the message says how
            big, where most of it comes from, which ceiling, and what to do.
    """
    size, ram = estimate(scenario, engine, replications), machine_memory() or math.inf
    memory = f"this machine's {_bytes(ram)} of memory"
    hard = [f"{_amount(HARD_CUSTOMERS)} customers"] * (size.customers > HARD_CUSTOMERS)
    hard += [memory] * (size.bytes > HARD_MEMORY_SHARE * ram)
    soft = [f"{_amount(SOFT_CUSTOMERS)} customers"] * (size.customers > SOFT_CUSTOMERS)
    soft += [f"{_amount(SOFT_EVENTS)} events"] * (size.events > SOFT_EVENTS)
    soft += [f"{SOFT_MEMORY_SHARE:.0%} of {memory}"] * (size.bytes > SOFT_MEMORY_SHARE * ram)
    if not hard and (not soft or force):
        return size
    runs = f"this stack of {replications} replications" if replications > 1 else "this run"
    head = (
        f"scenario {scenario.name!r}: {runs} would simulate "
        f"≈ {_amount(size.customers)} customers ever alive (mostly {size.customers_from}), "
        f"process ≈ {_amount(size.events)} events (mostly {size.events_from}) and need "
        f"≈ {_bytes(size.bytes)} of memory on the {size.engine} engine"
    )
    if hard:
        raise UserError(
            f"{head}; that is past the hard ceiling of {' and '.join(hard)}, which not even "
            "--force (force=True) goes past; make the world smaller (fewer customers or "
            "arrivals, a shorter horizon, slower cadences) or lighter (output.ledger: aggregate)"
        )
    raise UserError(
        f"{head}; the soft ceiling is {' and '.join(soft)}; make the world smaller, or pass "
        "--force (force=True) to go past the soft ceiling"
    )


def machine_memory() -> int | None:
    """This machine's memory in bytes (a container's limit when lower), None if unknown."""
    try:
        total: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: no memory ceilings
        total = None
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = Path(limit).read_text(encoding="ascii").strip() if Path(limit).is_file() else ""
        if text.isdigit() and (total is None or int(text) < total):
            total = int(text)
    return total if total and total > 0 else None


def _flows(sc: Scenario, ctx: Context) -> tuple[dict[str, float], ...]:
    """Expected totals of a run; where its customers come from; what its events are."""
    st, acq, segs = sc.strategy, sc.strategy.acquisition, sc.population.segments
    horizon, h, n0 = sc.horizon, sc.horizon / GRID, float(min(sc.population.initial, _CAP))
    tau, share = np.linspace(0.0, horizon, GRID + 1), np.array([s.share for s in segs])
    laws, wallet, refer = zip(*(_segment(sc, ctx, s) for s in segs), strict=True)
    alive, lam, mu = (np.array(x) for x in zip(*(law(tau) for law in laws), strict=True))
    paid, bass = np.zeros(GRID), np.zeros(GRID)
    if acq.bass is None and acq.budget_per_period > 0.0:
        leads = min(acq.budget_per_period / acq.cost_per_lead, _CAP)  # a period's, mean
        paid[:] = leads * acq.conversion() * h / sc.period
    potential = float(min(acq.bass.market_potential, _CAP)) if acq.bass else 0.0
    if acq.bass is not None and potential > n0:
        p, q, f0 = acq.bass.p / 365.25, acq.bass.q / 365.25, n0 / potential
        e = np.exp(math.log((1.0 - f0) / (1.0 + f0 * q / p)) - (p + q) * tau)  # F(0) = n0 / M
        bass = np.diff(potential * (1.0 - e) / (1.0 + q / p * e))
    arrivals = paid + bass
    # Referrals per customer-day at each age, the segments mixed as in every cohort.
    kernel = np.minimum(share * np.array(refer), _CAP) @ alive
    mid = (kernel[1:] + kernel[:-1]) / 2.0
    for j in range(GRID if kernel.any() else 0):
        made = h * (n0 * kernel[j] + mid[:j][::-1] @ arrivals[:j])
        arrivals[j] = min(arrivals[j] + made, _CAP)
    arrivals = np.nan_to_num(arrivals, nan=_CAP, posinf=_CAP)
    customers = min(n0 + float(arrivals.sum()), _CAP)
    came_from = {
        "the launch cohort, population.initial": n0,
        "paid acquisition, strategy.acquisition.budget_per_period": float(paid.sum()),
        "Bass diffusion, strategy.acquisition.bass": float(bass.sum()),
        "referrals, population.segments.*.referral_rate": customers - n0 - paid.sum() - bass.sum(),
    }  # fmt: skip

    def total(x: np.ndarray, integrate: bool = True) -> np.ndarray:
        """Per segment: Σ over cohorts of ``x`` (a function of age) integrated or read."""
        if integrate:
            steps = np.cumsum((x[:, 1:] + x[:, :-1]) * (h / 2.0), axis=1)
            x = np.concatenate([np.zeros((len(x), 1)), steps], axis=1)
        later = (x[:, 1:] + x[:, :-1]) / 2.0  # an arrival sits mid-step
        return share * np.minimum(n0 * x[:, -1] + later[:, ::-1] @ arrivals, _CAP)

    def schedule(every: float) -> float:
        """Contacts due every ``every`` days after arrival, to customers still alive then."""
        if horizon > GRID * every:  # finer than the grid: a rate
            return float(total(alive).sum()) / max(every, 1.0 / _CAP)
        due = np.arange(1, int(horizon / every) + 1) * every * (1.0 - 1e-12)
        made = np.pad(np.cumsum([law(due)[0] for law in laws], axis=1), ((0, 0), (1, 0)))
        return float(total(made[:, np.searchsorted(due, tau, "right")], False).sum())

    days, buying = total(alive), total(lam)  # customer-days alive; λ × days, per segment
    buys = np.array(wallet) * buying + (0.0 if ctx.contractual else share * customers)
    days_alive, churns = float(days.sum()), max(customers - float(total(alive, False).sum()), 0)
    life = ctx.max_wallet * buying.sum() + ctx.max_hazard_mult * total(mu).sum()
    reviews = ctx.review_rate * days_alive
    needs = float(np.array([1.0 / s.service_interval for s in segs]) @ days)
    # A ticket not solved at first contact comes back, until the horizon at the latest.
    chain, fcr = 1.0 + horizon / 2.0 / st.service.handling_time, st.service.first_contact_resolution
    service = needs * (min(1.0 / fcr, chain) if fcr > 0.0 else chain)
    # Experiences: performance ~ N(quality, sd) against the segment's mean expectation.
    on, expect = float(ctx.behaviour), np.array([s.expectation.mean for s in segs])
    short = on * np.nan_to_num(ndtr((expect - ctx.failure_margin - ctx.quality) / ctx.quality_sd))
    exceed = on * np.nan_to_num(ndtr((ctx.quality - expect - ctx.exceed_margin) / ctx.quality_sd))
    late, voiced = on * (1.0 - ctx.on_time), np.array([s.complaint_propensity.mean for s in segs])
    fails = buys * (short + late - short * late)
    complaints = float(fails @ voiced)
    tickets = service + (complaints if ctx.handling != "none" else 0.0)
    renewals = schedule(sc.contract.every) if ctx.contractual else 0.0
    # Care tiers by share of the active customers; account-manager visits within their hours.
    am, tiers, fu = st.account_managers, st.care_tiers, st.follow_up
    hours = am.count * am.hours_per_week * horizon / 7.0 / am.hours_per_visit
    due = {False: 0.0, True: 0.0}  # contacts due by others, by account managers
    for t in tiers.tiers if tiers.enabled else ():
        if t.every is not None:
            due[t.owner == "account_manager"] += t.share * days_alive / max(t.every, 1.0 / _CAP)
    visited = min(due[True], hours)
    care, missed = due[False] + visited, due[True] - visited
    visits = hours - visited if am.allocation != "none" and days_alive > 0.0 else 0.0
    first = customers if fu.enabled and not ctx.contractual else 0.0
    triggers = first if fu.trigger == "first_purchase" else float(buys.sum()) * fu.enabled
    steps = triggers * sum(1 for s in fu.steps if s.after < horizon)
    recurring = schedule(fu.recurring) if fu.recurring is not None and first else 0.0
    shared = life + reviews + needs + renewals + care + visits + recurring
    done_by = {
        "purchases, population.segments.*.purchase": float(life),
        "reconsideration moments, behaviour.hazard.max_hazard": reviews,
        "service tickets, population.segments.*.service_interval": needs + tickets,
        "renewals, contract.every": renewals,
        "care contacts, strategy.care_tiers.tiers.*.every": care + missed,
        "account-manager visits, strategy.account_managers": visits,
        "follow-up contacts, strategy.follow_up": steps + recurring,
    }
    # Emotional-account entries each experience books (none in the pure modes); a follow-up
    # step on time books the contact and a kept promise.
    entries = float(buys @ (short + exceed + late + ctx.delight) + fails @ (1.0 - voiced))
    entries += 2.0 * complaints + service + care + missed + visits + recurring
    totals = {
        "customers": customers,
        "agent_events": shared + tickets + steps * fu.on_time,
        "vector_events": shared + 2.0 * tickets + missed + steps + customers - n0
        + (churns if st.win_back.enabled else 0.0),
        "entries": on * (entries + steps * (1.0 + fu.on_time)),
        "log": customers + float(buys.sum()) + churns,
        "bass": max(potential - n0, 0.0),
    }  # fmt: skip
    clamped = {k: float(np.clip(np.nan_to_num(v, nan=_CAP), 0.0, _CAP)) for k, v in totals.items()}
    return clamped, came_from, done_by


def _segment(
    sc: Scenario, ctx: Context, seg: SegmentParams
) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, ...]], float, float]:
    """A segment's law of age (P(alive), E[λ·alive], E[μ·alive]), wallet and referral rate.

    The ladder stays at the segment's starting level (the pure modes have no ladder).
    """
    level = Level[seg.initial_level] if ctx.behaviour else 0
    wallet = ctx.wallet[level] * ctx.loyalty_wallet if ctx.behaviour else 1.0
    hazard = ctx.hazard[level] * ctx.loyalty_lock if ctx.behaviour else 1.0
    refer = seg.referral_rate / 365.25 * ctx.referral[level] if ctx.behaviour else 0.0
    refer *= sc.strategy.acquisition.referral_conversion
    buy, d, every = seg.purchase, seg.dropout, sc.contract.every
    rate = buy.r / buy.alpha if buy is not None else 0.0
    chance = np.array([d.theta]) if isinstance(d, ConstantDropout) else np.zeros(1)
    if isinstance(d, BGDropout) or d.model == "sbg":
        a, b = (d.a, d.b) if isinstance(d, BGDropout) else (d.alpha, d.beta)
        chance = np.nan_to_num(betaincinv(a, b, (np.arange(NODES) + 0.5) / NODES))
    dies = np.minimum(chance * hazard, 1.0)

    def law(age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        none = np.zeros_like(age)
        if isinstance(d, ParetoDropout):
            base = d.beta / (d.beta + hazard * age)
            return base**d.s, rate * base**d.s, d.s / d.beta * base ** (d.s + 1.0)
        if ctx.contractual or buy is None:
            alive = np.mean((1.0 - dies[:, None]) ** np.floor(age / every)[None, :], axis=0)
            return alive, rate * alive, none
        # BG: death at a repeat purchase; λ's Gamma integrates in closed form.
        base = buy.alpha / (buy.alpha + dies[:, None] * wallet * age[None, :])
        return np.mean(base**buy.r, axis=0), rate * np.mean(base ** (buy.r + 1.0), axis=0), none

    return law, wallet, refer


def _amount(x: float) -> str:
    """A count for a message, to three figures: ``2,460``, ``310,000``, ``1.2 billion``."""
    x = float(f"{x:.3g}")
    if x < 1e6:
        return f"{x:,.0f}"
    if x < 1e15:
        power = int(math.log10(x)) // 3  # 2: millions, 3: billions, 4: trillions
        return f"{x / 1000.0**power:.3g} {('million', 'billion', 'trillion')[power - 2]}"
    return f"{x:.1e}".replace("e+", " × 10^")


def _bytes(x: float) -> str:
    """A memory size for a message, in binary units: ``45.2 MiB``, ``7.28 TiB``."""
    for power, name in ((5, "PiB"), (4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if x >= 1024**power:
            return f"{x / 1024**power:.3g} {name}"
    return f"{x:.0f} B"
