"""The dashboard without internet: the page renders from this machine alone.

The server runs with no route out (see ``conftest.py``); the page must render a widget with
every request answered on loopback. The command line's own checks (a taken port, a bad
language or scenario, assets that cannot be fetched) run in a child process, because the
server configures Solara for the whole process it runs in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.dashboard.server import dashboard_url

pytestmark = pytest.mark.xdist_group("browser")

#: Solara's Vue bundle: every page loads it through the asset proxy, so its request shows
#: that the assets really came from the local cache (and not, say, a page that errored).
BUNDLE = "/_solara/cdn/@widgetti/solara-vuetify-app@"


def test_the_page_renders_with_every_request_on_loopback(
    dashboard_server: str, page: Any, traffic: Any, shot: Any
) -> None:
    page.goto(f"{dashboard_server}/?lang=zh")
    widget = page.locator(".v-application .v-btn, .v-application .v-input").first
    widget.wait_for(state="visible", timeout=60_000)
    traffic.settle(page)
    shot(page, "offline-page")
    assert any(BUNDLE in url for url in traffic.requests), traffic.requests
    traffic.assert_offline()


CLI_CHECKS = r"""
import json, socket, typer
from typer.testing import CliRunner
from sim.cli.dashboard import dashboard_command
from sim.cli.text import friendly

app = typer.Typer()
app.command()(friendly(dashboard_command))
taken = socket.socket()
taken.bind(("127.0.0.1", 0))
taken.listen()
port = str(taken.getsockname()[1])
runs = {
    "lang": ["--lang", "fr", "--no-open"],
    "scenario": ["no_such_lesson", "--no-open"],
    "port": ["--port", port, "--no-open"],
    "assets": ["--port", "0", "--no-open"],
}
done = {}
for name, args in runs.items():
    result = CliRunner().invoke(app, args)
    done[name] = [result.exit_code, " ".join(result.output.split())]
print(json.dumps({"port": port, "runs": done}))
"""


def test_the_command_names_what_to_fix_before_serving(
    tmp_path: Path, repo_root: Path, offline_env: Callable[..., dict[str, str]]
) -> None:
    empty_cache = tmp_path / "cdn"
    env = offline_env(SOLARA_ASSETS_PROXY_CACHE_DIR=str(empty_cache))
    child = subprocess.run(
        [sys.executable, "-c", CLI_CHECKS],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    found = json.loads(child.stdout.splitlines()[-1])
    runs = found["runs"]
    assert {name: code for name, (code, _) in runs.items()} == dict.fromkeys(runs, 2)
    assert "unknown language 'fr'" in runs["lang"][1]
    assert "no_such_lesson" in runs["scenario"][1]
    assert f"port {found['port']} on 127.0.0.1 is taken" in runs["port"][1]
    assert "python -m sim.dashboard.assets" in runs["assets"][1]
    assert not empty_cache.exists() or not any(empty_cache.iterdir())


def test_the_address_carries_scenario_and_language() -> None:
    assert dashboard_url("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert dashboard_url("127.0.0.1", 8765, lang="zh") == "http://127.0.0.1:8765/?lang=zh"
    assert (
        dashboard_url("::1", 80, "my lesson.yaml", "en")
        == "http://[::1]:80/?scenario=my+lesson.yaml&lang=en"
    )
