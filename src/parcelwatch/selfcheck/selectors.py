"""Scoped reads of self-inspection. Views and the API read only through these.

Filings and duty reports belong to the district where their enterprise is registered (the office that
files and reviews them) and to the enterprise itself. Circulars are seen by the regulators of their area
and, once published, by the enterprises they are addressed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from parcelwatch.accounts.access import Scope, get_object_for_user, memberships, scope_q, scoped, user_can, valid_pk
from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.accounts.permissions import SELFCHECK_VIEW
from parcelwatch.registry.models import Enterprise, Site

from .models import (
    Circular,
    CircularRecipient,
    DutyReport,
    DutyReportTemplate,
    OfficerFiling,
    SpotCheck,
    SpotCheckDraw,
    next_month,
)

OWNED_SCOPE = Scope(path_field="enterprise__jurisdiction__path", enterprise_field="enterprise_id",
                    ids=(("enterprise__jurisdiction__path", None, "enterprise__jurisdiction_id"),))
# Enterprises answer to the district where they are registered.
REPORTER_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="id",
                       ids=(("jurisdiction__path", None, "jurisdiction_id"),))
CHECK_SCOPE = Scope(path_field="report__enterprise__jurisdiction__path",
                    ids=(("report__enterprise__jurisdiction__path", None, "report__enterprise__jurisdiction_id"),))
DRAW_SCOPE = Scope(path_field="area__path")
CIRCULAR_SCOPE = Scope(path_field="area__path")


def filings_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[OfficerFiling]:
    return scoped(OfficerFiling.objects.all(), user, perm, OWNED_SCOPE).select_related(
        "enterprise", "officer", "submitted_by", "decided_by")


def get_filing_for_user(user: User, pk: object, need: str = SELFCHECK_VIEW) -> OfficerFiling:
    return get_object_for_user(OfficerFiling.objects.select_related("enterprise__jurisdiction", "officer"),
                               user, pk, scope=OWNED_SCOPE, view=SELFCHECK_VIEW, need=need)


def reports_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[DutyReport]:
    return scoped(DutyReport.objects.all(), user, perm, OWNED_SCOPE).select_related(
        "enterprise__jurisdiction", "submitted_by", "reviewed_by")


def get_report_for_user(user: User, pk: object, need: str = SELFCHECK_VIEW) -> DutyReport:
    return get_object_for_user(DutyReport.objects.select_related("enterprise__jurisdiction", "template"),
                               user, pk, scope=OWNED_SCOPE, view=SELFCHECK_VIEW, need=need)


def reporters_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[Enterprise]:
    """Enterprises expected to report: operating, with at least one operating site."""
    operating_site = Exists(Site.objects.filter(enterprise=OuterRef("pk"), status=Site.Status.OPERATING))
    return scoped(Enterprise.objects.filter(operating_site, status=Enterprise.Status.OPERATING), user, perm,
                  REPORTER_SCOPE).select_related("jurisdiction", "brand")


def filing_personal(user: User, filing: OfficerFiling) -> dict[str, str]:
    """The filed ID number and phone as this viewer may see them (masked like the registry's officer records)."""
    from parcelwatch.accounts.permissions import REGISTRY_VIEW_SENSITIVE
    from parcelwatch.registry.privacy import mask
    from parcelwatch.registry.selectors import ENTERPRISE_SCOPE

    if user_can(user, REGISTRY_VIEW_SENSITIVE, filing.enterprise, scope=ENTERPRISE_SCOPE):
        return {"id_number": filing.id_number, "phone": filing.phone}
    return {"id_number": mask("id_number", filing.id_number), "phone": mask("phone", filing.phone)}


def can_on(user: User, perm: str, obj) -> bool:
    scope = {OfficerFiling: OWNED_SCOPE, DutyReport: OWNED_SCOPE, Enterprise: REPORTER_SCOPE, SpotCheck: CHECK_SCOPE,
             SpotCheckDraw: DRAW_SCOPE}[type(obj)]
    return user_can(user, perm, obj, scope=scope)


def draws_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[SpotCheckDraw]:
    # Spot checks are the regulator's: enterprises do not see which of their reports were drawn.
    return scoped(SpotCheckDraw.objects.all(), user, perm, DRAW_SCOPE).select_related("area", "drawn_by")


def get_draw_for_user(user: User, pk: object, need: str = SELFCHECK_VIEW) -> SpotCheckDraw:
    return get_object_for_user(SpotCheckDraw.objects.select_related("area", "drawn_by"), user, pk,
                               scope=DRAW_SCOPE, view=SELFCHECK_VIEW, need=need)


def checks_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[SpotCheck]:
    return scoped(SpotCheck.objects.all(), user, perm, CHECK_SCOPE).select_related(
        "report__enterprise", "draw", "checked_by", "event", "site")


def get_check_for_user(user: User, pk: object, need: str = SELFCHECK_VIEW) -> SpotCheck:
    return get_object_for_user(SpotCheck.objects.select_related("report__enterprise__jurisdiction", "draw", "event"),
                               user, pk, scope=CHECK_SCOPE, view=SELFCHECK_VIEW, need=need)


def _enterprise_ids(user: User, perm: str) -> list[int]:
    from parcelwatch.accounts.permissions import permissions_for_role

    return sorted({m.enterprise_id for m in memberships(user)
                   if m.role == Role.ENTERPRISE_SAFETY and perm in permissions_for_role(m.role)})


def circulars_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[Circular]:
    q = scope_q(user, perm, CIRCULAR_SCOPE)
    ids = _enterprise_ids(user, perm)
    if ids:
        q |= Q(state=Circular.State.PUBLISHED,
               pk__in=CircularRecipient.objects.filter(enterprise_id__in=ids).values("circular_id"))
    return Circular.objects.filter(q).select_related("area", "drafted_by", "approved_by", "document")


def get_circular_for_user(user: User, pk: object, need: str = SELFCHECK_VIEW) -> Circular:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    circular = circulars_visible_to(user).filter(pk=valid_pk(pk) or 0).first()
    if circular is None:
        raise Http404
    if need != SELFCHECK_VIEW and not can_on_circular(user, need, circular):
        raise PermissionDenied
    return circular


def can_on_circular(user: User, perm: str, circular: Circular) -> bool:
    """Acting on a circular is the regulators' of its area (enterprises only read it)."""
    return Circular.objects.filter(scope_q(user, perm, CIRCULAR_SCOPE), pk=circular.pk).exists()


def receipts_of(user: User) -> QuerySet[CircularRecipient]:
    """The user's enterprises' copies of published circulars."""
    return CircularRecipient.objects.filter(
        enterprise_id__in=_enterprise_ids(user, SELFCHECK_VIEW), circular__state=Circular.State.PUBLISHED,
    ).select_related("circular", "enterprise", "read_by")


def active_template() -> DutyReportTemplate | None:
    return DutyReportTemplate.objects.filter(active=True).prefetch_related("items").first()


def due_date_for(period: date, template: DutyReportTemplate | None = None) -> date:
    template = template or active_template()
    day = template.due_day if template else 10
    following = next_month(period)
    return following.replace(day=min(max(day, 1), 28))


# --- a month's reporting: who reported, late, missing -----------------------------------------------------------

STATUS_SUBMITTED, STATUS_LATE, STATUS_MISSING, STATUS_RETURNED, STATUS_ACCEPTED, STATUS_DUE = (
    "submitted", "late", "missing", "returned", "accepted", "due")


@dataclass
class ReportingRow:
    enterprise: Enterprise
    report: DutyReport | None
    status: str  # due | missing | submitted | late | returned | accepted


def reporting_status(report: DutyReport | None, due: date, today: date) -> str:
    if report is None:
        return STATUS_MISSING if today > due else STATUS_DUE
    if report.state == DutyReport.State.RETURNED:
        return STATUS_RETURNED
    if report.late:
        return STATUS_LATE
    if report.state == DutyReport.State.ACCEPTED:
        return STATUS_ACCEPTED
    return STATUS_SUBMITTED


def reporting_rows(user: User, period: date, *, today: date, district: Jurisdiction | None = None,
                   status: str = "") -> list[ReportingRow]:
    """Every enterprise expected to report for the month, with its report (or none) and its status."""
    enterprises = reporters_visible_to(user)
    if district is not None:
        enterprises = enterprises.filter(jurisdiction__path__startswith=district.path)
    reports = {r.enterprise_id: r for r in reports_visible_to(user).filter(
        period=period, enterprise__in=enterprises.values("pk"))}
    due = due_date_for(period)
    rows = []
    for enterprise in enterprises.order_by("jurisdiction__sort_order", "name", "pk"):
        report = reports.get(enterprise.pk)
        row_status = reporting_status(report, report.due_date if report else due, today)
        if status and status != row_status:
            continue
        rows.append(ReportingRow(enterprise, report, row_status))
    return rows


def count_missing(user: User, period: date, *, today: date) -> int:
    """How many rows `reporting_rows(..., status=STATUS_MISSING)` lists, counted by the database (home pages): the
    enterprises expected to report that have no report for the month once its due date has passed."""
    if not today > due_date_for(period):
        return 0
    reported = reports_visible_to(user).filter(period=period).values("enterprise_id")
    return reporters_visible_to(user).exclude(pk__in=reported).count()


def reporting_summary(user: User, period: date, *, today: date) -> list[dict]:
    """Per district: expected, on time, late, missing, returned, accepted — each a link to its list."""
    rows = reporting_rows(user, period, today=today)
    districts: dict[int, dict] = {}
    for row in rows:
        node = row.enterprise.jurisdiction
        entry = districts.setdefault(node.pk, {"district": node, "expected": 0, STATUS_DUE: 0, STATUS_SUBMITTED: 0,
                                               STATUS_LATE: 0, STATUS_MISSING: 0, STATUS_RETURNED: 0,
                                               STATUS_ACCEPTED: 0})
        entry["expected"] += 1
        entry[row.status] += 1
    return sorted(districts.values(), key=lambda e: (e["district"].sort_order, e["district"].code))
