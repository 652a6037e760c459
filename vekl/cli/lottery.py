"""``vekl lottery``: import a register extract, plan and draw the letters, delete the extract.

The same services as the organiser pages. Messages come in German from the shared
catalogs, or in English with ``--lang en``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from notifications.i18n import gettext
from vekl.audit.records import cli_actor
from vekl.cli.context import sessions, settings
from vekl.errors import (
    FIELD_WHERE,
    N_,
    ROW_WHERE,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    ServiceError,
)
from vekl.lottery import letters as printing
from vekl.lottery import response as lottery_response
from vekl.lottery import service as lottery
from vekl.lottery.response import OfferedRate, Response
from vekl.lottery.schemas import Dimension, Plan
from vekl.rounds import service as rounds
from vekl.store.db import transaction

app = typer.Typer(
    help="The lottery: who gets a letter, drawn from the population register.",
    no_args_is_help=True,
)

NOTHING_CHANGED = N_("Nothing was changed. Please correct:")
ERROR = N_("error: %(message)s")
LANGUAGES = ("de", "en")

RoundOpt = typer.Option(..., "--round", "-r", help="The round's short name.")
LangOpt = typer.Option("de", "--lang", help="Language of the messages: de or en.")


def _say(text: str) -> None:
    """Output as it is: tables and hashes are not wrapped or coloured."""
    typer.echo(text)


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        typer.echo(f"--lang must be one of {', '.join(LANGUAGES)}", err=True)
        raise typer.Exit(2)
    return lang


def field_text(lang: str, error: FieldError) -> str:
    """One problem in ``lang``: where (line and column) and why."""
    message = gettext(lang, error.message, **dict(error.params))
    where = ROW_WHERE if error.line else FIELD_WHERE
    return gettext(lang, where, line=error.line, field=error.field, message=message)


@contextmanager
def _work(lang: str) -> Iterator[Session]:
    """One command, one transaction; service errors in ``lang``, with exit codes."""
    try:
        with transaction(sessions()) as session:
            yield session
    except InvalidInput as exc:
        typer.echo(gettext(lang, NOTHING_CHANGED), err=True)
        for error in exc.errors:
            typer.echo(f"  {field_text(lang, error)}", err=True)
        raise typer.Exit(2) from None
    except (NotFound, Conflict, ServiceError) as exc:
        message = gettext(lang, exc.message, **exc.params)
        typer.echo(gettext(lang, ERROR, message=message), err=True)
        raise typer.Exit(1) from None


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """``STRATUM=VALUE`` options; the stratum is everything before the last ``=``."""
    found: dict[str, str] = {}
    for value in values:
        key, sep, number = value.rpartition("=")
        if not sep or not key.strip() or not number.strip():
            typer.echo(f"{option}: expected STRATUM=VALUE, got {value!r}", err=True)
            raise typer.Exit(2)
        found[key.strip()] = number.strip()
    return found


def _rate(text: str) -> float:
    text = text.strip()
    return float(text.removesuffix("%")) / 100 if text.endswith("%") else float(text)


@app.command("import")
def import_extract(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="The register extract: CSV, UTF-8 or Windows-1252."
    ),
    round: str = RoundOpt,
    lang: str = LangOpt,
) -> None:
    """Import a register extract; the whole file is refused if any row is bad."""
    lang = _language(lang)
    config = settings()
    raw = file.read_bytes()
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        stored = lottery.import_extract(
            session,
            found,
            raw,
            actor=cli_actor(),
            now=datetime.now(UTC),
            extract_days=config.lottery_extract_days,
        )
        assert stored.extract_delete_by is not None
        _say(
            f"Imported {stored.extract_rows} people for {found.slug} "
            f"(SHA-256 {stored.extract_sha256}). The extract must be deleted by "
            f"{stored.extract_delete_by.date().isoformat()}: run `vekl lottery delete-extract` "
            "once the letters are out."
        )


def _print_plan(result: Plan) -> None:
    _say(
        f"{'stratum':<30} {'people':>7} {'can be drawn':>12} {'rate':>6} {'places':>7} "
        f"{'letters':>7} {'expected':>8}"
    )
    for row in result.strata:
        _say(
            f"{row.stratum:<30} {row.population:>7} {row.eligible:>12} {row.rate:>6.1%} "
            f"{row.places:>7.2f} {row.letters:>7} {row.expected:>8.1f}"
        )
    _say(
        f"{'total':<30} {sum(s.population for s in result.strata):>7} "
        f"{sum(s.eligible for s in result.strata):>12} {'':>6} {result.places:>7} "
        f"{result.letters:>7} {result.expected:>8.1f}"
    )
    if result.too_young or result.excluded:
        _say(
            f"Not counted: {result.too_young} younger than {result.age_bands[0]} on "
            f"{result.reference_date.isoformat()}; left out of the draw: {result.excluded} who "
            "had a letter recently."
        )


def _print_offered(offered: dict[str, OfferedRate], result: Plan, *, used: bool) -> None:
    strata = {s.stratum for s in result.strata}
    matching = {k: o for k, o in offered.items() if k in strata}
    if not matching:
        return
    if used:
        _say(
            f"Rates measured in earlier rounds were used for {len(matching)} strata "
            "(--no-kept-rates plans with --rate instead):"
        )
    else:
        _say("Rates measured in earlier rounds (not used; drop --no-kept-rates to use them):")
    for key, kept in sorted(matching.items()):
        _say(
            f"  {key:<30} {kept.rate:>6.1%} ({kept.registrations} of {kept.letters} letters, "
            f"{kept.rounds} round{'s' if kept.rounds != 1 else ''})"
        )


@app.command()
def plan(
    round: str = RoundOpt,
    places: int = typer.Option(..., "--places", "-p", help="Citizen places to fill."),
    strata: str = typer.Option(
        "age,gender,district",
        "--strata",
        help="What strata are made of: any of age, gender, district (comma-separated), or 'none'.",
    ),
    age_bands: str = typer.Option(
        "18,30,45,60,75", "--age-bands", help="The lowest age of each age band."
    ),
    rate: str = typer.Option("0.05", "--rate", help="Expected response rate (0.05 or 5%)."),
    stratum_rate: list[str] = typer.Option(
        [], "--stratum-rate", help="A stratum's own rate, as STRATUM=RATE (repeatable)."
    ),
    reference_date: str | None = typer.Option(
        None, "--reference-date", help="Count ages on this day (YYYY-MM-DD; default: import day)."
    ),
    kept_rates: bool = typer.Option(
        True,
        "--kept-rates/--no-kept-rates",
        help="Use the response rates measured in earlier rounds where there are some "
        "(a --stratum-rate still wins).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    lang: str = LangOpt,
) -> None:
    """Allocate letters per stratum and show the preview; nothing is drawn yet."""
    lang = _language(lang)
    config = settings()
    chosen = [] if strata.strip() == "none" else [s.strip() for s in strata.split(",") if s]
    data: dict[str, Any] = {"places": places, "dimensions": chosen}
    with _work(lang) as session:
        try:
            data["default_rate"] = _rate(rate)
            data["rates"] = {
                key: _rate(value) for key, value in _pairs(stratum_rate, "--stratum-rate").items()
            }
            data["age_bands"] = [int(a) for a in age_bands.split(",") if a.strip()]
            if reference_date:
                data["reference_date"] = date.fromisoformat(reference_date)
        except ValueError as exc:
            typer.echo(f"invalid option: {exc}", err=True)
            raise typer.Exit(2) from None
        unknown = [d for d in chosen if d not in {m.value for m in Dimension}]
        if unknown:
            typer.echo(f"--strata: unknown {', '.join(unknown)}", err=True)
            raise typer.Exit(2)
        checked = lottery.parse_plan(data)
        found = rounds.get_round(session, round)
        offered = lottery_response.offered_rates(session, found)
        result = lottery.plan(
            session,
            found,
            checked,
            secret=config.secret_key,
            actor=cli_actor(),
            now=datetime.now(UTC),
            exclusion_years=config.lottery_exclusion_years,
            offered={k: o.rate for k, o in offered.items()} if kept_rates else None,
        )
        if as_json:
            typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        else:
            _print_plan(result)
            _print_offered(offered, result, used=kept_rates)


@app.command()
def draw(
    round: str = RoundOpt,
    seed: str | None = typer.Option(
        None, "--seed", help="The seed made in public; asked for when not given."
    ),
    more: list[str] = typer.Option(
        [],
        "--more",
        help="A later wave: more letters for a stratum, as STRATUM=LETTERS (repeatable).",
    ),
    protocol: Path | None = typer.Option(
        None, "--protocol", dir_okay=False, help="Write the wave's protocol (JSON) here."
    ),
    lang: str = LangOpt,
) -> None:
    """Draw the letters with the seed typed in; the first wave follows the plan."""
    lang = _language(lang)
    config = settings()
    if protocol is not None and protocol.exists():
        typer.echo(f"{protocol} exists already; not overwriting it.", err=True)
        raise typer.Exit(1)
    typed = seed if seed is not None else typer.prompt("Seed (as made in public)", default="")
    try:
        extra = {key: int(value) for key, value in _pairs(more, "--more").items()}
    except ValueError as exc:
        typer.echo(f"--more: {exc}", err=True)
        raise typer.Exit(2) from None
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        wave = lottery.draw(
            session,
            found,
            typed,
            secret=config.secret_key,
            actor=cli_actor(),
            now=datetime.now(UTC),
            exclusion_years=config.lottery_exclusion_years,
            more=extra or None,
        )
        if protocol is not None:
            protocol.write_text(
                json.dumps(wave.protocol, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        _say(
            f"Wave {wave.number} of {found.slug}: {wave.letters} letters drawn with seed "
            f"{wave.seed!r} (selection SHA-256 {wave.protocol['selection_sha256']})."
        )


@app.command()
def status(round: str = RoundOpt, lang: str = LangOpt) -> None:
    """The extract, the plan and the letters per stratum and wave, with registrations."""
    lang = _language(lang)
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        state = lottery.status(session, found)
        answers = lottery_response.response(session, found)
    if state.deleted_at:
        _say(
            f"Extract of {state.extract_rows} people (SHA-256 {state.extract_sha256}) deleted "
            f"{state.deleted_at} ({state.deletion})."
        )
    else:
        _say(
            f"Extract of {state.extract_rows} people (SHA-256 {state.extract_sha256}), imported "
            f"{state.imported_at}, to be deleted by {state.delete_by}."
        )
    if state.plan is not None:
        _say(
            f"Plan: {state.plan.places} places, {state.plan.letters} letters, "
            f"{state.plan.expected:.1f} registrations expected."
        )
    for wave in state.waves:
        _say(
            f"Wave {wave['number']}: {wave['letters']} letters, seed {wave['seed']!r}, drawn "
            f"{wave['drawn_at']} (vekl {wave['software_version']})."
        )
    if state.waves:
        print_response(answers)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def print_response(answers: Response) -> None:
    """The response per stratum: letters by wave, registrations, rate, target, what is short."""
    numbers = answers.waves
    waves = " ".join(f"{'wave ' + str(n):>7}" for n in numbers)
    _say(
        f"{'stratum':<30} {waves} {'registered':>10} {'rate':>6} {'target':>6} "
        f"{'short':>5} {'more':>5}"
    )
    for row in answers.strata:
        counts = " ".join(f"{row.letters_by_wave.get(n, 0):>7}" for n in numbers)
        _say(
            f"{row.stratum:<30} {counts} {row.registered:>10} {_percent(row.rate):>6} "
            f"{row.target:>6.1f} {'yes' if row.short else '':>5} "
            f"{row.more_letters or '':>5}"
        )
    totals = " ".join(
        f"{sum(r.letters_by_wave.get(n, 0) for r in answers.strata):>7}" for n in numbers
    )
    _say(
        f"{'total':<30} {totals} {answers.registered:>10} {_percent(answers.rate):>6} "
        f"{answers.target:>6.1f}"
    )
    suggested = answers.second_wave()
    if suggested:
        more = " ".join(f"--more '{key}={n}'" for key, n in sorted(suggested.items()))
        _say(
            f"{len(suggested)} strata fall short of their target. After the deadline for "
            f"replies, a second wave at their measured (else planned) rates: "
            f"vekl lottery draw --round {answers.round} {more} --seed ..."
        )
    else:
        _say("No stratum falls short of its target.")


@app.command("delete-extract")
def delete_extract(
    round: str = RoundOpt,
    yes: bool = typer.Option(
        False, "--yes", help="Confirm that the letters are out without being asked."
    ),
    lang: str = LangOpt,
) -> None:
    """Delete the register extract once the letters are out (recorded in the audit log).

    What stays: each letter's code hash, stratum and wave, and the protocols.
    """
    lang = _language(lang)
    if not yes:
        typed = typer.prompt(
            f"The letters of {round} are out and the extract may be deleted? "
            "Type the round's short name to confirm",
            default="",
        )
        if typed.strip() != round:
            typer.echo("Not confirmed; nothing was deleted.", err=True)
            raise typer.Exit(1)
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        deleted = lottery.delete_extract(
            session, found, actor=cli_actor(), now=datetime.now(UTC), reason="confirmed"
        )
        _say(
            f"Deleted the register extract of {found.slug} ({deleted} people). The letters' "
            "code hashes, strata and waves stay."
        )


@app.command()
def letters(
    round: str = RoundOpt,
    wave: int = typer.Option(..., "--wave", "-w", help="The wave's number (1 for the first)."),
    out: Path = typer.Option(
        ..., "--out", file_okay=False, help="Folder for the PDF and the print shop's CSV."
    ),
    lang: str = LangOpt,
) -> None:
    """Write the wave's letters (PDF, one sheet each) and the print shop's list (CSV).

    Possible only while the register extract exists; each file is in the audit log.
    """
    lang = _language(lang)
    config = settings()
    out.mkdir(parents=True, exist_ok=True)
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        pdf_path = out / f"{found.slug}-welle-{wave}-briefe.pdf"
        csv_path = out / f"{found.slug}-welle-{wave}-druckerei.csv"
        for path in (pdf_path, csv_path):
            if path.exists():
                typer.echo(f"{path} exists already; not overwriting it.", err=True)
                raise typer.Exit(1)
        actor = cli_actor()
        content = printing.letters_pdf(
            session, found, wave, config, actor=actor, now=datetime.now(UTC)
        )
        listing = printing.letters_csv(session, found, wave, config, actor=actor)
        pdf_path.write_bytes(content)
        csv_path.write_bytes(listing)
    _say(f"Wrote {pdf_path} and {csv_path}.")


@app.command("protocol")
def protocol_pdf(
    round: str = RoundOpt,
    wave: int = typer.Option(..., "--wave", "-w", help="The wave's number (1 for the first)."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The PDF file to write."),
    lang: str = LangOpt,
) -> None:
    """Write the wave's protocol as a printable PDF (German; it names no person)."""
    lang = _language(lang)
    config = settings()
    if out.exists():
        typer.echo(f"{out} exists already; not overwriting it.", err=True)
        raise typer.Exit(1)
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        content = printing.protocol_pdf(session, found, wave, config)
    out.write_bytes(content)
    _say(f"Wrote {out}.")


