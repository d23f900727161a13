"""Scoped reads of the assessment and the credit grades. Views and the API read only through these.

Evaluations belong to the regulators of their area. An enterprise sees its own results of published
evaluations, and its own credit grades (the enterprise's and its sites').
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from parcelwatch.accounts.access import Scope, scope_q, user_can, valid_pk
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import SELFCHECK_VIEW
from parcelwatch.registry.models import Enterprise, Site

from .models import CreditRating, Evaluation, EvaluationResult

EVALUATION_SCOPE = Scope(path_field="area__path")
RESULT_SCOPE = Scope(path_field="evaluation__area__path")
OWN_RESULT_SCOPE = Scope(path_field=None, enterprise_field="enterprise_id")


def evaluations_visible_to(user: User, perm: str = SELFCHECK_VIEW) -> QuerySet[Evaluation]:
    own = EvaluationResult.objects.filter(scope_q(user, perm, OWN_RESULT_SCOPE)).values("evaluation_id")
    return Evaluation.objects.filter(scope_q(user, perm, EVALUATION_SCOPE) | Q(
        state=Evaluation.State.PUBLISHED, pk__in=own)).select_related("sheet", "area", "created_by")


def get_evaluation_for_user(user: User, pk: object, need: str | None = None) -> Evaluation:
    """404 unless the user sees the evaluation (its area's regulators; an enterprise in it, once published); 403
    when they see it but `need` is not theirs over its area."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    evaluation = evaluations_visible_to(user).filter(pk=valid_pk(pk) or 0).first()
    if evaluation is None:
        raise Http404
    if need and not can_manage(user, need, evaluation):
        raise PermissionDenied
    return evaluation


def can_manage(user: User, perm: str, evaluation: Evaluation) -> bool:
    return user_can(user, perm, evaluation, scope=EVALUATION_SCOPE)


def results_visible_to(user: User, evaluation: Evaluation) -> QuerySet[EvaluationResult]:
    """All results for the regulators of the area; an enterprise's own, once published."""
    qs = evaluation.results.select_related("enterprise", "site", "site__district", "enterprise__jurisdiction")
    if can_manage(user, SELFCHECK_VIEW, evaluation):
        return qs
    if evaluation.state != Evaluation.State.PUBLISHED:
        return qs.none()
    return qs.filter(scope_q(user, SELFCHECK_VIEW, OWN_RESULT_SCOPE))


def get_result_for_user(user: User, pk: object) -> EvaluationResult:
    from django.http import Http404

    result = EvaluationResult.objects.select_related("evaluation__sheet", "evaluation__area").filter(
        pk=valid_pk(pk) or 0).first()
    if result is None or not results_visible_to(user, result.evaluation).filter(pk=result.pk).exists():
        raise Http404
    return result


def rating_of(user: User, enterprise: Enterprise, site: Site | None = None) -> tuple[CreditRating | None, list, bool]:
    """The current rating of an enterprise (or a site), its earlier ones, and whether this user may read the
    reasons. The grade itself is seen by whoever sees the enterprise (or the site) in the registry; the reasons
    and the history — which name problems, cases and fines — only by the regulators who supervise it (the
    district where the enterprise is registered, or where the site is) and by the enterprise itself."""
    from parcelwatch.accounts.permissions import REGISTRY_VIEW
    from parcelwatch.registry.selectors import ENTERPRISE_SCOPE, SITE_SCOPE
    from parcelwatch.selfcheck.selectors import REPORTER_SCOPE

    subject, scope = (site, SITE_SCOPE) if site is not None else (enterprise, ENTERPRISE_SCOPE)
    if not user_can(user, REGISTRY_VIEW, subject, scope=scope):
        return None, [], False
    detailed = user_can(user, SELFCHECK_VIEW, subject, scope=SITE_SCOPE if site is not None else REPORTER_SCOPE)
    rows = list(CreditRating.objects.filter(enterprise=enterprise, site=site).order_by("-since", "-pk")[:24])
    current = next((r for r in rows if r.current), None)
    return current, ([r for r in rows if not r.current] if detailed else []), detailed


def may_see_rules(user: User, site: Site) -> bool:
    """The three rules of a site (monthly answers, problems found, patrol findings): its regulators and its
    enterprise."""
    from parcelwatch.registry.selectors import SITE_SCOPE

    return user_can(user, SELFCHECK_VIEW, site, scope=SITE_SCOPE)


def three_rules(site: Site, *, months: int = 12) -> list[dict]:
    """Per safety rule: the enterprise's monthly answers for it, problems of that rule found at the site, and what
    the video patrols saw there — over the last `months` months."""
    from datetime import timedelta

    from django.utils import timezone

    from parcelwatch.events.models import Event
    from parcelwatch.selfcheck.models import DutyReport, DutyReportItem

    since = timezone.now() - timedelta(days=30 * months)
    reports = list(DutyReport.objects.filter(enterprise_id=site.enterprise_id, period__gte=since.date().replace(day=1))
                   .order_by("-period").only("items", "answers", "period"))
    events = list(Event.objects.filter(site=site, reported_at__gte=since, duplicate_of__isnull=True)
                  .exclude(state__in=(Event.State.REJECTED, Event.State.MERGED))
                  .select_related("category").order_by("-reported_at"))
    patrol_points = {"inspection": "contents_inspected", "real_name": "sender_identity", "xray": "xray_staffed"}
    patrols = _patrol_results(site, since)
    rows = []
    for rule, label in DutyReportItem.Rule.choices:
        answers = [r.answers.get(i["code"]) for r in reports for i in r.items if i.get("rule") == rule]
        found = [e for e in events if e.category.code in RULE_CATEGORIES[rule]]
        seen = [p.get(patrol_points[rule]) for p in patrols if p.get(patrol_points[rule])]
        problems = len(found) + answers.count("no") + seen.count("problem")
        rows.append({
            "rule": rule, "label": label, "yes": answers.count("yes"), "no": answers.count("no"),
            "events": found[:10], "event_count": len(found), "open": sum(1 for e in found if e.state in
                                                                         Event.OPEN_STATES),
            "patrol_ok": seen.count("ok"), "patrol_problem": seen.count("problem"),
            "status": "unknown" if not (answers or found or seen) else "problem" if problems else "ok",
        })
    return rows


# Event categories that breach each rule (DOMAIN: the three safety rules).
RULE_CATEGORIES = {"inspection": ("YS01", "JJ01"), "real_name": ("RS01", "RS02"), "xray": ("AJ01", "AJ02")}


def _patrol_results(site: Site, since) -> list[dict]:
    from parcelwatch.video.models import VideoPatrol

    return [p.results for p in VideoPatrol.objects.filter(site=site, patrolled_at__gte=since).only("results")]
