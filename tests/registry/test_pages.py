"""Every registry page with the cast: allowed, 403, 404, anonymous."""

import pytest
from django.urls import reverse

from parcelwatch.registry.models import ChangeRecord


def url(name, *args):
    return reverse(f"registry:{name}", args=args)


def _get(client, user, path):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(path)


@pytest.mark.parametrize("name", ["site_list", "enterprise_list", "officer_list", "site_map", "site_map_data"])
def test_list_pages(client, cast, name):
    assert _get(client, cast.hanjiang_grid, url(name)).status_code == 200
    assert _get(client, cast.nobody, url(name)).status_code == 403
    response = _get(client, None, url(name))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_site_list_shows_only_own_jurisdiction(client, cast):
    body = _get(client, cast.licheng_officer, url("site_list")).content.decode()
    assert "圆通镇海营业部" in body and "中通涵东营业部" not in body


def test_site_list_search_filter_and_pagination(client, cast, settings):
    client.force_login(cast.city_officer)
    body = client.get(url("site_list"), {"q": "镇海"}).content.decode()
    assert "圆通镇海营业部" in body and "中通涵东营业部" not in body
    body = client.get(url("site_list"), {"district": "350303", "brand": "zto", "kind": "outlet"}).content.decode()
    assert "中通涵东营业部" in body and "圆通镇海营业部" not in body
    settings.PAGE_SIZE = 2
    body = client.get(url("site_list"), {"sort": "name", "page": 2}).content.decode()
    assert "2 / 2" in body
    assert client.get(url("site_list"), {"page": "nonsense"}).status_code == 200


def test_site_detail_cast(client, cast):
    hj = cast.hanjiang_outlet
    assert _get(client, cast.hanjiang_officer, url("site_detail", hj.pk)).status_code == 200
    assert _get(client, cast.zto_safety, url("site_detail", hj.pk)).status_code == 200
    response = _get(client, cast.licheng_officer, url("site_detail", hj.pk))
    assert response.status_code == 404 and "未找到" in response.content.decode()
    assert _get(client, None, url("site_detail", hj.pk)).status_code == 302


def test_site_edit_cast(client, cast):
    hj = cast.hanjiang_outlet
    assert _get(client, cast.hanjiang_officer, url("site_edit", hj.pk)).status_code == 200
    assert _get(client, cast.hanjiang_grid, url("site_edit", hj.pk)).status_code == 403
    assert _get(client, cast.city_leader, url("site_edit", hj.pk)).status_code == 403
    assert _get(client, cast.licheng_officer, url("site_edit", hj.pk)).status_code == 404
    assert _get(client, None, url("site_edit", hj.pk)).status_code == 302


def _site_form(site, **kw):
    data = {
        "kind": site.kind, "name": site.name, "enterprise": site.enterprise_id, "brand": site.brand_id or "",
        "station_operator": "", "filing_number": site.filing_number, "filing_date": "", "address": site.address,
        "jurisdiction": site.jurisdiction_id, "lng": str(site.lng), "lat": str(site.lat), "status": site.status,
        "xray_count": site.xray_count, "opening_date": "", "manager_name": "", "manager_phone": "",
    }
    data.update(kw)
    return data


def test_editing_a_site_through_the_page_shows_in_its_history(client, cast):
    site = cast.hanjiang_outlet
    client.force_login(cast.hanjiang_officer)
    response = client.post(url("site_edit", site.pk), _site_form(site, address="莆田市涵江区涵东街道实际经营地址1号"))
    assert response.status_code == 302
    body = client.get(url("site_detail", site.pk)).content.decode()
    assert "莆田市涵江区涵东街道实际经营地址1号" in body and "修改已保存" in body
    assert "莆田市涵江区涵东街道涵华路88号" in body  # the before value in the history


def test_bad_form_input_gets_chinese_errors_and_keeps_data(client, cast):
    site = cast.hanjiang_outlet
    client.force_login(cast.city_officer)
    response = client.post(url("site_edit", site.pk), _site_form(site, lng="121.47", lat="31.23", name=""))
    body = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项" in body
    response = client.post(url("site_edit", site.pk), _site_form(site, lng="121.47", lat="31.23"))
    assert "不在莆田市范围内" in response.content.decode()
    site.refresh_from_db()
    assert site.lng != 121.47 and not ChangeRecord.objects.filter(action="update").exists()


def test_site_create_page(client, cast):
    client.force_login(cast.hanjiang_officer)
    assert client.get(url("site_create")).status_code == 200
    form = _site_form(cast.hanjiang_outlet, name="新设营业部", filing_number="NEW-1", jurisdiction=cast.handong_g2.pk)
    response = client.post(url("site_create"), form)
    assert response.status_code == 302
    client.force_login(cast.hanjiang_grid)
    assert client.get(url("site_create")).status_code == 403


def test_a_district_officer_cannot_pick_a_place_outside_their_district(client, cast):
    client.force_login(cast.hanjiang_officer)
    form = _site_form(cast.hanjiang_outlet, name="越界营业部", filing_number="X-1", jurisdiction=cast.zhenhai_g1.pk)
    response = client.post(url("site_create"), form)
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()


