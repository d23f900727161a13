"""The 双随机 draw of inspection targets and inspectors, as pure functions anyone can re-run.

Every candidate gets a ticket: the SHA-256 hex digest of "<seed>:<kind>:<id>" (kind "site" or "inspector").
Lower tickets are drawn first. Targets are drawn per credit grade: of the n candidates of a grade, the
⌈n × share ÷ 100⌉ with the lowest tickets. Inspectors are put in ticket order and dealt round-robin, `size`
to a team, to the targets in ticket order. Nothing here depends on a programming language's random number
generator, so the published seed and candidate list are enough to check a draw with any SHA-256 tool.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

GRADES = ("A", "B", "C", "D")


def ticket(seed: str, kind: str, ident: int) -> str:
    return hashlib.sha256(f"{seed}:{kind}:{ident}".encode()).hexdigest()


def share_of(grade: str, shares: Mapping[str, int]) -> int:
    """The share drawn of a grade; a candidate without a credit grade yet ("") is drawn with grade B's."""
    return int(shares.get(grade or "B", 0))


def draw_targets(seed: str, candidates: Iterable[tuple[int, str]], shares: Mapping[str, int]) -> list[int]:
    """The ids drawn, in ticket order."""
    by_grade: dict[str, list[int]] = defaultdict(list)
    for ident, grade in candidates:
        by_grade[grade or "B"].append(int(ident))
    chosen: list[int] = []
    for grade, idents in by_grade.items():
        count = math.ceil(len(idents) * share_of(grade, shares) / 100)
        chosen += sorted(idents, key=lambda i: ticket(seed, "site", i))[:count]
    return sorted(chosen, key=lambda i: ticket(seed, "site", i))


def assign_teams(seed: str, targets: list[int], pool: Iterable[int], size: int) -> dict[int, list[int]]:
    """Each target's team of `size` different inspectors; the work is spread evenly over the pool."""
    order = sorted({int(u) for u in pool}, key=lambda u: ticket(seed, "inspector", u))
    if size < 1 or len(order) < size:
        raise ValueError("the pool is smaller than a team")
    return {target: sorted(order[(i * size + k) % len(order)] for k in range(size))
            for i, target in enumerate(targets)}
