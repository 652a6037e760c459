"""What the feedback services take and give: plain values, no database rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from vekl.errors import FieldError, InvalidInput
from vekl.feedback import errors

COMMENT_MAX = 1000
PARTICIPANT_QUESTIONS = ("satisfaction", "met_someone_new", "would_recommend", "stay_in_touch")
MODERATOR_QUESTIONS = ("satisfaction", "group_talked_freely", "moderate_again")
_YES = {"yes": True, "no": False}


@dataclass(frozen=True)
class Answers:
    """One person's answers, checked; nothing in it says who gave them."""

    satisfaction: int
    yes_no: dict[str, bool]
    comment: str | None


def parse_answers(form: Mapping[str, str], *, for_moderator: bool) -> Answers:
    """The answers from a submitted form; every problem at once, naming its field."""
    problems: list[FieldError] = []
    raw = (form.get("satisfaction") or "").strip()
    satisfaction = int(raw) if raw in {"1", "2", "3", "4", "5"} else 0
    if not satisfaction:
        problems.append(FieldError("satisfaction", errors.SATISFACTION_REQUIRED))
    questions = MODERATOR_QUESTIONS if for_moderator else PARTICIPANT_QUESTIONS
    yes_no: dict[str, bool] = {}
    for name in questions[1:]:
        value = (form.get(name) or "").strip()
        if value not in _YES:
            problems.append(FieldError(name, errors.YES_OR_NO))
        else:
            yes_no[name] = _YES[value]
    comment = (form.get("comment") or "").strip().replace("\r\n", "\n") or None
    if comment is not None and len(comment) > COMMENT_MAX:
        problems.append(FieldError("comment", errors.COMMENT_TOO_LONG, params={"max": COMMENT_MAX}))
    if problems:
        raise InvalidInput(problems)
    return Answers(satisfaction=satisfaction, yes_no=yes_no, comment=comment)


@dataclass(frozen=True)
class Survey:
    """What the survey page shows: the round, whose questions, until when."""

    round_name: str
    for_moderator: bool
    closes_at: datetime
    language: str


@dataclass(frozen=True)
class Sent:
    """What sending the invitations did."""

    participants: int = 0
    moderators: int = 0

    @property
    def total(self) -> int:
        return self.participants + self.moderators


@dataclass(frozen=True)
class Status:
    """Who was invited and how many answered, per kind of respondent; no names."""

    invited: dict[str, int] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    due: int = 0
    """Placed members and moderators whose last evening is over and who have no invitation."""


@dataclass(frozen=True)
class Member:
    """A member of the person's group as the contacts page lists them."""

    id: int
    name: str
    chosen: bool


@dataclass(frozen=True)
class Contacts:
    """The person's contacts page: whom they may choose, whom they chose, and the opt-in."""

    members: list[Member]
    open: bool
    opens_at: datetime | None
    closes_at: datetime | None
    subscribed: bool
