"""Generators of ``docs/*.md``: parameters, results and lessons, each from its one source."""

from __future__ import annotations
