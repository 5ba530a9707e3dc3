"""A classroom server killed mid-class and started again loses nothing it acknowledged.

The server is the real command (``python -m sim.cli classroom serve``) in its own process on
a free loopback port with a real SQLite file; everything goes over plain HTTP. Teams keep
submitting while the trainer closes round 2, and the server is SIGKILLed the moment the
close is acknowledged, before round 2 is simulated. Started again on the same file: every
acknowledged decision is there, identical; round 1's result is there, identical; and round
2, closed but not simulated at the kill, is simulated by the new server on its own, with
exactly the result :func:`sim.classroom.world.simulate` gives for the stored decisions.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from sim.classroom import ClassStore, world
from sim.classroom.worker import with_names

ROOT = Path(__file__).resolve().parents[1]
STAFF, PRICE = "strategy.service.staff", "strategy.pricing.list_price"
CONFIG: dict[str, Any] = {
    "rounds": 3,
    "periods_per_round": 3,
    "customers": 1500,
    "open_levers": {STAFF: {"min": 1, "max": 20, "integer": True}, PRICE: {"min": 0.9, "max": 1.1}},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    with open(log, "ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "classroom", "serve", "--db", str(db),
             "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError(f"the server did not start:\n{log.read_text()}")


def wait_done(client: httpx.Client, cid: int, token: str, number: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = client.get(f"/api/class/{cid}/trainer", headers={"Authorization": f"Bearer {token}"})
        body = dict(view.json())
        assert not body["failures"], body["failures"]
        if len(body["rounds"]) >= number and body["rounds"][number - 1]["state"] == "done":
            return body
        time.sleep(0.2)
    raise AssertionError(f"round {number} was not simulated")


def test_a_killed_server_keeps_every_acknowledged_step(tmp_path: Path) -> None:
    db, log, port = tmp_path / "class.sqlite", tmp_path / "server.log", free_port()
    server = start(db, port, log)
    assert f"http://127.0.0.1:{port}/" in log.read_text()
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            made = client.post("/api/classes", json={
                "name": "Restart", "scenario": "baseline", "config": CONFIG,
                "teams": ["Red", "Blue", "Green"]}).json()  # fmt: skip
            cid, token = made["class_id"], made["trainer_token"]
            trainer = {"Authorization": f"Bearer {token}"}
            codes = [t["code"] for t in made["teams"]]
            client.post(f"/api/class/{cid}/advance", json={"expected_round": 0}, headers=trainer)
            acked: list[tuple[dict[str, Any], dict[str, Any]]] = []

            def send(team: int, round_: int, staff: int, n: int) -> bool:
                levers = {STAFF: staff, PRICE: 1.0}
                got = client.post(
                    f"/api/class/{cid}/submit", headers={"Authorization": f"Bearer {codes[team]}"},
                    json={"round": round_, "levers": levers, "request_id": f"{team}-{round_}-{n}"},
                )  # fmt: skip
                if got.status_code == 200:
                    acked.append((got.json(), levers))
                return got.status_code == 200

            for team in range(3):
                assert send(team, 1, 2 + 3 * team, 0)
            client.post(f"/api/class/{cid}/advance", json={"expected_round": 1}, headers=trainer)
            first = wait_done(client, cid, token, 1)["rounds"][0]

        stop = threading.Event()

        def keep_submitting(team: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as own:
                n = 0
                while not stop.is_set():
                    n += 1
                    levers = {STAFF: 1 + (n + team) % 20, PRICE: 1.0}
                    try:
                        got = own.post(
                            f"/api/class/{cid}/submit",
                            headers={"Authorization": f"Bearer {codes[team]}"},
                            json={"round": 2, "levers": levers, "request_id": f"{team}-2-{n}"},
                        )
                    except httpx.HTTPError:
                        return
                    if got.status_code == 200:
                        acked.append((got.json(), levers))

        writers = [threading.Thread(target=keep_submitting, args=(t,)) for t in range(3)]
        for writer in writers:
            writer.start()
        time.sleep(1.5)
        closed = httpx.post(f"{base}/api/class/{cid}/advance", json={"expected_round": 2},
                            headers=trainer, timeout=30)  # fmt: skip
        server.send_signal(signal.SIGKILL)  # the moment round 2's close is acknowledged
        server.wait(10)
        stop.set()
        for writer in writers:
            writer.join(30)
        assert closed.json()["closed"] == 2
        with sqlite3.connect(db) as conn:
            state = conn.execute(
                "SELECT state FROM rounds WHERE class_id = ? AND number = 2", (cid,)
            ).fetchone()[0]
        assert state == "closed", "round 2 was simulated before the kill: nothing to recover"
        assert sum(r["round"] == 2 for r, _ in acked) >= 3

        server = start(db, port, log)
        with httpx.Client(base_url=base, timeout=30) as client:
            view = wait_done(client, cid, token, 2)
        assert view["rounds"][0] == first  # a finished round, identical
        with sqlite3.connect(db) as conn:
            stored = {
                row[0]: row[1:]
                for row in conn.execute("SELECT id, team_id, round, revision, submitted_at, levers"
                                        " FROM decisions WHERE class_id = ?", (cid,))
            }  # fmt: skip
        import json

        for receipt, levers in acked:  # every acknowledged decision, identical
            row = stored[receipt["decision_id"]]
            assert row[:4] == (receipt["team_id"], receipt["round"], receipt["revision"],
                               receipt["submitted_at"])  # fmt: skip
            assert json.loads(row[4]) == levers
        assert len(stored) >= len(acked)
        with ClassStore(db) as store:  # round 2 is what the world makes of the stored decisions
            inputs = [store.round_inputs(cid, r) for r in (1, 2)]
            teams = store.teams(cid)
            decisions = [{str(t): lv for t, lv in one["decisions"].items()} for one in inputs]
            again = world.simulate(inputs[1]["scenario"], inputs[1]["config"], inputs[1]["seed"],
                                   [str(t) for t, _ in teams], decisions)  # fmt: skip
        assert view["rounds"][1]["result"] == with_names(again, dict(teams))
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
            server.wait(10)
