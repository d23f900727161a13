"""Cameras in the registry: who sees and edits which, validation, versions, import, pages and API."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from parcelwatch.registry.importing import commit_import, sheet_for, stage_import
from parcelwatch.registry.models import ChangeRecord
from parcelwatch.video import services
from parcelwatch.video.models import Camera
from parcelwatch.video.selectors import cameras_visible_to
from tests.conftest import login
from tests.hardening.conftest import bearer

from .conftest import CHANNEL

pytestmark = pytest.mark.django_db


def test_each_role_sees_the_cameras_of_its_own_area(cast, cameras):
    hanjiang, hanjiang2, licheng = cameras
    seen = {user: set(cameras_visible_to(getattr(cast, user)).values_list("pk", flat=True)) for user in
            ("city_officer", "city_leader", "hanjiang_officer", "licheng_officer", "hanjiang_grid", "zto_safety",
             "police_partner", "nobody")}
    assert seen["city_officer"] == seen["city_leader"] == {hanjiang.pk, hanjiang2.pk, licheng.pk}
    assert seen["hanjiang_officer"] == {hanjiang.pk, hanjiang2.pk}
    assert seen["licheng_officer"] == {licheng.pk}
    assert seen["hanjiang_grid"] == {hanjiang.pk}  # the grid worker's own grid only
    assert seen["zto_safety"] == {hanjiang.pk, hanjiang2.pk}  # the enterprise's own sites
    assert seen["police_partner"] == seen["nobody"] == set()


def test_pages_and_api_hide_cameras_outside_the_jurisdiction(client, cast, cameras):
    hanjiang, _h2, licheng = cameras
    login(client, cast.hanjiang_officer)
    assert client.get(reverse("video:camera_detail", args=[hanjiang.pk])).status_code == 200
    for name in ("video:camera_detail", "video:camera_edit"):
        assert client.get(reverse(name, args=[licheng.pk])).status_code == 404
    assert client.post(reverse("video:live_start", args=[licheng.pk])).status_code == 404
    assert client.post(reverse("video:snapshot", args=[licheng.pk])).status_code == 404
    assert client.get(reverse("video:live_file", args=[licheng.pk, "index.m3u8"])).status_code == 404
    listing = client.get(reverse("video:camera_list")).content.decode()
    assert "收寄验视台" in listing and "出入口" not in listing
    headers = bearer(cast.hanjiang_officer)
    assert client.get(f"/api/v1/cameras/{licheng.pk}", **headers).status_code == 404
    assert {c["id"] for c in client.get("/api/v1/cameras", **headers).json()["items"]} == {hanjiang.pk, _h2.pk}
    client.logout()
    assert client.get(reverse("video:camera_list")).status_code == 302  # to the login page
    login(client, cast.police_partner)
    assert client.get(reverse("video:camera_list")).status_code == 403
    assert client.get("/api/v1/cameras", **bearer(cast.police_partner)).status_code == 403


def test_who_may_see_a_camera_is_not_who_may_change_it(client, cast, cameras):
    hanjiang, *_ = cameras
    for user in (cast.zto_safety, cast.hanjiang_grid, cast.city_leader):
        login(client, user)
        assert client.get(reverse("video:camera_detail", args=[hanjiang.pk])).status_code == 200
        assert client.get(reverse("video:camera_edit", args=[hanjiang.pk])).status_code == 403
        response = client.patch(f"/api/v1/cameras/{hanjiang.pk}", {"name": "改名"}, content_type="application/json",
                                **bearer(user))
        assert response.status_code == 403
    assert Camera.objects.get(pk=hanjiang.pk).name == "收寄验视台"
    login(client, cast.licheng_officer)
    response = client.post(reverse("video:camera_create", args=[cast.hanjiang_outlet.pk]),
                           {"name": "新", "position": "xray", "source_url": "rtsp://10.0.0.9/1"})
    assert response.status_code == 404 and Camera.objects.count() == 3


def test_the_source_password_is_shown_to_nobody(client, cast, cameras):
    hanjiang, *_ = cameras
    login(client, cast.hanjiang_officer)
    page = client.get(reverse("video:camera_detail", args=[hanjiang.pk])).content.decode()
    assert "Secret9" not in page and "admin:***@10.0.0.5" in page
    assert "Secret9" not in client.get(f"/api/v1/cameras/{hanjiang.pk}", **bearer(cast.hanjiang_officer)).content.decode()
    login(client, cast.zto_safety)
    assert "10.0.0.5" not in client.get(reverse("video:camera_detail", args=[hanjiang.pk])).content.decode()
    services.update_camera(hanjiang, actor=cast.hanjiang_officer, data={"source_url": "rtsp://admin:New7@10.0.0.8/1"})
    changes = ChangeRecord.objects.filter(object_id=hanjiang.pk, content_type__model="camera").first().changes
    assert changes["source_url"] == ["rtsp://admin:***@10.0.0.5:554/1", "rtsp://admin:***@10.0.0.8/1"]


def test_a_district_officer_registers_and_edits_a_camera_with_a_versioned_history(client, cast):
    login(client, cast.hanjiang_officer)
    url = reverse("video:camera_create", args=[cast.hanjiang_outlet.pk])
    response = client.post(url, {"name": "分拣区", "position": "sorting", "gb_device_id": "35030300 48 118 8 000009",
                                 "gb_channel_id": "３５０３０３００４８１３２８０００００９", "source_url": "rtsp://10.0.0.9:554/1",
                                 "enabled": "on"})
    camera = Camera.objects.get(name="分拣区")
    assert response.status_code == 302 and response["Location"] == reverse("video:camera_detail", args=[camera.pk])
    assert (camera.gb_device_id, camera.gb_channel_id) == ("35030300481188000009", "35030300481328000009")
    response = client.post(reverse("video:camera_edit", args=[camera.pk]),
                           {"name": "分拣区", "position": "sorting", "gb_device_id": camera.gb_device_id,
                            "gb_channel_id": camera.gb_channel_id, "source_url": "rtsp://10.0.0.9:554/2"})
    camera.refresh_from_db()
    assert response.status_code == 302 and not camera.enabled and camera.source_url.endswith("/2")
    page = client.get(reverse("video:camera_detail", args=[camera.pk])).content.decode()
    assert page.count('data-testid="history-entry"') == 2


@pytest.mark.parametrize(("field", "value"), [
    ("gb_channel_id", "35030300481188000001"),  # an NVR's type, not a camera's
    ("gb_device_id", "1234"),
    ("source_url", "file:///etc/passwd"),
    ("source_url", "http://10.0.0.1/stream.mp4"),
    ("name", " "),
])
def test_bad_fields_are_refused_with_a_chinese_message_and_the_form_keeps_what_was_typed(client, cast, field, value):
    login(client, cast.hanjiang_officer)
    data = {"name": "分拣区", "position": "sorting", "source_url": "rtsp://10.0.0.9/1", field: value}
    response = client.post(reverse("video:camera_create", args=[cast.hanjiang_outlet.pk]), data,
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 200 and Camera.objects.count() == 0
    assert "is-invalid" in page
    feedback = re.findall(r'invalid-feedback d-block">([^<]+)<', page)
    assert feedback and all(re.search(r"[\u4e00-\u9fff]", text) for text in feedback), feedback
    if field != "name":
        assert value.strip() in page  # what the user typed is still there


def test_a_channel_id_belongs_to_one_camera(cast, cameras):
    with pytest.raises(ValidationError) as exc:
        services.create_camera(actor=cast.hanjiang_officer, site=cast.hanjiang_outlet_g2,
                               data={"name": "新", "position": "xray", "source_url": "rtsp://10.0.0.9/1",
                                     "gb_channel_id": CHANNEL.format(1)})
    assert "gb_channel_id" in exc.value.message_dict


def test_the_api_registers_a_camera_with_the_same_checks(client, cast):
    headers = bearer(cast.hanjiang_officer)
    bad = client.post("/api/v1/cameras", {"site": cast.hanjiang_outlet.pk, "name": "分拣区", "position": "sorting",
                                          "source_url": "concat:/etc/passwd"}, content_type="application/json",
                      **headers)
    assert bad.status_code == 422 and "source_url" in bad.json()["errors"]
    other = client.post("/api/v1/cameras", {"site": cast.licheng_outlet.pk, "name": "分拣区", "position": "sorting",
                                            "source_url": "rtsp://10.0.0.9/1"}, content_type="application/json",
                        **headers)
    assert other.status_code == 404
    made = client.post("/api/v1/cameras", {"site": cast.hanjiang_outlet.pk, "name": "分拣区", "position": "sorting",
                                           "source_url": "rtsp://u:p@10.0.0.9/1"}, content_type="application/json",
                       **headers)
    assert made.status_code == 201 and made.json()["source_url"] == "rtsp://u:***@10.0.0.9/1"
    assert made.json()["status"] == "unknown"


def _sheet(rows: list[list]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(["网点备案编号", "摄像头名称", "安装位置", "国标设备编号", "国标通道编号", "视频源地址", "启用"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("cameras.xlsx", buffer.getvalue())


def test_cameras_import_from_a_sheet_every_bad_row_with_its_reason(cast):
    filing = cast.hanjiang_outlet.filing_number
    batch = stage_import(sheet_for("cameras"), _sheet([
        [filing, "收寄验视台", "收寄验视台", "", CHANNEL.format(5), "rtsp://admin:pw@10.0.0.5/1", "是"],
        [filing, "安检机", "安检机", "", "", "rtsp://10.0.0.6/1", "否"],
        [cast.licheng_outlet.filing_number, "出入口", "出入口", "", "", "rtsp://10.0.0.7/1", ""],
        ["NOSUCH", "出入口", "门口", "1", "", "file:///etc/passwd", "也许"],
    ]), actor=cast.hanjiang_officer)
    rows = batch.rows
    assert [bool(r["errors"]) for r in rows] == [False, False, True, True]
    assert "管辖" in "".join(rows[2]["errors"]) or "jurisdiction" in "".join(rows[2]["errors"])
    assert len(rows[3]["errors"]) >= 4  # site, position, device id, source, enabled: all said at once
    with pytest.raises(Exception):  # noqa: B017 (ImportFileError: nothing is saved while a row is wrong)
        commit_import(batch, actor=cast.hanjiang_officer)
    assert Camera.objects.count() == 0


def test_an_exported_sheet_imports_again_without_losing_passwords(cast, cameras, settings):
    from parcelwatch.exports.models import ExportJob
    from parcelwatch.exports.services import request_export, run_export

    hanjiang, *_ = cameras
    job = request_export(actor=cast.hanjiang_officer, source="cameras", params={})
    run_export(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.state == ExportJob.State.DONE
    with job.file.open("rb") as fh:
        data = fh.read()
    wb = load_workbook(io.BytesIO(data))
    values = [[c.value for c in row] for row in wb.active.iter_rows()]
    header = values[0]
    assert "Secret9" not in str(values) and "admin:***@10.0.0.5:554/1" in str(values)
    upload = SimpleUploadedFile("back.xlsx", data)
    batch = stage_import(sheet_for("cameras"), upload, actor=cast.hanjiang_officer)
    assert all(not r["errors"] for r in batch.rows), [r["errors"] for r in batch.rows]
    assert {r["action"] for r in batch.rows} == {"unchanged"}
    commit_import(batch, actor=cast.hanjiang_officer)
    hanjiang.refresh_from_db()
    assert hanjiang.source_url == "rtsp://admin:Secret9@10.0.0.5:554/1" and "县区" in header


def test_the_online_rate_by_district_and_brand_agrees_with_the_lists_it_links_to(client, cast, cameras):
    hanjiang, hanjiang2, licheng = cameras
    Camera.objects.filter(pk=hanjiang.pk).update(status="online")
    Camera.objects.filter(pk=hanjiang2.pk).update(status="offline")
    Camera.objects.filter(pk=licheng.pk).update(status="online", enabled=False)
    rates = client.get("/api/v1/video/online-rates", **bearer(cast.city_officer)).json()
    assert (rates["enabled"], rates["online"], rates["rate"]) == (2, 1, 0.5)
    hanjiang_row = next(r for r in rates["by_district"] if r["key"] == "350303")
    assert (hanjiang_row["enabled"], hanjiang_row["online"], hanjiang_row["offline"]) == (2, 1, 1)
    login(client, cast.city_officer)
    page = client.get(reverse("video:overview")).content.decode()
    assert "50.0%" in page
    for status, expected in (("enabled", 2), ("online", 1), ("offline", 1)):
        listing = client.get(reverse("video:camera_list"), {"district": "350303", "status": status})
        assert len(listing.context["page"].object_list) == expected
    login(client, cast.licheng_officer)
    assert client.get("/api/v1/video/online-rates", **bearer(cast.licheng_officer)).json()["enabled"] == 0


def test_a_sites_cameras_move_with_it_to_another_district(cast, cameras):
    from parcelwatch.registry.services import update_site

    hanjiang, *_ = cameras
    update_site(cast.hanjiang_outlet, actor=cast.city_officer, data={"jurisdiction": cast.zhenhai_g1})
    hanjiang.refresh_from_db()
    assert hanjiang.district == cast.licheng
    assert hanjiang in cameras_visible_to(cast.licheng_officer)
    assert hanjiang not in cameras_visible_to(cast.hanjiang_officer)


def test_the_edit_form_hides_the_password_and_keeps_it_when_saved_unchanged(client, cast, cameras):
    hanjiang, *_ = cameras
    login(client, cast.hanjiang_officer)
    form = client.get(reverse("video:camera_edit", args=[hanjiang.pk])).content.decode()
    assert "Secret9" not in form and "admin:***@10.0.0.5" in form
    client.post(reverse("video:camera_edit", args=[hanjiang.pk]),
                {"name": "收寄验视台二", "position": "acceptance", "source_url": "rtsp://admin:***@10.0.0.5:554/1",
                 "gb_channel_id": hanjiang.gb_channel_id, "enabled": "on"})
    hanjiang.refresh_from_db()
    assert hanjiang.name == "收寄验视台二" and hanjiang.source_url == "rtsp://admin:Secret9@10.0.0.5:554/1"


@pytest.mark.parametrize(("url", "shown"), [
    ("rtsp://10.0.0.5/live?user=admin&password=Secret9", "rtsp://10.0.0.5/live?user=admin&password=***"),
    ("https://v.example.cn/cam/index.m3u8?token=abc123", "https://v.example.cn/cam/index.m3u8?token=***"),
])
def test_secrets_in_the_query_are_hidden_too(url, shown):
    from parcelwatch.video.sources import shown_source, without_credentials

    assert shown_source(url) == shown
    assert "Secret9" not in without_credentials(f"{url}: Connection refused")
    assert "p@ss" not in without_credentials("rtsp://admin:p@ss@10.0.0.5/1: timeout")


def test_without_ffprobe_the_sweep_gives_no_verdict_and_alerts_nobody(cast, cameras, settings):
    from parcelwatch.notifications.models import Notification

    Camera.objects.filter(pk=cameras[0].pk).update(status="online")
    settings.FFPROBE = "/nonexistent/ffprobe"
    counts = services.probe_due_cameras(budget_seconds=30)
    assert counts["probed"] == 0 and counts.get("gateway_unavailable") == 1
    assert Camera.objects.get(pk=cameras[0].pk).status == "online"
    assert not Notification.objects.filter(kind="camera_offline").exists()
