"""A member of the public reports a violation from a phone, without login → 涵江's district officer finds it true
and handles it as an event → the bureau leader approves the reward → the city officer records its payment → the
reporter reads the outcome with the tracking code."""

import pytest
from playwright.sync_api import expect

from parcelwatch.events.models import Event
from parcelwatch.tipoffs.models import Reward, TipOff
from tests.evidence_files import jpeg

from .conftest import login

pytestmark = pytest.mark.browser


def _answer(page) -> str:
    a, b = page.get_by_test_id("challenge").inner_text().split(" = ")[0].split(" + ")
    return str(int(a) + int(b))


def test_a_public_report_is_substantiated_and_its_reward_approved_and_paid(
        transactional_db, cast, live_server, new_page, tmp_path, settings):
    settings.PUBLIC_REPORT_MIN_SECONDS = 0  # the challenge's "too fast" check is tested on its own
    phone = new_page(390, 844)
    phone.goto(f"{live_server.url}/public/report/")
    form = phone.get_by_test_id("public-report-form")
    form.get_by_label("县区").select_option(label="涵江区")
    form.get_by_label("地点（地址或店名）").fill("涵华路88号中通营业部")
    form.get_by_label("您看到的情况").fill("寄快递不看身份证，也不开箱验视。")
    form.get_by_label("您的电话（可不填；留电话可获知处理结果并领取奖励）").fill("13900005678")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg())
    form.get_by_label("照片（最多3张，可不传）").set_input_files(str(photo))
    form.get_by_label("请计算").fill("0")  # wrong: the form comes back with everything kept
    phone.get_by_test_id("send-report").click()
    expect(form.get_by_label("您看到的情况")).to_have_value("寄快递不看身份证，也不开箱验视。")
    expect(form).to_contain_text("现场.jpg")
    form.get_by_label("请计算").fill(_answer(phone))
    phone.get_by_test_id("send-report").click()
    code = phone.get_by_test_id("tracking-code").inner_text().strip()
    tip = TipOff.objects.get(tracking_code=code)
    assert tip.attachments.count() == 1

    officer = new_page()
    login(officer, live_server, "hanjiang_officer")
    officer.goto(f"{live_server.url}/")
    officer.get_by_test_id("tipoffs-received").click()
    officer.get_by_role("link", name=code).click()
    expect(officer.get_by_test_id("reporter")).not_to_contain_text("13900005678")
    form = officer.get_by_test_id("substantiate-form")
    form.get_by_label("核实的违法场所").select_option(label="中通涵东营业部")
    form.get_by_label("类别").select_option(value="RS01")
    form.locator("textarea[name=description]").fill("现场核查：收寄时未查验寄件人身份证件。")
    checked = tmp_path / "核查.jpg"
    checked.write_bytes(jpeg((20, 160, 20)))
    form.get_by_label("核查现场照片").set_input_files(str(checked))
    form.get_by_label("告知举报人的处理结果").fill("经查属实，已责令整改并立案调查。")
    officer.get_by_test_id("substantiate").click()
    expect(officer.get_by_test_id("tipoff-state")).to_have_text("属实，已转为事件处置")
    tip.refresh_from_db()
    assert tip.event.source == Event.Source.PUBLIC_REPORT

    leader = new_page()
    login(leader, live_server, "city_leader")
    leader.get_by_test_id("rewards-to-approve").click()
    leader.get_by_test_id("reward-row").first.get_by_role("link").click()
    leader.get_by_test_id("approve-reward").click()
    expect(leader.get_by_test_id("reward-state")).to_have_text("已批准，待发放")

    city = new_page()
    login(city, live_server, "city_officer")
    city.get_by_test_id("rewards-to-pay").click()
    city.get_by_test_id("reward-row").first.get_by_role("link").click()
    city.get_by_label("发放凭证号").fill("莆邮奖〔2026〕1号")
    city.get_by_test_id("pay-reward").click()
    expect(city.get_by_test_id("reward-state")).to_have_text("已发放")
    assert Reward.objects.get().state == Reward.State.PAID
    city.goto(f"{live_server.url}/rewards/")
    expect(city.get_by_test_id("reward-year-total").first).to_contain_text("800")

    phone.goto(f"{live_server.url}/public/report/track/?code={code}")
    expect(phone.get_by_test_id("track-outcome")).to_contain_text("奖励800.00元已发放")
