"""cafe tables asked

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cafe', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tables_asked', sa.Integer(), nullable=True))
    # A café not started yet still holds what was asked; a started one, the count it used.
    op.execute("UPDATE cafe SET tables_asked = tables WHERE current_round = 0")


def downgrade() -> None:
    with op.batch_alter_table('cafe', schema=None) as batch_op:
        batch_op.drop_column('tables_asked')
