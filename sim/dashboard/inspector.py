"""The customer inspector: one customer's story, read from the live run.

Aggregates hide people. A trainer who has just shown the churn bar climbing picks one of
the key accounts that left and reads, line by line, the deposits and withdrawals of her
emotional account, the moves on the loyalty ladder and the three withdrawals that weighed
most before she went: the course's bank-account picture, for one real (simulated) person.

The story itself is :meth:`sim.dashboard.live.LiveRun.story`; this module only lays it out,
every word from the catalogue, every table row with a ``data-testid`` a browser test finds.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import pandas as pd
import solara
from solara.alias import rv

from sim.dashboard.state import Session, attempt, cap, fmt_money, fmt_number, say, testid

if TYPE_CHECKING:
    from sim.dashboard.story import Story

__all__ = ["CustomerInspector", "ledger_rows", "moves_rows"]

#: Rows of a ledger shown at most (a long life scrolls; the story's why lines sum it up).
MAX_ROWS = 200


def ledger_rows(story: Story, lang: str) -> list[list[str]]:
    """The story's ledger as table rows: day, reason (in ``lang``), change, balance after."""
    t = say(lang)
    rows = story.ledger.head(MAX_ROWS)
    return [
        [fmt_number(day, 1), t(f"reason.{reason}"), fmt_number(amount, 2), fmt_number(bal, 2)]
        for day, reason, amount, bal in zip(
            rows["time"], rows["reason"], rows["amount"], rows["balance"], strict=True
        )
    ]


def moves_rows(story: Story, lang: str) -> list[list[str]]:
    """The story's ladder moves as rows: day, from level, to level (``–`` when first seen)."""
    t = say(lang)
    m = story.ladder_moves

    def level(name: object) -> str:
        return t(f"level.{name}") if isinstance(name, str) else "–"

    return [
        [fmt_number(day, 1), level(a), level(b)]
        for day, a, b in zip(m["day"], m["from_level"], m["to_level"], strict=True)
    ]


@solara.component
def Table(head: Sequence[str], rows: Sequence[Sequence[str]], hook: str) -> solara.Element:
    """A plain table; each row ``data-testid="<hook>-row"``."""
    with rv.SimpleTable(dense=True, attributes={"data-testid": hook}) as table:
        with rv.Html(tag="thead"), rv.Html(tag="tr"):
            for h in head:
                rv.Html(tag="th", children=[h])
        with rv.Html(tag="tbody"):
            for row in rows:
                with rv.Html(tag="tr", attributes={"data-testid": f"{hook}-row"}):
                    for cell in row:
                        rv.Html(tag="td", children=[cell])
    return table


@solara.component
def StoryView(story: Story, lang: str) -> solara.Element:
    """One customer's story: who, status, why, the ledger and the ladder moves."""
    t = say(lang)
    status = t(
        "dash.story.status_active" if story.status == "active" else "dash.story.status_churned"
    )
    facts = [
        ("segment", cap(t("word.segment")), story.segment),
        ("channel", t("dash.story.channel"), t(f"channel.{story.channel}")),
        ("acquired", t("dash.story.acquired"), fmt_number(story.acquired, 1)),
        ("status", t("dash.story.status"), status),
        ("level", t("dash.story.level"), t(f"level.{story.level}")),
        ("revenue", t("money.revenue"), fmt_money(story.revenue)),
    ]
    if story.churn_reason is not None and story.churned_at is not None:
        facts += [
            ("churned-at", t("dash.story.churned_at"), fmt_number(story.churned_at, 1)),
            ("churn-reason", cap(t("word.reason")), t(f"churn.{story.churn_reason}")),
        ]
    with solara.Div(attributes={"data-testid": "story"}) as column:
        solara.HTML(
            tag="h3",
            unsafe_innerHTML=html.escape(t("dash.story.title", customer=story.customer_id)),
            attributes={"data-testid": "story-title"},
        )
        with solara.Row(gap="16px", style={"flex-wrap": "wrap"}):
            for key, label, value in facts:
                _fact(testid("story", key), label, value)
        solara.Text(t("dash.story.why"), style={"font-weight": "bold"})
        with solara.Div(attributes={"data-testid": "story-why"}):
            for line in story.sentences(lang):
                solara.HTML(tag="p", unsafe_innerHTML=html.escape(line), style="margin: 0")
        solara.Text(t("dash.story.ledger"), style={"font-weight": "bold"})
        rows = ledger_rows(story, lang)
        if rows:
            head = [cap(t("word.day")), cap(t("word.reason")), t("dash.col.change"),
                    t("dash.col.balance_after")]  # fmt: skip
            Table(head, rows, "story-ledger")
        else:
            solara.Text(t("dash.story.no_entries"))
        solara.Text(t("dash.story.ladder"), style={"font-weight": "bold"})
        moves = moves_rows(story, lang)
        if moves:
            Table([cap(t("word.day")), t("dash.col.from"), t("dash.col.to")], moves, "story-moves")
        else:
            solara.Text(t("dash.story.no_moves"))
    return column


