"""The debrief prepared in the back office: asked for once, built once, kept, served whole.

Everything goes through the real app (Starlette's test client on a SQLite file in
``tmp_path``), whose back office builds the debrief in its two-process pool: a 200-customer
baseline, two rounds of one period, three teams, R = 2 replicates (the job cut short runs
in the back office's own thread). The checks: the status
page until it is ready, then HTML and PDF (the PDF the very bytes an in-process build
gives), a second "prepare" that rebuilds nothing (the files' mtimes unchanged) while a new
round makes a new debrief, no temporary file left and every file whole, a team that sees
nothing before the reveal and only its own pages after, a restarted server that serves the
same files, and a job cut short by a stop finished by the next start.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

from markupsafe import escape

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sim.classroom.debrief import debrief_from_store
from sim.classroom.debrief_pdf import render_debrief_pdf
from sim.classroom.debriefs import WORKERS, DebriefKey
from sim.classroom.server import create_app
from sim.classroom.store import ClassStore
from sim.i18n import text

STAFF, PRICE = "strategy.service.staff", "strategy.pricing.list_price"
CONFIG: dict[str, Any] = {
    "rounds": 2,
    "periods_per_round": 1,
    "customers": 200,
    "open_levers": {STAFF: {"min": 1, "max": 6, "integer": True}, PRICE: {"min": 0.9, "max": 1.1}},
}
TEAMS = ["Steady", "Pricers", "Staffers"]
REPLICATES = 2


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def app_on(db: Path, workers: int = WORKERS) -> TestClient:
    client = TestClient(create_app(db, tick=0.2), raise_server_exceptions=False)
    debriefs = client.app.state.classroom.worker.debriefs  # type: ignore[attr-defined]
    debriefs.replicates, debriefs.workers = REPLICATES, workers
    return client


class Class:
    """A class made through the API, with its credentials."""

    def __init__(self, client: TestClient) -> None:
        made = client.post("/api/classes", json={"name": "Friday", "scenario": "baseline",
                                                 "config": CONFIG, "teams": TEAMS})  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        self.client, self.id, self.token = client, body["class_id"], body["trainer_token"]
        self.codes = [t["code"] for t in body["teams"]]
        self.team_ids = [t["team_id"] for t in body["teams"]]

    def post(self, what: str, **body: Any) -> Any:
        got = self.client.post(f"/api/class/{self.id}/{what}", json=body,
                               headers=bearer(self.token))  # fmt: skip
        assert got.is_success, got.text
        return got.json()

    def play_round(self, number: int, moves: dict[int, dict[str, Any]]) -> None:
        self.post("advance", expected_round=number - 1)
        for team, levers in moves.items():
            got = self.client.post(f"/api/class/{self.id}/submit", headers=bearer(self.codes[team]),
                                   json={"round": number, "levers": levers})  # fmt: skip
            assert got.status_code == 200, got.text
        self.post("advance", expected_round=number)
        deadline = time.monotonic() + 120
        while self.trainer()["rounds"][number - 1]["state"] != "done":
            assert time.monotonic() < deadline, f"round {number} was not simulated"
            time.sleep(0.2)

    def trainer(self) -> dict[str, Any]:
        got = self.client.get(f"/api/class/{self.id}/trainer", headers=bearer(self.token))
        return dict(got.json())

    def debrief(self, path: str = "") -> Any:
        return self.client.get(f"/class/{self.id}/debrief{path}", headers=bearer(self.token))

    def wait_ready(self, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.client.get(f"/api/class/{self.id}/debrief", headers=bearer(self.token))
            status = dict(got.json())
            assert status["state"] != "failed", status["error"]
            if status["state"] == "ready":
                return status
            assert time.monotonic() < deadline, f"the debrief was not ready in {timeout} s"
            time.sleep(0.3)


def team_section(page: str) -> str:
    """The team's own sheet of a debrief page (decisions, alternatives, lost customers)."""
    return page[page.index('<section class="sheet team"') :]


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_prepared_once_served_whole_to_trainer_and_team_and_after_a_restart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "class.sqlite"
    folder = tmp_path / "class.debriefs"
    base = {STAFF: 3, PRICE: 1.0}
    with app_on(db) as client:
        cls = Class(client)
        cls.play_round(1, {1: {**base, PRICE: 1.08}, 2: {**base, STAFF: 5}})
        waiting = cls.debrief()
        assert waiting.status_code == 200 and 'data-state="none"' in waiting.text
        assert 'data-testid="prepare-debrief"' in waiting.text
        assert cls.debrief(".pdf").status_code == 400  # not prepared yet: said, not built
        first, again = cls.post("debrief"), cls.post("debrief")
        assert first["state"] in ("queued", "running") and again["state"] != "none"
        assert len(list(folder.glob("*.job.json"))) == 1  # asked twice, one job
        status = cls.wait_ready()
        assert status["played"] == 1 and status["teams"] == cls.team_ids
        assert status["done"] == status["planned"] >= len(TEAMS) * (1 + REPLICATES)

        page = cls.debrief()
        assert page.headers["content-type"].startswith("text/html")
        assert text("debrief.title", "en", name="Friday") in page.text
        assert page.text.count('<section class="sheet') == 1 + len(TEAMS)
        pdf = cls.debrief(".pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment;")
        assert pdf.content[:5] == b"%PDF-" and pdf.content.rstrip().endswith(b"%%EOF")
        # the pool's debrief is the in-process one, byte for byte
        store = ClassStore(db)
        alone = debrief_from_store(store, cls.id, cls.token, replicates=REPLICATES)
        store.close()
        assert pdf.content == bytes(render_debrief_pdf(alone))
        # every file whole, none half-written left behind, nothing left to do
        files = sorted(folder.iterdir())
        assert not [f for f in files if f.name.startswith(".") or f.name.endswith(".job.json")]
        assert len([f for f in files if f.suffix == ".html"]) == 1 + len(TEAMS)
        for f in files:
            if f.suffix == ".pdf":
                assert f.read_bytes()[:5] == b"%PDF-" and f.read_bytes().rstrip()[-5:] == b"%%EOF"
            if f.suffix == ".html":
                assert f.read_text("utf-8").rstrip().endswith("</html>")
        stamps = {f.name: f.stat().st_mtime_ns for f in files}
        assert cls.post("debrief")["state"] == "ready"  # asked again: nothing rebuilt
        time.sleep(0.5)
        assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == stamps

        # the trainer's page of one team, and a team's own pages only after the reveal
        mine = cls.debrief(f"/team/{cls.team_ids[1]}")
        assert mine.text.count('<section class="sheet') == 2
        assert pages_of(cls.debrief(f"/team/{cls.team_ids[1]}.pdf").content) == 2
        assert cls.debrief("/team/999999").status_code == 404
        own = f"/class/{cls.id}/my-debrief"
        for path in (own, own + ".pdf"):
            refused = client.get(path, headers=bearer(cls.codes[1]))
            assert refused.status_code == 400
            assert text("debrief.job.after_reveal", "en") in refused.text
        cls.post("reveal")
        for team, name in enumerate(TEAMS):
            got = client.get(own, headers=bearer(cls.codes[team]))
            assert got.status_code == 200
            section = team_section(got.text)
            assert str(escape(name)) in section
            assert not [o for o in TEAMS if o != name and o in section]
            assert all(n in got.text for n in TEAMS)  # the leaderboard is public
        own_pdf = client.get(own + ".pdf", headers=bearer(cls.codes[1]))
        assert own_pdf.content == mine_pdf_bytes(folder, cls.team_ids[1])
        assert pages_of(own_pdf.content) == 2

        # a new round is a new debrief; the old one stays as it was
        cls.play_round(2, {0: {**base, STAFF: 2}})
        assert 'data-state="none"' in cls.debrief().text
        cls.post("debrief")
        assert cls.wait_ready()["played"] == 2
        served = cls.debrief().content
        old = {n: m for n, m in stamps.items() if (folder / n).exists()}
        assert old == stamps
    # the same class file, a new server: the finished debrief served as it is, not rebuilt
    after = {f.name: f.stat().st_mtime_ns for f in folder.iterdir()}
    with app_on(db) as client:
        cls.client = client
        assert cls.debrief().content == served
        time.sleep(1.0)  # the back office looked at its folder at start: nothing to do
        assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == after


