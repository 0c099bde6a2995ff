"""How people and messages are named in an export (DESIGN.md section 8).

No Discord id of a person or a message is written: people are pseudonyms made with the
community's key (``bot.exports.pseudonyms``), or their display name when the export asks for
visible names and they chose ``/privacy visible``; messages are keys made the same way. People
who opted out are absent: their rows are left out, and others' rows do not point to them.
(Forgotten people are absent already: nothing about them is kept.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.exports.pseudonyms import Pseudonymiser
from bot.exports.request import NameMode


class Namer:
    def __init__(
        self,
        key: bytes,
        mode: NameMode,
        *,
        visible_names: Mapping[int, str],
        absent: Collection[int],
    ) -> None:
        self._pseudonyms = Pseudonymiser(key)
        self._visible = dict(visible_names) if mode is NameMode.VISIBLE else {}
        self._absent = frozenset(absent)

    def is_absent(self, user_id: int) -> bool:
        return user_id in self._absent

    def person(self, user_id: int | None) -> str | None:
        """How the person appears: None (an empty cell) for nobody or someone absent."""
        if user_id is None or user_id in self._absent:
            return None
        visible = self._visible.get(user_id)
        return visible if visible is not None else self._pseudonyms.person(user_id)

    def pseudonym(self, user_id: int) -> str:
        """The person's pseudonym whatever the mode: a node id in the network files, where two
        people with one display name must stay two nodes."""
        return self._pseudonyms.person(user_id)

    def message(self, message_id: int | None) -> str | None:
        return None if message_id is None else self._pseudonyms.message(message_id)

    def describe(self) -> str:
        """For README.txt: how names were treated."""
        if self._visible:
            return (
                "People are pseudonyms (m-...), stable across this community's exports, except "
                f"the {len(self._visible)} who chose to be named (/privacy visible), shown by "
                "their display name. Messages are keys (msg-...). People who opted out of the "
                "log are left out."
            )
        return (
            "People are pseudonyms (m-...), stable across this community's exports and "
            "different in any other community; messages are keys (msg-...). No Discord id of "
            "a person or a message appears. People who opted out of the log are left out."
        )
