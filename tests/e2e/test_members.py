"""Server joins and leaves kept in the register, also those that happened while the bot was down."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.e2e.helpers import eventually, stored_member

# Listeners run after the sandbox sends the event: each wait below checks 250 times, 20 ms apart.


async def is_present(harness: Harness, user_id: int) -> bool:
    member = await stored_member(harness, user_id)
    return member is not None and member.joined_at is not None and member.left_at is None


async def has_left(harness: Harness, user_id: int) -> bool:
    member = await stored_member(harness, user_id)
    return member is not None and member.left_at is not None


async def test_everyone_in_the_server_is_registered_at_start_up(harness: Harness) -> None:
    people = [m for m in harness.community.guild.members.values() if not m.user.bot]
    for person in people:
        await eventually(
            lambda person=person: is_present(harness, person.id), interval=0.02, attempts=250
        )
    bot_user = harness.community.bot.user
    assert await stored_member(harness, bot_user.id) is None  # bots are not members
    lena = await stored_member(harness, harness.community.member("lena.vogel").id)
    assert lena.display_name == "Lena Vogel"


async def test_a_join_registers_a_leave_marks_left_and_a_return_restores(
    harness: Harness,
) -> None:
    guild = harness.community.guild
    user = harness.sandbox.create_user("kofi.annan", global_name="Kofi Annan")
    joined = guild.add_member(user)
    await eventually(lambda: is_present(harness, user.id), interval=0.02, attempts=250)
    row = await stored_member(harness, user.id)
    assert row.display_name == "Kofi Annan"
    assert abs((row.joined_at - joined.joined_at).total_seconds()) < 1

    guild.remove_member(user)
    await eventually(lambda: has_left(harness, user.id), interval=0.02, attempts=250)
    left = await stored_member(harness, user.id)
    assert left.id == row.id  # the row is kept, not deleted

    guild.add_member(user)
    await eventually(lambda: is_present(harness, user.id), interval=0.02, attempts=250)
    back = await stored_member(harness, user.id)
    assert back.id == row.id and back.left_at is None
    assert back.joined_at > row.joined_at


async def test_history_is_kept_across_leaving_and_rejoining(harness: Harness) -> None:
    from tests.e2e.helpers import add_organisations, history_of

    await add_organisations(harness, "WaterAid")
    guild = harness.community.guild
    member = harness.community.member("tom.becker")
    await harness.sandbox.slash(
        member, harness.general, "profile set", organisation="WaterAid", level="local"
    )
    guild.remove_member(member)
    await eventually(lambda: has_left(harness, member.id), interval=0.02, attempts=250)
    guild.add_member(member.user)
    await eventually(lambda: is_present(harness, member.id), interval=0.02, attempts=250)
    assert await history_of(harness, member.id) == [("WaterAid", True)]
    assert (await stored_member(harness, member.id)).level == "local"


async def test_other_bots_are_not_registered(harness: Harness) -> None:
    other = harness.sandbox.create_bot("otherbot")
    harness.community.guild.add_bot(other)
    canary = harness.sandbox.create_user("canary")
    harness.community.guild.add_member(canary)  # events arrive in order: this one comes after
    await eventually(lambda: is_present(harness, canary.id), interval=0.02, attempts=250)
    assert await stored_member(harness, other.user.id) is None


async def test_leaves_and_joins_while_the_bot_was_down_are_caught_up(harness: Harness) -> None:
    guild = harness.community.guild
    leaver = harness.community.member("erik.larsen")
    await eventually(lambda: is_present(harness, leaver.id), interval=0.02, attempts=250)
    await harness.stop_bot()
    guild.remove_member(leaver)
    newcomer = harness.sandbox.create_user("new.person", global_name="New Person")
    guild.add_member(newcomer)
    await harness.start_bot()
    await eventually(lambda: has_left(harness, leaver.id), interval=0.02, attempts=250)
    await eventually(lambda: is_present(harness, newcomer.id), interval=0.02, attempts=250)
    assert (await stored_member(harness, leaver.id)).display_name == "Erik Larsen"  # kept


async def test_a_return_while_the_bot_was_down_is_caught_up(harness: Harness) -> None:
    guild = harness.community.guild
    member = harness.community.member("ana.pereira")
    await eventually(lambda: is_present(harness, member.id), interval=0.02, attempts=250)
    guild.remove_member(member)
    await eventually(lambda: has_left(harness, member.id), interval=0.02, attempts=250)
    await harness.stop_bot()
    guild.add_member(member.user)
    await harness.start_bot()
    await eventually(lambda: is_present(harness, member.id), interval=0.02, attempts=250)


async def test_a_nickname_change_renames_the_member(harness: Harness) -> None:
    guild = harness.community.guild
    member = harness.community.member("sofia.rossi")
    await eventually(lambda: is_present(harness, member.id), interval=0.02, attempts=250)
    guild.set_member_nick(member, "Sofia R.")  # GUILD_MEMBER_UPDATE with the new nick

    async def renamed() -> bool:
        return (await stored_member(harness, member.id)).display_name == "Sofia R."

    await eventually(renamed, interval=0.02, attempts=250)
