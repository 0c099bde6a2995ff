"""contribution times on SQLite written with microseconds

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 06:10:00

The contribution writer's fast path on SQLite stored a time whose microseconds were zero as
``2024-05-02 09:00:00``, where every query binds ``2024-05-02 09:00:00.000000``; as text the
first sorts before the second, so such a row fell outside a period that starts at that moment
and inside one that ends there. The writer is fixed; this writes the rows it stored that way
in the form everything else uses. PostgreSQL stores times as times: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "YYYY-MM-DD HH:MM:SS" is 19 characters; with microseconds it is 26.
_TIME_COLUMNS = ('created_at', 'edited_at', 'logged_at')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for column in _TIME_COLUMNS:
        op.execute(
            f"UPDATE contribution SET {column} = {column} || '.000000' "
            f"WHERE length({column}) = 19"
        )


def downgrade() -> None:
    # The longer form reads back as the same moment: nothing to undo.
    pass
