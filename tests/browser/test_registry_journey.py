import pytest
from playwright.sync_api import expect

from parcelwatch.registry.models import ChangeRecord

from .conftest import login

pytestmark = pytest.mark.browser


def test_city_officer_finds_an_outlet_edits_its_address_and_sees_the_history(transactional_db, cast, live_server,
                                                                             new_page):
    page = new_page()
    login(page, live_server, "city_officer")
    page.get_by_test_id("nav-registry").click()
    page.get_by_role("link", name="网点", exact=True).click()
    page.get_by_label("搜索").fill("中通涵东营业部")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="中通涵东营业部").click()
    expect(page.get_by_test_id("site-address")).to_have_text("莆田市涵江区涵东街道涵华路88号")

    page.get_by_role("link", name="编辑").click()
    page.get_by_label("地址").fill("莆田市涵江区涵东街道实际经营地址66号")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_text("修改已保存")).to_be_visible()
    expect(page.get_by_test_id("site-address")).to_have_text("莆田市涵江区涵东街道实际经营地址66号")
    entry = page.get_by_test_id("history-entry").first
    expect(entry).to_contain_text("city_officer")
    expect(entry).to_contain_text("莆田市涵江区涵东街道涵华路88号")
    expect(entry).to_contain_text("莆田市涵江区涵东街道实际经营地址66号")
    assert ChangeRecord.objects.filter(object_id=cast.hanjiang_outlet.pk, action="update").count() == 1


def test_licheng_officer_opening_a_hanjiang_site_gets_not_found(transactional_db, cast, live_server, new_page):
    page = new_page()
    login(page, live_server, "licheng_officer")
    response = page.goto(f"{live_server.url}/registry/sites/{cast.hanjiang_outlet.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(page.get_by_text("中通涵东营业部")).to_have_count(0)


def test_wrong_password_and_the_map_on_a_phone(transactional_db, cast, live_server, new_page):
    page = new_page(390, 844)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("hanjiang_officer")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误")
    login(page, live_server, "hanjiang_officer")
    page.goto(f"{live_server.url}/registry/sites/map/")
    expect(page.get_by_test_id("map-count")).to_have_text("显示网点：2")
    # ECharts drew the district boundaries from the npm package onto a canvas.
    expect(page.locator("#pw-map canvas")).to_have_count(1)
