"""What a coordinator asks for: which export, in which format, for which period, with which
names."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.periods import Period


class ExportKind(StrEnum):
    CONTRIBUTIONS = "contributions"
    MEMBERS = "members"
    ORGANISATIONS = "organisations"
    CAFES = "cafes"
    PROMPTS = "prompts"
    NETWORK = "network"
    METRICS = "metrics"
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
class ExportRequest:
    community_id: int
    kind: ExportKind
    file_format: FileFormat = FileFormat.CSV
    period: Period = field(default_factory=Period)
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
