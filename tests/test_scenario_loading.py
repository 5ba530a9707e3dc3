"""Scenario loading: the broken-file corpus, extends, overrides, the library and hashing."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

import scenarios
from sim.errors import Problem, ScenarioError, UserError
from sim.results.catalogue import KPIS
from sim.scenario.spec import (
    Scenario,
    dump_yaml,
    load_scenario,
    parse_overrides,
    scenario_hash,
    scenario_to_dict,
    with_overrides,
)

BROKEN = Path(__file__).parent / "broken"

SEGMENT: dict[str, Any] = {
    "name": "a",
    "share": 1.0,
    "purchase": {"r": 1, "alpha": "30d"},
    "spend": {"p": 6, "q": 4, "gamma": 30},
    "dropout": {"model": "bg", "a": 1, "b": 5},
}
MINIMAL: dict[str, Any] = {"population": {"initial": 10, "segments": [SEGMENT]}}

MINIMAL_YAML = """\
population:
  initial: 10
  segments:
    - name: a
      share: 1.0
      purchase: {r: 1, alpha: 30d}
      spend: {p: 6, q: 4, gamma: 30}
      dropout: {model: bg, a: 1, b: 5}
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write a scenario file (creating folders) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def scenario_error(source: Any, overrides: Any = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return info.value


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small scenario library in place of the real one."""
    lib = tmp_path / "library"
    write(lib, "baseline.yaml", "lesson: Start here.\n" + MINIMAL_YAML)
    write(lib, "loyalty.yaml", "extends: baseline\nstrategy:\n  loyalty: {enabled: true}\n")
    write(lib, "_partial.yaml", "strategy:\n  service: {staff: 7}\n")
    write(lib, "quiet.yaml", "description: no lesson line\n" + MINIMAL_YAML)
    monkeypatch.setattr(scenarios, "SCENARIO_DIR", lib)
    return lib


# --------------------------------------------------------------------------- the corpus
# file → (dotted path, line, file the problem is in, substrings the message must contain)
CORPUS: dict[str, tuple[str, int | None, str, list[str]]] = {
    "bad_duration_unit.yaml": (
        "contract.every",
        4,
        "bad_duration_unit.yaml",
        [
            "bad_duration_unit.yaml:4: contract.every = '3 weeks': is not a duration",
            "allowed: a duration ≥ 1d and ≤ 50y, written like 30d, 12h, 2w, 6mo or 1.5y",
        ],
    ),
    "contractual_bg.yaml": (
        "population.segments.0.dropout",
        10,
        "contractual_bg.yaml",
        [
            "contractual_bg.yaml:10: population.segments.0.dropout: model 'bg'",
            "noncontractual setting",
            "allowed: dropout model sbg or constant",
        ],
    ),
    "cycle_a.yaml": (
        "extends",
        2,
        "cycle_b.yaml",
        [
            "cycle_b.yaml:2: extends = 'cycle_a.yaml'",
            "extends cycle: cycle_a.yaml → cycle_b.yaml → cycle_a.yaml",
            "allowed: a parent scenario that does not lead back",
        ],
    ),
    "cycle_b.yaml": (
        "extends",
        2,
        "cycle_a.yaml",
        [
            "cycle_a.yaml:2: extends = 'cycle_b.yaml'",
            "extends cycle: cycle_b.yaml → cycle_a.yaml → cycle_b.yaml",
        ],
    ),
    "duplicate_key.yaml": (
        "strategy",
        6,
        "duplicate_key.yaml",
        [
            "duplicate_key.yaml:6: strategy: duplicate key 'strategy', already set on line 3",
            "allowed: each key once per block",
        ],
    ),
    "extend_typo.yaml": (
        "extend",
        2,
        "extend_typo.yaml",
        [
            "extend_typo.yaml:2: extend: unknown key 'extend'",
            "keys under the top level: name, lesson",
            "did you mean 'extends'?",
        ],
    ),
    "extends_missing.yaml": (
        "extends",
        2,
        "extends_missing.yaml",
        [
            "extends_missing.yaml:2: extends = '_bsae.yaml': file not found",
            "allowed: a file in",
            "did you mean '_base.yaml'?",
        ],
    ),
    "extends_unknown_name.yaml": (
        "extends",
        2,
        "extends_unknown_name.yaml",
        [
            "extends_unknown_name.yaml:2: extends = 'basline': no scenario named 'basline'",
            "allowed: a library scenario (baseline, loyalty, quiet)",
            "did you mean 'baseline'?",
        ],
    ),
    "headline_unknown_arm.yaml": (
        "headlines.0.arm",
        7,
        "headline_unknown_arm.yaml",
        [
            "headline_unknown_arm.yaml:7: headlines.0.arm = 'bussy': is not an arm of this "
            "scenario",
            "allowed: one of the arms: calm, busy; did you mean 'busy'?",
        ],
    ),
    "ladder_too_short.yaml": (
        "behaviour.ladder.promote_at",
        5,
        "ladder_too_short.yaml",
        [
            "ladder_too_short.yaml:5: behaviour.ladder.promote_at = [5, 12]",
            "needs exactly 3 items, got 2",
            "allowed: a list of exactly 3 items, each a number",
        ],
    ),
    "missing_population.yaml": (
        "population",
        None,
        "missing_population.yaml",
        [
            "missing_population.yaml: population: is required",
            "allowed: a mapping with the keys initial, segments",
        ],
    ),
    "negative_rate.yaml": (
        "population.segments.0.purchase.r",
        8,
        "negative_rate.yaml",
        [
            "negative_rate.yaml:8: population.segments.0.purchase.r = -0.5: must be > 0",
            "allowed: a number > 0",
        ],
    ),
    "negative_staff.yaml": (
        "strategy.service.staff",
        5,
        "negative_staff.yaml",
        [
            "negative_staff.yaml:5: strategy.service.staff = -1: must be ≥ 1 "
            "(allowed: a whole number ≥ 1 and ≤ 1000000, or null for unbounded staff)",
        ],
    ),
    "period_longer_than_horizon.yaml": (
        "period",
        4,
        "period_longer_than_horizon.yaml",
        [
            "period_longer_than_horizon.yaml:4: period = '2y'",
            "longer than horizon",
            "allowed: a period no longer than the horizon",
        ],
    ),
    "probability_over_one.yaml": (
        "strategy.quality.on_time",
        6,
        "probability_over_one.yaml",
        [
            "probability_over_one.yaml:6: strategy.quality.on_time = 1.3: must be ≤ 1",
            "allowed: a number ≥ 0 and ≤ 1",
        ],
    ),
    "resolve_probability.yaml": (
        "strategy.complaints.resolve.lescant",
        6,
        "resolve_probability.yaml",
        [
            "resolve_probability.yaml:6: strategy.complaints.resolve.lescant = 1.4",
            "not a probability",
            "allowed: a number from 0 to 1",
        ],
    ),
    "shares_not_one.yaml": (
        "population.segments",
        4,
        "shares_not_one.yaml",
        [
            "shares_not_one.yaml:4: population.segments: segment shares must sum to 1, got 0.9",
            "loyal=0.6, casual=0.3",
            "allowed: segment shares (population.segments.N.share) that add up to exactly 1",
        ],
    ),
    "top_level_list.yaml": (
        "",
        1,
        "top_level_list.yaml",
        [
            "top_level_list.yaml:1: the top level is list",
            "not a mapping",
            "allowed: a mapping of keys to values: name, lesson",
        ],
    ),
    "typo_key.yaml": (
        "strategy.servce",
        4,
        "typo_key.yaml",
        [
            "typo_key.yaml:4: strategy.servce: unknown key 'servce'",
            "keys under strategy: quality, pricing, care_tiers",
            "did you mean 'service'?",
        ],
    ),
    "unknown_dropout_model.yaml": (
        "population.segments.0.dropout.model",
        10,
        "unknown_dropout_model.yaml",
        [
            "unknown_dropout_model.yaml:10: population.segments.0.dropout.model = 'weibull'",
            "unknown model 'weibull'",
            "allowed: model: bg, pareto, sbg, constant",
        ],
    ),
    "unknown_policy.yaml": (
        "strategy.complaints.handling",
        5,
        "unknown_policy.yaml",
        [
            "unknown_policy.yaml:5: strategy.complaints.handling = 'best'",
            "allowed: one of: none, basic, lescant",
        ],
    ),
    "wrong_type.yaml": (
        "population.initial",
        4,
        "wrong_type.yaml",
        [
            "wrong_type.yaml:4: population.initial = 'lots': must be a whole number",
            "allowed: a whole number ≥ 0",
        ],
    ),
    "yaml_syntax.yaml": (
        "",
        7,
        "yaml_syntax.yaml",
        [
            "yaml_syntax.yaml:7: YAML syntax error",
            "while parsing a flow mapping on line 6",
            "allowed: YAML: `key: value` lines indented with spaces",
        ],
    ),
    "zero_account_managers.yaml": (
        "strategy.account_managers.count",
        7,
        "zero_account_managers.yaml",
        [
            "zero_account_managers.yaml:7: strategy.account_managers.count = 0",
            "owned by account managers",
            "allowed: account_managers.count ≥ 1",
            "care_tiers.enabled: false",
        ],
    ),
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in BROKEN.glob("*.yaml") if not p.name.startswith("_"))


def test_corpus_is_covered_and_commented() -> None:
    files = corpus_files()
    assert len(files) >= 15
    assert files == sorted(CORPUS)
    for name in files:
        first = (BROKEN / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# Broken: "), name


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_broken_file_is_reported_precisely(name: str) -> None:
    path, line, in_file, expected = CORPUS[name]
    err = scenario_error(BROKEN / name)
    text = str(err)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    assert err.file is not None and err.file.name == name
    matches = [p for p in err.problems if p.path == path]
    assert matches, [p.path for p in err.problems]
    problem = matches[0]
    assert problem.line == line
    assert problem.allowed
    assert (problem.file or err.file).name == in_file


def test_scenario_error_is_a_user_error_and_pickles() -> None:
    err = scenario_error(BROKEN / "negative_staff.yaml")
    assert isinstance(err, UserError)
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert copy.problems == err.problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL_YAML + "strategy:\n  service: {staff: 0, promise: soon}\nseed: -1\n"
    err = scenario_error(write(tmp_path, "many.yaml", text))
    paths = {p.path for p in err.problems}
    assert {"strategy.service.staff", "strategy.service.promise", "seed"} <= paths
    assert len(str(err).splitlines()) == len(err.problems)


def test_problem_render_and_empty_error() -> None:
    problem = Problem("strategy.service.staff", 12, "-1", "must be ≥ 1", "a whole number ≥ 1")
    assert problem.render("scenarios/foo.yaml") == (
        "scenarios/foo.yaml:12: strategy.service.staff = -1: must be ≥ 1 "
        "(allowed: a whole number ≥ 1)"
    )
    assert str(Problem("seed", None, None, "is required")) == "seed: is required"
    with pytest.raises(ValueError, match="at least one problem"):
        ScenarioError([])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("population: {initial: 10\n", "YAML syntax error"),
        ("population:\n\tinitial: 10\n", "YAML syntax error"),
    ],
)
def test_unusable_files(tmp_path: Path, text: str, fragment: str) -> None:
    err = scenario_error(write(tmp_path, "bad.yaml", text))
    assert fragment in str(err)
    assert "bad.yaml" in str(err)


def test_missing_top_level_file(tmp_path: Path) -> None:
    write(tmp_path, "baseline.yaml", MINIMAL_YAML)
    err = scenario_error(tmp_path / "baselin.yaml")
    assert "file not found" in str(err)
    assert "did you mean 'baseline.yaml'?" in str(err)


def test_anchors_and_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = """\
population:
  initial: 10
  segments:
    - &first
      name: a
      share: 0.5
      purchase: {r: 1, alpha: 30d}
      spend: {p: 6, q: 4, gamma: 30}
      dropout: {model: bg, a: 1, b: 5}
    - <<: *first
      name: b
      share: 0.25
"""
    err = scenario_error(write(tmp_path, "anchors.yaml", text))
    problem = err.problems[0]
    assert problem.path == "population.segments"
    assert "got 0.75" in problem.message


# --------------------------------------------------------------------------- overrides
def test_override_values_are_parsed_as_yaml() -> None:
    parsed = parse_overrides(
        ["a.b=4", "c= 0.5", "d=true", "e=30d", "f=[1, 2]", "g=", "h=x=y", "i={k: 1}"]
    )
    assert parsed == {
        "a.b": 4,
        "c": 0.5,
        "d": True,
        "e": "30d",
        "f": [1, 2],
        "g": None,
        "h": "x=y",
        "i": {"k": 1},
    }
    assert parse_overrides("seed=3") == {"seed": 3}
    assert parse_overrides({" seed ": 3}) == {"seed": 3}
    assert parse_overrides(None) == {}


def test_overrides_set_durations_and_index_lists() -> None:
    two = dict(SEGMENT, share=0.5)
    data: dict[str, Any] = {"population": {"initial": 10, "segments": [two, dict(two, name="b")]}}
    s = load_scenario(
        data,
        [
            "strategy.service.staff=4",
            "contract.every=30d",
            "population.segments.1.purchase.alpha=2w",
            "population.segments.0.share=0.25",
            "population.segments.1.share=0.75",
            "strategy.service.staff=null",
        ],
    )
    assert s.contract.every == 30.0
    assert s.population.segments[1].purchase is not None
    assert s.population.segments[1].purchase.alpha == 14.0
    assert [seg.share for seg in s.population.segments] == [0.25, 0.75]
    assert s.strategy.service.staff is None  # the later entry wins
    assert data["population"]["segments"][0]["share"] == 0.5  # the source is not touched


def test_overrides_reach_into_defaults() -> None:
    s = load_scenario(
        MINIMAL,
        {
            "strategy.care_tiers.tiers.0.share": 0.1,
            "strategy.care_tiers.tiers.3.share": 0.45,
            "strategy.complaints.resolve.lescant": 0.95,
            "population.segments.0.expectation.concentration": 5,
            "strategy.early_warning.weights.0": -1.5,
        },
    )
    tiers = s.strategy.care_tiers.tiers
    assert [t.name for t in tiers] == ["strategic", "important", "growth", "general"]
    assert (tiers[0].share, tiers[3].share, tiers[0].every) == (0.1, 0.45, 7.0)
    resolve = scenario_to_dict(s)["strategy"]["complaints"]["resolve"]
    assert resolve == {"basic": 0.6, "lescant": 0.95}
    expectation = s.population.segments[0].expectation
    assert (expectation.mean, expectation.concentration) == (0.6, 5.0)
    assert s.strategy.early_warning.weights == (-1.5, 0.3, 0.5, 1.0, -0.3)


def test_mapping_override_merges_into_the_block(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL_YAML + "strategy:\n  service: {promise: 2d}\n")
    s = load_scenario(path, {"strategy.service": {"staff": 5}})
    assert (s.strategy.service.staff, s.strategy.service.promise) == (5, 2.0)


def test_override_problems_are_marked_as_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", MINIMAL_YAML)
    err = scenario_error(path, ["strategy.service.staff=-1"])
    assert str(err).startswith("override: strategy.service.staff = -1: must be ≥ 1")
    assert err.problems[0].override and err.problems[0].line is None


OVERRIDE_ERRORS: list[tuple[Any, list[str]]] = [
    (
        ["strategy.servce.staff=4"],
        [
            "override: strategy.servce.staff = 4: there is no setting 'servce' under strategy",
            "keys under strategy: quality, pricing",
            "did you mean 'service'?",
        ],
    ),
    (
        {"population.segments.3.share": 0.5},
        [
            "population.segments.3.share = 0.5",
            "population.segments has 1 item(s); there is no item 3",
            "allowed: an index from 0 to 0",
        ],
    ),
    (
        ["population.segments.first.share=0.5"],
        ["population.segments is a list; 'first' is not an item number"],
    ),
    (
        ["strategy.service.staff.max=2"],
        [
            "strategy.service.staff is a single value",
            "(a whole number ≥ 1 and ≤ 1000000, or null for unbounded staff)",
        ],
    ),
    (
        ["population.segments.0.dropout.alpah=2"],
        ["there is no setting 'alpah' under population.segments.0.dropout", "'alpha'"],
    ),
    (
        ["strategy.complaints.resolve.good=0.5"],
        ["no setting 'good'", "keys under strategy.complaints.resolve: basic, lescant"],
    ),
    (
        ["strategy.early_warning.weights.5=0"],
        ["has exactly 5 items; there is no item 5", "an item number from 0 to 4"],
    ),
    (["extends=baseline"], ["there is no setting 'extends' under the top level"]),
    (["strategy.service.staff"], ["an override is written path=value"]),
    (["seed=[1"], ["override: seed = '[1': the value is not valid YAML"]),
    (["strategy..staff=1"], ["is not a dotted path"]),
]


@pytest.mark.parametrize(("overrides", "expected"), OVERRIDE_ERRORS)
def test_bad_overrides(tmp_path: Path, overrides: Any, expected: list[str]) -> None:
    err = scenario_error(write(tmp_path, "s.yaml", MINIMAL_YAML), overrides)
    text = str(err)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    assert all(p.override for p in err.problems)


def test_all_bad_override_paths_are_reported_together() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["strategy.servce=1", "sed=2", "seed=3", "nonsense"])
    assert len(info.value.problems) == 3
    assert "did you mean 'seed'?" in str(info.value)


def test_with_overrides_copies() -> None:
    base = load_scenario(MINIMAL)
    more = with_overrides(base, ["strategy.service.staff=6"])
    assert (base.strategy.service.staff, more.strategy.service.staff) == (3, 6)
    with pytest.raises(ScenarioError, match="did you mean 'staff'"):
        with_overrides(base, {"strategy.service.staf": 6})


# --------------------------------------------------------------------------- extends
def test_extends_deep_merges(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.yaml",
        MINIMAL_YAML
        + "name: parent\nlesson: from the parent\n"
        + "strategy:\n  service: {staff: 2, promise: 2d}\n"
        + "market:\n  promotions: [{start: 10, duration: 5, discount: 0.1}]\n",
    )
    child = write(
        tmp_path,
        "child.yaml",
        "extends: parent.yaml\nstrategy:\n  service: {staff: 4}\n"
        "market:\n  promotions: [{start: 100, duration: 7d, discount: 0.2}]\n",
    )
    s = load_scenario(child)
    assert (s.strategy.service.staff, s.strategy.service.promise) == (4, 2.0)
    assert [p.start for p in s.market.promotions] == [100.0]  # lists replace
    assert s.lesson == "from the parent"
    assert s.name == "child"  # the parent's name is not inherited


def test_extends_chain_with_relative_paths_and_library(library: Path, tmp_path: Path) -> None:
    write(tmp_path, "shared/mid.yaml", "extends: loyalty\nname: mid\nseed: 7\n")
    leaf = write(tmp_path, "leaf.yaml", "extends: shared/mid.yaml\nhorizon: 2y\n")
    s = load_scenario(leaf)
    assert s.strategy.loyalty.enabled
    assert (s.seed, s.horizon, s.name) == (7, 730.5, "leaf")
    assert s.lesson == "Start here."


def test_extends_named_partial(library: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "extends: _partial\n" + MINIMAL_YAML)
    assert load_scenario(path).strategy.service.staff == 7


def test_file_name_is_kept_when_set(tmp_path: Path) -> None:
    path = write(tmp_path, "some_file.yaml", "name: my world\n" + MINIMAL_YAML)
    assert load_scenario(path).name == "my world"
    assert load_scenario(MINIMAL).name == "scenario"


def test_problem_points_at_the_file_that_set_the_value(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", MINIMAL_YAML + "strategy:\n  service:\n    staff: -1\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nseed: 1\n")
    err = scenario_error(child)
    assert "parent.yaml:11: strategy.service.staff = -1" in str(err)
    assert err.file is not None and err.file.name == "child.yaml"
    fixed = write(
        tmp_path, "fixed.yaml", "extends: parent.yaml\nstrategy:\n  service:\n    staff: 0\n"
    )
    assert "fixed.yaml:4: strategy.service.staff = 0" in str(scenario_error(fixed))


def test_replaced_list_takes_the_child_lines(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", MINIMAL_YAML)
    child = write(
        tmp_path,
        "child.yaml",
        "extends: parent.yaml\npopulation:\n  segments:\n"
        "    - {name: z, share: 1.0, spend: {p: 6, q: 4, gamma: 30}, dropout: {model: bg, a: 1}}\n",
    )
    err = scenario_error(child)
    problem = err.problems[0]
    assert problem.path == "population.segments.0.dropout.b"
    assert problem.file is not None and problem.file.name == "child.yaml"
    assert problem.line == 4


def test_dict_source_extends_from_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "parent.yaml", MINIMAL_YAML + "strategy:\n  service: {staff: -1}\n")
    monkeypatch.chdir(tmp_path)
    assert load_scenario({"extends": "parent.yaml", "seed": 2}, ["strategy.service.staff=2"])
    err = scenario_error({"extends": "parent.yaml", "seed": -1, "strategy": {"service": {}}})
    text = str(err)
    assert "parent.yaml:10: strategy.service.staff = -1" in text
    # set by the dict itself: neither file nor line
    assert "seed = -1: must be ≥ 0 (allowed: a whole number ≥ 0)" in text.splitlines()


# --------------------------------------------------------------------------- library
def test_library_lookup(library: Path) -> None:
    assert scenarios.names() == ["baseline", "loyalty", "quiet"]
    assert scenarios.path("baseline") == library / "baseline.yaml"
    assert scenarios.path("baseline.yaml") == library / "baseline.yaml"
    assert scenarios.lesson("baseline") == "Start here."
    assert scenarios.lesson("quiet") == ""
    with pytest.raises(KeyError) as info:
        scenarios.path("basline")
    message = str(info.value)
    assert "baseline, loyalty, quiet" in message
    assert "did you mean 'baseline'?" in message


def test_load_by_library_name(library: Path) -> None:
    s = load_scenario("loyalty")
    assert s.name == "loyalty"
    assert s.strategy.loyalty.enabled
    assert load_scenario("baseline").lesson == "Start here."
    err = scenario_error("basline")
    assert "no scenario named 'basline'" in str(err)
    assert "did you mean 'baseline'?" in str(err)


# --------------------------------------------------------------------------- headlines
KPI_NAMES = [k.name for k in KPIS]
LESSON_YAML = (
    MINIMAL_YAML
    + """\
arms:
  calm: {}
  busy: {strategy.service.staff: 1}
headlines:
  - arm: busy
    against: calm
    metrics: [retention_12m, discouted_profit]
"""
)


def test_headline_metrics_are_checked_against_the_kpis_given(tmp_path: Path) -> None:
    path = write(tmp_path, "lesson.yaml", LESSON_YAML)
    assert load_scenario(path).headlines[0].metrics[1] == "discouted_profit"  # no KPIs given
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, kpis=KPI_NAMES)
    err = info.value
    assert err.file == path
    assert [(p.path, p.line) for p in err.problems] == [("headlines.0.metrics.1", 15)]
    text = str(err)
    assert f"{path}:15: headlines.0.metrics.1 = 'discouted_profit': is not a KPI" in text
    assert "did you mean 'discounted_profit'?" in text


def test_headline_arms_are_checked_together_and_after_overrides(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", LESSON_YAML)
    bad = write(tmp_path, "bad.yaml", LESSON_YAML.replace("against: calm", "against: clam"))
    err = scenario_error(bad, ["headlines.0.arm=idle"])
    assert [(p.path, p.line, p.override) for p in err.problems] == [
        ("headlines.0.arm", None, True),
        ("headlines.0.against", 14, False),
    ]
    assert f"{bad}:14: headlines.0.against = 'clam': is not an arm of this scenario" in str(err)
    assert "did you mean 'calm'?" in str(err)
    with pytest.raises(ScenarioError, match=r"override: headlines\.0\.against = 'idle'"):
        with_overrides(load_scenario(good), {"headlines.0.against": "idle"})


def test_headlines_without_arms_are_refused() -> None:
    """Nothing is compared in a scenario without arms, so a headline there is a mistake."""
    headline = {"arm": "busy", "against": "calm", "metrics": ["retention_12m"]}
    with pytest.raises(ScenarioError) as err:
        load_scenario(dict(MINIMAL, headlines=[headline]))
    assert [p.path for p in err.value.problems] == ["headlines.0.arm", "headlines.0.against"]
    assert "this scenario has none" in str(err.value)


def test_the_arms_of_a_comparison_carry_no_headlines() -> None:
    from sim.experiments.comparison import arms_from_scenario

    arms = arms_from_scenario("complaint_handling")
    assert arms and all(not s.headlines and not s.arms for s in arms.values())


def test_every_library_scenario_with_arms_has_headlines() -> None:
    for name in scenarios.names():
        s = load_scenario(name, kpis=KPI_NAMES)
        assert bool(s.headlines) == bool(s.arms), f"{name}: {list(s.arms)}, {s.headlines}"


# --------------------------------------------------------------------------- identity
def test_hash_is_stable_and_sensitive(tmp_path: Path) -> None:
    a = write(tmp_path, "a/world.yaml", MINIMAL_YAML)
    reordered = MINIMAL_YAML.replace(
        "      share: 1.0\n      purchase: {r: 1, alpha: 30d}",
        "      purchase: {alpha: 30, r: 1}\n      share: 1.0",
    )
    b = write(tmp_path, "b/world.yaml", reordered)
    first = scenario_hash(load_scenario(a))
    assert len(first) == 16 and int(first, 16) >= 0
    assert scenario_hash(load_scenario(a)) == first
    assert scenario_hash(load_scenario(b)) == first  # same content, written differently
    assert scenario_hash(load_scenario(dict(MINIMAL, name="world"))) == first
    assert scenario_hash(load_scenario(a, ["seed=1"])) != first
    assert scenario_hash(load_scenario(a, ["population.segments.0.spend.p=6.5"])) != first


def test_to_dict_and_yaml_round_trip(library: Path) -> None:
    s = load_scenario("loyalty", ["contract.every=2w"])
    data = scenario_to_dict(s)
    json.dumps(data)
    assert data["contract"]["every"] == 14.0
    assert data["population"]["segments"][0]["purchase"]["alpha"] == 30.0
    assert Scenario.model_validate(data) == s
    text = dump_yaml(s)
    assert scenario_hash(s) in text.splitlines()[0]
    again = load_scenario(yaml.safe_load(text))
    assert again == s
    assert scenario_hash(again) == scenario_hash(s)
