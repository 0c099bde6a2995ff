"""The words of a World Café: limits, questions, thread names, etiquette and the messages of a
round. Pure text; the cog decides where each piece is posted.

Everything that ends up in a Discord message passes user text (questions, names, notes) through
:func:`neutralise_mentions`, so ``@everyone`` and ``@here`` typed by a member cannot ping even if
a message were ever sent without ``allowed_mentions`` set to none (the cog sends with none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import BadInput
from bot.text import (
    clean_text,
    collapse_spaces,
    escape_markdown,
    has_visible,
    neutralise_mentions,
    shorten,
    tidy,
)

if TYPE_CHECKING:
    from bot.cafe.seating import SeatingQuality

# The café's limits, checked when a café is created.
MAX_ROUNDS = 6  # the method runs two or three rounds; six leaves room without an endless café
MAX_ROUND_MINUTES = 180  # a round of 20-30 minutes is usual; an asynchronous round may last hours
MAX_THREAD_NAME = 100  # Discord's limit on a channel or thread name
# A question is something to hold in mind through a round: 300 characters is already about 50
# words. Six of them with their round labels still fit one embed description (4096) and, quoted,
# a table's round briefing (one message of 2000).
MAX_QUESTION_LENGTH = 300

QUESTION_SEPARATOR = "|"

# The World Café etiquette, as shown to participants; "topic: what it asks of you".
CAFE_ETIQUETTE: tuple[str, ...] = (
    "Focus on what matters: stay with the question your table is exploring.",
    "Contribute your thinking: your experience is part of the answer, so write it down.",
    "Speak your mind and heart: say what you really think, and say it kindly.",
    "Listen to understand: read what others wrote for what they mean before you answer.",
    "Link and connect ideas: bring in what you heard at other tables and elsewhere.",
    "Listen together for insights and deeper questions: notice patterns and what lies beneath.",
    "Play, doodle, draw: sketches, pictures and half-formed ideas are welcome here.",
)


def check_rounds(rounds: int) -> None:
    """Raise BadInput unless 1 <= rounds <= MAX_ROUNDS."""
    if not 1 <= rounds <= MAX_ROUNDS:
        raise BadInput(
            f"A café has 1 to {MAX_ROUNDS} rounds; you asked for {rounds}.",
            "Three rounds is the classic World Café.",
        )


def check_round_minutes(minutes: int) -> None:
    """Raise BadInput unless 1 <= minutes <= MAX_ROUND_MINUTES."""
    if not 1 <= minutes <= MAX_ROUND_MINUTES:
        raise BadInput(
            f"A round lasts 1 to {MAX_ROUND_MINUTES} minutes; you asked for {minutes}.",
            "20 to 30 minutes works well.",
        )


def split_questions(text: str, rounds: int) -> tuple[str, ...]:
    """One question per round from ``text``: either one question for every round, or one per
    round separated by ``|``. Each question is trimmed and put on one line."""
    check_rounds(rounds)
    clean_text(text, "the questions", example="one question, or one per round separated by |")
    parts = [tidy(part) for part in text.split(QUESTION_SEPARATOR)]
    for number, part in enumerate(parts, start=1):
        if not has_visible(part):
            raise BadInput(
                f"Question {number} of {len(parts)} is empty: there is nothing between two |, "
                "or a | at the start or end.",
                "Remove the extra | or write the missing question.",
            )
    if len(parts) not in (1, rounds):
        raise BadInput(
            f"You gave {len(parts)} questions for {plural(rounds, 'round')}.",
            f"Give one question for every round, or exactly {rounds} separated by |.",
        )
    for number, part in enumerate(parts, start=1):
        if len(part) > MAX_QUESTION_LENGTH:
            which = "The question" if len(parts) == 1 else f"Question {number}"
            raise BadInput(
                f"{which} is {len(part)} characters long; the most is {MAX_QUESTION_LENGTH}.",
                "Shorten it: a café question works best when it can be held in mind at a glance.",
            )
    return tuple(parts) if len(parts) == rounds else tuple(parts * rounds)


def questions_text(questions: Sequence[str]) -> str:
    """The café's questions for the sign-up embed's description: one line when every round
    asks the same, otherwise one line per round. At most about 2000 characters for
    MAX_ROUNDS validated questions (too long for an embed field of 1024)."""
    if not questions:
        return ""
    if len(set(questions)) == 1:
        every = "the round" if len(questions) == 1 else f"all {len(questions)} rounds"
        return f"**Question for {every}:** {neutralise_mentions(questions[0])}"
    return "\n".join(
        f"**Round {number}:** {neutralise_mentions(question)}"
        for number, question in enumerate(questions, start=1)
    )


def table_thread_name(round_number: int, table_number: int, question: str) -> str:
    """``R1 · Table 3 · How do we fund knowledge…``: at most MAX_THREAD_NAME characters."""
    prefix = f"R{round_number} · Table {table_number}"
    question = collapse_spaces(question)
    if not question:
        return prefix
    room = MAX_THREAD_NAME - len(prefix) - len(" · ")
    return f"{prefix} · {shorten(question, room)}"


def reflection_thread_name(title: str) -> str:
    """``Reflection · <title>``: at most MAX_THREAD_NAME characters."""
    title = collapse_spaces(title)
    if not title:
        return "Reflection"
    return f"Reflection · {shorten(title, MAX_THREAD_NAME - len('Reflection · '))}"


def etiquette_text() -> str:
    """The café etiquette as a bulleted block for an embed field (at most 1024 characters)."""
    lines = []
    for point in CAFE_ETIQUETTE:
        topic, _, asks = point.partition(": ")
        lines.append(f"- **{topic}**: {asks}")
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    """ "1 minute", "2 minutes": the count with its noun, an s added unless the count is 1."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def format_minutes(minutes: int) -> str:
    """ "1 minute", "25 minutes", "1 h", "1 h 30 min"."""
    if minutes < 0:
        raise ValueError("a duration cannot be negative")
    if minutes < 60:
        return plural(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"


def format_seat_summary(participants: int, hosts: int) -> str:
    """ "12 participants · 3 hosts", "1 participant · 1 host"."""
    return f"{plural(participants, 'participant')} · {plural(hosts, 'host')}"


def quote(text: str) -> str:
    """``text`` as a Markdown block quote, every line quoted (blank lines too, so the quote
    holds together)."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines()) or ">"


def round_briefing(
    round_number: int,
    rounds: int,
    question: str,
    ends_at_unix: int,
    host_name: str | None,
    is_first_round: bool,
) -> str:
    """The message at the top of a table thread: the round, its question, when it ends, what
    the host does and how to add to the tablecloth. At most 2000 characters."""
    # The question is validated at creation; shortening only keeps an unchecked one postable.
    shown_question = neutralise_mentions(shorten(question, MAX_QUESTION_LENGTH))
    last = " (the last round)" if round_number == rounds and rounds > 1 else ""
    lines = [
        f"## Round {round_number} of {rounds}{last}",
        quote(shown_question),
        f"Ends <t:{ends_at_unix}:R> (at <t:{ends_at_unix}:t>).",
        "",
    ]
    if host_name is not None:
        host = f"**{escape_markdown(neutralise_mentions(collapse_spaces(host_name)))}**"
        if is_first_round:
            lines.append(
                f"{host} hosts this table and stays here every round. "
                "Start with a quick round of introductions: who you are, where you work, "
                "and what brings you to this question."
            )
        else:
            lines.append(
                f"{host} hosts this table and stays here every round: welcome, travellers! "
                "Host, please sum up the tablecloth so far for the newcomers; travellers, "
                "share what you heard at your last table."
            )
    elif is_first_round:
        lines.append(
            "This table has no host. Start with a quick round of introductions: who you are, "
            "where you work, and what brings you to this question. Agree who keeps the notes."
        )
    else:
        lines.append(
            "This table has no host. Someone who reads the tablecloth so far, please sum it up "
            "for the others; everyone, share what you heard at your last table."
        )
    lines += [
        "",
        "Add what your table finds to the tablecloth with `/cafe note` or the "
        "**Add to tablecloth** button: the next round reads it, and it goes into the harvest. "
        "To put any message into the harvest, use **Add to harvest** from the message's "
        "**Apps** menu.",
    ]
    return "\n".join(lines)


def round_warning(minutes_left: int) -> str:
    """The reminder posted in every table thread shortly before the round ends."""
    if minutes_left <= 0:
        return (
            "⏳ This round is ending now. "
            "Add anything the tablecloth still needs with `/cafe note`."
        )
    return (
        f"⏳ {format_minutes(minutes_left)} left in this round. Time to gather what matters "
        "and add it to the tablecloth with `/cafe note`."
    )


def round_closed_text(has_host: bool) -> str:
    """Posted when a round ends: asks the host (or, with no host, the table) for the tablecloth."""
    who = "Host, please" if has_host else "This table has no host, so one of you please"
    return (
        "🔒 This round has ended and the thread is closed.\n"
        f"{who} leave the tablecloth for the next round with `/cafe note`: the ideas, "
        "questions and disagreements that matter most, in a few lines each, so the travellers "
        "who come next can build on them."
    )


# The seating's figures, in the words of both /cafe plan and copbot plan.
SIZE_DIFFERENCE = "Difference between the largest and the smallest table"
FIGURE_LIMIT = "cannot go below"


def quality_lines(quality: SeatingQuality, *, markdown: bool) -> tuple[str, ...]:
    """One line per figure of a seating, each with the least any seating could reach; the
    figures in bold for Discord (``markdown``), plain for the command line."""

    def number(value: int) -> str:
        return f"**{value}**" if markdown else str(value)

    figures = (
        ("Pairs meeting twice", quality.repeat_pairs, quality.repeat_pairs_bound),
        ("Same-organisation pairs", quality.same_org_pairs, quality.same_org_pairs_bound),
        (
            "Tables missing a stakeholder group",
            quality.tables_missing_stakeholder,
            quality.tables_missing_stakeholder_bound,
        ),
        (
            "Travellers back at a table they sat at",
            quality.travellers_staying,
            quality.travellers_staying_bound,
        ),
    )
    return (
        f"{SIZE_DIFFERENCE}: {quality.size_spread}",
        *(f"{label}: {number(value)} ({FIGURE_LIMIT} {bound})" for label, value, bound in figures),
    )
