"""Controls: the levers a lesson offers, generated from the scenario schema and the lever space.

A trainer should not have to write a form per lesson. The levers shown are the strategy
factors of :data:`sim.scenario.space.DEFAULT_SPACE` (the levers a CRM manager holds) plus
every scalar ``strategy.*`` field a lesson's ``arms:`` changes (the lever the lesson is
about). Each becomes a :class:`LeverSpec`: the schema says what kind of value the field
takes (a whole number, a number, a duration, a choice, on/off) and its hard bounds; the
lever space says the range worth sliding over and the unit. A number gets a slider *and* a
text field: the slider covers the useful range, the text field takes anything, so a value
outside the schema's bounds reaches the scenario loader and comes back as its message.

The components at the bottom draw the specs and the transport buttons; they hold no state
of their own, so the page owns every value and one reset applies them all.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

import annotated_types
import solara
from solara.alias import rv

from sim.dashboard.state import Session, say, testid
from sim.errors import UserError
from sim.scenario.fields import Slot, root, slot_at
from sim.scenario.space import DEFAULT_SPACE, default_factor
from sim.scenario.spec import Scenario, scenario_to_dict

__all__ = [
    "LeverPanel",
    "LeverSpec",
    "Transport",
    "lever_label",
    "lever_paths",
    "lever_specs",
    "moved",
    "parse_number",
    "use_player",
    "value_at",
]

Widget = Literal["int", "float", "choice"]

#: The unit key of each lever-space factor, by its short name (the space's own unit texts
#: are English prose for a listing; the page says them from the catalogue).
_UNIT_KEYS = {
    "staff": "dash.unit.people",
    "account_managers": "dash.unit.people",
    "quality": "unit.scale",
    "acquisition_budget": "word.money_per_period",
    "list_price": "dash.unit.price_index",
}


@dataclass(frozen=True)
class LeverSpec:
    """One lever as the page draws it.

    Attributes:
        path: the scenario field's dotted path (the key of the levers mapping).
        widget: ``int`` or ``float`` (slider and text field) or ``choice`` (a select).
        value: the scenario's own value (what a reset without changes runs).
        low: the slider's low end (numbers only).
        high: the slider's high end (numbers only).
        step: the slider's step (numbers only).
        choices: the values a choice takes, in the schema's order.
        unit_key: the catalogue key of the unit shown beside a number ("" for none).
    """

    path: str
    widget: Widget
    value: Any
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    choices: tuple[Any, ...] = ()
    unit_key: str = ""


def value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a scenario dict (list items by index); None if absent."""
    node: Any = data
    for key in path.split("."):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list | tuple) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def lever_paths(sc: Scenario) -> list[str]:
    """The lever-space levers, then each further ``strategy.*`` path the lesson's arms set."""
    paths = [f.path for f in DEFAULT_SPACE if f.kind == "lever"]
    for overrides in sc.arms.values():
        paths += [p for p in overrides if p.startswith("strategy.") and p not in paths]
    return paths


def lever_specs(sc: Scenario) -> list[LeverSpec]:
    """The levers of ``sc`` (see the module docstring); fields that are not scalars skipped."""
    data = scenario_to_dict(sc)
    top = root(Scenario)
    specs = []
    for path in lever_paths(sc):
        slot = slot_at(top, path)
        if slot is None:
            continue
        spec = _spec(path, slot, value_at(data, path))
        if spec is not None:
            specs.append(spec)
    return specs


