"""Every lesson file declares what it shows, and what it claims agrees with what was measured.

A library scenario says in fields the tools read what a learner should see (``see:``), which
arm is the status quo that ``crmsim run`` runs and others are compared with
(``reference:``), and, in each headline, the direction it expects of each metric
(``expect:``) and the claim in the course's words (``claim:``). These tests hold the library
to that, check that the loader refuses a wrong ``reference`` or ``expect`` by name, and
check every expected direction against the full-size measurements recorded in
``docs/lesson_effects.json``: where a recorded 95 % interval excludes zero, its sign must be
the one the lesson claims, so a lesson whose claim the record contradicts fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import scenarios
from sim.docgen.lessons import EFFECTS, load_lesson, verdict
from sim.errors import ScenarioError
from sim.results.catalogue import KPIS
from sim.scenario.spec import Scenario, load_scenario

KPI_NAMES = [k.name for k in KPIS]
NAMES = scenarios.names()
WITH_ARMS = [n for n in NAMES if load_lesson(n).arms]
WITHOUT_ARMS = [n for n in NAMES if n not in WITH_ARMS]

#: A two-arm lesson on top of the library baseline, written as a file so lines are known.
LESSON = """\
extends: baseline
name: lesson
arms:
  calm: {}
  busy: {strategy.service.staff: 2}
reference: calm
headlines:
  - arm: busy
    against: calm
    metrics: [mean_wait, retention_12m]
    expect: {mean_wait: higher, retention_12m: lower}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lesson.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, kpis=KPI_NAMES)
    return info.value


def _measured() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EFFECTS.read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------- the library
def test_the_library_has_lessons_with_and_without_arms() -> None:
    # Guards the parametrisations below against an empty or mis-sorted library.
    assert "baseline" in WITHOUT_ARMS
    assert len(WITH_ARMS) >= 10, WITH_ARMS


@pytest.mark.parametrize("name", WITH_ARMS)
def test_lesson_with_arms_declares_reference_see_and_expectations(name: str) -> None:
    s = load_lesson(name)
    assert s.reference is not None, f"{name}: no reference: (one of {list(s.arms)})"
    assert s.reference in s.arms, f"{name}: reference {s.reference!r} not in {list(s.arms)}"
    assert s.see.strip(), f"{name}: no see: text"
    assert any(h.expect for h in s.headlines), f"{name}: no headline expects a direction"
    for i, h in enumerate(s.headlines):
        assert set(h.expect) <= set(h.metrics), f"{name}: headlines.{i}.expect {h.expect}"
        assert h.claim.strip() or not h.expect, f"{name}: headlines.{i} expects without a claim"


@pytest.mark.parametrize("name", WITH_ARMS)
def test_reference_arm_takes_part_in_a_headline(name: str) -> None:
    """The arm a trainer runs first is one the lesson reports on."""
    s = load_lesson(name)
    in_headlines = {a for h in s.headlines for a in (h.arm, h.against)}
    assert s.reference in in_headlines, f"{name}: {s.reference!r} not in {sorted(in_headlines)}"


@pytest.mark.parametrize("name", WITHOUT_ARMS)
def test_scenario_without_arms_has_see_and_no_reference(name: str) -> None:
    s = load_lesson(name)
    assert s.see.strip(), f"{name}: no see: text"
    assert s.reference is None and s.reference_arm is None


@pytest.mark.parametrize("name", NAMES)
def test_header_comment_leaves_what_to_see_to_the_see_field(name: str) -> None:
    header = []
    for line in scenarios.path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    text = " ".join(header).lower()
    assert "should see" not in text, f"{name}: the header still says what to see; use see:"


