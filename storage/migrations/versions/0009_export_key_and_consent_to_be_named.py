"""export key and consent to be named

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:56:15.852013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The community's secret key for export pseudonyms: empty until the first export needs it.
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('export_key', sa.LargeBinary(), nullable=True))

    # Consent to be named in exports: nobody has given it yet (a false default, on both backends).
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name_visible', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('name_visible')

    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('export_key')
