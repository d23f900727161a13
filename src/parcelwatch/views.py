"""The home page: what needs this user now, per role, then an overview of what they are responsible for.

Every count links to a list showing exactly the counted items (the same selector and filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import has_permission, memberships
from parcelwatch.accounts.models import Jurisdiction, Role
from parcelwatch.accounts.permissions import (
    CASES_VIEW,
    COLLAB_MANAGE,
    COLLAB_VIEW,
    EMERGENCY_REVIEW,
    EMERGENCY_SUBMIT,
    EMERGENCY_VIEW,
    EVENTS_REPORT,
    EVENTS_VIEW,
    INSPECTIONS_MANAGE,
    REGISTRY_VIEW,
    REGISTRY_VIEW_PEOPLE,
    REWARDS_VIEW,
    SELFCHECK_REVIEW,
    SELFCHECK_SUBMIT,
    SELFCHECK_VIEW,
    STATS_VIEW,
    VIDEO_PATROL,
    VIDEO_VIEW,
)
from parcelwatch.enforcement.selectors import case_todo_for
from parcelwatch.events.models import Event
from parcelwatch.events.selectors import events_visible_to, filter_events, reports_of, todo_for
from parcelwatch.lib.pagination import page_rows
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import (
    credit_grade_counts,
    enterprises_visible_to,
    officers_visible_to,
    sites_visible_to,
)

S = Event.State


@dataclass
class Figure:
    label: str
    count: int
    url: str
    tone: str = ""  # "danger" for what is late, "warning" for what is close
    testid: str = ""
    display: str = ""  # shown instead of the count (an amount of money)


@dataclass
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    items: list = field(default_factory=list)  # what to show under the figures, as `kind` says
    items_title: str = ""
    kind: str = ""  # events | cases | districts | compare | rates
    more_url: str = ""


def _events_url(**params) -> str:
    return reverse("events:list") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _count(visible, **filters) -> int:
    """The number of visible events matching the filters; a count two panels show is made once per page."""
    memo = visible.__dict__.setdefault("_home_counts", {})
    key = tuple(sorted((k, str(v)) for k, v in filters.items()))
    if key not in memo:
        memo[key] = filter_events(visible, **filters).count()
    return memo[key]


def _figure(visible, label, testid: str = "", tone: str = "", today: date | None = None, **filters) -> Figure:
    """A count and the event list it links to, from the same filters."""
    url_params = {k: ("1" if v is True else v.isoformat() if isinstance(v, date) else v) for k, v in filters.items()}
    return Figure(str(label), _count(visible, today=today, **filters), _events_url(**url_params), tone, testid)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    roles = {m.role for m in memberships(user)}
    context: dict = {"memberships": memberships(user), "today": today, "panels": []}
    panels: list[Panel] = context["panels"]
    visible = events_visible_to(user) if has_permission(user, EVENTS_VIEW) else None
    if visible is not None:
        case_tasks = case_todo_for(user, today) if has_permission(user, CASES_VIEW) else None
        case_count = case_tasks.count() if case_tasks is not None else None  # the to-do and a panel show it
        context.update({
            "todo_count": todo_for(user, today).count() + (case_count or 0),
            "overdue_count": _count(visible, overdue=True, today=today),
            "open_count": visible.filter(state__in=Event.OPEN_STATES).count(),
        })
        if Role.CITY_LEADER in roles:
            panels += _leader_panels(user, visible, today, case_tasks, case_count)
        if Role.CITY_OFFICER in roles:
            panels.append(_city_officer_panel(user, visible, today, case_tasks, case_count))
        if Role.DISTRICT_OFFICER in roles:
            panels += _district_officer_panels(user, visible, today)
        if Role.GRID_WORKER in roles:
            panels.append(_grid_worker_panel(user, visible, today))
        if Role.ENTERPRISE_SAFETY in roles:
            panels += _enterprise_panels(user, visible, today)
    memo: dict = {}  # figures two panels of this page share, counted once
    if has_permission(user, SELFCHECK_VIEW):
        panels += _selfcheck_panels(user, roles, today, memo)
    # Remote video needs the officers who patrol by video and answer its offline alerts.
    if has_permission(user, VIDEO_VIEW) and roles & {Role.CITY_OFFICER, Role.DISTRICT_OFFICER}:
        panels.append(_video_panel(user))
    if has_permission(user, INSPECTIONS_MANAGE):
        panels.append(_inspection_panel(user))
    if has_permission(user, EMERGENCY_VIEW):
        panels.append(_emergency_panel(user, roles, today))
    if has_permission(user, REWARDS_VIEW):
        panels.append(_tipoff_panel(user))
    if has_permission(user, COLLAB_VIEW):
        panels.append(_collaboration_panel(user, today))
    # The large 上报 button leads the grid worker's page; officers who also report have it in the menu.
    if has_permission(user, EVENTS_REPORT) and Role.GRID_WORKER in roles:
        context["can_report"] = True
        context["my_reports"] = page_rows(reports_of(user).order_by("-reported_at", "-pk"), 0, 5)
    if has_permission(user, REGISTRY_VIEW):
        sites = sites_visible_to(user)
        # One pass over the sites for the kinds, the districts and the X-ray machines, counted by the site's own
        # district column, then named: no join with the jurisdictions per site.
        by_kind: dict[str, int] = {}
        counts: dict[int, int] = {}
        xray_total = 0
        for district_id, kind, n, xray in sites.order_by().values_list("district_id", "kind").annotate(
                n=Count("*"), xray=Sum("xray_count")):
            by_kind[kind] = by_kind.get(kind, 0) + n
            counts[district_id] = counts.get(district_id, 0) + n
            xray_total += xray or 0
        by_district = [
            {"district__name": d.name, "district__code": d.code, "n": counts[d.pk]}
            for d in Jurisdiction.objects.filter(pk__in=list(counts)).order_by("sort_order", "code")
        ]
        context.update(
            {
                "kind_counts": [(value, label, by_kind.get(value, 0)) for value, label in Site.Kind.choices],
                "district_counts": by_district,
                "enterprise_count": _enterprise_counts(user, memo)["all"],
                "officer_count": officers_visible_to(user).count() if has_permission(user, REGISTRY_VIEW_PEOPLE) else None,
                "xray_total": xray_total,
                "registry_first": Role.PARTNER in roles and len(roles) == 1,
            }
        )
    return render(request, "home.html", context)


def _enterprise_counts(user, memo: dict) -> dict[str, int]:
    """The enterprises the user may see, and how many of them hold a D or a C credit grade: one query for the
    register's panel and the credit figures, once per page (`memo`: the page's)."""
    if "enterprises" not in memo:
        memo["enterprises"] = credit_grade_counts(enterprises_visible_to(user))
    return memo["enterprises"]


# --- per role ---------------------------------------------------------------------------------------------------


def _emergency_panel(user, roles: set, today: date) -> Panel:
    """The enterprise: drills due and plans to renew; the regulators: plans to review and drills to evaluate; all:
    incidents being handled. Each count is the list it links to, filtered the same way."""
    from parcelwatch.emergency import selectors as em
    from parcelwatch.emergency.models import Drill, EmergencyPlan, Incident

    plans, drills = reverse("emergency:plans"), reverse("emergency:drills")
    panel = Panel(_("Emergency management"))
    if has_permission(user, EMERGENCY_SUBMIT):
        panel.figures += [
            Figure(_("Drills due within 30 days"), em.drills_due(em.drills_visible_to(user), today).count(),
                   drills + "?due=1", "warning", "drills-due"),
            Figure(_("Emergency plans expiring"), em.plans_expiring(em.plans_visible_to(user), today).count(),
                   plans + "?expiring=1", "danger", "plans-expiring")]
    if has_permission(user, EMERGENCY_REVIEW):
        panel.figures += [
            Figure(_("Emergency plans to review"), em.plans_visible_to(user, EMERGENCY_REVIEW).filter(
                state=EmergencyPlan.State.SUBMITTED).count(), plans + "?state=submitted", "warning", "plans-to-review"),
            Figure(_("Drills to evaluate"), em.drills_visible_to(user, EMERGENCY_REVIEW).filter(
                state=Drill.State.HELD).count(), drills + "?state=held", "", "drills-to-evaluate")]
    panel.figures.append(Figure(_("Incidents being handled"), em.incidents_visible_to(user).filter(
        state=Incident.State.OPEN).count(), reverse("emergency:incidents") + "?state=open", "danger", "incidents-open"))
    return panel


def _collaboration_panel(user, today: date) -> Panel:
    """A partner department: what is shared with it, referrals it must answer, the tasks it leads. The bureau's
    officers: referrals from departments, tasks the bureau leads, overdue tasks. Each count is its list."""
    from parcelwatch.collaboration import selectors as co

    partner = co.is_partner(user)
    acts = partner or has_permission(user, COLLAB_MANAGE)  # a leader reads collaboration, others act in it
    tasks = co.tasks_visible_to(user)
    figures = []
    if partner:
        figures.append(Figure(_("Records shared with your department"), co.shares_visible_to(user).count(),
                              reverse("collaboration:shares"), "", "shared-records"))
    if acts:
        figures += [
            Figure(_("Referrals to handle"), co.referrals_to_handle(co.referrals_visible_to(user), user).count(),
                   reverse("collaboration:referrals") + "?todo=1", "warning", "referrals-to-handle"),
            Figure(_("Open tasks your department leads") if partner else _("Open tasks the bureau leads"),
                   co.tasks_open(co.tasks_led_by_me(tasks, user)).count(),
                   reverse("collaboration:tasks") + "?state=open&mine=1", "", "tasks-mine")]
    figures.append(Figure(_("Overdue tasks"), co.tasks_overdue(tasks, today).count(),
                          reverse("collaboration:tasks") + "?overdue=1", "danger", "tasks-overdue"))
    if not partner:
        figures.append(Figure(_("Memoranda lapsing within 30 days"),
                              co.memoranda_expiring(co.memoranda_visible_to(user), today).count(),
                              reverse("collaboration:memoranda") + "?status=expiring", "warning",
                              "memoranda-expiring"))
    return Panel(_("Inter-department collaboration"), figures)


def _tipoff_panel(user) -> Panel:
    """Public reports waiting to be checked; rewards waiting for the leader's approval or for payment."""
    from parcelwatch.accounts.permissions import REWARDS_APPROVE, REWARDS_PAY, TIPS_HANDLE
    from parcelwatch.tipoffs import selectors as tp
    from parcelwatch.tipoffs.models import Reward, TipOff

    rewards = reverse("tipoffs:rewards")
    panel = Panel(_("Public reports and rewards"))
    if has_permission(user, TIPS_HANDLE):
        panel.figures.append(Figure(_("Public reports to check"), tp.tipoffs_visible_to(user).filter(
            state=TipOff.State.RECEIVED).count(), reverse("tipoffs:list") + "?state=received", "warning",
            "tipoffs-received"))
    if has_permission(user, REWARDS_APPROVE):
        panel.figures.append(Figure(_("Rewards to approve"), tp.rewards_visible_to(user, REWARDS_APPROVE).filter(
            state=Reward.State.PROPOSED).count(), rewards + "?state=proposed", "warning", "rewards-to-approve"))
    if has_permission(user, REWARDS_PAY):
        panel.figures.append(Figure(_("Rewards to pay"), tp.rewards_visible_to(user, REWARDS_PAY).filter(
            state=Reward.State.APPROVED).count(), rewards + "?state=approved", "", "rewards-to-pay"))
    return panel


