"""``crmsim classroom``: run a class of teams round by round from this machine.

``crmsim classroom serve`` starts the classroom server (:mod:`sim.classroom.server`) on one
class file: the trainer creates a class in the browser, the teams join on their phones or
laptops with the codes it prints, and every decision and result is kept in the file, so a
server stopped or killed mid-class picks up where it was when started again. Everything
typed is checked before the server starts, so a typo is one line on standard error and exit
code 2, not a server that dies on its first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.inspect import HELP_OPTIONS
from sim.cli.text import friendly
from sim.errors import UserError
from sim.i18n import DEFAULT_LANG, LANGS, check_lang

__all__ = ["classroom_app", "serve_command"]

classroom_app = typer.Typer(
    name="classroom",
    help=(
        "Classroom mode: teams decide round by round in one shared world, the trainer "
        "advances the class, everything kept in one SQLite file.\n\n"
        "**Examples**\n\n"
        "    crmsim classroom serve\n"
        "    crmsim classroom serve --db monday.sqlite --host 0.0.0.0 --lang zh"
    ),
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
    rich_markup_mode="markdown",
)


def _check_db(db: Path) -> Path:
    """The class file: an existing file, or a new one in an existing folder."""
    if db.is_dir():
        raise UserError(f"--db {db}: is a folder; give a file name such as {db / 'class.sqlite'}")
    folder = db.parent if str(db.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"--db {db}: the folder {folder} does not exist; create it first")
    return db


def serve_command(
    db: Annotated[
        Path,
        typer.Option("--db", help="The class file (SQLite); created if missing."),
    ] = Path("class.sqlite"),
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. The default keeps the server on this machine; "
            "0.0.0.0 lets the teams' devices on the classroom network reach it.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (0: any free)."),
    ] = 8765,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", "-l", help=f"Language of a page nobody chose one for: {', '.join(LANGS)}."
        ),
    ] = DEFAULT_LANG,
) -> None:
    """Serve the classroom: the trainer's console and the teams' pages; Ctrl+C stops it.

    Open the printed address, create a class (a lesson, rounds, teams, the levers they
    hold) and hand each team the code shown for it. Decisions and results are kept in the
    class file, so stopping the server loses nothing; start it again on the same file.

    **Examples**

        crmsim classroom serve
        crmsim classroom serve --db monday.sqlite --port 8800
        crmsim classroom serve --host 0.0.0.0 --lang zh
    """
    lang = check_lang(lang)
    path = _check_db(db)
    from sim.classroom.server import serve

    serve(path, host=host, port=port, lang=lang)


classroom_app.command("serve", context_settings=HELP_OPTIONS)(friendly(serve_command))
