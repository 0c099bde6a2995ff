from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utc_now


class AppState(SQLModel, table=True):
    """Small facts the bot remembers between runs, such as the hash of the synced command tree."""

    __tablename__ = "app_state"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=500)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
