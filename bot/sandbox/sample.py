"""A sample community of practice to rehearse with: the standalone sandbox and the demo use it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.sandbox.models import BotAccount, Channel, Guild, Member, Role, User
from bot.sandbox.permissions import P
from bot.sandbox.sandbox import Sandbox

BOT_PERMISSIONS = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.USE_EXTERNAL_EMOJIS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.MANAGE_THREADS
    | P.MANAGE_MESSAGES
    | P.MANAGE_ROLES
    | P.PIN_MESSAGES
)

MODERATOR_PERMISSIONS = P.MANAGE_MESSAGES | P.MANAGE_THREADS | P.MODERATE_MEMBERS | P.KICK_MEMBERS

# (username, display name, organisation, role) -- role: "mod", "coord" or ""
PEOPLE: list[tuple[str, str, str, str]] = [
    ("nkosi.dlamini", "Nkosi Dlamini", "WaterAid", "mod"),
    ("priya.raman", "Priya Raman", "IRC WASH", "mod"),
    ("joao.mendes", "João Mendes", "Aguaconsult", "coord"),
    ("fatima.ouedraogo", "Fatima Ouédraogo", "Ministry of Water, Burkina Faso", "coord"),
    ("lena.vogel", "Lena Vogel", "SNV", ""),
    ("samuel.okello", "Samuel Okello", "Ministry of Water and Environment, Uganda", ""),
    ("maria.lopez", "María López", "Agua para Todos", ""),
    ("tendai.moyo", "Tendai Moyo", "WaterAid", ""),
    ("ahmed.hassan", "Ahmed Hassan", "UNICEF WASH", ""),
    ("sofia.rossi", "Sofia Rossi", "IRC WASH", ""),
    ("kwame.mensah", "Kwame Mensah", "Community Water and Sanitation Agency, Ghana", ""),
    ("aisha.bello", "Aisha Bello", "WaterAid", ""),
    ("tom.becker", "Tom Becker", "Akvo", ""),
    ("ngozi.eze", "Ngozi Eze", "UNICEF WASH", ""),
    ("rahul.sharma", "Rahul Sharma", "Water.org", ""),
    ("claire.dubois", "Claire Dubois", "Eau Vive", ""),
    ("daniel.kimani", "Daniel Kimani", "Kenya Water Institute", ""),
    ("emma.jansen", "Emma Jansen", "SNV", ""),
    ("hiroshi.tanaka", "Hiroshi Tanaka", "JICA", ""),
    ("grace.banda", "Grace Banda", "Ministry of Water and Sanitation, Malawi", ""),
    ("lucas.silva", "Lucas Silva", "Aguaconsult", ""),
    ("miriam.tesfaye", "Miriam Tesfaye", "IRC WASH", ""),
    ("oliver.smith", "Oliver Smith", "Water.org", ""),
    ("yaw.boateng", "Yaw Boateng", "Community Water and Sanitation Agency, Ghana", ""),
    ("ines.garcia", "Inés García", "Agua para Todos", ""),
    ("peter.njoroge", "Peter Njoroge", "Kenya Water Institute", ""),
    ("hannah.muller", "Hannah Müller", "Akvo", ""),
    ("moussa.traore", "Moussa Traoré", "Eau Vive", ""),
    ("chloe.martin", "Chloé Martin", "UNICEF WASH", ""),
    ("bilal.khan", "Bilal Khan", "WaterAid", ""),
    ("zainab.sesay", "Zainab Sesay", "Ministry of Water Resources, Sierra Leone", ""),
    ("erik.larsen", "Erik Larsen", "SNV", ""),
    ("ana.pereira", "Ana Pereira", "Aguaconsult", ""),
]


@dataclass
class SampleCommunity:
    guild: Guild
    bot: BotAccount
    owner: User
    moderators_role: Role
    coordinators_role: Role
    channels: dict[str, Channel]
    members: list[Member]
    organisations: dict[str, list[Member]] = field(default_factory=dict)

    def member(self, username: str) -> Member:
        return self.guild.member_named(username)

    @property
    def owner_member(self) -> Member:
        return self.guild.member_named(self.owner.name)

    def with_roles(self, *roles: Role) -> Member:
        """The first member (not the owner, not a bot) whose roles are exactly ``roles``."""
        wanted = {role.id for role in roles}
        for member in self.members:
            if member.user.bot or member.user.id == self.owner.id:
                continue
            if member.user.id in self.guild.members and {r.id for r in member.roles} == wanted:
                return member
        names = ", ".join(role.name for role in roles) or "no roles"
        raise LookupError(f"{self.guild.name} has no member with exactly: {names}")

    @property
    def moderator(self) -> Member:
        return self.with_roles(self.moderators_role)

    @property
    def coordinator(self) -> Member:
        return self.with_roles(self.coordinators_role)

    @property
    def plain_member(self) -> Member:
        return self.with_roles()


def build_sample_community(sandbox: Sandbox, bot_name: str = "copbot") -> SampleCommunity:
    """The "Water & Sanitation CoP": an owner, moderators, coordinators, ~30 members, a bot."""
    owner = sandbox.create_user("amina.diallo", global_name="Amina Diallo")
    guild = sandbox.create_guild("Water & Sanitation CoP", owner=owner)
    moderators, coordinators = _staff_roles(guild)
    channels = {"general": guild.channel("general")}
    channels["cafe"] = guild.create_text_channel("cafe", topic="World Café rounds")
    channels["questions"] = guild.create_text_channel("questions", topic="Questions of the week")
    bot = sandbox.create_bot(bot_name)
    guild.add_bot(bot, permissions=BOT_PERMISSIONS)
    return _populate(sandbox, guild, bot, moderators, coordinators, channels, PEOPLE)


def _staff_roles(guild: Guild) -> tuple[Role, Role]:
    moderators = guild.create_role(
        "Moderators",
        permissions=MODERATOR_PERMISSIONS,
        color=0x2E86C1,
        hoist=True,
        mentionable=True,
    )
    coordinators = guild.create_role("Coordinators", color=0x28B463, hoist=True, mentionable=True)
    return moderators, coordinators


def _populate(
    sandbox: Sandbox,
    guild: Guild,
    bot: BotAccount,
    moderators: Role,
    coordinators: Role,
    channels: dict[str, Channel],
    people: Sequence[tuple[str, str, str, str]],
) -> SampleCommunity:
    """The owner and ``people`` (username, display name, organisation, "mod"/"coord"/"") as
    members of ``guild``; the owner counts for the server's secretariat."""
    owner = guild.owner
    assert owner is not None
    owner_member = guild.get_member(owner.id)
    assert owner_member is not None
    members = [owner_member]
    organisations: dict[str, list[Member]] = {f"{guild.name} secretariat": [owner_member]}
    for username, display, organisation, role in people:
        user = sandbox.create_user(username, global_name=display)
        roles = {"mod": [moderators], "coord": [coordinators]}.get(role, [])
        member = guild.add_member(user, roles=roles)
        members.append(member)
        organisations.setdefault(organisation, []).append(member)
    return SampleCommunity(
        guild, bot, owner, moderators, coordinators, channels, members, organisations
    )


