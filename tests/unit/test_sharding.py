"""A process's slice of shards: Discord's formula, and who syncs the commands."""

from __future__ import annotations

from bot.sharding import ShardSlice


def test_without_shards_one_process_serves_every_server_and_syncs() -> None:
    alone = ShardSlice.of(None, None)
    assert not alone.sharded
    assert all(alone.owns(guild_id) for guild_id in (0, 1 << 22, 987_654_321_987_654_321))
    assert alone.syncs_commands
    assert alone.describe() == "one process for every server (not sharded)"
    assert alone.share == 1.0  # all of the bot's global rate limit


def test_a_server_is_on_shard_id_shifted_22_modulo_the_count() -> None:
    # (id >> 22) % 4: the millisecond part of the snowflake decides, not the low bits.
    guild = (10 << 22) | 0x3FFFFF
    first, second = ShardSlice.of(4, (0, 1)), ShardSlice.of(4, (2, 3))
    assert first.shard_of(guild) == second.shard_of(guild) == 2
    assert not first.owns(guild) and second.owns(guild)
    assert first.syncs_commands and not second.syncs_commands
    assert second.describe() == "shards 2, 3 of 4"
    assert ShardSlice.of(4, None).ids == (0, 1, 2, 3)  # no SHARD_IDS: every shard
    assert ShardSlice.of(2, (1,)).describe() == "shard 1 of 2"
    assert (first.share, ShardSlice.of(4, (3,)).share) == (0.5, 0.25)
    assert ShardSlice.of(4, None).share == 1