def _inspection_panel(user) -> Panel:
    """The 双随机 inspections the officer was drawn for and has not recorded: the same set as "mine" in the list."""
    from parcelwatch.enforcement.selectors import inspections_due_for

    return Panel(_("Inspections"), [Figure(_("Inspections drawn for me to record"), inspections_due_for(user).count(),
                                           reverse("enforcement:inspections") + "?mine=1", "warning",
                                           "inspections-due")])


def _selfcheck_panels(user, roles: set, today: date, memo: dict) -> list[Panel]:
    """Self-inspection: for the enterprise, what it owes (reports, corrections, circulars to read, sites without a
    filed officer); for the district, what waits for its decision; for the leader, circulars to approve."""
    from parcelwatch.assessment.models import Evaluation
    from parcelwatch.assessment.selectors import evaluations_visible_to
    from parcelwatch.registry.selectors import without_filed_officer
    from parcelwatch.selfcheck import selectors as sc
    from parcelwatch.selfcheck.models import Circular, DutyReport, OfficerFiling, SpotCheck, month_start, previous_month
    from parcelwatch.selfcheck.views import _due_for, _my_enterprises

    panels = []
    filings = reverse("selfcheck:filing_list")
    def graded() -> list[Figure]:
        """Differentiated supervision starts from the D- and C-grade enterprises (kept current by the worker); the
        same set as the enterprise list filtered by grade, counted without the list's per-row figures."""
        counts = _enterprise_counts(user, memo)
        return [Figure(_("D-grade enterprises"), counts["D"], reverse("registry:enterprise_list") + "?credit=D",
                       "danger", "credit-d"),
                Figure(_("C-grade enterprises"), counts["C"], reverse("registry:enterprise_list") + "?credit=C",
                       "warning", "credit-c")]
    reports = reverse("selfcheck:report_list")

    def no_officer() -> Figure:
        """Counted once, and only for the pages that show it (not the leader's)."""
        if "no_officer" not in memo:
            memo["no_officer"] = without_filed_officer(sites_visible_to(user)).count()
        return Figure(_("Sites without a filed safety officer"), memo["no_officer"],
                      reverse("registry:site_list") + "?officer=none", "warning", "no-filed-officer")
    if Role.ENTERPRISE_SAFETY in roles and has_permission(user, SELFCHECK_SUBMIT):
        due = _due_for(user, _my_enterprises(user), today)
        panel = Panel(_("Self-inspection"))
        panel.figures = [
            Figure(_("Duty reports to send"), len(due), reports, "danger" if any(d["overdue"] for d in due) else
                   "warning" if due else "", "enterprise-reports-due"),
            Figure(_("Filings returned to correct"), sc.filings_visible_to(user).filter(
                state=OfficerFiling.State.RETURNED).count(), filings + "?state=returned", "warning",
                "enterprise-filings-returned"),
            Figure(_("Circulars to read"), sc.receipts_of(user).filter(read_at__isnull=True).count(),
                   reverse("selfcheck:circular_list") + "?unread=1", "warning", "enterprise-circulars-unread"),
            no_officer(),
        ]
        panels.append(panel)
    if has_permission(user, SELFCHECK_REVIEW):
        last_month = previous_month(month_start(today))
        missing = sc.count_missing(user, last_month, today=today)
        panel = Panel(_("Self-inspection"))
        panel.figures = [
            Figure(_("Officer filings to decide"), sc.filings_visible_to(user, SELFCHECK_REVIEW).filter(
                state=OfficerFiling.State.SUBMITTED).count(), filings + "?state=submitted", "warning",
                "review-filings"),
            Figure(_("Duty reports to review"), sc.reports_visible_to(user, SELFCHECK_REVIEW).filter(
                state=DutyReport.State.SUBMITTED).count(), reports + "?review=1", "", "review-reports"),
            Figure(_("Reports missing for %(month)s") % {"month": f"{last_month:%Y-%m}"}, missing,
                   reports + f"?month={last_month:%Y-%m}&status=missing", "danger", "reports-missing"),
            Figure(_("Spot checks to record"), sc.checks_visible_to(user, SELFCHECK_REVIEW).filter(
                result=SpotCheck.Result.PENDING).count(), reverse("selfcheck:check_list"), "", "spot-checks-pending"),
            no_officer(),
        ]
        panels.append(panel)
        credit = Panel(_("Assessment and credit"))
        credit.figures = [
            Figure(_("Assessments being scored"), evaluations_visible_to(user, SELFCHECK_REVIEW).filter(
                state=Evaluation.State.OPEN).count(), reverse("assessment:evaluation_list") + "?state=open", "",
                "evaluations-open"),
            *graded(),
        ]
        panels.append(credit)
    if Role.CITY_LEADER in roles:
        from parcelwatch.accounts.permissions import CIRCULARS_APPROVE

        if has_permission(user, CIRCULARS_APPROVE):
            panel = Panel(_("Circulars"))
            panel.figures = [Figure(_("Circulars to approve"), sc.circulars_visible_to(user).filter(
                state=Circular.State.AWAITING_APPROVAL).count(),
                reverse("selfcheck:circular_list") + "?state=awaiting_approval", "warning", "circulars-to-approve")]
            panels.append(panel)
        credit = Panel(_("Assessment and credit"))
        credit.figures = graded()
        panels.append(credit)
    return panels