def build_platform_server(
    sandbox: Sandbox,
    bot: BotAccount,
    name: str,
    *,
    owner_username: str,
    owner_display_name: str | None = None,
    people: Sequence[tuple[str, str, str, str]],
) -> SampleCommunity:
    """Another server of a learning alliance: its own owner, Moderators and Coordinators roles,
    channels ``general``, ``inbox`` and ``cafe``, ``people`` (as in :data:`PEOPLE`) as members,
    and the same bot application as the other servers."""
    owner = sandbox.create_user(owner_username, global_name=owner_display_name)
    guild = sandbox.create_guild(name, owner=owner)
    moderators, coordinators = _staff_roles(guild)
    channels = {"general": guild.channel("general")}
    channels["inbox"] = guild.create_text_channel("inbox", topic="What other platforms share")
    channels["cafe"] = guild.create_text_channel("cafe", topic="World Café rounds")
    guild.add_bot(bot, permissions=BOT_PERMISSIONS)  # after the roles: its role is the highest
    return _populate(sandbox, guild, bot, moderators, coordinators, channels, people)


def build_small_server(sandbox: Sandbox, bot: BotAccount, name: str) -> SampleCommunity:
    """A cheap server (many of them for pacing tests): an owner, Moderators and (empty)
    Coordinators roles, one moderator, ``general`` and ``inbox``, the bot."""
    handle = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:20] or "server"
    owner = sandbox.create_user(f"{handle}.owner", global_name=f"Owner of {name}"[:32])
    guild = sandbox.create_guild(name, owner=owner)
    moderators, coordinators = _staff_roles(guild)
    channels = {"general": guild.channel("general")}
    channels["inbox"] = guild.create_text_channel("inbox")
    guild.add_bot(bot, permissions=BOT_PERMISSIONS)
    people = [(f"{handle}.moderator", f"Moderator of {name}"[:32], name, "mod")]
    return _populate(sandbox, guild, bot, moderators, coordinators, channels, people)


