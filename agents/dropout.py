"""Dropout: the baseline models of how a segment's customers stop being customers.

This is the churn that happens whatever the firm does (the ``baseline`` churn reason).
In all but the constant model each customer draws their own dropout chance or rate, so
that some leave early and some stay for years, as in the buy-till-you-die literature the
parameters come from. A segment picks one model by its
``model`` key: BG/NBD or Pareto/NBD when customers buy when they like (noncontractual),
the shifted-beta-geometric when they renew a contract (contractual), or one constant
chance for everyone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from agents.units import MAX_SHAPE, MAX_TIME_SCALE, Days, Frozen

__all__ = ["BGDropout", "ConstantDropout", "Dropout", "ParetoDropout", "SBGDropout"]


class BGDropout(Frozen):
    """BG/NBD: after each repeat purchase the customer dies with probability p ~ Beta(a, b)."""

    model: Literal["bg"] = Field(
        default="bg", description="selects BG/NBD dropout (noncontractual setting)"
    )
    a: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="Beta shape a of the per-purchase dropout p ~ Beta(a, b); mean p = a/(a + b) "
        "(CDNOW: 0.79, Fader, Hardie & Lee 2005)",
    )
    b: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="Beta shape b of p: larger = customers survive more repeat purchases "
        "(CDNOW: 2.43)",
    )


class ParetoDropout(Frozen):
    """Pareto/NBD: exponential lifetime with rate μ ~ Gamma(s, β); β in days."""

    model: Literal["pareto"] = Field(
        default="pareto", description="selects Pareto/NBD dropout (noncontractual setting)"
    )
    s: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="shape s of the lifetime rate μ ~ Gamma(s, β): smaller = more uneven "
        "lifetimes (CDNOW: 0.61, Fader, Hardie & Lee 2005)",
    )
    beta: Days = Field(
        gt=0.0,
        le=MAX_TIME_SCALE,
        description="rate β of μ's Gamma, as a duration: mean μ = s/β per day (CDNOW: 11.67w)",
    )


class SBGDropout(Frozen):
    """Shifted-beta-geometric (contractual): cancel at each renewal with θ ~ Beta(α, β)."""

    model: Literal["sbg"] = Field(
        default="sbg", description="selects shifted-beta-geometric dropout (contractual setting)"
    )
    alpha: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="Beta shape α of the per-renewal cancel chance θ ~ Beta(α, β); mean "
        "α/(α + β) (Fader & Hardie 2007: 0.704 regular, 0.668 high end)",
    )
    beta: float = Field(
        gt=0.0,
        le=MAX_SHAPE,
        description="Beta shape β of θ: larger = fewer cancellations "
        "(Fader & Hardie 2007: 1.182 regular, 3.806 high end)",
    )


class ConstantDropout(Frozen):
    """Homogeneous dropout: every customer has the same per-renewal (or per-purchase) θ."""

    model: Literal["constant"] = Field(
        default="constant", description="selects homogeneous dropout (either setting)"
    )
    theta: float = Field(
        ge=0.0,
        le=1.0,
        description="dropout probability per renewal (contractual) or per repeat purchase "
        "(noncontractual), the same for every customer",
    )


#: What a segment's ``dropout`` field accepts: one of the models, told apart by ``model``.
Dropout = Annotated[
    BGDropout | ParetoDropout | SBGDropout | ConstantDropout, Field(discriminator="model")
]
