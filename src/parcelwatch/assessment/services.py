"""Every write of the safe-delivery assessment: start, compute (in the worker), score by hand, publish.

The one authorisation check is `_authorise`: the actor must review self-inspection over the evaluation's area.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import SELFCHECK_REVIEW
from parcelwatch.registry.models import Enterprise, Site

from .models import Criterion, Evaluation, EvaluationResult, Grade, ScoringSheet

BATCH = 500
ONE = Decimal("0.1")


class StaleError(ValidationError):
    """Somebody else changed the record first."""


def _q(value: Decimal) -> Decimal:
    return Decimal(value).quantize(ONE, rounding=ROUND_HALF_UP)


def _authorise(actor: User, area: Jurisdiction) -> None:
    if not covers(actor, SELFCHECK_REVIEW, area.path):
        raise PermissionDenied


def grade_for(sheet: ScoringSheet, total: Decimal) -> str:
    if total >= sheet.excellent_from:
        return Grade.EXCELLENT
    if total >= sheet.good_from:
        return Grade.GOOD
    if total >= sheet.pass_from:
        return Grade.PASS
    return Grade.FAIL


def year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), tz),
            timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), tz))


def months_due(months: list[date], today: date) -> list[date]:
    """Those of the months whose duty report was due before today, from the first month anyone reported on the
    platform (before that there was nothing to miss)."""
    from django.db.models import Min

    from parcelwatch.selfcheck.models import DutyReport
    from parcelwatch.selfcheck.selectors import active_template, due_date_for

    first = DutyReport.objects.aggregate(first=Min("period"))["first"]
    if first is None:
        return []
    template = active_template()  # once, not once per month
    return [m for m in months if m >= first and due_date_for(m, template) < today]


def enterprise_starts(enterprise_ids) -> dict[int, date]:
    """The first month each enterprise operated: its earliest site opening, or when it was registered here."""
    from django.db.models import Min

    from parcelwatch.selfcheck.models import month_start

    opened = dict(Site.objects.filter(enterprise_id__in=enterprise_ids, opening_date__isnull=False)
                  .values("enterprise_id").annotate(first=Min("opening_date")).values_list("enterprise_id", "first"))
    starts = {}
    for pk, created in Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "created_at"):
        starts[pk] = month_start(opened.get(pk) or timezone.localtime(created).date())
    return starts


# --- starting and computing ------------------------------------------------------------------------------------


def _check_sheet(sheet: ScoringSheet) -> None:
    if not sheet.active:
        raise ValidationError({"sheet": _("This scoring sheet is not in use.")})
    if not sheet.criteria.exists():
        raise ValidationError({"sheet": _("This scoring sheet has no criteria yet.")})


@transaction.atomic
def start_evaluation(*, actor: User, sheet: ScoringSheet, year: int, area: Jurisdiction) -> Evaluation:
    """Create the year's evaluation of the area with the sheet; the worker computes it."""
    from .tasks import compute_evaluation_task

    _authorise(actor, area)
    today = timezone.localdate()
    if not 2000 <= year <= today.year:
        raise ValidationError({"year": _("Choose a year from 2000 to this year.")})
    _check_sheet(sheet)
    if Evaluation.objects.filter(sheet=sheet, year=year, area=area).exists():
        raise ValidationError(_("This evaluation already exists: open it from the list."))
    now = timezone.now()
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(sheet=sheet, year=year, area=area, created_by=actor,
                                                   created_at=now, started_at=now)
    except IntegrityError:  # somebody started the same one a moment ago
        raise ValidationError(_("This evaluation already exists: open it from the list.")) from None
    transaction.on_commit(lambda: compute_evaluation_task.enqueue(evaluation.pk))
    return evaluation


