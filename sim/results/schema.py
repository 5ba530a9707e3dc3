"""The documented schema of every output table: one source for code, docs and tests.

``docs/results.md`` is generated from these tables (``python -m sim.results.schema``) and a test
checks that every column a run produces is documented here with its type and unit, and that
nothing documented is missing from the run.
"""

from __future__ import annotations

from typing import NamedTuple

from agents.economics import COST_LINES
from agents.emotional_account import Reason
from agents.relationship import Stage
from agents.rules import ChurnReason
from agents.traits import Level

__all__ = ["TABLES", "Column", "columns", "markdown"]


class Column(NamedTuple):
    """One documented column."""

    name: str
    dtype: str
    unit: str
    description: str


def _periods() -> list[Column]:
    c = [
        Column("period", "int64", "index", "reporting period, 0-based"),
        Column("start", "float64", "day", "first day of the period"),
        Column("end", "float64", "day", "day the period ends (exclusive)"),
        Column("active", "int64", "customers", "active customers at the end of the period"),
        Column("new", "int64", "customers", "customers acquired in the period (all channels)"),
        Column("new_paid", "int64", "customers", "acquired through the paid funnel"),
        Column("new_referral", "int64", "customers", "acquired through referrals by advocates"),
        Column("new_bass", "int64", "customers", "acquired by pure Bass diffusion"),
        Column("leads", "int64", "leads", "paid leads entering the funnel"),
        Column("churned", "int64", "customers", "customers lost in the period (all reasons)"),
    ]
    c += [
        Column(f"churned_{r.name}", "int64", "customers", f"customers lost for reason '{r.name}'")
        for r in ChurnReason
    ]
    c += [
        Column("won_back", "int64", "customers", "lapsed customers reactivated by win-back"),
        Column("acquired_total", "int64", "customers", "customers ever acquired, cumulative"),
        Column("churned_total", "int64", "customers", "churn events, cumulative"),
        Column("won_back_total", "int64", "customers", "win-backs, cumulative"),
    ]
    c += [
        Column(f"level_{lv.name}", "int64", "customers", f"active customers at level {lv.name}")
        for lv in Level
    ]
    c += [
        Column(f"stage_{s.name}", "int64", "customers", f"customers in lifecycle stage {s.name}")
        for s in Stage
        if s != Stage.lapsed
    ]
    c += [
        Column("revenue", "float64", "money", "gross revenue at list price (cents-exact)"),
    ]
    c += [
        Column(f"cost_{k}", "float64", "money", f"cost line '{k}' (cents-exact)")
        for k in COST_LINES
    ]
    c += [
        Column("costs", "float64", "money", "sum of all cost lines"),
        Column("profit", "float64", "money", "revenue − costs, exactly"),
        Column("discount_factor", "float64", "ratio", "discount factor at mid-period"),
        Column("discounted_profit", "float64", "money", "profit × discount factor"),
        Column("cum_discounted_profit", "float64", "money", "running sum of discounted profit"),
        Column("satisfaction_mean", "float64", "0–1", "mean satisfaction of active customers"),
        Column("satisfaction_p10", "float64", "0–1", "10th percentile of satisfaction"),
        Column("satisfaction_p50", "float64", "0–1", "median satisfaction"),
        Column("satisfaction_p90", "float64", "0–1", "90th percentile of satisfaction"),
        Column("balance_mean", "float64", "trust points", "mean emotional-account balance"),
        Column("balance_p10", "float64", "trust points", "10th percentile of the balance"),
        Column("balance_p50", "float64", "trust points", "median balance"),
        Column("balance_p90", "float64", "trust points", "90th percentile of the balance"),
        Column("overdrawn", "int64", "customers", "active customers with a negative balance"),
        Column("purchases", "int64", "purchases", "purchases in the period (first and repeat)"),
        Column("renewals", "int64", "renewals", "subscription renewals paid (contractual)"),
        Column("failures", "int64", "events", "failed experiences (product, delivery)"),
        Column("complaints", "int64", "events", "complaints voiced"),
        Column("silent_failures", "int64", "events", "failures the customer did not voice"),
        Column("complaints_resolved", "int64", "events", "complaints resolved (recoveries)"),
        Column("complaints_quick", "int64", "events", "complaints resolved within the promise"),
        Column("referrals", "int64", "customers", "referred prospects who became customers"),
        Column("tickets", "int64", "tickets", "service tickets served (incl. complaints)"),
        Column("wait_mean", "float64", "day", "mean wait of tickets served (NaN if none)"),
        Column("wait_p90", "float64", "day", "90th percentile wait (NaN if none)"),
        Column("waits_over_promise", "int64", "tickets", "tickets that waited beyond the promise"),
        Column(
            "utilisation", "float64", "ratio", "busy staff-time over staffed time (NaN: ∞ staff)"
        ),
        Column("contacts", "int64", "contacts", "care-tier and follow-up contacts made"),
        Column("am_visits", "int64", "visits", "account-manager visits made"),
        Column("am_utilisation", "float64", "ratio", "AM hours used over AM hours available"),
        Column("over_contacts", "int64", "contacts", "contacts felt as annoying (too soon)"),
        Column("broken_promises", "int64", "events", "missed or late promised contacts"),
        Column("warnings", "int64", "customers", "customers flagged by early warning"),
        Column("interventions", "int64", "customers", "flagged customers who got an intervention"),
        Column("winback_attempts", "int64", "customers", "win-back attempts made"),
        Column("migrated", "int64", "customers", "customers moved to the low-cost channel"),
        Column("loyalty_points", "float64", "points", "loyalty points issued"),
        Column("loyalty_liability", "float64", "money", "expected cost of unredeemed points"),
        Column("list_price", "float64", "index", "our list price index at period end"),
        Column("market_price", "float64", "index", "market price index at period end"),
    ]
    return c