def test_enterprise_pages_cast(client, cast):
    zto = cast.zto_hanjiang
    assert _get(client, cast.hanjiang_grid, url("enterprise_detail", zto.pk)).status_code == 200
    assert _get(client, cast.licheng_officer, url("enterprise_detail", zto.pk)).status_code == 404
    assert _get(client, cast.hanjiang_officer, url("enterprise_edit", zto.pk)).status_code == 200
    assert _get(client, cast.zto_safety, url("enterprise_edit", zto.pk)).status_code == 403
    assert _get(client, cast.licheng_officer, url("enterprise_edit", zto.pk)).status_code == 404
    assert _get(client, None, url("enterprise_edit", zto.pk)).status_code == 302


def test_enterprise_edit_with_bad_credit_code(client, cast):
    zto = cast.zto_hanjiang
    client.force_login(cast.city_officer)
    form = {"name": zto.name, "credit_code": zto.credit_code[:-1] + ("0" if zto.credit_code[-1] != "0" else "1"),
            "brand": zto.brand_id, "jurisdiction": zto.jurisdiction_id, "status": zto.status}
    response = client.post(url("enterprise_edit", zto.pk), form)
    assert "统一社会信用代码校验位错误" in response.content.decode()


def test_officer_detail_masks_personal_data_for_roles_without_the_right(client, cast):
    officer = cast.zto_officer
    body = _get(client, cast.hanjiang_grid, url("officer_detail", officer.pk)).content.decode()
    assert "350303198001011234" not in body and "3503**********1234" in body
    body = _get(client, cast.hanjiang_officer, url("officer_detail", officer.pk)).content.decode()
    assert "350303198001011234" in body
    assert _get(client, cast.licheng_officer, url("officer_detail", officer.pk)).status_code == 404


def test_officer_list_masks_phones(client, cast):
    body = _get(client, cast.city_officer, url("officer_list")).content.decode()
    assert "13800001111" not in body and "138****1111" in body


def test_officer_edit_and_training(client, cast):
    officer = cast.zto_officer
    client.force_login(cast.hanjiang_officer)
    response = client.post(url("officer_add_training", officer.pk),
                           {"date": "2019-05-10", "topic": "禁寄物品识别", "hours": "3", "organiser": "涵江区安全中心"})
    assert response.status_code == 302
    assert "禁寄物品识别" in client.get(url("officer_detail", officer.pk)).content.decode()
    response = client.post(url("officer_edit", officer.pk), {
        "enterprise": officer.enterprise_id, "name": officer.name, "id_number": officer.id_number,
        "phone": "13911112222", "status": "active", "sites": [cast.hanjiang_outlet.pk],
    })
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.phone == "13911112222" and list(officer.sites.all()) == [cast.hanjiang_outlet]
    client.force_login(cast.hanjiang_grid)
    assert client.post(url("officer_add_training", officer.pk), {}).status_code == 403


def test_map_data_is_scoped_and_filtered(client, cast):
    client.force_login(cast.hanjiang_officer)
    data = client.get(url("site_map_data")).json()
    assert data["count"] == 2 and {p[5] for p in data["points"]} == {"中通涵东营业部", "中通涵东二部"}
    assert data["age_text"].startswith("数据生成于")
    data = client.get(url("site_map_data"), {"kind": "sorting_center"}).json()
    assert data["count"] == 0


def test_map_page_uses_the_city_boundary_from_the_npm_package(client, cast):
    client.force_login(cast.city_officer)
    body = client.get(url("site_map")).content.decode()
    assert "npm/echarts/dist/echarts.min.js" in body and "%E8%8E%86%E7%94%B0%E5%B8%82.js" in body or "莆田市.js" in body


def test_filing_an_officer_from_the_enterprise_page_offers_only_its_sites(client, cast):
    client.force_login(cast.city_officer)
    body = client.get(url("officer_create") + f"?enterprise={cast.zto_hanjiang.pk}").content.decode()
    assert "中通涵东营业部" in body and "圆通镇海营业部" not in body
    response = client.post(url("officer_create") + f"?enterprise={cast.zto_hanjiang.pk}", {
        "enterprise": cast.zto_hanjiang.pk, "name": "新安全员", "id_number": "35030319900101123X",
        "phone": "13700000000", "status": "active", "sites": [cast.hanjiang_outlet_g2.pk],
    })
    assert response.status_code == 302
    client.force_login(cast.licheng_officer)
    assert client.get(url("officer_create") + f"?enterprise={cast.zto_hanjiang.pk}").status_code == 404


def test_map_centres_on_a_one_district_user_s_sites(client, cast):
    client.force_login(cast.hanjiang_officer)
    focus = client.get(url("site_map")).context["map_config"]["focus"]
    assert focus["center"] == [119.12, 25.46]  # the middle of the 涵江 sites in the cast
    client.force_login(cast.city_officer)
    assert client.get(url("site_map")).context["map_config"]["focus"] is None
