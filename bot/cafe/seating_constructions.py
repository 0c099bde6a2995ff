"""Zero-repeat seatings built from finite-field arithmetic, for cases too tight to search.

With q tables (q a prime power) and tables of p <= q seats, number the seats (a, b) with a in
GF(q) and b one of p chosen field elements. In round r (r in GF(q)) seat (a, b) sits at table
a + r*b. Two seats with b = b' never meet (a + rb = a' + rb' needs a = a'); with b != b' they
meet in exactly one round, r = (a - a') / (b' - b). So q rounds repeat nobody. When p divides q
one more round fits: each class of equal b (whose q members never met) split into q/p tables.

The class b = 0 sits at table a every round: those seats are the hosts, one per table. Up to
q - 1 seats of one class (never hosts) may stay empty: each class has one seat per table in
every round, so sizes still differ by at most one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Fields past this size are never needed: tables of a café number at most a few hundred, and a
# construction only helps when table size is close to the table count.
MAX_FIELD = 256


@dataclass(frozen=True, slots=True)
class Field:
    """GF(q), elements 0..q-1; ``add`` and ``mul`` are q*q tables indexed [a * q + b]."""

    q: int
    add: tuple[int, ...]
    mul: tuple[int, ...]


def _prime_power(q: int) -> tuple[int, int] | None:
    """(p, k) with p prime and q = p**k, or None."""
    if q < 2:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    k, rest = 0, q
    while rest % p == 0:
        rest //= p
        k += 1
    return (p, k) if rest == 1 else None


@cache
def field(q: int) -> Field | None:
    """GF(q) when q is a prime power up to MAX_FIELD, else None.

    Elements are polynomials over GF(p) written as base-p digits; products are reduced by the
    first monic polynomial of degree k that leaves no zero divisors (i.e. is irreducible).
    """
    found = _prime_power(q) if q <= MAX_FIELD else None
    if found is None:
        return None
    p, k = found

    def digits(a: int) -> list[int]:
        return [(a // p**i) % p for i in range(k)]

    def number(ds: list[int]) -> int:
        return sum(d * p**i for i, d in enumerate(ds))

    add = tuple(
        number([(x + y) % p for x, y in zip(digits(a), digits(b), strict=True)])
        for a in range(q)
        for b in range(q)
    )

    def multiply(a: int, b: int, modulus: list[int]) -> int:
        product = [0] * (2 * k - 1)
        for i, x in enumerate(digits(a)):
            for j, y in enumerate(digits(b)):
                product[i + j] = (product[i + j] + x * y) % p
        for top in range(2 * k - 2, k - 1, -1):  # x^k = -(modulus[0] + ... + modulus[k-1]x^(k-1))
            coefficient = product[top]
            if coefficient:
                product[top] = 0
                for i in range(k):
                    product[top - k + i] = (product[top - k + i] - coefficient * modulus[i]) % p
        return number(product[:k])

    for candidate in range(q):  # the low coefficients of x^k + ...
        modulus = digits(candidate)
        mul = tuple(multiply(a, b, modulus) for a in range(q) for b in range(q))
        if all(mul[a * q + b] for a in range(1, q) for b in range(1, q)):
            return Field(q, add, mul)
    raise AssertionError(f"no irreducible polynomial of degree {k} over GF({p})")


@dataclass(frozen=True, slots=True)
class Construction:
    """``seats[r][s]``: the table of seat s in round r. Seats 0..tables-1 are the b = 0 class
    (seat t at table t in every round: hosts); the rest follow class by class."""

    seats: tuple[tuple[int, ...], ...]


def max_rounds(tables: int, size: int, *, hosted: bool, empty_seats: int) -> int:
    """How many rounds :func:`affine_seating` can give (0 when it does not apply)."""
    if field(tables) is None or not 2 <= size <= tables or not 0 <= empty_seats < tables:
        return 0
    extra = not hosted and empty_seats == 0 and tables % size == 0
    return tables + extra


def affine_seating(
    tables: int, size: int, rounds: int, empty_seats: int, round_order: list[int]
) -> Construction:
    """``rounds`` rounds for ``tables * size - empty_seats`` seats; the empty seats are the last
    ones (of the last class). ``round_order`` is a permutation of range(tables): which field
    elements serve as rounds, in order."""
    gf = field(tables)
    assert gf is not None
    q = tables
    seat_points = [(a, b) for b in range(size) for a in range(q)][: q * size - empty_seats]
    seats: list[tuple[int, ...]] = []
    for r in round_order[: min(rounds, q)]:
        seats.append(tuple(gf.add[a * q + gf.mul[r * q + b]] for a, b in seat_points))
    if rounds > q:  # each class of equal b, split into q/size tables
        per_class = q // size
        seats.append(tuple(b * per_class + a // size for a, b in seat_points))
    return Construction(tuple(seats))
