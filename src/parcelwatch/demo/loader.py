"""Load the Putian demo data: deterministic and idempotent (natural keys, seeded randomness)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User
from parcelwatch.accounts.services import upsert_jurisdiction
from parcelwatch.events.models import Event
from parcelwatch.lib.credit_code import ALPHABET, check_character
from parcelwatch.registry.models import Brand, ChangeRecord, Enterprise, SafetyOfficer, Site, TrainingRecord
from parcelwatch.registry.versioning import record_change

from . import putian

DEMO_PASSWORD = "Demo@2026"
DEMO_NOTE = "演示数据"
# The demo's X-ray machines report heartbeats through the API (simulate_cameras); this one reports itself
# powered off, so that the power-on rate is below 100% and its district is alerted during working hours.
DEMO_XRAY_OFF = "PT-XR-STO-HJ-2"

# username, full name, role, jurisdiction code (or grid codes), extra
DEMO_ACCOUNTS = [
    ("sysadmin", "系统管理员", Role.ADMIN, ["350300"], {}),
    ("city_leader", "江局长", Role.CITY_LEADER, ["350300"], {}),
    ("city_officer", "陈执法", Role.CITY_OFFICER, ["350300"], {"enforcement_id": "闽邮执350300001"}),
    ("hanjiang_officer", "黄主任", Role.DISTRICT_OFFICER, ["350303"], {"enforcement_id": "闽邮执350303001"}),
    ("licheng_officer", "林主任", Role.DISTRICT_OFFICER, ["350304"], {"enforcement_id": "闽邮执350304001"}),
    ("hanjiang_grid", "郑网格员", Role.GRID_WORKER, ["350303001001", "350303001002"], {}),
    ("zto_safety", "吴安全员", Role.ENTERPRISE_SAFETY, ["350303"], {"enterprise": "zto@350303"}),
    ("police_partner", "刘警官", Role.PARTNER, ["350300"], {"department": "莆田市公安局"}),
]


# The departments the bureau signed memoranda with: name, short name, what they do together, contact, phone.
DEMO_DEPARTMENTS = [
    ("莆田市公安局", "公安", "寄递渠道涉毒、涉枪爆、管制刀具等违禁品案件的移送与查处，联合检查。", "刘警官", "0594-2281110"),
    ("莆田市国家安全局", "国安", "寄递渠道涉及国家安全的线索通报与协查。", "王科长", "0594-2280000"),
    ("莆田海关", "海关", "跨境寄递物品的监管协作与走私线索移送。", "张科长", "0594-2695000"),
    ("莆田市烟草专卖局", "烟草", "寄递渠道涉烟违法案件线索通报与联合查处。", "李科长", "0594-2291234"),
    ("莆田市市场监督管理局", "市场监管", "无照经营、违规收寄食品药品等问题的联合整治。", "周科长", "0594-2689315"),
]


@dataclass
class Summary:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: bool) -> None:
        self.created.setdefault(kind, 0)
        if created:
            self.created[kind] += 1


def _credit_code(rng: random.Random, region: str) -> str:
    body = "91" + region[:6] + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def _id_number(rng: random.Random, region: str) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
    body = region[:6] + born.strftime("%Y%m%d") + f"{rng.randrange(0, 1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _phone(rng: random.Random) -> str:
    return rng.choice(["133", "135", "137", "138", "139", "150", "158", "159", "180", "189"]) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def _person(rng: random.Random) -> str:
    return rng.choice(putian.SURNAMES) + rng.choice(putian.GIVEN)


def _jitter(rng: random.Random, lng: float, lat: float, spread: float) -> tuple[Decimal, Decimal]:
    return (
        Decimal(str(round(lng + rng.uniform(-spread, spread), 6))),
        Decimal(str(round(lat + rng.uniform(-spread * 0.8, spread * 0.8), 6))),
    )


class DemoLoader:
    def __init__(self) -> None:
        self.rng = random.Random(1136)
        self.summary = Summary()
        self.towns: dict[str, list[Jurisdiction]] = {}
        self.grids: dict[str, list[Jurisdiction]] = {}
        self.districts: dict[str, Jurisdiction] = {}
        self.brands: dict[str, Brand] = {}
        self.enterprises: dict[str, Enterprise] = {}

    # -- jurisdiction ------------------------------------------------------------------------------------
    def load_tree(self) -> None:
        c = putian.CITY
        self.city = upsert_jurisdiction(
            code=c["code"], name=c["name"], level=Jurisdiction.Level.CITY, parent=None, lng=c["lng"], lat=c["lat"],
            bounds=c["bounds"], map_name=c["map_name"], map_script=c["map_script"],
        )
        numerals = "一二三四五六"
        for order, (code, name, level, lng, lat, towns) in enumerate(putian.DISTRICTS, start=1):
            district = upsert_jurisdiction(
                code=code, name=name, level=level, parent=self.city, lng=lng, lat=lat, sort_order=order
            )
            self.districts[code] = district
            self.towns[code] = []
            self.grids[code] = []
            for t_order, (t_code, t_name, t_lng, t_lat) in enumerate(towns, start=1):
                town = upsert_jurisdiction(
                    code=t_code, name=t_name, level=Jurisdiction.Level.TOWN, parent=district, lng=t_lng, lat=t_lat,
                    sort_order=t_order,
                )
                self.towns[code].append(town)
                grid_count = 4 if t_name.endswith("街道") else 2
                for g in range(1, grid_count + 1):
                    grid = upsert_jurisdiction(
                        code=f"{t_code}{g:03d}", name=f"{t_name.removesuffix('街道').removesuffix('镇').removesuffix('乡')}"
                        f"第{numerals[g - 1]}网格",
                        level=Jurisdiction.Level.GRID, parent=town, lng=t_lng, lat=t_lat, sort_order=g,
                    )
                    self.grids[code].append(grid)

    def load_brands(self) -> None:
        for order, (code, name, short, colour, historical) in enumerate(putian.BRANDS, start=1):
            brand, created = Brand.objects.update_or_create(
                code=code,
                defaults={"name": name, "short_name": short, "color": colour, "is_historical": historical,
                          "sort_order": order},
            )
            self.brands[code] = brand
            self.summary.add("brands", created)

    # -- enterprises -------------------------------------------------------------------------------------
    def _enterprise(self, key: str, *, name: str, brand: str | None, district: Jurisdiction) -> Enterprise:
        rng = self.rng
        region = district.code if district.code.isdigit() else "350305"
        values = {
            "credit_code": _credit_code(rng, region),
            "brand": self.brands[brand] if brand else None,
            "licence_number": f"闽邮{rng.randrange(2009, 2019)}{rng.randrange(1000, 9999)}{rng.choice('ABCD')}"
            if brand else "",
            "licence_valid_until": date(2029, 1, 1) + timedelta(days=rng.randrange(0, 900)),
            "legal_representative": _person(rng),
            "contact_person": _person(rng),
            "contact_phone": _phone(rng),
            "address": f"莆田市{'' if district.level == Jurisdiction.Level.CITY else district.name}"
            f"{rng.choice(putian.ROADS)}{rng.randrange(1, 400)}号",
            "jurisdiction": district,
        }
        enterprise = Enterprise.objects.filter(name=name).first()
        created = enterprise is None
        if created:
            enterprise = Enterprise.objects.create(name=name, **values)
            record_change(enterprise, actor=None, before=None, action=ChangeRecord.Action.CREATE, note=DEMO_NOTE)
        self.summary.add("enterprises", created)
        self.enterprises[key] = enterprise
        return enterprise

    def load_enterprises(self) -> None:
        city = self.city
        self._enterprise("ems@city", name="中国邮政集团有限公司莆田市分公司", brand="ems", district=city)
        self._enterprise("sf@city", name="莆田顺丰速运有限公司", brand="sf", district=city)
        self._enterprise("jd@city", name="莆田京邦达物流有限公司", brand="jd", district=city)
        self._enterprise("deppon@city", name="莆田德邦物流有限公司", brand="deppon", district=city)
        franchise = {"zto": "中通快递", "yto": "圆通速递", "sto": "申通快递", "yunda": "韵达快递", "jt": "极兔速递"}
        for code, district in self.districts.items():
            label = district.name if district.level == Jurisdiction.Level.DISTRICT else district.name + "片区"
            self._enterprise(f"ems@{code}", name=f"中国邮政集团有限公司莆田市{label}分公司", brand="ems",
                             district=district)
            for brand, word in franchise.items():
                self._enterprise(f"{brand}@{code}", name=f"莆田市{label}{word}有限公司", brand=brand,
                                 district=district)
            for network, _carrier in putian.STATION_NETWORKS[:3]:
                self._enterprise(f"{network}@{code}", name=f"莆田市{label}{network}便民服务部", brand=None,
                                 district=district)

    # -- sites -------------------------------------------------------------------------------------------
    def _site_values(self, kind: str, district_code: str, seq: int, names: set[str]) -> tuple[str, dict]:
        rng = self.rng
        district = self.districts[district_code]
        grids = self.grids[district_code]
        grid = grids[seq % len(grids)] if kind != Site.Kind.SORTING_CENTER else None
        town = grid.parent if grid else self.towns[district_code][seq % len(self.towns[district_code])]
        place = grid or town
        road = rng.choice(putian.ROADS)
        town_short = town.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        station_operator = ""
        if kind == Site.Kind.OUTLET:
            brand_code = rng.choices(
                ["ems", "sf", "zto", "yto", "sto", "yunda", "jt", "jd", "deppon"],
                weights=[14, 10, 16, 14, 11, 13, 12, 5, 5],
            )[0]
            brand = self.brands[brand_code]
            key = f"{brand_code}@city" if brand_code in ("sf", "jd", "deppon") else f"{brand_code}@{district_code}"
            base = f"{brand.short_name}{town_short}{road.removesuffix('路').removesuffix('街')}营业部"
        elif kind == Site.Kind.TERMINAL:
            network, carrier = rng.choice(putian.STATION_NETWORKS[:3])
            brand = self.brands[carrier] if carrier else None
            key = f"{network}@{district_code}"
            station_operator = network
            base = f"{network}（{town_short}{road}店）"
        else:
            brand_code = rng.choice(["ems", "zto", "yto", "sto", "yunda", "jt", "sf"])
            brand = self.brands[brand_code]
            key = f"{brand_code}@city" if brand_code == "sf" else f"{brand_code}@{district_code}"
            base = f"{brand.short_name}{district.name.removesuffix('区').removesuffix('县')}分拨中心"
        name = base
        n = 2
        while name in names:
            name = f"{base}{'二三四五六七八九'[n - 2]}部" if n < 10 else f"{base}{n}部"
            n += 1
        names.add(name)
        lng, lat = _jitter(rng, float(town.lng), float(town.lat), 0.012 if town.name.endswith("街道") else 0.02)
        opened = date(2012, 1, 1) + timedelta(days=rng.randrange(0, 365 * 7))
        values = {
            "kind": kind,
            "enterprise": self.enterprises[key],
            "brand": brand,
            "station_operator": station_operator,
            "filing_date": opened + timedelta(days=rng.randrange(3, 20)),
            "address": f"莆田市{district.name}{town.name}{road}{rng.randrange(1, 600)}号",
            "jurisdiction": place,
            "district": district,
            "lng": lng,
            "lat": lat,
            "status": Site.Status.OPERATING if rng.random() > 0.03 else Site.Status.SUSPENDED,
            "xray_count": rng.randrange(2, 7) if kind == Site.Kind.SORTING_CENTER
            else (1 if kind == Site.Kind.OUTLET and rng.random() < 0.35 else 0),
            "opening_date": opened,
            "manager_name": _person(rng),
            "manager_phone": _phone(rng),
        }
        return name, values

    def load_sites(self) -> None:
        names: set[str] = set()
        serial = 0
        plan = [(Site.Kind.OUTLET, putian.OUTLETS), (Site.Kind.SORTING_CENTER, putian.SORTING_CENTRES),
                (Site.Kind.TERMINAL, putian.TERMINALS)]
        existing = {s.name: s for s in Site.objects.all()}
        for kind, counts in plan:
            for district_code, count in counts.items():
                for seq in range(count):
                    serial += 1
                    name, values = self._site_values(kind, district_code, seq, names)
                    filed = kind != Site.Kind.TERMINAL or self.rng.random() > 0.06
                    values["filing_number"] = f"闽莆邮备{values['filing_date'].year}{serial:04d}" if filed else None
                    if not filed:
                        values["filing_date"] = None
                    created = name not in existing
                    if created:
                        site = Site.objects.create(name=name, **values)
                        record_change(site, actor=None, before=None, action=ChangeRecord.Action.CREATE,
                                      note=DEMO_NOTE)
                    self.summary.add("sites", created)

    # -- safety officers ---------------------------------------------------------------------------------
    def load_officers(self) -> None:
        rng = self.rng
        for enterprise in self.enterprises.values():
            sites = list(enterprise.sites.order_by("pk"))
            if not sites:
                continue
            count = 2 if len(sites) > 25 else 1
            for i in range(count):
                name = _person(rng)
                region = enterprise.jurisdiction.code if enterprise.jurisdiction.code.isdigit() else "350305"
                id_number = _id_number(rng, region)
                phone = _phone(rng)
                filing_date = date(2018, 3, 1) + timedelta(days=rng.randrange(0, 400))
                covered = sites[i::count]
                officer = SafetyOfficer.objects.filter(enterprise=enterprise).order_by("pk")[i:i + 1].first()
                created = officer is None
                if created:
                    officer = SafetyOfficer.objects.create(
                        enterprise=enterprise, name=name, id_number=id_number, phone=phone, filing_date=filing_date
                    )
                    officer.sites.set(covered)
                    record_change(officer, actor=None, before=None, action=ChangeRecord.Action.CREATE,
                                  note=DEMO_NOTE)
                    for year in (2018, 2019):
                        TrainingRecord.objects.create(
                            officer=officer, date=date(year, rng.randrange(3, 11), rng.randrange(1, 28)),
                            topic=rng.choice(["寄递安全“三项制度”培训", "禁寄物品识别与处置", "安检机操作规范",
                                              "突发事件应急处置演练", "实名收寄信息系统使用"]),
                            hours=Decimal(rng.choice(["2", "3", "4", "6"])), organiser="莆田市邮政管理局",
                        )
                self.summary.add("safety_officers", created)

    # -- cameras -----------------------------------------------------------------------------------------
    def load_cameras(self) -> None:
        """Cameras at every sorting centre (sorting area, X-ray machine, entrance) and at every fifth outlet
        (acceptance desk, X-ray machine). Four are fed by the simulated sources `make run` starts; the
        others have no feed in the demo (their addresses refuse connections) and show as offline."""
        from django.conf import settings

        from parcelwatch.video.models import Camera

        P = Camera.Position
        layouts = {Site.Kind.SORTING_CENTER: [("分拣区1号", P.SORTING), ("安检机", P.XRAY), ("出入口", P.ENTRANCE)],
                   Site.Kind.OUTLET: [("收寄验视台", P.ACCEPTANCE), ("安检机", P.XRAY)]}
        simulated = {("极兔涵江分拨中心", "分拣区1号"), ("极兔涵江分拨中心", "安检机"), ("中通荔城分拨中心", "分拣区1号")}
        zto_outlet = (Site.objects.filter(kind=Site.Kind.OUTLET, district__code="350303",
                                          enterprise__name="莆田市涵江区中通快递有限公司").order_by("pk").first())
        sites = list(Site.objects.filter(kind=Site.Kind.SORTING_CENTER).select_related("district").order_by("pk"))
        sites += list(Site.objects.filter(kind=Site.Kind.OUTLET).select_related("district").order_by("pk")[::5])
        if zto_outlet is not None and zto_outlet not in sites:
            sites.append(zto_outlet)
        self.load_xray_machines(sites)
        if Camera.objects.exists():
            return
        serial = 0
        for site in sites:
            code = site.district.code if site.district.code.isdigit() else "350300"
            centre = f"{code}00"
            serial += 1
            device = f"{centre}481188{serial:06d}"
            for name, position in layouts[site.kind]:
                serial += 1
                fake = (site.name, name) in simulated or (site == zto_outlet and position == P.ACCEPTANCE)
                camera = Camera.objects.create(
                    site=site, name=name, position=position, gb_device_id=device,
                    gb_channel_id=f"{centre}481328{serial:06d}", simulated=fake,
                    source_url=f"rtsp://admin:Demo2026@127.0.0.1:8554/demo/{serial}",
                )
                if fake:
                    camera.source_url = f"http://{settings.VIDEO_SIMULATOR_ADDRESS}/{camera.stream_key}/index.m3u8"
                    camera.save(update_fields=["source_url"])
                record_change(camera, actor=None, before=None, action=ChangeRecord.Action.CREATE, note=DEMO_NOTE)
                self.summary.add("cameras", True)

    def load_xray_machines(self, sites: list[Site]) -> None:
        """Two X-ray machines at every sorting centre and one at each outlet with cameras, all simulated."""
        from parcelwatch.video.models import XrayMachine

        if XrayMachine.objects.exists():
            return
        for site in sites:
            count = 2 if site.kind == Site.Kind.SORTING_CENTER else 1
            for i in range(1, count + 1):
                serial = f"PT-XR-{site.pk:05d}-{i}"
                if site.name == "申通涵江分拨中心" and i == 2:
                    serial = DEMO_XRAY_OFF
                XrayMachine.objects.create(site=site, serial=serial, name=f"{i}号安检机", simulated=True)
                self.summary.add("xray_machines", True)

    def load_patrol(self) -> None:
        """A video patrol drawn for 涵江区, waiting for hanjiang_officer (its sorting centres and a share of its
        outlets with cameras)."""
        from parcelwatch.video.models import PatrolDraw
        from parcelwatch.video.patrols import draw_patrols

        if PatrolDraw.objects.exists() or not User.objects.filter(username="hanjiang_officer").exists():
            return
        draw_patrols(actor=User.objects.get(username="hanjiang_officer"), area=Jurisdiction.objects.get(code="350303"),
                     outlet_percent=20, seed="演示-涵江-1")
        self.summary.add("video_patrol_draws", True)

    # -- self-inspection ---------------------------------------------------------------------------------
    def load_selfcheck(self) -> None:
        """Three months of duty reports (some late, some missing, last month's partly waiting for review), a
        safety officer's filing by 中通涵江 waiting for 涵江's decision, and a published circular on last month's
        late reporters that 中通涵江 has not read yet."""
        from django.db.models import Exists, OuterRef
        from django.utils import timezone

        from parcelwatch.selfcheck import services as selfcheck
        from parcelwatch.selfcheck.models import Circular, DutyReport, OfficerFiling, month_start, previous_month
        from parcelwatch.selfcheck.selectors import active_template, due_date_for

        template = active_template()
        users = {u.username: u for u in User.objects.filter(username__in=["zto_safety", "hanjiang_officer",
                                                                           "city_leader"])}
        if template is None or DutyReport.objects.exists() or len(users) < 3:
            return
        rng = random.Random(20261128)
        today = timezone.localdate()
        last = previous_month(month_start(today))
        periods = [previous_month(previous_month(last)), previous_month(last), last]
        zto = users["zto_safety"].memberships.get().enterprise
        items = [{"code": i.code, "text": i.text, "rule": i.rule} for i in template.items.all()]
        expected = Enterprise.objects.filter(
            Exists(Site.objects.filter(enterprise=OuterRef("pk"), status=Site.Status.OPERATING)),
            status=Enterprise.Status.OPERATING).order_by("pk")
        reporter = {m.enterprise_id: m.user for m in Membership.objects.filter(role=Role.ENTERPRISE_SAFETY)}
        officer_user = users["hanjiang_officer"]
        rows = []
        for enterprise in expected:
            for period in periods:
                due = due_date_for(period, template)
                roll = rng.random()
                if period == last and (enterprise.pk == zto.pk or roll < 0.12):
                    continue  # missing
                late = roll > 0.85
                submitted = timezone.make_aware(timezone.datetime.combine(
                    due + timedelta(days=rng.randrange(1, 9)) if late else due - timedelta(days=rng.randrange(1, 9)),
                    timezone.datetime.min.time())) + timedelta(hours=rng.randrange(9, 18))
                state = DutyReport.State.ACCEPTED
                if period == last:
                    state = (DutyReport.State.SUBMITTED if roll < 0.30 else
                             DutyReport.State.RETURNED if roll < 0.34 else DutyReport.State.ACCEPTED)
                answers = {i["code"]: ("no" if i["code"] == "training" and rng.random() < 0.1 else "yes") for i in items}
                reviewed = state != DutyReport.State.SUBMITTED
                rows.append(DutyReport(
                    enterprise=enterprise, period=period, template=template, items=items, answers=answers,
                    narrative=f"{period.month}月共开展安全巡查{rng.randrange(20, 31)}次，组织从业人员培训"
                              f"{rng.randrange(1, 4)}次；收寄验视、实名收寄、过机安检制度落实情况良好。",
                    state=state, due_date=due, submitted_by=reporter.get(enterprise.pk, officer_user),
                    first_submitted_at=submitted, submitted_at=submitted, late=late,
                    reviewed_by=officer_user if reviewed else None,
                    reviewed_at=submitted + timedelta(days=2) if reviewed else None,
                    reason="附件缺少本月安全培训签到表，请补充后重新报送。" if state == DutyReport.State.RETURNED else "",
                    history=[{"at": submitted.isoformat(), "actor": "演示数据", "action": "submit", "reason": ""}]))
        DutyReport.objects.bulk_create(rows)
        self.summary.created["duty_reports"] = len(rows)

        # 中通涵江 files a second, full-time safety officer for its busiest outlets; the filing waits for 涵江.
        outlets = list(zto.sites.filter(kind=Site.Kind.OUTLET, status=Site.Status.OPERATING).order_by("pk")[:2])
        selfcheck.submit_filing(zto, actor=users["zto_safety"], kind=OfficerFiling.Kind.NEW, sites=outlets,
                                data={"name": "郑晓明", "id_number": _id_number(rng, "350303"), "phone": _phone(rng)},
                                note="新增专职安全员")
        self.summary.created["officer_filings"] = 1

        # Last month's late and missing reporters of 涵江, circulated and published.
        hanjiang = Jurisdiction.objects.get(code="350303")
        title, body, recipients = selfcheck.circular_from_data(actor=officer_user, area=hanjiang,
                                                               kind=Circular.Kind.LATE_REPORTS, period=last)
        circular = selfcheck.draft_circular(actor=officer_user, area=hanjiang, kind=Circular.Kind.LATE_REPORTS,
                                            title=title, body=body, enterprises=recipients)
        selfcheck.act_on_circular(circular, "submit", actor=officer_user)
        selfcheck.act_on_circular(circular, "approve", actor=users["city_leader"])
        selfcheck.act_on_circular(circular, "publish", actor=officer_user)
        self.summary.created["circulars"] = 1

    def load_assessment(self) -> None:
        """This year's safe-delivery assessment of the city's enterprises, scored and published; this year's site
        assessment of 涵江, computed and half scored by hand (the rest waits for hanjiang_officer); and every
        credit grade computed from it and the history."""
        from django.utils import timezone

        from parcelwatch.assessment import credit
        from parcelwatch.assessment import services as assessment
        from parcelwatch.assessment.models import Criterion, Evaluation, ScoringSheet

        users = {u.username: u for u in User.objects.filter(username__in=["city_officer", "hanjiang_officer"])}
        if Evaluation.objects.exists() or len(users) < 2 or not ScoringSheet.objects.exists():
            return
        rng = random.Random(20261129)
        year = timezone.localdate().year

        def scored(evaluation, share: float):
            manual = [c for c in evaluation.criteria if c["method"] == Criterion.Method.MANUAL]
            for result in evaluation.results.order_by("pk"):
                if rng.random() < share:
                    points = {c["code"]: Decimal(c["points"]) for c in manual}
                    assessment.score_by_hand(result, actor=evaluation.created_by, scores={
                        code: (p * Decimal(rng.randrange(60, 101)) / 100).quantize(Decimal("0.5"))
                        for code, p in points.items()})
            return evaluation

        city = Jurisdiction.objects.get(code="350300")
        sheets = {s.subject: s for s in ScoringSheet.objects.filter(active=True)}
        evaluation = assessment.start_evaluation(actor=users["city_officer"], sheet=sheets["enterprise"], year=year,
                                                 area=city)
        assessment.publish(scored(assessment.compute_evaluation(evaluation.pk), 1.0), actor=users["city_officer"])
        hanjiang = Jurisdiction.objects.get(code="350303")
        sites = assessment.start_evaluation(actor=users["hanjiang_officer"], sheet=sheets["site"], year=year,
                                            area=hanjiang)
        scored(assessment.compute_evaluation(sites.pk), 0.5)
        self.summary.created["evaluations"] = 2
        self.summary.created["credit_ratings"] = credit.recalculate_all()

    def load_inspections(self) -> None:
        """This year's 双随机 inspection plan of 涵江, drawn by credit grade and published, with a third of its
        inspections recorded (one found problems); and a city-wide campaign drafted for city_officer to publish."""
        from django.utils import timezone

        from parcelwatch.enforcement import services as inspections
        from parcelwatch.enforcement.models import InspectionPlan

        users = {u.username: u for u in User.objects.filter(username__in=["city_officer", "hanjiang_officer"])}
        if InspectionPlan.objects.exists() or len(users) < 2:
            return
        for username, _name, _role, _codes, extra in DEMO_ACCOUNTS:  # demo accounts made before enforcement IDs
            if extra.get("enforcement_id"):
                User.objects.filter(username=username, enforcement_id="").update(enforcement_id=extra["enforcement_id"])
        today = timezone.localdate()
        officer = users["hanjiang_officer"]
        plan = inspections.create_plan(
            actor=officer, kind=InspectionPlan.Kind.YEARLY, title=f"{today.year}年涵江区寄递市场双随机抽查",
            area=Jurisdiction.objects.get(code="350303"), starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=12, day=31), focus="收寄验视、实名收寄、过机安检三项制度落实情况；网点备案信息与实际经营是否一致。",
            site_kinds=[], shares={"A": 5, "B": 10, "C": 30, "D": 60}, team_size=2)
        plan = inspections.publish_plan(plan, actor=officer, seed=f"{today.year}-涵江-双随机")
        answers = {item["code"]: "yes" for item in inspections.active_checklist()}
        rows = list(plan.inspections.order_by("position"))
        for n, inspection in enumerate(rows[: max(1, len(rows) // 3)]):
            found = n == 0
            inspections.record_inspection(
                inspection, actor=officer, inspected_on=today, findings="寄件人身份证件未核对即收寄，实名信息缺失。" if found else "",
                answers=answers | ({"RS01": "no"} if found else {}))
        inspections.create_plan(
            actor=users["city_officer"], kind=InspectionPlan.Kind.CAMPAIGN, title=f"{today.year}年寄递渠道禁毒专项检查",
            area=Jurisdiction.objects.get(code="350300"), starts_on=today, ends_on=today.replace(month=12, day=31),
            focus="分拨中心过机安检和禁寄物品识别。", site_kinds=["sorting_center"],
            shares={"A": 20, "B": 30, "C": 60, "D": 100}, team_size=2)
        self.summary.created["inspection_plans"] = 2

    def load_emergency(self) -> None:
        """中通涵江's emergency command and accepted comprehensive plan (a real PDF), a fire drill held and evaluated
        this year and another due in two weeks; and a closed incident at one of its sites, with its timeline."""
        from datetime import timedelta

        from django.utils import timezone
        from weasyprint import HTML

        from parcelwatch.emergency import services as emergency
        from parcelwatch.emergency.models import EmergencyPlan
        from parcelwatch.evidence.attachments import store_attachment

        from .history import _photo

        users = {u.username: u for u in User.objects.filter(username__in=["zto_safety", "hanjiang_officer"])}
        membership = Membership.objects.filter(user__username="zto_safety", enterprise__isnull=False).first()
        if EmergencyPlan.objects.exists() or len(users) < 2 or membership is None:
            return
        zto = membership.enterprise
        safety, officer = users["zto_safety"], users["hanjiang_officer"]
        today = timezone.localdate()
        sections = ["总则：适用于本公司各营业网点、分拨中心发生的火灾、危险品泄漏、可疑包裹、人员伤害等突发事件。",
                    "组织机构：成立应急指挥部，总指挥由总经理担任，下设现场处置、疏散警戒、后勤保障三个小组。",
                    "预警与报告：发现突发事件后5分钟内报告总指挥，30分钟内报告涵江区邮政业安全中心。",
                    "应急处置：可疑包裹立即隔离并报警；起火时切断电源、组织疏散、使用灭火器扑救初起火灾。",
                    "后期处置与演练：每年至少组织一次综合演练，演练后评估并修订本预案。"]
        html = "<h1 style='font-family:Noto Sans CJK SC'>莆田市涵江区中通快递有限公司综合应急预案</h1>" + "".join(
            f"<p style='font-family:Noto Sans CJK SC'>{i}. {text}</p>" for i, text in enumerate(sections, 1))
        pdf = store_attachment(HTML(string=html).write_pdf(), name="综合应急预案.pdf", actor=safety)
        emergency.save_organisation(zto, actor=safety, head="吴建国", deputy="林志强", duty_phone="0594-3201234",
                                    members="现场处置组：张伟、陈磊\n疏散警戒组：黄敏、郑强\n后勤保障组：李娜")
        plan = emergency.submit_plan(zto, actor=safety, kind="comprehensive", title="综合应急预案",
                                     document=pdf, effective_on=today.replace(month=1, day=1),
                                     expires_on=today.replace(year=today.year + 2, month=12, day=31))
        emergency.review_plan(plan, "accept", actor=officer)
        site = zto.sites.filter(kind="sorting_center").first() or zto.sites.first()
        held_on = max(today.replace(month=1, day=1), today - timedelta(days=60))
        drill = emergency.plan_drill(zto, actor=safety, title="分拨中心火灾疏散演练", plan=plan, site=site,
                                     scenario="分拨区传送带电机起火，组织人员疏散并扑救初起火灾。", planned_on=held_on)
        photo = _photo(random.Random(20261129), "演练现场", safety)
        emergency.record_drill(drill, actor=safety, held_on=held_on, participants=36, attachments=[photo],
                               participant_names="分拨中心全体员工", summary="3分钟内完成疏散，灭火器使用规范；"
                               "发现东侧安全出口堆放包裹，已当场清理。")
        emergency.evaluate_drill(drill, actor=officer, rating="good", evaluation="组织有序，处置得当。")
        emergency.plan_drill(zto, actor=safety, title="可疑包裹处置演练", plan=plan, site=site,
                             scenario="安检机发现疑似爆炸物，隔离、疏散并报警。", planned_on=today + timedelta(days=14))
        incident = emergency.report_incident(
            actor=safety, kind="dangerous_goods", severity="general", title="安检发现疑似管制刀具",
            description="过机安检发现包裹内疑似管制刀具，已暂扣并通知派出所。", site=site,
            occurred_at=timezone.now() - timedelta(days=3, hours=2))
        emergency.add_incident_update(incident, actor=officer, text="已联系公安机关到场核查，确认为管制刀具，依法移交。",
                                      close=True)
        self.summary.created["emergency_plans"] = 1

    def load_rewards(self) -> None:
        """2019's rewards, 8,600 yuan paid in all (the article): 23 grid workers at 200 yuan for reports that became
        cases, and six public reports behind other cases — four from the public at 500 yuan, two from insiders at
        1,000 — checked on site by the grid worker who reported the event."""
        from datetime import datetime, timedelta

        from parcelwatch.enforcement.models import EnforcementCase
        from parcelwatch.tipoffs.models import Reward, RewardRuleSet, TipOff
        from parcelwatch.tipoffs.services import new_tracking_code

        from .history import SH

        users = {u.username: u for u in User.objects.filter(username__in=["city_leader", "city_officer"])}
        sets = {r.audience: r for r in RewardRuleSet.objects.all()}
        cases = list(EnforcementCase.objects.filter(filed_at__year=2019).select_related("district").prefetch_related(
            "events__category").order_by("filed_at", "pk"))
        if Reward.objects.exists() or len(users) < 2 or len(sets) < 3 or len(cases) < 29:
            return
        end = datetime(2019, 12, 27, 10, 0, tzinfo=SH)
        names = ["陈先生", "林女士", "黄先生", "郑女士", "刘先生", "吴女士"]
        plan = [("insider", 1000)] * 2 + [("public", 500)] * 4 + [("grid", 200)] * 23
        for n, ((audience, amount), case) in enumerate(zip(plan, cases, strict=False)):
            event = case.events.all()[0]
            tip = None
            if audience != "grid":
                tip = TipOff.objects.create(
                    tracking_code=new_tracking_code(), district=case.district, place=event.site.address[:200],
                    category=event.category, description=f"举报：{event.category.name}。", reporter_name=names[n],
                    reporter_phone=f"1390000{n:04d}", insider=audience == "insider",
                    received_at=event.reported_at - timedelta(days=1), state=TipOff.State.SUBSTANTIATED,
                    outcome="经查属实，已立案查处。奖励已发放。", event=event, handled_at=event.reported_at)
            proposed = case.filed_at + timedelta(days=1)
            Reward.objects.create(
                rule_set=sets[audience], tipoff=tip, event=event, district=case.district, amount=Decimal(amount),
                recipient=event.reported_by if audience == "grid" else None, state=Reward.State.PAID,
                basis=f"{sets[audience].title}；{event.category.name}；事件 {event.number}",
                proposed_at=proposed, decided_by=users["city_leader"], decided_at=proposed + timedelta(days=3),
                paid_by=users["city_officer"], paid_at=min(proposed + timedelta(days=20), end),
                voucher=f"莆邮奖〔2019〕{n + 1}号")
        self.summary.created["rewards"] = len(plan)
        # And one received this week, waiting for hanjiang_officer to check it.
        from parcelwatch.tipoffs.services import submit_tipoff

        from .history import _photo

        hanjiang = Jurisdiction.objects.get(code="350303")
        submit_tipoff(district=hanjiang, place="涵江区涵华路一快递代收点", category=None, reporter_phone="13900001688",
                      description="寄件时工作人员不看身份证，也不开箱检查，直接收件。", reporter_name="",
                      attachments=[_photo(random.Random(12305), "代收点", None)])

    # -- collaboration -----------------------------------------------------------------------------------
    def load_departments(self) -> None:
        """The five departments the bureau signed memoranda with (公安、国安等5部门)."""
        from parcelwatch.collaboration.models import PartnerDepartment

        city = Jurisdiction.objects.get(code="350300")
        self.departments = {}
        for order, (name, short, duties, contact, phone) in enumerate(DEMO_DEPARTMENTS):
            department, created = PartnerDepartment.objects.get_or_create(name=name, defaults={
                "short_name": short, "jurisdiction": city, "duties": duties, "contact_name": contact,
                "contact_phone": phone, "sort_order": order})
            self.departments[name] = department
            self.summary.add("partner_departments", created)

    def load_collaboration(self) -> None:
        """A memorandum with each department (one lapsing within the month), this year's joint meeting with its
        decisions as tasks, a 涵江 case shared with the police, and a referral each way."""
        from django.utils import timezone

        from parcelwatch.collaboration import services as co
        from parcelwatch.collaboration.models import Memorandum
        from parcelwatch.enforcement.models import EnforcementCase

        from .history import _photo

        users = {u.username: u for u in User.objects.filter(username__in=[
            "city_officer", "hanjiang_officer", "police_partner"])}
        if Memorandum.objects.exists() or len(users) < 3:
            return
        if not getattr(self, "departments", None):
            self.load_departments()
        city, hanjiang = Jurisdiction.objects.get(code="350300"), Jurisdiction.objects.get(code="350303")
        officer, district, police = users["city_officer"], users["hanjiang_officer"], users["police_partner"]
        today = timezone.localdate()
        departments = list(self.departments.values())
        rng = random.Random(20190520)
        for n, department in enumerate(departments, 1):
            lapsing = department.short_name == "烟草"
            co.record_memorandum(
                actor=officer, department=department, jurisdiction=city, number=f"莆邮管〔2019〕{20 + n}号",
                title=f"莆田市邮政管理局 {department.name} 寄递渠道安全管理协作备忘录",
                summary=f"双方建立寄递渠道安全信息共享、案件移送和联合检查机制。{department.duties}",
                signed_on=date(2019, 5, 20), valid_from=date(2019, 6, 1),
                valid_until=today + timedelta(days=20) if lapsing else None,
                attachments=[_photo(rng, "备忘录签字页", officer)])
        held_on = today - timedelta(days=21)
        meeting = co.record_meeting(
            actor=officer, jurisdiction=city, kind="plenary", title=f"{today.year}年莆田市寄递安全联席会议",
            held_on=held_on, place="莆田市邮政管理局三楼会议室", departments=departments,
            attendees="江局长 莆田市邮政管理局 局长\n陈执法 莆田市邮政管理局 执法人员\n刘警官 莆田市公安局 治安支队\n"
                      "王科长 莆田市国家安全局\n张科长 莆田海关 缉私分局\n李科长 莆田市烟草专卖局\n周科长 莆田市市场监督管理局",
            minutes="会议通报了今年以来全市寄递渠道安全形势和网格化管理运行情况，各成员单位交流了协作情况。"
                    "会议要求：一是深化信息共享，涉及违禁品的案件当日通报；二是年内开展一次寄递渠道联合检查；"
                    "三是加强对无证经营快递网点的联合整治。")
        police_dept = self.departments["莆田市公安局"]
        co.add_decision(meeting, actor=officer, lead=police_dept, due_on=today + timedelta(days=30),
                        decision="公安机关牵头，对全市分拨中心开展一次寄递渠道禁毒联合检查。")
        overdue = co.add_decision(meeting, actor=officer, lead=None, due_on=held_on + timedelta(days=14),
                                  decision="市邮政管理局汇总各成员单位联络员名单并印发。")
        co.report_on_task(overdue, actor=officer, text="已收到4个单位的名单，待莆田海关报送。")
        done = co.add_decision(meeting, actor=officer, lead=self.departments["莆田市烟草专卖局"],
                               due_on=held_on + timedelta(days=10), decision="烟草部门提供近期寄递涉烟案件线索。")
        co.report_on_task(done, actor=officer, text="烟草专卖局已书面提供线索3条。", done=True)
        case = (EnforcementCase.objects.filter(district=hanjiang).order_by("-pk").first()
                or EnforcementCase.objects.order_by("-pk").first())
        if case is not None:
            share = co.share_record(actor=officer, department=police_dept, case=case,
                                    reason="涉及寄递渠道安全，请公安机关掌握当事企业情况，必要时协查。")
            co.comment_on_share(share, actor=police, text="已收悉，已通报辖区派出所关注该网点。")
        outgoing = co.send_referral(
            actor=district, department=police_dept, jurisdiction=hanjiang, subject="安检发现疑似管制刀具",
            facts="中通涵江分拨中心过机安检发现包裹内疑似管制刀具，已暂扣，请公安机关依法核查处理。",
            legal_basis="《邮政法》第七十五条", site=Site.objects.filter(district=hanjiang, kind="sorting_center")
            .order_by("pk").first(), attachments=[_photo(rng, "暂扣物品", district)])
        co.act_on_referral(outgoing, "receive", actor=police)
        co.act_on_referral(outgoing, "answer", actor=police, text="经核查为管制刀具，已依法收缴，寄件人已被治安处罚。")
        co.send_referral(
            actor=police, department=police_dept, jurisdiction=hanjiang, subject="涵江区涵华路一代收点疑似无证经营快递业务",
            facts="派出所巡查发现涵江区涵华路一代收点对外承接快递收寄业务，未见快递业务经营许可，请邮政管理部门核查。",
            attachments=[_photo(rng, "代收点", police)])
        self.summary.created["memoranda"] = len(departments)

    # -- accounts ----------------------------------------------------------------------------------------
    def load_accounts(self) -> None:
        self.load_departments()  # partner users work for one
        for username, full_name, role, codes, extra in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            created = user is None
            if created:
                user = User(username=username, full_name=full_name, is_staff=role == Role.ADMIN,
                            is_superuser=role == Role.ADMIN, enforcement_id=extra.get("enforcement_id", ""))
                user.set_password(DEMO_PASSWORD)
                user.save()
            for code in codes:
                Membership.objects.get_or_create(
                    user=user,
                    jurisdiction=Jurisdiction.objects.get(code=code),
                    role=role,
                    enterprise=self.enterprises[extra["enterprise"]] if "enterprise" in extra else None,
                    defaults={"partner_department": self.departments.get(extra.get("department", ""))},
                )
            self.summary.add("users", created)

    @transaction.atomic
    def run(self) -> Summary:
        self.load_tree()
        self.load_brands()
        self.load_enterprises()
        self.load_sites()
        self.load_officers()
        self.load_cameras()
        self.load_accounts()
        self.load_patrol()
        self.load_selfcheck()
        from .history import load_history

        if load_history():
            self.summary.created["events"] = Event.objects.count()
        self.load_assessment()
        self.load_inspections()
        self.load_emergency()
        self.load_rewards()
        self.load_collaboration()
        return self.summary


def load_demo() -> Summary:
    return DemoLoader().run()


def demo_loaded() -> bool:
    return User.objects.filter(username="city_officer").exists()