def _spec(path: str, slot: Slot, value: Any) -> LeverSpec | None:
    factor = default_factor(path)
    kinds = [t for t in slot.types]
    literal = next((t for t in kinds if get_origin(t) is Literal), None)
    if literal is not None:
        return LeverSpec(path, "choice", value, choices=tuple(get_args(literal)))
    if kinds == [bool]:
        return LeverSpec(path, "choice", bool(value), choices=(False, True))
    if kinds not in ([int], [float]):
        return None
    widget: Widget = "int" if kinds == [int] else "float"
    lo, hi = _bounds(slot)
    current = float(value) if isinstance(value, int | float) else None
    if factor is not None and factor.low is not None and factor.high is not None:
        low, high = float(factor.low), float(factor.high)
    elif lo is not None and hi is not None and hi - lo <= 10:
        low, high = lo, hi
    else:
        low = lo if lo is not None else 0.0
        high = max(2 * (current or 0.0), low + (30.0 if slot.duration else 1.0))
    if current is None:  # null (unbounded staff, say): the slider starts at its low end
        current = low
    low, high = min(low, current), max(high, current)
    step = 1.0 if widget == "int" else _nice_step((high - low) / 100)
    unit = _UNIT_KEYS.get(factor.name, "") if factor is not None else ""
    if not unit:
        unit = "unit.days" if slot.duration else ("dash.unit.share" if hi == 1 else "")
    shown: Any = int(current) if widget == "int" else current
    return LeverSpec(path, widget, shown, low, high, step, unit_key=unit)


def _bounds(slot: Slot) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in slot.field.metadata if slot.field is not None else ():
        if isinstance(m, annotated_types.Ge | annotated_types.Gt):
            lo = float(m.ge if isinstance(m, annotated_types.Ge) else m.gt)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le | annotated_types.Lt):
            hi = float(m.le if isinstance(m, annotated_types.Le) else m.lt)  # type: ignore[arg-type]
    return lo, hi


def _nice_step(raw: float) -> float:
    """The 1-2-5 step at or below ``raw`` (a slider of 100 notches moves in round numbers)."""
    if raw <= 0:
        return 0.01
    power = 10 ** math.floor(math.log10(raw))
    return next(k * power for k in (5, 2, 1) if k * power <= raw)


def lever_label(path: str, lang: str) -> str:
    """The lever's name in ``lang``; its dotted path when the catalogue has no name for it."""
    key = f"dash.lever.{path}"
    cat = say(lang)
    return cat(key) if cat.has(key) else path


def choice_label(value: Any, lang: str) -> str:
    """A choice's name in ``lang`` (``lescant`` → LESCANT …); the raw value if unnamed."""
    key = f"dash.choice.{str(value).lower()}"
    cat = say(lang)
    return cat(key) if cat.has(key) else str(value)


def parse_number(spec: LeverSpec, text: str, lang: str) -> float | int:
    """The number typed for ``spec``; a :class:`UserError` in ``lang`` when it is not one.

    Range is *not* checked here: the scenario loader judges it on reset and says what the
    field allows, so a value out of range gets the same message as in a scenario file.
    """
    what = lever_label(spec.path, lang)
    try:
        number = float(text.strip().replace(",", ""))
    except ValueError:
        raise UserError(say(lang)("dash.error.number", what=what, value=text)) from None
    if spec.widget == "int":
        if not number.is_integer():
            raise UserError(say(lang)("dash.error.whole", what=what, value=text))
        return int(number)
    return number


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- components
@solara.component
def LeverControl(
    spec: LeverSpec, value: Any, on_value: Callable[[Any], None], lang: str
) -> solara.Element:
    """One lever: a select for a choice; a slider and a text field for a number."""
    label = lever_label(spec.path, lang)
    hook = testid("lever", spec.path)
    error, set_error = solara.use_state("")
    if spec.widget == "choice":
        items = [{"text": choice_label(c, lang), "value": c} for c in spec.choices]
        return rv.Select(
            label=label,
            items=items,
            v_model=value,
            on_v_model=on_value,
            dense=True,
            attributes={"data-testid": hook},
        )

    def typed(text: str | None) -> None:
        try:
            on_value(parse_number(spec, text or "", lang))
            set_error("")
        except UserError as exc:
            set_error(str(exc))

    unit = say(lang)(spec.unit_key) if spec.unit_key else ""
    with solara.Column(gap="0px", classes=["dash-lever"]) as column:
        solara.Text(f"{label}" + (f" ({unit})" if unit else ""))
        with solara.Row(gap="8px", style={"align-items": "center"}):
            number = float(value)
            low, high = min(spec.low, number), max(spec.high, number)
            rv.Slider(
                v_model=number,
                min=low,
                max=high,
                step=spec.step,
                dense=True,
                hide_details=True,
                on_v_model=lambda x: on_value(int(x) if spec.widget == "int" else float(x)),
                style_="flex: 3",
                attributes={"data-testid": f"{hook}-slider"},
            )
            rv.TextField(
                v_model=_shown(value),
                on_v_model=typed,
                dense=True,
                hide_details=True,
                style_="flex: 1; min-width: 5em",
                attributes={"data-testid": f"{hook}-input"},
            )
        if error:
            solara.Error(error, dense=True)
    return column


