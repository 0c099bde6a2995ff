"""Which question a theme posts next: each question once per cycle, in a reproducible shuffle,
and a bank that changes mid-cycle never makes a question come back within the cycle."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.prompts.rotation import NextQuestion, cycle_order, next_question

SEED = "123456789/funding km"
IDS = st.sets(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=30)


@dataclass
class Theme:
    """The posts of one theme as the database keeps them: (question, cycle) in order."""

    seed: str
    approved: set[int]
    posts: list[NextQuestion] = field(default_factory=list)

    def current_cycle(self) -> tuple[int, set[int]]:
        # As storage.prompts.current_cycle: the newest cycle and what was posted in it.
        if not self.posts:
            return 1, set()
        newest = max(post.cycle for post in self.posts)
        return newest, {post.question_id for post in self.posts if post.cycle == newest}

    def post(self) -> NextQuestion | None:
        cycle, posted = self.current_cycle()
        # The database hands the approved ids over in no promised order.
        picked = next_question(list(self.approved), posted, seed=self.seed, cycle=cycle)
        if picked is not None:
            self.posts.append(picked)
        return picked

    def cycles(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for post in self.posts:
            out.setdefault(post.cycle, []).append(post.question_id)
        return out


def test_nothing_approved_posts_nothing() -> None:
    assert next_question([], set(), seed=SEED, cycle=1) is None
    assert next_question([], {1, 2}, seed=SEED, cycle=4) is None


def test_one_question_is_posted_once_per_cycle() -> None:
    theme = Theme(SEED, {7})
    assert [theme.post() for _ in range(3)] == [
        NextQuestion(7, 1),
        NextQuestion(7, 2),
        NextQuestion(7, 3),
    ]


def test_the_order_is_a_shuffle_that_changes_from_cycle_to_cycle() -> None:
    ids = list(range(1, 11))
    orders = [cycle_order(ids, seed=SEED, cycle=cycle) for cycle in range(1, 6)]
    assert all(sorted(order) == ids for order in orders)
    assert ids not in orders  # not the order the ids were added in
    assert len({tuple(order) for order in orders}) == 5
    other_theme = cycle_order(ids, seed="123456789/monitoring", cycle=1)
    assert other_theme != orders[0]


@given(IDS, st.text(max_size=20), st.integers(min_value=1, max_value=10**6), st.randoms())
def test_the_same_seed_and_cycle_give_the_same_order(
    ids: set[int], seed: str, cycle: int, chance: random.Random
) -> None:
    given_order = list(ids)
    chance.shuffle(given_order)
    order = cycle_order(given_order, seed=seed, cycle=cycle)
    assert sorted(order) == sorted(ids)
    assert cycle_order(sorted(ids), seed=seed, cycle=cycle) == order
    assert cycle_order(set(ids), seed=seed, cycle=cycle) == order


@given(IDS, st.integers(min_value=1, max_value=4))
def test_with_a_steady_bank_every_cycle_posts_every_question_once(
    ids: set[int], cycles: int
) -> None:
    theme = Theme(SEED, set(ids))
    for _ in range(len(ids) * cycles):
        theme.post()
    by_cycle = theme.cycles()
    assert list(by_cycle) == list(range(1, cycles + 1))
    for cycle, posted in by_cycle.items():
        assert sorted(posted) == sorted(ids)
        assert posted == cycle_order(ids, seed=SEED, cycle=cycle)


@given(IDS, st.integers(min_value=1, max_value=60))
def test_the_posts_are_reproducible(ids: set[int], count: int) -> None:
    first, second = Theme(SEED, set(ids)), Theme(SEED, set(ids))
    assert [first.post() for _ in range(count)] == [second.post() for _ in range(count)]


# A bank that changes between posts: approve a question, retire one, or post.
STEPS = st.lists(
    st.one_of(
        st.just(("post", 0)),
        st.tuples(st.just("add"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("remove"), st.integers(min_value=1, max_value=40)),
    ),
    max_size=120,
)


@settings(max_examples=300)
@given(st.sets(st.integers(min_value=1, max_value=40), max_size=15), STEPS, st.text(max_size=8))
def test_questions_added_or_removed_mid_cycle_never_repeat_within_the_cycle(
    start: set[int], steps: list[tuple[str, int]], seed: str
) -> None:
    theme = Theme(seed, set(start))
    for action, question_id in steps:
        if action == "add":
            theme.approved.add(question_id)
        elif action == "remove":
            theme.approved.discard(question_id)
        else:
            cycle, posted = theme.current_cycle()
            picked = theme.post()
            if not theme.approved:
                assert picked is None
                continue
            assert picked is not None and picked.question_id in theme.approved
            if picked.cycle == cycle:
                assert picked.question_id not in posted
            else:
                # A new cycle starts only once every question now approved was posted in this one.
                assert picked.cycle == cycle + 1 and theme.approved <= posted
    for posted in theme.cycles().values():
        assert len(posted) == len(set(posted))
    # Replaying the same changes picks the same questions.
    replay = Theme(seed, set(start))
    for action, question_id in steps:
        if action == "add":
            replay.approved.add(question_id)
        elif action == "remove":
            replay.approved.discard(question_id)
        else:
            replay.post()
    assert replay.posts == theme.posts


def test_a_question_approved_mid_cycle_joins_it_and_one_posted_then_reapproved_waits() -> None:
    theme = Theme(SEED, {1, 2, 3})
    first = theme.post()
    assert first is not None and first.cycle == 1
    theme.approved.add(4)  # approved mid-cycle: posted in this cycle, not held back
    theme.approved.discard(first.question_id)  # edited by its submitter: back to review
    second, third = theme.post(), theme.post()
    theme.approved.add(first.question_id)  # approved again: it was posted in this cycle already
    fourth = theme.post()
    assert {p.question_id for p in (second, third, fourth) if p} == {1, 2, 3, 4} - {
        first.question_id
    }
    assert all(p is not None and p.cycle == 1 for p in (second, third, fourth))
    fifth = theme.post()
    assert fifth is not None and fifth.cycle == 2
