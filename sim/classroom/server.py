"""The classroom server: one Starlette app in front of one class file, and its back office.

``crmsim classroom serve`` runs :func:`serve`: a uvicorn server on this machine (loopback by
default; ``--host 0.0.0.0`` for a classroom network) whose pages are the trainer's console,
the teams' decision pages and a JSON API under ``/api/`` for scripts (the load test, the
restart test). Starting it also starts the back office (:mod:`sim.classroom.worker`),
which first simulates whatever a crash left closed without a result.

The door, for every request that touches a class:

- **The credential comes with every request**: an ``HttpOnly``, ``SameSite=Strict`` cookie
  set when the team joins or the trainer logs in (per class, so one browser can hold a
  trainer's console and a team page), or an ``Authorization: Bearer …`` header for the API.
  The handler hands it to the store, which checks it; the server never decides who is who.
- **One refusal for every wrong credential** (no class, no team, another team's code, a
  team code on a trainer route): HTTP 403 with the same words, and nothing written.
- **A rate limit per class** on failed checks (:mod:`sim.classroom.limits`), answered 429.
- **Every refusal of input is a page, not a traceback**: the field, the value and what is
  allowed, HTTP 400; an unexpected error is a 500 page, and the server keeps serving.
- **Only the store touches the file.** Handlers call :class:`ClassStore` methods with the
  request's values as arguments; the methods the simulation and the clock use
  (``record_result``, ``round_inputs``, ``pending_results``, ``advance_due``) are called
  by the worker alone, never from a route.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from sim.classroom.credentials import AccessDenied
from sim.classroom.frontdesk import Classroom, Form, Handler, Throttled, page_lang, refused_json
from sim.classroom.pages import problems_of, render
from sim.classroom.said import NO_VALUE, said
from sim.classroom.schema import InvalidInput
from sim.classroom.store import ClassStore
from sim.dashboard.server import bind
from sim.errors import Problem, UserError
from sim.i18n import DEFAULT_LANG

__all__ = ["MAX_BODY", "create_app", "endpoint", "serve"]

#: The largest request body read, in bytes (a decision is a few hundred).
MAX_BODY = 256 * 1024

_log = logging.getLogger("crmsim.classroom")


def _form(raw: bytes, content_type: str) -> Form:
    """A request body as a mapping: JSON as given; a form's fields as lists of strings."""
    if content_type.startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise InvalidInput([said("", NO_VALUE, "classroom.refused.body_json")]) from None
        if not isinstance(body, dict):
            raise InvalidInput([said("", NO_VALUE, "classroom.refused.body_object")])
        return body
    from urllib.parse import parse_qsl

    fields: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(key, []).append(value)
    return fields


def endpoint(app: Classroom, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A route: the body read (at most :data:`MAX_BODY`), the handler run in a thread.

    Store calls wait on SQLite's lock and fsync, so they run in the thread pool, never on
    the event loop that answers everyone else.
    """

    async def run(request: Request) -> Response:
        form: Form = {}
        if request.method == "POST":
            raw = b""
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > MAX_BODY:
                    raise InvalidInput(
                        [said("", NO_VALUE, "classroom.refused.body_size", limit=MAX_BODY)]
                    )
            form = _form(raw, request.headers.get("content-type", ""))
        return await run_in_threadpool(handler, app, request, form)

    return run


def _refusal(request: Request, app: Classroom, exc: Exception) -> Response:
    """The answer to any error a route let through: a page or JSON, never a traceback.

    Every problem carries its catalogue key, so a page writes it in the page's language
    and the JSON API answers as its routes do (:func:`~sim.classroom.frontdesk.refused_json`).
    """
    try:
        lang = page_lang(request, app.lang)
    except UserError:
        lang = app.lang
    if isinstance(exc, HTTPException):
        exc = _Refused(exc.status_code, [said("", NO_VALUE, "classroom.error.not_found")])
    elif not isinstance(exc, UserError):
        _log.error("request %s failed", request.url.path, exc_info=exc)
        problem = said("", NO_VALUE, "dash.error.internal", error=type(exc).__name__)
        exc = _Refused(500, [problem])
    if request.url.path.startswith("/api/"):
        answer = refused_json(exc)
        if isinstance(exc, _Refused):
            answer.status_code = exc.status
        return answer
    status = (exc.status if isinstance(exc, _Refused) else 403 if isinstance(exc, AccessDenied)
              else 429 if isinstance(exc, Throttled) else 400)  # fmt: skip
    headers = {"Retry-After": str(exc.seconds)} if isinstance(exc, Throttled) else {}
    return render("error.html", lang, status, headers, problems=problems_of(exc))


class _Refused(UserError):
    """A refusal with its HTTP status: a page not found, or a server error, worded."""

    def __init__(self, status: int, problems: list[Problem]) -> None:
        self.status, self.problems = status, problems
        super().__init__(problems[0].message)


def _static(name: str, media: str) -> Callable[[Request], Awaitable[Response]]:
    body = (resources.files("sim.classroom") / "templates" / name).read_bytes()

    async def serve_file(request: Request) -> Response:
        return Response(body, media_type=media, headers={"Cache-Control": "max-age=3600"})

    return serve_file


def _echarts_file() -> Path | None:
    """ECharts from the dashboard's offline asset cache (:mod:`sim.dashboard.assets`)."""
    from sim.dashboard import assets

    try:
        found = [p for p in assets.packages() if p.name == "echarts"]
    except UserError:
        return None
    if not found:
        return None
    path = assets.default_cache_dir() / found[0].spec / "dist" / "echarts.min.js"
    return path if path.is_file() else None


def create_app(
    db: str | os.PathLike[str], lang: str = DEFAULT_LANG, tick: float = 1.0
) -> Starlette:
    """The classroom app on the class file ``db`` (created if missing), back office included.

    The back office starts and stops with the app (its lifespan), so a test client or a
    uvicorn server running the app runs the clock and the simulations too.
    """
    from sim.classroom import console, routes

    app_state = Classroom(ClassStore(db), lang, tick)
    echarts = _echarts_file()

    async def echarts_js(request: Request) -> Response:
        if echarts is None:
            raise HTTPException(404)
        return FileResponse(echarts, media_type="text/javascript")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app_state.worker.start()
        try:
            yield
        finally:
            await run_in_threadpool(app_state.worker.stop)
            app_state.store.close()

    table = [
        Route(path, endpoint(app_state, handler), methods=methods)
        for path, handler, methods in [*routes.ROUTES, *console.ROUTES]
    ]
    table += [
        Route("/static/echarts.min.js", echarts_js),
        Route("/static/page.js", _static("page.js", "text/javascript")),
        Route("/static/style.css", _static("style.css", "text/css")),
    ]

    async def refuse(request: Request, exc: Exception) -> Response:
        return _refusal(request, app_state, exc)

    app = Starlette(
        routes=table,
        lifespan=lifespan,
        exception_handlers={Exception: refuse, HTTPException: refuse, UserError: refuse},
    )
    app.state.classroom = app_state
    return app


def serve(db: Path, host: str = "127.0.0.1", port: int = 8765, lang: str = DEFAULT_LANG) -> None:
    """Serve the classroom on ``host:port`` until interrupted; prints the address first.

    Raises:
        UserError: the port is taken, or the class file cannot be opened.
    """
    import uvicorn

    sock = bind(host, port)
    try:
        app = create_app(db, lang)
    except Exception:
        sock.close()
        raise
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(
        f"CRM Sandbox classroom at http://{shown}:{port}/  (class file {db}; Ctrl+C stops it)\n"
    )
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
