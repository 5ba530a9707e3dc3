"""The calibrated scenario: a YAML file that extends its base and says where each value came from.

A strategist opens the written file and reads, beside every fitted value, its standard error
and the data it was fitted to::

    extends: baseline
    population:
      initial: 2357         # customers in cdnow_sample.csv
      segments:
        - name: key
          ...
          purchase:
            r: 0.2426       # ± 0.0126 (s.e.), BG/NBD, 2,357 customers' purchases in …

Lists replace rather than merge under ``extends`` (``docs/parameters.md``), so every segment
of the base is written out: its own fields as the base's files wrote them, and the fitted
layers in place of its ``purchase``, ``dropout`` and ``spend``.

The file is written beside its final name, loaded back through the scenario loader (so a
value no scenario can hold is refused before anyone sees the file) and only then renamed
into place: a calibration that fails leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.fitting import Calibration, Estimate
from sim.errors import UserError
from sim.scenario.sources import read_source
from sim.scenario.spec import Scenario, load_scenario

__all__ = ["extends_reference", "render_scenario", "write_scenario"]

_LAYERS = ("purchase", "dropout", "spend")


def extends_reference(base: str, out: Path) -> str:
    """What ``extends:`` says in ``out`` to reach ``base``: a library name or a relative path.

    Raises:
        UserError: a base file outside ``out``'s folder (``extends`` may only reach the
            library or files in the extending file's folder and below).
    """
    if not base.endswith((".yaml", ".yml")) and os.sep not in base and "/" not in base:
        return base
    target = Path(base).resolve()
    folder = out.resolve().parent
    if not target.is_relative_to(folder):
        raise UserError(
            f"--base {base}: the calibrated scenario {out} could not extend it, because "
            "extends: reaches only library scenarios and files in its own folder or below; "
            "write --out next to the base (or in a folder above it)"
        )
    return target.relative_to(folder).as_posix()


def _number(value: float) -> str:
    return f"{value:.6g}"


def _comment(est: Estimate) -> str:
    unit = "d" if est.days else ""
    return f"# ± {_number(est.se)}{unit} (s.e.), {est.model}, {est.source}"


def _value(est: Estimate) -> str:
    return _number(est.value) + ("d" if est.days else "")


def _inline(value: Any) -> str:
    """One YAML value on one line (mappings and lists in flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return text.strip().removesuffix("...").strip()


def _dump(data: dict[str, Any], indent: int) -> list[str]:
    return [" " * indent + f"{key}: {_inline(value)}" for key, value in data.items()]


def render_scenario(
    name: str, base: str, extends: str, calibration: Calibration, header: Sequence[str]
) -> str:
    """The calibrated scenario's text (see the module).

    Args:
        name: the scenario's name.
        base: the base as given (library name or path), read for its segments.
        extends: what ``extends:`` says (:func:`extends_reference`).
        calibration: the fitted values.
        header: comment lines for the top of the file (what was run, when, on what).
    """
    lines = [f"# {line}" if line else "#" for line in header]
    lines += [
        f"name: {_inline(name)}",
        f"extends: {extends}",
    ]
    for path in calibration.top:
        est = next(e for e in calibration.estimates if e.top and e.path == path)
        head, _, key = path.rpartition(".")
        lines += (
            [f"{head}:", f"  {key}: {_value(est)}  {_comment(est)}"]
            if head
            else [f"{key}: {_value(est)}"]
        )
    by_path = {e.path: e for e in calibration.estimates if not e.top}
    if calibration.layers or calibration.customers:
        lines.append("population:")
    if calibration.customers:
        lines.append(f"  initial: {calibration.customers}  # customers in the data")
    if calibration.layers:
        data, _, _ = read_source(base, Scenario)
        segments = data["population"]["segments"]
        lines.append("  segments:")
        if len(segments) > 1:
            lines.append(
                "    # the data carry no segment labels: every segment gets the same fitted layers"
            )
        for seg in segments:
            own = {k: v for k, v in seg.items() if k not in calibration.layers}
            body = _dump(own, 6)
            lines.append("    - " + body[0].strip())
            lines += body[1:]
            for block, values in calibration.layers.items():
                lines.append(f"      {block}:")
                for key, value in values.items():
                    found = by_path.get(f"{block}.{key}")
                    if found is None:
                        lines.append(f"        {key}: {value}")
                    else:
                        lines.append(f"        {key}: {_value(found)}  {_comment(found)}")
    return "\n".join(lines) + "\n"


def write_scenario(out: Path, text: str) -> Scenario:
    """Write ``text`` to ``out`` only if it loads as a valid scenario; return it loaded.

    Raises:
        ScenarioError: the text does not load (nothing is left on disk).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.stem}.calibrating.yaml")
    staging.write_text(text, encoding="utf-8")
    try:
        load_scenario(staging)
        os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)
    return load_scenario(out)
