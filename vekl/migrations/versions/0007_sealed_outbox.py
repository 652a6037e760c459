"""Sealed outbox bodies, dropped once sent; per-mail start marks for the dispatcher

Mail bodies are encrypted with a key derived from VEKL_SECRET_KEY (see vekl.mail.sealing),
so a copy of the database holds no live personal link. Bodies of delivered mails are
dropped. ``claim_token`` and ``started_at`` let a dispatcher mark each mail just before its
SMTP transaction, so a crash can send at most one mail twice.

The data step seals the bodies of mails that have not gone out with the secret key of the
settings this command runs with: run it with the same VEKL_SECRET_KEY as the service.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vekl.mail import sealing
from vekl.settings import get_settings

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_outbox = sa.table(
    'outbox',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('payload', sa.LargeBinary()),
)


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('payload', existing_type=sa.LargeBinary(), nullable=True)

    connection = op.get_bind()
    connection.execute(
        sa.update(_outbox).where(_outbox.c.status.in_(('sent', 'superseded'))).values(payload=None)
    )
    secret = get_settings().secret_key
    rows = connection.execute(
        sa.select(_outbox.c.id, _outbox.c.payload).where(_outbox.c.payload.is_not(None))
    ).all()
    for row_id, payload in rows:
        connection.execute(
            sa.update(_outbox)
            .where(_outbox.c.id == row_id)
            .values(payload=sealing.seal(secret, bytes(payload)))
        )


def downgrade() -> None:
    connection = op.get_bind()
    secret = get_settings().secret_key
    rows = connection.execute(
        sa.select(_outbox.c.id, _outbox.c.payload).where(_outbox.c.payload.is_not(None))
    ).all()
    for row_id, payload in rows:
        connection.execute(
            sa.update(_outbox)
            .where(_outbox.c.id == row_id)
            .values(payload=sealing.unseal(secret, bytes(payload)))
        )
    connection.execute(
        sa.update(_outbox).where(_outbox.c.payload.is_(None)).values(payload=b'')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('started_at')
        batch_op.drop_column('claim_token')
