"""claims across processes: interactions and work leases; indexes for what processes look up
(schedules changed since, opted-out members)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('interaction_claim',
    sa.Column('interaction_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('interaction_id', name=op.f('pk_interaction_claim'))
    )
    with op.batch_alter_table('interaction_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_claim_claimed_at'), ['claimed_at'], unique=False)

    op.create_table('work_lease',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('until', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_work_lease'))
    )
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index('ix_member_opted_out', ['community_id', 'user_id'], unique=False, sqlite_where=sa.text('opted_out_at IS NOT NULL'), postgresql_where=sa.text('opted_out_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index('ix_member_opted_out')
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_updated_at'))
    op.drop_table('work_lease')
    with op.batch_alter_table('interaction_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_claim_claimed_at'))

    op.drop_table('interaction_claim')
