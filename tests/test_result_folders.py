"""Result folders: whole or absent, one writer at a time, checked file by file when read.

The kill tests run a real ``crmsim`` and interrupt it while it saves (once its staging
folder has appeared, after a delay drawn from a seeded generator). Whatever the moment, the
output folder then holds one complete result, the new or the previous one, or nothing;
``RunResult.load`` says which, and never accepts a mix.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sim
from sim.cli.commands import app
from sim.results.folder import FolderError, ResultFolder, read_folder, short_name
from sim.results.run_result import RunResult

CRMSIM = Path(sys.executable).parent / "crmsim"
#: A run whose save (tables, nine figures, the page) takes a second or two.
SMALL = ["--set", "population.initial=200", "--set", "horizon=1y", "--quiet"]
TINY = ["--set", "population.initial=100", "--set", "horizon=6mo"]
LOCKED = "another crmsim is writing"
#: Seconds from the staging folder's appearance to the signal (a save takes about two).
_RNG = random.Random(12)
DELAYS = [round(_RNG.uniform(0.0, 2.5), 2) for _ in range(4)]


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """``crmsim`` with Ctrl-C acting as in a terminal (a background job inherits it ignored)."""
    return subprocess.Popen(
        [str(CRMSIM), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _siblings(target: Path, kind: str) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.{kind}"))


def _interrupt_save(args: list[str], target: Path, sig: int, delay: float) -> int:
    """Start ``crmsim``, wait for its staging folder, send ``sig`` after ``delay``; exit code."""
    stale = set(_siblings(target, "staging"))  # a killed writer's, deleted by the next claim
    proc = _start(*args, "--out", str(target), cwd=target.parent)
    deadline = time.monotonic() + 60
    while not set(_siblings(target, "staging")) - stale and proc.poll() is None:
        assert time.monotonic() < deadline, "the save never started"
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode


def _seed(target: Path) -> Any:
    """The seed of the complete result at ``target``, or None when there is none; never a mix."""
    try:
        return RunResult.load(target).manifest["seed"]
    except FolderError as exc:
        assert "incomplete or mixed" not in str(exc), exc
        assert not target.exists()
        aside = _siblings(target, "replaced")  # killed between the two renames
        assert ("previous result" in str(exc)) == bool(aside)
        return RunResult.load(aside[0]).manifest["seed"] if aside else None


def _crmsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CRMSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


# ------------------------------------------------------------------------------ kills
def test_a_killed_or_interrupted_replacement_leaves_one_whole_result(
    tmp_path: Path, small_baseline: RunResult
) -> None:
    target = small_baseline.save(tmp_path / "run")  # the previous result, seed 1
    signals = [signal.SIGKILL, signal.SIGINT, signal.SIGKILL]
    for sig, delay in zip(signals, DELAYS, strict=False):
        args = ["run", "baseline", *SMALL, "--seed", "2", "--force"]
        code = _interrupt_save(args, target, sig, delay)
        # Ctrl-C exits 130 once the command runs; while the interpreter is still starting
        # (a loaded machine) Python dies of the signal itself (-2), as Unix tools do.
        interrupted = (-9, 0) if sig == signal.SIGKILL else (130, -2, 0)
        assert code in interrupted, (sig, delay, code)
        assert _seed(target) in (1, 2), (sig, delay)
        if sig == signal.SIGINT:
            assert not _siblings(target, "staging"), "Ctrl-C left its staging folder behind"


def test_a_killed_first_save_leaves_nothing_or_everything(tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    code = _interrupt_save(["run", "baseline", *SMALL, "--seed", "3"], target, signal.SIGKILL, 0.3)
    assert code in (-9, 0)
    assert _seed(target) in (None, 3)
    if _seed(target) is None:
        with pytest.raises(FolderError, match="holds no saved result"):
            RunResult.load(target)


def test_four_concurrent_writers_one_wins_and_the_others_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    # The winner holds the folder for its whole run: long enough for the others to arrive.
    long = ["--set", "population.initial=400", "--set", "horizon=3y", "--format", "parquet"]
    procs = {
        seed: _start("run", "baseline", *long, "--seed", str(seed), "--out", str(target),
                     cwd=tmp_path)
        for seed in (11, 12, 13, 14)
    }  # fmt: skip
    errors = {seed: p.communicate(timeout=120)[1] for seed, p in procs.items()}
    codes = {seed: p.returncode for seed, p in procs.items()}
    winners = [seed for seed, code in codes.items() if code == 0]
    assert len(winners) == 1, (codes, errors)
    for seed, code in codes.items():
        if seed not in winners:
            assert code == 2 and LOCKED in errors[seed], (code, errors[seed])
    assert RunResult.load(target).manifest["seed"] == winners[0]
    assert not _siblings(target, "staging")


def test_a_killed_comparison_save_leaves_the_previous_comparison(tmp_path: Path) -> None:
    target = tmp_path / "cmp"
    args = ["compare", "price_war", "-n", "2", *TINY]
    first = _crmsim(*args, "--out", str(target), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    manifest, _ = read_folder(target)
    assert manifest["kind"] == "comparison" and manifest["seed"] == 0
    assert set(manifest["arms"]) == {"calm", "ignore", "match"}
    listed = json.loads((target / "manifest.json").read_text())["files"]
    assert {"report.html", "replications.parquet", "summary.csv"} <= set(listed)
    code = _interrupt_save([*args, "--seed", "5", "--force"], target, signal.SIGKILL, DELAYS[3])
    assert code in (-9, 0)
    assert read_folder(target)[0]["seed"] in (0, 5)


# ------------------------------------------------------------------- reading a folder
@pytest.fixture
def saved(small_baseline: RunResult, tmp_path: Path) -> Path:
    return small_baseline.save(tmp_path / "saved")


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def test_a_saved_result_lists_every_file_and_loads_back(
    saved: Path, small_baseline: RunResult
) -> None:
    listed = _manifest(saved)["files"]
    assert set(listed) == {p.name for p in saved.iterdir()} - {"manifest.json"}
    back = RunResult.load(saved)
    assert back.manifest == small_baseline.manifest  # the file list is the folder's, not the run's
    assert oct(saved.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _drop_from_list(folder: Path, name: str) -> None:
    manifest = _manifest(folder)
    del manifest["files"][name]
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _no_list(folder: Path) -> None:
    manifest = _manifest(folder)
    del manifest["files"]
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _escape(folder: Path) -> None:
    manifest = _manifest(folder)
    manifest["files"]["../../etc/passwd"] = {"sha256": "0", "size": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda d: _flip_a_byte(d / "periods.parquet"),
            "periods.parquet does not match its sha256",
        ),
        (lambda d: (d / "mix.parquet").unlink(), "mix.parquet is missing"),
        (lambda d: (d / "events.parquet").write_bytes(b"x"), "events.parquet has 1 bytes"),
        (lambda d: _drop_from_list(d, "ledger.parquet"), "ledger.parquet is not listed"),
        (_no_list, "manifest.json lists no files"),
        (_escape, "../../etc/passwd is not a valid entry"),
        (lambda d: (d / "manifest.json").write_text("{"), "manifest.json is not valid JSON"),
    ],
)
def test_load_and_report_refuse_a_folder_that_does_not_match(
    saved: Path, spoil: Any, message: str
) -> None:
    spoil(saved)
    with pytest.raises(FolderError, match="incomplete or mixed result") as caught:
        RunResult.load(saved)
    assert message in str(caught.value)
    result = CliRunner().invoke(app, ["report", str(saved)])
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert not (saved / "report.html").exists()


def test_report_in_place_replaces_the_folder_whole_and_keeps_the_tables(saved: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(saved)])
    assert result.exit_code == 0, result.output
    listed = _manifest(saved)["files"]
    assert {"report.html", "periods.parquet", "churn.png"} <= set(listed)
    RunResult.load(saved)
    elsewhere = saved.parent / "slides"
    result = CliRunner().invoke(app, ["report", str(saved), "--out", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert "report.html" in _manifest(elsewhere)["files"]
    with pytest.raises(FolderError, match=r"\.parquet is not listed"):
        RunResult.load(elsewhere)  # a page and its figures, no tables


# ---------------------------------------------------------------- claiming a folder
def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path: Path) -> None:
    with ResultFolder(tmp_path / "out") as first:
        (first.staging / "a.txt").write_text("a")
        with pytest.raises(FolderError, match=LOCKED), ResultFolder(tmp_path / "out"):
            pass
        first.publish({"seed": 1})
    with ResultFolder(tmp_path / "out", force=True) as second:
        (second.staging / "b.txt").write_text("b")
        second.publish({"seed": 2})
    assert read_folder(tmp_path / "out", ["b.txt"]) == ({"seed": 2}, {"b.txt": b"b"})
    assert not (tmp_path / "out" / "a.txt").exists()


def test_leaving_without_publishing_leaves_the_previous_result(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with ResultFolder(target) as folder:
        (folder.staging / "a.txt").write_text("a")
        folder.publish({"seed": 1})
    with pytest.raises(KeyboardInterrupt), ResultFolder(target, force=True) as folder:
        (folder.staging / "a.txt").write_text("half")
        raise KeyboardInterrupt
    assert read_folder(target)[0] == {"seed": 1}
    assert not _siblings(target, "staging")


def test_a_claim_clears_what_a_killed_writer_left(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with ResultFolder(target) as folder:
        (folder.staging / "a.txt").write_text("a")
        folder.publish({"seed": 1})
    aside = tmp_path / ".out.0123456789ab.replaced"
    target.rename(aside)  # killed between the two renames of a replacement
    stale = tmp_path / ".out.ba9876543210.staging"
    stale.mkdir()
    neighbour = tmp_path / ".out.b.0123456789ab.staging"  # another folder's ("out.b")
    neighbour.mkdir()
    with pytest.raises(FolderError, match=re.escape(f"previous result at {aside}")):
        RunResult.load(target)
    with pytest.raises(FolderError, match="already holds a result"), ResultFolder(target):
        pass  # the claim put the previous result back, so it is there to be refused
    assert read_folder(target)[0] == {"seed": 1}
    assert not aside.exists() and not stale.exists() and neighbour.exists()


def test_out_problems_are_refused_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: Path
) -> None:
    def no_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the run started before the output folder was checked")

    monkeypatch.setattr(sim, "run", no_run)
    afile = tmp_path / "afile"
    afile.write_text("keep")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep")
    cases = {
        "": "names no folder",
        str(afile): "is a file, not a folder",
        str(afile / "below"): "cannot create the folder",
        str(saved): "already holds a result; replace it with --force",
        str(tmp_path / ("x" * 300)): "longer than the 255",
    }
    runner = CliRunner()
    for out, message in cases.items():
        result = runner.invoke(app, ["run", "baseline", *TINY, "--out", out])
        assert result.exit_code == 2 and message in result.stderr, (out, result.output)
    result = runner.invoke(app, ["run", "baseline", *TINY, "--out", str(tmp_path / "notes")])
    assert result.exit_code == 2 and "holds no saved result" in result.stderr
    result = runner.invoke(
        app, ["run", "baseline", *TINY, "--force", "-o", str(tmp_path / "notes")]
    )
    assert result.exit_code == 2 and "left alone" in result.stderr  # --force replaces results only
    assert afile.read_text() == "keep" and (tmp_path / "notes" / "todo.txt").read_text() == "keep"
    assert not list(tmp_path.glob(".afile*")), "a refused --out left a file behind"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_parent_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(FolderError, match="is not writable"), ResultFolder(locked / "run"):
        pass


def test_a_300_character_scenario_name_keeps_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "lesson " + "x" * 293
    path = tmp_path / "long.yaml"
    path.write_text(f"extends: baseline\nname: {name}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(path), *TINY, "--quiet", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")]
    assert len(folder.name.encode()) <= 120 and folder.name.startswith("lesson_xxx")
    assert RunResult.load(folder).manifest["scenario_name"] == name


def test_short_names_fit_and_stay_distinct() -> None:
    assert short_name("baseline") == "baseline"
    a, b = short_name("é" * 200 + "a"), short_name("é" * 200 + "b")
    assert a != b
    assert len(a.encode()) <= 120 and len(b.encode()) <= 120
    assert a.startswith("é" * 50)  # cut on a character boundary
