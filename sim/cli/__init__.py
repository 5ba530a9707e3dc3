"""``crmsim``: the command line, one module per command family."""

from __future__ import annotations

from sim.cli.commands import app, main

__all__ = ["app", "main"]