def mine_pdf_bytes(folder: Path, team_id: int) -> bytes:
    (found,) = folder.glob(f"class-*-r1-*-en-team-{team_id}.pdf")
    return found.read_bytes()


def test_a_debrief_cut_short_is_finished_by_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "class.sqlite"
    folder = tmp_path / "class.debriefs"
    with app_on(db, workers=1) as client:  # in the back office's thread: no pool to start
        cls = Class(client)
        cls.play_round(1, {0: {STAFF: 4, PRICE: 0.95}})
        cls.post("debrief")
    # the server stopped while the replays were under way: the job is kept, nothing served
    assert len(list(folder.glob("*.job.json"))) == 1
    assert not list(folder.glob("*.html")) and not list(folder.glob("*.pdf"))
    (folder / ".class-1-r1-stale.html.abc.tmp").write_bytes(b"<html>half")  # a kill's leftovers
    with app_on(db, workers=1) as client:
        cls.client = client
        assert cls.wait_ready()["played"] == 1
        assert cls.debrief().text.count('<section class="sheet') == 1 + len(TEAMS)
    assert not [f for f in folder.iterdir() if f.name.startswith(".")]
    assert not list(folder.glob("*.job.json"))


def test_a_reopened_round_closed_again_is_another_debrief() -> None:
    def rounds(*closed: str) -> list[dict[str, Any]]:
        board = {"leaderboard": [{"team_id": 7}, {"team_id": 8}]}
        return [{"number": k + 1, "state": "done", "closed_at": at, "result": {"public": board}}
                for k, at in enumerate(closed)]  # fmt: skip

    first = DebriefKey.of(1, rounds("2024-01-01T10:00:00.000001", "2024-01-01T11:00:00"), "en")
    again = DebriefKey.of(1, rounds("2024-01-01T10:00:00.000001", "2024-01-01T11:30:00"), "en")
    assert first is not None and again is not None and first.played == again.played == 2
    assert first.stem != again.stem and first.stem.startswith("class-1-r2-")
    team_view = [{**r, "public": r["result"]["public"]} for r in rounds("a", "b")]
    for r in team_view:
        del r["result"]
    assert DebriefKey.of(1, team_view, "zh") == DebriefKey.of(1, rounds("a", "b"), "zh")
    assert DebriefKey.of(1, [{"number": 1, "state": "open", "closed_at": None}], "en") is None
