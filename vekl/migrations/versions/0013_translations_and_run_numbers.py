"""Round content in several languages, and runs numbered within their round

Round names, series labels and venue names get their English, Arabic and Ukrainian
versions next to the German one (JSON by language code, empty for existing rows: everyone
reads the German until the organisers add a translation).

Runs get a number within their round, given in the order they were made, so the first run
of a round is run 1 whatever the runs of other rounds.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'{}'")
_runs = sa.table(
    'matching_runs',
    sa.column('id', sa.Integer()),
    sa.column('round_id', sa.Integer()),
    sa.column('number', sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name_translations', sa.JSON(), server_default=_EMPTY, nullable=False)
        )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('label_translations', sa.JSON(), server_default=_EMPTY, nullable=False)
        )
        batch_op.add_column(
            sa.Column('venue_name_translations', sa.JSON(), server_default=_EMPTY, nullable=False)
        )

    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    connection = op.get_bind()
    counts: dict[int, int] = {}
    rows = connection.execute(
        sa.select(_runs.c.id, _runs.c.round_id).order_by(_runs.c.round_id, _runs.c.id)
    ).all()
    for run_id, round_id in rows:
        counts[round_id] = counts.get(round_id, 0) + 1
        connection.execute(
            sa.update(_runs).where(_runs.c.id == run_id).values(number=counts[round_id])
        )
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_matching_runs_round_id_number'), ['round_id', 'number']
        )


def downgrade() -> None:
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_matching_runs_round_id_number'), type_='unique')
        batch_op.drop_column('number')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('venue_name_translations')
        batch_op.drop_column('label_translations')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('name_translations')
