"""The classroom server through its front door: the real app, the real store, the real world.

Every request goes through Starlette's test client into :func:`sim.classroom.server.create_app`
on a SQLite file in ``tmp_path``; rounds are simulated by the app's own back office calling
:func:`sim.classroom.world.simulate` (a 200-customer baseline, two periods a round). The
checks are about the door: every wrong credential refused the same way with nothing
written, a team shown only its own results, hostile names and values inert on the page,
refused input named field by field, an advance that runs once, the rate limit engaging.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sim.classroom.limits import DoorPolicy
from sim.classroom.pages import json_script
from sim.classroom.server import create_app
from sim.i18n import catalogue

EVIL = "<script>alert(1)</script>"
STAFF, PRICE = "strategy.service.staff", "strategy.pricing.list_price"
CONFIG: dict[str, Any] = {
    "rounds": 2,
    "periods_per_round": 2,
    "customers": 200,
    "open_levers": {STAFF: {"min": 1, "max": 6, "integer": True}, PRICE: {"min": 0.9, "max": 1.1}},
}
TABLES = ("classes", "teams", "rounds", "decisions", "events")


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the static ones: what "nothing written" compares."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


class Class:
    """A class made through the API, with its client and credentials."""

    def __init__(self, client: TestClient, teams: list[str]) -> None:
        made = client.post(
            "/api/classes",
            json={"name": "Monday", "scenario": "baseline", "config": CONFIG, "teams": teams},
        )
        assert made.status_code == 201, made.text
        body = made.json()
        self.client, self.id, self.token = client, body["class_id"], body["trainer_token"]
        self.codes = [t["code"] for t in body["teams"]]
        self.team_ids = [t["team_id"] for t in body["teams"]]

    def trainer(self) -> dict[str, Any]:
        got = self.client.get(f"/api/class/{self.id}/trainer", headers=bearer(self.token))
        assert got.status_code == 200, got.text
        return dict(got.json())

    def advance(self, expected: int) -> dict[str, Any]:
        got = self.client.post(
            f"/api/class/{self.id}/advance", json={"expected_round": expected},
            headers=bearer(self.token),
        )  # fmt: skip
        assert got.status_code == 200, got.text
        return dict(got.json())

    def submit(self, team: int, staff: int, price: float, request_id: str | None = None) -> Any:
        levers = {STAFF: staff, PRICE: price}
        return self.client.post(
            f"/api/class/{self.id}/submit", headers=bearer(self.codes[team]),
            json={"round": self.trainer()["current"], "levers": levers, "request_id": request_id},
        )  # fmt: skip

    def wait_done(self, number: int, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.trainer()
            assert not view["failures"], view["failures"]
            if len(view["rounds"]) >= number and view["rounds"][number - 1]["state"] == "done":
                return view
            time.sleep(0.2)
        raise AssertionError(f"round {number} was not simulated in {timeout} s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    db = tmp_path / "class.sqlite"
    with TestClient(create_app(db, tick=0.2), raise_server_exceptions=False) as client:
        yield client, db


def played(client: TestClient) -> Class:
    """A class of three teams (one with a hostile name) with round 1 submitted and played."""
    cls = Class(client, [EVIL, "Blue", "Green"])
    cls.advance(0)
    for team, (staff, price) in enumerate([(2, 1.0), (4, 1.05), (1, 0.95)]):
        assert cls.submit(team, staff, price).status_code == 200
    cls.advance(1)
    cls.wait_done(1)
    return cls


def test_every_wrong_credential_is_refused_alike_and_writes_nothing(
    served: tuple[TestClient, Path],
) -> None:
    client, db = served
    client.app.state.classroom.door = DoorPolicy(limit=10_000)  # type: ignore[attr-defined]
    cls, other = Class(client, ["Red", "Blue"]), Class(client, ["Gold"])
    cls.advance(0)
    team_routes: list[tuple[str, str, Any]] = [
        ("GET", f"/class/{cls.id}/team", None), ("GET", f"/api/class/{cls.id}/status", None),
        ("POST", f"/class/{cls.id}/submit", {"round": "1", f"lever:{STAFF}": "3"}),
        ("POST", f"/api/class/{cls.id}/submit", {"round": 1, "levers": {STAFF: 3}}),
        ("POST", f"/api/class/{cls.id}/join", {}),
        ("GET", f"/class/{cls.id}/my-debrief", None),
        ("GET", f"/class/{cls.id}/my-debrief.pdf", None),
    ]  # fmt: skip
    trainer_routes: list[tuple[str, str, Any]] = [
        ("GET", f"/class/{cls.id}/console", None), ("GET", f"/api/class/{cls.id}/trainer", None),
        ("POST", f"/class/{cls.id}/advance", {"expected_round": "1"}),
        ("POST", f"/api/class/{cls.id}/advance", {"expected_round": 1}),
        ("POST", f"/class/{cls.id}/reopen", {"round": "1"}),
        ("POST", f"/api/class/{cls.id}/reopen", {"round": 1}),
        ("POST", f"/class/{cls.id}/reveal", {}), ("POST", f"/api/class/{cls.id}/reveal", {}),
        ("GET", f"/class/{cls.id}/debrief", None), ("POST", f"/class/{cls.id}/debrief", {}),
        ("GET", f"/class/{cls.id}/debrief.pdf", None),
        ("GET", f"/class/{cls.id}/debrief/team/{cls.team_ids[0]}", None),
        ("GET", f"/class/{cls.id}/debrief/team/{cls.team_ids[0]}.pdf", None),
        ("GET", f"/api/class/{cls.id}/debrief", None),
        ("POST", f"/api/class/{cls.id}/debrief", {}),
    ]  # fmt: skip
    strangers = [None, "ABCD-EFGH", "not a code at all", other.codes[0], other.token]
    before = rows(db)
    for routes, wrong in ((team_routes, [*strangers, cls.token]),
                          (trainer_routes, [*strangers, cls.codes[0], cls.codes[1]])):  # fmt: skip
        for method, path, body in routes:
            answers = set()
            for credential in wrong:
                client.cookies.clear()
                headers = bearer(credential) if credential else {}
                api = path.startswith("/api/")
                got = client.request(method, path, headers=headers, json=body if api else None,
                                     data=None if api else body)  # fmt: skip
                assert got.status_code == 403, (path, credential, got.text)
                answers.add(got.text)
            assert len(answers) == 1, f"{path}: the refusals differ: {answers}"
            assert "This code or token is not valid for this class." in answers.pop()
    assert rows(db) == before
    assert not (db.parent / "class.debriefs").exists()  # no job asked for by a stranger
    # the cookie is a credential as well: another class's code in this class's cookie
    client.cookies.set(f"crm_team_{cls.id}", other.codes[0])
    assert client.get(f"/class/{cls.id}/team").status_code == 403
    assert rows(db) == before


def test_a_team_sees_its_own_results_and_only_the_public_rest(
    served: tuple[TestClient, Path],
) -> None:
    client, _ = served
    cls = played(client)
    stored = cls.trainer()["rounds"][0]["result"]
    for team, code in enumerate(cls.codes):
        view = client.get(f"/api/class/{cls.id}/status", headers=bearer(code)).json()
        mine = str(cls.team_ids[team])
        assert view["rounds"][0]["result"] == stored["teams"][mine]
        assert view["rounds"][0]["public"] == stored["public"]
        others = [
            json.dumps(stored["teams"][str(t)]["kpis"]) for t in cls.team_ids if str(t) != mine
        ]
        text = json.dumps(view)
        assert all(o not in text for o in others) and '"teams"' not in text
        assert "seed" not in view["class"] or view["class"]["seed"] is None
        client.cookies.clear()
        client.cookies.set(f"crm_team_{cls.id}", code)
        page = client.get(f"/class/{cls.id}/team").text
        revenue = stored["teams"][mine]["cumulative"]["revenue"]
        assert f"{revenue:,.0f}" in page
        for t in cls.team_ids:
            if str(t) != mine:
                theirs = stored["teams"][str(t)]["cumulative"]["revenue"]
                assert f"{theirs:,.0f}" not in page
    board = stored["public"]["leaderboard"]
    assert sorted(b["name"] for b in board) == sorted([EVIL, "Blue", "Green"])


def test_hostile_names_and_values_are_shown_as_text(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    cls = played(client)
    client.cookies.set(f"crm_team_{cls.id}", cls.codes[0])
    page = client.get(f"/class/{cls.id}/team").text
    client.cookies.set(f"crm_trainer_{cls.id}", cls.token)
    console = client.get(f"/class/{cls.id}/console").text
    for html in (page, console):
        assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    refused = client.post(f"/class/{cls.id}/submit", data={
        "round": "2", f"lever:{STAFF}": "3", f"lever:{PRICE}": '"><img src=x onerror=alert(2)>',
    })  # fmt: skip
    assert refused.status_code == 400
    assert "<img src=x" not in refused.text and "&lt;img src=x onerror=alert(2)&gt;" in refused.text
    # data for the page's script cannot close its block
    block = str(json_script({"name": "</script><script>alert(3)</script>"}, 'x"y'))
    assert block.count("</script>") == 1 and block.endswith("</script>")
    assert 'id="x&#34;y"' in block
    assert json.loads(block.split(">", 1)[1].rsplit("<", 1)[0]) == {
        "name": "</script><script>alert(3)</script>"
    }


def test_refused_decisions_name_field_value_and_range(served: tuple[TestClient, Path]) -> None:
    client, db = served
    cls = Class(client, ["Red", "Blue"])
    cls.advance(0)
    before = rows(db)["decisions"]
    client.cookies.set(f"crm_team_{cls.id}", cls.codes[0])
    form = {"round": "1", f"lever:{STAFF}": "99", f"lever:{PRICE}": "1.0"}
    got = client.post(f"/class/{cls.id}/submit", data=form)
    assert got.status_code == 400
    problem = re.findall(r'<li data-testid="problem">(.*?)</li>', got.text)
    assert len(problem) == 1 and STAFF in problem[0] and "99" in problem[0]
    assert "a whole number from 1 to 6" in problem[0]
    assert 'value="99"' in got.text  # the form keeps what was typed
    got = client.post(f"/class/{cls.id}/submit", data={**form, f"lever:{STAFF}": "two"})
    assert got.status_code == 400 and "not a number" in got.text
    api = client.post(f"/api/class/{cls.id}/submit", headers=bearer(cls.codes[1]),
                      json={"round": 1, "levers": {STAFF: 3, PRICE: 2.5}})  # fmt: skip
    assert api.status_code == 400
    assert api.json()["problems"][0]["field"] == PRICE
    assert api.json()["problems"][0]["allowed"] == "a number from 0.9 to 1.1"
    missing = client.post(f"/api/class/{cls.id}/submit", headers=bearer(cls.codes[1]),
                          json={"round": 1, "levers": {STAFF: 3}})  # fmt: skip
    assert missing.status_code == 400 and PRICE in missing.text
    closed = client.post(f"/api/class/{cls.id}/submit", headers=bearer(cls.codes[1]),
                         json={"round": 2, "levers": {STAFF: 3, PRICE: 1.0}})  # fmt: skip
    assert closed.status_code == 400 and "not open" in closed.text
    assert rows(db)["decisions"] == before
    bad = client.post("/api/classes", json={"name": "x", "scenario": "nope", "config": CONFIG,
                                            "teams": ["a"]})  # fmt: skip
    assert bad.status_code == 400 and "baseline" in bad.json()["problems"][0]["allowed"]
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/?lang=fr").status_code == 400
    # The server's own refusals are worded like the routes': keyed, in the page language.
    lost = client.get("/api/no/such/route")
    assert lost.status_code == 404
    assert lost.json()["problems"][0]["key"] == "classroom.error.not_found"
    zh = client.get("/no/such/page?lang=zh")
    assert zh.status_code == 404
    assert _problems(zh.text) == [catalogue("zh")("classroom.error.not_found")]
    as_json = {**bearer(cls.codes[0]), "content-type": "application/json"}
    garbled = client.post(f"/api/class/{cls.id}/submit", headers=as_json, content=b"{not json")
    assert garbled.status_code == 400
    assert garbled.json()["problems"][0]["key"] == "classroom.refused.body_json"
    huge = client.post(f"/api/class/{cls.id}/submit", headers=bearer(cls.codes[0]),
                       json={"pad": "x" * (300 * 1024)})  # fmt: skip
    assert huge.status_code == 400 and huge.json()["problems"][0]["fields"] == {"limit": 262144}


def test_a_decision_sent_twice_is_stored_once(served: tuple[TestClient, Path]) -> None:
    client, db = served
    cls = Class(client, ["Red"])
    cls.advance(0)
    first, again = (cls.submit(0, 3, 1.0, request_id="r-1").json() for _ in "ab")
    assert first == again and first["revision"] == 1
    assert cls.submit(0, 4, 1.0, request_id="r-2").json()["revision"] == 2
    assert len(rows(db)["decisions"]) == 2


def test_an_advance_clicked_twice_closes_and_simulates_once(
    served: tuple[TestClient, Path],
) -> None:
    client, _ = served
    cls = Class(client, ["Red", "Blue"])
    cls.advance(0)
    assert cls.submit(0, 3, 1.0).status_code == 200
    states: list[dict[str, Any]] = []
    clicks = [threading.Thread(target=lambda: states.append(cls.advance(1))) for _ in range(4)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert sorted(s["changed"] for s in states) == [False, False, False, True]
    assert {s["current"] for s in states} == {2}
    view = cls.wait_done(1)
    assert cls.advance(1)["changed"] is False  # and once done, still a no-op
    time.sleep(0.5)
    actions = [(e["action"], e["round"]) for e in cls.trainer()["events"]]
    assert actions.count(("advance", 1)) == 1 and actions.count(("result", 1)) == 1
    assert view["rounds"][1]["state"] == "open"


def test_the_rate_limit_engages_and_spares_a_known_code(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    cls = Class(client, ["Red", "Blue"])
    status = f"/api/class/{cls.id}/status"
    assert client.get(status, headers=bearer(cls.codes[0])).status_code == 200  # seen once
    refused = [client.get(status, headers=bearer("WXYZ-2345")).status_code for _ in range(10)]
    assert refused == [403] * 10
    throttled = client.get(status, headers=bearer("WXYZ-2346"))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    (slow,) = throttled.json()["problems"]
    wait = int(throttled.headers["Retry-After"])
    assert (slow["key"], slow["fields"]) == ("classroom.error.slow_down", {"seconds": wait})
    assert slow["message"] == f"Too many wrong codes for this class; try again in {wait} seconds."
    # a right code never seen before waits too (a guesser cannot tell it from a wrong one)
    assert client.get(status, headers=bearer(cls.codes[1])).status_code == 429
    assert client.get(status, headers=bearer(cls.codes[0])).status_code == 200
    other = Class(client, ["Gold"])  # another class is not affected
    assert client.get(f"/api/class/{other.id}/status", headers=bearer(other.codes[0])).is_success


def test_pages_join_submit_and_speak_chinese(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    cls = Class(client, ["Red"])
    cls.advance(0)
    joined = client.post("/join", data={"class_id": str(cls.id), "code": cls.codes[0].lower()},
                         follow_redirects=False)  # fmt: skip
    assert joined.status_code == 303
    cookie = joined.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get(f"/class/{cls.id}/team").text
    request_id = re.search(r'name="request_id" value="(\w+)"', page).group(1)  # type: ignore[union-attr]
    form = {"round": "1", "request_id": request_id, f"lever:{STAFF}": "3", f"lever:{PRICE}": "1"}
    for _ in range(2):  # a browser sending the form twice stores it once
        done = client.post(f"/class/{cls.id}/submit", data=form)
        assert done.status_code == 200 and 'data-testid="stored"' in done.text
    assert len(cls.trainer()["decisions"]) == 1
    chinese = client.get(f"/class/{cls.id}/team?lang=zh").text
    assert "提交决策" in chinese and "第 1 回合" in chinese
    assert "提交决策" in client.get(f"/class/{cls.id}/team").text  # the choice is remembered
    assert client.get("/new").status_code == 200 and "创建班级" in client.get("/new").text


def _problems(html: str) -> list[str]:
    return re.findall(r'<li data-testid="problem">(.*?)</li>', html)


def test_refusals_speak_the_page_language_and_the_api_gives_their_keys(
    served: tuple[TestClient, Path],
) -> None:
    from sim.classroom.setup import ClassSetup, round_cost
    from sim.scenario import dump_yaml, load_scenario

    client, db = served
    setup = ClassSetup.from_class(dump_yaml(load_scenario("baseline")), CONFIG, 0)
    budget = round_cost(setup, {STAFF: 3})  # three staff fit the budget, four do not
    over = round(round_cost(setup, {STAFF: 4}), 2)
    made = client.post("/api/classes", json={"name": "Friday", "scenario": "baseline",
                                             "config": {**CONFIG, "budget": budget},
                                             "teams": ["Red"]})  # fmt: skip
    assert made.status_code == 201, made.text
    class_id, code = made.json()["class_id"], made.json()["teams"][0]["code"]
    token = made.json()["trainer_token"]
    assert client.post(f"/api/class/{class_id}/advance", json={"expected_round": 0},
                       headers=bearer(token)).status_code == 200  # fmt: skip
    client.cookies.set(f"crm_team_{class_id}", code)
    forms = {
        "range": {f"lever:{STAFF}": "9", f"lever:{PRICE}": "1.0"},
        "missing": {f"lever:{STAFF}": "3"},  # no price field sent at all
        "budget": {f"lever:{STAFF}": "4", f"lever:{PRICE}": "1.0"},
    }
    shown = {
        "zh": {
            "range": f"<code>{STAFF}</code> = <code>9</code>: 超出范围"
                     " (允许的值：1 到 6 之间的整数)",
            "missing": f"<code>levers</code>: 一份决策须给出所有开放的杠杆；缺少：{PRICE}",
            "budget": f"<code>budget</code> = <code>{over!r}</code>: 超出每回合预算"
                      f" (允许的值：每回合最多 {budget:,.2f})",
        },
        "en": {
            "range": f"<code>{STAFF}</code> = <code>9</code>: out of range"
                     " (allowed: a whole number from 1 to 6)",
            "missing": f"<code>levers</code>: a decision names every open lever; missing: {PRICE}",
            "budget": f"<code>budget</code> = <code>{over!r}</code>: over the round budget"
                      f" (allowed: at most {budget:,.2f} a round)",
        },
    }  # fmt: skip
    before = rows(db)["decisions"]
    for lang, expected in shown.items():
        for case, form in forms.items():
            got = client.post(f"/class/{class_id}/submit?lang={lang}", data={"round": "1", **form})
            assert got.status_code == 400
            assert _problems(got.text) == [expected[case]], (lang, case)
    assert rows(db)["decisions"] == before
    # the API answers in English whatever the page language, with the keys to translate it
    api = client.post(f"/api/class/{class_id}/submit?lang=zh", headers=bearer(code),
                      json={"round": 1, "levers": {STAFF: 9, PRICE: 1.0}})  # fmt: skip
    assert api.status_code == 400
    assert api.json()["problems"] == [{
        "field": STAFF, "value": "9", "message": "out of range",
        "allowed": "a whole number from 1 to 6", "key": "classroom.refused.out_of_range",
        "allowed_key": "classroom.allowed.whole_range", "fields": {"low": 1, "high": 6},
    }]  # fmt: skip
    broke = client.post(f"/api/class/{class_id}/submit", headers=bearer(code),
                        json={"round": 1, "levers": {STAFF: 4, PRICE: 1.0}})  # fmt: skip
    assert broke.json()["problems"][0]["fields"] == {"budget": budget}
    denied = client.get(f"/api/class/{class_id}/status?lang=zh", headers=bearer("WXYZ-2345"))
    assert denied.status_code == 403 and denied.json()["problems"] == [{
        "field": "", "value": None, "message": "This code or token is not valid for this class.",
        "allowed": None, "key": "classroom.error.denied", "allowed_key": None, "fields": {},
    }]  # fmt: skip
    client.cookies.clear()
    page = client.get(f"/class/{class_id}/team?lang=zh", headers=bearer("WXYZ-2345"))
    assert page.status_code == 403 and "此代码或令牌对该班级无效。" in page.text
    # a trainer's class settings refused in Chinese too
    new = client.post("/new?lang=zh", data={"name": "x", "scenario": "baseline", "rounds": "0",
                                            "teams": "Gold"})  # fmt: skip
    assert new.status_code == 400
    rounds = "<code>rounds</code> = <code>0</code>: 回合数无效 (允许的值：1 到 100)"
    assert _problems(new.text) == [rounds]