def _video_panel(user) -> Panel:
    """Video patrols drawn for the user, cameras offline, and the video online rate of the user's area."""
    from parcelwatch.analytics.templatetags.analytics import percent
    from parcelwatch.video.models import Camera, VideoPatrol
    from parcelwatch.video.selectors import cameras_visible_to, online_rates, patrols_visible_to, total_rate

    cameras = cameras_visible_to(user)
    panel = Panel(_("Remote video"))
    if has_permission(user, VIDEO_PATROL):
        pending = patrols_visible_to(user).filter(inspector=user, state=VideoPatrol.State.PENDING).count()
        panel.figures.append(Figure(_("Video patrols to do"), pending, reverse("video:patrol_list"),
                                    testid="video-patrols"))
    offline = cameras.filter(enabled=True, status=Camera.Status.OFFLINE).count()
    panel.figures.append(Figure(_("Cameras offline"), offline, reverse("video:camera_list") + "?status=offline",
                                "danger" if offline else "", "video-offline"))
    rate = total_rate(online_rates(cameras, "district"))
    panel.figures.append(Figure(_("Video online rate"), rate["online"], reverse("video:overview"), testid="video-rate",
                                display=percent(rate["rate"])))
    return panel


def _leader_panels(user, visible, today: date, case_tasks, case_count: int | None) -> list[Panel]:
    from parcelwatch.analytics import selectors as stats

    now = Panel(_("Waiting for you"))
    if case_tasks is not None:
        now.figures.append(Figure(_("Case approvals waiting"), case_count, reverse("events:todo") + "#cases",
                                  "warning", "leader-approvals"))
        now.items = list(case_tasks[:5])
        now.items_title = _("Approvals waiting")
        now.kind = "cases"
    escalated = Panel(_("Escalations by age"))
    # Age since escalation: up to 3 days, 4–10 days, more than 10 days (escalated on or before that day).
    escalated.figures = [
        _figure(visible, _("Escalated in the last 3 days"), state=S.ESCALATED,
                escalated_from=today - timedelta(days=3), today=today, testid="escalated-recent"),
        _figure(visible, _("Escalated 4–10 days ago"), state=S.ESCALATED, escalated_from=today - timedelta(days=10),
                escalated_to=today - timedelta(days=4), tone="warning", today=today),
        _figure(visible, _("Escalated more than 10 days ago"), state=S.ESCALATED,
                escalated_to=today - timedelta(days=11), tone="danger", today=today, testid="escalated-old"),
    ]
    day = Panel(_("Today"))
    day.figures = [
        _figure(visible, _("New reports today"), reported_from=today, reported_to=today, today=today,
                testid="reported-today"),
        _figure(visible, _("Closed today"), state=S.CLOSED, closed_from=today, closed_to=today, today=today,
                testid="closed-today"),
    ]
    year = stats.stats_filter({"year": str(today.year)}, today=today)
    money = stats.cases_and_fines(user, year)
    day.figures.append(Figure(_("Cases filed this year"), money["cases"], money["cases_url"], "", "cases-year"))
    # The amount, linking to the same cases as the count beside it (the fines are decided in them).
    day.figures.append(Figure(_("Fines decided this year"), money["cases"], money["cases_url"], "", "fines-year",
                              display=f"¥{money['fines_total']:,.0f}"))
    district_panel = _district_trends(user, today)
    district_panel.more_url = reverse("analytics:statistics")
    return [now, escalated, day, district_panel]


