"""The trainer's side of the classroom server: a new class, the console and their API.

A class is made from a library lesson and a handful of settings (:mod:`sim.classroom.setup`
reads them): rounds, periods per round, the world's size, the teams, which levers they
hold and over what range (the lever space's defaults offered as a start), a budget per
round, a competitor's promotion, the scoring rule and an optional deadline per round. The
settings are checked whole before anything is written; the trainer token and the team
codes are shown once, on the page that answers the creation, and never again.

The console shows who has joined and who has submitted, and advances the class. Its
advance button sends the round it shows, so a double click, a second tab or a deadline
that fired first makes the second press a no-op (:meth:`ClassStore.advance`); closing a
round wakes the back office, which simulates it.

The debrief is asked for, not built, by a request: "prepare" hands the back office a job
record (:mod:`sim.classroom.debriefs`) and the debrief routes serve what it finished, or a
page with its progress that refreshes itself, until then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, RedirectResponse, Response

from sim.classroom.debriefs import DebriefKey, job_record
from sim.classroom.frontdesk import api
from sim.classroom.routes import (
    class_state,
    debrief_response,
    field,
    lang_of,
    leaderboard_rows,
    page,
    remember,
)
from sim.classroom.said import NO_VALUE, framed, said
from sim.classroom.schema import InvalidInput, check_config, check_name, refusal
from sim.errors import Problem, ScenarioError
from sim.scenario.space import DEFAULT_SPACE, Factor

if TYPE_CHECKING:
    from starlette.requests import Request

    from sim.classroom.frontdesk import Classroom, Form

__all__ = ["DEFAULT_OPEN", "ROUTES", "config_of_form", "create", "lever_offer"]

#: Levers open by default on the new-class form.
DEFAULT_OPEN = ("strategy.service.staff", "strategy.quality.product", "strategy.pricing.list_price")
#: The scoring rules in the form's order, each with the catalogue key of its name.
_RULES = (("profit", "kpi.profit"), ("discounted_profit", "kpi.discounted_profit"),
          ("retention", "stage.retention"), ("clv", "kpi.mean_clv"),
          ("mix", "classroom.rule.mix"))  # fmt: skip
_FORM_DEFAULTS = {"name": "", "scenario": "baseline", "customers": "500", "rounds": "4",
                  "periods_per_round": "3", "teams": "", "budget": "", "event_round": "",
                  "event_discount": "0.1", "event_duration": "90", "rule": "profit",
                  "round_seconds": ""}  # fmt: skip


def _levers() -> list[Factor]:
    return [f for f in DEFAULT_SPACE if f.kind == "lever"]


def lever_offer(lang: str) -> list[dict[str, Any]]:
    """The levers the new-class form offers: the lever space's, with its default ranges."""
    from sim.dashboard.controls import lever_label

    return [{"path": f.path, "label": lever_label(f.path, lang), "unit": "",
             "open": f.path in DEFAULT_OPEN, "min": f.low, "max": f.high,
             "levels": [str(v) for v in f.levels]} for f in _levers()]  # fmt: skip


def _number(form: Form, name: str, problems: list[Problem], whole: bool = False) -> Any:
    text = field(form, name).strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = None
    if value is None or (whole and not value.is_integer()):
        kind = "classroom.refused.whole_number" if whole else "classroom.refused.number"
        problems.append(said(name, text, kind))
        return None
    return int(value) if whole else value


def config_of_form(form: Form) -> dict[str, Any]:
    """The class settings from the new-class form.

    Raises:
        InvalidInput: every field that is not a number where one is needed.
    """
    problems: list[Problem] = []
    config: dict[str, Any] = {}
    for name in ("rounds", "periods_per_round", "customers"):
        value = _number(form, name, problems, whole=True)
        if value is not None:
            config[name] = value
    opened = set(form.get("open") or [])
    levers: dict[str, Any] = {}
    for f in _levers():
        if f.path not in opened:
            continue
        if f.categorical:
            levers[f.path] = {"choices": list(f.levels)}
            continue
        whole = f.scale == "integer"
        low = _number(form, f"min:{f.path}", problems, whole)
        high = _number(form, f"max:{f.path}", problems, whole)
        levers[f.path] = {"min": low, "max": high, **({"integer": True} if whole else {})}
    config["open_levers"] = levers
    budget = _number(form, "budget", problems)
    if budget is not None:
        config["budget"] = budget
    seconds = _number(form, "round_seconds", problems)
    if seconds is not None:
        config["round_seconds"] = seconds
    event_round = _number(form, "event_round", problems, whole=True)
    if event_round is not None:
        config["events"] = [{"round": event_round,
                             "discount": _number(form, "event_discount", problems),
                             "duration": _number(form, "event_duration", problems)}]  # fmt: skip
    rule = field(form, "rule") or "profit"
    config["scoring"] = {"rule": rule}
    if rule == "mix":
        weights = {r: _number(form, f"weight:{r}", problems) for r, _ in _RULES if r != "mix"}
        config["scoring"]["weights"] = {k: w for k, w in weights.items() if w is not None}
    if problems:
        raise InvalidInput(problems)
    return config


