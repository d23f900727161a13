"""Events as a spreadsheet (Chinese headers), for the filtered event list."""

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import EVENTS_VIEW
from parcelwatch.lib.spreadsheets import Column, ExportSheet, ExportSource

from .selectors import event_filters, events_visible_to, filter_events

EVENT_SHEET = ExportSheet(
    title=_("Events"),
    queryset_for_export=lambda qs: qs.select_related("site__enterprise", "category", "district", "reported_by"),
    columns=(
        Column("事件编号", "number", width=14),
        Column("网点", "site", export=lambda e: e.site.name, width=30),
        Column("运营企业", "enterprise", export=lambda e: e.site.enterprise.name, width=32),
        Column("县区", "district", export=lambda e: e.district.name),
        Column("类别代码", "category", export=lambda e: e.category.code, width=10),
        Column("类别", "category_name", export=lambda e: e.category.name, width=28),
        Column("问题描述", "description", width=40),
        Column("状态", "state", export=lambda e: str(e.get_state_display())),
        Column("上报人", "reported_by", export=lambda e: e.reported_by.display_name),
        Column("上报时间", "reported_at", width=18),
        Column("整改期限", "deadline"),
        Column("是否逾期", "overdue", export=lambda e: "是" if e.is_overdue() else ""),
        Column("返工次数", "rework_count", width=10),
        Column("办结层级", "closure_level", export=lambda e: str(e.get_closure_level_display()) if e.closure_level else ""),
        Column("办结时间", "closed_at", width=18),
    ),
)

EXPORT_SOURCES = (
    ExportSource(
        key="events", label=_("Events"), permission=EVENTS_VIEW, sheet=EVENT_SHEET,
        rows=lambda user, params: filter_events(events_visible_to(user), **event_filters(params))
        .order_by("-reported_at", "-pk"),
    ),
)
