"""What the feedback services say when something cannot be done: message ids that the pages
translate (each is shown to visitors, so each is in ``api.error_texts.SERVICE_MESSAGES``)."""

from __future__ import annotations

from vekl.errors import N_

SURVEY_LINK_SPENT = N_(
    "This survey link has already been used, or it is not valid. Each link works once, so "
    "nothing was changed."
)
SURVEY_CLOSED = N_("This survey has closed, so nothing was stored. Thank you all the same.")
SATISFACTION_REQUIRED = N_("Please choose how satisfied you were, from 1 to 5.")
YES_OR_NO = N_("Please answer yes or no.")
COMMENT_TOO_LONG = N_("Please keep the comment to at most %(max)s characters.")
NOT_IN_GROUP = N_("Please choose only members of your group.")
CONTACTS_CLOSED = N_(
    "You can say whom you would like to stay in touch with from your group's last evening "
    "until the survey closes."
)
NO_SUCH_NEWS_LINK = N_("This link is not valid any more: you will not get these emails.")

# The organisers' announcement to the news subscribers: read by the team only, so the German
# catalog carries them (not ``SERVICE_MESSAGES``).
SUBJECT_REQUIRED = N_("Please write a subject in German: every subscriber can read that one.")
TEXT_REQUIRED = N_("Please write the text in German: every subscriber can read that one.")
SUBJECT_TOO_LONG = N_("Please keep the subject to at most %(max)s characters.")
TEXT_TOO_LONG = N_("Please keep the text to at most %(max)s characters.")
SUBJECT_ONE_LINE = N_("The subject must fit on one line.")
SUBJECT_WITHOUT_TEXT = N_("Please write the text for this subject too, or leave both empty.")
TEXT_WITHOUT_SUBJECT = N_("Please write a subject for this text too, or leave both empty.")
NO_SUBSCRIBERS = N_("Nobody has asked for news yet, so nothing was sent.")
ALREADY_ANNOUNCED = N_(
    "This announcement has already gone to every subscriber, so nothing was sent again."
)
