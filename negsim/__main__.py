"""``python -m negsim`` runs the command line."""

from negsim.cli import main

raise SystemExit(main())
