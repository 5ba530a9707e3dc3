"""Hostile names on the terminal, and wrong arguments at the Python API's door.

Scenario files travel between trainers, so their names, arm names and values reach the
terminal as written: every one must be shown literally (Rich markup taken as text, control
characters as visible escapes) and must never stop a command. The Python API refuses a wrong
argument with the project's own error, naming the argument, before any work starts.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

import sim
from sim.cli.text import escape
from sim.errors import ArgumentError, ScenarioError, UserError, printable
from sim.experiments import ProgressBar, compare, replicate
from sim.experiments.comparison import arms_from_scenario

CRMSIM = Path(sys.executable).parent / "crmsim"
SMALL = ["--set", "population.initial=100", "--set", "horizon=1y"]

#: A name that tries everything at once: close a tag never opened, hide a link, recolour
#: the terminal and ring its bell.
HOSTILE = "[/] [link=http://x]y[/link] \x1b[31mred \x07bell"
#: How it must appear on the terminal: every character kept, the controls spelled out.
SHOWN = "[/] [link=http://x]y[/link] \\x1b[31mred \\x07bell"


def _crmsim(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run ``crmsim`` in a subprocess (wide, not a terminal); exit code, stdout, stderr."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = "300"
    done = subprocess.run(
        [str(CRMSIM), *args], cwd=cwd, capture_output=True, env=env, timeout=600, check=False
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    for stream in (out, err):
        assert "\x1b" not in stream and "\x07" not in stream, stream
        assert "Traceback" not in stream, stream
    return done.returncode, out, err


def _scenario(folder: Path, name: str, **fields: Any) -> Path:
    file = folder / "hostile.yaml"
    data = {"name": name, "extends": "baseline", **fields}
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return file


# ------------------------------------------------------------------------- the terminal
def test_run_shows_a_hostile_name_literally_and_exits_0(tmp_path: Path) -> None:
    file = _scenario(tmp_path, HOSTILE)
    out = tmp_path / "out"
    code, stdout, stderr = _crmsim(
        "run", str(file), *SMALL, "--format", "parquet", "--out", str(out), cwd=tmp_path
    )
    assert code == 0, stderr
    assert f"{SHOWN}: seed 0, engine agent" in stdout
    assert (out / "manifest.json").is_file()


def test_validate_shows_hostile_names_and_lessons_literally(tmp_path: Path) -> None:
    file = _scenario(tmp_path, HOSTILE, lesson=HOSTILE)
    code, stdout, stderr = _crmsim("validate", str(file), cwd=tmp_path)
    assert code == 0, stderr
    checked, size = stdout.rstrip("\n").splitlines()  # the run's estimated size comes next
    assert checked == f"✓ {SHOWN} — {SHOWN}"
    assert size.startswith("  size: ≈ ") and size.endswith("(agent engine)")


def test_validate_of_a_bad_file_with_a_hostile_name_exits_2_and_shows_it(
    tmp_path: Path,
) -> None:
    file = _scenario(tmp_path, HOSTILE, population={"initial": -5})
    missing = tmp_path / "[/]\x1b[2J.yaml"
    code, stdout, stderr = _crmsim("validate", str(file), str(missing), cwd=tmp_path)
    assert code == 2
    assert "population.initial = -5" in stderr
    assert f"✗ {tmp_path / '[/]'}\\x1b[2J.yaml" in stdout
    assert "[/]\\x1b[2J.yaml" in stderr


def test_show_writes_no_raw_escape_and_its_yaml_loads_back_to_the_name(tmp_path: Path) -> None:
    file = _scenario(tmp_path, HOSTILE)
    code, stdout, stderr = _crmsim("show", str(file), cwd=tmp_path)
    assert code == 0, stderr
    assert stdout.startswith(f"# {SHOWN}: resolved scenario")
    shown = tmp_path / "shown.yaml"
    shown.write_text(stdout, encoding="utf-8")
    assert sim.load_scenario(shown).name == HOSTILE


def test_compare_with_hostile_arm_names_runs_to_the_end(tmp_path: Path) -> None:
    # No control characters here: arm names also label the report's figures, and making
    # those safe is the report's own concern, not the terminal's.
    arms = {"[/]": {"strategy.service.staff": 4}, "[link=http://x]y[/link] :warning:": {}}
    file = _scenario(tmp_path, "[/]", arms=arms)
    out = tmp_path / "cmp"
    code, stdout, stderr = _crmsim(
        "compare", str(file), "-n", "2", *SMALL, "--out", str(out), cwd=tmp_path
    )
    assert code == 0, stderr
    assert "baseline [/] — " in stdout  # the arm with overrides comes first
    assert "[link=http://x]y[/link] :warning: beats [/] on" in stdout
    assert (out / "report.html").is_file()


def test_a_seed_the_api_refuses_is_a_user_error_on_the_command_line(tmp_path: Path) -> None:
    code, _, stderr = _crmsim("run", "baseline", "--seed", "-1", *SMALL, cwd=tmp_path)
    assert code == 2
    assert "seed must be a whole number ≥ 0" in stderr


def test_the_progress_bar_shows_its_description_as_text() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with ProgressBar("[/] [/] \x1b[31mred", console=console) as bar:
        bar(1, 2)
        bar(2, 2)
    drawn = buffer.getvalue()
    assert "[/] [/] \\x1b[31mred" in drawn
    assert "\x1b[31mred" not in drawn


# ------------------------------------------------------------------ the escaping itself
#: The bidirectional controls :func:`printable` spells out besides C0, DEL and C1.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: Text with brackets, backslashes, controls of every kind and ordinary letters.
_TEXT = st.text(
    st.one_of(
        st.sampled_from("[]/\\=#@:link bold"),
        st.characters(max_codepoint=0x9F),
        st.sampled_from("\u202a\u202e\u2066\u2069é✓—"),
    ),
    max_size=40,
)


@given(_TEXT)
def test_printable_leaves_no_control_character(text: str) -> None:
    out = printable(text)
    assert all(c in "\n\t" or (c.isprintable() and c not in _BIDI) for c in out)


@given(_TEXT)
def test_escaped_text_renders_as_itself_between_tags_and_adds_no_style(text: str) -> None:
    rendered = Text.from_markup(f"[bold]{escape(text)}[/bold] after")
    assert rendered.plain == printable(text) + " after"
    spans = [(s.start, s.end, str(s.style)) for s in rendered.spans]
    assert spans == [(0, len(printable(text)), "bold")]


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
def test_plain_text_comes_back_unchanged(text: str) -> None:
    text = text.translate(dict.fromkeys(map(ord, _BIDI)))
    assert printable(text) == text
    assert Text.from_markup(f"[bold]{escape(text)}[/bold]").plain == text
    if "[" not in text and not text.endswith("\\"):
        assert escape(text) == text


# ----------------------------------------------------------------------- the Python API
def _scenario_object() -> sim.Scenario:
    return sim.scenario.scaled(sim.load_scenario("baseline"), 50)


BAD_SEEDS: list[Any] = ["x", -1, 1.5, True, np.True_, None, [1]]


@pytest.mark.parametrize("seed", [s for s in BAD_SEEDS if s is not None])
def test_run_refuses_a_bad_seed_before_any_work(seed: Any) -> None:
    with pytest.raises(ArgumentError, match=r"^seed must be a whole number ≥ 0"):
        sim.run("baseline", seed=seed)


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_experiments_refuse_a_bad_seed(seed: Any) -> None:
    with pytest.raises(ArgumentError, match=r"^seed must be a whole number ≥ 0, got"):
        replicate("baseline", 2, seed=seed)
    with pytest.raises(ArgumentError, match=r"^seed must be a whole number ≥ 0, got"):
        compare("baseline", n=2, seed=seed)


@pytest.mark.parametrize("scenario", [None, 42, 1.5, b"baseline", ["baseline"], ""])
def test_run_and_experiments_refuse_a_scenario_of_another_type(scenario: Any) -> None:
    for call in (
        lambda: sim.run(scenario),
        lambda: sim.run_stack(scenario, [1]),
        lambda: replicate(scenario, 2),
        lambda: arms_from_scenario(scenario),
    ):
        with pytest.raises(ArgumentError, match=r"^scenario must"):
            call()
    with pytest.raises(ArgumentError, match=r"^arms\['b'\] must"):
        compare({"a": "baseline", "b": scenario}, n=2)


@pytest.mark.parametrize("source", [None, 42, 1.5, b"baseline", ["baseline"], ""])
def test_load_scenario_refuses_a_source_of_another_type(source: Any) -> None:
    with pytest.raises(ArgumentError, match=r"^source must"):
        sim.load_scenario(source)


@pytest.mark.parametrize("name", ["$x$", "$\\frac", "1$ and 2$", "a\x1bb\x07", "[/]"])
def test_figures_draw_user_names_literally(name: str) -> None:
    from matplotlib.figure import Figure

    from sim.report.wording import plain

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([1.0], [1.0], label=plain(name))
    ax.set_yticks([1.0], [plain(name)])
    legend = ax.legend()
    fig.savefig(io.BytesIO(), format="png")  # mathtext that does not parse would raise here
    shown = legend.get_texts()[0]
    # What is drawn is the name itself: no mathtext, no raw control character.
    assert not shown._preprocess_math(shown.get_text())[1]  # type: ignore[attr-defined]
    assert shown._preprocess_math(shown.get_text())[0] == printable(name)  # type: ignore[attr-defined]


def test_other_arguments_are_named_when_wrong() -> None:
    sc = _scenario_object()
    cases: list[tuple[Any, str]] = [
        (lambda: sim.run(sc, progress=3), "progress must be a function"),
        (lambda: sim.run_stack(sc, []), "seeds must be a non-empty list"),
        (lambda: sim.run_stack(sc, "12"), "seeds must be a non-empty list"),
        (lambda: sim.run_stack(sc, [1, -2]), r"seeds\[1\] must be a whole number"),
        (lambda: replicate(sc, 2, executor=object()), "executor must have a map method"),
        (lambda: compare({"a": sc, "b": sc}, n=2, target=5), "target must be a string"),
        (lambda: compare({"a": sc, "b": sc}, n=2, baseline=0), "baseline must be an arm"),
    ]
    for call, message in cases:
        with pytest.raises(ArgumentError, match=f"^{message}"):
            call()


def test_argument_errors_are_user_errors_and_good_seeds_pass() -> None:
    assert issubclass(ArgumentError, UserError) and issubclass(ScenarioError, UserError)
    sc = _scenario_object()
    by_int = sim.run(sc, seed=np.int64(3))
    assert by_int.manifest["seed"] == 3 and type(by_int.manifest["seed"]) is int
    by_sequence = sim.run(sc, seed=np.random.SeedSequence(3))
    assert json.dumps(by_sequence.kpis, sort_keys=True) == json.dumps(by_int.kpis, sort_keys=True)


def test_every_public_run_and_experiment_documents_what_it_raises() -> None:
    for fn in (sim.run, sim.run_stack, replicate, compare, arms_from_scenario):
        doc = fn.__doc__ or ""
        assert "Raises:" in doc and "ArgumentError" in doc, fn.__name__
