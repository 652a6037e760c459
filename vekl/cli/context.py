"""What every command needs: validated settings, a database, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from vekl.errors import Conflict, InvalidInput, NotFound, ServiceError
from vekl.settings import Settings, get_settings
from vekl.store.db import make_engine, make_sessionmaker, transaction

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "VEKL_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            err_console.print(f"[red]configuration:[/red] {name}: {err['msg']}")
        raise typer.Exit(2) from None


@cache
def sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(settings().database_url))


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One command, one transaction; service errors become messages and exit codes."""
    try:
        with transaction(sessions()) as session:
            yield session
    except InvalidInput as exc:
        err_console.print("[red]Nothing was changed. Please correct:[/red]")
        for error in exc.errors:
            err_console.print(f"  {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except (NotFound, Conflict, ServiceError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
