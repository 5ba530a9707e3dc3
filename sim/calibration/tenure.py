"""Tenure tables: retention data of a subscription business, read and checked.

Two layouts are read, both of which a finance team keeps in a spreadsheet:

* a **cohort retention table**, one row per cohort (the customers who joined in one month)
  and one column per renewal since joining: ``cohort, size, 1, 2, 3, …``. A cell is the
  share of the cohort still subscribed after that many renewals (0–1), or, when any cell is
  above 1, the number of customers. A young cohort's row ends early: its later cells are
  blank. A cohort only shrinks, so a share that rises along a row is refused.
* a **churn-by-tenure table**, one row per renewal: ``tenure, at_risk, lost`` — how many
  customers were due at their ``tenure``-th renewal and how many cancelled there. The
  customers due at a renewal are at most those who survived the one before.

Both become a :class:`TenureTable`, the pooled churn by renewal that the shifted-beta-
geometric likelihood reads (:mod:`sim.calibration.sbg`) and the survival curve the
behavioural fit compares a simulation with (:mod:`sim.calibration.moments`). A renewal is
one ``contract.every`` of the base scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.estimation import FloatArray
from sim.calibration.problems import DataError, cell
from sim.calibration.transactions import missing_columns, read_table
from sim.errors import Problem

__all__ = ["TenureTable", "read_churn_table", "read_retention_table", "tenure_from_lifetimes"]


@dataclass(frozen=True)
class TenureTable:
    """Pooled churn by renewal ``t = 1..k``.

    Attributes:
        file: where it came from (a description for a simulated world).
        at_risk: customers due at renewal ``t``.
        lost: customers who cancelled at renewal ``t``.
    """

    file: Path
    at_risk: FloatArray
    lost: FloatArray

    @property
    def renewals(self) -> int:
        """Renewals observed, ``k``."""
        return int(self.at_risk.size)

    @property
    def customers(self) -> int:
        """Customers at the first renewal (the pooled cohorts' size)."""
        return int(self.at_risk[0])

    def survival(self) -> FloatArray:
        """Kaplan–Meier survival after renewals ``1..k``: ``Π (1 − lost/at_risk)``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            stay = np.where(self.at_risk > 0, 1.0 - self.lost / self.at_risk, 1.0)
        return np.asarray(np.cumprod(stay), dtype=float)

    def survival_cov(self) -> FloatArray:
        """Greenwood's covariance of :meth:`survival`: ``S_s S_t Σ_{u ≤ min(s,t)} d/(n(n−d))``."""
        n, d = self.at_risk, self.lost
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.where((n > d) & (n > 0), d / (n * (n - d)), 0.0)
        acc = np.cumsum(term)
        s = self.survival()
        return np.outer(s, s) * acc[np.minimum.outer(np.arange(s.size), np.arange(s.size))]


def _numbers(frame: pd.DataFrame, columns: list[str], problems: list[Problem]) -> pd.DataFrame:
    """The cells of ``columns`` as floats (blank → NaN), one problem per cell that is no number."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        raw = frame[col].astype(str).str.strip()
        values = pd.Series(pd.to_numeric(raw.where(raw != ""), errors="coerce"), dtype=float)
        for i in np.flatnonzero((values.isna() & (raw != "")).to_numpy()):
            problems.append(cell(col, int(i) + 2, raw.iat[int(i)], "not a number"))
        for i in np.flatnonzero((values < 0).to_numpy()):
            problems.append(cell(col, int(i) + 2, raw.iat[int(i)], "negative", "≥ 0"))
        out[col] = values
    return out


def read_retention_table(file: Path | str) -> TenureTable:
    """Read a cohort retention table (see the module) as pooled churn by renewal.

    Raises:
        DataError: every problem found: a missing ``cohort`` or ``size`` column, renewal
            columns that are not 1, 2, 3 … in order, cells that are not numbers, shares above
            the cohort, a row that rises or has a gap before its last value.
    """
    path = Path(file)
    frame = read_table(path)
    problems = missing_columns(
        frame, {"cohort": "cohort", "size": "size"}, {"cohort": "--kind", "size": "--kind"}
    )
    periods = [c for c in frame.columns if c not in ("cohort", "size")]
    for k, col in enumerate(periods, 1):
        if col != str(k):
            problems.append(
                cell(
                    col,
                    1,
                    None,
                    f"renewal columns must be 1, 2, 3 … in order; column {k} of them is {col!r}",
                )
            )
            break
    if not periods:
        problems.append(cell("", 1, None, "no renewal columns 1, 2, 3 … after cohort and size"))
    if problems:
        raise DataError(problems, path)
    values = _numbers(frame, ["size", *periods], problems)
    sizes = values["size"].to_numpy()
    grid = values[periods].to_numpy()
    shares = bool(np.nanmax(grid, initial=0.0) <= 1.0)
    at_risk = np.zeros(len(periods))
    lost = np.zeros(len(periods))
    for i in range(len(frame)):
        line, size = i + 2, sizes[i]
        if not (math.isfinite(size) and size >= 1 and size == round(size)):
            problems.append(
                cell("size", line, frame["size"].iat[int(i)], "not a whole number of customers ≥ 1")
            )
            continue
        row = grid[i]
        seen = np.flatnonzero(~np.isnan(row))
        if seen.size and seen[-1] + 1 != seen.size:
            gap = periods[int(np.flatnonzero(np.isnan(row))[0])]
            problems.append(
                cell(
                    gap,
                    line,
                    "",
                    "a blank cell before the row's last value",
                    "blanks only at the end of a row (a young cohort)",
                )
            )
            continue
        active = np.round(row[: seen.size] * size) if shares else row[: seen.size]
        previous = size
        for t, now in enumerate(active):
            if now > previous:
                was = previous / size if shares else previous
                shown = row[t]
                problems.append(
                    cell(
                        periods[t],
                        line,
                        shown,
                        f"the cohort grows: {was:g} after renewal {t} but {shown:g} after "
                        f"renewal {t + 1}",
                        "a cohort only shrinks; returning customers are not its members again",
                    )
                )
                break
            at_risk[t] += previous
            lost[t] += previous - now
            previous = now
    if problems:
        raise DataError(problems, path)
    return _trimmed(path, at_risk, lost)


def read_churn_table(file: Path | str) -> TenureTable:
    """Read a churn-by-tenure table (``tenure, at_risk, lost``; see the module).

    Raises:
        DataError: missing columns, tenures that are not 1, 2, 3 … in order, cells that are
            not whole numbers, more lost than at risk, or more at risk than survived before.
    """
    path = Path(file)
    frame = read_table(path)
    wanted = {"tenure": "tenure", "at_risk": "at_risk", "lost": "lost"}
    problems = missing_columns(frame, wanted, dict.fromkeys(wanted, "--kind"))
    if problems:
        raise DataError(problems, path)
    values = _numbers(frame, list(wanted), problems)
    if problems:
        raise DataError(problems, path)
    survived = math.inf
    for i, (tenure, n, d) in enumerate(values[list(wanted)].to_numpy()):
        line = i + 2
        for col, v in (("tenure", tenure), ("at_risk", n), ("lost", d)):
            if not (math.isfinite(v) and v == round(v)):
                problems.append(cell(col, line, frame[col].iat[int(i)], "not a whole number"))
        if tenure != i + 1:
            problems.append(
                cell(
                    "tenure",
                    line,
                    frame["tenure"].iat[int(i)],
                    f"tenures must be 1, 2, 3 … in order; expected {i + 1}",
                )
            )
        if d > n:
            problems.append(
                cell(
                    "lost",
                    line,
                    frame["lost"].iat[int(i)],
                    f"more customers lost than at risk ({n:g})",
                )
            )
        if n > survived:
            problems.append(
                cell(
                    "at_risk",
                    line,
                    frame["at_risk"].iat[int(i)],
                    "retention rises: more customers at risk than survived the renewal before "
                    f"({survived:g})",
                    "at most at_risk − lost of the line above",
                )
            )
        survived = n - d
    if problems:
        raise DataError(problems, path)
    return _trimmed(path, values["at_risk"].to_numpy(float), values["lost"].to_numpy(float))


def _trimmed(path: Path, at_risk: FloatArray, lost: FloatArray) -> TenureTable:
    """The table without trailing renewals nobody reached."""
    reached = np.flatnonzero(at_risk > 0)
    if reached.size == 0:
        raise DataError([cell("", None, None, "no customer is due at any renewal")], path)
    k = int(reached[-1]) + 1
    return TenureTable(path, at_risk[:k].astype(float), lost[:k].astype(float))


def tenure_from_lifetimes(
    renewals_survived: FloatArray, churned: np.ndarray, watched: FloatArray, source: str
) -> TenureTable:
    """Pooled churn by renewal from customers' lives (a simulated world's customers table).

    Args:
        renewals_survived: per customer, the renewals it passed (a churner cancelled at the
            next one).
        churned: per customer, whether it cancelled.
        watched: per customer, the renewals that fell inside the observation window.
        source: a description standing in for the file.
    """
    k = int(np.max(watched, initial=0))
    at_risk = np.zeros(k)
    lost = np.zeros(k)
    for t in range(1, k + 1):
        due = (renewals_survived >= t - 1) & (watched >= t)
        at_risk[t - 1] = np.count_nonzero(due)
        lost[t - 1] = np.count_nonzero(due & churned & (renewals_survived == t - 1))
    return _trimmed(Path(source), at_risk, lost)
