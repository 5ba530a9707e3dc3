"""The teams' side of the classroom server: the front desk, the team page and its API.

A team joins with its class number and the code on its slip; the code is kept in a cookie
for that class and presented again with every request (or, for a script, sent as
``Authorization: Bearer CODE``). The team page shows where the class stands, the open
levers as a form while a round is open, the team's own results once a round is done (its
KPIs, its periods drawn as the dashboard draws them) and the public leaderboard; nothing
of another team's results ever reaches it, because the store's team view holds none.

Once the trainer has revealed the seed (the end of the class), a team opens its own
debrief, HTML or PDF, with its own code: the public leaderboard and its own pages, which
the back office prepared when the trainer asked (:mod:`sim.classroom.debriefs`).

A submission is checked by the world (every open lever, its range, the round's budget)
after the store has accepted the code, so a stranger learns nothing from a validation
message. Each form carries a fresh ``request_id``: a browser that sends it twice stores it
once.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from sim.classroom.credentials import AccessDenied
from sim.classroom.debriefs import DebriefKey
from sim.classroom.frontdesk import api
from sim.classroom.pages import chart_options, kpi_rows, problems_of, render, shown_value
from sim.classroom.said import NO_VALUE, said
from sim.classroom.schema import InvalidInput, refusal
from sim.errors import Problem
from sim.i18n import LANGS, catalogue
from sim.results.display import number

if TYPE_CHECKING:
    from sim.classroom.frontdesk import Classroom, Form

__all__ = [
    "ROUTES",
    "class_state",
    "debrief_response",
    "field",
    "leaderboard_rows",
    "remember",
    "team_page",
]

#: How a served debrief may behave in a browser: its own styles and images, nothing else.
_DEBRIEF_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def field(form: Form, name: str) -> str:
    """The first value of a form field ("" when absent)."""
    value = form.get(name)
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def class_id_of(text: str) -> int:
    """A class number as typed; anything else is refused like a wrong code."""
    cleaned = text.strip()
    if not cleaned.isdigit() or len(cleaned) > 18:
        raise AccessDenied()
    return int(cleaned)


def remember(response: Response, request: Request, kind: str, class_id: int, value: str) -> None:
    """Keep a credential in an HttpOnly, SameSite=Strict cookie for the class."""
    from sim.classroom.frontdesk import COOKIE_AGE, cookie_name

    response.set_cookie(
        cookie_name(kind, class_id), value, max_age=COOKIE_AGE, path="/", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip


def lang_of(app: Classroom, request: Request) -> str:
    """The request's page language (:func:`sim.classroom.frontdesk.page_lang`)."""
    from sim.classroom.frontdesk import page_lang

    return page_lang(request, app.lang)


def page(
    app: Classroom, request: Request, template: str, status: int = 200, **context: Any
) -> Response:
    """A page; a language asked for in the address is remembered in a cookie."""
    lang = lang_of(app, request)
    out = render(template, lang, status, **context)
    if "lang" in request.query_params:
        out.set_cookie("crm_lang", lang, max_age=365 * 86400, path="/", samesite="strict")
    return out


def class_state(rounds: list[Mapping[str, Any]]) -> tuple[int, str, list[int]]:
    """The current round, its state (``lobby`` before round 1), and the rounds simulating."""
    current, state = (rounds[-1]["number"], rounds[-1]["state"]) if rounds else (0, "lobby")
    return current, state, [r["number"] for r in rounds if r["state"] == "closed"]