def create(
    app: Classroom, name: object, scenario: object, config: Mapping[str, Any], teams: object
) -> dict[str, Any]:
    """Create a class with its teams, everything checked before the first write.

    Returns:
        ``class_id``, ``trainer_token`` and ``teams`` (``team_id``, ``name``, ``code``).
    """
    import scenarios
    from sim.classroom.setup import ClassSetup
    from sim.scenario import dump_yaml, load_scenario

    if not isinstance(teams, list) or not teams:
        raise refusal("teams", teams, "classroom.refused.no_teams")
    names = [check_name(n, "team name", limit=40) for n in teams]
    if len(set(names)) != len(names):
        raise refusal("teams", NO_VALUE, "classroom.refused.same_names")
    if not isinstance(scenario, str) or scenario not in scenarios.names():
        raise refusal("scenario", scenario, "classroom.refused.not_lesson",
                      "classroom.allowed.one_of", names=", ".join(scenarios.names()))  # fmt: skip
    settings = check_config(config)
    text = dump_yaml(load_scenario(scenario))
    try:
        ClassSetup.from_class(text, settings, 0)  # the world's own settings, checked now
    except ScenarioError as err:
        raise InvalidInput([framed(p, "classroom.refused.setting") for p in err.problems]) from None
    made = app.store.create_class(name, text, settings)  # type: ignore[arg-type]
    codes = [app.store.add_team(made.class_id, made.trainer_token, n) for n in names]
    teams_made = [{"team_id": c.team_id, "name": c.name, "code": c.code} for c in codes]
    return {"class_id": made.class_id, "trainer_token": made.trainer_token, "teams": teams_made}


# -- the routes -------------------------------------------------------------------------------


def _new_page(app: Classroom, request: Request, given: Mapping[str, str],
              problems: list[Problem] | None = None, status: int = 200) -> Response:  # fmt: skip
    import scenarios
    from sim.i18n import catalogue

    lang = lang_of(app, request)
    t = catalogue(lang)
    return page(app, request, "new.html", status, problems=problems, given=given,
                scenarios=scenarios.names(), levers=lever_offer(lang),
                rules=[(r, t(k)) for r, k in _RULES])  # fmt: skip


def new_form(app: Classroom, request: Request, form: Form) -> Response:
    """The new-class form."""
    return _new_page(app, request, dict(_FORM_DEFAULTS))


def new_class(app: Classroom, request: Request, form: Form) -> Response:
    """Create the class from the form; the token and codes shown once."""
    given = {**_FORM_DEFAULTS, **{k: field(form, k) for k in form}}
    try:
        teams = [n.strip() for n in field(form, "teams").splitlines() if n.strip()]
        made = create(app, field(form, "name"), field(form, "scenario"), config_of_form(form),
                      teams)  # fmt: skip
    except InvalidInput as err:
        return _new_page(app, request, given, err.problems, 400)
    out = page(app, request, "created.html", class_id=made["class_id"],
               token=made["trainer_token"], teams=made["teams"])  # fmt: skip
    remember(out, request, "trainer", made["class_id"], made["trainer_token"])
    return out


def login(app: Classroom, request: Request, form: Form) -> Response:
    """The trainer token checked by the store, kept in a cookie; on to the console."""
    from sim.classroom.routes import class_id_of

    raw_id, token = field(form, "class_id"), field(form, "token")
    class_id = app.guard(raw_id, token, lambda: class_id_of(raw_id))
    app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    out = RedirectResponse(f"/class/{class_id}/console", status_code=303)
    remember(out, request, "trainer", class_id, token)
    return out


