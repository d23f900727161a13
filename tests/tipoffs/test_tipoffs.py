"""Public reports (举报) and rewards: received without login behind a challenge and a rate limit, followed by a
tracking code, checked by the district, handled as an event, rewarded under three rule sets."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parcelwatch.events.models import Event, EventCategory
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.notifications.models import Notification
from parcelwatch.tipoffs import challenge, services
from parcelwatch.tipoffs.models import IdentityView, Reward, TipOff
from tests.conftest import login
from tests.evidence_files import jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _tip(cast, **kw) -> TipOff:
    photo = store_attachment(jpeg(), name="现场.jpg", actor=None)
    fields = {"district": cast.hanjiang, "place": "涵华路88号中通营业部", "category": None,
              "description": "收件不看身份证，也不开箱。", "reporter_name": "王女士", "reporter_phone": "13900005678",
              "attachments": [photo], **kw}
    return services.submit_tipoff(**fields)


def _checked(cast):
    return [store_attachment(jpeg((10, 200, 10)), name="核查.jpg", actor=cast.hanjiang_officer)]


def _substantiate(cast, tip):
    return services.substantiate_tipoff(tip, actor=cast.hanjiang_officer, site=cast.hanjiang_outlet,
                                        category=EventCategory.objects.get(code="RS01"), photos=_checked(cast),
                                        description="现场核查：收寄时未查验寄件人身份证件。", outcome="经查属实，已责令整改。")


@NOV
def test_a_substantiated_report_becomes_an_event_and_proposes_the_reporter_a_reward(cast, committed):
    with committed():
        tip = _tip(cast)
    assert tip.tracking_code.startswith("JB") and len(tip.tracking_code) == 12
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="tipoff_received").exists()
    with committed():
        tip = _substantiate(cast, tip)
    assert tip.state == TipOff.State.SUBSTANTIATED
    assert tip.event.source == Event.Source.PUBLIC_REPORT and tip.event.site == cast.hanjiang_outlet
    # The enterprise reads the event: the officer's words and photos, nothing of the reporter's.
    assert tip.event.description == "现场核查：收寄时未查验寄件人身份证件。"
    assert tip.tracking_code not in tip.event.description
    from parcelwatch.evidence.models import TimelineEntry

    evidence = set(TimelineEntry.objects.filter(subject_type="event", subject_id=tip.event_id)
                   .values_list("attachments__uploaded_by", flat=True))
    assert evidence == {cast.hanjiang_officer.pk}
    reward = Reward.objects.get()
    assert reward.tipoff == tip and reward.amount == Decimal("800.00")  # the public's rule for RS01
    assert Notification.objects.filter(recipient=cast.city_leader, kind="reward_proposed").exists()
    assert services.track(tip.tracking_code.lower()).outcome == "经查属实，已责令整改。"


@NOV
def test_insiders_are_rewarded_under_their_own_rules_and_anonymous_reports_are_not(cast):
    insider = _substantiate(cast, _tip(cast, insider=True))
    assert insider.reward.rule_set.audience == "insider" and insider.reward.amount == Decimal("1500.00")
    anonymous = _tip(cast, reporter_name="", reporter_phone="")
    assert anonymous.anonymous
    services.substantiate_tipoff(anonymous, actor=cast.hanjiang_officer, site=cast.hanjiang_outlet_g2,
                                 category=EventCategory.objects.get(code="YS01"), description="未验视",
                                 outcome="属实", photos=_checked(cast))
    assert Reward.objects.count() == 1


@NOV
def test_a_reward_is_approved_by_the_leader_and_recorded_as_paid_by_the_city(cast, committed):
    reward = _substantiate(cast, _tip(cast)).reward
    with pytest.raises(PermissionDenied):
        services.decide_reward(reward, actor=cast.hanjiang_officer, approve=True)
    with pytest.raises(ValidationError):
        services.pay_reward(reward, actor=cast.city_officer, voucher="PZ-1")  # not approved yet
    with pytest.raises(ValidationError):
        services.decide_reward(reward, actor=cast.city_leader, approve=False)  # refusing needs a reason
    with committed():
        reward = services.decide_reward(reward, actor=cast.city_leader, approve=True)
    assert Notification.objects.filter(recipient=cast.city_officer, kind="reward_approved").exists()
    reward = services.pay_reward(reward, actor=cast.city_officer, voucher="莆邮奖〔2026〕3号")
    assert reward.state == Reward.State.PAID and reward.paid_at
    assert "800" in services.track(reward.tipoff.tracking_code).outcome


@NOV
def test_a_grid_workers_accepted_report_earns_a_grid_reward_once(cast):
    from parcelwatch.events.services import perform, report_event

    photo = store_attachment(jpeg(), name="p.jpg", actor=cast.hanjiang_grid)
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, description="无验视标识",
                         category=EventCategory.objects.get(code="YS01"), photos=[photo])
    with pytest.raises(ValidationError):
        services.propose_grid_reward(event, actor=cast.hanjiang_officer)  # not accepted yet
    perform(event, "accept", actor=cast.hanjiang_officer)
    with pytest.raises(PermissionDenied):
        services.propose_grid_reward(event, actor=cast.licheng_officer)
    reward = services.propose_grid_reward(event, actor=cast.hanjiang_officer)
    assert reward.recipient == cast.hanjiang_grid and reward.amount == Decimal("200.00")
    with pytest.raises(ValidationError):
        services.propose_grid_reward(event, actor=cast.hanjiang_officer)


@NOV
@pytest.mark.parametrize("field,value", [("place", ""), ("description", "\x00"), ("reporter_phone", "abc"),
                                          ("district", None), ("place", "x" * 201)])
def test_bad_reports_are_refused_field_by_field(cast, field, value):
    with pytest.raises(ValidationError) as info:
        _tip(cast, **{field: value})
    assert field in info.value.message_dict
    assert not TipOff.objects.exists()


@NOV
def test_the_reporters_identity_is_shown_only_to_the_allowed_and_every_look_is_logged(cast, client):
    tip = _tip(cast)
    login(client, cast.hanjiang_officer)
    page = client.get(f"/tips/{tip.pk}/").content.decode()
    assert "王女士" not in page and "13900005678" not in page
    assert client.post(f"/tips/{tip.pk}/identity/").status_code == 403
    login(client, cast.licheng_officer)
    assert client.get(f"/tips/{tip.pk}/").status_code == 404
    login(client, cast.city_officer)
    client.post(f"/tips/{tip.pk}/identity/")
    page = client.get(f"/tips/{tip.pk}/").content.decode()
    assert "王女士" in page and "13900005678" in page
    assert IdentityView.objects.get().viewer == cast.city_officer
    page = client.get(f"/tips/{tip.pk}/")
    assert "王女士" not in page.content.decode()  # shown once per look
    # The city may dismiss a report, but handling it as an event is the district's: no form it cannot use.
    assert not page.context["can_substantiate"] and 'data-testid="substantiate-form"' not in page.content.decode()
    assert client.post(f"/tips/{tip.pk}/", {"do": "substantiate"}).status_code == 403
    for user in (cast.zto_safety, cast.police_partner, cast.hanjiang_grid):
        login(client, user)
        assert client.get(f"/tips/{tip.pk}/").status_code in (403, 404)


def _form(client):
    page = client.get("/public/report/")
    return page.context["form"].initial["token"], page.context["question"]


def _answer(question: str) -> str:
    a, b = question.split(" = ")[0].split(" + ")
    return str(int(a) + int(b))


def test_the_public_form_needs_the_sum_and_keeps_what_was_typed_and_photographed(cast, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with time_machine.travel("2026-11-20 10:00 +0800", tick=False) as clock:
        token, question = _form(client)
        clock.shift(10)
        data = {"district": str(cast.hanjiang.pk), "place": "涵华路", "description": "不验视就收件",
                "answer": "99", "token": token, "reporter_phone": "13900005678",
                "attachments": SimpleUploadedFile("现场.jpg", jpeg(), "image/jpeg")}
        refused = client.post("/public/report/", data)
        html = refused.content.decode()
        assert refused.status_code == 200 and "不验视就收件" in html and "现场.jpg" in html
        assert not TipOff.objects.exists()
        clock.shift(10)
        data.update(answer=_answer(refused.context["question"]), token=refused.context["form"].data["token"],
                    kept=refused.context["kept"])
        data.pop("attachments")
        received = client.post("/public/report/", data)
        assert received.status_code == 200
        tip = TipOff.objects.get()
        assert tip.attachments.count() == 1 and tip.tracking_code in received.content.decode()


@pytest.mark.django_db
def test_the_challenge_refuses_bots_and_each_token_answers_once():
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False) as clock:
        question, token = challenge.new_challenge()
        answer = _answer(question)
        payload = json.loads(signing_payload(token))  # the token does not give the answer away
        assert set(payload) == {"n", "h", "t"} and int(answer) not in payload.values()
        assert not challenge.use(token, answer, "")  # too fast
        clock.shift(5)
        assert not challenge.use(token, answer, "http://spam")  # the field people never see
        assert not challenge.use(token + "x", answer, "")
        assert challenge.use(token, answer, "")
        assert not challenge.use(token, answer, "")  # used once only
        question, token = challenge.new_challenge()
        clock.shift(5)
        assert not challenge.use(token, "0", "")  # a wrong answer uses the token up too
        assert not challenge.use(token, _answer(question), "")
        question, token = challenge.new_challenge()
        clock.shift(7200)
        assert not challenge.use(token, _answer(question), "")  # too old


def signing_payload(token: str) -> str:
    import base64

    body = token.split(":")[0]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode(errors="replace")


def test_reports_from_one_address_are_rate_limited(cast, client, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False) as clock:
        for n in range(3):
            token, question = _form(client)
            clock.shift(5)
            response = client.post("/public/report/", {
                "district": str(cast.hanjiang.pk), "place": "涵华路", "description": f"第{n}次",
                "answer": _answer(question), "token": token})
        assert TipOff.objects.count() == 2
        assert "12305" in response.content.decode()


def test_tracking_shows_the_state_and_outcome_never_the_identity(cast, client):
    with NOV:
        tip = _substantiate(cast, _tip(cast))
    page = client.get("/public/report/track/", {"code": tip.tracking_code}).content.decode()
    assert "经查属实" in page and "王女士" not in page and "13900005678" not in page
    assert "没有" in client.get("/public/report/track/", {"code": "JBNOSUCHCODE"}).content.decode()


@NOV
def test_the_ledger_totals_paid_rewards_by_year_and_the_home_pages_count_what_waits(cast, client):
    reward = _substantiate(cast, _tip(cast)).reward
    login(client, cast.city_leader)
    home = client.get("/")
    figure = next(f for p in home.context["panels"] for f in p.figures if f.testid == "rewards-to-approve")
    assert figure.count == 1 == client.get(figure.url).context["count"]
    services.decide_reward(reward, actor=cast.city_leader, approve=True)
    services.pay_reward(reward, actor=cast.city_officer, voucher="PZ-1")
    totals = client.get("/rewards/").context["totals"]
    assert totals[0]["year"] == 2026 and totals[0]["total"] == Decimal("800.00")


def test_a_bot_stores_nothing_and_a_form_sent_twice_is_one_report(cast, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from parcelwatch.evidence.models import Attachment

    with time_machine.travel("2026-11-20 10:00 +0800", tick=False) as clock:
        token, question = _form(client)
        clock.shift(10)
        base = {"district": str(cast.hanjiang.pk), "place": "涵华路", "description": "不验视", "token": token,
                "answer": _answer(question)}
        client.post("/public/report/", {**base, "website": "http://spam",
                                         "attachments": SimpleUploadedFile("x.jpg", jpeg(), "image/jpeg")})
        assert not TipOff.objects.exists() and not Attachment.objects.exists()
        assert client.post("/public/report/", base).status_code == 200 and TipOff.objects.count() == 1
        again = client.post("/public/report/", base)  # the same form again (a double tap): the same code
        assert TipOff.objects.count() == 1 and TipOff.objects.get().tracking_code in again.content.decode()


def test_wrong_sums_do_not_use_up_the_addresss_allowance(cast, client, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False) as clock:
        for _n in range(3):
            token, _question = _form(client)
            clock.shift(5)
            client.post("/public/report/", {"district": str(cast.hanjiang.pk), "place": "涵华路",
                                             "description": "不验视", "answer": "0", "token": token})
        token, question = _form(client)
        clock.shift(5)
        client.post("/public/report/", {"district": str(cast.hanjiang.pk), "place": "涵华路",
                                         "description": "不验视", "answer": _answer(question), "token": token})
    assert TipOff.objects.count() == 1


@NOV
def test_a_public_reports_photos_open_for_those_who_check_it(cast, client):
    tip = _tip(cast)
    pk = tip.attachments.get().pk
    for user, status in ((cast.hanjiang_officer, 200), (cast.city_officer, 200), (cast.city_leader, 200),
                         (cast.licheng_officer, 404), (cast.zto_safety, 404)):
        login(client, user)
        assert client.get(f"/evidence/{pk}/").status_code == status, user
    login(client, cast.city_leader)  # reaches the report it approves a reward for, and may learn who reported
    assert client.get(f"/tips/{tip.pk}/").status_code == 200
    assert 'data-testid="substantiate-form"' not in client.get(f"/tips/{tip.pk}/").content.decode()
    assert client.post(f"/tips/{tip.pk}/", {"do": "dismiss", "outcome": "x"}).status_code == 403
