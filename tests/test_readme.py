"""Docs that run: the README's Python blocks, its shell commands' flags, docstring examples.

A README that drifts from the code is the first thing a new user meets; executing it here
makes drift a failing test rather than a support question.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README) if lang == language]


@pytest.mark.slow
def test_readme_python_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block, top to bottom, in one namespace, as a reader would paste them."""
    blocks = _blocks("python")
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for i, body in enumerate(blocks):
        try:
            exec(compile(body, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"README python block {i + 1} fails: {exc!r}\n{body}")
    assert (tmp_path / "out" / "run7" / "manifest.json").is_file()


def _crmsim_lines() -> list[list[str]]:
    lines = []
    for body in _blocks("sh"):
        for raw in body.splitlines():
            command = raw.split("#", 1)[0].strip()
            if command.startswith(".venv/bin/crmsim") or command.startswith("crmsim"):
                lines.append(shlex.split(command)[1:])
    return lines


def test_readme_shell_commands_use_real_commands_and_flags() -> None:
    """Each ``crmsim`` line names a real command and only flags that command takes."""
    lines = _crmsim_lines()
    assert len(lines) >= 4
    runner = CliRunner()
    for words in lines:
        command = words[0]
        help_text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert help_text.exit_code == 0, f"crmsim {command}: {help_text.output}"
        for flag in (w.split("=", 1)[0] for w in words[1:] if w.startswith("-")):
            assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text.output), (
                f"README uses `crmsim {command} {flag}`, which `crmsim {command} --help` "
                "does not list"
            )


def _modules() -> list[str]:
    names = ["sim"]
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", [m for m in _modules() if m.count(".") <= 1])
def test_docstring_examples_run(module: str) -> None:
    """``>>>`` examples in the package faces' docstrings are doctests."""
    mod = importlib.import_module(module)
    failures, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
