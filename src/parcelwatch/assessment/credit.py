"""Credit and risk grades (信用分级 A–D) of enterprises and sites, explained line by line.

A rating starts from 100 points; each input deducts with its reason: the latest published assessment, the same
problem found again within twelve months, rectifications past their deadline, enforcement cases and their
fines, and the monthly duty reports missed or sent late. A ≥ 90, B ≥ 75, C ≥ 60, D below. The worker recomputes
an enterprise's ratings (and its sites') within a minute of a change of one of these inputs, and all of them
nightly, since old records age out of the windows.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcelwatch.lib.queries import kept_cursor
from parcelwatch.registry.models import Enterprise, Site

from .models import CreditRating, CreditRecalculation, Evaluation, EvaluationResult, Grade

logger = logging.getLogger(__name__)

BASE = Decimal(100)
THRESHOLDS = (("A", Decimal(90)), ("B", Decimal(75)), ("C", Decimal(60)))
ASSESSMENT_DEDUCTION = {Grade.EXCELLENT: 0, Grade.GOOD: 3, Grade.PASS: 8, Grade.FAIL: 15}
REPEAT_DEDUCTION = 5  # per repetition of the same problem at the same site within 12 months
OVERDUE_DEDUCTION = 3  # per rectification past its deadline within 12 months
CASE_DEDUCTION = 10  # per enforcement case filed within 24 months
FINE_STEP, FINE_CAP = Decimal(10000), 20  # 1 point per full 10,000 yuan of fines decided within 24 months
MISSING_DEDUCTION, LATE_DEDUCTION = 3, 1  # per monthly duty report missing / late, last 12 months due
# How often a grade is drawn relative to an A in a random draw (differentiated supervision); no grade yet: as B.
DRAW_WEIGHTS = {"A": 1, "B": 2, "C": 3, "D": 4, None: 2}


@dataclass
class Line:
    key: str  # assessment, repeat, overdue, cases, fines, reports_missing, reports_late
    points: int
    facts: dict  # what the reason is written from, in the reader's language (see `describe`)


LABELS = {
    "assessment": gettext_lazy("Safe-delivery assessment"),
    "repeat": gettext_lazy("The same problem again"),
    "overdue": gettext_lazy("Rectifications past their deadline"),
    "cases": gettext_lazy("Enforcement cases"),
    "fines": gettext_lazy("Fines"),
    "reports_missing": gettext_lazy("Monthly duty reports missing"),
    "reports_late": gettext_lazy("Monthly duty reports late"),
}


def describe(line: dict) -> dict:
    """A stored reason as the reader reads it: its label and its detail, translated now."""
    key, facts = line.get("key", ""), line.get("facts", {})
    try:
        detail = _detail(key, facts)
    except (KeyError, TypeError, ValueError):  # an odd stored line: shown without its detail, never a broken page
        detail = ""
    return {"key": key, "label": str(LABELS.get(key, key)), "points": line.get("points", 0), "detail": detail}


def _detail(key: str, facts: dict) -> str:
    if key == "assessment":
        detail = _("%(year)s: %(score)s points, %(grade)s") % {
            "year": facts["year"], "score": facts["score"], "grade": Grade(facts["grade"]).label}
    elif key == "repeat":
        detail = _("%(category)s at %(site)s, %(n)d times in 12 months") % facts
    elif key == "overdue":
        detail = _("%(n)d in 12 months") % facts
    elif key == "cases":
        detail = _("%(n)d filed in 24 months") % facts
    elif key == "fines":
        detail = _("%(amount)s yuan decided in 24 months") % facts
    elif key in ("reports_missing", "reports_late"):
        detail = _("%(n)d of the last %(total)d months due") % facts
    else:
        detail = ""
    return detail


def grade_of(score: Decimal) -> str:
    for grade, floor in THRESHOLDS:
        if score >= floor:
            return grade
    return "D"


def compute(enterprise: Enterprise, site: Site | None = None, *, today: date | None = None) -> tuple[
        Decimal, str, list[dict]]:
    """The score, grade and reasons of an enterprise (all its sites) or of one site."""
    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.events.models import Event
    from parcelwatch.selfcheck.models import DutyReport, month_start, previous_month

    from .services import enterprise_starts, months_due

    now = timezone.now()
    today = today or timezone.localdate()
    lines: list[Line] = []
    where = Q(site=site) if site else Q(site__enterprise=enterprise)
    result = (EvaluationResult.objects.filter(evaluation__state=Evaluation.State.PUBLISHED,
                                              enterprise=enterprise, site=site)
              .select_related("evaluation").order_by("-evaluation__year", "-evaluation__published_at").first())
    if result is not None:
        lines.append(Line("assessment", -ASSESSMENT_DEDUCTION.get(result.grade, 0), {
            "year": result.evaluation.year, "score": str(result.total), "grade": result.grade}))
    events = Event.objects.filter(where, reported_at__gte=now - timedelta(days=365), duplicate_of__isnull=True).exclude(
        state__in=(Event.State.REJECTED, Event.State.MERGED))
    repeats = Counter(events.values_list("site_id", "site__name", "category_id", "category__name"))
    for (_site_id, site_name, _category_id, category), n in sorted(repeats.items()):
        if n >= 2:
            lines.append(Line("repeat", -REPEAT_DEDUCTION * (n - 1), {"category": category, "site": site_name,
                                                                       "n": n}))
    overdue = events.filter(missed_deadline=True).count()
    if overdue:
        lines.append(Line("overdue", -OVERDUE_DEDUCTION * overdue, {"n": overdue}))
    cases = EnforcementCase.objects.filter(where if site else Q(enterprise=enterprise),
                                           filed_at__gte=now - timedelta(days=730))
    n_cases = cases.count()
    if n_cases:
        lines.append(Line("cases", -CASE_DEDUCTION * n_cases, {"n": n_cases}))
        fines = cases.filter(state__in=EnforcementCase.PENALISED).aggregate(s=Sum("fine_amount"))["s"] or Decimal(0)
        steps = min(FINE_CAP, int(fines // FINE_STEP))
        if steps:
            lines.append(Line("fines", -steps, {"amount": f"{fines:,.2f}"}))
    months, month = [], previous_month(month_start(today))
    for _i in range(12):
        months.append(month)
        month = previous_month(month)
    begun = enterprise_starts([enterprise.pk]).get(enterprise.pk)
    expected = Site.objects.filter(enterprise=enterprise, status=Site.Status.OPERATING).exists()
    # Only an enterprise with an operating site reports, and only on the months since it began.
    window = [m for m in months_due(months, today) if begun is None or m >= begun] if expected else []
    if window:
        reports = {r.period: r for r in DutyReport.objects.filter(enterprise=enterprise, period__in=window)}
        missing = sum(1 for m in window if m not in reports)
        late = sum(1 for r in reports.values() if r.late)
        if missing:
            lines.append(Line("reports_missing", -MISSING_DEDUCTION * missing, {"n": missing, "total": len(window)}))
        if late:
            lines.append(Line("reports_late", -LATE_DEDUCTION * late, {"n": late, "total": len(window)}))
    score = max(Decimal(0), BASE + sum(Decimal(str(line.points)) for line in lines))
    return score, grade_of(score), [{"key": line.key, "points": line.points, "facts": line.facts} for line in lines]


@transaction.atomic
def store(enterprise: Enterprise, site: Site | None, score: Decimal, grade: str, lines: list[dict]) -> CreditRating:
    """Keep the rating: the same result only refreshes its time; a new score or grade is a new row of history."""
    now = timezone.now()
    # The enterprise's row is the lock: two workers grading it at once take turns, so one current row each.
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).exists()
    current = CreditRating.objects.select_for_update().filter(enterprise=enterprise, site=site, current=True).first()
    if current is not None and current.grade == grade and current.score == score:
        current.lines, current.computed_at = lines, now
        current.save(update_fields=["lines", "computed_at"])
        return current
    if current is not None:
        current.current = False
        current.save(update_fields=["current"])
    rating = CreditRating.objects.create(enterprise=enterprise, site=site, grade=grade, score=score, lines=lines,
                                         computed_at=now, since=now)
    if site is None and current is not None and current.grade != grade:
        # The enterprise hears of a new grade at once, with the page that says why.
        from parcelwatch.notifications.services import notify, on_commit
        from parcelwatch.selfcheck.services import _enterprise_users

        users = _enterprise_users([enterprise.pk])
        on_commit(lambda: notify(users, kind="credit_grade_changed", url=f"/registry/enterprises/{enterprise.pk}/",
                                 before=current.grade, after=grade))
    return rating


def recalculate(enterprise_ids) -> int:
    """Recompute the ratings of these enterprises and of their operating sites. A closed enterprise or site keeps
    its history but no current grade. One that fails is logged and skipped: the others are still graded."""
    count = 0
    for enterprise in Enterprise.objects.filter(pk__in=list(enterprise_ids)):
        try:
            count += _recalculate_one(enterprise)
        except Exception:  # noqa: BLE001 - one odd record must not stop the grading of the rest
            logger.exception("Credit grading of enterprise %s failed", enterprise.pk)
    return count


@transaction.atomic
def _recalculate_one(enterprise: Enterprise) -> int:
    if enterprise.status != Enterprise.Status.OPERATING:
        CreditRating.objects.filter(enterprise=enterprise, current=True).update(current=False)
        return 0
    store(enterprise, None, *compute(enterprise))
    count = 1
    CreditRating.objects.filter(enterprise=enterprise, site__isnull=False, current=True).exclude(
        site__status=Site.Status.OPERATING).update(current=False)
    for site in Site.objects.filter(enterprise=enterprise, status=Site.Status.OPERATING):
        store(enterprise, site, *compute(enterprise, site))
        count += 1
    return count


def request_recalculation(enterprise_ids) -> int:
    """Put these enterprises on the list of those waiting for a recalculation (the worker takes the list every
    minute); how many were not on it yet.

    One statement per 500 enterprises, in autocommit after the change that asked for it. An enterprise deleted
    meanwhile is skipped."""
    ids = sorted({int(i) for i in enterprise_ids})
    ops = connection.ops
    table = ops.quote_name(CreditRecalculation._meta.db_table)
    column = ops.quote_name(CreditRecalculation._meta.pk.column)
    at = ops.quote_name(CreditRecalculation._meta.get_field("requested_at").column)
    enterprises, pk = ops.quote_name(Enterprise._meta.db_table), ops.quote_name(Enterprise._meta.pk.column)
    now = ops.adapt_datetimefield_value(timezone.now())
    added = 0
    cursor = kept_cursor()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cursor.execute(f"INSERT INTO {table} ({column}, {at}) SELECT {pk}, %s FROM {enterprises} "
                       f"WHERE {pk} IN ({', '.join(['%s'] * len(chunk))}) ON CONFLICT ({column}) DO NOTHING",
                       [now, *chunk])
        added += max(cursor.rowcount, 0)
    return added


CLAIM = 100  # enterprises taken off the waiting list at a time


def _claim(limit: int) -> list[int]:
    """Take waiting enterprises off the list (committed before they are recomputed: a change that comes in
    meanwhile puts the enterprise back on it). Rows another worker is taking are skipped."""
    with transaction.atomic():
        ids = list(CreditRecalculation.objects.select_for_update(skip_locked=True).order_by("pk")
                   .values_list("pk", flat=True)[:limit])
        CreditRecalculation.objects.filter(pk__in=ids).delete()
    return ids


def recalculate_requested() -> int:
    """Recompute the grades of the enterprises waiting for it (the worker's task, every minute), a hundred at a
    time, so that a worker stopped midway loses at most those (until the nightly run), and several workers share a
    long list. It stops at as many as were waiting when it started: those put back meanwhile wait for the next."""
    todo = CreditRecalculation.objects.count()
    count = 0
    while todo > 0:
        ids = _claim(min(CLAIM, todo))
        if not ids:
            break
        todo -= len(ids)
        count += recalculate(ids)
    return count


def recalculate_all() -> int:
    """Every operating enterprise, and every one that still holds a current grade (closed since). Each hundred is
    taken off the waiting list just before it is recomputed (a change made afterwards puts it back; a run stopped
    midway leaves the others waiting for the minute's task)."""
    ids = sorted(set(Enterprise.objects.filter(status=Enterprise.Status.OPERATING).values_list("pk", flat=True))
                 | set(CreditRating.objects.filter(current=True).values_list("enterprise_id", flat=True)))
    count = 0
    for start in range(0, len(ids), CLAIM):
        chunk = ids[start:start + CLAIM]
        CreditRecalculation.objects.filter(pk__in=chunk).delete()
        count += recalculate(chunk)
    return count


def current_grades(enterprise_ids) -> dict[int, str]:
    return dict(CreditRating.objects.filter(enterprise_id__in=list(enterprise_ids), site__isnull=True, current=True)
                .values_list("enterprise_id", "grade"))