@transaction.atomic
def recompute(evaluation: Evaluation, *, actor: User, expected_version: int | None = None) -> Evaluation:
    """Compute an evaluation again with today's data (the scores given by hand stay)."""
    from .tasks import compute_evaluation_task

    evaluation = Evaluation.objects.select_for_update().select_related("area").get(pk=evaluation.pk)
    _authorise(actor, evaluation.area)
    if expected_version is not None and expected_version != evaluation.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if evaluation.state not in (Evaluation.State.OPEN, Evaluation.State.FAILED) and not evaluation.stalled:
        raise ValidationError(_("Only an evaluation being scored can be computed again."))
    _check_sheet(evaluation.sheet)
    evaluation.state, evaluation.done, evaluation.error = Evaluation.State.COMPUTING, 0, ""
    evaluation.started_at = timezone.now()
    evaluation.version += 1
    evaluation.save(update_fields=["state", "done", "error", "started_at", "version"])
    transaction.on_commit(lambda: compute_evaluation_task.enqueue(evaluation.pk))
    return evaluation


def _subjects(evaluation: Evaluation):
    area = evaluation.area
    if evaluation.sheet.subject == ScoringSheet.Subject.SITE:
        return (Site.objects.filter(jurisdiction__path__startswith=area.path, status=Site.Status.OPERATING)
                .select_related("enterprise").order_by("pk"))
    return Enterprise.objects.filter(jurisdiction__path__startswith=area.path,
                                     status=Enterprise.Status.OPERATING).order_by("pk")


class Inputs:
    """The year's data for one area, aggregated once (a few GROUP BY queries), looked up per subject."""

    def __init__(self, evaluation: Evaluation, today: date) -> None:
        from parcelwatch.events.models import Event
        from parcelwatch.registry.selectors import without_filed_officer
        from parcelwatch.selfcheck.models import DutyReport

        start, end = year_bounds(evaluation.year)
        path = evaluation.area.path
        # A site sheet scores the sites in the area (whoever runs them); an enterprise sheet the enterprises
        # registered there, on all their sites.
        if evaluation.sheet.subject == ScoringSheet.Subject.SITE:
            in_area = {"site__jurisdiction__path__startswith": path}
            sites = Site.objects.filter(jurisdiction__path__startswith=path)
        else:
            in_area = {"site__enterprise__jurisdiction__path__startswith": path}
            sites = Site.objects.filter(enterprise__jurisdiction__path__startswith=path)
        events = (Event.objects.filter(reported_at__gte=start, reported_at__lt=end, duplicate_of__isnull=True,
                                       **in_area)
                  .exclude(state__in=(Event.State.REJECTED, Event.State.MERGED))
                  .values("site_id", "site__enterprise_id")
                  .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(missed_deadline=True))))
        self.events_site: dict[int, int] = defaultdict(int)
        self.events_enterprise: dict[int, int] = defaultdict(int)
        self.overdue_site: dict[int, int] = defaultdict(int)
        self.overdue_enterprise: dict[int, int] = defaultdict(int)
        for row in events:
            self.events_site[row["site_id"]] += row["n"]
            self.events_enterprise[row["site__enterprise_id"]] += row["n"]
            self.overdue_site[row["site_id"]] += row["overdue"]
            self.overdue_enterprise[row["site__enterprise_id"]] += row["overdue"]
        operating = sites.filter(status=Site.Status.OPERATING)
        self.unfiled = set(without_filed_officer(operating).values_list("pk", flat=True))
        self.operating: dict[int, list[int]] = defaultdict(list)
        for site_id, enterprise_id in operating.values_list("pk", "enterprise_id"):
            self.operating[enterprise_id].append(site_id)
        enterprises = sites.values("enterprise_id")
        self.months = months_due([date(evaluation.year, m, 1) for m in range(1, 13)], today)
        self.starts = enterprise_starts(enterprises)
        from parcelwatch.emergency.services import drills_held

        self.drills = drills_held(enterprises, date(evaluation.year, 1, 1), date(evaluation.year + 1, 1, 1))
        self.on_time: dict[int, int] = dict(
            DutyReport.objects.filter(period__in=self.months, late=False, enterprise_id__in=enterprises)
            .exclude(state=DutyReport.State.RETURNED).values("enterprise_id").annotate(n=Count("pk"))
            .values_list("enterprise_id", "n"))

    def months_of(self, enterprise_id: int) -> list[date]:
        """The months this enterprise had to report on: due, and since it began operating."""
        begun = self.starts.get(enterprise_id)
        return [m for m in self.months if begun is None or m >= begun]

    def score(self, criterion: dict, enterprise_id: int, site_id: int | None) -> tuple[Decimal, dict]:
        """The criterion's score and the facts it comes from (written out in the reader's language by
        `describe_facts`)."""
        points, deduction = Decimal(criterion["points"]), Decimal(criterion["deduction"])
        metric = criterion["metric"]
        if metric in (Criterion.Metric.EVENTS, Criterion.Metric.OVERDUE):
            table = (self.events_site if site_id else self.events_enterprise) if metric == Criterion.Metric.EVENTS \
                else (self.overdue_site if site_id else self.overdue_enterprise)
            n = table.get(site_id if site_id else enterprise_id, 0)
            return max(Decimal(0), points - n * deduction), {"n": n, "d": str(deduction)}
        if metric == Criterion.Metric.REPORTS_ON_TIME:
            due = len(self.months_of(enterprise_id))
            n = min(self.on_time.get(enterprise_id, 0), due)
            return (points * n / due if due else points), {"n": n, "due": due}
        if metric == Criterion.Metric.OFFICER_FILED:
            if site_id:
                filed = site_id not in self.unfiled
                return (points if filed else Decimal(0)), {"filed": filed}
            sites = self.operating.get(enterprise_id, [])
            filed = sum(1 for s in sites if s not in self.unfiled)
            return (points * filed / len(sites) if sites else points), {"n": filed, "total": len(sites)}
        if metric == Criterion.Metric.DRILLS_HELD:
            n = self.drills.get(enterprise_id, 0)
            return (points if n else Decimal(0)), {"drills": n}
        return Decimal(0), {}


