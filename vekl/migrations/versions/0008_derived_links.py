"""Personal links derived from a per-person secret; a separate calendar feed token

``link_secret`` lets the service derive a person's link again (HMAC with the server's key),
so a forgotten link is re-sent unchanged and every mail can carry it. People with a link
from before keep it until a link is next mailed to them, which replaces it once.
``feed_token_hash`` finds a participant by their calendar feed's own token.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_secret', sa.String(length=64), nullable=True))

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('feed_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_participants_feed_token_hash'), ['feed_token_hash']
        )


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_participants_feed_token_hash'), type_='unique')
        batch_op.drop_column('feed_token_hash')
        batch_op.drop_column('link_secret')

    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_column('link_secret')
