"""What an agent may use of the engine that runs it, as protocols.

``agents`` never imports ``sim``: a customer reaches the clock, its random draws, the trust
ledger and the books only through an object satisfying :class:`World`, handed to it by
whichever engine runs the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from agents.context import Context
    from agents.customer import Customer

__all__ = ["DrawSource", "TraitDraws", "World"]


class DrawSource(Protocol):
    """One subsystem's scalar random draws, each from the named customer's own stream.

    A customer passes itself: the draw is the next of *its* stream in that subsystem (the
    engine keeps the counter), so its luck does not depend on any other customer's events.
    """

    def random(self, customer: Customer) -> float: ...  # noqa: D102
    def normal(self, customer: Customer) -> float: ...  # noqa: D102
    def exponential(self, customer: Customer) -> float: ...  # noqa: D102
    def gamma(self, customer: Customer, shape: float, scale: float) -> float: ...  # noqa: D102


class TraitDraws(Protocol):
    """A batch of customers' population draws, each trait at a slot of its own.

    Each call gives one value per customer of the batch, from that customer's own stream
    (the engines hand in :class:`sim.streams.PersonalBatch`): draws at one slot continue
    from the last call's, and slots never share draws.
    """

    def __len__(self) -> int: ...
    def uniform(self, slot: int) -> np.ndarray: ...  # noqa: D102
    def gamma(self, shape: Any, slot: int) -> np.ndarray: ...  # noqa: D102
    def beta(self, a: Any, b: Any, slot: int) -> np.ndarray: ...  # noqa: D102


class World(Protocol):
    """What a customer may use of the engine that runs it."""

    ctx: Context
    experience_draws: DrawSource
    complaint_draws: DrawSource
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
