"""Seed streams: one ``SeedSequence`` root per run, one child per named subsystem.

Children are keyed by *name*, not by spawn order, so adding a subsystem never shifts the
draws of another, and two policies run on the same seed see the same customers and the same
shocks (common random numbers): their differences are paired. The engines draw from these
sequential streams only what belongs to the firm (the plan's choices, each acquisition
channel's arrival times); everything about one customer comes from that customer's own
streams (:mod:`sim.streams`), keyed by the same root.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

__all__ = ["DEFAULT_SEED", "SUBSYSTEMS", "Draws", "Streams", "replication_seed"]

#: The seed used when nobody gives one: a scenario's ``seed`` field, and so ``sim.run`` and
#: ``crmsim run`` without ``--seed``; the experiment seed of ``replicate``, ``compare`` and
#: ``crmsim compare``. One number, so that every tool starts from the same default.
DEFAULT_SEED = 0

#: Every named sequential stream a run may use. Adding one is safe; renaming one changes
#: results. (The per-customer subsystems of the same names are :data:`sim.streams.PERSONAL`.)
SUBSYSTEMS: tuple[str, ...] = (
    "population",
    "purchases",
    "spend",
    "experience",
    "service",
    "contacts",
    "churn",
    "acquisition",
    "referrals",
    "bass",
    "winback",
    "plan",
    "mesa",
)


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """Root of replication ``replication`` of an experiment seeded with ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


class Streams:
    """Named child streams of one run's root ``SeedSequence``."""

    def __init__(self, root: int | np.random.SeedSequence) -> None:
        self.root = (
            root if isinstance(root, np.random.SeedSequence) else np.random.SeedSequence(root)
        )

    def seed(self, name: str) -> np.random.SeedSequence:
        """The child ``SeedSequence`` for subsystem ``name``."""
        if name not in SUBSYSTEMS:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(SUBSYSTEMS)}")
        key = zlib.crc32(name.encode())
        return np.random.SeedSequence(self.root.entropy, spawn_key=(*self.root.spawn_key, key))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh ``Generator`` on subsystem ``name``'s stream."""
        return np.random.Generator(np.random.PCG64(self.seed(name)))

    def draws(self, name: str, block: int = 4096) -> Draws:
        """A buffered scalar source on subsystem ``name``'s stream."""
        return Draws(self.seed(name), block)


class Draws:
    """Scalar draws for the event loop, served from pre-drawn blocks.

    Calling numpy for one number costs about a microsecond; the agent engine needs millions,
    so uniforms, standard exponentials and standard normals are drawn in blocks and handed
    out as Python floats. Each kind of draw has its own child generator, so every sequence
    is a pure function of the stream and results do not depend on the block size.
    """

    __slots__ = (
        "_block", "_exp", "_gam", "_ie", "_in", "_iu", "_norm", "_root", "_ue", "_un", "_unif",
        "_uu", "rng",
    )  # fmt: skip

    def __init__(self, seed: np.random.SeedSequence, block: int = 4096) -> None:
        self._root = seed
        kids = [
            np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k)) for k in range(4)
        ]
        self.rng, self._ue, self._un, uu = (np.random.Generator(np.random.PCG64(k)) for k in kids)
        self._uu = uu
        self._block = block
        # Standard-gamma blocks per shape: shapes are per segment, so there are few.
        self._gam: dict[float, list[Any]] = {}
        self._unif: list[float] = []
        self._exp: list[float] = []
        self._norm: list[float] = []
        self._iu = self._ie = self._in = 0

    def random(self) -> float:
        """A uniform on [0, 1)."""
        if self._iu >= len(self._unif):
            self._unif = self._uu.random(self._block).tolist()
            self._iu = 0
        u = self._unif[self._iu]
        self._iu += 1
        return u

    def exponential(self) -> float:
        """A standard exponential (mean 1)."""
        if self._ie >= len(self._exp):
            self._exp = self._ue.standard_exponential(self._block).tolist()
            self._ie = 0
        x = self._exp[self._ie]
        self._ie += 1
        return x

    def normal(self) -> float:
        """A standard normal."""
        if self._in >= len(self._norm):
            self._norm = self._un.standard_normal(self._block).tolist()
            self._in = 0
        x = self._norm[self._in]
        self._in += 1
        return x

    def gamma(self, shape: float, scale: float) -> float:
        """A Gamma(shape, scale) draw: a buffered standard gamma of that shape, scaled.

        Each shape has its own child generator (spawned on first use, keyed by the order of
        first use, which is itself deterministic), so buffering never reorders draws.
        """
        cell = self._gam.get(shape)
        if cell is None:
            child = np.random.Generator(np.random.PCG64(self._seed_for(len(self._gam))))
            cell = [child, [], 0]
            self._gam[shape] = cell
        gen, values, i = cell
        if i >= len(values):
            values = gen.standard_gamma(shape, self._block).tolist()
            cell[1] = values
            i = 0
        cell[2] = i + 1
        return float(values[i] * scale)

    def _seed_for(self, k: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self._root.entropy, spawn_key=(*self._root.spawn_key, 1000 + k)
        )
