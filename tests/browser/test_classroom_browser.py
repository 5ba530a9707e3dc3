"""A class in real browsers: a trainer and three teams, two rounds, the debrief, two languages.

The server is ``crmsim classroom serve`` in its own process with no route out; the trainer
drives the console in one browser context and each team its own page in another (separate
cookies, as separate laptops). Everything is done through the pages: creating the class,
joining with the codes it shows, submitting the levers, advancing; then the leaderboard, the
team's charts (drawn by ECharts, served offline), the debrief (prepared in the back office
while its page shows the progress, then opened and downloaded as PDF; each team's own pages
once the seed is revealed) and the grade CSV, and the same pages in Chinese. A 200-customer
world with two periods a round keeps it short.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sim.i18n import catalogue

pytestmark = pytest.mark.xdist_group("browser")

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "out" / "test-artifacts" / "browser"
TEAMS = ["Red", "Blue", "<b>Green</b>"]
STAFF = "strategy.service.staff"
TIMEOUT = 120_000


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory,
              offline_env: Callable[..., dict[str, str]]) -> Iterator[str]:  # fmt: skip
    """The classroom server on a free loopback port and a fresh class file."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = tmp_path_factory.mktemp("classroom") / "class.sqlite"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "classroom-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "classroom", "serve", "--db", str(db),
             "--port", str(port)],
            cwd=REPO, env=offline_env(), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/", timeout=2, trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the classroom server did not start:\n{log.read_text()}")
        time.sleep(0.25)
    yield url
    server.terminate()
    server.wait(15)


def hook(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid="{name}"]')


def reload(page: Any) -> None:
    """Load the page again. A page that is simulating refreshes itself (a meta refresh); if
    that fires at the same moment it aborts this reload and loads the page itself."""
    from playwright.sync_api import Error

    try:
        page.reload()
    except Error as err:
        if "ERR_ABORTED" not in str(err):
            raise
        page.wait_for_load_state("load")


def results_of(page: Any, number: int) -> None:
    """Reload the team page until round ``number``'s results are shown."""
    heading = catalogue("en")("classroom.team.results", round=number)
    deadline = time.monotonic() + TIMEOUT / 1000
    while heading not in page.content():
        assert time.monotonic() < deadline, f"round {number}'s results never came"
        page.wait_for_timeout(500)
        reload(page)


def test_a_class_of_three_teams_plays_two_rounds(
    classroom: str, page: Any, browser: Any, shot: Any
) -> None:
    page.goto(f"{classroom}/new?lang=en")
    hook(page, "new-name").fill("Browser class")
    hook(page, "new-customers").fill("200")
    hook(page, "new-rounds").fill("2")
    hook(page, "new-periods").fill("2")
    hook(page, "new-teams").fill("\n".join(TEAMS))
    hook(page, "new-submit").click()
    hook(page, "created-token").wait_for()
    shot(page, "classroom-created")
    class_id = hook(page, "created-class-id").inner_text()
    names = hook(page, "code-team").all_inner_texts()
    codes = dict(zip(names, hook(page, "code-value").all_inner_texts(), strict=True))
    assert names == TEAMS  # the hostile name shown as text, not as bold markup
    hook(page, "to-console").click()
    hook(page, "advance").click()
    hook(page, "round-status").and_(page.locator('[data-state="open"]')).wait_for()

    teams = []
    for i, name in enumerate(TEAMS):
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        team = context.new_page()
        team.goto(f"{classroom}/?lang=en")
        hook(team, "join-class").fill(class_id)
        hook(team, "join-code").fill(codes[name].lower())
        hook(team, "join-submit").click()
        hook(team, "decision-form").wait_for()
        hook(team, f"lever-{STAFF}").fill("99")  # refused first: the page says why
        hook(team, "submit").click()
        problem = hook(team, "problem").inner_text()
        assert STAFF in problem and "99" in problem and "a whole number from" in problem
        hook(team, f"lever-{STAFF}").fill(str(1 + i))
        hook(team, "submit").click()
        hook(team, "stored").wait_for()
        teams.append((context, team))
    shot(teams[0][1], "classroom-team-decision")

    reload(page)
    assert hook(page, "team-submitted").all_inner_texts() == ["yes (#1)"] * 3
    shot(page, "classroom-console-submitted")
    hook(page, "advance").click()
    for _, team in teams:
        results_of(team, 1)
        hook(team, f"lever-{STAFF}").fill("3")
        hook(team, "submit").click()
        hook(team, "stored").wait_for()
    reload(page)
    hook(page, "advance").click()
    hook(page, "finished").wait_for()
    for _, team in teams:
        results_of(team, 2)
    red = teams[0][1]
    assert hook(red, "board-row").count() == 3
    assert sorted(hook(red, "board-team").all_inner_texts()) == sorted(
        ["Red (you)", "Blue", "<b>Green</b>"]
    )
    hook(red, "chart-profit").locator("svg").first.wait_for(timeout=TIMEOUT)  # ECharts drew it
    shot(red, "classroom-team-results")
    reload(page)
    assert hook(page, "board-row").count() == 3
    shot(page, "classroom-console-leaderboard")

    # the debrief: prepared in the back office, its progress shown, then opened and downloaded
    en = catalogue("en")
    hook(page, "prepare-debrief").click()
    hook(page, "debrief-state").wait_for()  # the status page, refreshing itself
    shot(page, "classroom-debrief-preparing")
    page.locator("section#class").wait_for(timeout=TIMEOUT)  # the refresh found it ready
    assert en("debrief.title", name="Browser class") in page.content()
    assert page.locator("section.sheet").count() == 1 + len(TEAMS)
    shot(page, "classroom-debrief")
    page.goto(f"{classroom}/class/{class_id}/console")
    assert hook(page, "debrief-team").count() == len(TEAMS)
    with page.expect_download() as download:
        hook(page, "debrief-pdf").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as download:
        hook(page, "grades").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0][0] == "Student" and sorted(r[0] for r in rows[1:]) == sorted(TEAMS)
    assert all(float(r[-1]) == float(r[-1]) for r in rows[1:])  # every score a number

    # the end of the class: the seed revealed, each team opens its own pages
    hook(page, "reveal").click()
    hook(page, "seed").wait_for()
    reload(red)
    hook(red, "my-debrief").click()
    red.locator("section.team").wait_for()
    own = red.locator("section.team").inner_text()
    assert en("debrief.team_title", name="Red") in own
    assert "Blue" not in own and "<b>Green</b>" not in own
    shot(red, "classroom-team-debrief")
    red.go_back()
    with red.expect_download() as download:
        hook(red, "my-debrief-pdf").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    # Chinese: the switch on the page, remembered for the next page
    zh = catalogue("zh")
    red.goto(f"{classroom}/class/{class_id}/team")
    hook(red, "lang-zh").click()
    expect_text = zh("classroom.team.results", round=2)
    red.wait_for_load_state()
    assert expect_text in red.content()
    assert zh("classroom.leaderboard") in hook(red, "leaderboard").inner_text()
    assert zh("kpi.profit") in hook(red, "kpi-table").inner_text()
    reload(red)
    assert zh("classroom.col.rank") in red.content()
    shot(red, "classroom-team-zh")
    hook(page, "lang-zh").click()
    page.wait_for_load_state()
    assert zh("classroom.console.finished") in hook(page, "finished").inner_text()
    shot(page, "classroom-console-zh")
    for context, _ in teams:
        context.close()
