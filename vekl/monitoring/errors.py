"""What the report refuses, with messages the pages and the command line translate."""

from __future__ import annotations

from vekl.errors import N_, InvalidInput, NotFound

NO_DATA = N_("round '%(round)s' has no registrations to report yet")
NO_ROUNDS = N_("no round has registrations to report yet")
NOTHING_KEPT = N_(
    "the personal data of round '%(round)s' was removed before report figures were kept"
)


class NoReportData(NotFound):
    """The round (or every round) has nothing to count yet, or nothing was kept of it."""


__all__ = ["NOTHING_KEPT", "NO_DATA", "NO_ROUNDS", "InvalidInput", "NoReportData"]
