"""A sample community of practice to rehearse with: the standalone sandbox and the demo use it."""

from __future__ import annotations

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


def build_sample_community(sandbox: Sandbox, bot_name: str = "copbot") -> SampleCommunity:
    """The "Water & Sanitation CoP": an owner, moderators, coordinators, ~30 members, a bot."""
    owner = sandbox.create_user("amina.diallo", global_name="Amina Diallo")
    guild = sandbox.create_guild("Water & Sanitation CoP", owner=owner)
    moderators = guild.create_role(
        "Moderators",
        permissions=MODERATOR_PERMISSIONS,
        color=0x2E86C1,
        hoist=True,
        mentionable=True,
    )
    coordinators = guild.create_role("Coordinators", color=0x28B463, hoist=True, mentionable=True)
    channels = {"general": guild.channel("general")}
    channels["cafe"] = guild.create_text_channel("cafe", topic="World Café rounds")
    channels["questions"] = guild.create_text_channel("questions", topic="Questions of the week")
    bot = sandbox.create_bot(bot_name)
    guild.add_bot(bot, permissions=BOT_PERMISSIONS)
    owner_member = guild.get_member(owner.id)
    assert owner_member is not None
    members = [owner_member]
    organisations: dict[str, list[Member]] = {"Water & Sanitation CoP secretariat": [owner_member]}
    for username, display, organisation, role in PEOPLE:
        user = sandbox.create_user(username, global_name=display)
        roles = {"mod": [moderators], "coord": [coordinators]}.get(role, [])
        member = guild.add_member(user, roles=roles)
        members.append(member)
        organisations.setdefault(organisation, []).append(member)
    return SampleCommunity(
        guild, bot, owner, moderators, coordinators, channels, members, organisations
    )
