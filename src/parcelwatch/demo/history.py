"""A realistic event history from 2019 on, consistent with the 2020 report on Putian.

2019: 32 enforcement cases filed with fines totalling exactly 1,182,500 yuan, over 90%
of grid events closed at district level, and the 涵江 address-mismatch case of April
2019 among them (with its real documents). Historical paper documents are recorded by
number only; the worked example and this year's open events get generated PDFs.
Everything goes through the same services as live use.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from PIL import Image, ImageDraw

from parcelwatch.accounts.models import Role, User
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.enforcement.services import perform_case
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.lib.queries import analyze_own_rows
from parcelwatch.notifications.services import muted
from parcelwatch.registry.models import Site
from parcelwatch.workdays.services import add_working_days

SH = ZoneInfo("Asia/Shanghai")

# The 32 fines of 2019 (category, yuan); they add up to 1,182,500. The first is the 涵江 case.
FINES_2019 = (
    [("BA02", 1500)]
    + [("YS01", 100000), ("RS01", 100000), ("YS01", 100000), ("JJ01", 100000), ("JJ01", 200000)]
    + [("XK01", 50000)] * 3 + [("KJ01", 50000)] * 3
    + [("BA01", 10000)] * 4 + [("FW03", 10000)] * 3 + [("XX01", 10000)] * 3
    + [("AJ02", 20000)] * 4 + [("FW01", 20000)] * 4
    + [("BA03", 10500)] * 2
)
DISTRICT_CATEGORIES = ["BA01", "BA02", "AJ01", "AJ02", "SP01", "FW01", "FW02", "FW03", "AQ01", "AQ02", "AQ03", "XF01",
                       "YS01", "RS02", "XX02"]
# What the city fines this year: the district categories with a fine in their penalty (XF01, a fire hazard, is
# referred to the fire service instead).
CASE_CATEGORIES = [code for code in DISTRICT_CATEGORIES if code != "XF01"]
# The round amounts a demo case may be fined; a case takes one within its category's range.
CASE_FINES = (2000, 5000, 10000, 20000, 50000, 100000, 200000)


def case_fine(category: EventCategory, rng: random.Random) -> Decimal:
    """A round fine within `category`'s range, so the case needs no justification for leaving it, whatever the
    day the demo is loaded on (the day decides which categories this year's cases draw)."""
    low, high = category.fine_min, category.fine_max
    allowed = [Decimal(f) for f in CASE_FINES if (low is None or f >= low) and (high is None or f <= high)]
    if not allowed:
        raise ValueError(f"no demo fine falls within {category.code}'s range ({low}–{high})")
    return rng.choice(allowed)


DESCRIPTIONS = {
    "BA01": "末端网点已营业但未办理备案", "BA02": "网点备案地址与实际经营地址不符", "BA03": "分支机构未办理备案",
    "AJ01": "部分快件未过机安检，无安检标识", "AJ02": "安检机未开机或无人值守", "SP01": "视频监控未覆盖收寄区域",
    "FW01": "分拣时存在抛扔快件现象", "FW02": "未经收件人同意将快件投放驿站", "FW03": "网点快件积压，未按规定报告",
    "AQ01": "未配备专职安全员", "AQ02": "新入职人员无安全培训记录", "AQ03": "未制定突发事件应急预案",
    "XF01": "网点内存在“三合一”住人现象", "YS01": "收寄时未开箱验视，无验视标识", "RS01": "收寄时未核验寄件人身份",
    "RS02": "实名收寄信息登记不全", "XX01": "面单信息随意丢弃存在泄露风险", "XX02": "废弃运单未按规定销毁",
    "JJ01": "收寄管制刀具等禁寄物品", "XK01": "未取得快递业务经营许可开展经营", "KJ01": "私自拆开他人快件",
}


def _photo(rng: random.Random, label: str, user: User):
    img = Image.new("RGB", (320, 240), (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(0, 300), rng.randrange(0, 220)
        draw.rectangle([x, y, x + rng.randrange(10, 80), y + rng.randrange(10, 60)],
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw.text((8, 8), label, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return store_attachment(out.getvalue(), name=f"{label}.jpg", actor=user)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


# Reports between two refreshes of the planner's statistics: the demo loads in one transaction (analyze_own_rows).
REFRESH_EVERY = 200


class HistoryLoader:
    def __init__(self) -> None:
        self.reports = 0
        self.rng = random.Random(20190415)
        self.users = {u.username: u for u in User.objects.filter(memberships__isnull=False).distinct()}
        self.categories = {c.code: c for c in EventCategory.objects.all()}
        self.city_officer = self.users["city_officer"]
        self.leader = self.users["city_leader"]
        self.sites = list(Site.objects.filter(kind__in=[Site.Kind.OUTLET, Site.Kind.TERMINAL])
                          .select_related("district", "jurisdiction", "enterprise").order_by("pk"))
        self.grid_workers: dict[str, User] = {}
        self.officers: dict[str, User] = {}
        self.enterprise_users: dict[int, User] = {}

    # -- actors for a site: the demo accounts where they exist, otherwise a staff account per area ----------------
    def _grid_worker(self, site: Site) -> User:
        named = self.users["hanjiang_grid"]
        if any(site.jurisdiction.path.startswith(m.jurisdiction.path) for m in named.memberships.all()):
            return named
        key = site.jurisdiction.path
        if key not in self.grid_workers:
            self.grid_workers[key] = self._staff(f"grid_{site.jurisdiction.code}", f"{site.jurisdiction.name}网格员",
                                                 Role.GRID_WORKER, site.jurisdiction)
        return self.grid_workers[key]

    def _officer(self, site: Site) -> User:
        code = site.district.code
        if code == "350303":
            return self.users["hanjiang_officer"]
        if code == "350304":
            return self.users["licheng_officer"]
        if code not in self.officers:
            self.officers[code] = self._staff(f"officer_{code.lower().replace('-', '_')}",
                                              f"{site.district.name}安全中心", Role.DISTRICT_OFFICER, site.district)
        return self.officers[code]

    def _enterprise_user(self, site: Site) -> User:
        ent = site.enterprise
        zto = self.users["zto_safety"]
        if zto.memberships.filter(enterprise=ent).exists():
            return zto
        if ent.pk not in self.enterprise_users:
            self.enterprise_users[ent.pk] = self._staff(f"safety_{ent.pk}", f"{ent.name[:12]}安全员",
                                                        Role.ENTERPRISE_SAFETY, ent.jurisdiction, enterprise=ent)
        return self.enterprise_users[ent.pk]

    @staticmethod
    def _staff(username: str, full_name: str, role: str, node, enterprise=None) -> User:
        user, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
        if created:
            user.set_unusable_password()  # staff of the demo history; they cannot log in
            user.save(update_fields=["password"])
            user.memberships.create(role=role, jurisdiction=node, enterprise=enterprise)
        return user

    # -- one event ---------------------------------------------------------------------------------------------
    def _report(self, site: Site, code: str, day: date, *, description: str = "") -> tuple[Event, User]:
        if self.reports % REFRESH_EVERY == 0:
            analyze_own_rows()
        self.reports += 1
        grid = self._grid_worker(site)
        event = report_event(actor=grid, site=site, category=self.categories[code],
                             description=description or DESCRIPTIONS[code],
                             photos=[self._p(f"{code}-现场")], lng=site.lng, lat=site.lat,
                             when=_at(day, self.rng.randrange(8, 11), self.rng.randrange(60)))
        return event, grid

    def _p(self, label: str):
        return _photo(self.rng, label, self.city_officer)

    def district_closed(self, site: Site, code: str, day: date, *, rework: bool = False, on_spot: bool = False,
                        documents: bool = False) -> Event:
        event, grid = self._report(site, code, day)
        officer, ent_user = self._officer(site), self._enterprise_user(site)
        event = perform(event, "accept", actor=officer, note="已核实", when=_at(day, 14))
        if on_spot:
            event = perform(event, "resolve_on_spot", actor=officer, note="现场督促，当场整改完毕",
                            attachments=[self._p("当场整改")], when=_at(day, 15))
        else:
            event = perform(event, "issue_letter", actor=officer, note="下发提醒函，限期整改", when=_at(day, 15),
                            render_documents=documents)
            fix_day = add_working_days(day, self.rng.randrange(1, 4))
            event = perform(event, "submit_rectification", actor=ent_user, note="已按要求整改",
                            attachments=[self._p("整改照片")], when=_at(fix_day, 10))
            if rework:
                event = perform(event, "verify_fail", actor=officer, note="整改不彻底，请重新整改", when=_at(fix_day, 16),
                                render_documents=documents)
                fix_day = add_working_days(fix_day, 2)
                event = perform(event, "submit_rectification", actor=ent_user, note="已重新整改",
                                attachments=[self._p("再次整改")], when=_at(fix_day, 10))
            event = perform(event, "verify_pass", actor=officer, note="整改到位", when=_at(fix_day, 15))
        confirm_day = add_working_days(day, 6)
        return perform(event, "confirm", actor=grid, note="现场复核，已整改", attachments=[self._p("复核")],
                       when=_at(confirm_day, 11))

    def city_case(self, site: Site, code: str, day: date, fine: int | Decimal, *, documents: bool = False,
                  description: str = "", findings: str = "") -> Event:
        event, grid = self._report(site, code, day, description=description)
        officer, ent_user = self._officer(site), self._enterprise_user(site)
        event = perform(event, "accept", actor=officer, note="已实地复核，情况属实", when=_at(day, 14))
        event = perform(event, "issue_letter", actor=officer, note="实地复核属实，下发提醒函限期整改", when=_at(day, 15),
                        render_documents=documents)
        overdue = event.deadline + timedelta(days=1)
        event = perform(event, "auto_escalate", actor=None, _system=True, note="整改期限届满未整改",
                        when=_at(overdue, 1))
        t = add_working_days(overdue, 1)
        event = perform(event, "open_case", actor=self.city_officer, note="经提醒逾期未整改，建议立案调查",
                        when=_at(t, 10))
        case = EnforcementCase.objects.get(events=event)
        case = perform_case(case, "approve_filing", actor=self.leader, note="同意立案", when=_at(t, 16))
        t = add_working_days(t, 1)
        case = perform_case(case, "start_investigation", actor=self.city_officer, note="两名执法人员现场检查取证",
                            attachments=[self._p("调查取证")], when=_at(t, 9))
        case = perform_case(case, "notify_penalty", actor=self.city_officer,
                            findings=findings or f"{site.name}{DESCRIPTIONS[code]}，经县区提醒后逾期未整改。",
                            fine=Decimal(fine), hearing_days=3, when=_at(t, 15), render_documents=documents)
        t = add_working_days(case.hearing_deadline, 1)
        case = perform_case(case, "decide", actor=self.leader, note="同意处罚", when=_at(t, 10),
                            render_documents=documents)
        case = perform_case(case, "serve", actor=self.city_officer, note="直接送达", when=_at(t, 15))
        return event, case, ent_user, grid, t

    def finish_case(self, event, case, ent_user, grid, t, *, note="已完成整改", site_changes=None):
        """The fix on day `t` (after the decision was served); the fine is paid within a few working days."""
        perform(event, "submit_rectification", actor=ent_user, note=note, attachments=[self._p("整改材料")],
                site_changes=site_changes, when=_at(t, 16, 30))
        t = max(t, add_working_days(case.served_at.astimezone(SH).date(), 2))
        case = perform_case(case, "record_payment", actor=self.city_officer, note="罚款已缴纳",
                            attachments=[self._p("缴款凭证")], when=_at(t, 17))
        perform_case(case, "close", actor=self.city_officer, note="结案", when=_at(t, 17, 30))
        return perform(event, "confirm", actor=grid, note="现场复核，问题已整改", attachments=[self._p("复核")],
                       when=_at(t, 18))

    # -- the years ---------------------------------------------------------------------------------------------
    def worked_example(self) -> None:
        """April 2019, 涵江: filed address differs from the real one; fined 1,500; change filed on 30 April."""
        zto = self.users["zto_safety"].memberships.get().enterprise
        site = (Site.objects.filter(enterprise=zto, kind=Site.Kind.OUTLET, jurisdiction__code__in=[
            m.jurisdiction.code for m in self.users["hanjiang_grid"].memberships.all()]).order_by("pk").first())
        event, case, ent_user, grid, t = self.city_case(
            site, "BA02", date(2019, 4, 2), 1500, documents=True,
            description="例行排查发现该营业部备案地址与实际经营地址不相符",
            findings="该营业部实际经营地址与备案地址不符，涵江区邮政业安全中心下发提醒函后5个工作日内仍未办理变更。")
        old = site.address
        new = old.replace("号", "号之一") if "号" in old else old + "（新址）"
        self.finish_case(event, case, ent_user, grid, date(2019, 4, 30), note="已于4月30日办理地址变更备案",
                         site_changes={"address": new})

    def year_2019(self) -> None:
        rng = self.rng
        days = [date(2019, 1, 7) + timedelta(days=i) for i in range(330)]
        plan = [(date(2019, 4, 2), 0, "worked", None, None)]
        plan += [(rng.choice(days), n, "case", code, fine) for n, (code, fine) in enumerate(FINES_2019[1:], start=1)]
        plan += [(rng.choice(days), 100 + i, "district", rng.choice(DISTRICT_CATEGORIES), i) for i in range(330)]
        plan += [(rng.choice(days), 1000 + i, "rejected", rng.choice(DISTRICT_CATEGORIES), None) for i in range(12)]
        # In date order, so event, letter and case numbers run with the calendar.
        for day, _n, kind, code, extra in sorted(plan, key=lambda p: (p[0], p[1])):
            site = rng.choice(self.sites)
            if kind == "worked":
                self.worked_example()
            elif kind == "case":
                event, case, ent_user, grid, t = self.city_case(site, code, day, extra)
                self.finish_case(event, case, ent_user, grid, t)
            elif kind == "district":
                self.district_closed(site, code, day, rework=extra % 11 == 0, on_spot=extra % 5 == 0)
            else:  # a report that turned out unfounded
                event, _grid = self._report(site, code, day)
                perform(event, "reject", actor=self._officer(site), note="经核实不属实", when=_at(day, 16))

    def earlier_this_year(self) -> None:
        """This year's finished work before the last weeks: what the statistics, the leader's home page and the
        wall screen show for the year (mostly closed by the districts, a few cases fined by the city)."""
        rng = self.rng
        today = timezone.localdate()
        first, last = date(today.year, 1, 5), today - timedelta(days=35)
        if last <= first:
            return
        span = (last - first).days
        plan = [(first + timedelta(days=rng.randrange(span)), "district") for _ in range(span // 3)]
        plan += [(first + timedelta(days=rng.randrange(span)), "rejected") for _ in range(span // 30)]
        plan += [(first + timedelta(days=rng.randrange(max(1, span - 30))), "case") for _ in range(span // 60)]
        for n, (day, kind) in enumerate(sorted(plan)):
            site = rng.choice(self.sites)
            code = rng.choice(DISTRICT_CATEGORIES)
            if kind == "district":
                self.district_closed(site, code, day, rework=n % 9 == 0, on_spot=n % 4 == 0)
            elif kind == "case":
                code = rng.choice(CASE_CATEGORIES)
                event, case, ent_user, grid, t = self.city_case(site, code, day, case_fine(self.categories[code], rng))
                self.finish_case(event, case, ent_user, grid, t)
            else:
                event, _grid = self._report(site, code, day)
                perform(event, "reject", actor=self._officer(site), note="经核实不属实", when=_at(day, 16))

    def current(self) -> None:
        """This year's open work, so every to-do list has something in it."""
        rng = self.rng
        today = timezone.localdate()
        start = today - timedelta(days=20)
        hanjiang_sites = [s for s in self.sites if s.district.code == "350303"]
        # Reported in date order, as in real use (a report looks back for repeats of the same problem).
        days = sorted(start + timedelta(days=rng.randrange(0, 18)) for _ in range(30))
        for i in range(30):
            site = hanjiang_sites[i % len(hanjiang_sites)] if i < 12 else rng.choice(self.sites)
            day = days[i]
            code = rng.choice(DISTRICT_CATEGORIES)
            event, grid = self._report(site, code, day)
            stage = i % 6
            if stage == 0:
                continue  # reported, waiting for the district
            officer = self._officer(site)
            event = perform(event, "accept", actor=officer, note="已核实", when=_at(day, 14))
            if stage == 1:
                continue
            event = perform(event, "issue_letter", actor=officer, note="限期整改", when=_at(day, 15),
                            render_documents=i < 8)
            if stage in (2, 3):
                continue  # rectifying; some of these are overdue and the worker will escalate them
            ent_user = self._enterprise_user(site)
            fix_day = add_working_days(day, 1)
            if fix_day >= today:
                continue
            event = perform(event, "submit_rectification", actor=ent_user, note="已整改",
                            attachments=[self._p("整改")], when=_at(fix_day, 10))
            if stage == 4:
                continue
            perform(event, "verify_pass", actor=officer, note="整改到位", when=_at(fix_day, 15))

    def run(self) -> None:
        with muted():
            self.year_2019()
            self.earlier_this_year()
        # This year's work is live: the people concerned are notified as in real use.
        self.current()


def load_history() -> bool:
    """Load once; returns False when events already exist."""
    if Event.objects.exists():
        return False
    HistoryLoader().run()
    return True
