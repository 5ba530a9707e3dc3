"""``crmsim dashboard``: the live dashboard in a browser, served from this machine.

The command is a plain function with typer-annotated parameters, registered by the main
command line with ``app.command("dashboard")(friendly(dashboard_command))``. Everything the
user typed (language, scenario, port) is checked before the server starts, so a typo is one
line on standard error and exit code 2, not a page that opens on an error.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sim.i18n import DEFAULT_LANG, LANGS, check_lang

__all__ = ["dashboard_command"]


def dashboard_command(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Library scenario name or YAML file the page opens with (default: the "
            "page's own choice, picked in the browser)."
        ),
    ] = None,
    lang: Annotated[
        str,
        typer.Option("--lang", "-l", help=f"Language of the page: {', '.join(LANGS)}."),
    ] = DEFAULT_LANG,
    port: Annotated[
        int,
        typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (0: any free)."),
    ] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. The default keeps the dashboard on this machine; "
            "0.0.0.0 shows it to the whole network (a classroom).",
        ),
    ] = "127.0.0.1",
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Do not open the page in the default browser.")
    ] = False,
) -> None:
    """Serve the live dashboard and open it in the browser; Ctrl+C stops it.

    The page runs the simulation as you watch and moves its levers while it runs. It works
    without internet: its JavaScript was stored at install (python -m sim.dashboard.assets
    stores it again). The address printed carries the scenario and language, so it can be
    bookmarked or sent to a colleague on the same network.

    **Examples**

        crmsim dashboard
        crmsim dashboard complaint_handling
        crmsim dashboard my_lesson.yaml --lang zh
        crmsim dashboard baseline --port 8800 --no-open
        crmsim dashboard --host 0.0.0.0 --port 8765
    """
    lang = check_lang(lang)
    if scenario is not None:
        from sim.scenario.spec import load_scenario

        load_scenario(scenario)  # a ScenarioError (a UserError) names file, line and field
    from sim.dashboard.server import serve

    serve(host=host, port=port, scenario=scenario, lang=lang, open_browser=not no_open)