def describe_facts(metric: str, facts: dict) -> str:
    """What a computed score comes from, in the reader's language ("" for facts it cannot read: one odd record
    never breaks a page)."""
    try:
        return _describe_facts(metric, facts)
    except (KeyError, TypeError, ValueError):
        return ""


def _describe_facts(metric: str, facts: dict) -> str:
    if metric in (Criterion.Metric.EVENTS, Criterion.Metric.OVERDUE):
        return _("%(n)d in the year, %(d)s points each") % facts
    if metric == Criterion.Metric.REPORTS_ON_TIME:
        return _("%(n)d of %(due)d months on time") % facts if facts.get("due") else _("no month due yet")
    if metric == Criterion.Metric.OFFICER_FILED:
        if "filed" in facts:
            return _("filed officer in post") if facts["filed"] else _("no filed officer")
        return _("%(n)d of %(total)d sites") % facts if facts.get("total") else _("no operating site")
    if metric == Criterion.Metric.DRILLS_HELD:
        return _("%(drills)d drills held") % facts if facts["drills"] else _("no drill held")
    return ""


def _number(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def cells(evaluation: Evaluation, result: EvaluationResult) -> list[dict]:
    """Each criterion of the evaluation with the result's score on it (None: not scored yet) and, for a computed
    one, what the score comes from. Lines that cannot be read count as not scored: one odd record never breaks a
    page or an export."""
    computed = {line.get("code"): line for line in result.lines if isinstance(line, dict)}
    rows = []
    for c in evaluation.criteria:
        line = computed.get(c["code"])
        if c["method"] == Criterion.Method.COMPUTED:
            score = _number(line.get("score")) if line else None
            detail = describe_facts(c.get("metric", ""), line.get("facts") or {}) if line else ""
        else:
            score, detail = (_number(result.manual.get(c["code"])) if c["code"] in result.manual else None), ""
        rows.append({**c, "score": score, "detail": detail})
    return rows


def _snapshot(sheet: ScoringSheet) -> list[dict[str, Any]]:
    return [{"code": c.code, "text": c.text, "points": str(c.points), "method": c.method, "metric": c.metric,
             "deduction": str(c.deduction)} for c in sheet.criteria.all()]


def _total(criteria: list[dict], lines: list[dict], manual: dict) -> Decimal:
    computed = {line.get("code"): _number(line.get("score")) for line in lines if isinstance(line, dict)}
    total = Decimal(0)
    for c in criteria:
        value = computed.get(c["code"]) if c["method"] == Criterion.Method.COMPUTED else _number(manual.get(c["code"]))
        total += value or Decimal(0)
    return _q(total)


def compute_evaluation(evaluation_id: int, *, today: date | None = None) -> Evaluation:
    """Score every enterprise (or site) of the area on the computed criteria, keep the hand scores, rank them."""
    today = today or timezone.localdate()
    evaluation = Evaluation.objects.select_related("sheet", "area").get(pk=evaluation_id)
    if evaluation.state != Evaluation.State.COMPUTING:
        return evaluation
    try:
        criteria = _snapshot(evaluation.sheet)
        inputs = Inputs(evaluation, today)
        subjects = _subjects(evaluation)
        site_sheet = evaluation.sheet.subject == ScoringSheet.Subject.SITE
        Evaluation.objects.filter(pk=evaluation.pk).update(criteria=criteria, total=subjects.count(), done=0)
        kept = {(r.enterprise_id, r.site_id): r for r in evaluation.results.all()}
        seen, done = set(), 0
        batch: list = []

        def flush():
            nonlocal batch, done
            new = [r for r in batch if r.pk is None]
            old = [r for r in batch if r.pk is not None]
            EvaluationResult.objects.bulk_create(new)
            EvaluationResult.objects.bulk_update(old, ["lines", "total", "grade"])
            done += len(batch)
            Evaluation.objects.filter(pk=evaluation.pk).update(done=done)
            batch = []

        for subject in subjects.iterator(chunk_size=BATCH):
            enterprise_id, site_id = (subject.enterprise_id, subject.pk) if site_sheet else (subject.pk, None)
            lines = []
            for c in criteria:
                if c["method"] == Criterion.Method.COMPUTED:
                    score, facts = inputs.score(c, enterprise_id, site_id)
                    lines.append({"code": c["code"], "score": str(_q(min(score, Decimal(c["points"])))),
                                  "facts": facts})
            result = kept.get((enterprise_id, site_id)) or EvaluationResult(
                evaluation=evaluation, enterprise_id=enterprise_id, site_id=site_id)
            seen.add((enterprise_id, site_id))
            result.lines = lines
            result.total = _total(criteria, lines, result.manual)
            result.grade = grade_for(evaluation.sheet, result.total)
            batch.append(result)
            if len(batch) >= BATCH:
                flush()
        flush()
        gone = [r.pk for key, r in kept.items() if key not in seen]
        EvaluationResult.objects.filter(pk__in=gone).delete()
        rank(evaluation)
        Evaluation.objects.filter(pk=evaluation.pk).update(state=Evaluation.State.OPEN, computed_at=timezone.now())
    except Exception as exc:  # the evaluation says it failed, instead of computing for ever
        Evaluation.objects.filter(pk=evaluation.pk).update(state=Evaluation.State.FAILED, error=str(exc)[:500])
        raise
    evaluation.refresh_from_db()
    return evaluation


def rank(evaluation: Evaluation) -> None:
    """Competition ranking by score (equal scores share a rank: 1, 1, 3)."""
    results = list(evaluation.results.order_by("-total", "pk").only("pk", "total", "rank"))
    previous, current = None, 0
    for position, result in enumerate(results, 1):
        if result.total != previous:
            current, previous = position, result.total
        result.rank = current
    EvaluationResult.objects.bulk_update(results, ["rank"], batch_size=1000)


# --- scoring by hand, publishing -------------------------------------------------------------------------------


@transaction.atomic
def score_by_hand(result: EvaluationResult, *, actor: User, scores: dict[str, Any],
                  expected_version: int | None = None) -> EvaluationResult:
    """The reviewer's scores on the criteria scored by hand (each from 0 to its points)."""
    # The evaluation's row is the lock: hand scores (and their rank moves), publication and recomputation of one
    # evaluation happen one at a time.
    evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related("area", "sheet").get(
        pk=result.evaluation_id)
    result = EvaluationResult.objects.select_for_update().get(pk=result.pk)
    result.evaluation = evaluation
    _authorise(actor, evaluation.area)
    if expected_version is not None and expected_version != result.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if evaluation.state != Evaluation.State.OPEN:
        raise ValidationError(_("Scores can be given only while the evaluation is being scored."))
    manual = {c["code"]: c for c in evaluation.criteria if c["method"] == Criterion.Method.MANUAL}
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = dict(result.manual)
    for code, value in scores.items():
        criterion = manual.get(code)
        if criterion is None:
            errors.setdefault("scores", []).append(_("“%(code)s” is not a criterion scored by hand.") % {
                "code": str(code)[:32]})
            continue
        if value in (None, ""):
            clean.pop(code, None)
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            number = None
        points = Decimal(criterion["points"])
        if number is None or not number.is_finite() or not Decimal(0) <= number <= points:
            errors.setdefault(code, []).append(_("A score from 0 to %(points)s.") % {"points": points})
            continue
        clean[code] = str(_q(number))
    if errors:
        raise ValidationError(errors)
    old_total = result.total
    result.manual = clean
    result.total = _total(evaluation.criteria, result.lines, clean)
    result.grade = grade_for(evaluation.sheet, result.total)
    result.scored_by, result.scored_at = actor, timezone.now()
    result.version += 1
    result.save(update_fields=["manual", "total", "grade", "scored_by", "scored_at", "version"])
    _rerank(result, old_total)
    return result


def _rerank(result: EvaluationResult, old: Decimal) -> None:
    """One score changed: only the ranks between its old and new score move (rank = 1 + how many score higher),
    so a hand score costs two indexed statements, however many results the evaluation has."""
    from django.db.models import F

    new = result.total
    others = EvaluationResult.objects.filter(evaluation_id=result.evaluation_id).exclude(pk=result.pk)
    if new > old:
        others.filter(total__gte=old, total__lt=new).update(rank=F("rank") + 1)
    elif new < old:
        others.filter(total__gte=new, total__lt=old).update(rank=F("rank") - 1)
    result.rank = others.filter(total__gt=new).count() + 1
    EvaluationResult.objects.filter(pk=result.pk).update(rank=result.rank)


@transaction.atomic
def publish(evaluation: Evaluation, *, actor: User, expected_version: int | None = None) -> Evaluation:
    """Publish the scores: the enterprises see theirs, and the credit grades take them in."""
    from .tasks import evaluation_published_task

    evaluation = Evaluation.objects.select_for_update().select_related("area", "sheet").get(pk=evaluation.pk)
    _authorise(actor, evaluation.area)
    if expected_version is not None and expected_version != evaluation.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if evaluation.state != Evaluation.State.OPEN:
        raise ValidationError(_("Only an evaluation being scored can be published."))
    unscored = [c["text"] for c in evaluation.criteria if c["method"] == Criterion.Method.MANUAL
                and evaluation.results.exclude(manual__has_key=c["code"]).exists()]
    if unscored:
        raise ValidationError(_("Score every result by hand first: %(items)s.") % {"items": "、".join(unscored[:3])})
    evaluation.state, evaluation.published_at = Evaluation.State.PUBLISHED, timezone.now()
    evaluation.version += 1
    evaluation.save(update_fields=["state", "published_at", "version"])
    # Telling every enterprise and regrading them is the worker's: a province's evaluation has thousands.
    transaction.on_commit(lambda: evaluation_published_task.enqueue(evaluation.pk))
    return evaluation


def after_publication(evaluation_id: int) -> int:
    """The enterprises of a published evaluation hear of it, and their credit grades take it in."""
    from parcelwatch.notifications.services import notify
    from parcelwatch.selfcheck.services import _enterprise_users

    from .credit import request_recalculation

    evaluation = Evaluation.objects.select_related("area").get(pk=evaluation_id)
    enterprise_ids = sorted(set(evaluation.results.values_list("enterprise_id", flat=True)))
    sent = notify(_enterprise_users(enterprise_ids), kind="evaluation_published", url=f"/assessment/{evaluation.pk}/",
                  dedupe_key=f"evaluation_published:{evaluation.pk}", year=str(evaluation.year),
                  area=evaluation.area.name)
    request_recalculation(enterprise_ids)  # their grades take the published scores within a minute
    return sent
