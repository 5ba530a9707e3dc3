"""``crmsim list``, ``show``, ``validate`` and ``report``: look at scenarios and saved runs.

The commands that run nothing: the library and its lessons, a scenario fully resolved, a
check that files load, with the size a run of each would have (the estimate of
:mod:`sim.scenario.size`), so that a world too big to run is found here rather than an hour
into ``crmsim run``, and a saved run's report rebuilt. They are plain functions with
typer-annotated parameters, registered on the main command line the way
:mod:`sim.cli.compare` is. The helpers ``crmsim run`` shares with them live here too:
loading a scenario and choosing an arm of its ``arms:`` block; the tables of a run's KPIs
are in :mod:`sim.cli.tables`, re-exported here.

With ``--lang zh``, ``list`` and ``show`` give each lesson's header in Chinese (its ``zh:``
block, through :func:`sim.scenario.header.lesson_header`; the English text, marked as
untranslated, where it has none) and their own labels from the catalogue (``messages/cli.yaml``).

Names, lessons and messages come from the user's files: they reach the terminal as
``rich.text.Text`` built from :func:`sim.errors.printable`, or through
:func:`sim.cli.text.escape` where markup is involved.
"""

from __future__ import annotations

import difflib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from sim.cli.tables import arms_table, kpi_table
from sim.cli.text import (
    USER_ERROR,
    ReportLangOption,
    escape,
    friendly,
    print_error,
    stderr_console,
    stdout_console,
)
from sim.errors import UserError, printable
from sim.i18n import catalogue, check_lang
from sim.scenario.header import lesson_header

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

__all__ = [
    "HELP_OPTIONS",
    "USER_ERROR",
    "SetOption",
    "arms_table",
    "check_engine",
    "choose_arm",
    "compare_hint",
    "engine_can_run",
    "kpi_table",
    "list_command",
    "load",
    "named_arms",
    "report_command",
    "show_command",
    "validate_command",
    "write_step",
]

T = TypeVar("T")

#: ``-h`` as well as ``--help``, on the application and on every command.
HELP_OPTIONS: dict[str, list[str]] = {"help_option_names": ["-h", "--help"]}

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="PATH=VALUE",
        help="Override one setting by its dotted path (repeatable), e.g. "
        "strategy.service.staff=4 or horizon=6mo. The value is read as YAML.",
    ),
]


ReportForce = Annotated[
    bool,
    typer.Option(
        "--force", help="Override the soft safeguards: replace a result already saved in --out."
    ),
]


def load(scenario: str, overrides: list[str] | None) -> Scenario:
    """Load a library name or a YAML path with ``--set`` overrides."""
    from sim.scenario.spec import load_scenario

    return load_scenario(scenario, overrides or None)


def named_arms(sc: Scenario, flag: str) -> dict[str, Scenario]:
    """The arms of ``sc``'s ``arms:`` block, each named ``<scenario>:<arm>``.

    :func:`sim.experiments.arms_from_scenario` gives an arm without overrides the base's
    name (in a comparison that arm *is* the base); run alone, its title, manifest and report
    must say which arm ran. A name does not touch the random streams.

    Args:
        sc: the scenario as loaded (``--set`` applied).
        flag: the option that asked for arms (``--arm``, ``--all-arms``), for the message.

    Returns:
        Arm name → scenario, in the order of :func:`arms_from_scenario`.

    Raises:
        UserError: ``sc`` has no ``arms:`` block.
    """
    from sim.experiments import arms_from_scenario
    from sim.scenario.spec import with_overrides

    if not sc.arms:
        raise UserError(
            f"scenario {sc.name!r} has no arms: block, so {flag} has no arm to run; run it "
            f"without {flag}"
        )
    arms = arms_from_scenario(sc)
    return {
        arm: s if s.name == f"{sc.name}:{arm}" else with_overrides(s, {"name": f"{sc.name}:{arm}"})
        for arm, s in arms.items()
    }


