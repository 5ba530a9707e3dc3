"""The dashboard page: a lesson run live, one period at a time, in English or Chinese.

Solara renders :func:`Page` once per browser tab. The address says what to open
(``?scenario=service_staffing&lang=zh``); the sidebar holds what a trainer changes (the
lesson, its arm, the levers, seed, engine, size, speed) and the transport buttons; the main
area shows the lesson's header, the key numbers and three tabs: the live views, one
customer's story and an A/B pair.

Two copies of the settings live here: ``draft`` is what the controls show, ``applied`` is
what the run was built from. Reset copies one onto the other and builds a new
:class:`~sim.dashboard.live.LiveRun`, so a trainer sets several levers before the class
sees a new run. Picking another lesson applies at once (its levers are other levers).

Every failure becomes a message in the page (:func:`sim.dashboard.state.attempt`): a
lever out of range, an unknown lesson in the address, a population of a billion. The
tab keeps working and the next action is served.
"""

from __future__ import annotations

import html
import urllib.parse
from dataclasses import replace
from typing import Any

import solara
from solara.alias import rv

import scenarios
from sim.dashboard.ab import ABPanel
from sim.dashboard.charts import CHARTS, option, view_numbers
from sim.dashboard.controls import (
    LeverPanel,
    LeverSpec,
    Transport,
    lever_specs,
    moved,
    use_player,
)
from sim.dashboard.inspector import CustomerInspector
from sim.dashboard.state import (
    DEFAULT_SCENARIO,
    KPI_STRIP,
    Session,
    Settings,
    attempt,
    cap,
    kpi_strip,
    page_lang,
    say,
)
from sim.i18n.catalogue import LANGS
from sim.scenario.header import lesson_header
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["CHART_HEIGHT", "Page", "first_settings"]

#: Height of a live chart: ECharts draws into a box of fixed size, and 300 px leaves room
#: for a title, a legend and rotated labels in a 450 px card.
CHART_HEIGHT = "300px"


def first_settings(name: str) -> Settings:
    """The settings a tab opens with: the lesson's reference arm, the default size."""
    sc, _ = attempt(lambda: load_scenario(name), "en")
    return Settings(scenario=name, arm=sc.reference_arm if sc is not None else None)


def _query(search: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(search or "").items() if v}


def _text(value: str, hook: str, tag: str = "span", style: str = "") -> solara.Element:
    """Text with a ``data-testid``, escaped (names and values may come from a user's file)."""
    return solara.HTML(
        tag=tag, unsafe_innerHTML=html.escape(value), attributes={"data-testid": hook}, style=style
    )


@solara.component
def LanguageSwitch(lang: str, on_lang: Any) -> solara.Element:
    """English / 中文, each written in itself."""
    with solara.ToggleButtonsSingle(value=lang, on_value=on_lang, dense=True) as toggle:
        for code in LANGS:
            solara.Button(say(code)("lang.name"), value=code, text=True,
                          attributes={"data-testid": f"lang-{code}"})  # fmt: skip
    return toggle


@solara.component
def Header(sc: Scenario, lang: str) -> solara.Element:
    """The lesson's line and what to see, in the page's language where it has one."""
    t = say(lang)
    head = lesson_header(sc, lang)
    with solara.Column(gap="2px") as column:
        _text(head.lesson or sc.name, "lesson", tag="h2", style="margin: 0")
        if not head.translated:
            _text(t("dash.untranslated"), "untranslated", style="font-size: 0.85em")
        if head.see:
            with solara.Row(gap="6px"):
                solara.Text(t("dash.see"), style={"font-weight": "bold"})
                _text(head.see, "see")
    return column


@solara.component
def KpiStrip(numbers: dict[str, str], lang: str) -> solara.Element:
    """The key numbers after the latest close, each ``data-testid="kpi-<key>"``."""
    t = say(lang)
    with solara.Row(gap="24px", style={"flex-wrap": "wrap"}) as row:
        for key, label, _, _ in KPI_STRIP:
            with solara.Column(gap="0px"):
                solara.Text(cap(t(label)), style={"font-size": "0.8em", "opacity": "0.7"})
                _text(numbers[key], f"kpi-{key}", style="font-size: 1.3em; font-weight: bold")
    return row