def _fact(hook: str, label: str, value: str) -> solara.Element:
    with solara.Column(gap="0px") as column:
        solara.Text(label, style={"font-size": "0.8em", "opacity": "0.7"})
        solara.HTML(
            tag="span", unsafe_innerHTML=html.escape(value), attributes={"data-testid": hook}
        )
    return column


@solara.component
def CustomerInspector(session: Session, tick: int, lang: str) -> solara.Element:
    """Pick a customer (an id, or a lost key account) and read the story so far."""
    t = say(lang)
    typed, set_typed = solara.use_state("")
    chosen, set_chosen = solara.use_state(cast(int | None, None))
    error, set_error = solara.use_state("")

    def open_id(raw: str) -> None:
        try:
            cid = int(raw.strip())
        except ValueError:
            set_error(t("dash.error.whole", what=t("dash.inspect.id"), value=raw))
            return
        set_error("")
        set_chosen(cid)

    lost = session.read(lambda r: r.lost_key_accounts(10))
    story: Story | None = None
    problem = ""
    if chosen is not None:
        story, problem = attempt(lambda: session.read(lambda r: r.story(int(chosen))), lang)
    with solara.Column(gap="8px") as column:
        solara.Text(t("dash.inspect.pick"))
        with solara.Row(gap="8px", style={"align-items": "center"}):
            rv.TextField(
                label=t("dash.inspect.id"),
                v_model=typed,
                on_v_model=set_typed,
                dense=True,
                hide_details=True,
                style_="max-width: 12em",
                attributes={"data-testid": "inspect-id"},
            )
            solara.Button(
                t("dash.inspect.open"),
                on_click=lambda: open_id(typed),
                outlined=True,
                attributes={"data-testid": "inspect-open"},
            )
        if error or problem:
            hook = "inspect-error" if error else "story-error"
            solara.Error(error or problem, attributes={"data-testid": hook}).key("error")
        solara.Text(t("dash.inspect.lost"), style={"font-weight": "bold"}).key("lost-title")
        _LostTable(lost, lambda cid: (set_typed(str(cid)), set_error(""), set_chosen(cid)), lang)
        if story is not None:
            StoryView(story, lang)
    return column


def _LostTable(lost: pd.DataFrame | None, pick: Callable[[int], object], lang: str) -> None:
    t = say(lang)
    if lost is None or lost.empty:
        solara.HTML(
            tag="span",
            unsafe_innerHTML=html.escape(t("dash.inspect.none_lost")),
            attributes={"data-testid": "lost-none"},
        )
        return
    with solara.Div(
        attributes={"data-testid": "lost"}, style={"display": "flex", "flex-wrap": "wrap"}
    ):
        for cid, reason, clv in zip(
            lost["customer_id"], lost["churn_reason"], lost["clv"], strict=True
        ):
            solara.Button(
                f"{int(cid)} · {t(f'churn.{reason}')} · {fmt_money(clv)}",
                on_click=lambda c=int(cid): pick(c),
                text=True,
                attributes={"data-testid": f"lost-{int(cid)}"},
            )
