"""Against the textbook models: ``crmsim check-model`` as a section of the run report.

Every customer segment is built from a buy-till-you-die recipe (BG/NBD or Pareto/NBD buying
and dropout, the shifted-beta-geometric for renewals, Gamma–Gamma spend). This section fits
those recipes back to the run's ``customers`` table with :func:`sim.calibration.check_run`
and sets what it recovers beside what the scenario set, like a lab checking a scale with a
known weight. In the pure modes (``behaviour.enabled: false``) the simulator *is* the
textbook models, so a likelihood-ratio test of the true values must accept them: a test
that rejects at 1e-3 for the whole table (Bonferroni) is a defect of the simulator. With
behaviour on, customers also leave for reasons the textbook models do not have, and the
fits describe the run instead: the note says how much of the churn was behavioural.

The fits read the customers table only (``frequency``, ``recency``, ``T``,
``monetary_value``, ``acquired``, ``churned``), so a run saved without its event log gets
the same section; nothing is skipped for want of transactions. To keep the report quick a
large run is fitted on a bounded share of its customers (:data:`FIT_BUDGET`), the first of
each segment by customer id: the id follows acquisition order, never a customer's hidden
parameters, so the subset is as much the model's as the whole and the tests stay valid.
``crmsim check-model RUN_DIR`` fits everyone.

This module sits in the report layer and uses :mod:`sim.calibration` (a lower layer), never
the calibration page above it.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, BeforeValidator

from agents.units import parse_duration
from sim.calibration import DataError, check_run
from sim.errors import UserError
from sim.i18n import DEFAULT_LANG, catalogue
from sim.report.analysis import CHURN_LABELS
from sim.results.display import number
from sim.scenario.spec import Scenario, load_scenario

if TYPE_CHECKING:
    from sim.results.run_result import RunResult

__all__ = ["FIT_BUDGET", "LRT_LEVEL", "ModelCheck", "model_check", "model_check_section"]

#: Customers fitted at most, over all segments: about a second of fitting on a loaded
#: laptop (Pareto/NBD, the slowest fit, takes ≈ 0.35 s per 1,000 customers).
FIT_BUDGET = 5_000

#: A pure-mode likelihood-ratio test rejecting at this level (family-wise over the table) is
#: a defect of the simulator; the same level as ``crmsim check-model``.
LRT_LEVEL = 1e-3

#: Churn reasons the textbook models have: only the baseline dropout.
_TEXTBOOK_REASONS = frozenset({"", "baseline"})


@dataclass(frozen=True)
class ModelCheck:
    """What the section shows, before it is written as HTML.

    Attributes:
        pure: whether behaviour is off, so that the scenario's values are the truth.
        table: :func:`~sim.calibration.check_run`'s table plus ``unit`` (``days``, the
            currency, or empty for a shape); empty when no segment has a textbook model.
        tests: one row per segment and model in the pure modes (``segment``, ``model``,
            ``lr_stat``, ``dof``, ``p_value``, ``verdict``); empty with behaviour on.
        level: the per-test level, :data:`LRT_LEVEL` shared over the tests (Bonferroni).
        notes: plain sentences on what was skipped, bounded or cannot hold.
    """

    pure: bool
    table: pd.DataFrame
    tests: pd.DataFrame
    level: float
    notes: list[str] = field(default_factory=list)


def _scenario(result: RunResult) -> Scenario | None:
    spec = result.manifest.get("scenario")
    return load_scenario(spec) if spec else None


def _within_budget(
    customers: pd.DataFrame, budget: int, segments: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The customers to fit: everyone watched, or each segment's share of ``budget``."""
    watched = customers[customers["T"] > 0]
    if len(watched) <= budget:
        return watched, []
    parts, notes = [], []
    for segment in segments:
        group = watched[watched["segment"] == segment]
        quota = math.ceil(budget * len(group) / len(watched))
        parts.append(group.sort_values("customer_id", kind="stable").head(quota))
        if quota < len(group):
            notes.append(
                f"Segment {segment}: the first {quota:,} of its {len(group):,} customers (by "
                "customer id) were fitted, to keep this page quick; crmsim check-model on "
                "the run's folder fits them all."
            )
    return pd.concat(parts), notes