def choose_arm(sc: Scenario, arm: str | None, source: str, overrides: list[str] | None) -> Scenario:
    """The scenario ``crmsim run`` runs: ``sc`` itself, the arm ``arm``, or the reference arm.

    Without ``--arm``, a file with an ``arms:`` block runs its reference arm (the bare base's
    numbers would sit under a title that claims the lesson); a line on standard error says so.

    Args:
        sc: the scenario as loaded (``--set`` applied).
        arm: the ``--arm`` given, or None.
        source: the scenario as typed (name or path), for the ``crmsim compare`` hint.
        overrides: the ``--set`` given, carried into that hint.

    Returns:
        The scenario to run.

    Raises:
        UserError: ``--arm`` on a scenario without arms, or an arm it does not have (the
            message lists the arms and the closest name).
    """
    if arm is None and not sc.arms:
        return sc
    arms = named_arms(sc, "--arm")
    names = ", ".join(arms)
    if arm is None:
        reference = sc.reference_arm or next(iter(arms))
        note = (
            f"{sc.name} has {len(arms)} arms ({names}); running its reference arm {reference} "
            "— choose one with --arm NAME, or all with --all-arms, or compare them with "
            + compare_hint(source, overrides)
        )
        stderr_console().print(Text(printable(note)))
        return arms[reference]
    if arm not in arms:
        close = difflib.get_close_matches(arm, list(arms), n=1)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"scenario {sc.name!r} has no arm {arm!r} (its arms: {names}){guess}")
    return arms[arm]


def compare_hint(source: str, overrides: list[str] | None, *extra: str) -> str:
    """The ``crmsim compare`` line (shell-quoted) for ``source``'s arms: same ``--set``."""
    sets = (word for o in overrides or () for word in ("--set", o))
    return shlex.join(["crmsim", "compare", source, *sets, *extra])


def check_engine(engine: str) -> None:
    """Refuse an unknown ``--engine`` before any scenario is loaded."""
    from sim.engines import ENGINES

    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r} (allowed: {', '.join(ENGINES)})")


def engine_can_run(sc: Scenario, engine: str) -> None:
    """Refuse a scenario that the engine ``engine`` resolves to cannot run."""
    from sim.engines import choose_engine
    from sim.vector_engine.model import unsupported

    if choose_engine(sc, engine) == "vector" and (problems := unsupported(sc)):
        raise UserError(
            f"{sc.name}: the vector engine cannot run this scenario: " + "; ".join(problems)
        )


def validate_command(
    scenarios: Annotated[
        list[str], typer.Argument(help="Library scenario names or paths to YAML files.")
    ],
    overrides: SetOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="Also check that this engine (agent, vector, auto) can run them, and size "
            "the run for it (default: agent, as crmsim run).",
        ),
    ] = None,
) -> None:
    """Check that scenarios load, and how big a run of each would be.

    Prints a check mark and the lesson for each good scenario with the estimated size of a
    run (customers ever alive, events, memory), and every problem of each bad one. A run
    past a soft size ceiling is still a valid file: a warning on standard error says that
    crmsim run needs --force. A run past a hard ceiling (more customers than any run may
    have, more memory than this machine has) fails. Exits with code 2 when any fails.

    **Examples**

        crmsim validate baseline
        crmsim validate scenarios/*.yaml
        crmsim validate my_lesson.yaml --set strategy.service.staff=4
        crmsim validate scenarios/*.yaml --engine vector
    """
    from sim.engines import choose_engine
    from sim.scenario.size import check_size

    if engine is not None:
        check_engine(engine)
    out = stdout_console()
    failed = 0
    for name in scenarios:
        warning = None
        try:
            sc = load(name, overrides)
            if engine is not None:
                engine_can_run(sc, engine)
            chosen = choose_engine(sc, engine or "agent")
            size = check_size(sc, chosen, force=True)  # the hard ceilings only
            try:
                check_size(sc, chosen)
            except UserError as exc:
                warning = str(exc)
        except UserError as exc:
            failed += 1
            out.print(Text(printable(f"✗ {name}"), style="bold red"), soft_wrap=True)
            print_error(str(exc))
            continue
        line = Text("✓ ", style="bold green")
        line.append(printable(sc.name))
        if sc.lesson:
            line.append(printable(f" — {sc.lesson}"))
        out.print(line, soft_wrap=True)
        out.print(Text(f"  size: {size.describe()}"), soft_wrap=True)
        if warning is not None:
            text = Text("warning: crmsim run needs --force: ", style="bold yellow")
            text.append(printable(warning))
            stderr_console().print(text)
    if failed:
        raise typer.Exit(USER_ERROR)


LangOption = Annotated[
    str, typer.Option("--lang", help="Language of the lessons and labels: en or zh.")
]


