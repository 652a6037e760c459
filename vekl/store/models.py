"""The tables of a VEKL round: rounds and their series, people, codes, runs and the log.

Multi-valued attributes that are only ever read whole (languages, needs) are JSON lists;
relations that organisers filter by (series availability, group membership) are tables.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vekl.store.base import Base, TimestampMixin, utcnow

# Round names, series labels and venue names are entered in German and, optionally, in the
# other languages of the public pages; a reader whose language has none reads the German.
TRANSLATED_LANGUAGES = ("en", "ar", "uk")


def translated(german: str, translations: dict[str, str] | None, lang: str) -> str:
    """``german``, or its translation into ``lang`` where the organisers gave one."""
    if lang == "de" or not translations:
        return german
    return translations.get(lang) or german


def _translations() -> Any:
    """A JSON column of translations by language code: empty for rows made before it."""
    return mapped_column(JSON, default=dict, server_default=text("'{}'"))


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class RoundStatus(enum.StrEnum):
    """Whether the round takes registrations; only organisers change it.

    Forming and publishing groups is not a status: it follows from the round's matching
    runs, and registration stays open through it until the deadline or until closed.
    """

    OPEN = "open"
    CLOSED = "closed"
    FINISHED = "finished"


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    NEWCOMER = "newcomer"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PLACED = "placed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class DropoutCategory(enum.StrEnum):
    """Why someone dropped out, as the report counts it (the free-text reason is the
    organisers' alone). A fixed list, so the counts of rounds add up; ``NOT_GIVEN`` where
    nobody said, and for dropouts recorded before the list existed (stored as NULL)."""

    ILLNESS = "illness"
    TIME = "time"
    MOVED = "moved"
    NOT_INTERESTED = "not_interested"
    NO_SHOW = "no_show"
    OTHER = "other"
    NOT_GIVEN = "not_given"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Round(TimestampMixin, Base):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint("min_size >= 2 AND max_size >= min_size", name="sizes"),
        CheckConstraint(
            "newcomer_share_min >= 0 AND newcomer_share_max <= 1 "
            "AND newcomer_share_min <= newcomer_share_max",
            name="newcomer_share",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name in English, Arabic and Ukrainian, where given (``name`` is the German one).
    name_translations: Mapped[dict[str, str]] = _translations()
    languages_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    registration_deadline: Mapped[datetime | None]
    status: Mapped[RoundStatus] = mapped_column(
        _enum(RoundStatus, "round_status"), default=RoundStatus.OPEN
    )
    retention_days: Mapped[int] = mapped_column(default=90)
    purged_at: Mapped[datetime | None]

    # Matching rules, in the shape of the solver's contract.
    min_size: Mapped[int] = mapped_column(default=6)
    max_size: Mapped[int] = mapped_column(default=10)
    newcomer_share_min: Mapped[float] = mapped_column(Float, default=0.4)
    newcomer_share_max: Mapped[float] = mapped_column(Float, default=0.6)
    max_same_origin: Mapped[int] = mapped_column(default=2)
    moderators_per_group: Mapped[int] = mapped_column(default=1)
    working_languages: Mapped[list[str]] = mapped_column(JSON, default=list)

    series: Mapped[list[Series]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Series.id"
    )
    moderators: Mapped[list[Moderator]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Moderator.id"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Participant.id"
    )

    def name_in(self, lang: str) -> str:
        """The round's name in ``lang``, or in German where it has none."""
        return translated(self.name, self.name_translations, lang)


class Series(Base):
    """A set of evenings one group meets on, at one venue."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("round_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    label_translations: Mapped[dict[str, str]] = _translations()
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_name_translations: Mapped[dict[str, str]] = _translations()
    venue_address: Mapped[str] = mapped_column(String(300))
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    rooms: Mapped[int] = mapped_column(default=1)

    round: Mapped[Round] = relationship(back_populates="series")
    evenings: Mapped[list[Evening]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="Evening.starts_at"
    )

    def label_in(self, lang: str) -> str:
        """The series' label ("Montagabende") in ``lang``, or in German where it has none."""
        return translated(self.label, self.label_translations, lang)

    def venue_name_in(self, lang: str) -> str:
        """The venue's name in ``lang``, or in German where it has none."""
        return translated(self.venue_name, self.venue_name_translations, lang)


class Evening(TimestampMixin, Base):
    """One evening of a series."""

    __tablename__ = "evenings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    series: Mapped[Series] = relationship(back_populates="evenings")


moderator_series = Table(
    "moderator_series",
    Base.metadata,
    Column("moderator_id", ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
)

participant_series = Table(
    "participant_series",
    Base.metadata,
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
)


class Moderator(TimestampMixin, Base):
    __tablename__ = "moderators"
    __table_args__ = (UniqueConstraint("round_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    preferred_language: Mapped[str] = mapped_column(String(8), default="de")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The personal link is derived from this secret and the server's key (vekl.access.tokens);
    # only the link's hash is stored, to find the holder. A new secret revokes the link.
    link_secret: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    round: Mapped[Round] = relationship(back_populates="moderators")
    series: Mapped[list[Series]] = relationship(secondary=moderator_series, order_by="Series.id")


class Participant(TimestampMixin, Base):
    """A registration: one person in one round."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("round_id", "email"),
        CheckConstraint("priority >= 0", name="priority_non_negative"),
        Index("ix_participants_round_id_status", "round_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(8), default="de")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    gender: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(String(2))
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_other: Mapped[str | None] = mapped_column(String(500))
    companion_email: Mapped[str | None] = mapped_column(String(254))
    priority: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(16), default="web")
    partner_code: Mapped[str | None] = mapped_column(String(64))
    consent_given_at: Mapped[datetime | None]
    email_confirmed_at: Mapped[datetime | None]
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "registration_status"), default=RegistrationStatus.PENDING
    )
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    # Set with every withdrawal, cleared with ``withdrawn_reason``; NULL on older ones.
    dropout_category: Mapped[DropoutCategory | None] = mapped_column(
        _enum(DropoutCategory, "dropout_category")
    )
    link_secret: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The calendar feed has a link of its own, so sharing the feed does not share the page.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    round: Mapped[Round] = relationship(back_populates="participants")
    series: Mapped[list[Series]] = relationship(secondary=participant_series, order_by="Series.id")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class InvitationCode(Base):
    """A code printed in a lottery letter; only its keyed hash is kept."""

    __tablename__ = "invitation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), unique=True
    )


def _next_run_number(context: Any) -> int:
    """The next number of a run within its round: the first run of every round is run 1."""
    round_id = context.get_current_parameters()["round_id"]
    highest = context.connection.execute(
        select(func.max(MatchingRun.number)).where(MatchingRun.round_id == round_id)
    ).scalar()
    return int(highest or 0) + 1


class MatchingRun(TimestampMixin, Base):
    """One solve of a round: what went in, what came out, and whether it was published."""

    __tablename__ = "matching_runs"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    # How organisers call the run: "run 1" is the first of its round (the id is global and
    # stays in URLs). Given on insert, one run at a time (two new runs of a round in one
    # flush would get the same number).
    number: Mapped[int] = mapped_column(default=_next_run_number)
    previous_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_runs.id", ondelete="SET NULL")
    )
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"))
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    solution: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    solver_status: Mapped[str | None] = mapped_column(String(16))
    placed: Mapped[int | None]
    waitlisted: Mapped[int | None]
    moves: Mapped[int | None]
    imbalance: Mapped[float | None] = mapped_column(Float)
    imbalance_floor: Mapped[float | None] = mapped_column(Float)
    solve_seconds: Mapped[float | None] = mapped_column(Float)
    time_limit: Mapped[float] = mapped_column(Float, default=10.0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    published_at: Mapped[datetime | None]

    groups: Mapped[list[Group]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Group.id"
    )
    waitlist: Mapped[list[WaitlistEntry]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="WaitlistEntry.id"
    )


group_moderators = Table(
    "group_moderators",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("moderator_id", ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id", ondelete="CASCADE"))
    # The solver's key ("mon-2"): stable across rematches, never shown to participants.
    key: Mapped[str] = mapped_column(String(32))
    # A name the organisers gave the group; without one it is called by a letter and its series.
    name: Mapped[str | None] = mapped_column(String(60))
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))

    run: Mapped[MatchingRun] = relationship(back_populates="groups")
    series: Mapped[Series] = relationship()
    moderators: Mapped[list[Moderator]] = relationship(
        secondary=group_moderators, order_by="Moderator.id"
    )
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMember.id"
    )


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("run_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept here as well as on the group so the database forbids one person in two groups.
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )

    group: Mapped[Group] = relationship(back_populates="members")
    participant: Mapped[Participant] = relationship()


class Attendance(Base):
    """Whether one member came to one evening, as a moderator or an organiser recorded it.

    Kept per person and evening, not per group, so a rematch (which makes new group rows)
    leaves it in place. No row means nobody has said yet. ``marked_by`` is the actor as the
    audit log writes it ("moderator:7", "organiser:…", "cli:…").
    """

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("participant_id", "evening_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    evening_id: Mapped[int] = mapped_column(
        ForeignKey("evenings.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool] = mapped_column(Boolean)
    marked_by: Mapped[str] = mapped_column(String(200))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (UniqueConstraint("run_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(500))

    run: Mapped[MatchingRun] = relationship(back_populates="waitlist")
    participant: Mapped[Participant] = relationship()


class AuditEntry(Base):
    """Who changed what, kept after a purge (details never hold personal data)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class OutboxMail(Base):
    """A mail written in the same transaction as the change that causes it.

    The message is rendered and its Message-ID fixed when it is queued, so a resend after
    a crash is byte-for-byte the same mail and receivers can drop the duplicate. The body
    is sealed with a key that is not in the database (``vekl.mail.sealing``) and dropped
    once the mail has been delivered; what remains is what the mail log shows.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    # Mails that must go out at most once (a reminder per person and evening) carry a key.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The sealed message; None once it has been delivered or was superseded unsent.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[MailStatus] = mapped_column(
        _enum(MailStatus, "mail_status"), default=MailStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    # Which dispatcher holds the claim, and when its SMTP transaction for this mail began.
    # A claimed mail that has not begun can be taken over safely; one that has may have
    # reached the server, so it is resent only after STALE_AFTER.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # A mail about evenings is pointless once the first of them has begun.
    not_after: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))


class CalendarEntry(Base):
    """One evening in one person's calendar, as we last told them about it.

    The UID stays the same for the life of the entry; SEQUENCE rises with every reissue,
    so clients replace or remove what they hold instead of adding a second copy.
    """

    __tablename__ = "calendar_entries"
    __table_args__ = (
        UniqueConstraint("participant_id", "evening_id"),
        UniqueConstraint("moderator_id", "evening_id"),
        CheckConstraint("(participant_id IS NULL) <> (moderator_id IS NULL)", name="one_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE")
    )
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE")
    )
    evening_id: Mapped[int] = mapped_column(ForeignKey("evenings.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the entry said when last sent (group, times, venue, moderator); a difference
    # means an update is due, and says what changed.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GuessCounter(Base):
    """Failed attempts of one client at something guessable (letter codes), per time window.

    Kept in the database rather than in memory so the limit holds across worker processes;
    the client is stored only as a keyed hash of its address.
    """

    __tablename__ = "guess_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)


class Organiser(TimestampMixin, Base):
    """A member of the city team who runs rounds in the organiser pages."""

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # argon2id, with its parameters and salt in the string.
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]


class OrganiserSession(Base):
    """A logged-in browser; the cookie holds the token, the table only its hash.

    The CSRF token is the synchroniser token every form of this session must carry back.
    """

    __tablename__ = "organiser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    organiser: Mapped[Organiser] = relationship()


class JobKind(enum.StrEnum):
    MATCHING = "matching"
    MAIL = "mail"
    IMPORT = "import"
    LETTERS = "letters"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """Work for a worker process: solving a matching run, importing a CSV file, or sending
    the outbox now.

    Queued, then running (its worker renews ``heartbeat_at`` and looks at
    ``cancel_requested_at`` every few seconds), then done or failed. ``error`` is a short
    text without personal data, such as the type of the exception that ended the job.
    ``attempts`` counts how often a worker took it: an import whose worker died is handed to
    the next one, a few times at most.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("kind <> 'matching' OR run_id IS NOT NULL", name="run_of_matching"),
        CheckConstraint("kind <> 'import' OR import_id IS NOT NULL", name="file_of_import"),
        CheckConstraint(
            "kind <> 'letters' OR letter_print_id IS NOT NULL", name="print_of_letters"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind, "job_kind"))
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    # A matching job solves one run; the run's page finds its job through this column.
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_runs.id", ondelete="CASCADE"), unique=True
    )
    # An import job reads and writes one import; its page finds the job the same way.
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), unique=True
    )
    # A letters job renders one wave's letters into one PDF.
    letter_print_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_prints.id", ondelete="CASCADE"), unique=True
    )
    worker: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))


