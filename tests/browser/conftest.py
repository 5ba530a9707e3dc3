"""Browser fixtures: the dashboard served offline, and Debian's chromium driven by Playwright.

``dashboard_server`` runs the dashboard as ``crmsim dashboard`` does, in its own process,
with every proxy variable (and Solara's CDN address) pointed at a closed loopback port: a
page that needed the internet would fail here as it fails in a classroom without one. The
``page`` fixture records every request the page makes and fails the test if one of them
left this machine. Screenshots are kept under ``out/test-artifacts/browser/`` (``shot``;
one is taken of every failed test, named after it).

Every test in this folder joins the ``browser`` xdist group, so with ``--dist loadgroup``
they share one worker, one server and one browser. A missing chromium is a failure that
says what to run, never a skip: a skipped browser test looks like a passing one.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "out" / "test-artifacts" / "browser"

#: Chromium without the calls home a fresh profile makes (updates, sync, safe browsing).
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The discard port on loopback: nothing listens, so a connection there is refused at once.
CLOSED = "http://127.0.0.1:9"

#: Hosts a request may go to; ``data:``, ``blob:`` of these and ``about:`` stay local too.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

NO_BROWSER = "chromium is not installed: run scripts/ensure_browser.sh"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every test of this folder in the ``browser`` xdist group."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so ``page`` knows whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def no_route_out(**extra: str) -> dict[str, str]:
    """This environment with no route to the internet for Python code that honours proxies.

    ``requests`` and ``urllib`` (Solara's asset proxy, its telemetry, our asset fill) send
    everything but loopback to the closed port; Solara's CDN address is that port as well.
    """
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = CLOSED
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env["SOLARA_ASSETS_CDN"] = f"{CLOSED}/npm/"
    env["CRMSIM_NPM_REGISTRY"] = CLOSED
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def offline_env() -> Callable[..., dict[str, str]]:
    """``offline_env(NAME=value, ...)``: an environment with no route out (and these set)."""
    return no_route_out


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    """Whether ``url`` answers 200, asked directly (never through a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log, for a failure message."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Served:
    """A dashboard server started for the tests: its address, process and log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(
    code: str, port: int, log: Path, timeout: float = 90, env: dict[str, str] | None = None
) -> Served:
    """Run ``python -c code`` (which serves on ``port``) and wait until ``/`` answers."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=env or no_route_out(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not answers(url + "/"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"the dashboard server did not start; its log ({log}):\n{tail(log)}")
        time.sleep(0.25)
    return Served(url, process, log)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server this module started."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def dashboard_server() -> Iterator[str]:
    """The dashboard served offline on a free loopback port; yields its base URL.

    The assets come from the cache ``make`` filled; when they are missing they are fetched
    here, in the test process (the server itself has no route out).
    """
    from sim.dashboard import assets

    if assets.missing():
        try:
            assets.fill()
        except assets.AssetError as exc:
            pytest.fail(f"{exc}; run `.venv/bin/python -m sim.dashboard.assets`", pytrace=False)
    port = free_port()
    code = (
        "from sim.cli.dashboard import dashboard_command\n"
        f"dashboard_command(None, port={port}, no_open=True)\n"
    )
    served = start_server(code, port, ARTIFACTS / "dashboard-server.log")
    yield served.url
    stop(served.process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched once for the session."""
    executable = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if executable is None:
        pytest.fail(NO_BROWSER, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield launched
        launched.close()


def is_local(url: str) -> bool:
    """Whether a request to ``url`` stays on this machine."""
    scheme, _, rest = url.partition(":")
    if scheme in ("data", "about"):
        return True
    if scheme == "blob":
        return is_local(rest)
    host = urllib.parse.urlsplit(url).hostname or ""
    return scheme in ("http", "https", "ws", "wss") and (host in LOOPBACK or host == "::1")


@dataclass
class Traffic:
    """Every request one page made, the failed ones, and those still under way."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pending: set[Any] = field(default_factory=set)

    def attach(self, page: Any) -> None:
        """Record ``page``'s requests from now on."""
        page.on("request", self._sent)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)
        page.on("response", self._answered)

    def _sent(self, request: Any) -> None:
        self.requests.append(request.url)
        self.pending.add(request)

    def _finished(self, request: Any) -> None:
        self.pending.discard(request)

    def _failed(self, request: Any) -> None:
        self.pending.discard(request)
        self.failed.append(f"{request.url} ({request.failure})")

    def _answered(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def outside(self) -> list[str]:
        """The requests that left this machine."""
        return [url for url in self.requests if not is_local(url)]

    def settle(self, page: Any, timeout_ms: float = 30_000) -> None:
        """Wait until no request of the page is under way (slow asset misses included)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(100)

    def assert_offline(self) -> None:
        """Fail unless every request stayed on loopback and none failed or hung."""
        assert not self.outside(), f"requests left this machine: {self.outside()}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.pending, f"requests never answered: {[r.url for r in self.pending]}"


def shot_name(name: str) -> str:
    """A file name for a screenshot called ``name``."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "shot"


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, name)`` saves a full-page PNG under out/test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{shot_name(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def traffic() -> Traffic:
    """What the test's ``page`` requested (see :class:`Traffic`)."""
    return Traffic()


@pytest.fixture
def page(
    browser: Any, traffic: Traffic, request: pytest.FixtureRequest, shot: Callable[[Any, str], Path]
) -> Iterator[Any]:
    """A page in a fresh browser context, its requests recorded in ``traffic``.

    After the test: a screenshot if it failed, and a failure if any request left loopback.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    traffic.attach(new_page)
    yield new_page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        shot(new_page, f"FAILED-{request.node.name}")
    context.close()
    if traffic.outside():
        pytest.fail(f"requests left this machine: {traffic.outside()}", pytrace=False)
