"""Pseudonyms: names for people and messages in exports that carry no Discord id.

A pseudonym is a keyed hash, HMAC-SHA256 with the community's secret key over the kind and the
Discord id, cut to a fixed number of hex digits behind a prefix (``m-3f9a1c2b7d4e`` for a
person, ``msg-...`` for a message). So it is:

- stable within a community: the same person has the same pseudonym in every export, so exports
  of different dates join;
- different across communities: another key gives unrelated pseudonyms, so two communities'
  files cannot be joined on them;
- not reversible without the key: Discord ids are guessable (a snowflake is a time and a few
  counters), so a plain hash could be undone by hashing every likely id; a keyed hash cannot.

The kind is part of what is hashed, so a person and a message never share a hash even if their
ids were equal. A reply's "in reply to" cell is :meth:`Pseudonymiser.message` of the message it
answers: the same function, so it points to that message's key.

Why these lengths suffice. The chance that any two of n items share a pseudonym of b bits is
about n² / 2^(b+1) (the birthday bound).

- People, 12 hex digits = 48 bits: for a community of 100,000 people, 10^10 / 5.6·10^14, about
  1 in 56,000; for 10,000 people about 1 in 5.6 million. (10 digits would give 1 in 220 at
  100,000 people: too likely for a file researchers join on.)
- Messages, 16 hex digits = 64 bits: for 100 million messages in one community (decades of a
  very busy one), 10^16 / 3.7·10^19, about 1 in 3,700; for 10 million, 1 in 370,000.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

MINIMUM_KEY_BYTES = 16


@dataclass(frozen=True)
class PseudonymKind:
    """What is named: the prefix of its pseudonyms and how many hex digits follow."""

    tag: str
    """Hashed with the id, so different kinds never share a pseudonym."""
    prefix: str
    hex_digits: int


PERSON = PseudonymKind(tag="person", prefix="m", hex_digits=12)
MESSAGE = PseudonymKind(tag="message", prefix="msg", hex_digits=16)


def new_community_key() -> bytes:
    """A fresh secret key for a community's pseudonyms (256 bits)."""
    return secrets.token_bytes(32)


def pseudonym(key: bytes, kind: PseudonymKind, discord_id: int) -> str:
    """The pseudonym of ``discord_id`` as a ``kind`` under the community key ``key``."""
    return Pseudonymiser(key).name(kind, discord_id)


class Pseudonymiser:
    """The pseudonyms of one community (one key), for a whole export.

    Built once per export: the keyed hash state is prepared once and copied for each id (half
    the work of keying each time), and people's pseudonyms, which repeat on every row, are
    remembered.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < MINIMUM_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {MINIMUM_KEY_BYTES} bytes")
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._people: dict[int, str] = {}

    def name(self, kind: PseudonymKind, discord_id: int) -> str:
        state = self._keyed.copy()
        state.update(f"{kind.tag}:{discord_id}".encode("ascii"))
        return f"{kind.prefix}-{state.hexdigest()[: kind.hex_digits]}"

    def person(self, discord_id: int) -> str:
        known = self._people.get(discord_id)
        if known is None:
            known = self._people[discord_id] = self.name(PERSON, discord_id)
        return known

    def message(self, discord_id: int) -> str:
        return self.name(MESSAGE, discord_id)
