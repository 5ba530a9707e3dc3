"""The front desk of the classroom server: who is asking, in which language, and the door.

Every handler of the server (:mod:`sim.classroom.routes` for the teams,
:mod:`sim.classroom.console` for the trainer) shares one :class:`Classroom`: the class file,
the back office, the rate limit and the default language. The credential of a request is
read in one place (:func:`presented`: the ``Authorization: Bearer`` header, else the
class's cookie) and every store call that takes it goes through :meth:`Classroom.guard`,
which applies the rate limit of :mod:`sim.classroom.limits` and counts the refusals.

A JSON route is wrapped in :func:`api`, so that whatever it refuses (a wrong credential, the
rate limit, input out of place) answers as JSON with each problem's English words and its
catalogue key and fields (:func:`sim.classroom.said.problem_json`), whatever the page
language: a script translates from the keys, and the documented English stays as it was.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sim.classroom.credentials import AccessDenied
from sim.classroom.limits import DoorPolicy
from sim.classroom.said import NO_VALUE, problem_json, problems_of, said
from sim.classroom.schema import InvalidInput
from sim.classroom.store import ClassStore
from sim.classroom.worker import Worker
from sim.errors import UserError
from sim.i18n import DEFAULT_LANG, LANGS, check_lang

__all__ = [
    "COOKIE_AGE",
    "Classroom",
    "Form",
    "Handler",
    "Throttled",
    "api",
    "cookie_name",
    "page_lang",
    "presented",
    "refused_json",
]

#: A request body as a handler sees it: JSON as given, a form's fields as lists of strings.
Form = dict[str, Any]

#: How long a login cookie lasts, in seconds: a long teaching day.
COOKIE_AGE = 12 * 3600

#: A route's work, run in a thread: the shared state, the request and its body.
Handler = Callable[["Classroom", Request, Form], Response]


class Throttled(UserError):
    """Too many failed credentials for a class lately; says how long to wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, round(seconds + 0.5))
        self.problems = [said("", NO_VALUE, "classroom.error.slow_down", seconds=self.seconds)]
        super().__init__(self.problems[0].message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.seconds,))


def refused_json(err: UserError) -> JSONResponse:
    """A refusal as the JSON API answers it: 403 a credential, 429 the rate limit, else 400.

    The body is ``{"error": the English message, "problems": [...]}``, one entry per problem
    (:func:`sim.classroom.said.problem_json`); a throttled answer says ``Retry-After``.
    """
    problems = problems_of(err)
    status = 403 if isinstance(err, AccessDenied) else 429 if isinstance(err, Throttled) else 400
    headers = {"Retry-After": str(err.seconds)} if isinstance(err, Throttled) else {}
    body = {"error": problems[0].message if len(problems) == 1 else str(err),
            "problems": [problem_json(p) for p in problems]}  # fmt: skip
    return JSONResponse(body, status_code=status, headers=headers)


def api(handler: Handler) -> Handler:
    """``handler`` as a JSON route: what it refuses comes back as :func:`refused_json`."""

    @functools.wraps(handler)
    def answer(app: Classroom, request: Request, form: Form) -> Response:
        try:
            return handler(app, request, form)
        except UserError as err:
            return refused_json(err)

    return answer


def cookie_name(kind: str, class_id: int) -> str:
    """The cookie holding a class's ``trainer`` token or ``team`` code."""
    return f"crm_{kind}_{class_id}"


def presented(request: Request, kind: str, class_id: int) -> str:
    """The credential of a request: the ``Authorization: Bearer`` header, else the cookie."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(cookie_name(kind, class_id), "")


def page_lang(request: Request, default: str) -> str:
    """The page's language: ``?lang=``, else the remembered choice, else the server's."""
    asked = request.query_params.get("lang")
    if asked is not None:
        return check_lang(asked, "lang")
    kept = request.cookies.get("crm_lang")
    return kept if kept in LANGS else default


class Classroom:
    """What every handler shares: the store, the back office, the door and the language.

    Args:
        store: the class file.
        lang: the language of a page nobody chose one for.
        tick: seconds between the back office's clock ticks.
    """

    def __init__(self, store: ClassStore, lang: str = DEFAULT_LANG, tick: float = 1.0) -> None:
        self.store = store
        self.lang = check_lang(lang)
        self.worker = Worker(store, tick)
        self.door = DoorPolicy()
        self._worlds: dict[int, tuple[str, dict[str, Any]]] = {}
        self._controls: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def guard(self, class_key: object, credential: str, call: Callable[[], Any]) -> Any:
        """Run ``call`` (a store method given ``credential``) behind the rate limit.

        Raises:
            Throttled: the class is over its budget of failed checks.
            AccessDenied: the store refused the credential (counted against the class).
        """
        key = str(class_key)[:24]
        wait = self.door.wait_seconds(key, credential)
        if wait:
            raise Throttled(wait)
        try:
            out = call()
        except AccessDenied:
            self.door.failed(key)
            raise
        except UserError:  # the credential passed; the input was refused after it
            self.door.passed(key, credential)
            raise
        self.door.passed(key, credential)
        return out

    def world(self, class_id: int) -> tuple[str, dict[str, Any]]:
        """A class's stored scenario text and settings (never change once created).

        The server's own read for the world functions; call it only after the request's
        credential has passed the store.
        """
        with self._lock:
            if class_id in self._worlds:
                return self._worlds[class_id]
        try:
            world = self.store.class_world(class_id)
        except InvalidInput:
            raise AccessDenied() from None
        with self._lock:
            self._worlds[class_id] = world
        return world

    def controls(self, class_id: int, lang: str) -> list[dict[str, Any]]:
        """The open levers of a class as form controls (:func:`world.lever_controls`)."""
        with self._lock:
            if (class_id, lang) in self._controls:
                return self._controls[(class_id, lang)]
        from sim.classroom import world

        scenario, config = self.world(class_id)
        made = world.lever_controls(scenario, config, lang)
        with self._lock:
            self._controls[(class_id, lang)] = made
        return made
