from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utc_now


class AuditEvent(SQLModel, table=True):
    """Who did what, with which command: kept for coordinators and for debugging."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_community_id_created_at", "community_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    actor_id: int | None = Field(default=None, sa_type=BigInteger)  # None: the bot itself
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
