"""Results: the documented tables of a run, their schema, the books and the KPIs.

:class:`RunResult` is what every engine returns; :mod:`sim.results.schema` documents every
column of every table and :mod:`sim.results.catalogue` every KPI. The books
(:mod:`sim.results.books`) and the table builder (:mod:`sim.results.collect`) serve both
engines through small protocols and import neither.
"""

from __future__ import annotations

from sim.results.catalogue import KPIS, Kpi, kpi
from sim.results.manifest import FolderError
from sim.results.run_result import RunResult, atomic_write_bytes, conform
from sim.results.schema import TABLES, Column, columns

__all__ = [
    "KPIS",
    "TABLES",
    "Column",
    "FolderError",
    "Kpi",
    "RunResult",
    "atomic_write_bytes",
    "columns",
    "conform",
    "kpi",
]