CUSTOMERS: list[Column] = [
    Column("customer_id", "int64", "id", "stable customer id"),
    Column("segment", "string", "name", "segment name"),
    Column("acquired", "float64", "day", "day of acquisition (first purchase)"),
    Column("channel", "string", "name", "initial, paid, referral or bass"),
    Column("referrer_id", "int64", "id", "id of the referring customer, −1 if none"),
    Column("active", "bool", "flag", "active at the end of the run"),
    Column("churned", "float64", "day", "day of the (last) churn, NaN if active"),
    Column("churn_reason", "string", "name", "dominant reason of the (last) churn, '' if active"),
    Column("won_back", "int64", "times", "times won back"),
    Column("tenure", "float64", "day", "days from acquisition to churn or end of run"),
    Column("purchases", "int64", "purchases", "all purchases including the first"),
    Column("frequency", "int64", "purchases", "BTYD: repeat purchases"),
    Column("recency", "float64", "day", "BTYD: day of last repeat purchase after the first"),
    Column("T", "float64", "day", "BTYD: days from first purchase to end of observation"),
    Column(
        "monetary_value", "float64", "money", "BTYD: mean spend per repeat purchase (0 if none)"
    ),
    Column("revenue", "float64", "money", "gross revenue from this customer"),
    Column("margin", "float64", "money", "revenue − cost of goods"),
    Column("cost_to_serve", "float64", "money", "costs attributed to this customer"),
    Column("clv", "float64", "money", "discounted margin − cost to serve, from acquisition"),
    Column("satisfaction", "float64", "0–1", "final satisfaction"),
    Column("expectation", "float64", "0–1", "final expectation"),
    Column("balance", "float64", "trust points", "final emotional-account balance"),
    Column("deposits", "float64", "trust points", "sum of deposits"),
    Column("withdrawals", "float64", "trust points", "sum of withdrawals (negative)"),
    Column("top_withdrawal", "string", "name", "reason of the largest withdrawal total, ''"),
    Column("level", "string", "name", "final relationship level"),
    Column("stage", "string", "name", "final lifecycle stage"),
    Column("tier", "string", "name", "final care tier, '' without care tiers"),
    Column("low_cost", "bool", "flag", "migrated to the low-cost channel"),
    Column("complaints", "int64", "events", "complaints voiced"),
    Column("failures", "int64", "events", "failed experiences"),
    Column("lam", "float64", "per day", "latent purchase rate λ (truth, for validation)"),
    Column("dropout_p", "float64", "probability", "latent dropout p or θ (truth)"),
    Column("mu", "float64", "per day", "latent Pareto lifetime rate μ (truth), 0 otherwise"),
]

LEDGER: list[Column] = [
    Column("time", "float64", "day", "when the entry was booked"),
    Column("period", "int64", "index", "reporting period of the entry"),
    Column("customer_id", "int64", "id", "whose account"),
    Column("reason", "string", "name", "why: " + ", ".join(r.name for r in Reason)),
    Column("kind", "string", "name", "deposit or withdrawal"),
    Column("amount", "float64", "trust points", "signed amount (withdrawals < 0)"),
    Column("balance", "float64", "trust points", "balance after the entry"),
]

LEDGER_AGG: list[Column] = [
    Column("period", "int64", "index", "reporting period"),
    Column("reason", "string", "name", "reason of the entries"),
    Column("kind", "string", "name", "deposit or withdrawal"),
    Column("count", "int64", "entries", "number of entries"),
    Column("amount", "float64", "trust points", "signed total"),
]

EVENTS: list[Column] = [
    Column("time", "float64", "day", "when"),
    Column("customer_id", "int64", "id", "who (−1 for firm-level events)"),
    Column("event", "string", "name", "what happened"),
    Column("value", "float64", "various", "amount (money, wait in days, reason code …)"),
]

MIX: list[Column] = [
    Column("period", "int64", "index", "reporting period"),
    Column("dimension", "string", "name", "segment or tier"),
    Column("category", "string", "name", "the segment's or tier's name"),
    Column("customers", "int64", "customers", "active customers in that category at period end"),
]

SUMMARY: list[Column] = [
    Column("metric", "string", "name", "KPI name (see the KPI list in docs/results.md)"),
    Column("value", "float64", "various", "KPI value"),
]

WARNINGS: list[Column] = [
    Column("time", "float64", "day", "when the customer was flagged"),
    Column("customer_id", "int64", "id", "who"),
    Column("score", "float64", "0–1", "risk score"),
    Column("churned_within_window", "bool", "flag", "truth: churned within the window after"),
]

TABLES: dict[str, list[Column]] = {
    "periods": _periods(),
    "customers": CUSTOMERS,
    "ledger": LEDGER,
    "ledger_aggregate": LEDGER_AGG,
    "events": EVENTS,
    "mix": MIX,
    "warnings": WARNINGS,
    "summary": SUMMARY,
}


def columns(table: str) -> list[str]:
    """Column names of ``table`` in order."""
    return [c.name for c in TABLES[table]]


def markdown() -> str:
    """The column reference as Markdown (the body of docs/results.md)."""
    out: list[str] = []
    for table, cols in TABLES.items():
        out.append(f"### `{table}`\n")
        out.append("| column | type | unit | meaning |")
        out.append("|---|---|---|---|")
        out.extend(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.description} |" for c in cols)
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    import sys

    sys.stdout.write(markdown())
