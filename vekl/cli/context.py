"""What every command needs: validated settings, a database, and error reporting.

A database that cannot be used (``VEKL_DATABASE_URL`` names no server that answers, an
unknown user or database, a driver that is not installed, a SQLite folder that does not
exist) ends any command with one line on stderr and exit status 1, said by ``Commands`` for
every command, instead of a traceback; the line masks the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from typer.core import TyperGroup

from vekl.errors import Conflict, InvalidInput, NotFound, ServiceError
from vekl.settings import Settings, get_settings
from vekl.store import problems
from vekl.store.db import ensure_reachable, make_engine, make_sessionmaker, transaction

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "VEKL_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
            message = escape(err["msg"].removeprefix("Value error, "))
            err_console.print(f"vekl: [red]configuration:[/red] {name}: {message}", soft_wrap=True)
        raise typer.Exit(2) from None


class Commands(TyperGroup):
    """The ``vekl`` command group: a database that cannot be used ends a command in one line."""

    # ``ctx`` is the click context of the Typer in use (Typer brings its own click).
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            if not problems.is_unavailable(exc):
                raise
            typer.echo(f"vekl: {problems.describe(exc, settings().database_url)}", err=True)
            raise typer.Exit(1) from None
        except problems.DatabaseUnavailable as exc:
            typer.echo(f"vekl: {exc}", err=True)
            raise typer.Exit(1) from None


def check_database(url: str) -> None:
    """Refuse to go on unless the database at ``url`` answers (``DatabaseUnavailable``)."""
    engine = make_engine(url, hide_parameters=True)
    try:
        ensure_reachable(engine)
    finally:
        engine.dispose()


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