# --------------------------------------------------------------------------- the record
def test_expected_directions_agree_with_the_full_size_measurements() -> None:
    measured = _measured()
    checked, contradicted, unmeasured = 0, [], []
    for name in WITH_ARMS:
        s = load_lesson(name)
        rows = {(r["comparison"], r["metric"]): r for r in measured.get(name, {}).get("rows", [])}
        for h in s.headlines:
            for metric, want in h.expect.items():
                key = (f"{h.arm} - {h.against}", metric)
                r = rows.get(key)
                if r is None:
                    unmeasured.append(f"{name}: {key[0]} {metric}")
                    continue
                low, high = r["low"], r["high"]
                if low > 0.0 or high < 0.0:
                    checked += 1
                    if (low > 0.0) != (want == "higher"):
                        contradicted.append(
                            f"{name}: {key[0]} {metric} expected {want}, "
                            f"measured {r['diff']:+.4g} [{low:+.4g}, {high:+.4g}]"
                        )
    assert not unmeasured, (
        f"expected directions without a measurement in {EFFECTS.name} (run "
        f"scripts/measure_lessons.py): {unmeasured}"
    )
    assert not contradicted, "claims the full-size record contradicts:\n  " + "\n  ".join(
        contradicted
    )
    assert checked >= 20, f"only {checked} expected directions have a resolved measurement"


def test_a_claim_the_record_contradicts_would_fail() -> None:
    """The check above is not vacuous: flipping any resolved expectation contradicts it."""
    measured = _measured()
    flipped = 0
    for name in WITH_ARMS:
        rows = {(r["comparison"], r["metric"]): r for r in measured[name]["rows"]}
        for h in load_lesson(name).headlines:
            for metric, want in h.expect.items():
                r = rows[(f"{h.arm} - {h.against}", metric)]
                other = "lower" if want == "higher" else "higher"
                if verdict(want, r["low"], r["high"]) == "shown":
                    assert verdict(other, r["low"], r["high"]) == "contradicted"
                    flipped += 1
    assert flipped >= 20


@pytest.mark.parametrize(
    ("expect", "low", "high", "word"),
    [
        ("higher", 0.5, 2.0, "shown"),
        ("lower", -2.0, -0.5, "shown"),
        ("higher", -2.0, -0.5, "contradicted"),
        ("lower", 0.5, 2.0, "contradicted"),
        ("higher", -1.0, 1.0, "not resolved"),
        ("lower", 0.0, 0.0, "not resolved"),
    ],
)
def test_verdict_reads_the_interval(expect: str, low: float, high: float, word: str) -> None:
    assert verdict(expect, low, high) == word


# --------------------------------------------------------------------------- the loader
def test_a_well_formed_lesson_loads(tmp_path: Path) -> None:
    s: Scenario = load_scenario(_write(tmp_path, LESSON), kpis=KPI_NAMES)
    assert s.reference == s.reference_arm == "calm"
    assert dict(s.headlines[0].expect) == {"mean_wait": "higher", "retention_12m": "lower"}


def test_expect_outside_the_headline_metrics_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, LESSON.replace("retention_12m: lower", "retention_12: lower"))
    err = _refusal(path)
    assert [(p.path, p.line) for p in err.problems] == [("headlines.0.expect.retention_12", 11)]
    text = str(err)
    assert "headlines.0.expect.retention_12 = 'retention_12'" in text
    assert "is not one of this headline's metrics" in text
    assert "did you mean 'retention_12m'?" in text


def test_expect_needs_higher_or_lower(tmp_path: Path) -> None:
    err = _refusal(_write(tmp_path, LESSON.replace("mean_wait: higher", "mean_wait: up")))
    assert [p.path for p in err.problems] == ["headlines.0.expect.mean_wait"]
    assert "higher" in str(err) and "lower" in str(err)


def test_a_wrong_reference_is_refused_with_a_hint(tmp_path: Path) -> None:
    err = _refusal(_write(tmp_path, LESSON.replace("reference: calm", "reference: clam")))
    assert [(p.path, p.line) for p in err.problems] == [("reference", 6)]
    text = str(err)
    assert "reference = 'clam': is not an arm of this scenario" in text
    assert "one of the arms: calm, busy" in text
    assert "did you mean 'calm'?" in text


def test_a_reference_without_arms_is_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario({"extends": "baseline", "reference": "calm"})
    assert [p.path for p in info.value.problems] == ["reference"]
    assert "an arm of an arms: block" in str(info.value)
