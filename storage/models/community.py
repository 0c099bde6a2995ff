from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
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
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
