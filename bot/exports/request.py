"""What a coordinator asks for: which export, in which format, for which period, with which
names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import BadInput


class ExportKind(StrEnum):
    CONTRIBUTIONS = "contributions"
    MEMBERS = "members"
    ORGANISATIONS = "organisations"
    CAFES = "cafes"
    PROMPTS = "prompts"
    NETWORK = "network"
    ALL = "all"


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"
    PARQUET = "parquet"


class NameMode(StrEnum):
    PSEUDONYMOUS = "pseudonymous"
    """Everyone is a pseudonym (the default)."""
    VISIBLE = "visible"
    """Display names of the people who chose ``/privacy visible``; pseudonyms for the rest."""


@dataclass(frozen=True, slots=True)
class Period:
    """Days in the community's time zone, both inclusive; None: from the start, or until now."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise BadInput(
                f"The period ends ({self.until}) before it starts ({self.since}).",
                "Give `since` on or before `until`, both as YYYY-MM-DD.",
            )

    def bounds(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The period in UTC: from local midnight of ``since`` to local midnight after
        ``until`` (exclusive)."""
        zone = ZoneInfo(timezone)
        start = None if self.since is None else datetime.combine(self.since, time(), zone)
        end = (
            None
            if self.until is None
            else datetime.combine(self.until + timedelta(days=1), time(), zone)
        )
        return start, end

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "everything logged"
        if self.since is None:
            return f"everything up to {self.until}"
        if self.until is None:
            return f"from {self.since} on"
        return f"{self.since} to {self.until}"


def parse_day(text: str, option: str) -> date:
    """A day written YYYY-MM-DD, or BadInput that says which option was wrong."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"`{text[:40]}` is not a date for `{option}`.",
            "Write it as YYYY-MM-DD, for example `2026-01-31`.",
        ) from None


@dataclass(frozen=True, slots=True)
class ExportRequest:
    community_id: int
    kind: ExportKind
    file_format: FileFormat = FileFormat.CSV
    period: Period = Period()
    names: NameMode = NameMode.PSEUDONYMOUS

    def command_line(self) -> str:
        """The ``copbot export`` command that makes the same file on the bot's machine."""
        parts = [f"copbot export {self.kind} --guild {self.community_id}"]
        parts.append(f"--format {self.file_format}")
        if self.period.since is not None:
            parts.append(f"--since {self.period.since}")
        if self.period.until is not None:
            parts.append(f"--until {self.period.until}")
        parts.append(f"--names {self.names}")
        parts.append(f"--out {self.kind}.{self.file_format}")
        return " ".join(parts)
