"""The rollups kept per month, and which one answers a question.

Each grain sums the measures by month and a few dimensions; a question (its filters and its
breakdown) is answered from the smallest grain that splits by every dimension it needs, and
from the per-event facts when none does.
"""

from __future__ import annotations

DIMENSIONS = ("district_id", "category_id", "brand_id", "enterprise_id", "reporter_id", "source", "level")

# Smallest first: the first grain covering a question answers it.
GRAINS: dict[str, tuple[str, ...]] = {
    "dc": ("district_id", "category_id"),
    "db": ("district_id", "brand_id"),
    "de": ("district_id", "enterprise_id", "brand_id"),
    "dr": ("district_id", "reporter_id"),
    "f": ("district_id", "category_id", "brand_id", "source", "level"),
}

EMPTY = {"district_id": 0, "category_id": 0, "brand_id": 0, "enterprise_id": 0, "reporter_id": 0, "source": "",
         "level": ""}


def key(grain: str, month: int, dims: dict) -> dict:
    """The rollup row an event with these dimensions counts in, at this grain."""
    k = {**EMPTY, "grain": grain, "month": month}
    for d in GRAINS[grain]:
        k[d] = dims[d]
    return k


def grain_for(needed: set[str]) -> str | None:
    for grain, dims in GRAINS.items():
        if needed <= set(dims):
            return grain
    return None
