"""A wave's letters rendered by the worker: the prints, their PDFs until they expire, jobs

Rendering a wave's letters takes a minute or two, too long for a request behind a proxy:
``letter_prints`` holds a rendering's progress and outcome, ``letter_print_files`` the PDF
from its end until it expires, and jobs get a fourth kind with a link to their print.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ("matching", "mail", "import")
KINDS_AFTER = ("matching", "mail", "import", "letters")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    op.create_table('letter_prints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'rendering', 'done', 'failed', name='letter_print_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('letters_done', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['wave_id'], ['lottery_waves.id'], name=op.f('fk_letter_prints_wave_id_lottery_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_prints'))
    )
    with op.batch_alter_table('letter_prints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_prints_wave_id'), ['wave_id'], unique=False)

    op.create_table('letter_print_files',
    sa.Column('print_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['print_id'], ['letter_prints.id'], name=op.f('fk_letter_print_files_print_id_letter_prints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('print_id', name=op.f('pk_letter_print_files'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_print_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_jobs_letter_print_id'), ['letter_print_id'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_letter_print_id_letter_prints'), 'letter_prints', ['letter_print_id'], ['id'], ondelete='CASCADE')
        # The kinds are a CHECK constraint (a non-native enum): it gets the new kind.
        batch_op.drop_constraint(op.f('ck_jobs_job_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_job_kind'), _kinds(KINDS_AFTER))
        batch_op.create_check_constraint(op.f('ck_jobs_print_of_letters'), "kind <> 'letters' OR letter_print_id IS NOT NULL")


def downgrade() -> None:
    # Letters jobs cannot be expressed before this revision; their prints go with them.
    op.execute("DELETE FROM jobs WHERE kind = 'letters'")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_jobs_print_of_letters'), type_='check')
        batch_op.drop_constraint(op.f('ck_jobs_job_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_job_kind'), _kinds(KINDS_BEFORE))
        batch_op.drop_constraint(batch_op.f('fk_jobs_letter_print_id_letter_prints'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_jobs_letter_print_id'), type_='unique')
        batch_op.drop_column('letter_print_id')

    op.drop_table('letter_print_files')
    with op.batch_alter_table('letter_prints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_prints_wave_id'))

    op.drop_table('letter_prints')
