"""Lets ``python -m matching`` run the command line."""

from matching.cli import main

raise SystemExit(main())
