"""One language of units, and verdicts whose words follow from the interval printed with them.

A strategist reads "B beats A on retention_24m by 3.2 pts [0.04, 6.3]" and checks the
bracket: the words must be what the bracket says, for any interval. Shares read in points,
waits in hours, money with its symbol; a relative size appears only where it means something.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.report.compare_page import verdict
from sim.results.catalogue import KPIS
from sim.results.display import (
    change_text,
    interval_text,
    mean_text,
    number,
    relative_applies,
    value_text,
)


def _parse(text: str) -> float:
    clean = text.replace("−", "-").replace(",", "").replace("¥", "").replace("+", "")
    return float(clean)


def _bracket(sentence: str) -> tuple[float, float]:
    inside = sentence[sentence.index("[") + 1 : sentence.index("]")]
    low, high = inside.split(", ")  # thousands separators have no space after them
    return _parse(low), _parse(high)


_finite = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(
    metric=st.sampled_from([k.name for k in KPIS]),
    bounds=st.lists(_finite, min_size=3, max_size=3).map(sorted),
    scale=st.sampled_from([1e-6, 1e-3, 1.0, 1e3]),
    currency=st.sampled_from(["", "¥"]),
)
def test_verdict_words_follow_from_the_printed_interval(
    metric: str, bounds: list[float], scale: float, currency: str
) -> None:
    low, diff, high = (b * scale for b in bounds)
    entry = next(k for k in KPIS if k.name == metric)
    row = {
        "arm": "B", "baseline": "A", "metric": metric, "diff": diff, "low": low, "high": high,
        "rel_pct": 4.0, "rel_low": -1.0, "rel_high": 9.0, "base_mean": 10.0,
        "direction": entry.better, "better": 0, "detected": False,
    }  # fmt: skip
    sentence = verdict(row, currency)
    shown_low, shown_high = _bracket(sentence)
    if sentence.startswith("no detectable difference"):
        # The printed interval holds zero, in the printed numbers' own signs.
        assert shown_low <= 0.0 <= shown_high, sentence
        assert low <= 0.0 <= high
        return
    # A named winner: the printed magnitudes are both positive, never a rounded 0.
    assert 0.0 < shown_low <= shown_high, sentence
    up = low > 0.0
    if entry.better == 0:
        assert (" is higher than " if up else " is lower than ") in sentence
    else:
        wins = (1 if up else -1) * entry.better > 0
        assert (" beats " if wins else " trails ") in sentence, sentence


def test_verdicts_read_in_each_kpis_own_unit() -> None:
    base = {"arm": "B", "baseline": "A", "rel_low": 1.0, "rel_high": 7.0, "better": 1}
    share = {**base, "metric": "retention_24m", "diff": -0.123, "low": -0.2, "high": -0.0004,
             "rel_pct": -15.0, "base_mean": 0.8, "direction": 1}  # fmt: skip
    assert verdict(share) == "B trails A on retention_24m by 12.3 pts [0.04, 20.0]"
    wait = {**base, "metric": "mean_wait", "diff": -0.05, "low": -0.08, "high": -0.02,
            "rel_pct": -40.0, "base_mean": 0.125, "direction": -1}  # fmt: skip
    assert verdict(wait) == (
        "B beats A on mean_wait by 1.20 h [0.48, 1.92] (40.0 % less); lower is better"
    )
    money = {**base, "metric": "profit", "diff": 41_000.0, "low": 23_000.0, "high": 59_000.0,
             "rel_pct": 4.1, "base_mean": 1e6, "direction": 1}  # fmt: skip
    assert verdict(money, "¥") == "B beats A on profit by ¥41,000 [¥23,000, ¥59,000] (4.10 % more)"
    # From a zero baseline, a relative size would read "+100 %": it is left out.
    won = {**base, "metric": "won_back", "diff": 12.0, "low": 3.0, "high": 20.0,
           "rel_pct": 100.0, "base_mean": 0.0, "direction": 1}  # fmt: skip
    assert verdict(won) == "B beats A on won_back by 12.0 customers [3.00, 20.0]"
    none = {**share, "low": -0.2, "high": 0.01}
    assert verdict(none) == (
        "no detectable difference between B and A on retention_24m: −12.3 pts [−20.0, 1.00]"
    )


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("retention_12m", 0.798, "79.8 %"),
        ("mean_wait", 0.1017, "2.44 h"),
        ("profit", -33_012.4, "−¥33,012"),
        ("customers_acquired", 2460.0, "2,460 customers"),
        ("satisfaction_end", 0.6234, "0.623 on the 0–1 scale"),
        ("balance_end", float("nan"), "n/a"),
    ],
)
def test_values_read_in_their_units(metric: str, value: float, text: str) -> None:
    assert value_text(metric, value, "¥") == text


def test_changes_and_intervals_of_shares_are_points_not_percent_of_percent() -> None:
    assert change_text("retention_24m", -0.123) == "−12.3 pts"
    assert interval_text("retention_24m", -0.2, 0.05) == "[−20.0, 5.00] pts"
    assert mean_text("retention_12m", 0.798, 0.781, 0.815) == "79.8 % [78.1, 81.5]"
    assert mean_text("profit", 2e6, 1.9e6, 2.1e6, "¥") == "¥2,000,000 [¥1,900,000, ¥2,100,000]"


@pytest.mark.parametrize("metric", [k.name for k in KPIS])
def test_relative_differences_only_on_ratio_scales(metric: str) -> None:
    entry = next(k for k in KPIS if k.name == metric)
    ratio = entry.unit in ("money", "money per customer", "customers", "days")
    assert relative_applies(metric, 10.0) is ratio
    assert not relative_applies(metric, 0.0)
    assert not relative_applies(metric, -5.0)
    assert not relative_applies(metric, math.nan)


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != 0.0))
def test_a_nonzero_number_never_prints_as_zero_and_keeps_its_sign(x: float) -> None:
    text = number(x)
    assert _parse(text) != 0.0
    assert (_parse(text) < 0) == (x < 0)
    assert math.isclose(_parse(text), x, rel_tol=0.06)


def test_a_cost_saved_by_losing_customers_is_called_out() -> None:
    import sim
    from sim.experiments import compare
    from sim.report.wording import fewer_customers_note

    small = {"population.initial": 200, "horizon": "1y"}
    base = sim.load_scenario("baseline", small)
    no_ads = sim.load_scenario("baseline", {**small, "strategy.acquisition.budget_per_period": 0})
    # Without acquisition spending, about 450 fewer customers arrive in the year (≈ 38 a
    # month): costs fall and active customers fall, far beyond any replication noise.
    c = compare({"base": base, "no_ads": no_ads}, n=3, seed=5, engine="vector")
    note = fewer_customers_note(c, "costs", "no_ads")
    assert note.startswith("with fewer customers at the end (−"), note
    assert fewer_customers_note(c, "profit", "no_ads") == ""  # higher is better: no caveat
    assert fewer_customers_note(c, "costs", "base") == ""
    rows = c.differences(["costs"])
    assert int(rows["better"].iloc[0]) == 1  # the arm does "beat" the baseline on costs


@pytest.mark.parametrize(
    ("days", "words"),
    [(1095.75, "3 years"), (547.875, "18 months"), (30.4375, "1 month"), (7.0, "1 week"),
     (1.0, "1 day"), (36.5, "36.5 days"), (1 / 24, "1 hour"), (0.5, "12 hours")],
)  # fmt: skip
def test_durations_read_in_words(days: float, words: str) -> None:
    from sim.results.display import duration_words

    assert duration_words(days) == words


@settings(max_examples=200, deadline=None)
@given(
    bounds=st.lists(_finite, min_size=3, max_size=3).map(sorted),
    expect=st.sampled_from(["higher", "lower", ""]),
)
def test_a_claim_is_judged_by_the_interval_printed_with_it(
    bounds: list[float], expect: str
) -> None:
    from sim.report.wording import claim_line, claim_status

    low, diff, high = bounds
    row = {"arm": "B", "baseline": "A", "metric": "profit", "diff": diff, "low": low,
           "high": high, "n": 8, "expect": expect}  # fmt: skip
    status, line = claim_status(row), claim_line(row)
    shown_low, shown_high = _bracket(line)
    if not expect:
        assert status == "" and "claimed" not in line
    elif shown_low <= 0.0 <= shown_high:
        assert status == "unclear" and line.endswith(
            "not detectable at this number of replications"
        )
    else:
        holds = (shown_low > 0.0) == (expect == "higher")
        assert status == ("holds" if holds else "fails"), line


def test_a_lesson_comparison_carries_its_reference_headlines_and_claims() -> None:
    import sim
    from sim.experiments import compare
    from sim.report.compare_page import headline_metrics

    small = sim.load_scenario("complaint_handling", {"population.initial": 150, "horizon": "6mo"})
    c = compare(small, n=2, seed=3, engine="vector")
    assert c.lesson is small and c.baseline == small.reference == "basic"
    heads = c.headline_differences()
    pairs = list(dict.fromkeys(zip(heads["arm"], heads["baseline"], strict=True)))
    assert pairs == [(h.arm, h.against) for h in small.headlines]
    first = small.headlines[0]
    assert list(heads["metric"][: len(first.metrics)]) == list(first.metrics)
    assert list(heads["expect"][: len(first.metrics)]) == [
        first.expect.get(m, "") for m in first.metrics
    ]
    # The lesson's own metrics lead the default set, in the file's order.
    assert headline_metrics(c)[:2] == ["recovery_rate", "balance_end"]
    # Arms given one by one carry no lesson: the first arm is the baseline.
    loose = compare(dict(c.arms), n=2, seed=3, engine="vector")
    assert loose.lesson is None and loose.baseline == next(iter(c.arms))
    assert loose.headline_differences().empty
