"""prompt posts made step by step

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:16:56.548134
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('prompt_post', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('make_thread', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_prompt_post_prompt_schedule_id_scheduled_for'), ['prompt_schedule_id', 'scheduled_for'])
    # Posts made before this revision were recorded only once complete.
    op.execute("UPDATE prompt_post SET finished_at = posted_at")
    with op.batch_alter_table('prompt_post', schema=None) as batch_op:
        batch_op.alter_column('make_thread', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('prompt_post', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_prompt_post_prompt_schedule_id_scheduled_for'), type_='unique')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('make_thread')
