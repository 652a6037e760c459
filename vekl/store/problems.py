"""What is wrong with the configured database, in one line an operator can act on.

A wrong ``VEKL_DATABASE_URL`` (a host or port where no server listens, an unknown user or
database, a missing driver, a malformed URL, a SQLite file in a folder that does not exist)
surfaces as a driver's exception several lines long. The commands and the web app say it
in one line instead: what could not be done, the database's URL with its password masked,
and the driver's reason (its first line, password masked as well). A malformed URL is never
repeated, since it may be anything, a password included.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

SUPPORTED = ("postgresql", "sqlite")
EXAMPLES = "postgresql+psycopg://user:password@host:5432/name or sqlite:///path/to/file.sqlite3"

# What libpq puts before its reason: "connection failed: ", "connection to server at
# "127.0.0.1", port 5499 failed: " (or "on socket ..."), and the severity "FATAL:  ".
_LIBPQ_PREFIXES = (
    re.compile(r"^connection (failed|is bad): "),
    re.compile(r'^connection to server (at|on socket) "[^"]*"( \([^)]*\))?(, port \d+)? failed: '),
    re.compile(r"^(FATAL|ERROR): +"),
)


class DatabaseUnavailable(Exception):
    """The configured database cannot be used; ``str()`` is the operator's line."""


def parse(url: str) -> URL | None:
    """``url`` as SQLAlchemy reads it; ``None`` when it is no database URL at all."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def masked(url: str) -> str:
    """The URL to show: with ``***`` for its password, or a placeholder when malformed."""
    parsed = parse(url)
    if parsed is None:
        return "(a malformed VEKL_DATABASE_URL)"
    return parsed.render_as_string(hide_password=True)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot name a database (not a URL, unknown kind or driver), else ``None``.

    Only the URL is looked at; whether the driver is installed and the server answers is
    found out when connecting.
    """
    parsed = parse(url)
    if parsed is None:
        return f"not a database URL (expected for example {EXAMPLES})"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return (
            f"unknown kind of database or driver {parsed.drivername!r} "
            f"(expected for example {EXAMPLES})"
        )
    if parsed.get_backend_name() not in SUPPORTED:
        return (
            f"names a {parsed.get_backend_name()} database, but VEKL works with PostgreSQL and "
            f"SQLite (expected for example {EXAMPLES})"
        )
    return None


def unusable(url: str, exc: Exception) -> DatabaseUnavailable:
    """The problem of an engine that could not even be made for ``url``."""
    problem = url_problem(url)
    if problem is not None:
        return DatabaseUnavailable(f"VEKL_DATABASE_URL: {problem}")
    if isinstance(exc, ImportError):
        driver = exc.name or "?"
        return DatabaseUnavailable(
            f"cannot use the database at {masked(url)}: its driver {driver!r} is not installed"
        )
    reason = _without_password(_first_line(exc), url)
    return DatabaseUnavailable(f"cannot use the database at {masked(url)}: {reason}")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now, rather than that a statement was
    wrong: it does not answer, the connection broke, the driver reports an operational
    failure (a lock wait or statement timeout, a full disk, a server shutting down), or every
    pooled connection stayed busy."""
    if isinstance(exc, (DatabaseUnavailable, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and (
        isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated
    )


def describe(exc: BaseException, url: str) -> str:
    """The operator's line for ``exc``, raised while using the database at ``url``."""
    where = masked(url)
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if isinstance(exc, PoolTimeout):
        return f"every connection to the database at {where} stayed busy: {_first_line(exc)}"
    if not isinstance(exc, DBAPIError):
        return f"the database at {where} failed: {type(exc).__name__}"
    reason = _reason(exc, url)
    if exc.connection_invalidated:
        return f"lost the connection to the database at {where}: {reason}"
    if exc.statement is None:
        return f"cannot reach the database at {where}: {reason}"
    return f"the database at {where} failed: {reason}"


def unavailable(exc: DBAPIError, url: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(describe(exc, url))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _reason(exc: DBAPIError, url: str) -> str:
    original = exc.orig if exc.orig is not None else exc
    reason = _first_line(original)
    for prefix in _LIBPQ_PREFIXES:
        reason = prefix.sub("", reason).strip()
    parsed = parse(url)
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        reason = _sqlite_reason(parsed, reason)
    reason = _without_password(reason, url)
    if len(reason) > 1 and reason[0].isupper() and reason[1].islower():
        reason = reason[0].lower() + reason[1:]
    return reason or type(original).__name__


def _without_password(text: str, url: str) -> str:
    parsed = parse(url)
    password = parsed.password if parsed is not None else None
    return text.replace(str(password), "***") if password else text


def _sqlite_reason(url: URL, reason: str) -> str:
    """SQLite says "unable to open database file"; say which part of the path is missing."""
    if "unable to open database file" not in reason or not url.database:
        return reason
    if url.database == ":memory:" or url.database.startswith("file:"):
        return reason
    folder = Path(url.database).expanduser().absolute().parent
    if folder.exists() and not folder.is_dir():
        return f"{folder} is not a folder"
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    return f"{reason} (is the folder {folder} writable?)"
