"""Events as a spreadsheet (Chinese headers), for the filtered event list.

Rows are read as plain values (no model instances): a million-row history exports at the speed of
the spreadsheet writer, not of the ORM.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import EVENTS_VIEW
from parcelwatch.lib.spreadsheets import Column, ExportSheet, ExportSource

from .models import Event
from .selectors import event_filters, listed_events

STATES = dict(Event.State.choices)
LEVELS = dict(Event.Level.choices)
FIELDS = ("number", "site__name", "site__enterprise__name", "district__name", "category__code", "category__name",
          "description", "state", "reported_by__full_name", "reported_by__username", "reported_at", "deadline",
          "rework_count", "closure_level", "closed_at")


def _overdue(e: dict) -> str:
    return "是" if e["state"] == Event.State.RECTIFYING and e["deadline"] and e["deadline"] < timezone.localdate() else ""


EVENT_SHEET = ExportSheet(
    title=_("Events"),
    queryset_for_export=lambda qs: qs.values(*FIELDS),
    columns=(
        Column("事件编号", "number", width=14),
        Column("网点", "site", export=lambda e: e["site__name"], width=30),
        Column("运营企业", "enterprise", export=lambda e: e["site__enterprise__name"], width=32),
        Column("县区", "district", export=lambda e: e["district__name"]),
        Column("类别代码", "category", export=lambda e: e["category__code"], width=10),
        Column("类别", "category_name", export=lambda e: e["category__name"], width=28),
        Column("问题描述", "description", width=40),
        Column("状态", "state", export=lambda e: str(STATES.get(e["state"], e["state"]))),
        Column("上报人", "reported_by", export=lambda e: e["reported_by__full_name"] or e["reported_by__username"]),
        Column("上报时间", "reported_at", width=18),
        Column("整改期限", "deadline"),
        Column("是否逾期", "overdue", export=_overdue),
        Column("返工次数", "rework_count", width=10),
        Column("办结层级", "closure_level", export=lambda e: str(LEVELS.get(e["closure_level"], "")) if e["closure_level"]
               else ""),
        Column("办结时间", "closed_at", width=18),
    ),
)

EXPORT_SOURCES = (
    ExportSource(
        key="events", label=_("Events"), permission=EVENTS_VIEW, sheet=EVENT_SHEET,
        rows=lambda user, params: listed_events(user, event_filters(params))
        .order_by("-reported_at", "-pk"),
    ),
)
