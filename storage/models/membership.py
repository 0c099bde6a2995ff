"""People and organisations of a community, with history: rows are ended, not overwritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from bot.membership import values
from bot.membership.vocabulary import CopStatus
from storage.types import UTCDateTime, utc_now, value_of

# Vocabularies (stakeholder groups, levels, CoP status) are defined in bot/membership/vocabulary.py
# and stored here as their string values. The functions at the end turn rows into the register's
# values (bot/membership/values.py), which is all the query modules hand out.


def _open_rows_only(*columns: str, name: str) -> Index:
    """A unique index over rows still open (``ended_at IS NULL``), on both backends."""
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    )


class Member(SQLModel, table=True):
    """A person in a community: a Discord user in a server, present or gone."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        # The few who opted out: the contribution writer checks every batch's people here.
        Index(
            "ix_member_opted_out",
            "community_id",
            "user_id",
            sqlite_where=text("opted_out_at IS NOT NULL"),
            postgresql_where=text("opted_out_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(max_length=100)
    stakeholder: str | None = Field(default=None, sa_type=String(40))
    level: str | None = Field(default=None, sa_type=String(20))
    country: str | None = Field(default=None, max_length=60)
    expertise: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # in the server
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: present
    # Privacy (DESIGN section 8): an opted-out member's events are never logged.
    opted_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Consent to be named (``/privacy visible``): coordinators' exports show the display name
    # instead of a pseudonym. Off unless the person turns it on.
    name_visible: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("community_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=100)
    # The name folded for comparison (case, accents, spacing): "IRC", " irc" and "Írc" are one.
    name_key: str = Field(max_length=100)
    stakeholder: str = Field(sa_type=String(40))
    level: str = Field(sa_type=String(20))
    country: str | None = Field(default=None, max_length=60)
    website: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class OrganisationMembership(SQLModel, table=True):
    """A person belongs to an organisation from ``started_at`` until ``ended_at``."""

    __tablename__ = "organisation_membership"
    __table_args__ = (
        # One organisation at a time: changing organisation ends the old row first.
        _open_rows_only("member_id", name="uq_organisation_membership_open_member"),
        Index("ix_organisation_membership_organisation_id", "organisation_id"),
        # A person's organisation at a moment (insights, exports): their rows by start.
        Index("ix_organisation_membership_member_id_started_at", "member_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    organisation_id: int = Field(
        sa_column=Column(ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False)
    )
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrganisationCopStatus(SQLModel, table=True):
    """The organisation itself as a member of the CoP: applicant, member, lapsed; with dates."""

    __tablename__ = "organisation_cop_status"
    __table_args__ = (
        _open_rows_only("organisation_id", name="uq_organisation_cop_status_open_organisation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(sa_type=String(16))
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_by: int | None = Field(default=None, sa_type=BigInteger)


class OrganisationRepresentative(SQLModel, table=True):
    """Who speaks for an organisation, and since when; one of them may be the primary."""

    __tablename__ = "organisation_representative"
    __table_args__ = (
        _open_rows_only(
            "organisation_id", "member_id", name="uq_organisation_representative_open_pair"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False)
    )
    member_id: int = Field(
        sa_column=Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    is_primary: bool = Field(default=False)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- rows as values ------------------------------------------------------------------------------


def member_value(row: Member) -> values.Member:
    return value_of(values.Member, row, expertise=tuple(row.expertise or ()))


def membership_value(row: OrganisationMembership) -> values.OrganisationMembership:
    return value_of(values.OrganisationMembership, row)


def organisation_value(row: Organisation) -> values.Organisation:
    return value_of(values.Organisation, row)


def cop_status_value(row: OrganisationCopStatus) -> values.CopStatusRecord:
    return value_of(values.CopStatusRecord, row, status=CopStatus(row.status))


def representation_value(row: OrganisationRepresentative) -> values.Representation:
    return value_of(values.Representation, row)
