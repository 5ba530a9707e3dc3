"""Function models with known answers, importable by worker processes (tests/ is on sys.path)."""

from __future__ import annotations

import math

import numpy as np

A, B = 7.0, 0.1


def ishigami(params: dict[str, float], seed: np.random.SeedSequence) -> dict[str, float]:
    """Ishigami–Homma: f = sin x1 + a sin² x2 + b x3⁴ sin x1, each x on [-π, π]."""
    del seed
    x1, x2, x3 = params["x1"], params["x2"], params["x3"]
    return {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)}


def ishigami_indices() -> dict[str, tuple[float, float]]:
    """Analytic (S1, ST) of each factor."""
    var = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    return {"x1": (v1 / var, (v1 + v13) / var), "x2": (v2 / var, v2 / var),
            "x3": (0.0, v13 / var)}  # fmt: skip


def ordered(params: dict[str, float], seed: np.random.SeedSequence) -> dict[str, float]:
    """A linear function whose factors matter in the order a > b > c > d (d not at all)."""
    del seed
    return {"y": 8.0 * params["a"] + 4.0 * params["b"] + 1.0 * params["c"] + 0.0 * params["d"]}
