"""``python -m sim.cli``: the ``crmsim`` command without the installed script."""

from sim.cli.commands import main

main()
