from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import CASES_VIEW, INSPECTIONS_VIEW
from parcelwatch.lib import params as p

from .models import EnforcementCase, Inspection, InspectionPlan
from .workflow import CASE_TRANSITIONS, WAITING_FOR, CaseTransition

CASE_SCOPE = Scope(path_field="district__path", enterprise_field="enterprise_id",
                   ids=(("district__path", "district_id", "district_id"),))


def cases_visible_to(user: User, perm: str = CASES_VIEW) -> QuerySet[EnforcementCase]:
    return scoped(EnforcementCase.objects.all(), user, perm, CASE_SCOPE).select_related(
        "enterprise", "site", "category", "district"
    )


def get_case_for_user(user: User, pk: object, need: str = CASES_VIEW) -> EnforcementCase:
    return get_object_for_user(cases_visible_to(user), user, pk, scope=CASE_SCOPE, view=CASES_VIEW, need=need)


def can_on_case(user: User, perm: str, case: EnforcementCase) -> bool:
    return user_can(user, perm, case, scope=CASE_SCOPE)


def available_case_transitions(case: EnforcementCase, user: User) -> list[CaseTransition]:
    granted: dict[str, bool] = {}
    result = []
    for t in CASE_TRANSITIONS.values():
        if case.state not in t.sources:
            continue
        if t.permission not in granted:
            granted[t.permission] = can_on_case(user, t.permission, case)
        if granted[t.permission]:
            result.append(t)
    return result


def case_filters(params: Mapping) -> dict:
    from parcelwatch.accounts.access import valid_pk

    return {"year": p.year(params), "district": p.text(params, "district", 32), "state": p.text(params, "state", 16),
            "q": p.text(params, "q"), "filed_from": p.day(params, "filed_from"), "filed_to": p.day(params, "filed_to"),
            "category": p.text(params, "category", 8), "brand": p.text(params, "brand", 32),
            "enterprise": valid_pk(params.get("enterprise")) if params.get("enterprise") else None}


def _year_range(year: int) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime.combine(date(year, 1, 1), time.min)),
            timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min)))


def filter_cases(qs: QuerySet[EnforcementCase], *, year: int | None = None, district: str = "", state: str = "",
                 q: str = "", filed_from: date | None = None, filed_to: date | None = None, category: str = "",
                 brand: str = "", enterprise: int | None = None) -> QuerySet[EnforcementCase]:
    """`year` is the local year of filing (of proposal for cases not filed); `q` also matches event numbers.
    `filed_from`/`filed_to` (local days, included) keep only cases filed in that period (the statistics' count)."""
    if filed_from:
        qs = qs.filter(filed_at__gte=timezone.make_aware(datetime.combine(filed_from, time.min)))
    if filed_to:
        qs = qs.filter(filed_at__lt=timezone.make_aware(datetime.combine(filed_to + timedelta(days=1), time.min)))
    if category:
        qs = qs.filter(category__code=category)
    if brand:
        qs = qs.filter(enterprise__brand__code=brand)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    if year:
        start, end = _year_range(year)
        qs = qs.filter(Q(filed_at__gte=start, filed_at__lt=end)
                       | Q(filed_at__isnull=True, proposed_at__gte=start, proposed_at__lt=end))
    if district:
        qs = qs.filter(district__code=district)
    if state:
        qs = qs.filter(state=state)
    if q:
        from parcelwatch.events.models import Event

        by_event = Event.objects.filter(number__icontains=q).values("cases")
        qs = qs.filter(Q(number__icontains=q) | Q(enterprise__name__icontains=q) | Q(site__name__icontains=q)
                       | Q(decision_number__icontains=q) | Q(pk__in=by_event))
    return qs


def fines_total(qs: QuerySet[EnforcementCase]) -> Decimal:
    total = qs.filter(state__in=EnforcementCase.PENALISED).aggregate(total=Sum("fine_amount"))["total"]
    return total or Decimal("0")


def case_todo_for(user: User, today: date | None = None) -> QuerySet[EnforcementCase]:
    """Case steps waiting for this user: filings and decisions for leaders, the other steps for officers.

    A decision waits for the leader once the party's statement period is over.
    """
    today = today or timezone.localdate()
    by_perm: dict[str, list[str]] = {}
    for state, perm in WAITING_FOR.items():
        by_perm.setdefault(perm, []).append(state)
    qs = EnforcementCase.objects.none()
    for perm, states in by_perm.items():
        qs = qs | scoped(EnforcementCase.objects.filter(state__in=states), user, perm, CASE_SCOPE)
    qs = qs.exclude(state=EnforcementCase.State.NOTIFIED, hearing_deadline__gte=today)
    return qs.select_related("enterprise", "site", "category", "district").order_by("proposed_at", "pk")


