"""``vekl moderators links``: the moderators' personal links."""

from __future__ import annotations

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.moderators import moderation
from vekl.rounds import service as rounds

app = typer.Typer(help="Moderators' personal links.", no_args_is_help=True)


@app.command()
def links(round: str = typer.Option(..., "--round", "-r", help="The round's short name.")) -> None:
    """Issue a new link for every moderator of the round and print them.

    Links issued before stop working, so send the new ones on (they grant access to the
    first names of the group's members: keep the screen private).
    """
    with unit_of_work() as session:
        found = rounds.get_round(session, round)
        issued = moderation.issue_links(session, settings(), found, actor=cli_actor())
        lines = [f"{moderator.name} <{moderator.email}>\n  {url}" for moderator, url in issued]
    console.print(f"{len(lines)} new moderator links (earlier links no longer work):")
    for line in lines:
        # Printed whole, never cut to the terminal's width: the link must be copyable.
        console.print(line, soft_wrap=True, highlight=False, markup=False)
