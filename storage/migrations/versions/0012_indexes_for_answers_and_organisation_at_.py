"""indexes for answers and organisation at a moment

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:18:53.569750

Insights read the answers to questions by the message they reply to, and each person's
organisation at the end of a period. Without these indexes SQLite (which copbot never asks to
ANALYZE) scanned the whole log once per question: hours on a million contributions (issue 15's
benchmark).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.create_index(
            'ix_contribution_reply_to_message_id', ['reply_to_message_id'], unique=False
        )
    with op.batch_alter_table('organisation_membership', schema=None) as batch_op:
        batch_op.create_index(
            'ix_organisation_membership_member_id_started_at',
            ['member_id', 'started_at'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('organisation_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_membership_member_id_started_at')
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_index('ix_contribution_reply_to_message_id')
