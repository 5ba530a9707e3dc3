"""Transaction logs: a shop's receipts, read, checked and summarised for the purchase models.

The layout is the one ``lifetimes`` and ``pymc-marketing`` read: one row per purchase with
the customer's id, the date (or date and time) and the amount paid. Columns named
otherwise are mapped by the caller (``crmsim calibrate --customer-id CustID --date
OrderDate --amount Sales``). Receipts of one customer at the same instant (the same date,
in a log of dates) are one purchase, their amounts added up, as ``lifetimes`` counts them.

:func:`read_log` checks every row and raises one :class:`~sim.calibration.problems.DataError`
listing them all; :func:`summarise` turns a checked log into the BTYD summary of each
customer up to a cut-off date.

The summary table (one row per customer whose first purchase is on or before ``end``):

============== ===================================================================
column         meaning
============== ===================================================================
customer_id    the customer's id as written in the log (text)
first          date and time of the first purchase
frequency      repeat purchases (distinct instants after the first) up to ``end``
recency        days from the first purchase to the last repeat purchase (0 if none)
T              days from the first purchase to ``end``
monetary_value mean amount of the repeat purchases up to ``end`` (0 if none)
============== ===================================================================
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.problems import DataError, cell
from sim.errors import Problem

__all__ = ["LOG_COLUMNS", "MIN_CUSTOMERS", "TransactionLog", "read_log", "read_table", "summarise"]

#: The log's columns as the sandbox names them, and what each holds.
LOG_COLUMNS = {
    "customer_id": "the customer's id",
    "date": "the purchase's date, or date and time",
    "amount": "money paid, ≥ 0 (optional: without it spend is not fitted)",
}

#: Fewest customers a log may hold: a population is not fitted to one person.
MIN_CUSTOMERS = 2

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class TransactionLog:
    """A checked log: one row per purchase instant, sorted by customer and time.

    Attributes:
        file: where it was read from.
        frame: columns ``customer_id`` (str), ``date`` (datetime64), ``amount`` (float,
            NaN throughout when the file has no amount column).
        has_amounts: whether the file gave amounts.
    """

    file: Path
    frame: pd.DataFrame
    has_amounts: bool

    @property
    def start(self) -> pd.Timestamp:
        """The first purchase in the log."""
        return pd.Timestamp(self.frame["date"].min())

    @property
    def last(self) -> pd.Timestamp:
        """The last purchase in the log."""
        return pd.Timestamp(self.frame["date"].max())


def read_table(file: Path) -> pd.DataFrame:
    """A CSV or Parquet file as text cells, or a :class:`DataError` saying why it cannot be read.

    CSV cells are read as text so that every check below sees what was written.
    """
    problem: Problem | None = None
    if not file.is_file():
        raise DataError([cell("", None, None, "no such file")], file)
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(file).astype(object)
        else:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        problem = cell("", None, None, "the file is empty", "a header line, then one row a line")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem = cell("", None, None, f"cannot be read as a table: {reason}")
    if problem is not None:
        raise DataError([problem], file)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError([cell("", None, None, "the file has a header but no rows")], file)
    return frame


def missing_columns(
    frame: pd.DataFrame, wanted: dict[str, str], flags: dict[str, str]
) -> list[Problem]:
    """One problem per wanted column the file lacks, with the nearest name it has."""
    problems = []
    for role, name in wanted.items():
        if name in frame.columns:
            continue
        near = difflib.get_close_matches(name, list(frame.columns), n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}? (rename with {flags[role]} {near[0]})" if near else ""
        have = ", ".join(repr(c) for c in frame.columns)
        problems.append(
            cell(
                name,
                1,
                None,
                f"no column {name!r} ({LOG_COLUMNS.get(role, role)}){hint}",
                f"the header has {have}",
            )
        )
    return problems


def _dates(values: pd.Series, date_format: str | None) -> pd.Series:
    """Dates parsed as written: ``YYYYMMDD`` (the CDNOW files), ISO 8601, else per cell."""
    text = values.astype(str).str.strip()
    if date_format is None and text.str.fullmatch(r"\d{8}").all():
        date_format = "%Y%m%d"
    if date_format is not None:
        return pd.to_datetime(text, format=date_format, errors="coerce")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if parsed.isna().any():
        parsed = pd.to_datetime(text, format="mixed", errors="coerce", dayfirst=False)
    return parsed


def read_log(
    file: Path | str,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    date_format: str | None = None,
    today: dt.date | None = None,
    keep_duplicates: bool = False,
) -> TransactionLog:
    """Read and check a transaction log (CSV, or Parquet by its ``.parquet`` suffix).

    Args:
        file: the log.
        customer_id: the column holding customer ids.
        date: the column holding purchase dates.
        amount: the column holding amounts; None, or a name the file lacks when it is the
            default ``"amount"``, reads a log without amounts.
        date_format: a ``strftime`` format for the dates (default: recognised).
        today: the date after which a purchase is "in the future" (default: today).
        keep_duplicates: accept rows repeated exactly (every column the same) as purchases of
            the same instant, merged like any other; by default they are refused as a
            likely double export. The CDNOW logs hold a few such rows.

    Returns:
        The checked log, same-instant purchases of one customer merged.

    Raises:
        DataError: every problem found: an unreadable or empty file, missing or misnamed
            columns, empty ids, unparseable dates, dates in the future, non-numeric or
            negative amounts, duplicate rows, fewer than two customers.
    """
    path = Path(file)
    frame = read_table(path)
    wanted = {"customer_id": customer_id, "date": date}
    if amount is not None and (amount != "amount" or "amount" in frame.columns):
        wanted["amount"] = amount
    flags = {"customer_id": "--customer-id", "date": "--date", "amount": "--amount"}
    problems = missing_columns(frame, wanted, flags)
    if problems:
        raise DataError(problems, path)
    line = np.arange(len(frame)) + 2  # the header is line 1
    ids = frame[customer_id].astype(str).str.strip()
    for i in np.flatnonzero((ids == "").to_numpy()):
        problems.append(cell(customer_id, int(line[i]), "", "empty customer id"))
    when = _dates(frame[date], date_format)
    future = pd.Timestamp(today or dt.date.today()) + _DAY
    for i in np.flatnonzero(when.isna().to_numpy()):
        problems.append(
            cell(
                date,
                int(line[i]),
                frame[date].iat[int(i)],
                "not a date",
                "e.g. 2024-03-31, 20240331 or --date-format",
            )
        )
    for i in np.flatnonzero((when >= future).to_numpy()):
        problems.append(
            cell(
                date,
                int(line[i]),
                str(frame[date].iat[int(i)]),
                f"a date in the future (after {future.date() - dt.timedelta(days=1)})",
            )
        )
    has_amounts = "amount" in wanted
    paid = pd.Series(np.nan, index=frame.index)
    if has_amounts:
        raw = frame[amount].astype(str).str.strip()
        paid = pd.to_numeric(raw, errors="coerce")
        for i in np.flatnonzero(paid.isna().to_numpy()):
            problems.append(
                cell(
                    str(amount),
                    int(line[i]),
                    raw.iat[int(i)],
                    "not a number",
                    "money paid, e.g. 12.50",
                )
            )
        for i in np.flatnonzero((paid < 0).to_numpy()):
            problems.append(
                cell(
                    str(amount),
                    int(line[i]),
                    raw.iat[int(i)],
                    "a negative amount (a refund?)",
                    "≥ 0; net refunds against their purchase or drop them",
                )
            )
    if not keep_duplicates:
        problems += _duplicates(frame, line, customer_id)
    if not problems and ids.nunique() < MIN_CUSTOMERS:
        problems.append(
            cell(
                customer_id,
                None,
                None,
                f"the log has one customer ({ids.iat[0]!r}); a population fit needs many customers",
            )
        )
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise DataError(problems, path)
    merged = (
        pd.DataFrame({"customer_id": ids, "date": when, "amount": paid})
        .groupby(["customer_id", "date"], as_index=False, sort=True)["amount"]
        .sum(min_count=1)
    )
    return TransactionLog(path, pd.DataFrame(merged), has_amounts)


def _duplicates(frame: pd.DataFrame, line: np.ndarray, customer_id: str) -> list[Problem]:
    """One problem per row that repeats an earlier row in every column."""
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return []
    first_line: dict[tuple[object, ...], int] = {}
    problems = []
    for i, row in enumerate(frame.itertuples(index=False, name=None)):
        if not dup[i]:
            first_line.setdefault(row, int(line[i]))
            continue
        again = first_line[row]
        message = f"duplicate row: every column as on line {again}"
        allowed = "each purchase once, or --keep-duplicates to count repeats as one purchase"
        who = str(frame[customer_id].iat[int(i)])
        problems.append(cell(customer_id, int(line[i]), who, message, allowed))
    return problems


def _days(span: pd.Series) -> pd.Series:
    """Time spans as float days."""
    return pd.Series(span.dt.total_seconds() / 86400.0, index=span.index, dtype=float)


def summarise(log: TransactionLog, end: pd.Timestamp) -> pd.DataFrame:
    """The BTYD summary of every customer first seen on or before ``end`` (see the module).

    Raises:
        DataError: nobody bought on or before ``end``.
    """
    frame = log.frame[log.frame["date"] <= end]
    if frame.empty:
        raise DataError(
            [cell("", None, None, f"no purchase on or before the cut-off {end.date()}")], log.file
        )
    first = frame.groupby("customer_id", sort=True)["date"].transform("min")
    repeat = frame[frame["date"] > first]
    by = repeat.groupby("customer_id", sort=True)
    out = pd.DataFrame({"first": frame.groupby("customer_id", sort=True)["date"].min()})
    out["frequency"] = by.size().reindex(out.index, fill_value=0).astype(np.int64)
    last = by["date"].max().reindex(out.index)
    out["recency"] = _days(last - out["first"]).fillna(0.0)
    out["T"] = _days(end - out["first"])
    out["monetary_value"] = by["amount"].mean().reindex(out.index).fillna(0.0).astype(float)
    out = out[out["T"] > 0]
    return out.reset_index()