def _trainer(app: Classroom, request: Request) -> tuple[int, str]:
    from sim.classroom.frontdesk import presented

    class_id = int(request.path_params["class_id"])
    return class_id, presented(request, "trainer", class_id)


def console_page(app: Classroom, request: Request, form: Form) -> Response:
    """The console: where the class stands, who submitted, the buttons, the leaderboard."""
    class_id, token = _trainer(app, request)
    view = app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    rounds = view["rounds"]
    current, state, simulating = class_state(rounds)
    latest = {d["team"]: d["revision"] for d in view["decisions"] if d["round"] == current}
    done = [r for r in rounds if r["state"] == "done"]
    failures = [(n, app.worker.failure(class_id, n)) for n in simulating]
    key = DebriefKey.of(class_id, rounds, lang_of(app, request))
    status = app.worker.debriefs.status(key) if key else None
    busy = status is not None and status.state in ("queued", "running", "drawing")
    return page(
        app, request, "console.html", class_id=class_id, name=view["class"]["name"],
        current=current, state=state, rounds=view["class"]["config"]["rounds"],
        deadline=rounds[-1]["deadline"] if rounds and state == "open" else None,
        simulating=simulating, failures=[(n, e) for n, e in failures if e],
        teams=[{"name": tm["name"], "joined": tm["joined_at"] is not None,
                "revision": latest.get(tm["id"])} for tm in view["teams"]],
        board=leaderboard_rows(done[-1]["result"].get("public")) if done else [],
        reopenable=[r["number"] for r in rounds if (r["number"], state) != (current, "open")],
        seed=view["class"]["seed"] if view["class"]["seed_revealed"] else None,
        debrief=status, refresh=5 if simulating or busy else None,
        debrief_teams=[(tm["id"], tm["name"]) for tm in view["teams"]
                       if status and tm["id"] in status.teams],
    )  # fmt: skip


def _expected(value: object) -> object:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def advance(app: Classroom, request: Request, form: Form) -> Response:
    """Close the round the console showed (a repeat is a no-op); the worker simulates it."""
    class_id, token = _trainer(app, request)
    expected = _expected(form.get("expected_round") if isinstance(form.get("expected_round"), int)
                         else field(form, "expected_round"))  # fmt: skip
    state = app.guard(class_id, token, lambda: app.store.advance(class_id, token, expected))  # type: ignore[arg-type]
    if state.closed is not None:
        app.worker.wake()
    if request.url.path.startswith("/api/"):
        return JSONResponse(state.__dict__)
    return RedirectResponse(f"/class/{class_id}/console", status_code=303)


def reopen(app: Classroom, request: Request, form: Form) -> Response:
    """Open a round again for late decisions."""
    class_id, token = _trainer(app, request)
    number = _expected(form.get("round") if isinstance(form.get("round"), int)
                       else field(form, "round"))  # fmt: skip
    state = app.guard(class_id, token, lambda: app.store.reopen(class_id, token, number))  # type: ignore[arg-type]
    if request.url.path.startswith("/api/"):
        return JSONResponse(state.__dict__)
    return RedirectResponse(f"/class/{class_id}/console", status_code=303)


def reveal(app: Classroom, request: Request, form: Form) -> Response:
    """Reveal the class seed to every team."""
    class_id, token = _trainer(app, request)
    seed = app.guard(class_id, token, lambda: app.store.reveal_seed(class_id, token))
    if request.url.path.startswith("/api/"):
        return JSONResponse({"seed": seed})
    return RedirectResponse(f"/class/{class_id}/console", status_code=303)


def api_create(app: Classroom, request: Request, form: Form) -> Response:
    """``POST /api/classes`` with ``{"name", "scenario", "config", "teams"}``."""
    config = form.get("config")
    if not isinstance(config, Mapping):
        raise refusal("config", config, "classroom.refused.not_object")
    made = create(app, form.get("name"), form.get("scenario"), config, form.get("teams"))
    return JSONResponse(made, status_code=201, headers={"Cache-Control": "no-store"})


def api_trainer(app: Classroom, request: Request, form: Form) -> Response:
    """``GET /api/class/{id}/trainer``: everything about the class, and where it stands."""
    class_id, token = _trainer(app, request)
    view = app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    current, state, simulating = class_state(view["rounds"])
    failures = {n: app.worker.failure(class_id, n) for n in simulating}
    return JSONResponse({**view, "current": current, "state": state, "simulating": simulating,
                         "failures": {str(n): e for n, e in failures.items() if e}})  # fmt: skip


