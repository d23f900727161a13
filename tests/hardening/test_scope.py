"""A district edits only what is registered in its district, through forms and imports alike."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import TransitionError, perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.registry import services
from parcelwatch.registry.importing import ENTERPRISE_SHEET, SITE_SHEET
from parcelwatch.registry.models import ImportBatch, Site
from tests import factories as f
from tests.evidence_files import jpeg


@pytest.fixture
def city_enterprise(cast):
    """Registered with the city, running an outlet in 涵江: visible to 涵江, but not theirs to edit."""
    ems = f.enterprise("中国邮政集团有限公司莆田市分公司", cast.city)
    f.site("邮政涵东营业部", cast.handong_g1, ems)
    return ems


def test_district_cannot_edit_an_enterprise_registered_with_the_city(client, cast, city_enterprise):
    client.force_login(cast.hanjiang_officer)
    assert client.get(reverse("registry:enterprise_detail", args=[city_enterprise.pk])).status_code == 200
    assert client.get(reverse("registry:enterprise_edit", args=[city_enterprise.pk])).status_code == 403
    response = client.post(reverse("registry:enterprise_edit", args=[city_enterprise.pk]), {"name": "改名"})
    assert response.status_code == 403
    body = client.get(reverse("registry:enterprise_detail", args=[city_enterprise.pk])).content.decode()
    assert reverse("registry:enterprise_edit", args=[city_enterprise.pk]) not in body
    with pytest.raises(ValidationError):
        services.update_enterprise(city_enterprise, actor=cast.hanjiang_officer, data={"name": "改名"})
    client.force_login(cast.city_officer)
    assert client.get(reverse("registry:enterprise_edit", args=[city_enterprise.pk])).status_code == 200


def test_district_cannot_edit_another_district_s_enterprise_even_where_it_runs_a_site(client, cast):
    f.site("圆通涵东点", cast.handong_g1, cast.yto_licheng)
    client.force_login(cast.hanjiang_officer)
    assert client.get(reverse("registry:enterprise_detail", args=[cast.yto_licheng.pk])).status_code == 200
    assert client.get(reverse("registry:enterprise_edit", args=[cast.yto_licheng.pk])).status_code == 403
    assert client.get(reverse("registry:officer_edit", args=[cast.yto_officer.pk])).status_code in (403, 404)


def _xlsx(headers, rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("x.xlsx", out.getvalue())


def test_import_applies_the_same_write_rule_as_the_form(client, cast, city_enterprise):
    client.force_login(cast.hanjiang_officer)
    row = {"企业名称": city_enterprise.name, "统一社会信用代码": city_enterprise.credit_code, "所属县区": "涵江区"}
    client.post(reverse("registry:import_upload", args=["enterprises"]),
                {"file": _xlsx(ENTERPRISE_SHEET.header_labels(), [row])})
    errors = ImportBatch.objects.get().rows[0]["errors"]
    assert any("辖区之外" in e for e in errors)


def test_site_import_cannot_pull_another_district_s_enterprise_into_reach(client, cast):
    client.force_login(cast.hanjiang_officer)
    row = {"网点名称": "伪造网点", "网点类型": "营业网点", "运营企业统一社会信用代码": cast.yto_licheng.credit_code,
           "地址": "涵东街道1号", "县区": "涵江区", "乡镇街道": "涵东街道"}
    response = client.post(reverse("registry:import_upload", args=["sites"]),
                           {"file": _xlsx(SITE_SHEET.header_labels(), [row])})
    assert any("不在您的辖区内" in e for e in ImportBatch.objects.get().rows[0]["errors"])
    client.post(response.url, {"commit": "1"})
    assert not Site.objects.filter(name="伪造网点").exists()
    # and the enterprise's officers stay out of reach
    assert client.get(reverse("registry:officer_detail", args=[cast.yto_officer.pk])).status_code == 404
    with pytest.raises(ValidationError):
        services.create_site(actor=cast.hanjiang_officer, data={
            "name": "伪造网点", "kind": "outlet", "enterprise": cast.yto_licheng, "address": "x",
            "jurisdiction": cast.handong_g1})


def test_filing_change_is_accepted_only_for_filing_categories(cast):
    photos = [store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)]
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=photos, description="未过机",
                         category=EventCategory.objects.get(code="AJ01"))
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    evidence = [store_attachment(jpeg((1, 2, 3)), name="b.jpg", actor=cast.zto_safety)]
    with pytest.raises(TransitionError, match="与网点备案无关"):
        perform(event, "submit_rectification", actor=cast.zto_safety, attachments=evidence,
                site_changes={"address": "别处"})
    cast.hanjiang_outlet.refresh_from_db()
    assert cast.hanjiang_outlet.address == "莆田市涵江区涵东街道涵华路88号"


def test_the_filing_change_field_follows_the_category_setting(client, cast):
    photos = [store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)]
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=photos, description="地址不符",
                         category=EventCategory.objects.get(code="BA02"))
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    client.force_login(cast.zto_safety)
    assert 'name="new_address"' in client.get(reverse("events:detail", args=[event.pk])).content.decode()
    EventCategory.objects.filter(code="BA02").update(allows_filing_change=False)
    assert 'name="new_address"' not in client.get(reverse("events:detail", args=[event.pk])).content.decode()
