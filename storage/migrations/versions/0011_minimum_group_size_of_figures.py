"""minimum group size of figures

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:32:15.458477
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every community starts at the floor of 3 people per figure (DESIGN section 8).
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_group', sa.Integer(), server_default='3', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('min_group')
