"""The harvest of a café, and the tablecloth shown to the next round: as one Markdown document,
and as Discord messages that are split to fit but never cut short.

Both are built from :class:`Section` values (a heading and its lines). The Markdown document joins
them; :func:`split_for_discord` packs them into messages of at most ``limit`` characters,
splitting preferably between sections, then between lines, then between words, and only as a
last resort inside a word. Every character of text survives the split.

Text bound for Discord passes through :func:`~bot.cafe.text.neutralise_mentions`: the cog sends
with ``allowed_mentions`` set to none, and a zero-width space inside ``@everyone``/``@here``
keeps a note from pinging even if that ever slips. The Markdown document is a file attachment,
which never pings, so it keeps members' words exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.cafe.text import plural, quote
from bot.text import collapse_spaces, escape_markdown, neutralise_mentions, shorten

DISCORD_MESSAGE_LIMIT = 2000
# Below this a continued section's heading plus a few words no longer fit a message.
MIN_SPLIT_LIMIT = 100
CONTINUED = " (continued)"
_QUOTE = "> "
# A line too long for any message starts in the message being filled only if at least a tenth of
# it is left; less would leave a stub such as an author's name alone.
_LEAST_PIECE_SHARE = 10


@dataclass(frozen=True, slots=True)
class HarvestItem:
    """A tablecloth note, or a message marked for the harvest (an insight)."""

    round_number: int  # 1-based
    table_number: int  # 1-based; 0 for an insight marked outside the tables (say the channel)
    author: str  # a display name, or "a participant" for people not to be named
    text: str  # added on purpose by a member: may be long, hold newlines and Markdown
    is_insight: bool = False  # marked with "Add to harvest", rather than a tablecloth note
    link: str | None = None  # jump URL of the marked message, for insights


@dataclass(frozen=True, slots=True)
class TableTurnout:
    """Who sat at a table in a round, and how many of them posted there."""

    round_number: int
    table_number: int
    seated: int
    posted: int  # seated people who posted at least once at that table in that round
    host: str | None = None

    @property
    def silent(self) -> int:
        """Café silence: seated people who posted nothing."""
        return max(self.seated - self.posted, 0)


@dataclass(frozen=True, slots=True)
class Harvest:
    title: str
    questions: tuple[str, ...]  # one per round planned
    rounds_held: int
    tables: int
    items: tuple[HarvestItem, ...]
    turnout: tuple[TableTurnout, ...]
    reflection_link: str | None = None
    held_on: str | None = None  # already-formatted date text


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the lines under it: the unit the splitter prefers not to break."""

    heading: str
    lines: tuple[str, ...] = ()

    def render(self) -> str:
        return "\n".join((self.heading, *self.lines))

    def neutralised(self) -> Section:
        return Section(
            neutralise_mentions(self.heading),
            tuple(neutralise_mentions(line) for line in self.lines),
        )


# Splitting ----------------------------------------------------------------------------------


