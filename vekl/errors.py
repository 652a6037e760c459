"""Errors the services raise; the CLI and the routes map them to messages and responses."""

from __future__ import annotations

from dataclasses import dataclass, field


class ServiceError(Exception):
    """Something the caller asked for cannot be done; the message is safe to show."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, optionally in one row of a file."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.field}" if self.line else self.field
        return f"{where}: {self.message}"


@dataclass
class InvalidInput(ServiceError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("\n".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
