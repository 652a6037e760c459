"""Feedback after the last evening: survey invitations, anonymous answers, contact choices
and the list of people who want to hear about later rounds

``survey_answers`` has no rowid on SQLite and a random key, so the order of the rows says
nothing about the order in which people answered (docs/adr/0021-anonymous-feedback.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vekl.store.base

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'survey_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.Column('moderator_id', sa.Integer(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.Column('closes_at', vekl.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            '(participant_id IS NULL) <> (moderator_id IS NULL)',
            name=op.f('ck_survey_invitations_one_holder'),
        ),
        sa.ForeignKeyConstraint(
            ['moderator_id'], ['moderators.id'],
            name=op.f('fk_survey_invitations_moderator_id_moderators'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['participant_id'], ['participants.id'],
            name=op.f('fk_survey_invitations_participant_id_participants'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['round_id'], ['rounds.id'],
            name=op.f('fk_survey_invitations_round_id_rounds'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitations')),
        sa.UniqueConstraint('moderator_id', name=op.f('uq_survey_invitations_moderator_id')),
        sa.UniqueConstraint('participant_id', name=op.f('uq_survey_invitations_participant_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_survey_invitations_token_hash')),
    )
    op.create_index(
        op.f('ix_survey_invitations_round_id'), 'survey_invitations', ['round_id'], unique=False
    )
    op.create_table(
        'survey_answers',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('respondent', sa.String(length=16), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=False),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('met_someone_new', sa.Boolean(), nullable=True),
        sa.Column('would_recommend', sa.Boolean(), nullable=True),
        sa.Column('stay_in_touch', sa.Boolean(), nullable=True),
        sa.Column('group_talked_freely', sa.Boolean(), nullable=True),
        sa.Column('moderate_again', sa.Boolean(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.CheckConstraint(
            'satisfaction BETWEEN 1 AND 5', name=op.f('ck_survey_answers_satisfaction_range')
        ),
        sa.CheckConstraint(
            "respondent IN ('citizen', 'newcomer', 'moderator')",
            name=op.f('ck_survey_answers_respondent_kind'),
        ),
        sa.ForeignKeyConstraint(
            ['round_id'], ['rounds.id'],
            name=op.f('fk_survey_answers_round_id_rounds'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f('ix_survey_answers_round_id'), 'survey_answers', ['round_id'], unique=False
    )
    op.create_table(
        'contact_choices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('chooser_id', sa.Integer(), nullable=False),
        sa.Column('chosen_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('chooser_id <> chosen_id', name=op.f('ck_contact_choices_not_oneself')),
        sa.ForeignKeyConstraint(
            ['chooser_id'], ['participants.id'],
            name=op.f('fk_contact_choices_chooser_id_participants'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['chosen_id'], ['participants.id'],
            name=op.f('fk_contact_choices_chosen_id_participants'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['round_id'], ['rounds.id'],
            name=op.f('fk_contact_choices_round_id_rounds'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_choices')),
        sa.UniqueConstraint(
            'chooser_id', 'chosen_id', name=op.f('uq_contact_choices_chooser_id_chosen_id')
        ),
    )
    op.create_index(
        op.f('ix_contact_choices_chooser_id'), 'contact_choices', ['chooser_id'], unique=False
    )
    op.create_index(
        op.f('ix_contact_choices_chosen_id'), 'contact_choices', ['chosen_id'], unique=False
    )
    op.create_index(
        op.f('ix_contact_choices_round_id'), 'contact_choices', ['round_id'], unique=False
    )
    op.create_table(
        'news_subscribers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_news_subscribers')),
        sa.UniqueConstraint('email', name=op.f('uq_news_subscribers_email')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_news_subscribers_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('news_subscribers')
    op.drop_index(op.f('ix_contact_choices_round_id'), table_name='contact_choices')
    op.drop_index(op.f('ix_contact_choices_chosen_id'), table_name='contact_choices')
    op.drop_index(op.f('ix_contact_choices_chooser_id'), table_name='contact_choices')
    op.drop_table('contact_choices')
    op.drop_index(op.f('ix_survey_answers_round_id'), table_name='survey_answers')
    op.drop_table('survey_answers')
    op.drop_index(op.f('ix_survey_invitations_round_id'), table_name='survey_invitations')
    op.drop_table('survey_invitations')
