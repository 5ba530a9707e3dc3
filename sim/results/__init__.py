"""Results: the documented tables of a run, their schema, the books and the KPIs.

:class:`RunResult` is what every engine returns; :mod:`sim.results.schema` documents every
column of every table. The books (:mod:`sim.results.books`) and the table builder
(:mod:`sim.results.collect`) serve both engines through small protocols and import neither.
"""

from __future__ import annotations

from sim.results.run_result import RunResult, atomic_write_bytes, conform
from sim.results.schema import TABLES, Column, columns

__all__ = ["TABLES", "Column", "RunResult", "atomic_write_bytes", "columns", "conform"]
