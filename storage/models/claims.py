from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utc_now


class InteractionClaim(SQLModel, table=True):
    """An interaction one process took on. Two processes holding one shard (an overlapping
    deploy) both receive every interaction; the one whose insert succeeded handles it. Kept
    only for as long as Discord keeps an interaction."""

    __tablename__ = "interaction_claim"

    interaction_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    claimed_by: str = Field(max_length=64)
    claimed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)


class WorkLease(SQLModel, table=True):
    """Work that one process at a time may do (a café's Discord work: ``cafe:12``), held by
    ``holder`` until ``until``; the holder renews it while at work and gives it up after, and a
    stopped process's lease lapses."""

    __tablename__ = "work_lease"

    key: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=64)
    until: datetime = Field(sa_type=UTCDateTime)
