"""Small query helpers for the hot paths."""

from __future__ import annotations

from django.db.models import Model, QuerySet


def unique_or_none(queryset: QuerySet) -> Model | None:
    """The row a lookup on a unique key matches, or None.

    Like `.first()` without the ORDER BY that `.first()` adds (the model's ordering, or the primary key): one
    row cannot need ordering, and an ordering through a relation costs a join and its compilation on every call."""
    return next(iter(queryset.order_by()[:1]), None)
