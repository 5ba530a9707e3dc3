"""What an agent may use of the engine that runs it, as protocols.

``agents`` never imports ``sim``: a customer reaches the clock, its random draws, the trust
ledger and the books only through an object satisfying :class:`World`, handed to it by
whichever engine runs the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agents.context import Context
    from agents.customer import Customer

__all__ = ["DrawSource", "World"]


class DrawSource(Protocol):
    """Scalar random draws handed to the customer (never global state)."""

    def random(self) -> float: ...  # noqa: D102
    def normal(self) -> float: ...  # noqa: D102
    def exponential(self) -> float: ...  # noqa: D102
    def gamma(self, shape: float, scale: float) -> float: ...  # noqa: D102


class World(Protocol):
    """What a customer may use of the engine that runs it."""

    ctx: Context
    experience_draws: DrawSource
    spend_draws: DrawSource
    churn_draws: DrawSource

    @property
    def now(self) -> float: ...  # noqa: D102
    @property
    def period_index(self) -> int: ...  # noqa: D102

    def record_entry(self, customer: Customer, reason: int, amount: float) -> None: ...  # noqa: D102
    def book(self, line: str, amount: float, customer: Customer | None) -> None: ...  # noqa: D102
    def earn(self, amount: float, cogs: float, customer: Customer) -> None: ...  # noqa: D102
    def count(self, name: str, k: int = 1) -> None: ...  # noqa: D102
    def price_paid(self, customer: Customer) -> tuple[float, float]: ...  # noqa: D102
    def market_price(self) -> float: ...  # noqa: D102
    def on_churn(self, customer: Customer, reason: int) -> None: ...  # noqa: D102
    def on_purchase(self, customer: Customer, repeat: bool) -> None: ...  # noqa: D102
    def complain(self, customer: Customer) -> None: ...  # noqa: D102
