"""The ``crmsim`` command line: commands, files written, exit codes and error messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import sim.cli.commands as cli
from sim.cli.commands import app
from sim.errors import UserError
from sim.experiments.progress import ProgressBar
from sim.report.plots import FIGURES
from sim.results.run_result import RunResult

TINY = ["--set", "population.initial=100", "--set", "horizon=6mo"]
CRMSIM = Path(sys.executable).parent / "crmsim"
TABLES = ("periods", "customers", "ledger", "events", "mix", "warnings", "summary")
COMMANDS = ["run", "validate", "list", "show", "report"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _crmsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CRMSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


# --------------------------------------------------------------------- a real subprocess
def test_run_then_report_in_a_real_process(tmp_path: Path) -> None:
    assert CRMSIM.exists(), "the crmsim script is not installed in this environment"
    out = tmp_path / "run"
    done = _crmsim(
        "run",
        "baseline",
        "--set",
        "population.initial=200",
        "--set",
        "horizon=6mo",
        "--seed",
        "4",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"report: {out / 'report.html'}" in done.stdout
    assert "Headline numbers" in done.stdout
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["engine"] == "agent"
    assert manifest["scenario"]["population"]["initial"] == 200
    for key in FIGURES:
        assert (out / f"{key}.png").read_bytes().startswith(b"\x89PNG")
    first = (out / "report.html").read_bytes()

    again = _crmsim("report", str(out), "--out", str(tmp_path / "again"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "report.html").read_bytes() == first
    for key in FIGURES:
        assert (tmp_path / "again" / f"{key}.png").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "no_such_scenario"], "no scenario named 'no_such_scenario'"),
        (["run", "baseline", "--set", "strategy.service.staff=abc"], "strategy.service.staff"),
    ],
)
def test_user_errors_in_a_real_process(tmp_path: Path, args: list[str], needle: str) -> None:
    done = _crmsim(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


# ---------------------------------------------------------------------------- commands
def test_list_shows_the_library(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "baseline" in result.stdout
    assert "The whole picture" in result.stdout


def test_show_prints_the_resolved_scenario(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["show", "baseline", "--set", "horizon=2y", "--set", "strategy.service.staff=4"]
    )
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["name"] == "baseline"
    assert data["horizon"] == pytest.approx(730.5)
    assert data["strategy"]["service"]["staff"] == 4
    assert data["population"]["initial"] == 2000


def test_show_output_loads_back(runner: CliRunner, tmp_path: Path) -> None:
    import sim

    result = runner.invoke(app, ["show", "baseline", "--set", "strategy.service.staff=5"])
    copy = tmp_path / "copy.yaml"
    copy.write_text(result.stdout, encoding="utf-8")
    again = runner.invoke(app, ["validate", str(copy)])
    assert again.exit_code == 0, again.output
    assert sim.load_scenario(copy).strategy.service.staff == 5


def test_validate_success(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "baseline"])
    assert result.exit_code == 0, result.output
    assert "✓ baseline — The whole picture" in result.stdout


def test_validate_failure_reports_each_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline\nstrategy:\n  service:\n    staff: -3\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "baseline", str(bad), "nope"])
    assert result.exit_code == 2
    assert "✓ baseline" in result.stdout
    assert "✗" in result.stdout
    assert "strategy.service.staff" in result.stderr
    assert "bad.yaml:4" in result.stderr  # file and line of the offending value
    assert "no scenario named 'nope'" in result.stderr


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_has_examples(runner: CliRunner, command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    if command is not None:
        assert "Examples" in result.stdout
        assert f"crmsim {command}" in result.stdout


def test_run_tables_only_into_the_default_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "baseline", *TINY, "--format", "parquet", "--seed", "2"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "baseline"
    assert f"results: {Path('out') / 'baseline'}" in result.stdout
    assert "Headline numbers" in result.stdout
    loaded = RunResult.load(out)
    assert loaded.manifest["seed"] == 2
    assert loaded.check_schema() == []
    assert not (out / "report.html").exists()


def test_run_prints_the_catalogues_short_kpis(small_baseline: RunResult) -> None:
    from sim.cli.inspect import kpi_table
    from sim.results.catalogue import CHURN_SHARES, KPIS, kpi

    shown = list(kpi_table(small_baseline).columns[0].cells)
    short = [k.label for k in KPIS if k.short]
    churn = {m: small_baseline.kpis[m] for m in CHURN_SHARES}
    assert shown == [*short, kpi(max(churn, key=lambda m: churn[m])).label]


def test_run_html_only_and_quiet(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "html"
    result = runner.invoke(
        app, ["run", "baseline", *TINY, "--format", "html", "--quiet", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"report: {out / 'report.html'}"
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()
    assert not list(out.glob("*.parquet"))
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 2
    assert "--format both" in again.stderr


def test_report_rebuilds_from_a_saved_run(
    runner: CliRunner, small_baseline_dir: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", str(small_baseline_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file()
    assert str(tmp_path / "report.html") in result.stdout


# ------------------------------------------------------------------------------ errors
def _broken_yaml(tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nhorizon: [1y\npopulation: {initial: 10}\n", encoding="utf-8")
    return str(path)


def _bad_field(tmp_path: Path) -> str:
    path = tmp_path / "bad_field.yaml"
    path.write_text("extends: baseline\nhorizon: forever\n", encoding="utf-8")
    return str(path)


ERRORS = {
    "unknown scenario name": (lambda p: ["run", "baseline_typo"], "no scenario named"),
    "missing file": (lambda p: ["run", str(p / "missing.yaml")], "file not found"),
    "bad --set path": (
        lambda p: ["run", "baseline", "--set", "strategy.servise.staff=4"],
        "servise",
    ),
    "bad --set value": (
        lambda p: ["run", "baseline", "--set", "strategy.service.staff=many"],
        "strategy.service.staff",
    ),
    "bad --set syntax": (lambda p: ["run", "baseline", "--set", "staff"], "path=value"),
    "broken YAML": (lambda p: ["run", _broken_yaml(p)], "broken.yaml:"),
    "bad field in a file": (lambda p: ["validate", _bad_field(p)], "horizon"),
    "unknown engine": (lambda p: ["run", "baseline", "--engine", "warp"], "unknown engine"),
    "show unknown name": (lambda p: ["show", "nope"], "no scenario named"),
    "report without a run": (lambda p: ["report", str(p)], "holds no saved run"),
    "typer usage error": (lambda p: ["run", "baseline", "--seed", "many"], "--seed"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_user_errors_exit_2_with_a_message(runner: CliRunner, tmp_path: Path, case: str) -> None:
    make_args, needle = ERRORS[case]
    result = runner.invoke(app, make_args(tmp_path))
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_main_turns_a_user_error_into_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_app(**_: object) -> None:
        raise UserError("the trainer's scenario is wrong")

    monkeypatch.setattr(cli, "app", broken_app)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    assert "the trainer's scenario is wrong" in capsys.readouterr().err


def test_compare_is_registered(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compare", "--help"])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------- progress
def test_progress_bar_disabled_is_silent() -> None:
    buf = io.StringIO()
    bar = ProgressBar("x", enabled=False, console=Console(file=buf, force_terminal=True))
    with bar:
        for k in range(1, 4):
            bar(k, 3)
    assert buf.getvalue() == ""
    assert (bar.done, bar.total) == (3, 3)


def test_progress_bar_counts_periods(small_baseline_scenario: object) -> None:
    import sim

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    calls: list[tuple[int, int]] = []

    class Recording(ProgressBar):
        def __call__(self, done: int, total: int) -> None:
            calls.append((done, total))
            super().__call__(done, total)

    bar = Recording("tiny", console=console)
    sc = sim.load_scenario("baseline", ["population.initial=100", "horizon=3mo"])
    sim.run(sc, seed=1, progress=bar)  # used without ``with``: stops itself at the end
    assert calls == [(k, 3) for k in range(1, 4)]
    assert "3/3" in buf.getvalue()
    assert "tiny" in buf.getvalue()


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("baseline", "baseline"),
        ("../up/x", "_up_x"),
        ("my lesson", "my_lesson"),
        ("..", "scenario"),
    ],
)
def test_default_output_folder_is_one_safe_name(name: str, folder: str) -> None:
    assert cli._folder_name(name) == folder


# ---------------------------------------------------------------------------- engines
def test_run_on_the_vector_engine(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "vec"
    args = ["run", "baseline", *TINY, "--engine", "vector", "--format", "parquet", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"] == "vector"
    assert "engine vector" in result.output


def test_auto_engine_is_recorded_as_the_engine_that_ran(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "auto"
    args = ["run", "baseline", *TINY, "--engine", "auto", "--format", "parquet", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["engine"] == "agent"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "baseline", *TINY, "--engine", "fast"], "allowed: agent, vector, auto"),
        (["validate", "baseline", "--engine", "fast"], "allowed: agent, vector, auto"),
        (
            ["validate", "baseline", "--set", "output.events=true", "--engine", "vector"],
            "output.events",
        ),
        (
            ["run", "baseline", *TINY, "--set", "output.events=true", "--engine", "vector"],
            "output.events",
        ),
    ],
)
def test_engine_errors_name_the_problem(runner: CliRunner, args: list[str], needle: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_validate_with_an_engine_accepts_the_library(runner: CliRunner) -> None:
    import scenarios

    result = runner.invoke(app, ["validate", *scenarios.names(), "--engine", "vector"])
    assert result.exit_code == 0, result.output


def test_compare_on_the_vector_engine(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("sim.cli.compare")
    args = ["compare", "scenarios/care_tiers.yaml", "-n", "2", *TINY, "--engine", "vector"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cmp" / "report.html").is_file()
