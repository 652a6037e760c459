"""The ``vekl`` command."""

from vekl.cli.main import app

__all__ = ["app"]
