"""``vekl db``: create and upgrade the schema."""

from __future__ import annotations

import typer

from vekl.cli.context import console, sessions, settings
from vekl.store import migrate

app = typer.Typer(help="Create, upgrade or inspect the database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create the schema or bring it up to date (safe to run again)."""
    migrate.upgrade(settings().database_url, revision)
    console.print(f"Database schema is at revision [bold]{revision}[/bold].")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Step the schema back (drops data of the removed tables)."""
    migrate.downgrade(settings().database_url, revision)
    console.print(f"Database schema downgraded to [bold]{revision}[/bold].")


@app.command()
def current() -> None:
    """Show the schema revision of the configured database."""
    with sessions()() as session:
        revision = migrate.current_revision(session.connection())
    console.print(f"current: {revision or 'empty database'}; newest: {migrate.head_revision()}")