def _district_trends(user, today: date) -> Panel:
    """Per district: reports in the last 30 days against the 30 before, and this year's district-closure share."""
    from parcelwatch.analytics import selectors as stats

    reach = stats.reach_of(user)
    recent = stats.StatsFilter(start=today - timedelta(days=29), end=today)
    before = stats.StatsFilter(start=today - timedelta(days=59), end=today - timedelta(days=30))
    year = stats.StatsFilter(start=date(today.year, 1, 1), end=today)
    now = {r["district_id"]: r["reported"] for r in stats.aggregate(reach, recent, ("district_id",), today=today)}
    then = {r["district_id"]: r["reported"] for r in stats.aggregate(reach, before, ("district_id",), today=today)}
    shares = {r["key"]: r for r in stats.breakdown(reach, year, "district", today=today)}
    from parcelwatch.accounts.selectors import districts_visible_to

    rows = []
    for d in districts_visible_to(user):
        a, b = now.get(d.pk, 0), then.get(d.pk, 0)
        trend = "up" if a > b else "down" if a < b else "flat"
        rows.append({"name": d.name, "recent": a, "before": b, "trend": trend,
                     "share": shares[d.pk]["district_closure_share"] if d.pk in shares else None,
                     "open": shares[d.pk]["open"] if d.pk in shares else 0,
                     "url": _events_url(district=d.code, reported_from=recent.start.isoformat(),
                                        reported_to=recent.end.isoformat())})
    panel = Panel(_("Districts: reports in the last 30 days"))
    panel.items = rows
    panel.kind = "districts"
    return panel