@app.command("letter-text")
def letter_text(
    round: str = RoundOpt,
    body: Path | None = typer.Option(
        None,
        "--body",
        exists=True,
        dir_okay=False,
        help="The letter's text (UTF-8 plain text, paragraphs separated by a blank line).",
    ),
    signature: Path | None = typer.Option(
        None, "--signature", exists=True, dir_okay=False, help="The signature (up to 4 lines)."
    ),
    default: bool = typer.Option(False, "--default", help="Back to the default wording."),
    sample: Path | None = typer.Option(
        None, "--sample", dir_okay=False, help="Also write a sample letter (PDF) here."
    ),
    lang: str = LangOpt,
) -> None:
    """Show or change the wording and signature of the round's letters.

    Without options it prints the current wording. A new wording is kept only if a sample
    letter with it fits on one sheet.
    """
    lang = _language(lang)
    config = settings()
    with _work(lang) as session:
        found = rounds.get_round(session, round)
        if default:
            text = printing.reset_letter_text(session, found, actor=cli_actor())
        elif body is not None or signature is not None:
            current = printing.letter_text(session, found)
            data = {
                "body": body.read_text(encoding="utf-8") if body else current.body,
                "signature": (
                    signature.read_text(encoding="utf-8") if signature else current.signature
                ),
            }
            text = printing.set_letter_text(
                session,
                found,
                printing.parse_letter_text(data),
                settings=config,
                actor=cli_actor(),
            )
        else:
            text = printing.letter_text(session, found)
        if sample is not None:
            sample.write_bytes(
                printing.sample_pdf(session, found, config, now=datetime.now(UTC), text=text)
            )
    _say(text.body)
    _say("")
    _say(text.signature)
    _say("")
    _say("(the round's own wording)" if text.custom else "(the default wording)")
