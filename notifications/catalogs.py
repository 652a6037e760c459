"""Keeps the ``.po`` catalogs in step with the texts used in templates and code.

``python -m notifications.catalogs check`` lists every message that lacks a translation;
``python -m notifications.catalogs update`` adds new messages to every catalog (with an empty
translation to fill in) and marks vanished ones obsolete. The test suite runs the same check, so
a template text without a translation in every language fails the build.
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

_METHODS = [
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
_OPTIONS = {
    "templates/**": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": str(JINJA_OPTIONS["trimmed"]).lower(),
        "newstyle_gettext": "true",
    }
}


def extract_messages() -> Catalog:
    """All messages the package uses, as a template catalog with source locations."""
    template = Catalog(project="vekl-notifications", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, method_map=_METHODS, options_map=_OPTIONS
    ):
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


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """:func:`check_catalog` for the ``.po`` file of ``lang`` against the extracted texts."""
    return check_catalog(read_catalog(lang), template or extract_messages())


def update_catalogs() -> None:
    """Merge newly extracted messages into every catalog, keeping existing translations."""
    template = extract_messages()
    for lang in SUPPORTED_LANGUAGES:
        path = catalog_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, project="vekl-notifications")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as po_file:
            write_po(po_file, catalog, width=100, sort_output=False, ignore_obsolete=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications.catalogs")
    parser.add_argument("command", choices=["check", "update"])
    args = parser.parse_args(argv)
    if args.command == "update":
        update_catalogs()
        return 0
    template = extract_messages()
    found = [problem for lang in SUPPORTED_LANGUAGES for problem in problems(lang, template)]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
