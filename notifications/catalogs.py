"""Keeps the ``.po`` catalogs in step with the texts used in templates and code.

``python -m notifications.catalogs check`` lists every message that lacks a translation;
``python -m notifications.catalogs update`` adds new messages to every catalog, with an empty
translation to fill in. Both take ``--templates DIR`` (repeatable) for other Jinja templates that
use these catalogs, such as the web pages. The test suite runs the same check, so a text without
a translation in every language fails the build.

The catalogs are shared, so ``update`` never removes a message on its own: one that no source
given uses any more is only reported, and stays until someone deletes it by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from notifications.i18n import SUPPORTED_LANGUAGES
from notifications.templating import JINJA_OPTIONS

PACKAGE_DIR = Path(__file__).resolve().parent

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


def extract_messages(extra_templates: Sequence[Path] = ()) -> Catalog:
    """All messages in this package, plus those in ``extra_templates`` folders."""
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
        for filename, lineno, message, comments, context in extract_from_dir(
            folder, method_map=_TEMPLATE_METHODS, options_map={"**": _JINJA_OPTIONS}
        ):
            template.add(
                message,
                locations=[(f"{folder.name}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
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


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """:func:`check_catalog` for the ``.po`` file of ``lang`` against the extracted texts."""
    return check_catalog(read_catalog(lang), template or extract_messages())


def update_catalogs(extra_templates: Sequence[Path] = ()) -> list[str]:
    """Merge newly extracted messages into every catalog, keeping every existing entry.

    Returns the messages no given source uses, for a person to decide about.
    """
    template = extract_messages(extra_templates)
    unused: set[str] = set()
    for lang in SUPPORTED_LANGUAGES:
        path = catalog_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="vekl-notifications")
        catalog.update(template, no_fuzzy_matching=True)
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
        help="another folder of Jinja templates that uses these catalogs",
    )
    args = parser.parse_args(argv)
    if args.command == "update":
        for message in update_catalogs(args.templates):
            print(f"not used by the given sources (kept): {message!r}")
        return 0
    template = extract_messages(args.templates)
    found = [problem for lang in SUPPORTED_LANGUAGES for problem in problems(lang, template)]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
