"""Hostile scenario input: every attack ends quickly in exit 2 and a located message.

A scenario file may come from anyone. Each class of attack below runs through a real
``crmsim validate`` process under a memory limit (``RLIMIT_AS``) and a CPU and wall-clock
limit, and must exit with code 2, name the file (and the field where there is one), print
no traceback, echo nothing of a file outside the scenario's reach and write nothing. The
small corpus in ``tests/hostile/`` holds the cases that read well as files; big ones are
generated here. A hypothesis fuzz test then feeds YAML documents and ``--set`` strings to
the loader, which may only raise :class:`~sim.errors.ScenarioError`, within a time budget.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import load_scenario
from sim.scenario.intake import MAX_DEPTH, MAX_DIGITS, MAX_FILE_BYTES, MAX_NODES, show
from sim.scenario.sources import MAX_EXTENDS

CRMSIM = Path(sys.executable).parent / "crmsim"
HOSTILE = Path(__file__).parent / "hostile"
BROKEN = Path(__file__).parent / "broken"

#: Address space of one ``crmsim validate`` process (it needs about 0.5 GiB to start).
MEMORY_BYTES = 1 << 30
#: CPU seconds and wall-clock seconds one process may take (a hostile file takes < 1 s).
CPU_SECONDS = 20
WALL_SECONDS = 60
#: Seconds one in-process load may take in the fuzz tests.
LOAD_BUDGET = 3.0


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _tree(folder: Path) -> list[tuple[str, int, int]]:
    """Every entry below ``folder`` (links not followed), with its size and mtime."""
    found = []
    for here, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            info = os.lstat(Path(here) / name)
            found.append((str(Path(here) / name), info.st_size, info.st_mtime_ns))
    return sorted(found)


def validate(*files: str | Path, cwd: Path) -> str:
    """Standard error of ``crmsim validate FILES``, checked to have failed cleanly."""
    before = _tree(cwd)
    done = subprocess.run(
        [str(CRMSIM), "validate", *map(str, files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=_limits,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "Traceback" not in out and "MemoryError" not in out, out
    for file in files:
        assert f"✗ {file}" in done.stdout, out
    assert _tree(cwd) == before, "validate wrote into the working directory"
    return done.stderr


def line_about(stderr: str, name: str) -> str:
    """The lines of ``stderr`` that mention the file ``name``."""
    lines = [line for line in stderr.splitlines() if name in line]
    assert lines, f"nothing about {name} in:\n{stderr}"
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """Fail (rather than hang) any test of this file that runs past two minutes."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("a hostile-input test ran past its time limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------- files
def test_only_small_regular_files_are_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    os.symlink("loop_b.yaml", tmp_path / "loop_a.yaml")
    os.symlink("loop_a.yaml", tmp_path / "loop_b.yaml")
    (tmp_path / "huge.yaml").write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    million = "population:\n  initial: [" + ",".join(["0"] * 1_000_000) + "]\n"
    (tmp_path / "million.yaml").write_text(million)
    err = validate(
        "fifo.yaml",
        "/dev/zero",
        "folder.yaml",
        "loop_a.yaml",
        "huge.yaml",
        "million.yaml",
        cwd=tmp_path,
    )
    assert "fifo.yaml: is not a regular file (a device, pipe or socket)" in err
    assert "/dev/zero: is not a regular file" in err
    assert "folder.yaml: is a folder, not a file" in err
    assert "loop_a.yaml: its symbolic links form a loop" in err
    assert "huge.yaml: the file is larger than 1 MiB" in err
    assert "million.yaml: the file is larger than 1 MiB" in err


def test_a_file_is_parsed_once_with_the_c_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[tuple[type, ...]] = []
    compose_document = yaml.composer.Composer.compose_document

    def counting(self: Any) -> Any:
        composed.append(type(self).__mro__)
        return compose_document(self)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the scenario was parsed a second time")

    monkeypatch.setattr(yaml.composer.Composer, "compose_document", counting)
    monkeypatch.setattr(yaml, "safe_load", forbidden)
    monkeypatch.setattr(yaml, "compose", forbidden)
    load_scenario(BROKEN / "_base.yaml")
    assert len(composed) == 1
    if yaml.__with_libyaml__:
        assert yaml.CSafeLoader in composed[0]


# --------------------------------------------------------------------------- parser bombs
def test_alias_bombs_and_long_lists_are_refused_within_the_value_budget(tmp_path: Path) -> None:
    (tmp_path / "long_list.yaml").write_text(
        "extends: baseline\ndescription:\n" + "- 0\n" * 200_000
    )
    started = time.monotonic()
    err = validate(
        HOSTILE / "alias_bomb.yaml", HOSTILE / "self_alias.yaml", "long_list.yaml", cwd=tmp_path
    )
    assert time.monotonic() - started < WALL_SECONDS / 2
    budget = f"past a reading limit: more than {MAX_NODES:,} values"
    assert f"alias_bomb.yaml:7: {budget} (an alias counts each time it is used)" in err
    assert "self_alias.yaml:4: past a reading limit: alias *loop is used inside its own" in err
    assert budget in line_about(err, "long_list.yaml:")