def build_many_servers(
    sandbox: Sandbox,
    bot: BotAccount,
    count: int,
    *,
    people_each: int = 3,
    name: str = "Community",
) -> list[SampleCommunity]:
    """``count`` servers for sharding and scale tests, named ``"{name} 001"`` and on: each with
    its own owner, Moderators and Coordinators roles, ``general`` and ``cafe``, the bot, and
    ``people_each`` members (the first a moderator, the second a coordinator, the rest plain).
    Guild ids are a millisecond apart, so consecutive servers go round the shards."""
    if count < 0 or people_each < 0:
        raise ValueError("count and people_each are not negative")
    width = max(3, len(str(count)))
    servers: list[SampleCommunity] = []
    for index in range(1, count + 1):
        label = f"{name} {index:0{width}d}"
        handle = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        owner = sandbox.create_user(f"{handle}.owner", global_name=f"Owner {index}"[:32])
        guild = sandbox.create_guild(label, owner=owner)
        moderators, coordinators = _staff_roles(guild)
        channels = {"general": guild.channel("general")}
        channels["cafe"] = guild.create_text_channel("cafe", topic="World Café rounds")
        guild.add_bot(bot, permissions=BOT_PERMISSIONS)
        people = [
            (
                f"{handle}.member{n}",
                f"Member {n} of {index}"[:32],
                f"Organisation {n % 4 + 1}",
                "mod" if n == 1 else "coord" if n == 2 else "",
            )
            for n in range(1, people_each + 1)
        ]
        servers.append(_populate(sandbox, guild, bot, moderators, coordinators, channels, people))
    return servers


# Two district platforms of a learning alliance, next to the sample community.
KISUMU_OWNER = ("achieng.otieno", "Achieng Otieno")
KISUMU_PEOPLE: list[tuple[str, str, str, str]] = [
    ("brian.ouma", "Brian Ouma", "Kisumu Water and Sanitation Company", "mod"),
    ("esther.akinyi", "Esther Akinyi", "Kisumu County Department of Water", "coord"),
    ("kevin.odhiambo", "Kevin Odhiambo", "Kisumu Water and Sanitation Company", ""),
    ("lilian.anyango", "Lilian Anyango", "Lake Victoria South Water Works", ""),
    ("george.okoth", "George Okoth", "Nyanza Community Water Trust", ""),
    ("mercy.atieno", "Mercy Atieno", "Kisumu County Department of Water", ""),
]
NAKURU_OWNER = ("wanjiru.kamau", "Wanjiru Kamau")
NAKURU_PEOPLE: list[tuple[str, str, str, str]] = [
    ("joseph.mwangi", "Joseph Mwangi", "Nakuru Water and Sanitation Services", "mod"),
    ("faith.chebet", "Faith Chebet", "Nakuru County Water Department", "coord"),
    ("dennis.kiprono", "Dennis Kiprono", "Rift Valley Water Works", ""),
    ("ruth.wambui", "Ruth Wambui", "Nakuru Water and Sanitation Services", ""),
    ("stephen.langat", "Stephen Langat", "Naivasha Water Users Association", ""),
    ("agnes.njeri", "Agnes Njeri", "Nakuru County Water Department", ""),
]


@dataclass
class Alliance:
    """A learning alliance: the sample community and two district platforms, one bot in all."""

    home: SampleCommunity
    kisumu: SampleCommunity
    nakuru: SampleCommunity

    @property
    def servers(self) -> list[SampleCommunity]:
        return [self.home, self.kisumu, self.nakuru]


def build_alliance(sandbox: Sandbox, bot_name: str = "copbot") -> Alliance:
    """The sample community (server 1) and the Kisumu and Nakuru district platforms."""
    home = build_sample_community(sandbox, bot_name)
    kisumu = build_platform_server(
        sandbox,
        home.bot,
        "Kisumu District WASH Platform",
        owner_username=KISUMU_OWNER[0],
        owner_display_name=KISUMU_OWNER[1],
        people=KISUMU_PEOPLE,
    )
    nakuru = build_platform_server(
        sandbox,
        home.bot,
        "Nakuru District WASH Platform",
        owner_username=NAKURU_OWNER[0],
        owner_display_name=NAKURU_OWNER[1],
        people=NAKURU_PEOPLE,
    )
    return Alliance(home, kisumu, nakuru)
