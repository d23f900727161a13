"""Pages of long lists that cost the same at ten thousand rows as at ten million.

Counting every matching row is the one part of a list page that grows with history. Lists count up
to a cap (LIST_COUNT_CAP, 10,000 by default) and say "more than 10,000" beyond it; the rows of any
page are still exact.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """(count, capped): the exact count up to `cap`, else (cap, True). One bounded query."""
    cap = cap or settings.LIST_COUNT_CAP
    if not hasattr(queryset, "query"):
        n = len(queryset)
        return (min(n, cap), n > cap)
    n = queryset.order_by()[: cap + 1].count()
    return (min(n, cap), n > cap)


def page_rows(queryset, start: int, stop: int) -> list:
    """The rows of one page, in order, in two small queries: the ids (the table's own columns and indexes only,
    so no join can lead the database astray), then those rows with everything they show."""
    if not isinstance(queryset, QuerySet) or not queryset.query.select_related:
        return list(queryset[start:stop])
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


class CappedPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(page_rows(self.object_list, bottom, bottom + self.per_page), number, self)

    @cached_property
    def _capped(self) -> tuple[int, bool]:
        return capped_count(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._capped[0]

    @property
    def capped(self) -> bool:
        return self._capped[1]


def paged(request, queryset, per_page: int = 25):
    """(the page of `queryset` the request asks for, the request's other query parameters for the page links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("page")), params.urlencode()