def test_deep_nesting_and_long_extends_chains_are_refused(tmp_path: Path) -> None:
    block = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "1\n"
    (tmp_path / "deep_block.yaml").write_text(block)
    (tmp_path / "deep_flow.yaml").write_text("x: " + "[" * 500 + "]" * 500 + "\n")
    # libyaml itself stops at 1000 levels of flow nesting, before any value is composed.
    (tmp_path / "deeper_flow.yaml").write_text("x: " + "[" * 5000 + "]" * 5000 + "\n")
    chain = tmp_path / "chain"
    chain.mkdir()
    for i in range(600):
        (chain / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (chain / "c600.yaml").write_text("extends: baseline\n")
    err = validate(
        "deep_block.yaml", "deep_flow.yaml", "deeper_flow.yaml", "chain/c0.yaml", cwd=tmp_path
    )
    assert "deep_block.yaml:32: past a reading limit: nested more than 32 levels deep" in err
    assert "deep_flow.yaml:1: past a reading limit: nested more than 32 levels deep" in err
    assert "deeper_flow.yaml:1: YAML syntax error: exceeded maximum nesting depth" in err
    assert "c15.yaml:1: extends = 'c16.yaml': the extends chain is longer than 16 files" in err


def test_huge_integers_and_bad_tags_are_refused(tmp_path: Path) -> None:
    (tmp_path / "digits.yaml").write_text("extends: baseline\nseed: " + "7" * 5000 + "\n")
    (tmp_path / "hex.yaml").write_text("extends: baseline\nseed: 0x" + "f" * 5000 + "\n")
    (tmp_path / "python.yaml").write_text("extends: baseline\nname: !!python/name:os.system\n")
    err = validate(
        "digits.yaml", "hex.yaml", HOSTILE / "float_tag.yaml", "python.yaml", cwd=tmp_path
    )
    limit = "past a reading limit: an integer of"
    assert f"digits.yaml:2: {limit} 5000 characters (at most 50 digits)" in err
    assert f"hex.yaml:2: {limit} 5002 characters" in err
    assert "float_tag.yaml:3: unreadable value: cannot read '1y' as !!float" in err
    assert "python.yaml:2: unreadable value: could not determine a constructor" in err


def test_previews_of_huge_values_stay_short(tmp_path: Path) -> None:
    big_list = "extends: baseline\nname:\n" + "".join(f"- {'x' * 40}{i}\n" for i in range(9000))
    (tmp_path / "list_name.yaml").write_text(big_list)
    (tmp_path / "long_text.yaml").write_text("extends: baseline\nhorizon: " + "x" * 900_000 + "\n")
    (tmp_path / "long_key.yaml").write_text("extends: baseline\n" + "k" * 500 + ": 1\n")
    err = validate("list_name.yaml", "long_text.yaml", "long_key.yaml", cwd=tmp_path)
    assert len(err) < 3000, err[:3000]
    assert "list_name.yaml:2: name = ['xxxxx" in err and "must be text" in err
    assert "long_text.yaml:2: horizon = 'xxxxx" in err and "is not a duration" in err
    assert "long_key.yaml:2: kkkkk" in err and "a key of 500 characters" in err
    started = time.monotonic()
    assert len(show(10**5000)) <= 60
    assert len(show([list(range(1000))] * 100_000)) <= 60
    assert len(show("é" * 10**7)) <= 60
    assert time.monotonic() - started < 1


def test_a_scenario_given_as_data_is_held_to_the_same_limits() -> None:
    cyclic: dict[str, Any] = {"extends": "baseline"}
    cyclic["market"] = {"inner": cyclic}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"extends": "baseline", "seed": 10**5000}, "an integer of more than 50 digits"),
        ({"extends": "baseline", "description": [0] * 10**6}, "more than 20,000 values"),
        (cyclic, "a mapping or list that contains itself"),
    ]
    for data, message in cases:
        with pytest.raises(ScenarioError, match=message):
            load_scenario(data)