def split_for_discord(sections: Iterable[Section], limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Pack ``sections`` into messages of at most ``limit`` characters, in order, losing nothing.

    Whole sections share a message (separated by a blank line) while they fit. A section too
    long for one message continues in the next under its heading marked "(continued)", broken
    between lines; a line too long for a message is broken between words (a quoted line stays
    quoted in its continuation), and a word too long for a message is broken inside itself.
    """
    if limit < MIN_SPLIT_LIMIT:
        raise ValueError(f"a message limit below {MIN_SPLIT_LIMIT} cannot hold a heading")
    messages: list[str] = []
    current = ""
    for section in sections:
        text = section.render()
        if current and len(current) + 2 + len(text) <= limit:
            current = f"{current}\n\n{text}"
            continue
        if current:
            messages.append(current)
        current = ""
        if len(text) <= limit:
            current = text
            continue
        *whole, current = _split_section(section, limit)
        messages += whole
    if current:
        messages.append(current)
    return messages


def _split_section(section: Section, limit: int) -> list[str]:
    """A section longer than ``limit`` as chunks of at most ``limit`` characters."""
    continued = _continued_heading(section.heading, limit)
    chunks: list[str] = []
    lines: list[str] = []  # the chunk being filled
    size = 0  # len("\n".join(lines))

    def fits(line: str) -> bool:
        return size + (1 if lines else 0) + len(line) <= limit

    def add(line: str) -> None:
        nonlocal size
        size += (1 if lines else 0) + len(line)
        lines.append(line)

    def start_next_chunk() -> None:
        nonlocal lines, size
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            chunks.append("\n".join(lines))
        lines, size = [continued], len(continued)

    fresh_room = limit - len(continued) - 1  # what a chunk under the continued heading holds
    for line in (part for text in (section.heading, *section.lines) for part in text.split("\n")):
        line = line.rstrip()
        if fits(line):
            if line or lines != [continued]:  # no blank line right under a continued heading
                add(line)
            continue
        if len(line) <= fresh_room:
            start_next_chunk()
            add(line)
            continue
        # A line too long for any message fills this chunk's room, unless little is left, and
        # then the next chunks, word by word; a quoted line stays quoted in its continuations.
        if limit - size - 1 < limit // _LEAST_PIECE_SHARE:
            start_next_chunk()
        keep = _QUOTE if line.startswith(_QUOTE) else ""
        rest = line
        while not fits(rest):
            room = limit - size - (1 if lines else 0)
            piece, rest = _break_line(rest, room, len(keep))
            add(piece)
            start_next_chunk()
            rest = keep + rest
        add(rest)
    if lines != [continued]:
        start_next_chunk()
    return chunks


def _continued_heading(heading: str, limit: int) -> str:
    """The heading repeated on a continued section's next message, never more than half of it."""
    first_line = heading.split("\n", 1)[0].rstrip()
    if not first_line:
        return CONTINUED.strip()
    room = limit // 2 - len(CONTINUED)
    return (
        shorten(first_line, room) + CONTINUED if len(first_line) > room else first_line + CONTINUED
    )


def _break_line(line: str, room: int, keep: int) -> tuple[str, str]:
    """``line`` cut to at most ``room`` characters at the last space that leaves more than the
    first ``keep`` characters (a quote marker) in the piece; inside a word if there is none."""
    cut = line.rfind(" ", keep + 1, room + 1)
    if cut > keep and line[keep:cut].strip():
        return line[:cut].rstrip(), line[cut + 1 :].lstrip()
    return line[:room], line[room:].lstrip()


# The harvest --------------------------------------------------------------------------------


def harvest_markdown(harvest: Harvest) -> str:
    """The harvest as a Markdown document, to download."""
    return "\n\n".join(section.render() for section in harvest_sections(harvest)) + "\n"


def harvest_messages(harvest: Harvest, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """The harvest as Discord messages of at most ``limit`` characters each."""
    return split_for_discord(
        (section.neutralised() for section in harvest_sections(harvest)), limit
    )


def harvest_sections(harvest: Harvest) -> list[Section]:
    """The harvest's parts: overview, then each round and its tables, participation, reflection."""
    sections = [_overview(harvest)]
    notes_at: dict[tuple[int, int], list[HarvestItem]] = {}
    insights_at: dict[tuple[int, int], list[HarvestItem]] = {}
    elsewhere: list[HarvestItem] = []
    for item in harvest.items:
        if item.table_number < 1 or item.round_number < 1:
            elsewhere.append(item)
        else:
            by_place = insights_at if item.is_insight else notes_at
            by_place.setdefault((item.round_number, item.table_number), []).append(item)
    turnout_at = {(row.round_number, row.table_number): row for row in harvest.turnout}
    # Every table of every round held appears, with or without notes; so does anything recorded
    # outside that grid, rather than be dropped.
    places = {
        (round_number, table_number)
        for round_number in range(1, harvest.rounds_held + 1)
        for table_number in range(1, harvest.tables + 1)
    }
    places |= notes_at.keys() | insights_at.keys() | turnout_at.keys()
    for round_number in sorted({round_number for round_number, _ in places}):
        sections.append(_round_heading(round_number, harvest.questions))
        for place in sorted(place for place in places if place[0] == round_number):
            sections.append(
                _table_section(
                    place,
                    turnout_at.get(place),
                    notes_at.get(place, []),
                    insights_at.get(place, []),
                )
            )
    if elsewhere:
        lines: list[str] = []
        for item in elsewhere:
            lines += _item_lines(item)
        sections.append(Section("## Insights from elsewhere in the café", _trim(lines)))
    sections.append(_participation(harvest))
    sections.append(_reflection(harvest.reflection_link))
    return sections


def _overview(harvest: Harvest) -> Section:
    planned = len(harvest.questions)
    held = (
        plural(harvest.rounds_held, "round")
        if harvest.rounds_held >= planned
        else f"{harvest.rounds_held} of {plural(planned, 'round')} held"
    )
    summary = f"{held} · {plural(harvest.tables, 'table')}"
    lines = [f"Held on {harvest.held_on} · {summary}" if harvest.held_on else summary]
    if harvest.questions:
        lines += ["", "**Questions**"]
        lines += [
            f"- Round {number}: {question}"
            for number, question in enumerate(harvest.questions, start=1)
        ]
    return Section(f"# Harvest · {harvest.title}", tuple(lines))


def _round_heading(round_number: int, questions: Sequence[str]) -> Section:
    if round_number <= len(questions):
        return Section(f"## Round {round_number}", (quote(questions[round_number - 1]),))
    return Section(f"## Round {round_number}")


def _table_section(
    place: tuple[int, int],
    turnout: TableTurnout | None,
    notes: Sequence[HarvestItem],
    insights: Sequence[HarvestItem],
) -> Section:
    round_number, table_number = place
    lines = [_turnout_line(turnout)]
    if notes:
        lines += ["", "**Tablecloth**"]
        for note in notes:
            lines += _item_lines(note)
    if insights:
        if lines[-1]:  # the notes end with a blank line already
            lines.append("")
        lines.append("**Insights**")
        for insight in insights:
            lines += _item_lines(insight)
    if not notes and not insights:
        lines.append("No notes from this table.")
    return Section(f"### Round {round_number} · Table {table_number}", _trim(lines))


def _turnout_line(turnout: TableTurnout | None) -> str:
    if turnout is None:
        return "Turnout not recorded."
    host = f"Host: {_name(turnout.host)}" if turnout.host else "No host"
    return f"{host} · {turnout.seated} seated, {turnout.posted} posted, {turnout.silent} silent"


def _item_lines(item: HarvestItem) -> list[str]:
    """A note or insight as a quote led by its author, then a blank line so that the next one
    is a quote of its own (in Discord and in Markdown alike)."""
    body = quote(item.text).split("\n")
    body[0] = f"> **{_name(item.author)}:** {body[0][2:]}".rstrip()
    if item.link:
        body.append(f"> [Original message](<{item.link}>)")
    return [*body, ""]


def _participation(harvest: Harvest) -> Section:
    seated = sum(row.seated for row in harvest.turnout)
    posted = sum(row.posted for row in harvest.turnout)
    silent = sum(row.silent for row in harvest.turnout)
    notes = sum(1 for item in harvest.items if not item.is_insight)
    insights = len(harvest.items) - notes
    lines = []
    if seated:
        share = round(100 * posted / seated)
        lines.append(
            f"- {plural(seated, 'seat')} taken over all rounds and tables: "
            f"{posted} posted at least once ({share} %), {silent} stayed silent."
        )
    else:
        lines.append("- No seating was recorded.")
    lines.append(f"- {plural(notes, 'tablecloth note')} and {plural(insights, 'insight')}.")
    return Section("## Participation", tuple(lines))


def _reflection(link: str | None) -> Section:
    if link:
        where = f"The closing round of reflection happens in the [Reflection thread](<{link}>)."
    else:
        where = "The closing round of reflection follows in a **Reflection** thread here."
    return Section("## Reflection", (where + " What struck you? What do we take home?",))


# The tablecloth -----------------------------------------------------------------------------


def tablecloth_messages(
    round_number: int,
    table_number: int,
    items: Sequence[HarvestItem],
    limit: int = DISCORD_MESSAGE_LIMIT,
) -> list[str]:
    """What the travellers arriving at a table in ``round_number`` read first: the tablecloth
    notes this table left in earlier rounds, grouped by round. Empty when there are none.

    Only notes count (insights go to the harvest), and only this table's from earlier rounds:
    ``items`` may hold more.
    """
    sections = tablecloth_sections(round_number, table_number, items)
    return split_for_discord((section.neutralised() for section in sections), limit)


def tablecloth_sections(
    round_number: int, table_number: int, items: Sequence[HarvestItem]
) -> list[Section]:
    by_round: dict[int, list[HarvestItem]] = {}
    for item in items:
        if (
            not item.is_insight
            and item.table_number == table_number
            and 1 <= item.round_number < round_number
        ):
            by_round.setdefault(item.round_number, []).append(item)
    if not by_round:
        return []
    sections = [
        Section(
            f"## The tablecloth so far · Table {table_number}",
            ("What this table noted in the rounds before. Read it, then carry it on.",),
        )
    ]
    for earlier in sorted(by_round):
        lines: list[str] = []
        for note in by_round[earlier]:
            lines += _item_lines(note)
        sections.append(Section(f"### Round {earlier}", _trim(lines)))
    return sections


# Small helpers ------------------------------------------------------------------------------


def _name(name: str) -> str:
    return escape_markdown(collapse_spaces(name)) or "a participant"


def _trim(lines: list[str]) -> tuple[str, ...]:
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)
