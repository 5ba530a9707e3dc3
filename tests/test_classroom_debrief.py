"""The debrief: counterfactual identities, luck versus skill's arithmetic, the page and the PDF.

One small class is played once for the module (the baseline scaled to 300 customers, two
rounds of one period, three teams, R = 3 replicates) through the store, as the server plays
it: one team never submits (so it plays the baseline), one moves the price in round 1, one
with a hostile name moves the staff in round 2. The identities are exact: the ``actual``
alternative is the score the class recorded, a replay gives the same bytes, the baseline of
a team that never moved differs from it by exactly 0. The ANOVA is checked against a matrix
worked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from scipy import stats

from sim.classroom import world
from sim.classroom.counterfactual import Change, changes, most_mattered, reverted
from sim.classroom.debrief import ClassDebrief, debrief_from_store
from sim.classroom.debrief_page import render_debrief_html
from sim.classroom.debrief_pdf import expected_pages, render_debrief_pdf
from sim.classroom.luck import anova, summarise
from sim.classroom.setup import ClassSetup
from sim.classroom.store import ClassStore
from sim.classroom.worker import simulate_round
from sim.dashboard.live import LiveRun
from sim.errors import ArgumentError
from sim.i18n import text

PRICE, STAFF = "strategy.pricing.list_price", "strategy.service.staff"
CONFIG = {
    "rounds": 2,
    "periods_per_round": 1,
    "customers": 300,
    "open_levers": {PRICE: {"min": 0.8, "max": 1.3}, STAFF: {"min": 1, "max": 20, "integer": True}},
}
HOSTILE = '<script>alert("x")</script> & Co'


def _play_class(path: Path) -> tuple[ClassStore, int, str, dict[str, int]]:
    store = ClassStore(path)
    new = store.create_class("Tuesday group", "baseline", CONFIG, seed=20240607)
    cid, token = new.class_id, new.trainer_token
    teams = {name: store.add_team(cid, token, name) for name in ("Steady", "Pricers", HOSTILE)}
    base = ClassSetup.from_class("baseline", CONFIG, 20240607).baseline_levers()
    store.advance(cid, token, expected_round=0)
    store.submit(cid, teams["Pricers"].code, 1, {**base, PRICE: 1.2})
    store.advance(cid, token, expected_round=1)
    simulate_round(store, cid, 1)
    store.submit(cid, teams[HOSTILE].code, 2, {**base, STAFF: 6})
    store.advance(cid, token, expected_round=2)
    simulate_round(store, cid, 2)
    return store, cid, token, {name: t.team_id for name, t in teams.items()}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    store, cid, token, ids = _play_class(tmp_path_factory.mktemp("class") / "class.sqlite")
    view = store.trainer_view(cid, token)
    recorded = view["rounds"][-1]["result"]["teams"]
    out = {
        "en": debrief_from_store(store, cid, token, replicates=3, lost=3, lang="en"),
        "zh": debrief_from_store(store, cid, token, replicates=3, lost=3, lang="zh"),
        "recorded": {t: e["score"] for t, e in recorded.items()},
        "ids": ids,
    }
    store.close()
    return out


def test_the_actual_alternative_is_the_score_the_class_recorded(played: dict) -> None:
    d: ClassDebrief = played["en"]
    actual = d.counterfactuals[d.counterfactuals["alternative"] == "actual"]
    assert dict(zip(actual["team"], actual["score"], strict=True)) == played["recorded"]
    assert (actual["diff_from_actual"] == 0.0).all()
    board = dict(zip(d.leaderboard["team"], d.leaderboard["score"], strict=True))
    assert board == played["recorded"]
    median = float(np.median(list(board.values())))
    assert (d.leaderboard["diff_from_median"] == d.leaderboard["score"] - median).all()


def test_a_team_that_never_moved_has_a_baseline_difference_of_exactly_zero(played: dict) -> None:
    d: ClassDebrief = played["en"]
    steady = str(played["ids"]["Steady"])
    rows = d.counterfactuals[d.counterfactuals["team"] == steady].set_index("alternative")
    assert rows.loc["baseline", "diff_from_actual"] == 0.0
    assert "revert" not in rows.index
    part = next(t for t in d.teams if t.team == steady)
    assert part.mattered is None and not part.changed.to_numpy().any()


def test_each_change_is_reverted_alone_and_the_biggest_one_named(played: dict) -> None:
    d: ClassDebrief = played["en"]
    pricers = str(played["ids"]["Pricers"])
    reverts = d.counterfactuals[
        (d.counterfactuals["team"] == pricers) & (d.counterfactuals["alternative"] == "revert")
    ]
    assert reverts[["round", "lever", "played", "instead"]].values.tolist() == [
        [1, PRICE, "1.2", "1"]
    ]
    # Taking back the team's only change is playing the baseline: the same world, exactly.
    baseline = d.counterfactuals[
        (d.counterfactuals["team"] == pricers) & (d.counterfactuals["alternative"] == "baseline")
    ]
    assert reverts["score"].iloc[0] == baseline["score"].iloc[0]
    part = next(t for t in d.teams if t.team == pricers)
    assert part.mattered is not None and part.mattered["lever"] == PRICE
    assert bool(part.changed[PRICE].iloc[0]) and not bool(part.changed[PRICE].iloc[1])


def test_a_schedule_replayed_gives_identical_bytes(played: dict) -> None:
    setup = ClassSetup.from_class("baseline", CONFIG, 20240607)
    schedule = [{**setup.baseline_levers(), PRICE: 1.2}] * 2
    tables = []
    for _ in range(2):  # two fresh worlds, stepped as the class steps them
        live = LiveRun(setup.scenario, setup.seed, setup.engine)
        for levers in schedule:
            live.retune(dict(levers))
            live.step()
        tables.append(live.periods().to_csv().encode())
    assert tables[0] == tables[1]
    assert world.play(setup, schedule).periods().to_csv().encode() == tables[0]


def test_revert_keeps_the_old_value_until_the_next_change() -> None:
    base = {"p": 1.0, "s": 2}
    schedule = [{"p": 1.0, "s": 2}, {"p": 1.5, "s": 2}, {"p": 1.5, "s": 4}, {"p": 2.0, "s": 4}]
    found = changes(schedule, base)
    assert found == [Change(2, "p", 1.0, 1.5), Change(3, "s", 2, 4), Change(4, "p", 1.5, 2.0)]
    assert [r["p"] for r in reverted(schedule, base, found[0])] == [1.0, 1.0, 1.0, 2.0]
    assert [r["s"] for r in reverted(schedule, base, found[1])] == [2, 2, 2, 2]
    table = pd.DataFrame({"team": ["a"] * 3, "alternative": ["actual", "revert", "revert"],
                          "diff_from_actual": [0.0, 3.0, -5.0]})  # fmt: skip
    assert most_mattered(table, "a")["diff_from_actual"] == -5.0  # type: ignore[index]
    assert most_mattered(table, "b") is None


def test_the_anova_matches_a_matrix_worked_by_hand() -> None:
    # x = [[1, 2], [3, 6]]: grand mean 3, team means 1.5 and 4.5, world means 2 and 4.
    # SS_total = 4 + 1 + 0 + 9 = 14; SS_team = 2 (2.25 + 2.25) = 9; SS_world = 2 (1 + 1) = 4;
    # SS_inter = 1. F_team = 9 / 1; F(1, 1) is a squared Cauchy: P(F > 9) = 1 − 2/π atan 3.
    table = anova(np.array([[1.0, 2.0], [3.0, 6.0]])).set_index("source")
    assert table["sum_sq"].tolist() == [9.0, 4.0, 1.0, 14.0]
    assert table["df"].tolist() == [1, 1, 1, 3]
    assert table["share"].tolist() == pytest.approx([9 / 14, 4 / 14, 1 / 14, 1.0], abs=1e-15)
    assert table.loc["decisions", "f"] == pytest.approx(9.0, rel=1e-14)
    assert table.loc["decisions", "p_value"] == pytest.approx(1 - 2 / math.pi * math.atan(3))
    assert table.loc["world", "f"] == pytest.approx(4.0, rel=1e-14)


def test_the_interaction_is_the_sum_of_squared_cell_residuals() -> None:
    x = np.random.default_rng(np.random.SeedSequence(11)).normal(size=(4, 5))
    resid = x - x.mean(1, keepdims=True) - x.mean(0, keepdims=True) + x.mean()
    table = anova(x).set_index("source")
    assert table.loc["interaction", "sum_sq"] == pytest.approx((resid**2).sum(), rel=1e-12)
    ms = table["mean_sq"].to_dict()
    f = ms["decisions"] / ms["interaction"]
    assert table.loc["decisions", "p_value"] == pytest.approx(stats.f.sf(f, 3, 12), rel=1e-12)


def test_luck_versus_skill_tables(played: dict) -> None:
    luck = played["en"].luck
    assert luck is not None and luck.replicates == 3
    assert sorted(luck.scores["replicate"].unique()) == [1, 2, 3] and len(luck.scores) == 9
    assert luck.ranks.groupby("team")["share"].sum().tolist() == pytest.approx([1.0] * 3)
    assert luck.ranks.groupby("rank")["count"].sum().sum() == 9
    wide = luck.scores.pivot(index="team", columns="replicate", values="score")
    assert luck.anova["sum_sq"].tolist() == anova(wide)["sum_sq"].tolist()
    firsts = luck.scores[(luck.scores["team"] == luck.winner) & (luck.scores["rank"] == 1)]
    assert luck.winner_stays == len(firsts) / 3
    tie = summarise(pd.DataFrame({"team": ["a", "b"], "replicate": [1, 1], "score": [2.0, 2.0]}),
                    "b")  # fmt: skip
    assert tie.scores["rank"].tolist() == [1, 1] and tie.winner_stays == 1.0


def test_the_page_escapes_a_hostile_team_name(played: dict) -> None:
    page = render_debrief_html(played["en"])
    assert "<script>" not in page and HOSTILE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    assert page.count('<section class="sheet') == 1 + 3
    assert text("debrief.counterfactuals", "en") in page


def test_the_chinese_page_is_in_chinese(played: dict) -> None:
    d: ClassDebrief = played["zh"]
    page = render_debrief_html(d)
    for key in ("debrief.counterfactuals", "classroom.leaderboard", "debrief.lost",
                "debrief.source.decisions"):  # fmt: skip
        assert text(key, "zh") in page
    assert d.header.translated and d.header.lesson in page
    assert '<html lang="zh-Hans">' in page
    alt = d.counterfactuals[d.counterfactuals["alternative"] == "baseline"]["description"]
    assert set(alt) == {text("debrief.alt.baseline", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pdf_is_a_pdf_with_a_sheet_for_the_class_luck_and_each_team(
    played: dict, lang: str
) -> None:
    pdf = render_debrief_pdf(played[lang])
    assert pdf[:5] == b"%PDF-" and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.pages == expected_pages(played[lang]) == 2 + 3
    assert render_debrief_pdf(played[lang]) == pdf  # no creation date: the same bytes


def test_a_team_is_handed_the_leaderboard_and_its_own_pages_alone(played: dict) -> None:
    d: ClassDebrief = played["en"]
    names = {str(i): n for n, i in played["ids"].items()}
    for team, name in names.items():
        page = render_debrief_html(d, team)
        assert page.count('<section class="sheet') == 2
        own = page[page.index('<section class="sheet team"') :]
        assert str(escape(name)) in own
        assert not [n for t, n in names.items() if t != team and str(escape(n)) in own]
        assert all(str(escape(n)) in page for n in names.values())  # the public leaderboard
        assert text("debrief.luck_ranks", "en") not in page
        assert str(escape(text("debrief.alt.winner_unnamed", "en"))) in own
    hostile = str(played["ids"][HOSTILE])
    pdf = render_debrief_pdf(d, hostile)
    assert pdf[:5] == b"%PDF-" and pdf.pages == expected_pages(d, hostile) == 2
    with pytest.raises(ArgumentError, match="not in this debrief"):
        d.for_team("999")


def test_every_world_is_planned_before_the_first_is_played(tmp_path: Path) -> None:
    store, cid, token, _ = _play_class(tmp_path / "class.sqlite")
    told: list[tuple[int, int]] = []
    debrief_from_store(store, cid, token, replicates=0, lost=1,
                       progress=lambda done, planned: told.append((done, planned)))  # fmt: skip
    store.close()
    planned = told[0][1]
    # Steady plays the baseline, and each other team's one change taken back is the
    # baseline too: three worlds (baseline, Pricers, the hostile team), each played once.
    assert planned == 3
    assert told == [(k, planned) for k in range(planned + 1)]


def test_a_class_without_a_finished_round_has_no_debrief(tmp_path: Path) -> None:
    store = ClassStore(tmp_path / "c.sqlite")
    new = store.create_class("Empty", "baseline", CONFIG, seed=1)
    with pytest.raises(ArgumentError, match="no round with its results out"):
        debrief_from_store(store, new.class_id, new.trainer_token)
    store.close()
