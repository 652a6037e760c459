"""``vekl feedback``: send the survey after the last evening, and see how many answered;
``vekl feedback news``: write to everyone who asked to hear about later rounds."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from vekl.audit.records import cli_actor
from vekl.cli.context import console, settings, unit_of_work
from vekl.feedback import announcements
from vekl.feedback import service as feedback

app = typer.Typer(help="The survey after the last evening.", no_args_is_help=True)


@app.command()
def send(round: str = typer.Argument(..., help="The round's slug.")) -> None:
    """Invite every placed member and moderator whose last evening is over (once each)."""
    with unit_of_work() as session:
        sent = feedback.send(session, round, settings(), datetime.now(UTC), cli_actor())
    console.print(
        f"{sent.participants} participants and {sent.moderators} moderators invited",
        highlight=False,
    )


@app.command()
def status(
    round: str = typer.Argument(..., help="The round's slug."),
    as_json: bool = typer.Option(False, "--json", help="The figures as JSON, for the report."),
) -> None:
    """Invited, answered and due, by kind of respondent; the figures without names."""
    with unit_of_work() as session:
        view = feedback.overview(session, round, settings(), datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps(view.figures, indent=2, sort_keys=True))
        return
    for kind in feedback.RESPONDENTS:
        invited = view.status.invited.get(kind, 0)
        answered = view.status.answered.get(kind, 0)
        console.print(f"{kind}: {invited} invited, {answered} answered", highlight=False)
    console.print(f"{view.status.due} due", highlight=False)
    figures = view.figures
    console.print(
        f"satisfaction {figures['satisfaction']}, met someone new {figures['met_someone_new']}, "
        f"would recommend {figures['would_recommend']}, mutual pairs {figures['mutual_pairs']} "
        f"(citizen and newcomer {figures['citizen_newcomer_pairs']})",
        highlight=False,
        markup=False,
    )


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_text(encoding="utf-8")


@app.command()
def news(
    subject_de: str = typer.Option(..., "--subject-de", help="The subject in German."),
    text_de: Path = typer.Option(
        ..., "--text-de", help="A file with the German text (plain text; - reads stdin)."
    ),
    subject_en: str = typer.Option("", "--subject-en", help="The subject in English."),
    text_en: Path | None = typer.Option(None, "--text-en", help="A file with the English text."),
    subject_ar: str = typer.Option("", "--subject-ar", help="The subject in Arabic."),
    text_ar: Path | None = typer.Option(None, "--text-ar", help="A file with the Arabic text."),
    subject_uk: str = typer.Option("", "--subject-uk", help="The subject in Ukrainian."),
    text_uk: Path | None = typer.Option(None, "--text-uk", help="A file with the Ukrainian text."),
    yes: bool = typer.Option(False, "--yes", help="Send without asking after the preview."),
    show: bool = typer.Option(False, "--show", help="Print each version's mail in full."),
) -> None:
    """Write to the news subscribers, each in their language (German where there is no
    version in it): shows who gets which version, asks, then queues one mail each. The same
    announcement never reaches a subscriber twice."""
    form = {
        "subject_de": subject_de,
        "text_de": _read(text_de),
        "subject_en": subject_en,
        "text_en": _read(text_en),
        "subject_ar": subject_ar,
        "text_ar": _read(text_ar),
        "subject_uk": subject_uk,
        "text_uk": _read(text_uk),
    }
    config = settings()
    with unit_of_work() as session:
        announcement = announcements.parse(form)
        view = announcements.preview(session, config, announcement, datetime.now(UTC))
    for shown in view.shown:
        extra = f" ({shown.fallback} without a version of their own)" if shown.fallback else ""
        console.print(
            f"{shown.language}: {shown.readers} subscribers{extra}: {shown.subject}",
            highlight=False,
            markup=False,
        )
        if show:
            console.print(shown.text, highlight=False, markup=False)
    if view.already:
        console.print(f"{view.already} had this announcement already", highlight=False)
    if view.to_send and not yes and not typer.confirm(f"Send to {view.to_send} subscribers?"):
        console.print("Nothing was sent.", highlight=False)
        raise typer.Exit(1)
    with unit_of_work() as session:
        sent = announcements.send(session, config, announcement, datetime.now(UTC), cli_actor())
    by_language = ", ".join(f"{lang} {n}" for lang, n in sent.by_language.items())
    console.print(f"{sent.total} mails queued ({by_language})", highlight=False)
