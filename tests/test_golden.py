"""Golden values: every library scenario, small and short at a fixed seed, gives the same KPIs.

The numbers in ``tests/golden/<name>.json`` are written by ``scripts/regen_golden.py``, one
set per engine. A failure here means the model's numbers changed on that engine: if that was
intended, run the script on purpose and review the diff of the golden files; if not, the
change is a regression.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import scenarios

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "regen_golden.py"
_spec = importlib.util.spec_from_file_location("regen_golden", _SCRIPT)
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
sys.modules["regen_golden"] = regen
_spec.loader.exec_module(regen)

HOW_TO_UPDATE = (
    "if the change of the numbers is intended, run `.venv/bin/python scripts/regen_golden.py` "
    "on purpose and review the diff of tests/golden/"
)


def test_round_sig_keeps_eight_significant_digits() -> None:
    assert regen.round_sig(123456789.0) == 123456790.0
    assert regen.round_sig(0.000123456789) == 0.00012345679
    assert regen.round_sig(-2.5) == -2.5
    assert regen.round_sig(0.0) == 0.0
    assert regen.round_sig(float("nan")) is None


def test_every_golden_file_has_a_scenario() -> None:
    stale = sorted(p.stem for p in regen.GOLDEN_DIR.glob("*.json"))
    stale = [name for name in stale if name not in scenarios.names()]
    assert not stale, f"golden files without a library scenario: {stale}; delete them"


def test_regen_writes_every_engine_under_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_kpis(name: str, engine: str) -> dict[str, float | None]:
        return {"profit": float(len(name)), "engine_is_vector": float(engine == "vector")}

    monkeypatch.setattr(regen, "golden_kpis", fake_kpis)
    assert regen.main(["--dir", str(tmp_path), "baseline"]) == 0
    written = json.loads(regen.golden_path("baseline", tmp_path).read_text(encoding="utf-8"))
    assert written == {engine: fake_kpis("baseline", engine) for engine in regen.ENGINES}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json"]


@pytest.mark.parametrize("engine", regen.ENGINES)
@pytest.mark.parametrize("name", scenarios.names())
def test_golden_kpis(name: str, engine: str) -> None:
    path = regen.golden_path(name)
    assert path.is_file(), f"no golden file {path} for scenario {name!r}: {HOW_TO_UPDATE}"
    record = json.loads(path.read_text(encoding="utf-8"))
    keys = sorted(record)
    shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
    assert engine in record, (
        f"{path} has no KPIs for the {engine} engine (its keys: {shown}): {HOW_TO_UPDATE}"
    )
    expected = record[engine]
    got = regen.golden_kpis(name, engine)
    changed = {
        k: (expected.get(k, "missing"), got.get(k, "missing"))
        for k in sorted(set(expected) | set(got))
        if expected.get(k, "missing") != got.get(k, "missing")
    }
    assert not changed, (
        f"{name} on the {engine} engine: KPIs changed (golden, now): {changed}; {HOW_TO_UPDATE}"
    )
