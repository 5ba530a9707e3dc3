"""The dashboard without a browser: lever generation, settings, key numbers, catalogue keys.

The page is thin over plain functions; these pin them. Levers come from the schema and the
lever space (a whole number gets an integer slider over the space's range, a Literal a
select with the schema's choices); a lesson's arm applies under the levers moved; the KPI
strip after k steps of a live run is the same text as for the first k rows of ``sim.run``;
every catalogue key the page's modules name exists in both languages.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.dashboard import state
from sim.dashboard.ab import b_overrides, difference_option, pair_numbers
from sim.dashboard.charts import CHARTS, option, plain, view_numbers
from sim.dashboard.controls import lever_paths, lever_specs, moved, parse_number, value_at
from sim.dashboard.live import LiveRun
from sim.dashboard.pair import LivePair
from sim.dashboard.state import Settings, attempt, failure, kpi_strip, page_lang
from sim.errors import ScenarioError, UserError
from sim.i18n.catalogue import catalogue, entries
from sim.scenario import load_scenario, scaled

DASHBOARD = Path(__file__).resolve().parents[1] / "sim" / "dashboard"
OURS = ("app.py", "controls.py", "charts.py", "inspector.py", "ab.py", "state.py")


def spec_of(name: str, path: str):  # type: ignore[no-untyped-def]
    return next(s for s in lever_specs(load_scenario(name)) if s.path == path)


def test_levers_come_from_the_space_and_the_lessons_arms() -> None:
    paths = lever_paths(load_scenario("complaint_handling"))
    assert paths[:3] == [
        "strategy.service.staff",
        "strategy.quality.product",
        "strategy.account_managers.count",
    ]
    # the arm's own lever, beyond the space: the slow-resolution arm's duration
    assert "strategy.complaints.resolution_time.lescant" in paths
    staff = spec_of("service_staffing", "strategy.service.staff")
    assert (staff.widget, staff.value, staff.low, staff.high, staff.step) == ("int", 3, 1, 6, 1)
    assert staff.unit_key == "dash.unit.people"
    handling = spec_of("complaint_handling", "strategy.complaints.handling")
    assert handling.widget == "choice"
    assert handling.choices == ("none", "basic", "lescant")
    warning = spec_of("baseline", "strategy.early_warning.enabled")
    assert warning.choices == (False, True)
    slow = spec_of("complaint_handling", "strategy.complaints.resolution_time.lescant")
    assert (slow.widget, slow.unit_key) == ("float", "unit.days")
    # non-scalar arm fields (a list of tiers, a hazard tuple) get no control
    tiers = lever_specs(load_scenario("care_tiers"))
    assert "strategy.care_tiers.tiers" not in {s.path for s in tiers}


def test_a_slider_always_covers_the_scenarios_own_value() -> None:
    sc = load_scenario("baseline", {"strategy.quality.product": 0.95})
    quality = next(s for s in lever_specs(sc) if s.path == "strategy.quality.product")
    assert quality.low <= 0.95 <= quality.high
    assert quality.value == 0.95


def test_value_at_walks_mappings_and_lists() -> None:
    data = {"a": {"b": [{"c": 3}]}}
    assert value_at(data, "a.b.0.c") == 3
    assert value_at(data, "a.b.1.c") is None
    assert value_at(data, "a.x") is None


def test_typed_numbers_are_parsed_or_refused_in_the_page_language() -> None:
    staff = spec_of("baseline", "strategy.service.staff")
    assert parse_number(staff, " 4 ", "en") == 4
    with pytest.raises(UserError, match="whole number"):
        parse_number(staff, "2.5", "en")
    with pytest.raises(UserError, match="不是数字"):
        parse_number(staff, "many", "zh")
    # out of range is the loader's business, not the parser's
    assert parse_number(spec_of("baseline", "strategy.quality.product"), "1.7", "en") == 1.7


def test_moving_a_lever_back_to_the_scenarios_value_forgets_it() -> None:
    staff = spec_of("baseline", "strategy.service.staff")
    assert moved({}, staff, 4) == {"strategy.service.staff": 4}
    assert moved({"strategy.service.staff": 4}, staff, 3) == {}


def test_settings_put_the_levers_on_top_of_the_arm() -> None:
    arms = load_scenario("service_staffing").arms
    s = Settings("service_staffing", arm="understaffed", levers={"strategy.quality.product": 0.7})
    assert s.overrides(arms) == {"strategy.service.staff": 2, "strategy.quality.product": 0.7}
    moved_staff = Settings("service_staffing", "understaffed", {"strategy.service.staff": 5})
    assert moved_staff.overrides(arms) == {"strategy.service.staff": 5}
    b = b_overrides(Settings("service_staffing", "adequate"), arms, "understaffed", None, None)
    assert b == {"strategy.service.staff": 2}
    b = b_overrides(s, arms, None, "strategy.service.staff", 4)
    assert b == {"strategy.service.staff": 4, "strategy.quality.product": 0.7}


def test_the_kpi_strip_of_a_live_run_is_the_batch_runs_text() -> None:
    settings = Settings("service_staffing", "understaffed", {"strategy.quality.product": 0.7},
                        seed=3, customers=200)  # fmt: skip
    run = settings.build()
    assert kpi_strip(run.periods())["period"] == "0"
    for _ in range(4):
        run.step()
    levers = {"strategy.service.staff": 2, "strategy.quality.product": 0.7}
    sc = scaled(load_scenario("service_staffing", levers), 200)
    batch = sim.run(sc, seed=3, engine="vector").periods
    assert kpi_strip(run.periods()) == kpi_strip(batch.iloc[:4])
    strip = kpi_strip(batch.iloc[:4])
    assert strip["period"] == "4"
    assert strip["cum-profit"] == f"{batch['profit'].iloc[:4].sum():,.0f}"


@cache
def catalogue_texts(lang: str) -> re.Pattern[str]:
    """Any text of the catalogue in ``lang``, its ``{fields}`` matching anything."""
    alternatives = []
    for e in entries().values():
        parts = string.Formatter().parse(e.texts[lang])
        alternatives.append("".join(re.escape(lit) + (".+" if name else "")
                                    for lit, name, _, _ in parts))  # fmt: skip
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


def words(opt: Any) -> list[str]:
    """Every text an option shows: titles, axis and series names, legends, category labels."""
    out: list[str] = []
    if isinstance(opt, list):
        for item in opt:
            out += words(item)
    elif isinstance(opt, dict):
        for key, value in opt.items():
            if key in ("text", "name") and isinstance(value, str):
                out.append(value)
            elif key == "data" and isinstance(value, list):
                out += [x for x in value if isinstance(x, str)]
            if isinstance(value, dict | list):
                out += words(value)
    return [w for w in out if w and not re.fullmatch(r"[-+]?[\d.,]+", w)]


def test_every_chart_is_plain_json_in_the_catalogues_words_with_a_point_a_period() -> None:
    run = LiveRun.build("baseline", customers=150, seed=2)
    for _ in range(3):
        run.step()
    views, periods = run.views(), run.periods()
    for lang in ("en", "zh"):
        known = catalogue_texts(lang)
        for name in CHARTS:
            opt = option(name, views, lang)
            # what the server sends: strict JSON (no NaN), the same after a round trip
            assert json.loads(json.dumps(opt, allow_nan=False)) == opt, name
            shown = words(opt)
            assert opt["title"]["text"] == catalogue(lang)(f"dash.chart.{name}")
            strays = [w for w in shown if not known.fullmatch(w)]
            assert not strays, (name, lang, strays)
            if lang == "zh":  # no English left in a Chinese chart
                assert all(re.search("[\u4e00-\u9fff]", w) for w in shown), (name, shown)
            if name not in ("balance", "churn", "waterfall", "cohorts"):
                assert opt["xAxis"]["data"] == ["1", "2", "3"], name
                assert all(len(s["data"]) == 3 for s in opt["series"]), name
    flows = option("flows", views, "en")
    assert flows["series"][0]["data"] == [float(x) for x in periods["active"]]
    service = option("service", views, "en")
    hours = [24.0 * x for x in views.service["wait_mean"]]
    assert service["series"][0]["data"] == pytest.approx(hours)  # waits in hours
    numbers = view_numbers(views, periods, "en")
    active = dict((h, v) for h, _, v in numbers["flows"])["active"]
    assert active == f"{int(periods['active'].iloc[-1]):,d}"
    assert view_numbers(views, periods.iloc[:0], "en")["flows"] == []


def test_plain_numbers_turn_numpy_and_nan_into_json() -> None:
    values = plain([np.int64(3), np.float32(0.5), float("nan"), None, pd.NA])
    assert values == [3.0, 0.5, None, None, None]
    assert [type(v) for v in values[:2]] == [float, float]


def test_the_pair_chart_is_one_panel_per_metric_in_the_catalogues_words() -> None:
    pair = LivePair.build("service_staffing", None, {"strategy.service.staff": 2}, 150, 4)
    pair.step()
    pair.step()
    diff = pair.difference()
    for lang in ("en", "zh"):
        opt = difference_option(diff, lang)
        assert json.loads(json.dumps(opt, allow_nan=False)) == opt
        assert len(opt["series"]) == len(opt["grid"]) == 4
        known = catalogue_texts(lang)
        assert all(known.fullmatch(w) for w in words(opt)), words(opt)
    active = next(s for s in opt["series"] if s["name"] == catalogue("zh")("dash.kpi.active_now"))
    one = diff[diff["metric"] == "active"]
    assert active["data"] == [float(x) for x in one["diff"]]


def test_pair_numbers_are_b_minus_a_of_the_latest_period() -> None:
    pair = LivePair.build("service_staffing", None, {"strategy.service.staff": 2}, 150, 4)
    pair.step()
    pair.step()
    rows = {m: (a, b, d) for m, a, b, d in pair_numbers(pair.difference())}
    diff = pair.difference()
    last = diff[(diff["period"] == 1) & (diff["metric"] == "active")].iloc[0]
    assert rows["active"] == tuple(f"{x:,.0f}" for x in (last["a"], last["b"], last["diff"]))


def test_bad_input_becomes_a_message_not_an_exception() -> None:
    out, message = attempt(lambda: Settings("no_such_lesson").build(), "en")
    assert out is None and "no scenario named 'no_such_lesson'" in message
    _, message = attempt(
        lambda: Settings("baseline", levers={"strategy.quality.product": 1.7}).build(), "en"
    )
    assert "strategy.quality.product" in message
    _, message = attempt(lambda: Settings("baseline", customers=10**9).build(), "en")
    assert message and "Traceback" not in message
    # a bug is one sentence in the page's language, its traceback in the server's log
    assert failure(ZeroDivisionError("x"), "zh") == catalogue("zh")(
        "dash.error.internal", error="ZeroDivisionError"
    )
    with pytest.raises(ScenarioError):
        Settings("baseline", levers={"strategy.service.staff": -1}).build()


def test_the_address_language_falls_back_to_english() -> None:
    assert page_lang("zh") == "zh"
    assert page_lang("fr") == "en"
    assert state.testid("lever", "strategy.service.staff") == "lever-strategy-service-staff"


def test_every_catalogue_key_the_page_names_exists_in_both_languages() -> None:
    names = set()
    for module in OURS:
        text = (DASHBOARD / module).read_text(encoding="utf-8")
        names |= set(re.findall(r'"((?:dash|kpi|unit|money|churn|level|stage|reason|channel|'
                                r'lang)\.[a-z_.]+[a-z_])"', text))  # fmt: skip
    known = entries()
    missing = sorted(n for n in names if n not in known)
    assert not missing, missing
    ours = [e for k, e in known.items() if k.startswith("dash.")]
    assert len(ours) > 100
    assert all(e.source == "dashboard.yaml" for e in ours)


def test_no_dashboard_text_repeats_another_keys_english() -> None:
    by_text: dict[str, list[str]] = {}
    for key, e in entries().items():
        by_text.setdefault(e.texts["en"].strip().lower(), []).append(key)
    clashes = {t: ks for t, ks in by_text.items() if len(ks) > 1 and any(
        k.startswith("dash.") for k in ks)}  # fmt: skip
    assert not clashes, clashes
