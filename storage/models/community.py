from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utc_now


class Community(SQLModel, table=True):
    """One Discord server and its settings."""

    __tablename__ = "community"

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=100)
    timezone: str = Field(default="UTC", max_length=64)
    moderator_role_id: int | None = Field(default=None, sa_type=BigInteger)
    coordinator_role_id: int | None = Field(default=None, sa_type=BigInteger)
    # Role sync: Discord roles per stakeholder group and level (and per organisation if asked)
    rolesync: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    rolesync_organisations: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )
    # Where submitted questions wait for a moderator's Approve or Reject (None: only the list).
    review_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    # The secret key of the community's export pseudonyms (DESIGN section 8): made on first use
    # (storage.communities.export_key) and never changed, so exports of any date join.
    export_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    # Group figures over fewer people than this are shown as "fewer than N" everywhere
    # (DESIGN section 8); coordinators may raise it, never below 3 (bot.communities).
    min_group: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class SyncedRole(SQLModel, table=True):
    """A Discord role the bot made for role sync: which group it stands for."""

    __tablename__ = "synced_role"
    __table_args__ = (UniqueConstraint("community_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)  # "stakeholder", "level" or "organisation"
    key: str = Field(max_length=100)  # the stakeholder/level value, or the organisation id
    role_id: int = Field(sa_type=BigInteger)
