"""Which question a theme posts next. Pure: no Discord, no database.

Each approved question is posted once per cycle, in an order that looks shuffled but is the same
whenever it is computed again (the seed is the community, the theme and the cycle). When every
question of the theme has been posted, a new cycle starts with a new order. Questions approved
in the middle of a cycle join it; retired ones simply stop being chosen.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NextQuestion:
    question_id: int
    cycle: int


def cycle_order(question_ids: Collection[int], *, seed: str, cycle: int) -> list[int]:
    """The order of a cycle: the same ids, seed and cycle always give the same order."""
    order = sorted(question_ids)
    random.Random(f"{seed}/{cycle}").shuffle(order)
    return order


def next_question(
    approved: Sequence[int], posted_in_cycle: Collection[int], *, seed: str, cycle: int
) -> NextQuestion | None:
    """The next question to post, and the cycle it belongs to (None: nothing approved)."""
    if not approved:
        return None
    for question_id in cycle_order(approved, seed=seed, cycle=cycle):
        if question_id not in posted_in_cycle:
            return NextQuestion(question_id, cycle)
    # Every question of the theme was posted in this cycle: start the next one.
    return NextQuestion(cycle_order(approved, seed=seed, cycle=cycle + 1)[0], cycle + 1)
