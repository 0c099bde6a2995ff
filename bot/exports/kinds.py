"""Every export kind and what it is made of (``bot.exports.sources``), in the order ``all``
writes them."""

from __future__ import annotations

from bot.exports import (
    cafes,
    contributions,
    members,
    metrics,
    network,
    organisations,
    prompts,
)
from bot.exports.request import ExportKind
from bot.exports.sources import KindSource

SOURCES: dict[ExportKind, KindSource] = {
    ExportKind.CONTRIBUTIONS: contributions.SOURCE,
    ExportKind.MEMBERS: members.SOURCE,
    ExportKind.ORGANISATIONS: organisations.SOURCE,
    ExportKind.CAFES: cafes.SOURCE,
    ExportKind.PROMPTS: prompts.SOURCE,
    ExportKind.NETWORK: network.SOURCE,
    ExportKind.METRICS: metrics.SOURCE,
}
"""Each kind but ``all``, which is every one of them (in this order) as CSV in one zip."""
