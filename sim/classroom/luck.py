"""Luck versus skill: would the same decisions have won in another year's market?

A class plays one world, so its leaderboard mixes two things: how good each team's
decisions were, and how well they happened to suit this particular draw of the market (a
loss-averse crowd rewards a careful price; a forgiving one does not). To tell them apart,
every team's schedule of decisions is replayed, unchanged, on ``R`` other members of the
class's published family of worlds (:meth:`ClassSetup.replicate`, ``i = 1..R``: another
draw of the hidden parameters and another world seed). Within one replicate all teams
still share the same world, so the comparison stays paired.

From the teams × replicates score matrix come:

- each team's **rank distribution** (how often it came 1st, 2nd …),
- **how often the class winner stays the winner** (the team that won the real class, ranked
  first in a replicate),
- a **variance decomposition**, a two-way ANOVA without replication: with ``a`` teams,
  ``b`` replicates, cell ``x_ij``, team means ``x̄_i·``, replicate means ``x̄_·j`` and grand
  mean ``x̄``::

      SS_total  = Σ_ij (x_ij − x̄)²
      SS_team   = b Σ_i (x̄_i· − x̄)²          decisions: what a team carries to any world
      SS_world  = a Σ_j (x̄_·j − x̄)²          the world draw: lifts or sinks every team alike
      SS_inter  = SS_total − SS_team − SS_world   how well a team's plan suits that draw

  Each share is its sum of squares over ``SS_total``. With one cell per team and world,
  the remainder is the team × world interaction (no separate error term); the F test of the
  decisions uses it as the error, ``F = MS_team / MS_inter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import ArgumentError
from sim.results.schema import Column

if TYPE_CHECKING:
    from sim.classroom.replays import Replays
    from sim.classroom.setup import ClassSetup

__all__ = [
    "ANOVA_COLUMNS",
    "DEFAULT_REPLICATES",
    "RANK_COLUMNS",
    "SCORE_COLUMNS",
    "Luck",
    "anova",
    "luck_versus_skill",
    "rank_distribution",
    "summarise",
]

#: Replicates played by default: enough to see a winner wobble, few enough for a class.
DEFAULT_REPLICATES = 8

#: Columns of :attr:`Luck.scores`, one row per team and replicate.
SCORE_COLUMNS = (
    Column("team", "str", "id", "the team's id"),
    Column("replicate", "int64", "index", "the world the schedule was replayed on (1..R)"),
    Column("score", "float64", "score", "the team's score there, under the class's rule"),
    Column("rank", "int64", "place", "its place among the teams in that world (1 = best; "
           "ties share the best place)"),
)  # fmt: skip

#: Columns of :attr:`Luck.ranks`, one row per team and place.
RANK_COLUMNS = (
    Column("team", "str", "id", "the team's id"),
    Column("rank", "int64", "place", "a place, 1 to the number of teams"),
    Column("count", "int64", "replicates", "replicates in which the team took that place"),
    Column("share", "float64", "share", "count over the number of replicates"),
)

#: Columns of :attr:`Luck.anova`, one row per source of variation, then ``total``.
ANOVA_COLUMNS = (
    Column("source", "str", "name", "decisions (between teams), world (between replicates), "
           "interaction (the rest), total"),
    Column("sum_sq", "float64", "score²", "sum of squares (the module docstring's formulas)"),
    Column("df", "int64", "count", "degrees of freedom: a−1, b−1, (a−1)(b−1), ab−1"),
    Column("mean_sq", "float64", "score²", "sum_sq / df (NaN when df is 0)"),
    Column("share", "float64", "share", "sum_sq / SS_total: the share of the score variance "
           "(NaN when every score is equal)"),
    Column("f", "float64", "ratio", "mean_sq / interaction mean_sq, for decisions and world "
           "(NaN elsewhere, or when the interaction is 0 or has no df)"),
    Column("p_value", "float64", "probability", "upper tail of F(df, interaction df) at f"),
)  # fmt: skip


def _matrix(scores: pd.DataFrame) -> pd.DataFrame:
    wide = scores.pivot(index="team", columns="replicate", values="score")
    if wide.isna().to_numpy().any():
        raise ArgumentError("the score matrix needs a score for every team in every replicate")
    return wide


def anova(matrix: np.ndarray | pd.DataFrame) -> pd.DataFrame:
    """Two-way ANOVA without replication of a teams × replicates matrix (:data:`ANOVA_COLUMNS`).

    Raises:
        ArgumentError: not a 2-D matrix of finite numbers with at least one row and column.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or 0 in x.shape or not np.isfinite(x).all():
        raise ArgumentError(f"anova needs a 2-D matrix of finite numbers, got shape {x.shape}")
    a, b = x.shape
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    ss_team = float(b * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_world = float(a * ((x.mean(axis=0) - grand) ** 2).sum())
    ss_inter = max(ss_total - ss_team - ss_world, 0.0)  # rounding can dip below 0
    dfs = (a - 1, b - 1, (a - 1) * (b - 1), a * b - 1)
    sums = (ss_team, ss_world, ss_inter, ss_total)
    mean_sq = [s / d if d else np.nan for s, d in zip(sums, dfs, strict=True)]
    ms_err, df_err = mean_sq[2], dfs[2]
    f_values, p_values = [], []
    for k in range(4):
        usable = k < 2 and dfs[k] > 0 and df_err > 0 and ms_err > 0
        f = mean_sq[k] / ms_err if usable else np.nan
        f_values.append(f)
        p_values.append(float(stats.f.sf(f, dfs[k], df_err)) if usable else np.nan)
    return pd.DataFrame(
        {
            "source": ["decisions", "world", "interaction", "total"],
            "sum_sq": sums,
            "df": np.array(dfs, dtype=np.int64),
            "mean_sq": mean_sq,
            "share": [s / ss_total if ss_total > 0 else np.nan for s in sums],
            "f": f_values,
            "p_value": p_values,
        }
    )


def _ranked(scores: pd.DataFrame) -> pd.DataFrame:
    """``scores`` with each team's place within its replicate (1 = best, ties share it)."""
    out = scores.copy()
    out["rank"] = (
        out.groupby("replicate")["score"].rank(method="min", ascending=False).astype(np.int64)
    )
    return out


def rank_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """How often each team took each place across the replicates (:data:`RANK_COLUMNS`)."""
    ranked = scores if "rank" in scores.columns else _ranked(scores)
    teams = list(dict.fromkeys(ranked["team"]))
    n_rep = ranked["replicate"].nunique()
    counts = ranked.groupby(["team", "rank"]).size()
    rows = [
        (team, place, int(counts.get((team, place), 0)))
        for team in teams
        for place in range(1, len(teams) + 1)
    ]
    frame = pd.DataFrame(rows, columns=["team", "rank", "count"])
    frame["rank"] = frame["rank"].astype(np.int64)
    frame["count"] = frame["count"].astype(np.int64)
    frame["share"] = frame["count"] / n_rep if n_rep else np.nan
    return frame


@dataclass(frozen=True)
class Luck:
    """The luck-versus-skill view of one class.

    Attributes:
        scores: one row per team and replicate (:data:`SCORE_COLUMNS`).
        ranks: each team's rank distribution (:data:`RANK_COLUMNS`).
        anova: the variance decomposition (:data:`ANOVA_COLUMNS`).
        winner: the team that won the class's own world (None: no teams).
        winner_stays: the share of replicates in which that team is ranked first (a tie
            for first counts); NaN without teams or replicates.
        replicates: R, the replicates played.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    anova: pd.DataFrame
    winner: str | None
    winner_stays: float
    replicates: int

    @property
    def skill_share(self) -> float:
        """The share of the score variance due to the teams' decisions."""
        return float(self.anova.loc[self.anova["source"] == "decisions", "share"].iloc[0])


def summarise(scores: pd.DataFrame, winner: str | None) -> Luck:
    """The :class:`Luck` of a tidy score table (``team``, ``replicate``, ``score``)."""
    ranked = _ranked(scores).sort_values(["replicate", "team"], kind="stable")
    ranked = ranked.reset_index(drop=True)[[c.name for c in SCORE_COLUMNS]]
    n_rep = int(ranked["replicate"].nunique())
    firsts = ranked[(ranked["team"] == winner) & (ranked["rank"] == 1)]
    stays = len(firsts) / n_rep if winner is not None and n_rep else float("nan")
    table = anova(_matrix(ranked)) if len(ranked) else anova(np.zeros((1, 1)))
    return Luck(ranked, rank_distribution(ranked), table, winner, stays, n_rep)


def luck_versus_skill(
    setup: ClassSetup,
    schedules: Mapping[str, Sequence[Mapping[str, Any]]],
    winner: str | None,
    replicates: int = DEFAULT_REPLICATES,
    replays: Replays | None = None,
) -> Luck:
    """Replay every team's schedule on ``replicates`` other worlds of the class's family.

    Args:
        setup: the class's own setup (replicate 0).
        schedules: each team's levers in force per round (:func:`sim.classroom.world.schedules`).
        winner: the team that won the class's own world.
        replicates: R ≥ 2, the worlds ``setup.replicate(1..R)`` played.
        replays: the cache of played worlds to use (a fresh one when None).

    Raises:
        ArgumentError: ``replicates`` not a whole number ≥ 2, or no teams.
    """
    from sim.classroom.replays import Replays

    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 2:
        raise ArgumentError(f"replicates must be a whole number ≥ 2, got {replicates!r:.40}")
    if not schedules:
        raise ArgumentError("luck versus skill needs at least one team's schedule")
    cache = replays or Replays()
    rows = []
    for i in range(1, replicates + 1):
        world = setup.replicate(i)
        for team, schedule in schedules.items():
            rows.append((str(team), i, cache.outcome(world, schedule).score))
    scores = pd.DataFrame(rows, columns=["team", "replicate", "score"])
    scores["replicate"] = scores["replicate"].astype(np.int64)
    return summarise(scores, winner)