def _unit(scenario: Scenario, segment: str, parameter: str, currency: str) -> str:
    """The unit of a scenario field such as ``purchase.alpha``, read off its declaration."""
    seg = next(s for s in scenario.population.segments if s.name == segment)
    section, name = parameter.split(".")
    params: BaseModel = getattr(seg, section)
    declared = type(params).model_fields[name]
    if any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in declared.metadata):
        return "days"
    if parameter == "spend.gamma":  # the Gamma–Gamma scale is money per purchase
        return f"money ({currency})" if currency else "money"
    return ""


def _gaps(scenario: Scenario, table: pd.DataFrame) -> list[str]:
    """A sentence for each segment (or part of one) the table leaves out, and why."""
    notes = []
    for seg in scenario.population.segments:
        models = set(table.loc[table["segment"] == seg.name, "model"])
        if seg.dropout.model == "constant":
            notes.append(
                f"Segment {seg.name}: its dropout is constant (one chance for everyone), "
                "which no textbook model here assumes"
                + (", so only its spend is checked." if models else ", so it is not checked.")
            )
        elif not models:
            notes.append(f"Segment {seg.name}: no customer was watched long enough to fit.")
        elif seg.purchase is not None and "Gamma–Gamma" not in models:
            notes.append(f"Segment {seg.name}: fewer than 10 repeat buyers, spend not fitted.")
    return notes


