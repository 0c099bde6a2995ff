"""/org through the real bot and the sandbox: right role, wrong role, good and bad input."""

from __future__ import annotations

from typing import Any

from bot.membership.names import name_key
from bot.sandbox import Member
from bot.sandbox.interactions import SandboxInteraction
from cogs.org import _within
from storage import members, organisations
from tests.e2e.harness import Harness, forget_option_limits
from tests.e2e.helpers import audit_actions, buttons


async def org(
    harness: Harness, actor: Member, command: str, /, **options: Any
) -> SandboxInteraction:
    return await harness.sandbox.slash(actor, harness.general, f"org {command}", **options)


async def create(harness: Harness, name: str, **options: Any) -> SandboxInteraction:
    options = {"stakeholder": "research", "level": "national", **options}
    return await org(harness, harness.moderator, "create", name=name, **options)


async def stored(harness: Harness, name: str):
    async with harness.db.session() as session:
        return await organisations.organisation_by_key(
            session, harness.community.guild.id, name_key(name)
        )


async def all_names(harness: Harness) -> list[str]:
    async with harness.db.session() as session:
        return await organisations.organisation_names(session, harness.community.guild.id)


# --- create --------------------------------------------------------------------------------------


async def test_a_moderator_creates_an_organisation(harness: Harness) -> None:
    await harness.set_staff_roles()
    itx = await create(
        harness,
        "  IRC   WASH ",
        stakeholder="research",
        level="international",
        country="Netherlands",
        website="ircwash.org",
        description="A think-and-do tank on water, sanitation and hygiene.",
    )
    assert itx.ephemeral
    text = itx.text()
    assert "Organisation created: IRC WASH" in text
    assert "Research" in text and "International" in text and "https://ircwash.org" in text
    organisation = await stored(harness, "irc wash")
    assert organisation is not None
    assert (organisation.name, organisation.stakeholder, organisation.level) == (
        "IRC WASH",
        "research",
        "international",
    )
    assert organisation.created_by == harness.moderator.id
    assert "organisation.create" in await audit_actions(harness)


