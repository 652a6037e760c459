"""outbox and calendar entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 16:17:47.909713
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'expired', 'superseded', name='mail_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_outbox_moderator_id_moderators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_outbox_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_outbox_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_moderator_id'), ['moderator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_recipient'), ['recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_outbox_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('calendar_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(participant_id IS NULL) <> (moderator_id IS NULL)', name=op.f('ck_calendar_entries_one_holder')),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_calendar_entries_moderator_id_moderators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_calendar_entries_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_calendar_entries_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_entries')),
    sa.UniqueConstraint('moderator_id', 'session_id', name=op.f('uq_calendar_entries_moderator_id_session_id')),
    sa.UniqueConstraint('participant_id', 'session_id', name=op.f('uq_calendar_entries_participant_id_session_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_calendar_entries_uid'))
    )



def downgrade() -> None:

    op.drop_table('calendar_entries')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_round_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_recipient'))
        batch_op.drop_index(batch_op.f('ix_outbox_participant_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_moderator_id'))

    op.drop_table('outbox')

