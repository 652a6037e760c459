"""Keeps the ``.po`` catalogs in step with the texts used in templates and code.

There is one catalog per language (``locale/<lang>/LC_MESSAGES/messages.po``) for the mails, the
public pages, the organiser pages and the services' messages. Texts come in two scopes:

* texts citizens read (mails, calendar files, public pages): marked with ``_``, ``gettext`` or
  ``N_`` (or ``{% trans %}``), translated into every language of :data:`SUPPORTED_LANGUAGES`;
* texts only the city team reads (organiser pages, the services' error messages): marked with
  ``tr`` in templates and ``tr(lang, ...)`` or ``N_`` in code, in folders given as ``--staff``;
  they need a German translation only, because their English is the message id itself.

``python -m notifications.catalogs check`` lists every message that lacks a translation;
``python -m notifications.catalogs update`` adds new messages to the catalogs that need them,
with an empty translation to fill in. Both take ``--templates DIR`` (repeatable) for other
folders of citizens' texts, such as the web pages, and ``--staff DIR`` for the team's; a file
under a ``--staff`` folder counts as the team's even inside a ``--templates`` folder. The test
suite runs the same check, so a text without a translation fails the build. For this project::

    python -m notifications.catalogs check --templates api --staff api/templates/organiser \\
        --staff api/organiser --staff vekl

The catalogs are shared, so ``update`` never removes a message on its own: one that no source
given uses any more is only reported, and stays until someone deletes it by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from notifications.i18n import SUPPORTED_LANGUAGES
from notifications.templating import JINJA_OPTIONS

PACKAGE_DIR = Path(__file__).resolve().parent

STAFF_CATALOGS: tuple[str, ...] = ("de",)
"""Catalogs that must translate the team's texts; in English the message id is the text."""

_JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trimmed": str(JINJA_OPTIONS["trimmed"]).lower(),
    "newstyle_gettext": "true",
}
_PACKAGE_METHODS = [
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
_TEMPLATE_METHODS = [("**.html", "jinja2"), ("**.txt", "jinja2")]
_CODE_METHODS = [("**.py", "python")]
# The team's marker: ``tr("...")`` in templates, ``tr(lang, "...")`` in code.
_STAFF_TEMPLATE_KEYWORDS = {**DEFAULT_KEYWORDS, "tr": None}
_STAFF_CODE_KEYWORDS = {**DEFAULT_KEYWORDS, "tr": (2,)}

Extracted = tuple[str, int, str | tuple[str, ...], list[str], str | None]


def _within(path: Path, folders: Sequence[Path]) -> bool:
    return any(path.is_relative_to(folder.resolve()) for folder in folders)


def _extract(
    folder: Path, *, staff: bool = False, skip: Sequence[Path] = ()
) -> Iterator[Extracted]:
    passes = [
        (_TEMPLATE_METHODS, _STAFF_TEMPLATE_KEYWORDS if staff else DEFAULT_KEYWORDS),
        (_CODE_METHODS, _STAFF_CODE_KEYWORDS if staff else DEFAULT_KEYWORDS),
    ]
    for method_map, keywords in passes:
        for filename, lineno, message, comments, context in extract_from_dir(
            folder,
            method_map=method_map,
            options_map={"**.html": _JINJA_OPTIONS, "**.txt": _JINJA_OPTIONS},
            keywords=keywords,
        ):
            if not _within(folder.resolve() / filename, skip):
                yield f"{folder.name}/{filename}", lineno, message, comments, context


def extract_messages(extra_templates: Sequence[Path] = (), staff: Sequence[Path] = ()) -> Catalog:
    """The citizens' texts: this package's, plus those in ``extra_templates`` (not ``staff``)."""
    template = Catalog(project="vekl-notifications", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR,
        method_map=_PACKAGE_METHODS,
        options_map={"templates/**": _JINJA_OPTIONS},
    ):
        template.add(
            message, locations=[(filename, lineno)], auto_comments=comments, context=context
        )
    for folder in extra_templates:
        for filename, lineno, message, comments, context in _extract(folder, skip=staff):
            template.add(
                message, locations=[(filename, lineno)], auto_comments=comments, context=context
            )
    return template


def extract_staff_messages(staff: Sequence[Path]) -> Catalog:
    """The team's texts: everything marked in the ``staff`` folders, ``tr`` included."""
    template = Catalog(project="vekl-notifications", fuzzy=False)
    for folder in staff:
        for filename, lineno, message, comments, context in _extract(folder, staff=True):
            template.add(
                message, locations=[(filename, lineno)], auto_comments=comments, context=context
            )
    return template


def catalog_path(lang: str) -> Path:
    """The source ``.po`` file of ``lang`` in the working tree."""
    return PACKAGE_DIR / "locale" / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(lang: str) -> Catalog:
    """Parse the ``.po`` file of ``lang``."""
    with catalog_path(lang).open("rb") as po_file:
        return read_po(po_file, locale=lang)


def check_catalog(catalog: Catalog, template: Catalog) -> list[str]:
    """Everything in ``catalog`` that would show an untranslated or broken text."""
    lang = str(catalog.locale)
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        if translated is None or not translated.string:
            found.append(f"{lang}: missing translation for {message.id!r}")
        elif translated.fuzzy:
            found.append(f"{lang}: translation marked fuzzy for {message.id!r}")
    for message, errors in catalog.check():
        found.extend(f"{lang}: {message.id!r}: {error}" for error in errors)
    return found


def _needed(lang: str, template: Catalog, staff_template: Catalog | None) -> Catalog:
    """What ``lang`` must translate: the citizens' texts, and in German the team's too."""
    if staff_template is None or lang not in STAFF_CATALOGS:
        return template
    needed = Catalog(locale=lang, fuzzy=False)
    for source in (template, staff_template):
        for message in source:
            if message.id:
                needed.add(message.id, locations=message.locations, context=message.context)
    return needed


def problems(
    lang: str, template: Catalog | None = None, staff_template: Catalog | None = None
) -> list[str]:
    """:func:`check_catalog` for the ``.po`` file of ``lang`` against the extracted texts."""
    needed = _needed(lang, template or extract_messages(), staff_template)
    return check_catalog(read_catalog(lang), needed)


def update_catalogs(extra_templates: Sequence[Path] = (), staff: Sequence[Path] = ()) -> list[str]:
    """Merge newly extracted messages into every catalog, keeping every existing entry.

    Returns the messages no given source uses, for a person to decide about.
    """
    template = extract_messages(extra_templates, staff)
    staff_template = extract_staff_messages(staff) if staff else None
    unused: set[str] = set()
    for lang in SUPPORTED_LANGUAGES:
        path = catalog_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="vekl-notifications")
        catalog.update(_needed(lang, template, staff_template), no_fuzzy_matching=True)
        for message in list(catalog.obsolete.values()):
            unused.add(str(message.id))
            catalog[message.id] = message
        catalog.obsolete.clear()
        with path.open("wb") as po_file:
            write_po(po_file, catalog, width=100, sort_output=False)
    return sorted(unused)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications.catalogs")
    parser.add_argument("command", choices=["check", "update"])
    parser.add_argument(
        "--templates",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="another folder of templates or code whose texts citizens read",
    )
    parser.add_argument(
        "--staff",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of templates or code whose texts only the team reads (German needed)",
    )
    args = parser.parse_args(argv)
    if args.command == "update":
        for message in update_catalogs(args.templates, args.staff):
            print(f"not used by the given sources (kept): {message!r}")
        return 0
    template = extract_messages(args.templates, args.staff)
    staff_template = extract_staff_messages(args.staff) if args.staff else None
    found = [
        problem
        for lang in SUPPORTED_LANGUAGES
        for problem in problems(lang, template, staff_template)
    ]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
