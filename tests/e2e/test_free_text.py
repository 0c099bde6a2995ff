"""Every free-text option of every slash command, found by walking the commands the bot
registered, and the modals' text inputs: text that shows nothing, control characters and
over-long text get an ephemeral refusal naming the option, and the database does not change.

Control characters are refused, not removed: a member sees what was wrong and retypes it, and a
NUL never reaches the database (PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.cafe.service import MAX_NOTE
from bot.sandbox import Member
from bot.sandbox.actors import ATTACHMENT, BOOLEAN, CHANNEL, INTEGER, MENTIONABLE, ROLE, STRING
from bot.sandbox.actors import USER as USER_OPTION
from bot.sandbox.errors import SandboxError
from bot.sandbox.models import walk_components
from storage import cafes
from storage.types import utc_now
from tests.e2e.harness import Harness, forget_option_limits
from tests.e2e.helpers import (
    add,
    answered,
    cafe_cmd,
    card_of,
    create_cafe,
    custom_ids,
    database_rows,
    number_in,
    people,
    ready,
    register_caught_up,
    review_channel,
    sign_up,
    submit,
    table_threads,
)

INVISIBLE_ONLY = "\u200b\u200c\u200d\ufeff"
CONTROL_CHARACTERS = ("\x00", "\x07", "\x1b[31m")
SHOWS_NOTHING = "can be seen"
CONTROL = "There is a control character"

# A value that works, by option name ("command option" first, for names several commands use).
GOOD_TEXT = {
    "settings timezone name": "Europe/Amsterdam",
    "org create name": "Aguaconsult",
    "title": "Funding knowledge",
    "questions": "How do we fund knowledge management?",
    "text": "How do we share what we learn?",
    "theme": "Funding",
    "when": "daily 09:00",
    "name": "Akvo",
    "new_name": "Akvo Foundation",
    "message": "Ten minutes left",
    "country": "Ghana",
    "website": "akvo.org",
    "description": "Open data tools",
    "organisation": "Akvo",
    "expertise": "sanitation",
    "reason": "We asked this last month",
    "repeat": "weekly tue 14:00",
    "timezone": "Europe/Amsterdam",
    "since": "2026-01-01",
    "platform": "Kenya WASH",
    "code": "copbot-link-AAAAAAAAAAAAAAAAAAAAAAAA",
    "message_link": "https://discord.com/channels/1/2/3",
}


def free_text_options(harness: Harness) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """(command path, the options beside it, the option) for every string option without
    choices of every slash command the bot registered, globally or for the server."""
    found = []

    def walk(path: str, options: list[dict[str, Any]]) -> None:
        if any(option["type"] in (1, 2) for option in options):
            for sub in options:
                walk(f"{path} {sub['name']}", sub.get("options") or [])
            return
        for option in options:
            if option["type"] == STRING and not option.get("choices"):
                found.append((path, options, option))

    for guild in (None, harness.community.guild):
        for command in harness.sandbox.commands(guild):
            if int(command.get("type", 1)) == 1:
                walk(command["name"], command.get("options") or [])
    return found


class Setup:
    """What the commands need to succeed: an organisation, questions, a schedule, a café."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.ids: dict[str, int] = {}

    async def make(self) -> None:
        harness = self.harness
        await ready(harness)
        made = await harness.sandbox.slash(
            harness.moderator,
            harness.general,
            "org create",
            name="Akvo",
            stakeholder="civil society",
            level="national",
        )
        assert "Organisation created" in made.text(), made.text()
        self.ids["approved"] = await add(harness, "How do we fund knowledge management?")
        self.ids["pending"] = await submit(
            harness, harness.plain_member, "Who pays for the sharing of lessons?"
        )
        scheduled = await harness.sandbox.slash(
            harness.moderator,
            harness.community.channels["questions"],
            "prompt schedule",
            channel=harness.community.channels["questions"],
            when="weekly mon 09:00",
            theme="Funding",
        )
        assert "saved" in scheduled.text(), scheduled.text()
        self.ids["schedule"] = number_in(scheduled.text())
        self.ids["cafe"] = (await create_cafe(harness)).id or 0
        await register_caught_up(harness)

    def value(self, path: str, option: dict[str, Any]) -> Any:
        """A value that works for ``option`` of ``/path``."""
        name, kind = option["name"], option["type"]
        harness = self.harness
        if option.get("choices"):
            return option["choices"][0]["value"]
        if kind == STRING:
            return GOOD_TEXT.get(f"{path} {name}", GOOD_TEXT.get(name))
        if kind == INTEGER:
            if name == "id" and path in ("prompt pause", "prompt resume", "prompt unschedule"):
                return self.ids["schedule"]
            if name == "id" and path in ("prompt approve", "prompt reject"):
                return self.ids["pending"]
            if name == "id":
                return self.ids["approved"]
            return {"cafe": self.ids["cafe"], "rounds": 3, "round_minutes": 20}.get(name, 5)
        if kind == BOOLEAN:
            return False
        if kind in (USER_OPTION, MENTIONABLE):
            return harness.plain_member
        if kind == ROLE:
            return harness.community.moderators_role
        if kind == CHANNEL:
            return harness.community.channels["questions"]
        raise AssertionError(f"/{path} {name}: no value known for options of type {kind}")

    def others(self, path: str, beside: list[dict[str, Any]], option: dict[str, Any]) -> dict:
        """Values for the other required options of ``/path``."""
        values = {}
        for other in beside:
            if other is option or not other.get("required"):
                continue
            assert other["type"] != ATTACHMENT, f"/{path} needs a file beside a text option"
            value = self.value(path, other)
            assert value is not None, f"/{path} {other['name']}: add a good value to GOOD_TEXT"
            values[other["name"]] = value
        return values


