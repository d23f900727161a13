"""Enforcement cases as a spreadsheet (Chinese headers)."""

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import CASES_VIEW
from parcelwatch.lib.spreadsheets import Column, ExportSheet, ExportSource

from .selectors import case_filters, cases_visible_to, filter_cases

CASE_SHEET = ExportSheet(
    title=_("Enforcement cases"),
    queryset_for_export=lambda qs: qs.select_related("enterprise", "site", "category", "district")
    .prefetch_related("events"),
    columns=(
        Column("案件编号", "number", export=lambda c: c.number or "", width=22),
        Column("当事人", "enterprise", export=lambda c: c.enterprise.name, width=32),
        Column("统一社会信用代码", "credit_code", export=lambda c: c.enterprise.credit_code, width=22),
        Column("网点", "site", export=lambda c: c.site.name, width=28),
        Column("县区", "district", export=lambda c: c.district.name),
        Column("类别", "category", export=lambda c: f"{c.category.code} {c.category.name}", width=30),
        Column("关联事件", "events", export=lambda c: "、".join(e.number for e in c.events.all()), width=18),
        Column("状态", "state", export=lambda c: str(c.get_state_display())),
        Column("立案时间", "filed_at", width=18),
        Column("法律依据", "legal_basis", width=40),
        Column("罚款（元）", "fine_amount"),
        Column("处罚决定书文号", "decision_number", width=22),
        Column("缴款时间", "paid_at", width=18),
        Column("结案时间", "closed_at", width=18),
    ),
)

EXPORT_SOURCES = (
    ExportSource(
        key="cases", label=_("Enforcement cases"), permission=CASES_VIEW, sheet=CASE_SHEET,
        rows=lambda user, params: filter_cases(cases_visible_to(user), **case_filters(params))
        .order_by("-filed_at", "-proposed_at", "-pk"),
    ),
)