def moved(levers: Mapping[str, Any], spec: LeverSpec, value: Any) -> dict[str, Any]:
    """``levers`` with ``spec`` set to ``value``; dropped when that is the scenario's own."""
    rest = {k: v for k, v in levers.items() if k != spec.path}
    return rest if value == spec.value else {**rest, spec.path: value}


@solara.component
def LeverPanel(
    specs: list[LeverSpec],
    values: Mapping[str, Any],
    on_lever: Callable[[LeverSpec, Any], None],
    lang: str,
) -> solara.Element:
    """Every lever of the lesson; ``values`` holds the ones changed from the scenario's."""
    with solara.Column(gap="4px") as column:
        solara.Text(say(lang)("dash.levers"), style={"font-weight": "bold"})
        for spec in specs:
            LeverControl(
                spec, values.get(spec.path, spec.value), functools.partial(on_lever, spec), lang
            ).key(spec.path)
        solara.Text(say(lang)("dash.levers_note"), style={"font-size": "0.85em"})
    return column


@solara.component
def Transport(
    playing: bool,
    done: bool,
    on_play: Callable[[], None],
    on_pause: Callable[[], None],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
    lang: str,
    prefix: str = "",
) -> solara.Element:
    """Play or pause, step one period, reset: the same four buttons for a run and a pair."""
    cat = say(lang)
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}) as row:
        if playing:
            _button(cat("dash.pause"), on_pause, f"{prefix}pause", "mdi-pause")
        else:
            _button(cat("dash.play"), on_play, f"{prefix}play", "mdi-play", disabled=done)
        _button(cat("dash.step"), on_step, f"{prefix}step", "mdi-step-forward", playing or done)
        _button(cat("dash.reset"), on_reset, f"{prefix}reset", "mdi-restore")
    return row


def use_player(
    session: Session[Any] | None,
    playing: bool,
    set_playing: Callable[[bool], None],
    speed: float,
    on_tick: Callable[[int], None],
) -> None:
    """While ``playing``, step ``session`` ``speed`` times a second on a thread.

    ``on_tick(steps)`` after each period makes the page redraw; at the horizon the loop
    stops itself and sets ``playing`` off. A pause, a reset or a new speed cancels the
    thread (Solara sets its cancel event when a dependency changes).
    """

    def loop(cancel: threading.Event) -> None:
        if not playing or session is None:
            return
        while not cancel.is_set():
            # The period's budget counts from before its step: at ten a second the step and
            # the drawing share the 100 ms, rather than each pause adding to them.
            started = time.monotonic()
            moved = session.step()
            on_tick(session.steps)
            if not moved or session.done:
                set_playing(False)
                return
            session.wait_drawn(cancel)
            cancel.wait(max(0.0, 1.0 / max(speed, 0.1) - (time.monotonic() - started)))

    solara.use_thread(loop, dependencies=[playing, session, speed])


def _button(
    label: str, on_click: Callable[[], None], hook: str, icon: str, disabled: bool = False
) -> solara.Element:
    return solara.Button(
        label,
        on_click=on_click,
        icon_name=icon,
        disabled=disabled,
        outlined=True,
        attributes={"data-testid": hook},
    )
