"""A/B on the same seed: two strategies stepped side by side, then replicated for a verdict.

Strategy A is what the left-hand controls set up. Strategy B is a copy of it with another
arm of the lesson, one lever changed, or both. The two run on one seed, so they meet the
same customers with the same luck (:mod:`sim.streams`): the live difference curve is the
strategy's doing, not the draw's. One pair is still one world, so a button runs ``n``
paired replications through :func:`sim.dashboard.pair.replicate` (the statistics of
``crmsim compare``) and shows each KPI's interval and the verdict sentence.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd
import solara
from solara.alias import rv

from sim.dashboard.charts import Option, line, zero_line
from sim.dashboard.controls import (
    LeverSpec,
    Transport,
    choice_label,
    lever_label,
    parse_number,
    use_player,
)
from sim.dashboard.inspector import Table
from sim.dashboard.pair import PAIR_METRICS, LivePair, Replicated, replicate
from sim.dashboard.state import Session, Settings, attempt, cap, fmt_money, fmt_number, say
from sim.results.catalogue import kpi_label
from sim.results.display import change_text, interval_text

__all__ = ["ABPanel", "b_overrides", "difference_option", "pair_numbers"]

#: The label key of each metric of :data:`sim.dashboard.pair.PAIR_METRICS`.
METRIC_KEYS = {
    "profit": "dash.kpi.profit",
    "cumulative_profit": "dash.kpi.cum_profit",
    "active": "dash.kpi.active_now",
    "balance_mean": "dash.kpi.balance_mean",
}


def b_overrides(
    a: Settings,
    arms: Mapping[str, Mapping[str, Any]],
    arm: str | None,
    lever: str | None,
    value: Any,
) -> dict[str, Any]:
    """B's overrides: A's, with another arm's in place of A's arm, then one lever set."""
    base = Settings(a.scenario, arm if arm is not None else a.arm, a.levers)
    out = base.overrides(arms)
    if lever is not None:
        out[lever] = value
    return out


def _format(metric: str, x: float) -> str:
    return fmt_number(x) if metric == "balance_mean" else fmt_money(x)


def pair_numbers(diff: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """The latest period's ``(metric, a, b, b − a)`` of a pair's difference table, formatted."""
    if diff.empty:
        return []
    now = diff[diff["period"] == diff["period"].max()].set_index("metric")
    return [
        (m, _format(m, now.at[m, "a"]), _format(m, now.at[m, "b"]), _format(m, now.at[m, "diff"]))
        for m in PAIR_METRICS
        if m in now.index
    ]


def difference_option(diff: pd.DataFrame, lang: str) -> Option:
    """B − A per period as an ECharts option: one small panel per metric, a zero line in each."""
    t = say(lang)
    opt: Option = {
        "animation": False,  # redrawn every period: an animation would never finish
        "title": [{"text": t("dash.ab.diff"), "left": "center", "textStyle": {"fontSize": 13}}],
        "tooltip": {"trigger": "axis"},
        "grid": [],
        "xAxis": [],
        "yAxis": [],
        "series": [],
    }
    for i, metric in enumerate(PAIR_METRICS):
        one = diff[diff["metric"] == metric]
        left, top = ("7%", "55%")[i % 2], ("14%", "59%")[i // 2]
        opt["title"].append({"text": t(METRIC_KEYS[metric]), "left": ("25%", "73%")[i % 2],
                             "top": ("7%", "52%")[i // 2], "textAlign": "center",
                             "textStyle": {"fontSize": 11}})  # fmt: skip
        opt["grid"].append({"left": left, "top": top, "width": "38%", "height": "28%",
                            "containLabel": True})  # fmt: skip
        opt["xAxis"].append({"type": "category", "gridIndex": i,
                             "data": [str(int(p) + 1) for p in one["period"]]})  # fmt: skip
        opt["yAxis"].append({"type": "value", "gridIndex": i})
        opt["series"].append(line(t(METRIC_KEYS[metric]), one["diff"], i, xAxisIndex=i,
                                  yAxisIndex=i, markLine=zero_line()))  # fmt: skip
    return opt


@solara.component
def BChooser(
    arms: Sequence[str],
    specs: Sequence[LeverSpec],
    arm: str | None,
    set_arm: Any,
    lever: str | None,
    set_lever: Any,
    set_value: Any,
    lang: str,
) -> solara.Element:
    """Pick B: another arm of the lesson and/or one lever with its value."""
    t = say(lang)
    typed, set_typed = solara.use_state("")
    problem, set_problem = solara.use_state("")
    spec = next((s for s in specs if s.path == lever), None)
    with solara.Column(gap="4px") as column:
        if arms:
            rv.Select(
                label=t("dash.ab.b_arm"),
                items=[{"text": t("dash.arm_as_written"), "value": None}]
                + [{"text": a, "value": a} for a in arms],
                v_model=arm,
                on_v_model=set_arm,
                dense=True,
                attributes={"data-testid": "ab-b-arm"},
            ).key("arm")
        rv.Select(
            label=t("dash.ab.b_lever"),
            items=[{"text": t("dash.ab.no_change"), "value": None}]
            + [{"text": lever_label(s.path, lang), "value": s.path} for s in specs],
            v_model=lever,
            on_v_model=lambda p: (set_lever(p), set_value(None), set_typed("")),
            dense=True,
            attributes={"data-testid": "ab-b-lever"},
        ).key("lever")
        if spec is not None and spec.widget == "choice":
            rv.Select(
                label=t("dash.ab.b_value"),
                items=[{"text": choice_label(c, lang), "value": c} for c in spec.choices],
                on_v_model=set_value,
                dense=True,
                attributes={"data-testid": "ab-b-value"},
            )
        elif spec is not None:

            def typed_value(text: str | None) -> None:
                set_typed(text or "")
                number, err = attempt(lambda: parse_number(spec, text or "", lang), lang)
                set_problem(err)
                set_value(number)

            rv.TextField(
                label=t("dash.ab.b_value"),
                v_model=typed,
                on_v_model=typed_value,
                dense=True,
                attributes={"data-testid": "ab-b-value"},
            )
        if problem:
            solara.Error(problem, dense=True)
    return column


@solara.component
def ABPanel(
    settings: Settings,
    arms: Mapping[str, Mapping[str, Any]],
    specs: Sequence[LeverSpec],
    speed: float,
    lang: str,
) -> solara.Element:
    """The A/B tab: choose B, step the pair live, then replicate it for a verdict."""
    t = say(lang)
    arm, set_arm = solara.use_state(cast(str | None, None))
    lever, set_lever = solara.use_state(cast(str | None, None))
    value, set_value = solara.use_state(cast(Any, None))
    session, set_session = solara.use_state(cast(Session[LivePair] | None, None))
    error, set_error = solara.use_state("")
    playing, set_playing = solara.use_state(False)
    tick, set_tick = solara.use_state(0)
    n, set_n = solara.use_state("10")
    done_runs, set_done_runs = solara.use_state((0, 0))
    result, set_result = solara.use_state(cast(Replicated | None, None))
    asked, set_asked = solara.use_state(0)
    use_player(session, playing, set_playing, speed, set_tick)
    solara.use_effect(lambda: session.drawn(tick) if session else None, [tick, session])

    over_a = settings.overrides(arms)
    over_b = b_overrides(settings, arms, arm, lever, value)

    def build() -> None:
        set_playing(False)
        set_result(None)

        def make() -> Session[LivePair]:
            return Session(
                LivePair.build(settings.scenario, over_a or None, over_b or None,
                               settings.customers, settings.seed, settings.engine)
            )  # fmt: skip

        made, problem = attempt(make, lang)
        set_error(problem)
        set_session(made)
        set_tick(0)

    def step() -> None:
        if session is not None:
            session.step()
            set_tick(session.steps)

    def run_replications(cancel: threading.Event) -> Replicated | None:
        if not asked or session is None:
            return None
        pair = session.run
        count, problem = attempt(lambda: int(n), lang)
        if problem or count is None:
            set_error(t("dash.error.whole", what=t("dash.ab.n"), value=n))
            return None
        out, problem = attempt(
            lambda: replicate(pair.a.scenario, pair.b.scenario, count, pair.a.seed,
                              pair.a.engine, progress=lambda d, k: set_done_runs((d, k)),
                              lang=lang),
            lang,
        )  # fmt: skip
        set_error(problem)
        set_result(out)
        return out

    running = solara.use_thread(run_replications, dependencies=[asked])

    with solara.Column(gap="8px") as column:
        solara.Text(t("dash.ab.a"), style={"font-weight": "bold"})
        BChooser(list(arms), specs, arm, set_arm, lever, set_lever, set_value, lang).key("b")
        if over_a == over_b:
            solara.Info(t("dash.ab.same"), dense=True).key("same")
        solara.Button(t("dash.ab.build"), on_click=build, color="primary",
                      attributes={"data-testid": "ab-build"}).key("build")  # fmt: skip
        if error:
            solara.Error(error, attributes={"data-testid": "ab-error"}).key("error")
        if session is not None:
            Transport(playing, session.done, lambda: set_playing(True),
                      lambda: set_playing(False), step, build, lang, prefix="ab-")  # fmt: skip
            diff = session.read(lambda p: p.difference())
            numbers = pair_numbers(diff)
            head = [
                cap(t("word.value")),
                t("dash.ab.series_a"),
                t("dash.ab.series_b"),
                t("dash.ab.diff_col"),
            ]
            Table(head, [[t(METRIC_KEYS[m]), a, b, d] for m, a, b, d in numbers], "ab-numbers")
            if not diff.empty:
                solara.FigureEcharts(option=difference_option(diff, lang), attributes={
                    "style": "height: 420px; width: 100%; max-width: 900px;",
                    "data-testid": "ab-chart",
                })  # fmt: skip
            with solara.Row(gap="8px", style={"align-items": "center"}):
                rv.TextField(label=t("dash.ab.n"), v_model=n, on_v_model=set_n, dense=True,
                             hide_details=True, style_="max-width: 8em",
                             attributes={"data-testid": "ab-n"})  # fmt: skip
                solara.Button(
                    t("dash.ab.replicate"), on_click=lambda: set_asked(asked + 1),
                    disabled=running.state == solara.ResultState.RUNNING, outlined=True,
                    attributes={"data-testid": "ab-replicate"},
                )  # fmt: skip
            if running.state == solara.ResultState.RUNNING:
                d, k = done_runs
                solara.ProgressLinear(100.0 * d / k if k else True)
                solara.Text(t("dash.ab.running", done=d, total=k))
            if result is not None:
                Verdicts(result, lang)
    return column


@solara.component
def Verdicts(result: Replicated, lang: str) -> solara.Element:
    """Each KPI's paired difference with its interval, and the verdict sentence."""
    t = say(lang)
    # Each difference in its KPI's change unit (points for shares, hours for waits), as the
    # comparison report writes it, so the numbers read like the verdict beside them.
    rows = [
        [kpi_label(r["metric"], lang), change_text(r["metric"], r["diff"]),
         interval_text(r["metric"], r["low"], r["high"]), str(r["verdict"])]
        for r in result.verdicts.to_dict("records")
    ]  # fmt: skip
    with solara.Column(gap="4px") as column:
        solara.Text(t("dash.ab.intervals"), style={"font-weight": "bold"})
        head = [
            cap(t("word.value")),
            t("dash.ab.diff_col"),
            t("dash.ab.interval"),
            t("dash.ab.verdict"),
        ]
        Table(head, rows, "ab-verdict")
        done = t("dash.ab.replicated", n=result.comparison.n)
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(done),
                    attributes={"data-testid": "ab-replications"})  # fmt: skip
    return column
