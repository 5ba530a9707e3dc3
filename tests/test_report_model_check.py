"""The run report's "Against the textbook models" section (sim/report/model_check.py).

Small pure-mode worlds (behaviour off, no referrals, the desk switched off, as in
tests/test_pure_modes.py) whose segments use different textbook models and different
parameters, so that a truth taken from the wrong segment or field shows. Statistical
assertions are likelihood-ratio tests at 1e-3 family-wise (Bonferroni over the section's
tests): under a correct simulator the false-alarm chance is at most 1e-3 for any seed, and the
seeds are fixed.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from scipy import stats

import sim
from sim.report.model_check import LRT_LEVEL, model_check, model_check_section
from sim.report.run_page import render_html
from sim.results.display import number
from sim.results.run_result import RunResult

BG = {"purchase": {"r": 0.5, "alpha": 20.0}, "dropout": {"model": "bg", "a": 0.8, "b": 2.5}}
PARETO = {
    "purchase": {"r": 1.5, "alpha": 15.0},
    "dropout": {"model": "pareto", "s": 0.8, "beta": 200.0},
}
FLAT = {"purchase": {"r": 1.0, "alpha": 30.0}, "dropout": {"model": "constant", "theta": 0.1}}
EVIL = "light & <i>lean</i>"  # a segment name is user text


def _segment(name: str, share: float, recipe: dict[str, Any], p: float) -> dict[str, Any]:
    spend = {"p": p, "q": 4.0, "gamma": 20.0}
    return {"name": name, "share": share, "spend": spend, "service_interval": 1e7, **recipe}


def _world(setting: str, segments: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": "pure",
        "setting": setting,
        "behaviour": {"enabled": False},
        "population": {"initial": 2000, "segments": segments},
        "strategy": {
            "service": {"staff": None, "cost_per_ticket": 0.0},
            "acquisition": {"referral_conversion": 0.0},
        },
        "output": {"ledger": "aggregate"},
        **extra,
    }


MIXED = _world(
    "noncontractual",
    [_segment(EVIL, 0.4, BG, 6.0), _segment("heavy", 0.4, PARETO, 8.0),
     _segment("flat", 0.2, FLAT, 6.0)],
    horizon="1y",
    period="3mo",
)  # fmt: skip


@pytest.fixture(scope="module")
def mixed() -> RunResult:
    return sim.run(sim.load_scenario(MIXED), seed=7, engine="vector")


def _field(spec: dict[str, Any], segment: str, parameter: str) -> float:
    seg = next(s for s in spec["population"]["segments"] if s["name"] == segment)
    section, name = parameter.split(".")
    return float(seg[section][name])


def test_true_values_are_each_segments_own(mixed: RunResult) -> None:
    check = model_check(mixed)
    assert check is not None and check.pure
    table = check.table
    models = {s: set(table.loc[table["segment"] == s, "model"]) for s in table["segment"]}
    assert models == {
        EVIL: {"BG/NBD", "Gamma–Gamma"},
        "heavy": {"Pareto/NBD", "Gamma–Gamma"},
        "flat": {"Gamma–Gamma"},  # constant dropout: only spend has a textbook model
    }
    for row in table.to_dict("records"):
        assert row["true"] == _field(MIXED, row["segment"], row["parameter"]), row
    # Units read off the scenario's declarations: Pareto's dropout.beta is a duration,
    # BG's dropout.b a shape; the Gamma–Gamma scale is money.
    units = dict(zip(table["segment"] + " " + table["parameter"], table["unit"], strict=True))
    assert units[f"{EVIL} purchase.alpha"] == units["heavy dropout.beta"] == "days"
    assert units[f"{EVIL} dropout.b"] == units["heavy dropout.s"] == units["flat spend.p"] == ""
    assert units["heavy spend.gamma"] == "money"


def test_pure_world_accepts_the_truth(mixed: RunResult) -> None:
    check = model_check(mixed)
    assert check is not None
    tests = check.tests
    assert len(tests) == 5 and check.level == pytest.approx(LRT_LEVEL / 5)
    # Under a correct simulator each statistic is χ²(dof): P(any p ≤ 1e-3/5) ≤ 1e-3.
    assert (tests["p_value"] > check.level).all(), tests
    assert (tests["verdict"] == "accepts the truth").all()
    html = model_check_section(mixed)
    assert html.startswith("<section id='model-check'><h2>Against the textbook models</h2>")
    assert "Every likelihood-ratio test accepts the true values at 0.001" in html
    assert "rejects" not in html and "Behaviour is on" not in html
    assert "<th>true (in the unit)</th>" in html
    assert f"<td class='num'>{number(200.0)}</td>" in html  # heavy's dropout.beta
    assert "Segment flat: its dropout is constant" in html
    assert "light &amp; &lt;i&gt;lean&lt;/i&gt;" in html and "<i>lean</i>" not in html


def test_a_wrong_truth_is_rejected(mixed: RunResult) -> None:
    # The section reads the truth from the run's manifest: doubling alpha there (half the
    # purchase rate) must show as the true value and be rejected. Measured statistics are
    # 115–170 over five seeds against a critical value of 22 (χ²(4) at 2e-4).
    manifest = copy.deepcopy(mixed.manifest)
    manifest["scenario"]["population"]["segments"][0]["purchase"]["alpha"] = 40.0
    check = model_check(dataclasses.replace(mixed, manifest=manifest))
    assert check is not None
    row = check.table[
        (check.table["segment"] == EVIL) & (check.table["parameter"] == "purchase.alpha")
    ]
    assert row["true"].tolist() == [40.0]
    verdicts = dict(
        zip(
            check.tests["segment"] + " " + check.tests["model"], check.tests["verdict"], strict=True
        )
    )
    assert verdicts[f"{EVIL} BG/NBD"].startswith("rejects the truth")
    assert verdicts["heavy Pareto/NBD"] == "accepts the truth"
    html = model_check_section(dataclasses.replace(mixed, manifest=manifest))
    assert "1 of 5 likelihood-ratio tests reject the true values" in html


def test_budget_bounds_the_fit(mixed: RunResult) -> None:
    check = model_check(mixed, budget=500)
    assert check is not None
    fitted = check.table.drop_duplicates(["segment", "model"])
    buying = fitted[fitted["model"] != "Gamma–Gamma"].set_index("segment")["customers"]
    share = mixed.customers["segment"].value_counts() / len(mixed.customers)
    for segment in (EVIL, "heavy"):
        assert buying[segment] == pytest.approx(500 * share[segment], abs=1)
    assert sum("customers (by customer id) were fitted" in n for n in check.notes) == 3
    # A subset chosen by id is still the model's: the tests keep their level.
    assert (check.tests["p_value"] > check.level).all()


def test_behaviour_on_explains_instead_of_testing(small_baseline: RunResult) -> None:
    html = model_check_section(small_baseline)
    assert "<th>set by the scenario (in the unit)</th>" in html
    assert "likelihood-ratio tests of the true values" not in html.lower()
    reasons = small_baseline.customers["churn_reason"].astype(str)
    behavioural = int((~reasons.isin(["", "baseline"])).sum())
    assert behavioural > 0
    gone = int((reasons != "").sum())
    expected = f"besides the baseline dropout, {behavioural:,} of the {gone:,} customers who left"
    assert "Behaviour is on, so the textbook models are not expected to hold" in html
    assert expected in html


def test_contractual_renewals_and_what_is_not_checked() -> None:
    sbg = {"fee": 10.0, "dropout": {"model": "sbg", "alpha": 1.0, "beta": 3.0}}
    flat = {"fee": 10.0, "dropout": {"model": "constant", "theta": 0.1}}
    spec = _world(
        "contractual",
        [_segment("renewing", 0.5, sbg, 6.0), _segment("flat", 0.5, flat, 6.0)],
        horizon="12.5mo",
        period="1mo",
    )
    result = sim.run(sim.load_scenario(spec), seed=3, engine="vector")
    check = model_check(result)
    assert check is not None
    assert check.table[["segment", "parameter", "true"]].values.tolist() == [
        ["renewing", "dropout.alpha", 1.0],
        ["renewing", "dropout.beta", 3.0],
    ]
    assert check.tests["p_value"].iloc[0] > LRT_LEVEL  # one test: χ²(2), false alarm 1e-3
    assert any("Segment flat" in n and "not checked" in n for n in check.notes)
    # Too short to reach a renewal: a note, not a broken report.
    short = {**spec, "horizon": "20d", "period": "1w"}
    html = model_check_section(sim.run(sim.load_scenario(short), seed=3, engine="vector"))
    assert "could not be fitted to this run" in html and "<table>" not in html


def test_run_report_carries_the_section(mixed: RunResult) -> None:
    page = render_html(mixed, {})
    assert page.index("id='why-customers-left'") < page.index("id='model-check'")
    assert page.index("id='model-check'") < page.index("id='columns'")
    bare = dataclasses.replace(mixed, manifest={})
    assert model_check_section(bare) == ""  # no scenario: nothing to compare with
    assert "id='model-check'" not in render_html(bare, {})


def test_rejection_level_matches_the_command() -> None:
    from sim.cli.calibrate import LRT_LEVEL as command_level

    assert command_level == LRT_LEVEL
    assert stats.chi2.isf(LRT_LEVEL / 5, 4) == pytest.approx(22.0, abs=0.5)  # as quoted above