async def test_a_plain_member_cannot_create_edit_admit_lapse_or_name_representatives(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    await create(harness, "WaterAid", stakeholder="civil society")
    await org(harness, harness.moderator, "admit", name="WaterAid")
    before = await audit_actions(harness)
    member = harness.plain_member
    attempts = [
        ("create", {"name": "Akvo", "stakeholder": "private sector", "level": "international"}),
        ("edit", {"name": "WaterAid", "country": "Ghana"}),
        ("admit", {"name": "WaterAid", "status": "applicant"}),
        ("lapse", {"name": "WaterAid"}),
        ("representative", {"name": "WaterAid", "member": member, "primary": True}),
    ]
    for command, options in attempts:
        itx = await org(harness, member, command, **options)
        assert itx.ephemeral, command
        assert "Only moderators can use this command." in itx.text(), command
        assert f"<@&{harness.community.moderators_role.id}>" in itx.text(), command
    assert await all_names(harness) == ["WaterAid"]
    wateraid = await stored(harness, "WaterAid")
    assert wateraid is not None and wateraid.country is None
    async with harness.db.session() as session:
        assert wateraid.id is not None
        status = await organisations.current_cop_status(session, wateraid.id)
        assert status is not None and status.status == "member"
        assert await organisations.current_representatives(session, wateraid.id) == []
    assert await audit_actions(harness) == before


async def test_one_name_regardless_of_case_accents_and_spacing(harness: Harness) -> None:
    await harness.set_staff_roles()
    assert "Organisation created: IRC" in (await create(harness, "IRC")).text()
    for variant in [" irc", "Írc", "IRC  "]:
        itx = await create(harness, variant)
        assert itx.ephemeral
        assert "There is already an organisation called **IRC**" in itx.text(), variant
        assert "ignoring case, accents and spacing" in itx.text()
    assert await all_names(harness) == ["IRC"]


async def test_a_near_duplicate_names_the_existing_one_and_can_be_overridden(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    await create(harness, "WaterAid", stakeholder="civil society")
    itx = await create(harness, "Water Aid", stakeholder="civil society")
    text = itx.text()
    assert "looks like **WaterAid**" in text and "Did you mean it?" in text
    assert "distinct:True" in text
    assert await all_names(harness) == ["WaterAid"]
    itx = await create(harness, "WaterAid Uganda", stakeholder="civil society", distinct=True)
    assert "Organisation created: WaterAid Uganda" in itx.text()
    assert await all_names(harness) == ["WaterAid", "WaterAid Uganda"]


async def test_bad_input_is_explained_and_nothing_is_created(harness: Harness) -> None:
    await harness.set_staff_roles()
    forget_option_limits(harness.sandbox)  # over-long text reaches the bot's own checks
    cases = [
        ({"name": "Akvo", "description": "x" * 1001}, "the most is 1000"),
        ({"name": "Akvo", "website": "not a website"}, "does not look like a web address"),
        ({"name": "Akvo", "website": "garbage"}, "does not look like a web address"),
        ({"name": "A" * 101}, "the most is 100"),
        ({"name": "   "}, "Nothing in `name` can be seen"),
        ({"name": "Akvo", "country": "C" * 61}, "the most is 60"),
    ]
    for options, expected in cases:
        itx = await create(harness, **options)
        assert itx.ephemeral
        assert "That did not work" in itx.text()
        assert expected in itx.text(), (options, itx.text())
    assert await all_names(harness) == []
    assert await audit_actions(harness) == ["settings.roles"]


# --- edit ----------------------------------------------------------------------------------------


async def test_a_moderator_edits_and_renames_keeping_names_unique(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "SNV", website="snv.org", country="Netherlands")
    await create(harness, "Akvo", stakeholder="private sector")
    itx = await org(
        harness,
        harness.moderator,
        "edit",
        name="snv",
        new_name="SNV Netherlands Development Organisation",
        level="international",
        website="-",
    )
    assert itx.ephemeral
    text = itx.text()
    assert "Saved: SNV Netherlands Development Organisation" in text
    assert "**Level**: national → international" in text
    assert "**Website**: https://snv.org → —" in text
    organisation = await stored(harness, "snv netherlands development organisation")
    assert organisation is not None
    assert (organisation.level, organisation.website, organisation.country) == (
        "international",
        None,
        "Netherlands",
    )
    assert await stored(harness, "SNV") is None

    taken = await org(harness, harness.moderator, "edit", name="akvo", new_name=" AKVÖ ")
    assert "Saved: AKVÖ" in taken.text()  # a new spelling of its own name
    clash = await org(
        harness,
        harness.moderator,
        "edit",
        name="akvo",
        new_name="snv netherlands development organisation",
    )
    assert "There is already an organisation called **SNV Netherlands" in clash.text()
    nothing = await org(harness, harness.moderator, "edit", name="akvo")
    assert "Say what to change" in nothing.text()
    same = await org(harness, harness.moderator, "edit", name="akvo", stakeholder="private sector")
    assert "already has those values" in same.text()
    forget_option_limits(harness.sandbox)  # over-long text reaches the bot's own checks
    too_long = await org(harness, harness.moderator, "edit", name="akvo", description="y" * 2000)
    assert "the most is 1000" in too_long.text()
    akvo = await stored(harness, "akvo")
    assert akvo is not None and akvo.description is None
    assert (await audit_actions(harness)).count("organisation.edit") == 2


async def test_editing_an_unknown_organisation_suggests_the_one_meant(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "Aguaconsult", stakeholder="private sector")
    itx = await org(harness, harness.moderator, "edit", name="Aguaconsul", country="Portugal")
    assert itx.ephemeral
    assert "There is no organisation called **Aguaconsul** here." in itx.text()
    assert "Did you mean **Aguaconsult**?" in itx.text()


# --- show ----------------------------------------------------------------------------------------


async def test_show_tells_status_history_representatives_and_members(harness: Harness) -> None:
    await harness.set_staff_roles()
    c = harness.community
    await create(
        harness,
        "WaterAid",
        stakeholder="civil society",
        level="international",
        country="United Kingdom",
        description="Clean water, decent toilets and good hygiene for everyone.",
    )
    mod = harness.moderator
    assert (
        "recorded as an applicant"
        in (await org(harness, mod, "admit", name="wateraid", status="applicant")).text()
    )
    assert (
        "now a member of the CoP (it was applicant)"
        in (await org(harness, mod, "admit", name="wateraid")).text()
    )
    people = c.organisations["WaterAid"]
    for person in people:
        assert (
            "You joined **WaterAid**"
            in (await org(harness, person, "join", name="WATERAID")).text()
        )
    await org(harness, mod, "representative", name="wateraid", member=people[1], primary=True)
    await org(harness, mod, "representative", name="wateraid", member=people[2])

    itx = await org(harness, harness.plain_member, "show", name="Wáteraid")
    assert itx.ephemeral
    [embed] = itx.embeds
    assert embed["title"] == "WaterAid"
    assert embed["description"].startswith("Clean water")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Stakeholder group"] == "Civil society"
    assert fields["Level"] == "International"
    assert fields["Country"] == "United Kingdom"
    cop = fields["CoP membership"]
    assert cop.startswith("**Member** since <t:")
    assert "Applicant from <t:" in cop
    assert "through it" in cop
    reps = fields["Representatives"].splitlines()
    assert reps[0].startswith(f"<@{people[1].id}> (primary) since <t:")
    assert reps[1].startswith(f"<@{people[2].id}> since")
    members_field = fields[f"Members ({len(people)})"]
    for person in people:
        assert person.display_name in members_field


async def test_show_without_status_says_people_belong_on_their_own(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "JICA", stakeholder="donor", level="international")
    itx = await org(harness, harness.plain_member, "show", name="jica")
    text = itx.text()
    assert "Not a member of the CoP; its people belong to the CoP on their own." in text
    assert "None named yet" in text and "Nobody has joined it yet" in text


async def test_show_of_an_unknown_organisation_suggests_a_name(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "Kenya Water Institute")
    itx = await org(harness, harness.plain_member, "show", name="Kenya Watr Institute")
    assert itx.ephemeral
    assert "Did you mean **Kenya Water Institute**?" in itx.text()
    itx = await org(harness, harness.plain_member, "show", name="Zzz")
    assert "See `/org list`" in itx.text()


def test_long_member_lists_end_with_and_n_more() -> None:
    names = [f"Person number {i:03d}" for i in range(200)]
    text = _within(names)
    assert len(text) <= 1024
    shown = text.split(" and ")[0].split(", ")
    assert text.endswith(f" and {200 - len(shown)} more")
    assert _within(["Ann", "Bo"]) == "Ann, Bo"


# --- list and its pages --------------------------------------------------------------------------


async def seed(harness: Harness, count: int, stakeholder: str = "research") -> list[str]:
    names = [f"Organisation {i:02d}" for i in range(1, count + 1)]
    for name in names:
        await harness.bot.organisations.create_organisation(
            harness.community.guild.id,
            harness.community.guild.name,
            actor_id=harness.owner.id,
            name=name,
            stakeholder=stakeholder,
            level="local",
            distinct=True,
        )
    return names


async def test_list_pages_with_buttons_that_survive_a_restart(harness: Harness) -> None:
    names = await seed(harness, 23)
    itx = await org(harness, harness.plain_member, "list")
    assert itx.ephemeral
    message = itx.original
    assert message is not None
    [embed] = itx.embeds
    assert "Page 1 of 3 · 23 organisations" in embed["footer"]["text"]
    assert (
        "Organisation 01" in embed["description"] and "Organisation 11" not in embed["description"]
    )
    shown = buttons(message)
    assert shown["◀ Previous"].get("disabled") and not shown["Next ▶"].get("disabled")
    assert all(len(b["custom_id"]) <= 100 for b in shown.values())

    click = await harness.sandbox.click(harness.plain_member, message, shown["Next ▶"]["custom_id"])
    assert click.response_type == 7  # the message is edited, not a new one
    [embed] = message.embeds
    assert "Page 2 of 3" in embed["footer"]["text"]
    assert "Organisation 11" in embed["description"]
    assert "Organisation 10" not in embed["description"]

    await harness.restart_bot()

    click = await harness.sandbox.click(
        harness.plain_member, message, buttons(message)["Next ▶"]["custom_id"]
    )
    assert click.response_type == 7
    [embed] = message.embeds
    assert "Page 3 of 3" in embed["footer"]["text"]
    assert embed["description"].count("**Organisation") == 3
    assert names[-1] in embed["description"]
    assert buttons(message)["Next ▶"].get("disabled")
    await harness.sandbox.click(
        harness.plain_member, message, buttons(message)["◀ Previous"]["custom_id"]
    )
    assert "Page 2 of 3" in message.embeds[0]["footer"]["text"]


async def test_list_filters_keep_through_the_pages(harness: Harness) -> None:
    await seed(harness, 12, stakeholder="government")
    await harness.set_staff_roles()
    await create(harness, "Akvo", stakeholder="private sector", level="local")
    itx = await org(harness, harness.plain_member, "list", stakeholder="government", level="local")
    message = itx.original
    assert message is not None
    assert message.embeds[0]["title"] == "Organisations (Government, Local)"
    assert "12 organisations" in message.embeds[0]["footer"]["text"]
    await harness.sandbox.click(
        harness.plain_member, message, buttons(message)["Next ▶"]["custom_id"]
    )
    [embed] = message.embeds
    assert "Page 2 of 2" in embed["footer"]["text"]
    assert "Akvo" not in embed["description"]
    assert embed["title"] == "Organisations (Government, Local)"

    short = await org(harness, harness.plain_member, "list", stakeholder="private sector")
    assert short.original is not None and buttons(short.original) == {}
    assert "**Akvo** — Private sector, Local · not a CoP member · 0 people" in short.text()
    none = await org(harness, harness.plain_member, "list", stakeholder="donor")
    assert "No organisation matches these filters." in none.text()


async def test_a_page_button_of_a_shrunk_listing_shows_the_last_page(harness: Harness) -> None:
    await seed(harness, 11)
    itx = await org(harness, harness.plain_member, "list")
    message = itx.original
    assert message is not None
    next_id = buttons(message)["Next ▶"]["custom_id"]
    # Another listing (say, with a filter that now matches fewer) could point past the end.
    far = next_id.replace(":2:", ":9:")
    message.components[0]["components"][1]["custom_id"] = far
    await harness.sandbox.click(harness.plain_member, message, far)
    assert "Page 2 of 2" in message.embeds[0]["footer"]["text"]


# --- join and leave ------------------------------------------------------------------------------


async def test_members_join_change_and_leave_organisations(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "SNV", stakeholder="civil society")
    await create(harness, "Akvo", stakeholder="private sector")
    changed: list[tuple[int, int]] = []

    async def on_member_profile_changed(guild: Any, user_id: int) -> None:
        changed.append((guild.id, user_id))

    harness.bot.add_listener(on_member_profile_changed)
    person = harness.plain_member
    guild_id = harness.community.guild.id
    itx = await org(harness, person, "join", name="snv")
    assert itx.ephemeral and "You joined **SNV**." in itx.text()
    again = await org(harness, person, "join", name="SNV ")
    assert "You already belong to **SNV**; nothing changed." in again.text()
    moved = await org(harness, person, "join", name="akvo")
    assert "You left **SNV** and joined **Akvo**." in moved.text()
    unknown = await org(harness, person, "join", name="Akvoo")
    assert "Did you mean **Akvo**?" in unknown.text()
    left = await org(harness, person, "leave")
    assert "You left **Akvo**." in left.text()
    nothing = await org(harness, person, "leave")
    assert "nothing to leave" in nothing.text()
    await harness.sandbox.wait_until(lambda: len(changed) >= 3)
    assert changed == [(guild_id, person.id)] * 3

    async with harness.db.session() as session:
        member = await members.get_member(session, guild_id, person.id)
        assert member is not None and member.id is not None
        history = await members.membership_history(session, member.id)
    assert [(o.name, m.ended_at is not None) for m, o in history] == [
        ("SNV", True),
        ("Akvo", True),
    ]
    actions = await audit_actions(harness)
    assert actions.count("organisation.join") == 2 and actions.count("organisation.leave") == 1


# --- admit and lapse -----------------------------------------------------------------------------


async def test_admit_and_lapse_keep_the_status_history(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "Eau Vive", stakeholder="civil society")
    mod = harness.moderator
    refused = await org(harness, mod, "lapse", name="eau vive")
    assert "is not a member of the CoP (has never been admitted)" in refused.text()
    assert "now a member of the CoP." in (await org(harness, mod, "admit", name="EAU VIVE")).text()
    noop = await org(harness, mod, "admit", name="eau vive")
    assert "**Eau Vive** is already a member of the CoP (since <t:" in noop.text()
    assert "nothing changed" in noop.text()
    not_back = await org(harness, mod, "admit", name="eau vive", status="applicant")
    assert "cannot become an applicant" in not_back.text()
    assert "has lapsed" in (await org(harness, mod, "lapse", name="eau vive")).text()
    assert "already lapsed" in (await org(harness, mod, "lapse", name="eau vive")).text()
    readmit = await org(harness, mod, "admit", name="eau vive")
    assert "now a member of the CoP (it was lapsed)." in readmit.text()
    unknown = await org(harness, mod, "admit", name="Eau Viva")
    assert "Did you mean **Eau Vive**?" in unknown.text()

    organisation = await stored(harness, "eau vive")
    assert organisation is not None and organisation.id is not None
    async with harness.db.session() as session:
        history = await organisations.cop_status_history(session, organisation.id)
    assert [(h.status, h.ended_at is None) for h in history] == [
        ("member", False),
        ("lapsed", False),
        ("member", True),
    ]
    assert all(h.changed_by == mod.id for h in history)
    assert (await audit_actions(harness)).count("organisation.cop_status") == 3
    show = await org(harness, harness.plain_member, "show", name="eau vive")
    cop = {f["name"]: f["value"] for f in show.embeds[0]["fields"]}["CoP membership"]
    assert "Lapsed from <t:" in cop and "Member from <t:" in cop


# --- representatives -----------------------------------------------------------------------------


async def test_representatives_primary_replacement_and_removal(harness: Harness) -> None:
    await harness.set_staff_roles()
    c = harness.community
    await create(harness, "IRC WASH", level="international")
    mod = harness.moderator
    priya, sofia, miriam = c.organisations["IRC WASH"]
    for person in (priya, sofia):
        await org(harness, person, "join", name="irc wash")
    first = await org(harness, mod, "representative", name="irc", member=priya, primary=True)
    assert "There is no organisation called **irc**" in first.text()  # validated, not guessed
    first = await org(harness, mod, "representative", name="irc wash", member=priya, primary=True)
    assert f"<@{priya.id}> now speaks for **IRC WASH** as its primary representative." in (
        first.text()
    )
    second = await org(harness, mod, "representative", name="irc wash", member=sofia, primary=True)
    assert f"<@{priya.id}> remains a representative, no longer the primary." in second.text()
    third = await org(harness, mod, "representative", name="irc wash", member=miriam)
    assert f"<@{miriam.id}> has not joined **IRC WASH**" in third.text()
    same = await org(harness, mod, "representative", name="irc wash", member=miriam)
    assert "already speaks for **IRC WASH**; nothing changed." in same.text()
    removed = await org(harness, mod, "representative", name="irc wash", member=priya, remove=True)
    assert f"<@{priya.id}> no longer speaks for **IRC WASH**." in removed.text()

    show = await org(harness, harness.plain_member, "show", name="irc wash")
    reps = {f["name"]: f["value"] for f in show.embeds[0]["fields"]}["Representatives"]
    assert reps.splitlines()[0].startswith(f"<@{sofia.id}> (primary)")
    assert str(priya.id) not in reps and str(miriam.id) in reps
    actions = await audit_actions(harness)
    assert actions.count("organisation.representative.add") == 3
    assert actions.count("organisation.representative.remove") == 1


async def test_a_bot_or_someone_outside_the_server_cannot_represent(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create(harness, "Akvo", stakeholder="private sector")
    bot_member = harness.community.guild.get_member(harness.community.bot.user.id)
    assert bot_member is not None
    itx = await org(harness, harness.moderator, "representative", name="akvo", member=bot_member)
    assert itx.ephemeral and "a bot cannot speak for an organisation" in itx.text()
    outsider = harness.sandbox.create_user("visitor", global_name="Visitor")
    itx = await org(harness, harness.moderator, "representative", name="akvo", member=outsider)
    assert "is not in this server" in itx.text()
    organisation = await stored(harness, "akvo")
    assert organisation is not None and organisation.id is not None
    async with harness.db.session() as session:
        assert await organisations.current_representatives(session, organisation.id) == []


# --- autocomplete --------------------------------------------------------------------------------


async def test_name_autocomplete_offers_the_communitys_organisations(harness: Harness) -> None:
    await seed(harness, 30)
    await harness.set_staff_roles()
    await create(harness, "Agua para Todos", stakeholder="civil society")
    await create(harness, "Aguaconsult", stakeholder="private sector")
    for command in ["show", "join", "edit", "admit", "lapse"]:
        itx = await harness.sandbox.autocomplete(
            harness.moderator, harness.general, f"org {command}", focused="name", name="agua"
        )
        assert [c["value"] for c in itx.choices or []] == ["Agua para Todos", "Aguaconsult"]
    itx = await harness.sandbox.autocomplete(
        harness.plain_member, harness.general, "org show", focused="name", name=""
    )
    assert len(itx.choices or []) == 25
    itx = await harness.sandbox.autocomplete(
        harness.plain_member, harness.general, "org show", focused="name", name="Águacnsult"
    )
    assert [c["value"] for c in itx.choices or []][:1] == ["Aguaconsult"]