def _tests(table: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """One likelihood-ratio test per segment and model, with its verdict at the shared level."""
    tests = table.drop_duplicates(["segment", "model"])[
        ["segment", "model", "lr_stat", "dof", "p_value"]
    ].reset_index(drop=True)
    level = LRT_LEVEL / max(len(tests), 1)  # Bonferroni: 1e-3 for the whole table
    # check_run gives every parameter NaN standard errors exactly when its fit found no peak.
    peaked = {
        (str(seg), str(model)): bool(se.notna().all())
        for (seg, model), se in table.groupby(["segment", "model"], sort=False)["se"]
    }
    verdicts = []
    for seg, model, p in zip(tests["segment"], tests["model"], tests["p_value"], strict=True):
        if not peaked[(str(seg), str(model))]:
            verdicts.append("no verdict: the fit found no peak")
        elif float(p) <= level:
            verdicts.append("rejects the truth: a defect of the simulator")
        else:
            verdicts.append("accepts the truth")
    return tests.assign(verdict=verdicts), level


def _only_note(pure: bool, note: str) -> ModelCheck:
    return ModelCheck(pure, pd.DataFrame(), pd.DataFrame(), LRT_LEVEL, [note])


def model_check(result: RunResult, budget: int = FIT_BUDGET) -> ModelCheck | None:
    """Fit the textbook models to the run and set them beside its scenario's values.

    Args:
        result: the run (its customers table and the scenario in its manifest).
        budget: customers fitted at most (see the module docstring).

    Returns:
        The section's content, or None when the run carries no scenario to compare with.
    """
    try:
        scenario = _scenario(result)
    except UserError as exc:  # a manifest written by another version of the sandbox
        return _only_note(True, f"The run's scenario does not load: {exc}")
    if scenario is None:
        return None
    pure = not scenario.behaviour.enabled
    names = [seg.name for seg in scenario.population.segments]
    customers, notes = _within_budget(result.customers, budget, names)
    try:
        table = check_run(replace(result, customers=customers), scenario)
    except (DataError, ValueError, RuntimeError) as exc:  # a report must not die of a fit
        return _only_note(pure, f"The textbook models could not be fitted to this run ({exc}).")
    currency = scenario.economics.currency
    table["unit"] = [
        _unit(scenario, seg, par, currency)
        for seg, par in zip(table["segment"], table["parameter"], strict=True)
    ]
    notes += _gaps(scenario, table)
    if pure and not table.empty:
        tests, level = _tests(table)
    else:
        tests, level = pd.DataFrame(), LRT_LEVEL
    if not pure:
        notes.append(_behaviour_note(result.customers))
    return ModelCheck(pure, table, tests, level, notes)


def _behaviour_note(customers: pd.DataFrame) -> str:
    reasons = customers["churn_reason"].astype(str)
    gone = int((reasons != "").sum())
    other = reasons[~reasons.isin(_TEXTBOOK_REASONS)]
    named = ", ".join(CHURN_LABELS.get(r, r) for r in other.value_counts().index)
    share = f" ({100.0 * len(other) / gone:.1f} %)" if gone else ""
    why = f" ({named}; see Why customers left)" if named else ""
    return (
        "Behaviour is on, so the textbook models are not expected to hold: besides the "
        f"baseline dropout, {len(other):,} of the {gone:,} customers who left{share} went for "
        f"behavioural reasons{why}, and care, service and prices moved how much the others "
        "bought. The fitted values describe this run, the extra churn showing as a faster "
        "dropout; no likelihood-ratio test applies. With behaviour.enabled: false the "
        "simulator is these models and this section tests them."
    )


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _p_text(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else number(p)


def _html_table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """A table from escaped cells in the run page's look (numbers right-aligned)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    lines = []
    for row in rows:
        cells = (f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                 for i, c in enumerate(row))  # fmt: skip
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def model_check_section(
    result: RunResult, lang: str = DEFAULT_LANG, budget: int = FIT_BUDGET
) -> str:
    """The report's section "Against the textbook models" as HTML ('' without a scenario).

    Its heading is in ``lang``; the fits, tests and notes are statistics in English, and a
    page in another language says so under the heading.
    """
    check = model_check(result, budget)
    if check is None:
        return ""
    t = catalogue(lang)
    parts = [f"<section id='model-check'><h2>{html.escape(t('report.model_check.title'))}</h2>"]
    if lang != DEFAULT_LANG:
        parts.append(f"<p class='note'>{html.escape(t('report.model_check.english'))}</p>")
    notes = list(check.notes)
    if check.table.empty:
        notes = notes or ["No segment of this scenario has a textbook model to fit."]
    else:
        parts.append(_parameters_html(check))
    if not check.tests.empty:
        parts.append(_tests_html(check))
    parts.extend(f"<p class='note'>{_e(n)}</p>" for n in notes)
    parts.append("</section>")
    return "".join(parts)


def _parameters_html(check: ModelCheck) -> str:
    truth = "true" if check.pure else "set by the scenario"
    rows = [
        [
            _e(r["segment"]),
            _e(r["model"]),
            f"<code>{_e(r['parameter'])}</code>",
            _e(r["unit"] or "none (a shape)"),
            _e(number(float(r["true"]))),
            _e(number(float(r["fitted"]))),
            _e(number(float(r["se"]))),
            _e(f"{int(r['customers']):,}"),
        ]
        for r in check.table.to_dict("records")
    ]
    header = [
        "segment",
        "model",
        "parameter",
        "unit",
        f"{truth} (in the unit)",
        "fitted (in the unit)",
        "standard error (in the unit)",
        "customers fitted (count)",
    ]
    intro = (
        "<p>Each segment's textbook models fitted by maximum likelihood to the run's "
        f"customers, beside the values the scenario set{' (the truth)' if check.pure else ''}."
        "</p>"
    )
    note = ""
    if check.table["se"].isna().any():
        note = (
            "<p class='note'>n/a standard error: the fit found no peak, so its value is not an "
            "estimate.</p>"
        )
    return intro + _html_table(header, rows, {4, 5, 6, 7}) + note


def _tests_html(check: ModelCheck) -> str:
    tests = check.tests
    rejected = int(tests["verdict"].str.startswith("rejects").sum())
    if rejected == 0:
        summary = (
            f"Every likelihood-ratio test accepts the true values at {LRT_LEVEL:g} for the "
            f"whole table (each of the {len(tests)} at {check.level:.2g})."
        )
    else:
        summary = (
            f"{rejected} of {len(tests)} likelihood-ratio tests reject the true values at "
            f"{LRT_LEVEL:g} for the whole table (each at {check.level:.2g}): in the pure mode "
            "the simulator is these models, so this is a defect."
        )
    rows = [
        [
            _e(r["segment"]),
            _e(r["model"]),
            _e(number(float(r["lr_stat"]))),
            _e(int(r["dof"])),
            _e(_p_text(float(r["p_value"]))),
            _e(r["verdict"]),
        ]
        for r in tests.to_dict("records")
    ]
    header = [
        "segment",
        "model",
        "LR statistic (χ², no unit)",
        "degrees of freedom (count)",
        "p-value (probability)",
        "verdict",
    ]
    return (
        "<h3>Likelihood-ratio tests of the true values</h3>"
        f"<p>{_e(summary)}</p>{_html_table(header, rows, {2, 3, 4})}"
    )
