"""Video patrols: a 双随机 draw anyone can re-check, the checklist, and a finding raised as an event in one click."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from parcelwatch.events.models import Event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import TimelineEntry
from parcelwatch.notifications.models import Notification
from parcelwatch.registry.models import Site
from parcelwatch.video import patrols
from parcelwatch.video.models import Camera, Snapshot, VideoPatrol
from tests import factories as f
from tests.conftest import login
from tests.evidence_files import jpeg
from tests.hardening.conftest import bearer

pytestmark = pytest.mark.django_db

ALL_OK = {code: "ok" for code, _l, _c in patrols.PATROL_CHECKLIST}


@pytest.fixture
def network(cast):
    """涵江: two sorting centres and ten outlets with cameras, one outlet without; 荔城: one outlet with a camera."""
    sites = []
    for i in range(2):
        sites.append(f.site(f"涵江分拨中心{i}", cast.handong_g1, cast.zto_hanjiang, kind=Site.Kind.SORTING_CENTER))
    for i in range(10):
        sites.append(f.site(f"中通涵东网点{i}", cast.handong_g2, cast.zto_hanjiang))
    f.site("无摄像头网点", cast.handong_g1, cast.zto_hanjiang)
    sites.append(cast.licheng_outlet)
    for site in sites:
        Camera.objects.create(site=site, name="分拣区", position="sorting", source_url="rtsp://127.0.0.1:9/x")
    return sites


def test_every_sorting_centre_and_the_share_of_outlets_is_drawn_and_the_draw_rechecks(cast, network):
    record = patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=25)
    drawn = list(record.patrols.select_related("site"))
    kinds = [p.site.kind for p in drawn]
    assert kinds.count(Site.Kind.SORTING_CENTER) == 2 and kinds.count(Site.Kind.OUTLET) == 3  # ⌈10 × 25%⌉
    assert "无摄像头网点" not in {p.site.name for p in drawn} and cast.licheng_outlet not in {p.site for p in drawn}
    assert {p.inspector for p in drawn} == {cast.hanjiang_officer}
    assert record.seed and len(record.candidate_sites) == 12 and patrols.recheck(record)
    again = patrols.draw(record.seed, record.candidate_sites, record.candidate_inspectors, 25)
    assert again.pairs == list(record.patrols.order_by("pk").values_list("site_id", "inspector_id"))
    # A list changed after the draw no longer matches what the seed gives.
    VideoPatrol.objects.filter(pk=drawn[-1].pk).update(site=network[-2] if drawn[-1].site != network[-2]
                                                        else network[-3])
    assert not patrols.recheck(record)


def test_the_seed_decides_the_outlets_and_the_inspectors_share_the_work(cast, network):
    second = f.user("hanjiang_officer2", ("district_officer", cast.hanjiang))
    sites = [[s.pk, s.kind, s.jurisdiction.path] for s in network[:12]]
    inspectors = [[cast.hanjiang_officer.pk, [cast.hanjiang.path]], [second.pk, [cast.hanjiang.path]]]
    one = patrols.draw("20261129-a", sites, inspectors, 50)
    assert one == patrols.draw("20261129-a", sites, inspectors, 50)
    assert {tuple(p) for p in one.pairs} != {tuple(p) for p in patrols.draw("20261129-b", sites, inspectors, 50).pairs}
    loads = [sum(1 for _s, i in one.pairs if i == who) for who in (cast.hanjiang_officer.pk, second.pk)]
    assert sorted(loads) == [3, 4]  # 2 centres + 5 outlets between two inspectors
    # An inspector only patrols sites their role covers.
    licheng = [[cast.licheng_officer.pk, [cast.licheng.path]]]
    assert patrols.draw("x", sites, licheng, 100).pairs == []


def test_a_city_draw_gives_each_site_to_an_inspector_of_its_own_district(cast, network):
    record = patrols.draw_patrols(actor=cast.city_officer, area=cast.city, outlet_percent=100)
    for patrol in record.patrols.select_related("site__district", "inspector"):
        # Each district's safety centre patrols its own sites (and raises what it finds as events).
        assert patrol.inspector == (cast.hanjiang_officer if patrol.site.district == cast.hanjiang
                                    else cast.licheng_officer)
    assert Notification.objects.filter(kind="video_patrol", recipient=cast.hanjiang_officer).exists()
    with pytest.raises(PermissionDenied):
        patrols.draw_patrols(actor=cast.licheng_officer, area=cast.hanjiang, outlet_percent=10)
    with pytest.raises(ValidationError):
        patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=101)


def _patrol_with_snapshot(cast, network) -> VideoPatrol:
    record = patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=0)
    patrol = record.patrols.first()
    camera = patrol.site.cameras.first()
    shot = store_attachment(jpeg(), name="巡查截图.jpg", actor=cast.hanjiang_officer)
    Snapshot.objects.create(camera=camera, attachment=shot, taken_at=timezone.now(), taken_by=cast.hanjiang_officer,
                            patrol=patrol)
    return patrol


def test_a_problem_found_by_video_becomes_an_event_with_the_snapshot_in_one_click(cast, network):
    patrol = _patrol_with_snapshot(cast, network)
    with pytest.raises(ValidationError):
        patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results={"contents_inspected": "ok"})
    with pytest.raises(PermissionDenied):
        patrols.record_patrol(patrol, actor=cast.city_officer, results=ALL_OK)
    patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results={**ALL_OK, "contents_inspected": "problem"},
                          note="收寄员未开箱验视直接封箱")
    with pytest.raises(ValidationError):
        patrols.raise_event(patrol, "no_throwing", actor=cast.hanjiang_officer)  # that point complied
    event = patrols.raise_event(patrol, "contents_inspected", actor=cast.hanjiang_officer)
    assert (event.source, event.category.code, event.site) == (Event.Source.VIDEO_PATROL, "YS01", patrol.site)
    assert "收寄员未开箱验视直接封箱" in event.description
    entry = TimelineEntry.objects.filter(subject_type="event", subject_id=event.pk).first()
    assert list(entry.attachments.values_list("pk", flat=True)) == [patrol.snapshots.get().attachment_id]
    assert patrols.raise_event(patrol, "contents_inspected", actor=cast.hanjiang_officer) == event  # once only


def test_no_event_without_a_snapshot(cast, network):
    record = patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=0)
    patrol = record.patrols.first()
    patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results={**ALL_OK, "officer_present": "problem"})
    with pytest.raises(ValidationError) as exc:
        patrols.raise_event(patrol, "officer_present", actor=cast.hanjiang_officer)
    assert "snapshot" in str(exc.value).lower() or "截图" in str(exc.value)


def test_patrol_pages_for_the_inspector_and_nobody_outside(client, cast, network):
    patrol = _patrol_with_snapshot(cast, network)
    login(client, cast.hanjiang_officer)
    assert patrol.site.name in client.get(reverse("video:patrol_list")).content.decode()
    data = {f"item_{code}": "ok" for code in ALL_OK} | {"item_xray_staffed": "problem", "note": "安检机无人值守"}
    incomplete = client.post(reverse("video:patrol_detail", args=[patrol.pk]),
                             {k: v for k, v in data.items() if k != "item_officer_present"})
    assert incomplete.status_code == 200 and "is-invalid" in incomplete.content.decode()  # said, never a 500
    assert "安检机无人值守" in incomplete.content.decode()  # and what was typed stays
    response = client.post(reverse("video:patrol_detail", args=[patrol.pk]), data)
    assert response.status_code == 302
    response = client.post(reverse("video:patrol_raise", args=[patrol.pk]), {"item": "xray_staffed"})
    event = Event.objects.get(source=Event.Source.VIDEO_PATROL)
    assert response["Location"] == reverse("events:detail", args=[event.pk]) and event.category.code == "AJ02"
    draw_page = client.get(reverse("video:draw_detail", args=[patrol.draw_id])).content.decode()
    assert patrol.draw.seed in draw_page and 'data-testid="recheck"' in draw_page
    login(client, cast.licheng_officer)
    assert client.get(reverse("video:patrol_detail", args=[patrol.pk])).status_code == 404
    assert client.get(reverse("video:draw_detail", args=[patrol.draw_id])).status_code == 404
    login(client, cast.zto_safety)
    assert client.get(reverse("video:patrol_list")).status_code == 403


def test_the_api_draws_records_and_raises_like_the_pages(client, cast, network):
    headers = bearer(cast.hanjiang_officer)
    made = client.post("/api/v1/video/patrol-draws", {"area": "350303", "outlet_percent": 10, "seed": "公开抽签-1"},
                       content_type="application/json", **headers)
    assert made.status_code == 201 and made.json()["recheck_ok"] and made.json()["seed"] == "公开抽签-1"
    patrol_id = made.json()["patrols"][0]["id"]
    bad = client.post(f"/api/v1/video/patrols/{patrol_id}/findings", {"results": {"contents_inspected": "ok"}},
                      content_type="application/json", **headers)
    assert bad.status_code == 422
    done = client.post(f"/api/v1/video/patrols/{patrol_id}/findings",
                       {"results": {**ALL_OK, "no_throwing": "problem"}, "note": "暴力分拣"},
                       content_type="application/json", **headers)
    assert done.status_code == 200 and done.json()["state"] == "done"
    refused = client.post(f"/api/v1/video/patrols/{patrol_id}/events", {"item": "no_throwing"},
                          content_type="application/json", **headers)
    assert refused.status_code == 422  # no snapshot yet
    assert client.get(f"/api/v1/video/patrols/{patrol_id}", **bearer(cast.licheng_officer)).status_code == 404
    other = client.post("/api/v1/video/patrol-draws", {"area": "350304"}, content_type="application/json", **headers)
    assert other.status_code == 403


def test_home_pages_count_the_patrols_to_do_and_the_cameras_offline_as_their_lists_do(client, cast, network):
    patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=30)
    Camera.objects.filter(site__in=network[:3]).update(status="offline")
    Camera.objects.filter(site__in=network[3:6]).update(status="online")
    for user in (cast.hanjiang_officer, cast.city_officer):
        login(client, user)
        figures = {fig.testid: fig for panel in client.get("/").context["panels"] for fig in panel.figures}
        offline = figures["video-offline"]
        assert offline.count == client.get(offline.url).context["page"].paginator.count == 3
        assert figures["video-rate"].count == client.get("/video/").context["total"]["online"]
        if user == cast.hanjiang_officer:
            todo = figures["video-patrols"]
            assert todo.count == len(client.get(todo.url).context["mine"]) == 5  # 2 centres + ⌈10 × 30%⌉ outlets


def test_a_point_raised_as_an_event_cannot_be_corrected_away(cast, network):
    patrol = _patrol_with_snapshot(cast, network)
    patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results={**ALL_OK, "no_throwing": "problem"})
    first = VideoPatrol.objects.get(pk=patrol.pk).patrolled_at
    patrols.raise_event(patrol, "no_throwing", actor=cast.hanjiang_officer)
    with pytest.raises(ValidationError):
        patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results=ALL_OK)
    corrected = patrols.record_patrol(patrol, actor=cast.hanjiang_officer,
                                      results={**ALL_OK, "no_throwing": "problem", "xray_staffed": "unseen"})
    assert corrected.patrolled_at == first and corrected.results["xray_staffed"] == "unseen"
