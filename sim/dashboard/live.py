"""A live run: one scenario stepped a reporting period at a time, on either engine.

A class watching a simulation wants to see each month close, like a firm's monthly
management report arriving on the desk, rather than a finished binder. ``LiveRun`` wraps an
engine model (:class:`sim.agent_engine.model.CRMModel` or
:class:`sim.vector_engine.model.VectorModel`), steps it one period per :meth:`LiveRun.step`
and reads its books between steps. Nothing here decides anything about customers: the
engines run exactly the run ``sim.run`` makes, so the periods table after ``k`` steps is the
first ``k`` rows of the finished run's, number for number.

What the engines do not keep — a customer's level at each period close, and each
acquisition cohort's share still active — is recorded here at every close, from the
customers' state: the same on both engines, and a few array operations per period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from sim.errors import ArgumentError, ScenarioError, UserError, check_seed
from sim.results.collect import customers_frame
from sim.results.run_result import conform
from sim.results.schema import columns
from sim.scenario.scaling import scaled
from sim.scenario.size import check_size
from sim.scenario.spec import Scenario, load_scenario

if TYPE_CHECKING:
    from sim.dashboard.story import Story
    from sim.dashboard.views import Views

__all__ = ["LIVE_ENGINES", "LiveRun", "Roster"]

#: The engines a live run steps (``"auto"`` is not one: the dashboard names its engine).
LIVE_ENGINES = ("vector", "agent")


class Roster(NamedTuple):
    """Every customer who has arrived so far, one entry each, in the engine's id order."""

    customer_id: np.ndarray  #: the id the customers table and the ledger use
    acquired: np.ndarray  #: day of acquisition
    level: np.ndarray  #: relationship level now (frozen at churn), ``agents.traits.Level``
    active: np.ndarray  #: active now


class _AgentSteps:
    """The agent engine as a live run reads it (customer ids from 1, Mesa's numbering)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        from sim.agent_engine.model import CRMModel

        self.model = CRMModel(scenario, seed=seed)

    @property
    def books(self) -> Any:
        return self.model.books

    @property
    def ledger(self) -> Any:
        return self.model.ledger

    def step(self) -> None:
        self.model.step()

    def roster(self) -> Roster:
        cs = self.model.customers
        return Roster(
            np.array([c.unique_id for c in cs], dtype=np.int64),
            np.array([c.acquired for c in cs], dtype=float),
            np.array([c.level for c in cs], dtype=np.int64),
            np.array([c.alive for c in cs], dtype=bool),
        )

    def balances(self, t: float) -> np.ndarray:
        return np.array([c.balance_at(t) for c in self.model.active_list()], dtype=float)

    def customer_columns(self) -> dict[str, np.ndarray]:
        return self.model.customer_columns()


class _VectorSteps:
    """The vector engine (one lane) as a live run reads it (customer ids from 0)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        from sim.vector_engine.model import VectorModel

        self.model = VectorModel(scenario, seed=seed)

    @property
    def books(self) -> Any:
        return self.model.lanes[0].books

    @property
    def ledger(self) -> Any:
        cols = self.model.cols  # re-read: the columns grow as customers arrive
        return self.model.ledger.view(0, cols.rep, cols.local)

    def step(self) -> None:
        self.model.step()

    def _arrived(self) -> np.ndarray:
        from sim.vector_engine.columns import Status

        cols = self.model.cols
        return np.flatnonzero(cols.status[: cols.n] != Status.reserved)

    def roster(self) -> Roster:
        from sim.vector_engine.columns import Status

        cols, ids = self.model.cols, self._arrived()
        return Roster(
            ids.astype(np.int64),
            cols.acquired[ids].astype(float),
            cols.level[ids].astype(np.int64),
            cols.status[ids] == Status.active,
        )

    def balances(self, t: float) -> np.ndarray:
        from sim.vector_engine import reactions

        return np.asarray(reactions.balance_at(self.model, self.model.active_ids(), t), float)

    def customer_columns(self) -> dict[str, np.ndarray]:
        # A lone run's stack ids are its customers' own (lane 0 numbers them 0, 1, …).
        return self.model.customer_columns(self._arrived())


