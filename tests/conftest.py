"""Shared fixtures: small, seeded runs that several test modules read but never modify.

The tests folder is put on ``sys.path`` so helper modules that live next to the tests
(``tests/theory.py`` and the like) import as ``import theory``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sim.results.run_result import RunResult
    from sim.scenario.spec import Scenario

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

#: Overrides that shrink the flagship scenario to a run of a second or two.
SMALL_OVERRIDES: tuple[str, ...] = ("population.initial=300", "horizon=1y")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def small_baseline_scenario() -> Scenario:
    """``baseline`` with 300 initial customers over one year."""
    import sim

    return sim.load_scenario("baseline", list(SMALL_OVERRIDES))


@pytest.fixture(scope="session")
def small_baseline(small_baseline_scenario: Scenario) -> RunResult:
    """The small baseline run once with seed 1 (shared: do not mutate its tables)."""
    import sim

    return sim.run(small_baseline_scenario, seed=1)


@pytest.fixture(scope="session")
def small_baseline_dir(small_baseline: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small baseline saved with :meth:`RunResult.save` (tables and manifest only)."""
    return small_baseline.save(tmp_path_factory.mktemp("small_baseline"))
