"""Which Discord servers this process serves: its slice of shards.

A server lives on shard ``(guild_id >> 22) % shard_count`` (Discord's formula). With
``SHARD_COUNT`` set, each process runs the shards in ``SHARD_IDS`` (all when empty) and handles
only their servers: events (Discord sends it no others), and the scheduled work of their
communities. Without it, one process runs everything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShardSlice:
    count: int
    """Shards across every process (1: not sharded)."""
    ids: tuple[int, ...]
    """The shards this process runs."""
    sharded: bool

    @classmethod
    def of(cls, shard_count: int | None, shard_ids: tuple[int, ...] | None) -> ShardSlice:
        if shard_count is None:
            return cls(1, (0,), sharded=False)
        ids = shard_ids if shard_ids is not None else tuple(range(shard_count))
        return cls(shard_count, tuple(sorted(ids)), sharded=True)

    def shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % self.count

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves the server (its events and its scheduled work)."""
        return self.shard_of(guild_id) in self.ids

    @property
    def syncs_commands(self) -> bool:
        """The process that runs shard 0 syncs the command tree, and no other: the tree is one
        per application, every process of a version builds the same one, and a slice always
        has exactly one process running shard 0."""
        return 0 in self.ids

    @property
    def share(self) -> float:
        """This process's part of the bot's shards: its part of what Discord allows the whole bot
        (the global rate limit is per bot, whatever the number of processes)."""
        return len(self.ids) / self.count

    def describe(self) -> str:
        if not self.sharded:
            return "one process for every server (not sharded)"
        shards = ", ".join(str(i) for i in self.ids)
        return f"shard{'s' if len(self.ids) > 1 else ''} {shards} of {self.count}"