def prepare(app: Classroom, request: Request, form: Form) -> Response:
    """Ask the back office for the debrief of the rounds played (a repeat is a no-op)."""
    class_id, token = _trainer(app, request)
    view = app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    lang = lang_of(app, request)
    key = DebriefKey.of(class_id, view["rounds"], lang)
    if key is None:
        raise refusal("round", NO_VALUE, "debrief.job.no_round")
    scenario, _ = app.world(class_id)
    status = app.worker.debriefs.request(
        job_record(key, view, scenario, app.worker.debriefs.replicates)
    )
    if request.url.path.startswith("/api/"):
        return JSONResponse(status.json(), status_code=202, headers={"Cache-Control": "no-store"})
    return RedirectResponse(f"/class/{class_id}/debrief", status_code=303)


def debrief(app: Classroom, request: Request, form: Form) -> Response:
    """The prepared debrief (the class's or one team's, HTML or PDF), else where it stands.

    ``GET /api/class/{id}/debrief`` answers the status as JSON.
    """
    class_id, token = _trainer(app, request)
    view = app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    key = DebriefKey.of(class_id, view["rounds"], lang_of(app, request))
    if request.url.path.startswith("/api/"):
        status = app.worker.debriefs.status(key).json() if key else {"state": "none", "played": 0}
        return JSONResponse(status, headers={"Cache-Control": "no-store"})
    team = request.path_params.get("team_id")
    return debrief_response(app, request, class_id, str(view["class"]["name"]), key, team,
                            trainer=True)  # fmt: skip


def grades(app: Classroom, request: Request, form: Form) -> Response:
    """The latest scores as a gradebook CSV (:func:`sim.classroom.grades.grades_csv`).

    ``?format=canvas`` (the default) or ``moodle``; one row per team, best first.
    """
    from sim.classroom.grades import grades_csv

    class_id, token = _trainer(app, request)
    view = app.guard(class_id, token, lambda: app.store.trainer_view(class_id, token))
    done = [r for r in view["rounds"] if r["state"] == "done"]
    if not done:
        raise refusal("round", NO_VALUE, "classroom.refused.no_results")
    board = (done[-1]["result"].get("public") or {}).get("leaderboard") or []
    nan = float("nan")
    table = [{"team": b["team_id"], "name": b.get("name", b["team_id"]),
              "score": nan if b.get("score") is None else b["score"]} for b in board]  # fmt: skip
    text = grades_csv(table, request.query_params.get("format", "canvas"),
                      lang=lang_of(app, request))  # fmt: skip
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="class-{class_id}-grades.csv"',
        "Cache-Control": "no-store"})  # fmt: skip


ROUTES = [
    ("/new", new_form, ["GET"]),
    ("/new", new_class, ["POST"]),
    ("/login", login, ["POST"]),
    ("/class/{class_id:int}/console", console_page, ["GET"]),
    ("/class/{class_id:int}/advance", advance, ["POST"]),
    ("/class/{class_id:int}/reopen", reopen, ["POST"]),
    ("/class/{class_id:int}/reveal", reveal, ["POST"]),
    ("/class/{class_id:int}/debrief", debrief, ["GET"]),
    ("/class/{class_id:int}/debrief", prepare, ["POST"]),
    ("/class/{class_id:int}/debrief.pdf", debrief, ["GET"]),
    ("/class/{class_id:int}/debrief/team/{team_id:int}", debrief, ["GET"]),
    ("/class/{class_id:int}/debrief/team/{team_id:int}.pdf", debrief, ["GET"]),
    ("/class/{class_id:int}/grades.csv", grades, ["GET"]),
    ("/api/classes", api(api_create), ["POST"]),
    ("/api/class/{class_id:int}/trainer", api(api_trainer), ["GET"]),
    ("/api/class/{class_id:int}/advance", api(advance), ["POST"]),
    ("/api/class/{class_id:int}/reopen", api(reopen), ["POST"]),
    ("/api/class/{class_id:int}/reveal", api(reveal), ["POST"]),
    ("/api/class/{class_id:int}/debrief", api(debrief), ["GET"]),
    ("/api/class/{class_id:int}/debrief", api(prepare), ["POST"]),
]
