"""``RunResult``: the tidy tables and manifest of one run, and their Parquet form.

Tables follow :mod:`sim.results.schema` column for column; ``save`` writes each table to Parquet and
the manifest to JSON through a :class:`~sim.results.folder.ResultFolder`: the whole folder appears
at once or not at all, and ``load`` checks every file against the sizes and sha256 sums the
manifest lists, so an interrupted save or a mix of two runs is refused, never read.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.results.folder import ResultFolder, read_folder
from sim.results.schema import TABLES, columns

__all__ = ["RunResult", "atomic_write_bytes", "conform"]

_TABLE_NAMES = ("periods", "customers", "ledger", "events", "mix", "warnings", "summary")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600 files; give the result the permissions a plain write would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Order and type ``frame``'s columns exactly as :mod:`sim.results.schema` documents ``table``.

    Strings are plain Python objects whichever reader produced them, so a saved and reloaded
    result compares equal to the original.
    """
    frame = frame[columns(table)]
    types = {c.name: ("object" if c.dtype == "string" else c.dtype) for c in TABLES[table]}
    return frame.astype(types)


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        periods: one row per reporting period.
        customers: one row per customer ever acquired.
        ledger: emotional-account entries (full) or per-period totals by reason.
        events: the full event log (empty unless the scenario asks for it).
        mix: active customers per period by segment and care tier (tidy).
        warnings: early-warning flags with their truth.
        summary: headline KPIs, one row per metric.
        manifest: resolved scenario, hash, seed, engine, versions, wall time.
    """

    periods: pd.DataFrame
    customers: pd.DataFrame
    ledger: pd.DataFrame
    events: pd.DataFrame
    mix: pd.DataFrame
    warnings: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def kpi(self, metric: str) -> float:
        """One headline KPI by name."""
        s = self.summary.set_index("metric")["value"]
        if metric not in s.index:
            raise KeyError(f"unknown KPI {metric!r}; known: {', '.join(s.index)}")
        return float(s[metric])

    @property
    def kpis(self) -> dict[str, float]:
        """All headline KPIs as a dict."""
        return {
            str(m): float(v)
            for m, v in zip(self.summary["metric"], self.summary["value"], strict=True)
        }

    def ledger_of(self, customer_id: int) -> pd.DataFrame:
        """One customer's emotional-account history (needs the full ledger)."""
        if "customer_id" not in self.ledger.columns:
            raise ValueError("this run kept only the aggregated ledger (output.ledger: aggregate)")
        return self.ledger[self.ledger["customer_id"] == customer_id].reset_index(drop=True)

    def save(self, directory: str | Path, *, force: bool = False) -> Path:
        """Write every table as Parquet plus ``manifest.json`` as one new folder.

        Args:
            directory: the folder (created with its parents; an empty one is filled).
            force: replace a result already saved there.

        Returns:
            ``directory`` as a path.

        Raises:
            FolderError: ``directory`` holds a result (without ``force``), is a file, holds
                files that are no result, cannot be written, or another writer holds it.
        """
        with ResultFolder(directory, force=force) as folder:
            self.write_tables(folder.staging)
            return folder.publish(self.manifest)

    def write_tables(self, directory: Path) -> None:
        """Write every table as Parquet into ``directory`` (a :class:`ResultFolder` staging)."""
        for name in _TABLE_NAMES:
            frame: pd.DataFrame = getattr(self, name)
            buf = frame.to_parquet(index=False, engine="pyarrow", compression="zstd")
            assert buf is not None
            atomic_write_bytes(directory / f"{name}.parquet", buf)

    @classmethod
    def load(cls, directory: str | Path) -> RunResult:
        """Read a result written by :meth:`save` (or ``crmsim run``), checked file by file.

        Raises:
            FolderError: no result there, or an incomplete or mixed one: a file the manifest
                lists is missing or differs from its size and sha256, or a table is not
                listed (a run saved with ``--format html`` keeps no tables).
        """
        files = [f"{n}.parquet" for n in _TABLE_NAMES]
        manifest, data = read_folder(directory, files)
        tables = {n: pd.read_parquet(io.BytesIO(data[f"{n}.parquet"])) for n in _TABLE_NAMES}
        for name, frame in tables.items():
            key = name
            if name == "ledger" and "customer_id" not in frame.columns:
                key = "ledger_aggregate"
            tables[name] = conform(frame, key)
        return cls(**tables, manifest=manifest)

    def check_schema(self) -> list[str]:
        """Differences between the tables and the documented schema (empty when they agree)."""
        problems: list[str] = []
        for name in _TABLE_NAMES:
            frame: pd.DataFrame = getattr(self, name)
            key = name
            if name == "ledger" and "customer_id" not in frame.columns:
                key = "ledger_aggregate"
            want = columns(key)
            if list(frame.columns) != want:
                problems.append(f"{name}: columns {list(frame.columns)} != documented {want}")
                continue
            for col in TABLES[key]:
                got = str(frame[col.name].dtype)
                if not _dtype_ok(got, col.dtype):
                    problems.append(f"{name}.{col.name}: dtype {got} != documented {col.dtype}")
        return problems


def _dtype_ok(got: str, want: str) -> bool:
    if want == "string":
        return got in ("object", "string", "str", "category")
    return got == want
