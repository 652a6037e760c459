"""Dates for test rounds that do not depend on the day the tests run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def open_for_a_month() -> datetime:
    """A registration deadline a month from now: the round takes registrations today."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