def _city_officer_panel(user, visible, today: date, case_tasks, case_count: int | None) -> Panel:
    panel = Panel(_("City bureau work"))
    panel.figures = [
        _figure(visible, _("Escalated events waiting"), state=S.ESCALATED, today=today, tone="warning",
                testid="city-escalated"),
        _figure(visible, _("Under enforcement"), state=S.UNDER_ENFORCEMENT, today=today),
    ]
    if case_tasks is not None:
        panel.figures.append(Figure(_("Case steps due"), case_count, reverse("events:todo") + "#cases",
                                    "warning", "city-case-steps"))
        panel.items = list(case_tasks[:5])
        panel.items_title = _("Case steps")
        panel.kind = "cases"
    return panel


def _district_officer_panels(user, visible, today: date) -> list[Panel]:
    panel = Panel(_("District safety centre work"))
    panel.figures = [
        _figure(visible, _("Reports to accept"), state=S.REPORTED, today=today, testid="district-accept"),
        _figure(visible, _("Rectifications to check"), state=S.RECTIFICATION_SUBMITTED, today=today,
                testid="district-verify"),
        _figure(visible, _("Letters due within 2 days"), due_soon=True, today=today, tone="warning",
                testid="district-due-soon"),
        _figure(visible, _("Overdue rectifications"), overdue=True, today=today, tone="danger",
                testid="district-overdue"),
    ]
    panels = [panel]
    if has_permission(user, STATS_VIEW):
        panels.append(_district_against_city(user, today))
    return panels