class ImportKind(enum.StrEnum):
    REGISTRATIONS = "registrations"
    MODERATORS = "moderators"


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    CHECKING = "checking"  # every row is being checked; nothing is written yet
    IMPORTING = "importing"  # the checked rows are being written, a batch at a time
    DONE = "done"
    REFUSED = "refused"  # the file has bad rows (listed in ``errors``); nothing was written
    FAILED = "failed"  # stopped by an error; ``rows_done`` rows were written


class CsvImport(Base):
    """A CSV file of registrations or moderators that a worker imports: progress and outcome.

    The file itself waits in ``import_uploads`` until the import has ended. ``rows_done``
    and the counts grow in the same transaction as the rows they count, so an import taken
    over by another worker goes on after the last batch that was stored. ``skipped`` and
    ``errors`` are field errors (message id, parameters, line, column) for the page to
    translate; they quote the file, so finished imports are deleted after a week and with
    the round's personal data.
    """

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ImportKind] = mapped_column(_enum(ImportKind, "import_kind"))
    status: Mapped[ImportStatus] = mapped_column(
        _enum(ImportStatus, "import_status"), default=ImportStatus.QUEUED
    )
    size: Mapped[int] = mapped_column(default=0)
    total_rows: Mapped[int | None]
    rows_checked: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportUpload(Base):
    """The bytes of an uploaded file, kept only until its import has ended."""

    __tablename__ = "import_uploads"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerHeartbeat(Base):
    """A worker process that is alive, as far as the database knows: one row per process."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RoundStatistics(Base):
    """What is kept of a round after its personal data is purged: counts, nothing personal."""

    __tablename__ = "round_statistics"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Lottery(TimestampMixin, Base):
    """The draw of a round's letters from a register extract: what stays after the extract.

    The extract's people (``lottery_people``) are kept only until the letters are out; this
    row keeps the extract's SHA-256 and size, the plan, when and by whom the extract was
    deleted, and the waves and letters that were drawn. Nothing here names a person.
    """

    __tablename__ = "lotteries"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    extract_sha256: Mapped[str | None] = mapped_column(String(64))
    extract_rows: Mapped[int] = mapped_column(default=0)
    extract_has_districts: Mapped[bool] = mapped_column(Boolean, default=False)
    extract_imported_at: Mapped[datetime | None]
    extract_imported_by: Mapped[str | None] = mapped_column(String(200))
    # The extract must be deleted by then; ``vekl purge`` deletes it when the organisers
    # have not.
    extract_delete_by: Mapped[datetime | None]
    extract_deleted_at: Mapped[datetime | None]
    extract_deleted_by: Mapped[str | None] = mapped_column(String(200))
    # "confirmed" (an organiser confirmed the letters are out) or "deadline" (the purge).
    extract_deletion: Mapped[str | None] = mapped_column(String(20))
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    waves: Mapped[list[LotteryWave]] = relationship(
        back_populates="lottery", cascade="all, delete-orphan", order_by="LotteryWave.number"
    )


class LotteryPerson(Base):
    """One person of a register extract: the most sensitive row there is, kept for the draw only.

    ``person_key`` (SHA-256 of the normalised name, birth date and address) orders the draw
    and ``household_key`` (SHA-256 of the normalised address) keeps it to one letter per
    household; both go with the row when the extract is deleted.
    """

    __tablename__ = "lottery_people"
    __table_args__ = (UniqueConstraint("lottery_id", "person_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_id: Mapped[int] = mapped_column(
        ForeignKey("lotteries.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int]
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    street: Mapped[str] = mapped_column(String(100))
    house_number: Mapped[str] = mapped_column(String(20))
    house_number_suffix: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    person_key: Mapped[str] = mapped_column(String(64))
    household_key: Mapped[str] = mapped_column(String(64))


class LotteryWave(Base):
    """One draw of letters: the first from the plan, later ones for strata that fell short."""

    __tablename__ = "lottery_waves"
    __table_args__ = (UniqueConstraint("lottery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_id: Mapped[int] = mapped_column(ForeignKey("lotteries.id", ondelete="CASCADE"))
    number: Mapped[int]
    seed: Mapped[str] = mapped_column(String(200))
    software_version: Mapped[str] = mapped_column(String(40))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(200))
    letters: Mapped[int] = mapped_column(default=0)
    # Inputs, allocation and counts: what an observer needs to re-run the draw.
    protocol: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    lottery: Mapped[Lottery] = relationship(back_populates="waves")


class LotteryLetter(Base):
    """A drawn letter: its code's hash, stratum and wave stay after the extract is deleted.

    The code is derived from ``code_secret`` and the server's key, so the letters can be
    printed after the draw; the secret and the link to the person go with the extract.
    ``code_hash`` is the same hash as the letter's row in ``invitation_codes``, which says
    whether someone registered with it.
    """

    __tablename__ = "lottery_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_id: Mapped[int] = mapped_column(
        ForeignKey("lotteries.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_waves.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    stratum: Mapped[str] = mapped_column(String(200))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_secret: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("lottery_people.id", ondelete="SET NULL"), index=True
    )


class LotteryRate(Base):
    """A stratum's measured response in a round: letters sent, registrations with their codes.

    Anonymous counts, kept when the round's registration closes or finishes and again at its
    purge (the codes go then), so that later rounds can plan with measured rates
    (``docs/adr/0022-lottery-rates-kept.md``).
    """

    __tablename__ = "lottery_rates"
    __table_args__ = (UniqueConstraint("round_id", "stratum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    stratum: Mapped[str] = mapped_column(String(200))
    letters: Mapped[int]
    registrations: Mapped[int]
    measured_at: Mapped[datetime] = mapped_column(default=utcnow)


class LotteryExclusion(Base):
    """Someone got a letter then: a keyed hash of name, birth date and address, nothing else.

    Used only to leave people who had a letter within the last years out of the next draw;
    rows older than that are deleted by ``vekl purge``.
    """

    __tablename__ = "lottery_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    drawn_at: Mapped[datetime] = mapped_column(index=True)


class LetterPrintStatus(enum.StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    DONE = "done"  # the PDF waits in ``letter_print_files`` until it expires
    FAILED = "failed"  # ``error`` says why, without personal data


class LetterPrint(Base):
    """A wave's letters rendered by the worker into one PDF: progress and outcome.

    The PDF itself (names, addresses, codes) is in ``letter_print_files`` only from the end
    of the rendering until ``expires_at``, and goes with the register extract.
    """

    __tablename__ = "letter_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("lottery_waves.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[LetterPrintStatus] = mapped_column(
        _enum(LetterPrintStatus, "letter_print_status"), default=LetterPrintStatus.QUEUED
    )
    letters: Mapped[int] = mapped_column(default=0)
    letters_done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class LetterPrintFile(Base):
    """The rendered PDF of a :class:`LetterPrint`, kept only until it expires."""

    __tablename__ = "letter_print_files"

    print_id: Mapped[int] = mapped_column(
        ForeignKey("letter_prints.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LotteryLetterText(TimestampMixin, Base):
    """A round's own wording and signature of its lottery letters (plain text, paragraphs
    separated by blank lines); rounds without a row print the catalog's default."""

    __tablename__ = "lottery_letter_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))