def _load(
    scenario: str | Path | Scenario, levers: Mapping[str, Any] | None, customers: int | None
) -> Scenario:
    """The scenario with ``levers`` applied, then resized to ``customers``."""
    if levers is not None and not isinstance(levers, Mapping):
        raise ArgumentError(
            f"levers must be a mapping of dotted paths to values, got {levers!r:.60}"
        )
    source: Any = scenario.model_dump(mode="json") if isinstance(scenario, Scenario) else scenario
    sc = scenario if isinstance(scenario, Scenario) and not levers else None
    if sc is None:
        sc = load_scenario(source, dict(levers) if levers else None)
    if customers is not None:
        if isinstance(customers, bool) or not isinstance(customers, int | np.integer):
            raise ArgumentError(f"customers must be a whole number > 0, got {customers!r:.60}")
        if customers <= 0 or sc.population.initial == 0:
            raise UserError(
                f"customers must be > 0 and the scenario must start with customers to resize "
                f"it (customers={customers}, population.initial={sc.population.initial})"
            )
        try:
            sc = scaled(sc, int(customers))
        except ScenarioError as err:
            raise UserError(
                f"customers={customers:,}: resizing {sc.name!r} that far takes settings past "
                f"their limits: {err}"
            ) from err
    return sc


class LiveRun:
    """One run of a scenario, stepped one reporting period at a time.

    Args:
        scenario: a validated scenario (see :meth:`build` to load, adjust and resize one).
        seed: the run's root seed: the run is ``sim.run(scenario, seed, engine)``.
        engine: ``"vector"`` or ``"agent"``.

    Attributes:
        scenario: the scenario run.
        seed: the root seed.
        engine: the engine name.
        period: periods completed so far.
        n_periods: periods in the whole run.

    Raises:
        UserError: an unknown engine; a scenario the vector engine cannot run.
    """

    def __init__(self, scenario: Scenario, seed: int, engine: str = "vector") -> None:
        if engine not in LIVE_ENGINES:
            raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(LIVE_ENGINES)})")
        if not isinstance(scenario, Scenario):
            raise ArgumentError(
                f"scenario must be a Scenario (LiveRun.build loads names and paths), "
                f"got {scenario!r:.60}"
            )
        self.scenario = scenario
        self.seed = check_seed(seed)
        self.engine = engine
        self.period = 0
        self.n_periods = scenario.n_periods
        self._steps: _AgentSteps | _VectorSteps = (
            _VectorSteps(scenario, self.seed)
            if engine == "vector"
            else _AgentSteps(scenario, self.seed)
        )
        # Each customer's level at the last close (-1: not seen yet), by customer id.
        self._level = np.full(0, -1, dtype=np.int64)
        self._moves: list[pd.DataFrame] = []
        self._cohorts: list[pd.DataFrame] = []
        self._balances = np.empty(0)
        # Tables read between two steps, built once per period (callers get copies).
        self._cache: dict[str, Any] = {}

    @classmethod
    def build(
        cls,
        scenario: str | Path | Scenario,
        levers: Mapping[str, Any] | None = None,
        customers: int | None = None,
        seed: int | None = None,
        engine: str = "vector",
    ) -> LiveRun:
        """Load a scenario, set its levers, resize it and check it fits, then start it.

        Args:
            scenario: a library name, a YAML path or a :class:`Scenario`.
            levers: dotted path → value (``{"strategy.service.staff": 4}``), validated by
                the scenario loader; applied before the resize, so a lever is set at the
                scenario's own scale and scaled with it.
            customers: the initial population (:func:`sim.scenario.scaling.scaled`);
                the scenario's own when None.
            seed: the root seed; the scenario's ``seed`` when None.
            engine: ``"vector"`` or ``"agent"``.

        Raises:
            ArgumentError: arguments of the wrong type (a seed that is not a whole number ≥ 0).
            ScenarioError: a scenario that does not load, or a lever out of its range (the
                message names the field and what is allowed).
            UserError: an unknown engine; a ``customers`` that takes the resized settings
                past their limits, or a world past the size ceilings (both refused before
                anything is allocated); a scenario the vector engine cannot run.
        """
        if engine not in LIVE_ENGINES:
            raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(LIVE_ENGINES)})")
        sc = _load(scenario, levers, customers)
        check_size(sc, engine)
        # The vector engine refuses what it cannot run itself, before it allocates anything.
        return cls(sc, sc.seed if seed is None else check_seed(seed), engine)

    @property
    def done(self) -> bool:
        """Whether every period has run."""
        return self.period >= self.n_periods

    def step(self) -> bool:
        """Run one more period; False (and nothing happens) when the run is done."""
        if self.done:
            return False
        self._steps.step()
        self.period += 1
        self._cache.clear()
        self._record(self.period - 1)
        return True

    def retune(self, levers: Mapping[str, object]) -> None:
        """Change round levers (:mod:`sim.scenario.retune`) from the next period on.

        Values are at the run's own scale (after :meth:`build`'s resize); :attr:`scenario`
        becomes the retuned one. Only ever between two steps: a period is never half run.

        Raises:
            RetuneError: a path that is no round lever or a value the schema refuses.
            UserError: a run with no period left.
        """
        self._steps.model.retune(levers)
        self.scenario = self._steps.model.scenario
        self._cache.clear()

    def _record(self, k: int) -> None:
        """What the engines do not keep, at the close of period ``k``."""
        sc = self.scenario
        end = min((k + 1) * sc.period, sc.horizon)
        roster = self._steps.roster()
        ids = roster.customer_id
        top = int(ids.max()) + 1 if ids.size else 0
        if top > self._level.size:
            grown = np.full(max(top, 2 * self._level.size), -1, dtype=np.int64)
            grown[: self._level.size] = self._level
            self._level = grown
        before = self._level[ids]
        moved = before != roster.level
        if moved.any():
            self._moves.append(
                pd.DataFrame(
                    {
                        "customer_id": ids[moved],
                        "period": k,
                        "day": end,
                        "from": before[moved],
                        "to": roster.level[moved],
                    }
                )
            )
        self._level[ids] = roster.level
        cohort = np.minimum(roster.acquired // sc.period, self.n_periods - 1).astype(np.int64)
        size = np.bincount(cohort, minlength=k + 1)
        kept = np.bincount(cohort, weights=roster.active, minlength=k + 1)
        has = np.flatnonzero(size)
        self._cohorts.append(
            pd.DataFrame(
                {
                    "cohort": has,
                    "age": k - has,
                    "period": k,
                    "customers": size[has],
                    "active": kept[has].astype(np.int64),
                    "share_active": kept[has] / size[has],
                }
            )
        )
        self._balances = self._steps.balances(end)

    def _once(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """Table ``name`` as of this period, built on its first read (a copy each time)."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name].copy()

    def periods(self) -> pd.DataFrame:
        """The periods table so far: the first :attr:`period` rows of the finished run's.

        Columns and types as documented in ``docs/results.md`` (``periods``).
        """
        return self._once(
            "periods",
            lambda: conform(
                pd.DataFrame(self._steps.books.rows, columns=columns("periods")), "periods"
            ),
        )

    def customers(self) -> pd.DataFrame:
        """The customers table of everyone arrived so far (``docs/results.md``).

        Columns that look to the end of the run (``T``, and ``tenure`` and ``balance`` of
        the customers still active) are computed at the horizon, as in the finished run.
        """
        return self._once(
            "customers", lambda: customers_frame(self._steps.customer_columns(), self.scenario)
        )

    def ledger_entries(self) -> dict[str, np.ndarray]:
        """The emotional-account ledger so far, as the engines' columns (full ledger only)."""
        return dict(self._steps.ledger.entries())

    def ledger_totals(self) -> dict[str, np.ndarray]:
        """Per-period totals by reason so far: ``period, reason, count, amount`` columns."""
        return dict(self._steps.ledger.aggregate())

    def ladder_moves(self) -> pd.DataFrame:
        """Every level change seen at a period close.

        Columns: ``customer_id``; ``period`` and ``day`` of the close (its end);
        ``from_level`` (None on a customer's first close: the level they are first seen at)
        and ``to_level``, names of ``agents.traits.Level``.
        """
        from sim.dashboard.views import LEVEL_NAMES

        moves = self._moves
        if not moves:
            frame = pd.DataFrame({"customer_id": [], "period": [], "day": [], "from": [], "to": []})
        else:
            frame = pd.concat(moves, ignore_index=True)
        names = np.array([None, *LEVEL_NAMES], dtype=object)
        return pd.DataFrame(
            {
                "customer_id": frame["customer_id"].to_numpy(np.int64),
                "period": frame["period"].to_numpy(np.int64),
                "day": frame["day"].to_numpy(float),
                "from_level": pd.Series(names[frame["from"].to_numpy(np.int64) + 1], dtype=object),
                "to_level": pd.Series(names[frame["to"].to_numpy(np.int64) + 1], dtype=object),
            }
        )

    def views(self) -> Views:
        """Every live view of the run so far (:class:`sim.dashboard.views.Views`)."""
        from sim.dashboard.views import build_views

        cohorts = pd.concat(self._cohorts, ignore_index=True) if self._cohorts else pd.DataFrame()
        return build_views(self.periods(), cohorts, self._balances, self.ledger_totals())

    def story(self, customer_id: int) -> Story:
        """One customer's story so far (:class:`sim.dashboard.story.Story`).

        Raises:
            UserError: an id no customer has (the message gives the valid range).
        """
        from sim.dashboard.story import tell

        return tell(self, customer_id)

    def lost_key_accounts(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` most valuable customers lost so far (see :func:`sim.dashboard.story.lost`)."""
        from sim.dashboard.story import lost

        return lost(self, n)
