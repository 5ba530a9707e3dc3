"""Views: what the calibration report shows, computed from the data and a simulated world.

The report compares the customers in the data with the customers of the calibrated world.
This module simulates that world (through the runner the caller hands in) on the data's own
terms — as many customers, the same calendar of first purchases, the same renewals — and
gathers the tables of :mod:`sim.calibration.tracking` into a :class:`CalibrationPage`, which
:mod:`sim.calibration.page` draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.fitting import Calibration, Estimate
from sim.calibration.moments import Simulate, simulated_tenure
from sim.calibration.tenure import TenureTable
from sim.calibration.tracking import (
    Holdout,
    repeats_table,
    seen_buying,
    simulated_log,
    tracking_table,
)
from sim.calibration.transactions import TransactionLog, summarise
from sim.scenario.spec import Scenario, with_overrides

__all__ = ["CalibrationPage", "log_view", "table_view"]


@dataclass(frozen=True)
class CalibrationPage:
    """What the page shows (each table as :mod:`sim.calibration.tracking` documents it).

    Attributes:
        title: the page's title (the calibrated scenario's name).
        data: the data, in words.
        estimates: the fitted values.
        tracking: the tracking table, or None for retention data.
        holdout: the holdout forecast and error, or None without a holdout.
        repeats: the repeat-purchase table, or None.
        retention: ``period``, ``observed``, ``simulated`` (shares), or None.
        notes: sentences shown under the estimates (what the fit assumed).
        simulated_repeats: the simulated customers' repeat purchases in the calibration
            window (for a goodness-of-fit test), or None.
    """

    title: str
    data: str
    estimates: Sequence[Estimate]
    tracking: pd.DataFrame | None = None
    holdout: Holdout | None = None
    repeats: pd.DataFrame | None = None
    retention: pd.DataFrame | None = None
    notes: Sequence[str] = ()
    simulated_repeats: pd.Series | None = None


def log_view(
    log: TransactionLog,
    summary: pd.DataFrame,
    cut: pd.Timestamp,
    cal: Calibration,
    written: Scenario,
    simulate: Simulate,
    *,
    title: str,
    seed: int,
    customers: int | None = None,
) -> CalibrationPage:
    """The page of a log: tracking chart, repeat purchases, customers still buying.

    The written world is simulated with as many customers as the data (or ``customers``),
    its event log kept, and simulated customer ``i`` dated from real customer ``i``'s first
    purchase (:func:`~sim.calibration.tracking.simulated_log`); ``simulate`` must keep the
    event log (the agent engine does).
    """
    span = float((log.last - summary["first"].min()) / pd.Timedelta(days=1)) + 1.0
    frame = {
        "population.initial": customers or len(summary),
        "horizon": span,
        "output.events": True,
        "output.ledger": "aggregate",
    }
    fake = simulated_log(simulate(with_overrides(written, frame), seed), summary, log.last)
    sim_summary = summarise(TransactionLog(Path("simulated"), fake, False), cut)
    model = str(cal.layers["dropout"]["model"])
    table, holdout = tracking_table(log, summary, cal.fits[model], model, cut, fake)
    months = max(1, int(summary["T"].max() / (365.25 / 12)))
    retention = pd.DataFrame(
        {
            "observed": seen_buying(log.frame, summary, months),
            "simulated": seen_buying(fake, sim_summary, months),
        }
    ).reset_index()
    retention.attrs["unit"] = "months since the first purchase"
    notes = [f"Calibration window {log.start:%Y-%m-%d} to {cut:%Y-%m-%d}."]
    if log.last > cut:
        notes.append(f"Holdout {cut:%Y-%m-%d} to {log.last:%Y-%m-%d}: never seen by the fit.")
    if written.behaviour.enabled:
        notes.append(
            "The base's behaviour is enabled: its behavioural churn comes on top of the fitted "
            "dropout, so the simulated world may lose customers faster than the data."
        )
    return CalibrationPage(
        title,
        f"{len(summary):,} customers in {log.file}",
        cal.estimates,
        table,
        holdout if log.last > cut else None,
        repeats_table(summary["frequency"], sim_summary["frequency"]),
        retention,
        notes,
        sim_summary["frequency"],
    )


def table_view(
    table: TenureTable,
    cal: Calibration,
    written: Scenario,
    simulate: Simulate,
    *,
    title: str,
    seed: int,
    customers: int | None = None,
    simulated: np.ndarray | None = None,
) -> CalibrationPage:
    """The page of retention data: observed survival by renewal against the written world's.

    ``simulated`` is the survival a behavioural fit already simulated; without it the written
    world is run with the data's customers for the data's renewals.
    """
    k, every = table.renewals, written.contract.every
    if simulated is None:
        frame = {
            "population.initial": customers or table.customers,
            "horizon": (k + 0.5) * every,
            "output.ledger": "aggregate",
        }
        run = simulate(with_overrides(written, frame), seed)
        simulated = simulated_tenure(run, every, k).survival()
    curve = np.full(k, np.nan)
    curve[: min(k, len(simulated))] = simulated[:k]
    retention = pd.DataFrame(
        {"period": np.arange(1, k + 1), "observed": table.survival(), "simulated": curve}
    )
    retention.attrs["unit"] = "renewals"
    data = f"{table.customers:,} customers' renewals in {table.file}"
    return CalibrationPage(title, data, cal.estimates, retention=retention)
