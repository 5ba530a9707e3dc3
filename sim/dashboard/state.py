"""State: what one browser tab has chosen, the run it is watching, and the numbers it shows.

The page is a thin skin over three plain objects, so that the rules are tested without a
browser: :class:`Settings` (lesson, arm, levers, seed, engine, size: what a reset builds),
:class:`Session` (the live run and a lock, because the play loop steps it on a thread while
the page reads it) and the key-number formatters (:func:`kpi_strip` and friends), which
write every number the page shows in one fixed format, the same in both languages, so a
browser test reads it back and compares it with ``sim.run`` on the same seed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pandas as pd

from sim.errors import UserError
from sim.i18n.catalogue import Catalogue, catalogue, check_lang

if TYPE_CHECKING:
    from sim.dashboard.live import LiveRun

__all__ = [
    "KPI_STRIP",
    "Session",
    "Settings",
    "cap",
    "failure",
    "fmt_count",
    "fmt_hours",
    "fmt_money",
    "fmt_number",
    "fmt_share",
    "kpi_strip",
    "say",
    "testid",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The library lesson the page opens when the address names none.
DEFAULT_SCENARIO = "baseline"

#: Customers at launch when the page opens: small enough to step a period in a blink.
DEFAULT_CUSTOMERS = 500


def say(lang: str) -> Catalogue:
    """The message catalogue in ``lang``."""
    return catalogue(lang)


def cap(text: str) -> str:
    """A shared word (``word.seed``: "seed") as a label: its first letter upper case."""
    return text[:1].upper() + text[1:]


def testid(*parts: str) -> str:
    """A stable ``data-testid``: ``testid("lever", "strategy.service.staff")``."""
    return "-".join(p.replace(".", "-").replace("_", "-") for p in parts)


# --------------------------------------------------------------------------- formats
def fmt_count(x: float) -> str:
    """A head count: ``1,234``."""
    return f"{round(float(x)):,d}"


def fmt_money(x: float) -> str:
    """Money in whole currency units: ``-12,345``."""
    return f"{float(x):,.0f}"


def fmt_number(x: float, digits: int = 3) -> str:
    """A measured quantity: ``0.123`` (``nan`` shown as ``–``)."""
    return "–" if pd.isna(x) else f"{float(x):,.{digits}f}"


def fmt_hours(days: float) -> str:
    """A wait stored in days (the clock's unit) in hours, as every report reads it: ``1.4``."""
    return "–" if pd.isna(days) else f"{float(days) * 24.0:,.1f}"


def fmt_share(x: float) -> str:
    """A fraction as a percentage with one decimal: ``65.3%``."""
    return "–" if pd.isna(x) else f"{float(x):.1%}"


#: The KPI strip: its key (``data-testid="kpi-<key>"``), its label key, the ``periods``
#: column it reads and its format. ``cum_profit`` is the running sum of ``profit``.
KPI_STRIP: tuple[tuple[str, str, str, Callable[[float], str]], ...] = (
    ("period", "dash.kpi.period", "period", fmt_count),
    ("active", "word.active_customers", "active", fmt_count),
    ("churned-total", "dash.kpi.churned_total", "churned_total", fmt_count),
    ("profit", "dash.kpi.profit", "profit", fmt_money),
    ("cum-profit", "dash.kpi.cum_profit", "cum_profit", fmt_money),
    ("cum-discounted-profit", "dash.kpi.cum_discounted_profit", "cum_discounted_profit", fmt_money),
    ("balance-mean", "dash.kpi.balance_mean", "balance_mean", fmt_number),
    ("wait-mean", "dash.kpi.wait_mean", "wait_mean", fmt_hours),
    ("utilisation", "dash.kpi.utilisation", "utilisation", fmt_share),
)


def kpi_strip(periods: pd.DataFrame) -> dict[str, str]:
    """The KPI strip after the last row of ``periods`` (a run's ``periods`` table so far).

    ``period`` is the number of periods completed (0 before the first step, when every other
    number is ``–``). The same function formats the page and the test's ``sim.run``.
    """
    if periods.empty:
        return {key: ("0" if key == "period" else "–") for key, *_ in KPI_STRIP}
    last = periods.iloc[-1]
    values = {col: last[col] for _, _, col, _ in KPI_STRIP if col in periods.columns}
    values["period"] = len(periods)
    values["cum_profit"] = float(periods["profit"].sum())
    return {key: fmt(values[col]) for key, _, col, fmt in KPI_STRIP}


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """What a reset builds: one lesson, one arm, the levers moved, seed, engine and size.

    Attributes:
        scenario: library name or path of the lesson.
        arm: the arm of its ``arms:`` block (None: the scenario as written).
        levers: dotted path → value, only the levers moved from the scenario's values.
        seed: the root seed (None: the scenario's own).
        engine: ``vector`` or ``agent``.
        customers: initial customers the lesson is resized to (None: its own size).
    """

    scenario: str = DEFAULT_SCENARIO
    arm: str | None = None
    levers: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    engine: str = "vector"
    customers: int | None = DEFAULT_CUSTOMERS

    def overrides(self, arms: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """The arm's overrides (from the lesson's ``arms``), then the levers moved on top."""
        own = dict(arms.get(self.arm, {})) if self.arm is not None else {}
        return {**own, **self.levers}

    def build(self, arms: Mapping[str, Mapping[str, Any]] | None = None) -> LiveRun:
        """A new live run of these settings (see :meth:`sim.dashboard.live.LiveRun.build`).

        ``arms`` is the lesson's ``arms:`` block, read from the lesson when not given.

        Raises:
            UserError: whatever the loader, the size check or the engine refuses.
        """
        from sim.dashboard.live import LiveRun
        from sim.scenario.spec import load_scenario

        if arms is None:
            arms = load_scenario(self.scenario).arms if self.arm is not None else {}
        return LiveRun.build(
            self.scenario,
            levers=self.overrides(arms) or None,
            customers=self.customers,
            seed=self.seed,
            engine=self.engine,
        )


def failure(exc: BaseException, lang: str) -> str:
    """The message a page shows for ``exc``: a user's mistake in its own words, else a line.

    A :class:`UserError` is the user's to fix and says how; anything else is a bug in the
    sandbox, logged with its traceback for the trainer's terminal while the page gets one
    sentence and keeps working.
    """
    if isinstance(exc, UserError):
        return str(exc)
    log.exception("dashboard request failed", exc_info=exc)
    return say(lang)("dash.error.internal", error=type(exc).__name__)


def attempt(action: Callable[[], T], lang: str) -> tuple[T | None, str]:
    """``(action(), "")``, or ``(None, message)`` when it raised (see :func:`failure`)."""
    try:
        return action(), ""
    except Exception as exc:
        return None, failure(exc, lang)


def page_lang(raw: object) -> str:
    """The page's language from the address: a catalogue language, else English."""
    try:
        return check_lang(raw)
    except UserError:
        return "en"


# --------------------------------------------------------------------------- session
class Steppable(Protocol):
    """What a session steps: a :class:`~sim.dashboard.live.LiveRun` or a ``LivePair``."""

    @property
    def done(self) -> bool: ...

    def step(self) -> bool: ...


R = TypeVar("R", bound=Steppable)


class Session(Generic[R]):
    """The run (or pair) a tab watches, stepped under a lock.

    The play thread steps it while the page reads it, and a chart must never see a period
    half closed. ``steps`` counts the periods stepped: the page redraws when it changes,
    and says so with :meth:`drawn`, so that playing never runs ahead of what the class sees
    (a slow projector laptop would otherwise queue up redraws and answer Pause late).
    """

    def __init__(self, run: R) -> None:
        self.run = run
        self.lock = threading.Lock()
        self.steps = 0
        self._drawn = threading.Event()
        self._drawn.set()

    def drawn(self, steps: int) -> None:
        """The page has drawn the run after ``steps`` steps."""
        if steps >= self.steps:
            self._drawn.set()

    def wait_drawn(self, cancel: threading.Event, timeout: float = 10.0) -> None:
        """Wait until the page has drawn the latest step (or ``cancel``, or ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while not self._drawn.wait(0.05) and not cancel.is_set():
            if time.monotonic() > deadline:
                return

    def step(self) -> bool:
        """One period more; False when the run is done."""
        with self.lock:
            moved = self.run.step()
            if moved:
                self.steps += 1
                self._drawn.clear()
            return moved

    def read(self, what: Callable[[R], T]) -> T:
        """``what(run)`` under the lock."""
        with self.lock:
            return what(self.run)

    @property
    def done(self) -> bool:
        """Whether there is nothing more to step."""
        return self.run.done
