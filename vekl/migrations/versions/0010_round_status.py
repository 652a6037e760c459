"""Forming and publishing groups no longer closes registration

A round's status is now only what the organisers set: open, closed or finished. Rounds
that matching had moved to "matched" or "published" (which closed their registration as a
side effect) are open again; their deadline still ends registration. The column's check
constraint keeps admitting the two old values, which nothing writes any more.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_rounds = sa.table('rounds', sa.column('status', sa.String()))


def upgrade() -> None:
    op.get_bind().execute(
        sa.update(_rounds)
        .where(_rounds.c.status.in_(('matched', 'published')))
        .values(status='open')
    )


def downgrade() -> None:
    # Which rounds had groups is in their runs; the old statuses only showed it.
    pass