def leaderboard_rows(public: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The public leaderboard with its numbers written for people."""
    rows = []
    for row in (public or {}).get("leaderboard") or []:
        score, diff = row.get("score"), row.get("diff_from_median")
        rows.append({**row,
                     "score_text": number(float("nan") if score is None else float(score)),
                     "diff_text": number(float("nan") if diff is None else float(diff),
                                         signed=True)})  # fmt: skip
    return rows


def _shown(control: Mapping[str, Any], value: object) -> str:
    if control["kind"] == "choice":
        return json.dumps(value)
    return str(value)


def team_page(
    app: Classroom, request: Request, class_id: int, code: str,
    problems: list[Problem] | None = None, status: int = 200,
    typed: Mapping[str, str] | None = None,
) -> Response:  # fmt: skip
    """The team page (also answering a refused submission, with its problems and 400)."""
    view = app.guard(class_id, code, lambda: app.store.team_view(class_id, code))
    lang = lang_of(app, request)
    t = catalogue(lang)
    rounds = view["rounds"]
    current, state, simulating = class_state(rounds)
    done = [r for r in rounds if r["state"] == "done" and r["result"] is not None]
    own = next((d for d in view["decisions"] if d["round"] == current), None)
    last = done[-1] if done else None
    in_force: Mapping[str, Any] = (own or {}).get("levers") or (last or {}).get("result", {}).get(
        "levers", {}
    )
    controls = []
    if state == "open":
        for c in app.controls(class_id, lang):
            value = (typed or {}).get(c["path"], _shown(c, in_force.get(c["path"], c["value"])))
            pairs = zip(c.get("choices", []), c.get("choice_labels", []), strict=True)
            options = [(json.dumps(v), label) for v, label in pairs]
            controls.append({**c, "shown": value, "options": options})
    labels = {c["path"]: c["label"] for c in app.controls(class_id, lang)}
    team_id = view["team"]["id"]
    result = last["result"] if last else None
    scores = []
    for r in done:
        mine: Mapping[str, Any] = next((b for b in (r["public"] or {}).get("leaderboard", [])
                     if str(b.get("team_id")) == str(team_id)), {})  # fmt: skip
        scores.append((r["number"], number(_num(r["result"].get("score"))), mine.get("rank", "")))
    return page(
        app, request, "team.html", status,
        problems=problems, class_id=class_id, class_name=view["class"]["name"],
        team_name=view["team"]["name"], team_id=team_id, current=current, state=state,
        rounds=view["class"]["config"].get("rounds"), simulating=simulating,
        seed=view["class"]["seed"], stored=own["revision"] if own and state == "open" else None,
        request_id=uuid.uuid4().hex, controls=controls,
        result=result, result_round=last["number"] if last else None,
        kpi_rows=kpi_rows(result, t) if result else [],
        levers_in_force=[(labels.get(p, p), _lever_text(v)) for p, v in
                         ((result or {}).get("levers") or {}).items()],
        scores=scores,
        charts=chart_options(result.get("periods") or [], lang) if result else [],
        board=leaderboard_rows(last["public"]) if last else [],
        refresh=5 if state != "open" and (simulating or state == "lobby") else None,
    )  # fmt: skip


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _lever_text(value: object) -> str:
    return shown_value("", value) if isinstance(value, float) else str(value)


def parse_levers(
    controls: Sequence[Mapping[str, Any]], form: Form
) -> tuple[dict[str, Any], dict[str, str]]:
    """The levers of a decision form, typed as each control says, and the texts as typed.

    A lever whose field is not sent at all is left out (the world names it missing); one
    sent empty is a number field that is not a number.

    Raises:
        InvalidInput: a number field that is not a number, naming the field and its range.
    """
    levers: dict[str, Any] = {}
    typed: dict[str, str] = {}
    problems = []
    for c in controls:
        if f"lever:{c['path']}" not in form:
            continue
        text = field(form, f"lever:{c['path']}").strip()
        typed[c["path"]] = text
        if c["kind"] == "choice":
            try:
                levers[c["path"]] = json.loads(text)
            except ValueError:
                levers[c["path"]] = text  # not one of the choices: the world names them
            continue
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            problems.append(said(c["path"], text, "classroom.error.number",
                                 "classroom.allowed.number_range", low=c["min"],
                                 high=c["max"]))  # fmt: skip
            continue
        levers[c["path"]] = int(value) if c["kind"] == "integer" and value.is_integer() else value
    if problems:
        raise InvalidInput(problems)
    return levers, typed


def decide(app: Classroom, class_id: int, code: str, round_: object, levers: Mapping[str, Any],
           request_id: object) -> Any:  # fmt: skip
    """Check a decision with the world and store it; the code is checked first."""
    from sim.classroom import world

    app.guard(class_id, code, lambda: app.store.join(class_id, code))
    scenario, config = app.world(class_id)
    checked = world.check_decision(scenario, config, levers)
    return app.store.submit(class_id, code, round_, checked, request_id)  # type: ignore[arg-type]


def debrief_response(
    app: Classroom, request: Request, class_id: int, name: str, key: DebriefKey | None,
    team: object, trainer: bool,
) -> Response:  # fmt: skip
    """A finished debrief file (``….pdf`` paths: the PDF, as a download), else its status.

    Call it only after the request's credential has passed the store.

    Raises:
        InvalidInput: a PDF asked for before it is prepared.
        HTTPException: 404, a team without pages in a finished debrief.
    """
    pdf = request.url.path.endswith(".pdf")
    team_id = None if team is None else int(str(team))
    found = app.worker.debriefs.artefact(key, "pdf" if pdf else "html", team_id) if key else None
    status = app.worker.debriefs.status(key) if key else None
    if found is not None:
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if not pdf:
            headers["Content-Security-Policy"] = _DEBRIEF_CSP
            return Response(found.read_bytes(), media_type="text/html; charset=utf-8",
                            headers=headers)  # fmt: skip
        who = "" if team_id is None else f"-team-{team_id}"
        headers["Content-Disposition"] = f'attachment; filename="class-{class_id}{who}-debrief.pdf"'
        return Response(found.read_bytes(), media_type="application/pdf", headers=headers)
    if status is not None and status.state == "ready":
        raise HTTPException(404)  # a finished debrief without this team's pages
    if pdf:
        played = key.played if key else 0
        raise refusal("debrief", NO_VALUE, "debrief.job.not_prepared", played=played)
    busy = status is not None and status.state in ("queued", "running", "drawing")
    return page(app, request, "debrief_status.html", class_id=class_id, name=name,
                job=status, trainer=trainer, refresh=2 if busy else None)  # fmt: skip


# -- the routes -------------------------------------------------------------------------------


def home(app: Classroom, request: Request, form: Form) -> Response:
    """The front desk: join a team, open a console, create a class."""
    return page(app, request, "home.html", class_id=request.query_params.get("class", ""))


def join(app: Classroom, request: Request, form: Form) -> Response:
    """A team's code checked by the store, kept in a cookie; on to the team page."""
    raw_id, code = field(form, "class_id"), field(form, "code")
    class_id = app.guard(raw_id, code, lambda: class_id_of(raw_id))
    app.guard(class_id, code, lambda: app.store.join(class_id, code))
    out = RedirectResponse(f"/class/{class_id}/team", status_code=303)
    remember(out, request, "team", class_id, code)
    return out


def team(app: Classroom, request: Request, form: Form) -> Response:
    """The team page."""
    class_id = int(request.path_params["class_id"])
    from sim.classroom.frontdesk import presented

    return team_page(app, request, class_id, presented(request, "team", class_id))


def submit(app: Classroom, request: Request, form: Form) -> Response:
    """A decision from the team page's form; refused input comes back in the page (400)."""
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    code = presented(request, "team", class_id)
    app.guard(class_id, code, lambda: app.store.join(class_id, code))
    controls = app.controls(class_id, lang_of(app, request))
    typed: dict[str, str] = {}
    try:
        levers, typed = parse_levers(controls, form)
        round_text = field(form, "round")
        round_ = int(round_text) if round_text.isdigit() else round_text
        decide(app, class_id, code, round_, levers, field(form, "request_id") or None)
    except InvalidInput as err:
        return team_page(app, request, class_id, code, problems_of(err), 400, typed)
    return RedirectResponse(f"/class/{class_id}/team", status_code=303)


def api_join(app: Classroom, request: Request, form: Form) -> Response:
    """``POST /api/class/{id}/join``: the team's id and name."""
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    code = presented(request, "team", class_id)
    return JSONResponse(app.guard(class_id, code, lambda: app.store.join(class_id, code)))


def api_status(app: Classroom, request: Request, form: Form) -> Response:
    """``GET /api/class/{id}/status``: the team's view (its own results, the public board)."""
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    code = presented(request, "team", class_id)
    view = app.guard(class_id, code, lambda: app.store.team_view(class_id, code))
    current, state, simulating = class_state(view["rounds"])
    return JSONResponse({**view, "current": current, "state": state, "simulating": simulating})


def api_submit(app: Classroom, request: Request, form: Form) -> Response:
    """``POST /api/class/{id}/submit`` with ``{"round", "levers", "request_id"}``."""
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    code = presented(request, "team", class_id)
    app.guard(class_id, code, lambda: app.store.join(class_id, code))
    levers = form.get("levers")
    if not isinstance(levers, Mapping):
        raise refusal("levers", levers, "classroom.refused.not_object")
    receipt = decide(app, class_id, code, form.get("round"), levers, form.get("request_id"))
    return JSONResponse(receipt.__dict__)


def my_debrief(app: Classroom, request: Request, form: Form) -> Response:
    """A team's own debrief pages (HTML, or ``.pdf``), once the seed is revealed."""
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    code = presented(request, "team", class_id)
    view = app.guard(class_id, code, lambda: app.store.team_view(class_id, code))
    lang = lang_of(app, request)
    if view["class"]["seed"] is None:
        raise refusal("debrief", NO_VALUE, "debrief.job.after_reveal")
    key = DebriefKey.of(class_id, view["rounds"], lang)
    if key is not None:  # the page's language first, else the one the trainer prepared
        for other in (lang, *[k for k in LANGS if k != lang]):
            if app.worker.debriefs.artefact(key.with_lang(other), "html") is not None:
                key = key.with_lang(other)
                break
    return debrief_response(app, request, class_id, str(view["team"]["name"]), key,
                            view["team"]["id"], trainer=False)  # fmt: skip


ROUTES = [
    ("/", home, ["GET"]),
    ("/join", join, ["POST"]),
    ("/class/{class_id:int}/team", team, ["GET"]),
    ("/class/{class_id:int}/submit", submit, ["POST"]),
    ("/class/{class_id:int}/my-debrief", my_debrief, ["GET"]),
    ("/class/{class_id:int}/my-debrief.pdf", my_debrief, ["GET"]),
    ("/api/class/{class_id:int}/join", api(api_join), ["POST"]),
    ("/api/class/{class_id:int}/status", api(api_status), ["GET"]),
    ("/api/class/{class_id:int}/submit", api(api_submit), ["POST"]),
]