def _district_against_city(user, today: date) -> Panel:
    """This year's indicators of the officer's district(s) beside the whole city's."""
    from parcelwatch.accounts.models import Jurisdiction
    from parcelwatch.accounts.selectors import home_city
    from parcelwatch.analytics import selectors as stats

    year = stats.StatsFilter(start=date(today.year, 1, 1), end=today)
    mine = stats.with_rates(stats.aggregate(stats.reach_of(user), year, today=today)[0])
    city = home_city(user)
    city_districts = frozenset(Jurisdiction.objects.filter(
        path__startswith=city.path, level__in=["district", "zone"]).values_list("pk", flat=True)) if city else frozenset()
    whole = stats.with_rates(stats.aggregate(stats.Reach(district_ids=city_districts), year, today=today)[0])
    rows = [{"label": _("Closed at district level"), "mine": mine["district_closure_share"],
             "city": whole["district_closure_share"]},
            {"label": _("On-time handling rate"), "mine": mine["on_time_rectification_rate"],
             "city": whole["on_time_rectification_rate"]},
            {"label": _("Closure rate"), "mine": mine["closure_rate"], "city": whole["closure_rate"]},
            {"label": _("Rework rate"), "mine": mine["rework_rate"], "city": whole["rework_rate"], "lower": True}]
    for r in rows:
        if r["mine"] is None or r["city"] is None:
            r["better"] = None
        else:
            r["better"] = r["mine"] <= r["city"] if r.get("lower") else r["mine"] >= r["city"]
    panel = Panel(_("This year: my district against the city"))
    panel.items = rows
    panel.kind = "compare"
    panel.more_url = reverse("analytics:statistics")
    return panel