class SurveyInvitation(Base):
    """A person's invitation to the survey after their last evening: personal, purged.

    Holds the hash of a random single-use token until the survey is answered, then only
    ``answered``: no time, no reference to the answer. Answering rewrites every invitation
    of the round in one statement, so nothing in the rows (not even PostgreSQL's
    transaction ids) tells whose invitation changed with which answer
    (``docs/adr/0021-anonymous-feedback.md``).
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (
        CheckConstraint("(participant_id IS NULL) <> (moderator_id IS NULL)", name="one_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), unique=True
    )
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderators.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    # Fixed when the invitation is sent: a later change of the setting reopens nothing.
    closes_at: Mapped[datetime]

    participant: Mapped[Participant | None] = relationship()
    moderator: Mapped[Moderator | None] = relationship()


class SurveyAnswer(Base):
    """One anonymous answer to the survey: the round, who answered by role, and the day.

    No person, no token, no group, no time finer than the day. The key is random and, on
    SQLite, the table has no rowid, so neither key nor storage order follows the order in
    which people answered. The comment goes with the round's personal data (it may name
    someone); the figures stay.
    """

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint(
            "respondent IN ('citizen', 'newcomer', 'moderator')", name="respondent_kind"
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    respondent: Mapped[str] = mapped_column(String(16))
    answered_on: Mapped[date] = mapped_column(Date)
    satisfaction: Mapped[int | None]
    # Participants' questions.
    met_someone_new: Mapped[bool | None] = mapped_column(Boolean)
    would_recommend: Mapped[bool | None] = mapped_column(Boolean)
    stay_in_touch: Mapped[bool | None] = mapped_column(Boolean)
    # Moderators' questions.
    group_talked_freely: Mapped[bool | None] = mapped_column(Boolean)
    moderate_again: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)


class ContactChoice(Base):
    """A participant would like to stay in touch with another member of their group.

    Personal, and never shown to the one chosen: only when both chose each other are the
    two introduced. Deleted with the round's personal data (and with either person).
    """

    __tablename__ = "contact_choices"
    __table_args__ = (
        UniqueConstraint("chooser_id", "chosen_id"),
        CheckConstraint("chooser_id <> chosen_id", name="not_oneself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    chooser_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    chosen_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )


class NewsSubscriber(Base):
    """Someone who asked to hear about later rounds and the city's international meet-ups.

    Only the address, the language and the hash of the withdraw link's token: no round, no
    name, no date. Kept after a round's purge; gone the moment the link is used.
    """

    __tablename__ = "news_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="de")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class PopulationShare(Base):
    """The city's population share of one category (gender "f", age band "30-44", ...),
    given per round for the monitoring report to compare its groups with. Not personal."""

    __tablename__ = "population_shares"
    __table_args__ = (
        UniqueConstraint("round_id", "dimension", "category"),
        CheckConstraint("share >= 0 AND share <= 1", name="share_is_a_fraction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    share: Mapped[float] = mapped_column(Float)
