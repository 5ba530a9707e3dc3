"""The dashboard's web server: Solara on this machine's loopback, with nothing fetched online.

``crmsim dashboard`` serves :mod:`sim.dashboard.app` (its ``Page``) the way ``solara run``
does (``solara/__main__.py``: settings first, then a ``uvicorn.Server`` over Solara's
Starlette app), minus what a classroom without internet cannot have: the page's
JavaScript comes from the asset cache that :mod:`sim.dashboard.assets` filled at install,
the production template drops the hidden check-in frame to solara.dev, and telemetry and
the version check are off.

Solara reads its settings when it is first imported (``import solara`` already does), so
:func:`configure` both exports them as environment variables, for a Solara not yet imported,
and writes them onto the settings objects, for one already imported.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import socket
import threading
import time
import urllib.parse
import webbrowser
from pathlib import Path
from typing import Any

from sim.dashboard import assets
from sim.errors import UserError

__all__ = ["APP", "bind", "configure", "dashboard_url", "ensure_assets", "serve"]

#: The Solara app module served; Solara renders its ``Page`` component.
APP = "sim.dashboard.app"


def configure(app: str = APP, cache_dir: Path | None = None) -> Path:
    """Set Solara up for local, offline use before (or after) it is imported.

    Args:
        app: the module whose ``Page`` Solara serves.
        cache_dir: the asset cache (default :func:`sim.dashboard.assets.default_cache_dir`).

    Returns:
        The asset cache folder the server will read.
    """
    cache = Path(cache_dir) if cache_dir is not None else assets.default_cache_dir()
    env = {
        "SOLARA_APP": app,
        # production: minified bundle and no hidden <iframe> to solara.dev in the page
        "SOLARA_MODE": "production",
        # The page is the lesson's, projected in class: no "runs on Solara" banner over it.
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # the proxy answers /_solara/cdn/ from the cache (a miss would go to jsdelivr)
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache),
    }
    os.environ.update(env)
    import solara.settings
    from solara.server import settings as server_settings

    server_settings.main.mode = "production"
    server_settings.theme.show_banner = False
    server_settings.telemetry.mixpanel_enable = False
    server_settings.assets.proxy_cache_dir = cache
    solara.settings.assets.proxy = True
    from solara.server import app as solara_app

    # the module reads SOLARA_APP when first imported; register the app if that was earlier
    if "__default__" not in solara_app.apps:
        solara_app.apps["__default__"] = solara_app.AppScript(app)
    return cache


def ensure_assets(cache: Path) -> None:
    """Fill the asset cache when something is missing; a one-line error if that fails."""
    if not assets.missing(cache):
        return
    try:
        assets.fill(cache, progress=lambda line: assets.say(f"  {line}"))
    except assets.AssetError as exc:
        raise UserError(
            f"the dashboard's browser assets are missing from {cache} and could not be "
            f"fetched ({exc}); run `python -m sim.dashboard.assets` on a machine with "
            "access to registry.npmjs.org (or `make`)"
        ) from None


def dashboard_url(host: str, port: int, scenario: str | None = None, lang: str = "en") -> str:
    """The address to open: ``http://host:port/`` with ``?scenario=…&lang=…`` when given."""
    shown = f"[{host}]" if ":" in host else host
    query = {}
    if scenario is not None:
        query["scenario"] = scenario
    if scenario is not None or lang != "en":
        query["lang"] = lang
    tail = f"?{urllib.parse.urlencode(query)}" if query else ""
    return f"http://{shown}:{port}/{tail}"


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound first so that a taken port is named before a server starts.

    The socket is handed to uvicorn, so no other program can take the port in between.
    ``SO_REUSEADDR`` as uvicorn sets it: a port left in TIME_WAIT by a dashboard just
    stopped is free, one another server listens on is not.
    """
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name such as localhost
        family = socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(
            f"port {port} on {host} is taken ({exc.strerror}); stop the program using it "
            "or choose another with --port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _open_when_up(server: Any, url: str) -> None:
    """Open the browser once uvicorn says it has started (as ``solara run`` does)."""

    def wait_and_open() -> None:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.started:
            webbrowser.open(url)

    threading.Thread(target=wait_and_open, daemon=True).start()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenario: str | None = None,
    lang: str = "en",
    open_browser: bool = True,
    *,
    app: str = APP,
) -> None:
    """Serve the dashboard until interrupted (Ctrl+C).

    Args:
        host: address to listen on; the loopback default keeps the dashboard on this machine.
        port: port to listen on (0: any free port, the one chosen is printed).
        scenario: library name or file the page opens with (passed in the address).
        lang: language of the page (passed in the address).
        open_browser: open the address in the default browser once the server is up.
        app: the module whose ``Page`` is served (tests serve a smaller one).

    Raises:
        UserError: the port is taken, or the browser assets are missing and cannot be
            fetched.
    """
    cache = configure(app)
    sock = bind(host, port)  # first: a dashboard already running is the likeliest error
    try:
        ensure_assets(cache)
    except UserError:
        sock.close()
        raise
    port = sock.getsockname()[1]
    os.environ["SERVER_NAME"] = host  # CGI variables, as `solara run` sets them
    os.environ["SERVER_PORT"] = str(port)

    import uvicorn
    from solara.__main__ import LOGGING_CONFIG
    from solara.server.starlette import app as starlette_app

    url = dashboard_url(host, port, scenario, lang)
    assets.say(f"CRM Sandbox dashboard at {url}  (Ctrl+C stops it)")
    config = uvicorn.Config(
        starlette_app,
        host=host,
        port=port,
        log_config=copy.deepcopy(LOGGING_CONFIG),
        # one worker: the live runs and their sessions live in this process
        workers=1,
    )
    server = uvicorn.Server(config)
    if open_browser:
        _open_when_up(server, url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
