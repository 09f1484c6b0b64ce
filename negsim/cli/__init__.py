"""The ``negsim`` command line.

Every subcommand prints readable text by default and JSON with ``--json``. Mistakes in
the user's input (a missing file, a malformed game or scenario, an unknown name) print
one line and exit with status 2; a failed check exits with 1; success exits with 0.

The package is laid out by what each part is for:

- :mod:`~negsim.cli.app`: ``main``, which runs a command and turns failures into one line;
- :mod:`~negsim.cli.parser` with ``arguments`` and one ``parser_*`` module per group of
  commands (scenario, batch, game): the argument parser and its help texts;
- ``commands_*`` (scenario, batch, plot, game): what each command does, calling the
  library (the command line computes nothing a script could not get from the library);
- :mod:`~negsim.cli.inputs`: arguments turned into scenarios, values and solver options;
- :mod:`~negsim.cli.tables` and :mod:`~negsim.cli.output`: text tables, JSON, exit statuses;
- :mod:`~negsim.cli.progress`: one progress bar over the stages of a long command.
"""

from __future__ import annotations

from negsim.cli.app import main
from negsim.cli.parser import build_parser

__all__ = ["main", "build_parser"]
