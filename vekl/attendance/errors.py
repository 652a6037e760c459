"""Attendance's messages: message ids the pages and commands translate (German first).

Moderators read the first three in their own language (de, en, ar, uk); the rest are for
organisers and the command line.
"""

from __future__ import annotations

from vekl.errors import N_

NOT_STARTED = N_("This evening has not begun yet. You can mark who came from its start.")
TOO_LATE = N_(
    "Attendance can be marked only until %(days)s days after the evening. "
    "Please tell the organisers who came; they can still enter it."
)
NOT_IN_GROUP = N_("Someone in the list is not a member of this group. Nothing was saved.")
NO_GROUP = N_("no group '%(group)s' for this moderator")
NO_EVENING = N_("no evening %(id)s in round '%(round)s'")
NO_EVENING_OF_GROUP = N_("the group does not meet on evening %(id)s")
NO_EVENING_NUMBER = N_("series '%(series)s' has no evening %(number)s")
NO_SERIES = N_("no series '%(series)s' in round '%(round)s'")
NOT_STARTED_ORGANISER = N_("evening %(number)s has not begun yet; nothing can be marked for it")
NOT_A_MEMBER = N_(
    "registration %(id)s is not in a group that meets on this evening; nothing was saved"
)
UNKNOWN_MARK = N_("must be present, absent or empty")
