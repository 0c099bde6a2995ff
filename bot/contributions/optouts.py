"""Who must not be logged. Kept in memory so that an opted-out member's events are dropped
before they reach the database (DESIGN section 8), without a query per message.

Two kinds of people are dropped: those who opted out (their member row says so), and those who
asked to be forgotten. Nothing names the forgotten: a community keeps only keyed hashes of their
user ids, so they are recognised by hashing the id of whoever posts, from the first event after
a start-up on.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.members import (
    forgotten_markers_among,
    forgotten_markers_by_community,
    opted_out_among,
    opted_out_users,
)


def marker_of(key: str, user_id: int) -> str:
    """The forgotten-marker of a user: a keyed hash, so the stored value names nobody."""
    # 32 hex characters (128 bits) keep collisions out of reach and the stored key short.
    return hmac.new(key.encode(), f"forgotten:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


class OptOuts:
    def __init__(self) -> None:
        self._opted_out: dict[int, set[int]] = {}
        self._forgotten: dict[int, tuple[str, set[str]]] = {}  # community: (hash key, markers)

    async def load(self, db: Database) -> None:
        async with db.session() as session:
            self._opted_out = await opted_out_users(session)
            self._forgotten = await forgotten_markers_by_community(session)

    async def catch_up(self, session: AsyncSession, people: dict[int, set[int]]) -> None:
        """Add what the database says of these people (by community) that this process did not
        hear: an opt-out or a forget handled by another process of the deployment (two hold
        the same shards during an overlapping deploy). Checked at write time, so nobody is
        logged after opting out anywhere; an opt-in elsewhere counts here after a restart."""
        for community_id, user_ids in (await opted_out_among(session, people)).items():
            self._opted_out.setdefault(community_id, set()).update(user_ids)

        def markers_of(community_id: int, key: str) -> set[str]:
            return {marker_of(key, user_id) for user_id in people.get(community_id, ())}

        found = await forgotten_markers_among(session, list(people), markers_of)
        for community_id, (key, markers) in found.items():
            known = self._forgotten.setdefault(community_id, (key, set()))
            known[1].update(markers)

    def is_opted_out(self, community_id: int, user_id: int) -> bool:
        return user_id in self._opted_out.get(community_id, ()) or self.is_forgotten(
            community_id, user_id
        )

    def is_forgotten(self, community_id: int, user_id: int) -> bool:
        forgotten = self._forgotten.get(community_id)
        return forgotten is not None and marker_of(forgotten[0], user_id) in forgotten[1]

    def opt_out(self, community_id: int, user_id: int) -> None:
        self._opted_out.setdefault(community_id, set()).add(user_id)

    def forget(self, community_id: int, key: str, user_id: int) -> None:
        """Remember that this person asked to be forgotten (by marker, not by id)."""
        markers = self._forgotten.setdefault(community_id, (key, set()))[1]
        markers.add(marker_of(key, user_id))

    def opt_in(self, community_id: int, user_id: int) -> None:
        self._opted_out.get(community_id, set()).discard(user_id)
        forgotten = self._forgotten.get(community_id)
        if forgotten is not None:
            forgotten[1].discard(marker_of(forgotten[0], user_id))