@solara.component
def LiveViews(session: Session[Any], steps: int, lang: str) -> solara.Element:
    """Every chart with its key numbers underneath (``data-testid="view-<view>-<key>"``)."""
    t = say(lang)

    def draw() -> tuple[dict[str, Any], dict[str, Any]]:
        # The options are small JSON the browser draws (ECharts), built once per period and
        # language, not on every render (typing in a field re-renders the page).
        periods, views = session.read(lambda r: (r.periods(), r.views()))
        if periods.empty:
            return {}, {}
        options = {name: option(name, views, lang) for name in CHARTS}
        return options, view_numbers(views, periods, lang)

    options, numbers = solara.use_memo(draw, [steps, lang, session])
    if not options:
        return solara.Info(t("dash.no_data"))
    with solara.Row(gap="12px", style={"flex-wrap": "wrap"}) as row:
        for name in CHARTS:
            with solara.Card(margin=0, style={"width": "450px"}):
                solara.FigureEcharts(option=options[name], attributes={
                    "style": f"height: {CHART_HEIGHT}; width: 100%;",
                    "data-testid": f"chart-{name}",
                })  # fmt: skip
                with solara.Row(gap="12px", style={"flex-wrap": "wrap", "font-size": "0.85em"}):
                    for hook, label, value in numbers[name]:
                        solara.Text(f"{label}:")
                        _text(value, f"view-{name}-{hook}", style="font-weight: bold")
    return row


@solara.component
def RunSettings(draft: Settings, set_draft: Any, lang: str) -> solara.Element:
    """Seed, engine and size of the next reset; a typed value that is not a number says so."""
    t = say(lang)
    problem, set_problem = solara.use_state("")
    seed_text = "" if draft.seed is None else str(draft.seed)
    size_text = "" if draft.customers is None else str(draft.customers)

    def whole(text: str | None, what: str) -> int | None:
        raw = (text or "").strip().replace(",", "")
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ValueError(t("dash.error.whole", what=t(what), value=text)) from None

    def on(field: str, what: str) -> Any:
        def set_text(text: str | None) -> None:
            try:
                number = whole(text, what)
                # An update of the latest draft, not of the one this render saw: two fields
                # typed in quick succession must both count.
                set_draft(lambda d: replace(d, seed=number) if field == "seed"
                          else replace(d, customers=number))  # fmt: skip
                set_problem("")
            except ValueError as exc:
                set_problem(str(exc))

        return set_text

    with solara.Column(gap="4px") as column:
        rv.TextField(label=cap(t("word.seed")), class_="mt-3", v_model=seed_text,
                     on_v_model=on("seed", "word.seed"), dense=True, hide_details=True,
                     attributes={"data-testid": "seed"})  # fmt: skip
        rv.TextField(label=t("dash.population"), v_model=size_text, class_="mt-3",
                     on_v_model=on("customers", "dash.population"), dense=True,
                     hide_details=True, attributes={"data-testid": "population"})  # fmt: skip
        rv.Select(
            label=cap(t("word.engine")),
            class_="mt-3",
            items=[{"text": t(f"dash.engine.{e}"), "value": e} for e in ("vector", "agent")],
            v_model=draft.engine,
            on_v_model=lambda e: set_draft(lambda d: replace(d, engine=e)),
            dense=True,
            attributes={"data-testid": "engine"},
        )
        if problem:
            solara.Error(problem, dense=True, attributes={"data-testid": "settings-error"})
    return column


