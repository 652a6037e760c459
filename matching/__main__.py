"""Lets ``python -m matching`` run the command line; ``solve``'s time limit counts from the
start of the process."""

from matching.cli import main, process_started

raise SystemExit(main(started=process_started()))
