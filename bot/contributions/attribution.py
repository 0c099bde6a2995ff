"""Who a contribution is attributed to: the author's organisation, stakeholder group and level at
the moment of the message, from the membership history.

The writer asks once per flush. :class:`RegisterCache` keeps each author's history in memory, so
a flush reads the register only for people it has not seen, plus one small query: the register's
version per community (storage/contributions.py ``register_changed``), which every change to
memberships, profiles and organisations renews in its own transaction. A new version drops what
the cache knew of that community, so attribution always comes from the history as committed.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions.values import NOBODY, Attribution
from storage import contributions as log_queries
from storage.members import members_by_user_id, membership_periods


@dataclass(slots=True)
class MembershipHistory:
    """One member's profile and organisation memberships, sorted by start."""

    member_stakeholder: str | None
    member_level: str | None
    starts: list[datetime] = field(default_factory=list)
    periods: list[tuple[datetime, datetime | None, int, str, str]] = field(default_factory=list)

    def at(self, moment: datetime) -> Attribution:
        index = bisect.bisect_right(self.starts, moment) - 1
        organisation: tuple[int, str, str] | None = None
        # Memberships do not overlap (one open at a time), so the latest start before the
        # moment is the only candidate; it counts if it had not ended by then.
        if index >= 0:
            _started, ended, organisation_id, stakeholder, level = self.periods[index]
            if ended is None or ended > moment:
                organisation = (organisation_id, stakeholder, level)
        if organisation is None:
            return Attribution(None, self.member_stakeholder, self.member_level)
        # The person's own stakeholder group and level win; the organisation's fill the gaps.
        return Attribution(
            organisation[0],
            self.member_stakeholder or organisation[1],
            self.member_level or organisation[2],
        )


@dataclass(slots=True)
class _Community:
    version: str | None
    # user id -> history; None: not in the register (attributed to nobody)
    histories: dict[int, MembershipHistory | None] = field(default_factory=dict)


class RegisterCache:
    """The membership histories of the people the writer has seen, per community."""

    def __init__(self, max_people: int = 100_000) -> None:
        self.max_people = max_people  # per community; past it the cache starts again
        self._communities: dict[int, _Community] = {}
        self.loads = 0  # queries of the register made (tests check the cache is used)

    async def refresh(self, session: AsyncSession, wanted: Mapping[int, Collection[int]]) -> None:
        """Make sure the histories of these people (user ids by community) are current."""
        if not wanted:
            return
        versions = await log_queries.register_versions(session, wanted)
        for community_id, user_ids in wanted.items():
            known = self._communities.get(community_id)
            version = versions.get(community_id)
            if known is None or known.version != version or len(known.histories) > self.max_people:
                known = self._communities[community_id] = _Community(version)
            missing = [user_id for user_id in user_ids if user_id not in known.histories]
            if missing:
                known.histories.update(await _load(session, community_id, missing))
                self.loads += 1

    def of(self, community_id: int, user_id: int, moment: datetime) -> Attribution:
        """The attribution at ``moment`` of someone :meth:`refresh` was asked about."""
        history = self._communities[community_id].histories[user_id]
        return NOBODY if history is None else history.at(moment)


async def _load(
    session: AsyncSession, community_id: int, user_ids: Collection[int]
) -> dict[int, MembershipHistory | None]:
    """These people's histories in two queries; None for whoever is not in the register."""
    found: dict[int, MembershipHistory | None] = dict.fromkeys(user_ids)
    members = await members_by_user_id(session, community_id, user_ids)
    by_member_id: dict[int, MembershipHistory] = {}
    for user_id, member in members.items():
        history = MembershipHistory(member.stakeholder, member.level)
        found[user_id] = by_member_id[member.id] = history
    rows = await membership_periods(session, list(by_member_id))
    for member_id, organisation, started, ended in sorted(rows, key=lambda row: row[2]):
        history = by_member_id[member_id]
        history.starts.append(started)
        history.periods.append(
            (started, ended, organisation.id, organisation.stakeholder, organisation.level)
        )
    return found