async def refused_and_nothing_stored(
    harness: Harness, actor: Member, path: str, values: dict[str, Any], expected: str, name: str
) -> None:
    before = await database_rows(harness)
    itx = await harness.sandbox.slash(actor, harness.general, path, timeout=15.0, _options=values)
    await harness.handled()
    shown = repr(values[name])
    assert itx.ephemeral, (path, shown, itx.text())
    assert expected in itx.text() and f"`{name}`" in itx.text(), (path, shown, itx.text())
    assert await database_rows(harness) == before, (path, shown)


async def test_every_free_text_option_refuses_invisible_control_and_overlong_text(
    harness: Harness,
) -> None:
    setup = Setup(harness)
    await setup.make()
    options = free_text_options(harness)
    assert {f"{path} {option['name']}" for path, _, option in options} >= {
        "org create name",
        "prompt add theme",
        "cafe create title",
        "cafe create questions",
        "cafe note text",
        "cafe broadcast message",
        "settings timezone name",
    }
    owner = harness.owner  # every command is open to the server's owner
    # Discord is told every limit, and refuses longer text itself.
    for path, beside, option in options:
        name = option["name"]
        assert option.get("max_length"), f"/{path} {name} declares no length limit to Discord"
        too_long = {**setup.others(path, beside, option), name: "x" * (option["max_length"] + 1)}
        with pytest.raises(SandboxError, match="length out of bounds"):
            await harness.sandbox.slash(owner, harness.general, path, _options=too_long)

    limits = {(path, option["name"]): option["max_length"] for path, _, option in options}
    forget_option_limits(harness.sandbox)  # as commands synced by an older version
    for path, beside, option in options:
        name = option["name"]
        others = setup.others(path, beside, option)
        await refused_and_nothing_stored(
            harness, owner, path, {**others, name: INVISIBLE_ONLY}, SHOWS_NOTHING, name
        )
        good = setup.value(path, option)
        for control in CONTROL_CHARACTERS:
            await refused_and_nothing_stored(
                harness, owner, path, {**others, name: f"{good}{control}"}, CONTROL, name
            )
        limit = limits[(path, name)]
        await refused_and_nothing_stored(
            harness,
            owner,
            path,
            {**others, name: "x" * (limit + 1)},
            f"the most is {limit}",
            name,
        )


async def test_the_tablecloth_modal_keeps_lines_and_refuses_what_shows_nothing(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, tables=2)
    members = people(harness, 6)
    await sign_up(harness, members)
    assert "has started" in await answered(await cafe_cmd(harness, harness.moderator, "start"))
    await register_caught_up(harness)
    table = table_threads(harness, 1)[0]
    briefing = table.messages[0]
    seated = harness.community.guild.get_member(briefing.mentions[0].id)
    assert seated is not None
    button = custom_ids(briefing)["Add to tablecloth"]
    opened = await harness.sandbox.click(seated, briefing, button)
    assert opened.modal is not None
    inputs = walk_components(opened.modal["components"])
    field = next(c for c in inputs if c.get("custom_id") == "note")
    assert field["max_length"] == MAX_NOTE  # Discord's client holds the note to the limit

    async def submit_note(text: str) -> str:
        opened = await harness.sandbox.click(seated, briefing, button)
        before = await database_rows(harness)
        submitted = await harness.sandbox.submit_modal(seated, opened, {"note": text})
        assert submitted.ephemeral, submitted.text()
        if "Added to the tablecloth" not in submitted.text():
            assert await database_rows(harness) == before
        return submitted.text()

    assert "Nothing in the note can be seen" in await submit_note(INVISIBLE_ONLY)
    for control in CONTROL_CHARACTERS:
        assert "in the note, which Discord cannot show" in await submit_note(f"Idea{control}")
    assert "Added to the tablecloth" in await submit_note("Budget KM\n\tin every project")
    async with harness.db.session() as session:
        kept = [note.text for note in await cafes.notes_of(session, cafe.id or 0)]
    assert kept == ["Budget KM\n\tin every project"]


async def test_the_reject_modal_refuses_a_reason_that_shows_nothing(harness: Harness) -> None:
    channel = review_channel(harness)
    await ready(harness, review_channel=channel)
    question_id = await submit(harness, harness.plain_member, "Who pays for sharing lessons?")
    await register_caught_up(harness)
    card = card_of(channel, question_id)
    reject = next(cid for label, cid in custom_ids(card).items() if "Reject" in label)
    for reason, expected in (
        (INVISIBLE_ONLY, "Nothing in the reason can be seen"),
        ("Too close\x00to another", "in the reason, which Discord cannot show"),
    ):
        opened = await harness.sandbox.click(harness.moderator, card, reject)
        before = await database_rows(harness)
        submitted = await harness.sandbox.submit_modal(
            harness.moderator, opened, {"reason": reason}
        )
        await harness.handled()
        assert submitted.ephemeral and expected in submitted.text(), submitted.text()
        assert await database_rows(harness) == before


async def test_a_starts_at_years_away_is_refused(harness: Harness) -> None:
    await harness.set_staff_roles()
    far = (utc_now() + timedelta(days=4 * 366)).strftime("%Y-%m-%d 14:30")
    for starts_at in ("9999-12-31 23:59", far):
        itx = await cafe_cmd(
            harness,
            harness.moderator,
            "create",
            title="Far away",
            questions="Why plan so early?",
            rounds=1,
            round_minutes=20,
            starts_at=starts_at,
        )
        assert itx.ephemeral and "more than three years away" in itx.text(), itx.text()
    async with harness.db.session() as session:
        assert await cafes.list_cafes(session, harness.community.guild.id) == []
