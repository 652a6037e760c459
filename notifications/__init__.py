"""Renders calendar files and mails, and sends them; takes plain typed data, knows no database.

The application maps its rows to the models in :mod:`notifications.models`, wraps them in one of
the mail kinds of :mod:`notifications.kinds`, renders with :func:`render_mail` and hands the
messages to a transport (:class:`SmtpTransport` or :class:`FileSink`), which reports an outcome
per message. Who gets what, and when to retry, stays with the application.
"""

from notifications.delivery import DeliveryOutcome, DeliveryStatus, Transport, retry_delay
from notifications.filesink import FileSink
from notifications.headers import UnsafeHeaderError
from notifications.i18n import SUPPORTED_LANGUAGES, negotiate, text_direction, translations
from notifications.ics import (
    CalendarMethod,
    cancel_calendar,
    feed_calendar,
    request_calendar,
)
from notifications.identifiers import event_uid, make_message_id
from notifications.kinds import (
    MAIL_ADAPTER,
    CancellationReason,
    EveningReminder,
    EveningsCancelled,
    GroupChange,
    GroupChanged,
    GroupInvitation,
    GroupMoved,
    Mail,
    ModeratorLink,
    ModeratorRoster,
    RegistrationConfirmation,
    SelfServiceLink,
    WaitingList,
)
from notifications.messages import RenderedMail, render_mail, render_parts
from notifications.models import Evening, GroupInfo, Programme, Recipient, RosterMember
from notifications.smtp import SmtpSecurity, SmtpSettings, SmtpTransport

__all__ = [
    "MAIL_ADAPTER",
    "SUPPORTED_LANGUAGES",
    "CalendarMethod",
    "CancellationReason",
    "DeliveryOutcome",
    "DeliveryStatus",
    "Evening",
    "EveningReminder",
    "EveningsCancelled",
    "FileSink",
    "GroupChange",
    "GroupChanged",
    "GroupInfo",
    "GroupInvitation",
    "GroupMoved",
    "Mail",
    "ModeratorLink",
    "ModeratorRoster",
    "Programme",
    "Recipient",
    "RegistrationConfirmation",
    "RenderedMail",
    "RosterMember",
    "SelfServiceLink",
    "SmtpSecurity",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "UnsafeHeaderError",
    "WaitingList",
    "cancel_calendar",
    "event_uid",
    "feed_calendar",
    "make_message_id",
    "negotiate",
    "render_mail",
    "render_parts",
    "request_calendar",
    "retry_delay",
    "text_direction",
    "translations",
]
