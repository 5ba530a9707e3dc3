"""Classroom load: 40 teams submitting at once over loopback HTTP, then one round advanced.

Starts ``crmsim classroom serve`` in its own process on a free loopback port and a fresh
class file, creates a class of 40 teams in the classroom world (the baseline at
``--customers``, ``--periods`` periods a round), opens round 1 and has 40 threads (one per
team, each with its own HTTP connection) submit ``--submissions`` decisions each, all
released at the same instant. Prints the submission latency (median, p95, max) and
the time from the trainer's advance to round 1's results being out for all 40 teams.

Every submission is checked to be stored exactly once: each acknowledged receipt is in the
file with its levers, the file holds no other decision, and a retried request (the same
``request_id`` sent again) returns the first receipt.

    python benchmarks/classroom_load.py                       # 40 teams, 2,000 customers
    python benchmarks/classroom_load.py --submissions 5 --periods 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STAFF, PRICE = "strategy.service.staff", "strategy.pricing.list_price"


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The classroom server on ``port``, once it answers."""
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "classroom", "serve", "--db", str(db),
             "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def main() -> None:
    """Run the load and print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--periods", type=int, default=3, help="periods per round")
    parser.add_argument("--submissions", type=int, default=3, help="per team")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="classroom-load-"))
    db, port = folder / "class.sqlite", free_port()
    server = start(db, port, folder / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        config = {"rounds": 3, "periods_per_round": args.periods, "customers": args.customers,
                  "open_levers": {STAFF: {"min": 1, "max": 40, "integer": True},
                                  PRICE: {"min": 0.9, "max": 1.1}}}  # fmt: skip
        made = httpx.post(f"{base}/api/classes", timeout=60, json={
            "name": "Load", "scenario": "baseline", "config": config,
            "teams": [f"team {i + 1}" for i in range(args.teams)]}).json()  # fmt: skip
        cid, token = made["class_id"], made["trainer_token"]
        trainer = {"Authorization": f"Bearer {token}"}
        httpx.post(f"{base}/api/class/{cid}/advance", json={"expected_round": 0}, headers=trainer)
        gate = threading.Barrier(args.teams)
        latencies: list[float] = []
        acked: list[tuple[dict[str, Any], dict[str, Any]]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def team(i: int, code: str) -> None:
            with httpx.Client(base_url=base, timeout=60,
                              headers={"Authorization": f"Bearer {code}"}) as client:  # fmt: skip
                client.get(f"/api/class/{cid}/status")  # connect and join before the gate
                gate.wait()
                for n in range(args.submissions):
                    levers = {STAFF: 1 + (i + n) % 10, PRICE: round(0.9 + 0.01 * (i % 20), 2)}
                    body = {"round": 1, "levers": levers, "request_id": f"{i}-{n}"}
                    start_at = time.perf_counter()
                    got = client.post(f"/api/class/{cid}/submit", json=body)
                    took = time.perf_counter() - start_at
                    again = client.post(f"/api/class/{cid}/submit", json=body)  # a retry
                    with lock:
                        if got.status_code != 200 or again.json() != got.json():
                            errors.append(f"team {i}: {got.status_code} {got.text[:200]}")
                            continue
                        latencies.append(took)
                        acked.append((got.json(), levers))

        threads = [threading.Thread(target=team, args=(i, t["code"]))
                   for i, t in enumerate(made["teams"])]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise SystemExit("submissions failed:\n" + "\n".join(errors[:10]))
        with sqlite3.connect(db) as conn:
            query = "SELECT id, team_id, revision, levers FROM decisions WHERE class_id = ?"
            stored = {row[0]: row[1:] for row in conn.execute(query, (cid,))}
        once = len(stored) == len(acked) == args.teams * args.submissions and all(
            stored[r["decision_id"]][:2] == (r["team_id"], r["revision"])
            and json.loads(stored[r["decision_id"]][2]) == lv
            for r, lv in acked
        )
        if not once:
            raise SystemExit(f"stored {len(stored)} decisions for {len(acked)} acknowledged")
        ms = np.array(latencies) * 1000
        print(f"{args.teams} teams × {args.submissions} submissions (each retried once), "
              f"all stored exactly once: latency median {np.median(ms):.0f} ms, "
              f"p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms")  # fmt: skip
        start_at = time.perf_counter()
        httpx.post(f"{base}/api/class/{cid}/advance", json={"expected_round": 1},
                   headers=trainer, timeout=60)  # fmt: skip
        while True:
            view = httpx.get(f"{base}/api/class/{cid}/trainer", headers=trainer, timeout=60).json()
            if view["failures"]:
                raise SystemExit(f"the simulation failed: {view['failures']}")
            if view["rounds"][0]["state"] == "done":
                break
            time.sleep(0.1)
        took = time.perf_counter() - start_at
        print(f"advance to results out, round 1 of {args.teams} teams "
              f"({args.customers:,} customers, {args.periods} periods): {took:.1f} s")  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
