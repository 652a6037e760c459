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
