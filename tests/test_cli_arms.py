"""``crmsim run`` on lessons with arms, and a command line that explains itself.

A lesson file's ``arms:`` block used to be ignored by ``crmsim run``: the base ran under the
lesson's title. These tests hold the three ways in (``--arm``, the reference arm with a
notice, ``--all-arms`` with its side-by-side page), their refusals, and ``--version``, ``-h``
and the examples of every command. Worlds are tiny (100 customers, three months, the vector
engine), so each run takes well under a second before its figures.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import sim
from sim.cli.commands import app
from sim.cli.inspect import named_arms
from sim.errors import UserError
from sim.report.arms_page import ArmRun, arm_folders, render_arms_page
from sim.report.run_page import format_kpi
from sim.results.folder import read_folder
from sim.results.run_result import RunResult
from sim.scenario.spec import load_scenario

TINY = ["--set", "population.initial=100", "--set", "horizon=3mo", "--engine", "vector"]
LESSON = "complaint_handling"
ARMS = ["none", "basic", "lescant", "lescant_slow"]  # file order; basic is the reference
COMMANDS = ["run", "validate", "show", "list", "report", "compare"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _clean(result: Result) -> None:
    """No traceback anywhere, and no exception but the exit."""
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _manifest(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "manifest.json").read_text())
    return data


@pytest.fixture(scope="module")
def all_arms(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """complaint_handling with every arm run once, full reports, into a fresh folder."""
    out = tmp_path_factory.mktemp("arms") / "complaints"
    result = CliRunner().invoke(
        app, ["run", LESSON, *TINY, "--seed", "5", "--all-arms", "-o", str(out)]
    )
    return out, result


# ----------------------------------------------------------------------------- --arm
def test_arm_runs_that_arm_under_its_name(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "lescant"
    result = runner.invoke(app, ["run", LESSON, *TINY, "--arm", "lescant", "-o", str(out)])
    _clean(result)
    assert result.exit_code == 0, result.output
    assert "reference arm" not in result.stderr  # an arm was named: no notice
    manifest = _manifest(out)
    assert manifest["scenario_name"] == f"{LESSON}:lescant"
    scenario = manifest["scenario"]
    assert isinstance(scenario, dict)
    assert scenario["strategy"]["complaints"]["handling"] == "lescant"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<title>CRM Sandbox report: {LESSON}:lescant</title>" in page
    assert f"<h1>{LESSON}:lescant</h1>" in page
    assert f"{LESSON}:lescant: seed" in result.stdout


def test_an_arm_without_overrides_is_named_but_runs_the_base(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "basic"
    args = ["run", LESSON, *TINY, "--arm", "basic", "--format", "parquet", "-q", "-o", str(out)]
    result = runner.invoke(app, args)
    _clean(result)
    assert result.exit_code == 0, result.output
    saved = RunResult.load(out)
    assert saved.manifest["scenario_name"] == f"{LESSON}:basic"
    base = load_scenario(LESSON, TINY[1:4:2])  # the --set values
    fresh = sim.run(base, engine="vector").kpis
    assert repr(saved.kpis) == repr(fresh)  # the name changes no number (repr: NaN is NaN)


def test_unknown_arm_lists_the_arms_and_the_closest(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "typo"
    result = runner.invoke(app, ["run", LESSON, *TINY, "--arm", "lescan", "-o", str(out)])
    _clean(result)
    assert result.exit_code == 2
    assert "no arm 'lescan'" in result.stderr
    assert "none, basic, lescant, lescant_slow" in result.stderr
    assert "did you mean 'lescant'?" in result.stderr
    assert not out.exists()


def test_arm_on_a_scenario_without_arms_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    for flag in (["--arm", "basic"], ["--all-arms"]):
        result = runner.invoke(app, ["run", "baseline", *TINY, *flag, "-o", str(tmp_path / "x")])
        _clean(result)
        assert result.exit_code == 2
        assert "has no arms" in result.stderr and flag[0] in result.stderr
    assert not (tmp_path / "x").exists()


def test_arm_and_all_arms_together_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    args = ["run", LESSON, *TINY, "--arm", "none", "--all-arms", "-o", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    _clean(result)
    assert result.exit_code == 2
    assert (
        "--arm" in result.stderr and "--all-arms" in result.stderr and "not both" in result.stderr
    )
    assert not (tmp_path / "x").exists()


def test_without_arm_the_reference_arm_runs_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "default"
    result = runner.invoke(app, ["run", LESSON, *TINY, "--format", "parquet", "-o", str(out)])
    _clean(result)
    assert result.exit_code == 0, result.output
    notice = [line for line in result.stderr.splitlines() if "arms (" in line]
    assert len(notice) == 1
    assert notice[0].startswith(
        f"{LESSON} has 4 arms (none, basic, lescant, lescant_slow); running its reference arm "
        "basic — choose one with --arm NAME, or all with --all-arms, or compare them with "
        f"crmsim compare {LESSON}"
    )
    assert RunResult.load(out).manifest["scenario_name"] == f"{LESSON}:basic"
    assert f"{LESSON}:basic: seed" in result.stdout


def test_named_arms_adds_a_named_base_when_every_arm_changes_something(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "extends: baseline\nname: two\n"
        "arms: {cheap: {strategy.service.staff: 1}, rich: {strategy.service.staff: 6}}\n",
        encoding="utf-8",
    )
    arms = named_arms(load_scenario(str(path)), "--arm")
    assert list(arms) == ["base", "cheap", "rich"]
    assert [s.name for s in arms.values()] == ["two:base", "two:cheap", "two:rich"]
    with pytest.raises(UserError, match="has no arms"):
        named_arms(load_scenario("baseline"), "--arm")


# ------------------------------------------------------------------------- --all-arms
def test_all_arms_writes_one_report_per_arm(all_arms: tuple[Path, Result]) -> None:
    out, result = all_arms
    _clean(result)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*ARMS, "index.html", "manifest.json"])
    for arm in ARMS:
        saved = RunResult.load(out / arm)  # each a whole result folder, checked file by file
        assert saved.manifest["scenario_name"] == f"{LESSON}:{arm}"
        assert saved.manifest["seed"] == 5  # one seed for every arm
        assert (out / arm / "report.html").is_file()
    handling = {a: RunResult.load(out / a).manifest["scenario"]["strategy"]["complaints"]
                for a in ARMS}  # fmt: skip
    assert [h["handling"] for h in handling.values()] == ["none", "basic", "lescant", "lescant"]
    manifest, _ = read_folder(out)  # the whole folder is listed and matches
    assert manifest["kind"] == "arms" and manifest["reference"] == "basic"
    assert not [p for p in out.rglob(".*")]  # no lock or staging left inside
    progress = [line for line in result.stderr.splitlines() if re.match(r"\[\d/4\] arm ", line)]
    assert len(progress) == 4
    assert f"arms: {out / 'index.html'}" in result.stdout
    assert f"crmsim compare {LESSON}" in result.stdout


def test_all_arms_page_shows_every_arm_reference_first(all_arms: tuple[Path, Result]) -> None:
    out, _ = all_arms
    page = (out / "index.html").read_text(encoding="utf-8")
    header = page[page.index("<thead>") : page.index("</thead>")]
    columns = re.findall(r"<th[^>]*><a href='([^']+)/report.html'>([^<]+)</a>", header)
    assert [name for _, name in columns] == ["basic", "none", "lescant", "lescant_slow"]
    assert [folder for folder, _ in columns] == ["basic", "none", "lescant", "lescant_slow"]
    assert "<th class='ref'><a href='basic/report.html'>basic</a>" in header
    assert "reference" in header
    lesson = load_scenario(LESSON)
    assert lesson.lesson in page
    assert lesson.see.split("→")[0].strip() in page
    assert "not a comparison" in page and f"crmsim compare {LESSON}" in page and "-n 8" in page
    for arm in ARMS:  # every cell worded as the run reports word it
        kpis = RunResult.load(out / arm).kpis
        label, text, _ = format_kpi("recovery_rate", kpis["recovery_rate"])
        assert label in page and text in page


def test_report_on_an_arms_folder_points_at_one_arm(
    runner: CliRunner, all_arms: tuple[Path, Result]
) -> None:
    out, _ = all_arms
    result = runner.invoke(app, ["report", str(out)])
    _clean(result)
    assert result.exit_code == 2
    assert "one run per arm" in result.stderr and "crmsim report" in result.stderr


def test_all_arms_refuses_a_folder_with_results_unless_forced(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "taken"
    first = runner.invoke(app, ["run", "baseline", *TINY, "-f", "parquet", "-q", "-o", str(out)])
    assert first.exit_code == 0, first.output
    before = (out / "manifest.json").read_bytes()
    args = ["run", LESSON, *TINY, "--all-arms", "-f", "parquet", "-q", "-o", str(out)]
    refused = runner.invoke(app, args)
    _clean(refused)
    assert refused.exit_code == 2
    assert "already holds a result" in refused.stderr and "--force" in refused.stderr
    assert (out / "manifest.json").read_bytes() == before
    forced = runner.invoke(app, [*args, "--force"])
    _clean(forced)
    assert forced.exit_code == 0, forced.output
    assert _manifest(out)["kind"] == "arms"
    assert sorted(p.name for p in out.iterdir()) == sorted([*ARMS, "index.html", "manifest.json"])


def test_all_arms_failing_at_an_arm_leaves_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = sim.run, []

    def second_fails(*args: object, **kwargs: object) -> RunResult:
        calls.append(1)
        if len(calls) == 2:
            raise UserError("the second arm broke")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sim, "run", second_fails)
    out = tmp_path / "half"
    result = runner.invoke(
        app, ["run", LESSON, *TINY, "--all-arms", "-f", "parquet", "-o", str(out)]
    )
    _clean(result)
    assert result.exit_code == 2 and "the second arm broke" in result.stderr
    assert len(calls) == 2
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [".half.lock"]  # no staging left over


# --------------------------------------------------------------------------- the page
def test_arms_page_escapes_every_user_string() -> None:
    evil = "<script>alert(1)</script>"
    lesson = load_scenario(
        {"extends": "baseline", "name": f"n{evil}", "lesson": f"l{evil}", "see": f"s{evil}"}
    )
    runs = [
        ArmRun("ref", "n:ref", "ref", {"profit": 1.0}, "agent"),
        ArmRun(f"a{evil}", f"n:a{evil}", "a_script_", {"profit": 2.0}, "agent", report=False),
    ]
    page = render_arms_page(lesson, runs, reference="ref", seed=1, compare=f"crmsim {evil}")
    assert "<script>" not in page
    # name (title, heading), lesson, see, arm (column, list), its run name, the command
    assert page.count("&lt;script&gt;") == 8
    assert "href='a_script_/'" in page  # no report: the link goes to the folder
    with pytest.raises(ValueError, match="reference arm"):
        render_arms_page(lesson, runs, reference="gone", seed=1, compare="crmsim")


def test_arm_folders_are_distinct_and_leave_the_page_alone() -> None:
    stems = {"a b": "a_b", "a_b": "a_b", "A_B": "A_B", "page": "index.html", "m": "MANIFEST.json"}
    folders = arm_folders(stems)
    assert folders == {
        "a b": "a_b",
        "a_b": "a_b-2",
        "A_B": "A_B-3",
        "page": "index.html-2",
        "m": "MANIFEST.json-2",
    }


# ------------------------------------------------------------------ a self-explaining CLI
def test_version_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    _clean(result)
    assert result.exit_code == 0
    assert result.stdout == f"crmsim {version('crm-sandbox')}\n"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_short_help_and_examples_everywhere(runner: CliRunner, command: str | None) -> None:
    words = [] if command is None else [command]
    short = runner.invoke(app, [*words, "-h"], env={"COLUMNS": "200"})
    long = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    _clean(short)
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout
    assert "Examples" in short.stdout
    assert f"crmsim {command or 'run'} " in short.stdout
    assert re.search(r"(?<![\w-])-h(?![\w-])", short.stdout)  # listed beside --help


def test_run_help_lists_the_arm_options(runner: CliRunner) -> None:
    result = runner.invoke(app, ["run", "-h"], env={"COLUMNS": "200"})
    assert "--arm" in result.stdout and "--all-arms" in result.stdout
    assert "crmsim run complaint_handling --arm lescant" in result.stdout