def _grid_worker_panel(user, visible, today: date) -> Panel:
    panel = Panel(_("On-site confirmations"))
    panel.figures = [_figure(visible, _("Fixes waiting for your confirmation"), state=S.AWAITING_CONFIRMATION,
                             today=today, tone="warning", testid="grid-confirm")]
    panel.items = page_rows(filter_events(visible, state=S.AWAITING_CONFIRMATION).order_by("awaiting_since", "pk"),
                            0, 5)
    panel.items_title = _("Waiting for confirmation")
    panel.kind = "events"
    return panel


def _enterprise_panels(user, visible, today: date) -> list[Panel]:
    from parcelwatch.analytics import selectors as stats

    work = Panel(_("Letters and rectifications"))
    work.figures = [
        _figure(visible, _("Letters to acknowledge"), unacknowledged=True, today=today, tone="warning",
                testid="enterprise-acknowledge"),
        _figure(visible, _("Rectifications due"), state=S.RECTIFYING, today=today, testid="enterprise-rectify"),
        _figure(visible, _("Overdue rectifications"), overdue=True, today=today, tone="danger"),
    ]
    work.items = page_rows(filter_events(visible, state=S.RECTIFYING).order_by("deadline", "pk"), 0, 5)
    work.items_title = _("Rectifications by deadline")
    work.kind = "events"
    reach = stats.Reach(enterprise_ids=frozenset(m.enterprise_id for m in memberships(user)
                                                  if m.role == Role.ENTERPRISE_SAFETY))
    year = stats.StatsFilter(start=date(today.year, 1, 1), end=today)
    own = stats.with_rates(stats.aggregate(reach, year, today=today)[0])
    record = Panel(_("Our record this year"))
    # From the enterprise's own statistics (its facts, by their index), linking to the same events.
    span = {"reported_from": year.start.isoformat(), "reported_to": year.end.isoformat(), "scope": "stats"}
    record.figures = [
        Figure(_("Problems found"), own["reported"], _events_url(**span), "", "enterprise-year"),
        Figure(_("Events closed"), own["closed"], _events_url(**span, state=S.CLOSED)),
        Figure(_("Repeat problems"), own["repeat"], _events_url(**span, flag="repeat"), "danger"),
    ]
    if has_permission(user, CASES_VIEW):
        money = stats.cases_and_fines(user, stats.stats_filter({"year": str(today.year)}, today=today))
        record.figures.append(Figure(_("Cases filed this year"), money["cases"], money["cases_url"], "danger",
                                     "enterprise-cases"))
    record.items = [{"label": _("On-time handling rate"), "value": own["on_time_rectification_rate"]},
                    {"label": _("Rework rate"), "value": own["rework_rate"]}]
    record.kind = "rates"
    return [work, record]
