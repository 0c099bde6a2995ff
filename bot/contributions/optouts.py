"""Who must not be logged. Kept in memory so that an opted-out member's events are dropped
before they reach the database (DESIGN section 8), without a query per message."""

from __future__ import annotations

from storage.db import Database
from storage.members import opted_out_users


class OptOuts:
    def __init__(self) -> None:
        self._by_community: dict[int, set[int]] = {}

    async def load(self, db: Database) -> None:
        async with db.session() as session:
            self._by_community = await opted_out_users(session)

    def is_opted_out(self, community_id: int, user_id: int) -> bool:
        return user_id in self._by_community.get(community_id, ())

    def opt_out(self, community_id: int, user_id: int) -> None:
        self._by_community.setdefault(community_id, set()).add(user_id)

    def opt_in(self, community_id: int, user_id: int) -> None:
        self._by_community.get(community_id, set()).discard(user_id)
