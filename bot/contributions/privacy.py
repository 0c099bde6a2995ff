"""Privacy controls as a service: what is kept about a person, opting out and in, and being
forgotten. No Discord here: plain values in and out (DESIGN section 8).

Opting out stops the log for a person and deletes what it held about them (their messages and
reactions, and the links others' rows had to them); their profile stays, because the register
is a separate thing they chose to fill in. Opting in starts the log again from that moment.

Being visible is consent to be named: coordinators' exports show the person's display name
instead of a pseudonym. It is off unless the person turns it on, and means nothing for someone
who opted out or was forgotten: they are not in exports at all.

Forgetting deletes everything with the person's user id in it, in this community: the profile,
the organisation history, representations, contributions, reactions, and their id in other
rows and in the audit trail. What they wrote on purpose for the community stays only if they
choose so: the text of their tablecloth notes, of their messages marked for the harvest (by them
or by others) and of the questions they submitted is the community's shared record (harvests,
the question bank), so they may keep it there without their name, or delete it too. Kept, it
names nobody and nothing links it to them any more.

The tension: a person who asked to be forgotten must not be logged again silently, but
remembering "do not log this user" means remembering the user. We keep a marker that holds no
user id: a keyed hash, HMAC-SHA256 of the user id under a random key kept per community. A
database row alone no longer names anybody; the bot recognises the person again only by hashing
the ids of the people in the server (at start-up and when someone joins) and finding a match. It
is pseudonymous, not anonymous: whoever holds both the database and a candidate user id can test
whether that user asked to be forgotten, and learn nothing else. ``/privacy optin`` removes the
marker.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cafe.values import NoteKind
from bot.contributions.optouts import OptOuts, marker_of
from bot.errors import BadInput
from bot.membership import profiles
from bot.membership.values import Member
from bot.platforms.values import A_PARTICIPANT, credit_for
from storage import app_state, audit, cafes, contributions, members, platforms, prompts
from storage.communities import ensure_community
from storage.db import Database
from storage.types import utc_now

COMPUTED_NOTICE = (
    "From the log, insights compute about you: what you gave (messages, notes, harvest items) "
    "and received (replies, reactions), your give ratio, whom you exchanged replies with (for "
    "the community's network: betweenness, organisations bridged, brokerage), whether you were "
    "silent at café tables, and whether you received without giving over several periods. "
    "`/insights me` shows you yours. Coordinators see your figures by name only if you chose "
    "`/privacy visible`; otherwise they count only in group figures of at least the "
    "community's smallest group, and under a pseudonym in exports."
)

LOGGING_NOTICE = (
    "This community's bot logs contributions as metadata only: who contributed, where, when, "
    "what kind (message, reply, answer, resource, reaction) and simple counts (characters, "
    "words, links, attachments, mentions), with the organisation, stakeholder group and level "
    "you had at that moment. Message text is not stored, except tablecloth notes and harvest "
    "items that members add on purpose. Deleted messages are deleted from the log. Exports use "
    "pseudonymous ids unless you chose to be visible (`/privacy visible`).\n"
    "`/privacy optout` stops the log for you and deletes what it holds about you (your profile "
    "stays); `/privacy optin` starts it again. `/privacy forget` deletes everything that names "
    "you here; you choose whether the text of your tablecloth notes, harvest items and "
    "submitted questions stays, without your name, or is deleted too."
)

# Why such texts may stay (shown in /privacy show and in the forget confirmation).
KEPT_TEXTS_WHY = (
    "They are part of the community's shared record (the harvests and the question bank). If "
    "you ask to be forgotten, you choose: they stay without your name, and nothing links them "
    "to you any more, or they are deleted too."
)

# Audit events a person does about themself: deleted when they are forgotten. Any other event
# they did (creating an organisation, changing a setting) is the community's history: it stays,
# without their name.
PERSONAL_AUDIT_ACTIONS: tuple[str, ...] = (
    "profile.set",
    "organisation.join",
    "organisation.leave",
    "privacy.optout",
    "privacy.optin",
    "privacy.visible",
    "cafe.join",
    "cafe.leave",
    "prompt.submit",
)


# --- what is kept -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivacyChoice:
    opted_out_since: datetime | None  # None: not opted out (or forgotten, see below)
    forgotten: bool  # asked to be forgotten: nothing kept, and not logged
    name_visible: bool  # chose to be named in coordinators' exports (``/privacy visible``)

    @property
    def logged(self) -> bool:
        return self.opted_out_since is None and not self.forgotten


@dataclass(frozen=True, slots=True)
class WrittenTexts:
    """Texts of the person the bot keeps word for word: their tablecloth notes, their messages
    marked for the harvest, and the questions they submitted to the bank."""

    notes: int
    harvest_items: int
    questions: int

    @property
    def total(self) -> int:
        return self.notes + self.harvest_items + self.questions

    def describe(self) -> str:
        parts = [
            (self.notes, "tablecloth note", "tablecloth notes"),
            (self.harvest_items, "message marked for the harvest", "messages marked for it"),
            (self.questions, "question submitted", "questions submitted"),
        ]
        return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts)


@dataclass(frozen=True, slots=True)
class PrivacyReport:
    counts: dict[str, int]  # contributions_by_kind: messages, reply, answer, ..., reactions
    profile: profiles.Profile | None  # None: no member row at all
    choice: PrivacyChoice
    texts: WrittenTexts


@dataclass(frozen=True, slots=True)
class Deleted:
    messages: int
    reactions: int


@dataclass(frozen=True, slots=True)
class Forgotten:
    deleted: Deleted
    had_profile: bool
    audit_events_deleted: int
    audit_events_anonymised: int
    texts: WrittenTexts  # what they wrote: kept without their name, or deleted
    texts_kept: bool


# --- the service ----------------------------------------------------------------------------------


class Privacy:
    """What is kept about a person, opting out and in, and being forgotten. Built once, on the
    bot: it keeps :class:`OptOuts` (the log's view of who is not logged, in memory) in step with
    the database."""

    def __init__(self, db: Database, optouts: OptOuts) -> None:
        self.db = db
        self.optouts = optouts

    async def report(self, community_id: int, user_id: int) -> PrivacyReport:
        """What the bot keeps about a person, and their choice (``/privacy show``)."""
        # A transaction: the community's marker key is made here if it is missing.
        async with self.db.transaction() as session:
            counts = await contributions.contributions_by_kind(session, community_id, user_id)
            choice = await _choice(session, community_id, user_id)
            texts = await _written_texts(session, community_id, user_id)
            profile = await profiles.read_profile(session, community_id, user_id)
        return PrivacyReport(counts, profile, choice, texts)

    # opting out and in -----------------------------------------------------------------------
    async def check_can_opt_out(self, community_id: int, user_id: int) -> None:
        """Raise BadInput if opting out would change nothing (asked before the confirmation)."""
        async with self.db.transaction() as session:
            _refuse_if_not_logged(await _choice(session, community_id, user_id))

    async def opt_out(
        self, community_id: int, community_name: str, *, user_id: int, display_name: str
    ) -> Deleted:
        """Stop logging a person and delete what the log holds about them; the profile stays."""
        # In memory first: events arriving while the rows are deleted are dropped, not re-logged.
        was_dropped = self.optouts.is_opted_out(community_id, user_id)
        self.optouts.opt_out(community_id, user_id)
        try:
            async with self.db.transaction() as session:
                _refuse_if_not_logged(await _choice(session, community_id, user_id))
                await ensure_community(session, community_id, community_name)
                member = await members.ensure_member(session, community_id, user_id, display_name)
                await members.set_opted_out(session, member.id, utc_now())
                deleted = await _delete_log_of(session, community_id, user_id)
                # What they shared across platforms loses its text and their name; the copies
                # out in other servers are marked to be edited (the delivery worker does it).
                await platforms.forget_author(
                    session, community_id, user_id, credit=A_PARTICIPANT, at=utc_now()
                )
                await audit.record_audit(
                    session,
                    community_id,
                    user_id,
                    "privacy.optout",
                    deleted_messages=deleted.messages,
                    deleted_reactions=deleted.reactions,
                )
        except BadInput:
            raise  # already not logged: the in-memory opt-out was right
        except BaseException:
            if not was_dropped:
                self.optouts.opt_in(community_id, user_id)  # nothing was saved: logging goes on
            raise
        return deleted

    async def opt_in(self, community_id: int, *, user_id: int) -> bool:
        """Log a person again from now on. True if they had asked to be forgotten."""
        async with self.db.transaction() as session:
            choice = await _choice(session, community_id, user_id)
            if choice.logged:
                raise BadInput(
                    "You are not opted out: your contributions are logged already; nothing "
                    "changed.",
                    "`/privacy show` shows what is kept; `/privacy optout` stops the log.",
                )
            if choice.forgotten:
                key = await _marker_key(session, community_id)
                await members.remove_forgotten_marker(
                    session, community_id, marker_of(key, user_id)
                )
            member = await members.get_member(session, community_id, user_id)
            if member is not None and member.opted_out_at is not None:
                await members.set_opted_out(session, member.id, None)
            await audit.record_audit(
                session,
                community_id,
                user_id,
                "privacy.optin",
                was_forgotten=choice.forgotten,
                opted_out_since=(
                    choice.opted_out_since.isoformat() if choice.opted_out_since else None
                ),
            )
        self.optouts.opt_in(community_id, user_id)
        return choice.forgotten

    # being named ---------------------------------------------------------------------------
    async def set_visible(
        self,
        community_id: int,
        community_name: str,
        *,
        user_id: int,
        display_name: str,
        visible: bool,
    ) -> Member:
        """Whether coordinators' exports name the person (their display name) or show a
        pseudonym. Refused for someone not logged: they are not in exports at all."""
        async with self.db.transaction() as session:
            choice = await _choice(session, community_id, user_id)
            if choice.forgotten:
                raise BadInput(
                    "You asked to be forgotten here, so you are not in any export: there is no "
                    "name to show or hide. Nothing changed.",
                    "`/privacy optin` starts the log again; then you can choose.",
                )
            if choice.opted_out_since is not None:
                raise BadInput(
                    "You have opted out, so you are not in any export: there is no name to show "
                    "or hide. Nothing changed.",
                    "`/privacy optin` starts the log again; then you can choose.",
                )
            await ensure_community(session, community_id, community_name)
            member = await members.ensure_member(session, community_id, user_id, display_name)
            updated = await members.set_name_visible(session, member.id, visible)
            if not visible:
                # Copies shared across platforms named them: from now on they do not.
                current = await members.current_membership(session, member.id)
                credit = credit_for(
                    display_name, visible=False, organisation=current[1].name if current else None
                )
                await platforms.recredit_author(
                    session, community_id, user_id, credit=credit, at=utc_now()
                )
            await audit.record_audit(
                session,
                community_id,
                user_id,
                "privacy.visible",
                visible=visible,
                previous=member.name_visible,
            )
        return updated

    # forgetting ------------------------------------------------------------------------------
    async def check_can_forget(self, community_id: int, user_id: int) -> WrittenTexts:
        """Raise BadInput if there is nothing to forget (asked before the confirmation); else
        the texts of theirs that the person may keep, unnamed, or delete."""
        async with self.db.transaction() as session:
            if await _nothing_to_forget(session, community_id, user_id):
                raise BadInput(
                    "You were forgotten here already: nothing is kept about you, and you are "
                    "not logged. Nothing changed.",
                    "`/privacy show` shows this; `/privacy optin` starts the log again.",
                )
            return await _written_texts(session, community_id, user_id)

    async def forget(self, community_id: int, *, user_id: int, keep_texts: bool) -> Forgotten:
        """Delete everything that names a person in this community, and keep them out of the
        log.

        ``keep_texts``: the texts they wrote (see :class:`WrittenTexts`) stay without their
        name; else they are deleted too.
        """
        was_dropped = self.optouts.is_opted_out(community_id, user_id)
        self.optouts.opt_out(community_id, user_id)  # at once: nothing new arrives meanwhile
        try:
            return await self._forget(community_id, user_id, keep_texts=keep_texts)
        except BadInput:
            raise  # forgotten already: they stay out of the log
        except BaseException:
            if not was_dropped:
                self.optouts.opt_in(community_id, user_id)  # nothing was saved: logging goes on
            raise

    async def _forget(self, community_id: int, user_id: int, *, keep_texts: bool) -> Forgotten:
        async with self.db.transaction() as session:
            if await _nothing_to_forget(session, community_id, user_id):
                raise BadInput(
                    "You were forgotten here already: nothing is kept about you. Nothing changed."
                )
            texts = await _written_texts(session, community_id, user_id)
            deleted = await _delete_log_of(session, community_id, user_id)
            had_profile = await members.forget_member(session, community_id, user_id)
            if not keep_texts:
                await cafes.delete_texts_written_by(session, community_id, user_id)
                await prompts.delete_questions_written_by(session, community_id, user_id)
            # Café seats and sign-ups go; kept tablecloth notes stay, by "a participant".
            await cafes.forget_participant(session, community_id, user_id)
            # Kept questions stay in the bank, no longer credited to them.
            await prompts.forget_question_author(session, community_id, user_id)
            # Shares across platforms lose text and name (copies are edited to match); the
            # platforms' records of who made, invited or shared lose their id.
            await platforms.forget_person(
                session, community_id, user_id, credit=A_PARTICIPANT, at=utc_now()
            )
            audit_deleted, audit_anonymised = await audit.forget_in_audit(
                session, community_id, user_id, personal_actions=PERSONAL_AUDIT_ACTIONS
            )
            key = await _marker_key(session, community_id)
            await members.add_forgotten_marker(session, community_id, marker_of(key, user_id))
            await contributions.register_changed(session, community_id)
            # Audited without the person: that somebody was forgotten, and how much went.
            await audit.record_audit(
                session,
                community_id,
                None,
                "privacy.forget",
                deleted_messages=deleted.messages,
                deleted_reactions=deleted.reactions,
                had_profile=had_profile,
                audit_events_deleted=audit_deleted,
                audit_events_anonymised=audit_anonymised,
                texts_kept=texts.total if keep_texts else 0,
                texts_deleted=0 if keep_texts else texts.total,
            )
        return Forgotten(deleted, had_profile, audit_deleted, audit_anonymised, texts, keep_texts)


# --- in a caller's session ----------------------------------------------------------------------


async def forgotten_among(
    session: AsyncSession, community_id: int, user_ids: Collection[int]
) -> set[int]:
    """Which of these people asked to be forgotten in this community."""

    def markers_of(_: int, key: str) -> set[str]:
        return {marker_of(key, user_id) for user_id in user_ids}

    found = await members.forgotten_markers_among(session, [community_id], markers_of)
    if community_id not in found:
        return set()  # no key yet: nobody was ever forgotten here
    key, markers = found[community_id]
    return {user_id for user_id in user_ids if marker_of(key, user_id) in markers}


async def _written_texts(session: AsyncSession, community_id: int, user_id: int) -> WrittenTexts:
    notes = await cafes.texts_written_by(session, community_id, user_id)
    return WrittenTexts(
        notes=notes[NoteKind.NOTE],
        harvest_items=notes[NoteKind.INSIGHT],
        questions=await prompts.questions_written_by(session, community_id, user_id),
    )


async def _marker_key(session: AsyncSession, community_id: int) -> str:
    """The community's random hashing key, made on first use."""
    name = f"{members.MARKER_KEY_PREFIX}:{community_id}"
    key = await app_state.get_state(session, name)
    if key is None:  # two first uses at once both get the key whichever of them kept
        key = await app_state.state_or_set(session, name, secrets.token_hex(32))
    return key


async def _is_forgotten(session: AsyncSession, community_id: int, user_id: int) -> bool:
    return bool(await forgotten_among(session, community_id, [user_id]))


async def _choice(session: AsyncSession, community_id: int, user_id: int) -> PrivacyChoice:
    member = await members.get_member(session, community_id, user_id)
    return PrivacyChoice(
        opted_out_since=member.opted_out_at if member is not None else None,
        forgotten=await _is_forgotten(session, community_id, user_id),
        name_visible=member is not None and member.name_visible,
    )


def _refuse_if_not_logged(choice: PrivacyChoice) -> None:
    if choice.forgotten:
        raise BadInput(
            "You asked to be forgotten here, so you are not logged already; nothing changed.",
            "`/privacy optin` starts the log again if you want to be counted.",
        )
    if choice.opted_out_since is not None:
        raise BadInput(
            "You have already opted out: you are not logged, and nothing was changed.",
            "`/privacy optin` starts the log again; `/privacy show` shows what is kept.",
        )


async def _delete_log_of(session: AsyncSession, community_id: int, user_id: int) -> Deleted:
    counts = await contributions.contributions_by_kind(session, community_id, user_id)
    await contributions.unlink_replies_and_reactions_to(session, community_id, user_id)
    await contributions.forget_contributions(session, community_id, user_id)
    return Deleted(counts["messages"], counts["reactions"])


async def _nothing_to_forget(session: AsyncSession, community_id: int, user_id: int) -> bool:
    if not await _is_forgotten(session, community_id, user_id):
        return False
    if await members.get_member(session, community_id, user_id) is not None:
        return False  # e.g. they set a profile again since
    if await cafes.has_cafe_traces(session, community_id, user_id):
        return False
    if await prompts.has_question_traces(session, community_id, user_id):
        return False
    counts = await contributions.contributions_by_kind(session, community_id, user_id)
    return not any(counts.values())
