"""A small class in a real SQLite file, shared by the classroom store's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.classroom import ClassStore

CONFIG: dict[str, Any] = {
    "rounds": 3,
    "round_seconds": 600,
    "budget": 1000,
    "events": [{"round": 2, "kind": "competitor_price_cut"}],
    "open_levers": {
        "strategy.price": {"min": 10, "max": 50},
        "strategy.service.staff": {"min": 1, "max": 20, "integer": True},
        "strategy.channel": {"choices": ["email", "phone"]},
    },
}


def new_class(path: Path, teams: int = 2, **kwargs: Any) -> tuple[ClassStore, int, str, list[Any]]:
    store = ClassStore(path, **kwargs)
    made = store.create_class("Monday group", "name: baseline\n", CONFIG)
    codes = [store.add_team(made.class_id, made.trainer_token, f"team {i}") for i in range(teams)]
    return store, made.class_id, made.trainer_token, codes


def result_for(teams: list[Any], round_: int) -> dict[str, Any]:
    return {
        "teams": {str(t.team_id): {"profit": 100 * round_ + t.team_id} for t in teams},
        "public": {"leader": teams[0].name},
    }
