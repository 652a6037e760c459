"""Why someone dropped out, from a fixed list: ``participants.dropout_category``

Withdrawals recorded before keep NULL, which the report counts as "not given".

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropout_category', sa.Enum('illness', 'time', 'moved', 'not_interested', 'no_show', 'other', 'not_given', name='dropout_category', native_enum=False, create_constraint=True, length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_participants_dropout_category'), type_='check')
        batch_op.drop_column('dropout_category')