# --------------------------------------------------------------------------- extends
def test_extends_stays_inside_its_folder_and_the_library(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = "SECRET-LINE: this must never be printed"
    (outside / "secret.yaml").write_text(f"{secret}\npopulation: {{initial: 1}}\n")
    (outside / "list.yaml").write_text(f"- {secret}\n")
    inside = tmp_path / "inside"
    (inside / "sub").mkdir(parents=True)
    (inside / "sub" / "ok.yaml").write_text("extends: baseline\nseed: 3\n")
    (inside / "link.yaml").symlink_to(outside / "secret.yaml")
    (inside / "shared").symlink_to(outside)
    cases = {
        "absolute.yaml": f"extends: {outside / 'secret.yaml'}\n",
        "climb.yaml": "extends: ../outside/secret.yaml\n",
        "via_link.yaml": "extends: link.yaml\n",
        "via_folder_link.yaml": "extends: shared/list.yaml\n",
        "passwd.yaml": "extends: /etc/passwd\n",
        "not_yaml.yaml": "extends: sub/ok.txt\n",
    }
    for name, text in cases.items():
        (inside / name).write_text(text)
    err = validate(
        *cases, HOSTILE / "extends_absolute.yaml", HOSTILE / "extends_parent.yaml", cwd=inside
    )
    refused = "points outside this file's folder and the scenario library"
    for name in (*list(cases)[:5], "extends_absolute.yaml", "extends_parent.yaml"):
        assert refused in line_about(err, f"{name}:"), err
    assert "not_yaml.yaml:1: extends = 'sub/ok.txt': is not a .yaml or .yml file" in err
    assert "SECRET" not in err
    assert "root:" not in err
    for line in (BROKEN / "_base.yaml").read_text().splitlines()[1:]:
        assert line.strip() not in err.replace("../broken/_base.yaml", "")
    (inside / "fine.yaml").write_text("extends: sub/ok.yaml\n")
    done = subprocess.run(
        [str(CRMSIM), "validate", "fine.yaml"],
        cwd=inside,
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=_limits,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "✓ fine" in done.stdout


def test_the_documented_limits_are_the_enforced_ones() -> None:
    doc = " ".join((load_scenario.__doc__ or "").split())
    assert f"at most {MAX_FILE_BYTES >> 20} MiB" in doc
    assert f"past {MAX_NODES:,} values" in doc
    assert f"{MAX_DEPTH} levels of nesting or a {MAX_DIGITS}-digit integer" in doc
    assert f"a chain has at most {MAX_EXTENDS} files" in doc


# --------------------------------------------------------------------------- values
def test_true_and_false_are_not_numbers(tmp_path: Path) -> None:
    err = validate(HOSTILE / "bool_numbers.yaml", cwd=tmp_path)
    assert "bool_numbers.yaml:3: horizon = True: is not a duration" in err
    assert (
        "bool_numbers.yaml:6: strategy.service.staff = True: is true or false, not a number" in err
    )


def test_an_arm_with_a_wrong_override_path_fails_validate(tmp_path: Path) -> None:
    err = validate(HOSTILE / "arm_typo.yaml", cwd=tmp_path)
    assert (
        "arm_typo.yaml:5: arms.lescant.strategy.complaints.handlng = 'lescant': in arm "
        "'lescant', there is no setting 'handlng' under strategy.complaints"
    ) in err
    assert "did you mean 'handling'?" in err


# --------------------------------------------------------------------------- fuzz
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["30d", "1y", "-1", "1e400", "yes", "~", "1mo", "0x1f", "2024-01-01"]),
)
_KEYS = st.sampled_from(
    [
        "extends",
        "name",
        "horizon",
        "period",
        "seed",
        "population",
        "initial",
        "segments",
        "share",
        "strategy",
        "service",
        "staff",
        "arms",
        "headlines",
        "market",
        "dropout",
        "x",
    ]
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)
_SNIPPETS = st.sampled_from(
    [
        "&a [1, 2]",
        "*a",
        "!!float x",
        "!!int 99",
        "!!binary ====",
        "<<: {a: 1}",
        "? [a]\n: 1",
        "[[[[",
        "{a: b",
        "- - -",
        "\t",
        "%YAML 1.1\n---",
        "--- \n...",
        "!!python/tuple [1]",
        "extends: baseline",
        "extends: ../x.yaml",
        "extends: /etc/passwd",
        "horizon: true",
        "9" * 5000,
        "population:\n  initial: 5",
    ]
)
_TEXTS = st.lists(st.one_of(_SNIPPETS, st.text(max_size=20)), max_size=6).map("\n".join)


def _bounded_load(source: Any, overrides: list[str] | None = None) -> None:
    """Load ``source``: a scenario or a ScenarioError, and nothing past the time budget."""
    started = time.monotonic()
    try:
        load_scenario(source, overrides)
    except ScenarioError as exc:
        assert exc.problems
        assert len(str(exc)) < 20_000
    assert time.monotonic() - started < LOAD_BUDGET


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_DOCUMENTS.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), _TEXTS))
def test_fuzzed_documents_only_raise_scenario_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _bounded_load(path)


_PATHS = st.one_of(
    st.sampled_from(
        [
            "horizon",
            "seed",
            "strategy.service.staff",
            "population.segments.0.share",
            "population.segments.9.share",
            "arms.x",
            "arms",
            "extends",
            "",
            ".",
            "a..b",
            "x" * 300,
        ]
    ),
    st.text(max_size=30),
)
_VALUES = st.one_of(_TEXTS, _DOCUMENTS.map(lambda d: yaml.safe_dump(d, default_flow_style=True)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_PATHS, _VALUES), max_size=3), st.booleans())
def test_fuzzed_overrides_only_raise_scenario_errors(
    entries: list[tuple[str, str]], bare: bool
) -> None:
    strings = [f"{path}={value}" for path, value in entries]
    if bare:
        strings.append("no-equals-sign")
    _bounded_load(BROKEN / "_base.yaml", strings)