@solara.component
def Page() -> None:
    """The dashboard (see the module docstring)."""
    router = solara.use_router()
    query = _query(router.search)
    lang = page_lang(query.get("lang", "en"))
    t = say(lang)
    opened = query.get("scenario", DEFAULT_SCENARIO)
    applied, set_applied = solara.use_state(solara.use_memo(lambda: first_settings(opened), []))
    draft, set_draft = solara.use_state(applied)
    generation, set_generation = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(2.0)
    steps, set_steps = solara.use_state(0)

    lesson, lesson_error = solara.use_memo(
        lambda: attempt(lambda: load_scenario(draft.scenario), lang), [draft.scenario, lang]
    )
    session, build_error = solara.use_memo(
        lambda: attempt(lambda: Session(applied.build()), lang), [applied, generation]
    )
    use_player(session, playing, set_playing, speed, set_steps)
    solara.use_effect(lambda: session.drawn(steps) if session else None, [steps, session])
    specs = solara.use_memo(lambda: lever_specs(lesson) if lesson else [], [lesson])
    arms = lesson.arms if lesson is not None else {}

    def go(new_lang: str) -> None:
        search = urllib.parse.urlencode({**query, "scenario": applied.scenario, "lang": new_lang})
        router.push(f"{router.path}?{search}")

    def reset() -> None:
        set_playing(False)
        set_applied(draft)
        set_generation(generation + 1)
        set_steps(0)

    def pick(name: str) -> None:
        new = replace(first_settings(name), seed=draft.seed, engine=draft.engine,
                      customers=draft.customers)  # fmt: skip
        set_playing(False)
        set_draft(new)
        set_applied(new)
        set_steps(0)

    def set_lever(spec: LeverSpec, value: Any) -> None:
        set_draft(lambda d: replace(d, levers=moved(d.levers, spec, value)))

    def step() -> None:
        if session is not None:
            session.step()
            set_steps(session.steps)

    solara.Title(t("dash.title"))
    with solara.AppBar():
        LanguageSwitch(lang, go)
    solara.AppBarTitle(t("dash.title"))
    names = scenarios.names()
    if draft.scenario not in names:
        names = [draft.scenario, *names]
    with solara.Sidebar():
        rv.Select(
            label=t("dash.scenario"),
            items=[{"text": n, "value": n} for n in names],
            v_model=draft.scenario,
            on_v_model=pick,
            dense=True,
            attributes={"data-testid": "scenario"},
        )
        if arms:
            rv.Select(
                label=t("dash.arm"),
                items=[{"text": t("dash.arm_as_written"), "value": None}]
                + [{"text": a, "value": a} for a in arms],
                v_model=draft.arm,
                on_v_model=lambda a: set_draft(lambda d: replace(d, arm=a)),
                dense=True,
                attributes={"data-testid": "arm"},
            ).key("arm")
        # Keys keep each control the same widget when a sibling comes or goes (the pending
        # note, the arm select): a widget rebuilt under a typing user drops the keystroke.
        Transport(playing, session is None or session.done, lambda: set_playing(True),
                  lambda: set_playing(False), step, reset, lang).key("transport")  # fmt: skip
        solara.SliderFloat(t("dash.speed"), value=speed, min=0.5, max=10.0, step=0.5,
                           on_value=set_speed).key("speed")  # fmt: skip
        if draft != applied:
            solara.Warning(t("dash.pending"), dense=True,
                           attributes={"data-testid": "pending"}).key("pending")  # fmt: skip
        RunSettings(draft, set_draft, lang).key("settings")
        LeverPanel(specs, draft.levers, set_lever, lang).key(f"levers-{draft.scenario}")

    with solara.Column(gap="12px"):
        if lesson is not None:
            Header(lesson, lang).key("header")
        problem = lesson_error or build_error
        if problem:
            solara.Error(problem, attributes={"data-testid": "error"}).key("error")
        if session is not None:
            total = session.run.n_periods
            progress = t("dash.progress", period=session.run.period, total=total)
            _text(progress, "progress").key("progress")
            if session.done:
                solara.Success(t("dash.done"), dense=True).key("done")
            periods = session.read(lambda r: r.periods())
            KpiStrip(kpi_strip(periods), lang).key("kpis")
            with solara.lab.Tabs(lazy=True).key("tabs"):
                with solara.lab.Tab(t("dash.tab.live")):
                    LiveViews(session, steps, lang)
                with solara.lab.Tab(t("dash.tab.customer")):
                    CustomerInspector(session, steps, lang)
                with solara.lab.Tab(t("dash.tab.ab")):
                    ABPanel(applied, arms, specs, speed, lang)
