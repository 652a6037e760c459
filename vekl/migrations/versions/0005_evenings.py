"""Evenings are called evenings: the table ``sessions`` becomes ``evenings``

The table is rebuilt rather than renamed so that its constraints (and, on PostgreSQL, its
id sequence) carry the new name too; calendar entries point at it through ``evening_id``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _evening_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f(f"ck_{name}_ends_after_start")),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name=op.f(f"fk_{name}_series_id_series"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    columns = "id, series_id, starts_at, ends_at, created_at, updated_at"
    old = "evenings" if name == "sessions" else "sessions"
    op.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {old}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
        )


def _repoint_calendar_entries(old: str, new: str) -> None:
    """Calendar entries' ``{old}_id`` becomes ``{new}_id``, referring to the table ``{new}s``."""
    with op.batch_alter_table("calendar_entries", schema=None) as batch_op:
        batch_op.drop_constraint(f"fk_calendar_entries_{old}_id_{old}s", type_="foreignkey")
        batch_op.drop_constraint(f"uq_calendar_entries_moderator_id_{old}_id", type_="unique")
        batch_op.drop_constraint(f"uq_calendar_entries_participant_id_{old}_id", type_="unique")
        batch_op.alter_column(f"{old}_id", new_column_name=f"{new}_id", existing_type=sa.Integer(), existing_nullable=False)
    # A second batch: SQLite's table rebuild must see the renamed column to constrain it.
    with op.batch_alter_table("calendar_entries", schema=None) as batch_op:
        batch_op.create_foreign_key(
            f"fk_calendar_entries_{new}_id_{new}s", f"{new}s", [f"{new}_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_unique_constraint(f"uq_calendar_entries_moderator_id_{new}_id", ["moderator_id", f"{new}_id"])
        batch_op.create_unique_constraint(f"uq_calendar_entries_participant_id_{new}_id", ["participant_id", f"{new}_id"])


def upgrade() -> None:
    _evening_table("evenings")
    _repoint_calendar_entries("session", "evening")
    op.drop_table("sessions")


def downgrade() -> None:
    _evening_table("sessions")
    _repoint_calendar_entries("evening", "session")
    op.drop_table("evenings")
