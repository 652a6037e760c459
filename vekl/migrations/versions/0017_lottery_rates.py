"""Response rates of the lottery kept per round and stratum

Letters sent and registrations made with their codes, per stratum: anonymous counts kept
when a round's registration closes or finishes and at its purge, and offered as the
expected rates when a later round plans its draw.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lottery_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('stratum', sa.String(length=200), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('registrations', sa.Integer(), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_lottery_rates_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_rates')),
    sa.UniqueConstraint('round_id', 'stratum', name=op.f('uq_lottery_rates_round_id_stratum'))
    )
    with op.batch_alter_table('lottery_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_rates_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lottery_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lottery_rates_round_id'))
    op.drop_table('lottery_rates')