# --- inspections ----------------------------------------------------------------------------------------------

# A plan is seen by the regulators of its area and above; an inspection also by the enterprise of its site and by
# the regulators of the site's district (a district officer drawn onto a city plan sees the inspections there).
PLAN_SCOPE = Scope(path_field="area__path", ids=(("area__path", None, "area_id"),))
INSPECTION_SCOPE = Scope(path_field="site__district__path", enterprise_field="site__enterprise_id",
                         extra=("plan__area__path",))


def plans_visible_to(user: User, perm: str = INSPECTIONS_VIEW) -> QuerySet[InspectionPlan]:
    return scoped(InspectionPlan.objects.all(), user, perm, PLAN_SCOPE).select_related("area", "created_by")


def get_plan_for_user(user: User, pk: object, need: str = INSPECTIONS_VIEW) -> InspectionPlan:
    return get_object_for_user(plans_visible_to(user), user, pk, scope=PLAN_SCOPE, view=INSPECTIONS_VIEW, need=need)


def can_on_plan(user: User, perm: str, plan: InspectionPlan) -> bool:
    return user_can(user, perm, plan, scope=PLAN_SCOPE)


def inspections_visible_to(user: User, perm: str = INSPECTIONS_VIEW) -> QuerySet[Inspection]:
    """Inspections in the user's area, and those the user was drawn to carry out (a district officer drawn onto a
    city plan may be sent to another district)."""
    from parcelwatch.accounts.access import has_permission
    from parcelwatch.accounts.permissions import INSPECTIONS_MANAGE

    qs = scoped(Inspection.objects.all(), user, perm, INSPECTION_SCOPE)
    if user.is_authenticated and has_permission(user, INSPECTIONS_MANAGE):
        drawn = Inspection.inspectors.through.objects.filter(user_id=user.pk).values("inspection_id")
        qs = Inspection.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=drawn))
    return qs.select_related("plan__area", "site__enterprise", "site__district")


def get_inspection_for_user(user: User, pk: object) -> Inspection:
    from django.http import Http404

    from parcelwatch.accounts.access import valid_pk

    inspection = inspections_visible_to(user).filter(pk=valid_pk(pk) or 0).first()
    if inspection is None:
        raise Http404
    return inspection


def is_inspector(user: User, inspection: Inspection) -> bool:
    return user.is_authenticated and inspection.inspectors.filter(pk=user.pk).exists()


def inspections_due_for(user: User) -> QuerySet[Inspection]:
    """The inspections the user is drawn for and has not recorded yet: "what needs me now"."""
    return inspections_visible_to(user).filter(inspectors=user, state=Inspection.State.PLANNED,
                                               plan__state=InspectionPlan.State.PUBLISHED)


def published_plans() -> QuerySet[InspectionPlan]:
    """What 一公开 shows anyone, without logging in."""
    return InspectionPlan.objects.filter(state=InspectionPlan.State.PUBLISHED).select_related("area")


def case_totals(qs: QuerySet[EnforcementCase]) -> dict:
    """The ledger's totals of the cases in `qs` that were filed (立案), with the fines decided, by category and by
    district: what the yearly figures (2019: 32 cases, 1,182,500 yuan) are made of."""
    from django.db.models import Count

    filed = qs.filter(filed_at__isnull=False).order_by()
    fines = Sum("fine_amount", filter=Q(state__in=EnforcementCase.PENALISED))

    def rows(*fields: str, order: tuple[str, ...]) -> list[dict]:
        return [{**row, "fines": row["fines"] or Decimal("0")}
                for row in filed.values(*fields).annotate(cases=Count("pk"), fines=fines).order_by(*order)]

    by_category = rows("category__code", "category__name", order=("-cases", "category__code"))
    by_district = rows("district__code", "district__name", "district__sort_order",
                       order=("district__sort_order", "district__code"))
    return {"cases": sum(r["cases"] for r in by_category), "fines": sum((r["fines"] for r in by_category), Decimal(0)),
            "by_category": by_category, "by_district": by_district}
