"""Population shares per round, for the monitoring report

The city's share of each category (gender, age band, district, role, ...) that a round's
groups are compared with in the report. Counts and shares only, nothing personal: kept
after the purge.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'population_shares',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=32), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('share', sa.Float(), nullable=False),
        sa.CheckConstraint(
            'share >= 0 AND share <= 1',
            name=op.f('ck_population_shares_share_is_a_fraction'),
        ),
        sa.ForeignKeyConstraint(
            ['round_id'],
            ['rounds.id'],
            name=op.f('fk_population_shares_round_id_rounds'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_population_shares')),
        sa.UniqueConstraint(
            'round_id',
            'dimension',
            'category',
            name=op.f('uq_population_shares_round_id_dimension_category'),
        ),
    )
    with op.batch_alter_table('population_shares', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_population_shares_round_id'), ['round_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('population_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_shares_round_id'))
    op.drop_table('population_shares')