@friendly
def list_command(lang: LangOption = "en") -> None:
    """List the scenario library with each scenario's one-line lesson.

    --lang zh: the lessons in Chinese (one without a translation in English, marked so).

    **Examples**

        crmsim list
        crmsim list --lang zh
    """
    import scenarios

    t = catalogue(check_lang(lang))
    title = t("cli.list.title", folder=scenarios.SCENARIO_DIR)
    table = Table(title=escape(title), title_justify="left")
    table.add_column(t("word.scenario"), style="bold", no_wrap=True)
    table.add_column(t("cli.list.lesson"), overflow="fold")  # Chinese has no spaces to wrap at
    for name in scenarios.names():
        line = scenarios.lesson(name)  # English: the file's line, no scenario loaded
        if lang != "en":
            h = lesson_header(load(name, None), lang)
            line = h.lesson if h.translated else f"{h.lesson} {t('cli.untranslated')}"
        table.add_row(escape(name), Text(printable(line)))
    stdout_console().print(table)


def show_command(
    scenario: Annotated[str, typer.Argument(help="Library scenario name or path to a YAML file.")],
    overrides: SetOption = None,
    lang: LangOption = "en",
) -> None:
    """Print the fully resolved scenario as YAML (extends merged, overrides applied).

    Durations are shown in days. The output is itself a valid scenario file; control
    characters in its text (an escape sequence in a name, say) are written as visible
    escapes, so showing a shared file never drives the terminal. --lang zh: the comment
    header in Chinese, with the lesson and what to see.

    **Examples**

        crmsim show baseline
        crmsim show baseline --set strategy.service.staff=4 > my_lesson.yaml
        crmsim show complaint_handling --lang zh
    """
    from sim.scenario.spec import dump_yaml, scenario_hash

    t = catalogue(check_lang(lang))
    sc = load(scenario, overrides)
    body = dump_yaml(sc)
    if lang != "en":  # dump_yaml's first line is its header in English: put ours instead
        h = lesson_header(sc, lang)
        lines = [t("cli.show.resolved", name=sc.name, hash=scenario_hash(sc))]
        lines += [t("cli.show.lesson", lesson=h.lesson), t("cli.show.see", see=h.see)]
        lines += [] if h.translated else [t("cli.untranslated")]
        comment = "".join(f"# {' '.join(line.splitlines())}\n" for line in lines)
        body = comment + body.partition("\n")[2]
    body = printable(body)
    sys.stdout.write(body if body.endswith("\n") else body + "\n")


def report_command(
    result_dir: Annotated[Path, typer.Argument(help="Folder of a saved run (crmsim run --out).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the report (default: RESULT_DIR)."),
    ] = None,
    force: ReportForce = False,
    lang: ReportLangOption = "en",
) -> None:
    """Rebuild report.html and the PNG figures from a saved run.

    The run's files are checked against its manifest first; a folder whose files do not
    match (an interrupted or mixed save) is refused. Rebuilt in place, the folder is
    replaced whole, tables kept; elsewhere, --out gets the page, the figures and a manifest.

    **Examples**

        crmsim report out/baseline
        crmsim report out/baseline --out slides/baseline
        crmsim report out/complaints/lescant
        crmsim report out/baseline --out out/baseline_zh --lang zh
    """
    from sim.report.run_page import write_report
    from sim.results.folder import ResultFolder
    from sim.results.run_result import RunResult

    check_lang(lang)
    if not (result_dir / "manifest.json").is_file():
        raise UserError(
            f"{result_dir} holds no saved run (no manifest.json); "
            "create one with: crmsim run SCENARIO --out " + str(result_dir)
        )
    if (result_dir / "index.html").is_file():  # crmsim run --all-arms: a run per arm folder
        raise UserError(
            f"{result_dir} holds one run per arm (crmsim run --all-arms); rebuild one arm's "
            f"report with: crmsim report {result_dir / 'ARM'}"
        )
    if not (result_dir / "periods.parquet").is_file():
        raise UserError(
            f"{result_dir} holds only a manifest (the run was saved with --format html); "
            "rerun it with --format both to keep the tables"
        )
    in_place = out is None or (out.exists() and os.path.samefile(out, result_dir))
    target = result_dir if in_place or out is None else out
    with ResultFolder(target, force=force or in_place) as folder:
        result = RunResult.load(result_dir)  # in place: under the lock, so nobody swaps it
        if in_place:
            write_step("report", target, lambda: folder.carry(result_dir))
        write_step("report", target, lambda: write_report(result, folder.staging, lang))
        write_step("report", target, lambda: folder.publish(result.manifest))
    stdout_console().print(
        printable(f"report: {target / 'report.html'}"), soft_wrap=True, markup=False
    )


def write_step(what: str, out: Path, action: Callable[[], T]) -> T:
    """Run a writing ``action``; an unwritable folder is the user's to fix."""
    try:
        return action()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(f"cannot write the {what} into {out}: {reason}") from None
