"""The three-level workflow, driven through the services."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from parcelwatch.documents.models import OfficialDocument
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.enforcement.services import perform_case
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import TransitionError, perform, report_event, sweep_deadlines
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.timeline import entries_for, verify
from parcelwatch.notifications.models import Notification
from parcelwatch.registry.models import ChangeRecord
from tests.evidence_files import jpeg

SH = ZoneInfo("Asia/Shanghai")
S = Event.State


def photo(user, colour=(200, 30, 30)):
    return store_attachment(jpeg(colour), name="现场照片.jpg", actor=user)


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def ba02(db):
    return EventCategory.objects.get(code="BA02")


def report(cast, ba02, when=None):
    return report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=ba02,
                        description="备案地址与实际经营地址不符", photos=[photo(cast.hanjiang_grid)],
                        lng=Decimal("119.12"), lat=Decimal("25.46"), when=when)


@pytest.mark.django_db(transaction=True)
def test_hanjiang_worked_example_end_to_end(cast, ba02):
    """April 2019: reported, reminded with 5 working days, ignored, escalated, fined 1,500, fixed, closed."""
    with time_machine.travel(at(2019, 4, 15, 9, 30), tick=False) as clock:
        event = report(cast, ba02)
        assert event.state == S.REPORTED and event.district == cast.hanjiang
        assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="event_task").exists()

        event = perform(event, "accept", actor=cast.hanjiang_officer, note="已实地复核，情况属实")
        event = perform(event, "issue_letter", actor=cast.hanjiang_officer, note="实地复核：备案地址与实际不符")
        assert event.state == S.RECTIFYING
        # 5 working days from Monday 15 April 2019 is Monday 22 April.
        assert event.deadline == date(2019, 4, 22)
        letter = OfficialDocument.objects.get(kind="reminder_letter", subject_id=event.pk)
        assert letter.number == "涵江邮安提〔2019〕1号"
        assert Notification.objects.filter(recipient=cast.zto_safety, kind="letter").exists()

        perform(event, "acknowledge", actor=cast.zto_safety)
        # The enterprise does nothing; the deadline passes and the sweep escalates by itself.
        clock.move_to(at(2019, 4, 23, 1, 0))
        assert sweep_deadlines() == {"escalated": 1, "reminded": 0}
        assert sweep_deadlines()["escalated"] == 0  # a second worker finds nothing to do
        event.refresh_from_db()
        assert event.state == S.ESCALATED and event.handled_level == Event.Level.CITY
        auto = entries_for(event).get(action="auto_escalate")
        assert auto.actor is None and auto.actor_role == "system"

        clock.move_to(at(2019, 4, 23, 10, 0))
        event = perform(event, "open_case", actor=cast.city_officer, note="逾期未整改，建议立案调查")
        case = EnforcementCase.objects.get(events=event)
        case = perform_case(case, "approve_filing", actor=cast.city_leader)
        assert case.number == "莆邮管案〔2019〕1号"
        case = perform_case(case, "start_investigation", actor=cast.city_officer)
        case = perform_case(case, "notify_penalty", actor=cast.city_officer, findings="该营业部备案地址与实际经营地址不符，"
                            "经提醒逾期未办理变更。", fine="1500", hearing_days=3)
        clock.move_to(at(2019, 4, 29, 9, 0))
        case = perform_case(case, "decide", actor=cast.city_leader)
        assert case.fine_amount == Decimal("1500.00") and case.decision_number == "莆邮管罚〔2019〕1号"
        case = perform_case(case, "serve", actor=cast.city_officer)

        clock.move_to(at(2019, 4, 30, 10, 0))
        perform(event, "submit_rectification", actor=cast.zto_safety, note="已办理地址变更备案",
                attachments=[photo(cast.zto_safety, (0, 0, 200))],
                site_changes={"address": "莆田市涵江区涵东街道实际经营地址8号"})
        cast.hanjiang_outlet.refresh_from_db()
        assert cast.hanjiang_outlet.address == "莆田市涵江区涵东街道实际经营地址8号"
        change = ChangeRecord.objects.get(object_id=cast.hanjiang_outlet.pk, action="update")
        assert change.actor == cast.zto_safety and event.number in change.note

        case = perform_case(case, "record_payment", actor=cast.city_officer,
                            attachments=[store_attachment(jpeg((9, 9, 9)), name="缴款凭证.jpg", actor=cast.city_officer)])
        case = perform_case(case, "close", actor=cast.city_officer)
        event.refresh_from_db()
        assert event.state == S.AWAITING_CONFIRMATION

        event = perform(event, "confirm", actor=cast.hanjiang_grid, attachments=[photo(cast.hanjiang_grid, (1, 2, 3))])
        assert event.state == S.CLOSED and event.closure_level == Event.Level.CITY
        assert event.closed_at.astimezone(SH).date() == date(2019, 4, 30)

    actions = list(entries_for(event).values_list("action", flat=True))
    assert actions == ["report", "accept", "issue_letter", "acknowledge", "auto_escalate", "open_case",
                       "submit_rectification", "case_concluded", "confirm"]
    checked, broken = verify()
    assert broken is None and checked >= len(actions) + 8


def test_district_resolution_closes_at_district_level(cast, ba02):
    event = report(cast, ba02)
    event = perform(event, "accept", actor=cast.hanjiang_officer)
    event = perform(event, "issue_letter", actor=cast.hanjiang_officer, deadline_days=3)
    event = perform(event, "submit_rectification", actor=cast.zto_safety, attachments=[photo(cast.zto_safety)])
    event = perform(event, "verify_fail", actor=cast.hanjiang_officer, note="照片不清晰")
    assert event.state == S.RECTIFYING and event.rework_count == 1
    event = perform(event, "submit_rectification", actor=cast.zto_safety, attachments=[photo(cast.zto_safety, (5, 5, 5))])
    event = perform(event, "verify_pass", actor=cast.hanjiang_officer)
    event = perform(event, "confirm", actor=cast.hanjiang_grid, attachments=[photo(cast.hanjiang_grid, (7, 7, 7))])
    assert event.closure_level == Event.Level.DISTRICT


def test_dispute_returns_to_the_level_that_handled_it(cast, ba02):
    event = report(cast, ba02)
    event = perform(event, "accept", actor=cast.hanjiang_officer)
    event = perform(event, "resolve_on_spot", actor=cast.hanjiang_officer, attachments=[photo(cast.hanjiang_officer)])
    event = perform(event, "dispute", actor=cast.hanjiang_grid, note="复查仍未整改",
                    attachments=[photo(cast.hanjiang_grid, (3, 3, 3))])
    assert event.state == S.ACCEPTED and event.rework_count == 1


@pytest.mark.parametrize(
    ("username", "action", "message"),
    [
        ("licheng_officer", "accept", "你"),  # other district: not allowed
        ("hanjiang_grid", "accept", "你"),  # wrong role
        ("zto_safety", "reject", "你"),
        ("city_leader", "accept", "你"),
    ],
)
def test_role_and_jurisdiction_are_enforced(cast, ba02, username, action, message):
    event = report(cast, ba02)
    with pytest.raises(TransitionError) as exc:
        perform(event, action, actor=getattr(cast, username), note="x")
    assert exc.value.code == "forbidden"
    event.refresh_from_db()
    assert event.state == S.REPORTED


def test_evidence_and_notes_are_required_where_configured(cast, ba02):
    event = report(cast, ba02)
    with pytest.raises(TransitionError, match="理由"):
        perform(event, "reject", actor=cast.hanjiang_officer)
    event = perform(event, "accept", actor=cast.hanjiang_officer)
    with pytest.raises(TransitionError, match="附件"):
        perform(event, "resolve_on_spot", actor=cast.hanjiang_officer)
    ba02.evidence_required = ["confirm"]
    ba02.save()
    perform(event, "resolve_on_spot", actor=cast.hanjiang_officer)


def test_a_report_needs_a_photo(cast, ba02):
    with pytest.raises(TransitionError, match="照片"):
        report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=ba02, description="x", photos=[])


def test_grid_worker_cannot_report_outside_their_grid(cast, ba02):
    with pytest.raises(TransitionError):
        report_event(actor=cast.hanjiang_grid, site=cast.licheng_outlet, category=ba02, description="x",
                     photos=[photo(cast.hanjiang_grid)])


def test_stale_version_is_refused(cast, ba02):
    event = report(cast, ba02)
    version = event.version
    perform(event, "accept", actor=cast.hanjiang_officer, expected_version=version)
    with pytest.raises(TransitionError) as exc:
        perform(event, "reject", actor=cast.city_officer, note="重复", expected_version=version)
    assert exc.value.code in ("conflict", "forbidden")


def test_merge_duplicates(cast, ba02):
    first = report(cast, ba02)
    second = report(cast, ba02)
    merged = perform(second, "merge", actor=cast.hanjiang_officer, duplicate_of=first)
    assert merged.state == S.MERGED and merged.duplicate_of == first
    with pytest.raises(TransitionError):
        perform(report(cast, ba02), "merge", actor=cast.hanjiang_officer, duplicate_of=None)


def test_fine_outside_range_needs_justification(cast, ba02):
    event = report(cast, ba02)
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get(events=event)
    perform_case(case, "approve_filing", actor=cast.city_leader)
    perform_case(case, "start_investigation", actor=cast.city_officer)
    with pytest.raises(TransitionError, match="说明"):
        perform_case(case, "notify_penalty", actor=cast.city_officer, findings="事实", fine="80000")
    with pytest.raises(TransitionError):
        perform_case(case, "decide", actor=cast.city_officer)  # not the leader's step for an officer


def test_verify_timeline_reports_tampering(cast, ba02, capsys):
    from django.core.management.base import CommandError
    from django.db import connection

    event = report(cast, ba02)
    perform(event, "accept", actor=cast.hanjiang_officer, note="属实")
    call_command("verify_timeline")
    assert "OK" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_timelineentry SET note = %s WHERE action = %s", ["改过的记录", "accept"])
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_timeline")


def test_an_entry_links_each_of_its_photos_once_and_its_hash_covers_them(cast, ba02):
    first, second = photo(cast.hanjiang_grid, (1, 2, 3)), photo(cast.hanjiang_grid, (4, 5, 6))
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=ba02, description="x",
                         photos=[first, second, first])  # the same photo chosen twice
    entry = entries_for(event).get()
    assert sorted(entry.attachments.values_list("pk", flat=True)) == sorted([first.pk, second.pk])
    assert verify(check_files=True) == (1, None)
    entry.attachments.remove(second)  # a link lost: the entry no longer matches its hash
    checked, broken = verify()
    assert broken is not None and broken.entry.pk == entry.pk and "hash" in broken.reason


def test_timeline_rows_cannot_be_changed_through_the_orm(cast, ba02):
    event = report(cast, ba02)
    entry = entries_for(event).first()
    entry.note = "x"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def _escalated_case(cast, ba02):
    event = report(cast, ba02)
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    return event, EnforcementCase.objects.get(events=event)


def test_case_not_filed_hands_the_event_back_to_the_city(cast, ba02):
    event, case = _escalated_case(cast, ba02)
    perform_case(case, "reject_filing", actor=cast.city_leader, note="证据不足")
    event.refresh_from_db()
    assert event.state == S.ESCALATED
    event = perform(event, "return_to_district", actor=cast.city_officer, note="由县区继续督促")
    assert event.state == S.RECTIFYING and event.handled_level == Event.Level.DISTRICT and event.deadline


def test_no_penalty_after_the_fix_goes_to_confirmation(cast, ba02):
    event, case = _escalated_case(cast, ba02)
    perform_case(case, "approve_filing", actor=cast.city_leader)
    perform_case(case, "start_investigation", actor=cast.city_officer)
    perform(event, "submit_rectification", actor=cast.zto_safety, attachments=[photo(cast.zto_safety, (8, 8, 8))])
    event.refresh_from_db()
    assert event.state == S.UNDER_ENFORCEMENT  # the case is still running
    case = perform_case(case, "no_penalty", actor=cast.city_leader, note="当事人已主动改正，情节轻微")
    assert case.state == EnforcementCase.State.NO_PENALTY
    event.refresh_from_db()
    assert event.state == S.AWAITING_CONFIRMATION
    event = perform(event, "dispute", actor=cast.hanjiang_grid, note="现场复核仍未改",
                    attachments=[photo(cast.hanjiang_grid, (6, 6, 6))])
    assert event.state == S.ESCALATED  # back to the city, which handled it


def test_decision_waits_for_the_hearing_period(cast, ba02):
    event, case = _escalated_case(cast, ba02)
    perform_case(case, "approve_filing", actor=cast.city_leader)
    perform_case(case, "start_investigation", actor=cast.city_officer)
    perform_case(case, "notify_penalty", actor=cast.city_officer, findings="属实", fine="2000")
    with pytest.raises(TransitionError, match="陈述申辩"):
        perform_case(case, "decide", actor=cast.city_leader)
    case = perform_case(case, "decide", actor=cast.city_leader, hearing_waived=True)
    assert case.fine_amount == Decimal("2000.00")
    assert OfficialDocument.objects.filter(kind="penalty_decision", subject_id=case.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_reminder_one_working_day_before_the_deadline_is_sent_once(cast, ba02):
    with time_machine.travel(at(2019, 4, 15, 9, 0), tick=False) as clock:
        event = report(cast, ba02)
        perform(event, "accept", actor=cast.hanjiang_officer)
        perform(event, "issue_letter", actor=cast.hanjiang_officer)  # deadline Monday 22 April
        clock.move_to(at(2019, 4, 19, 8, 0))  # Friday: the next working day is the deadline
        assert sweep_deadlines()["reminded"] == 2  # the enterprise and the district officer
        assert sweep_deadlines()["reminded"] == 0
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="deadline_soon").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_dispute_is_notified_to_the_district(cast, ba02):
    event = report(cast, ba02)
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "resolve_on_spot", actor=cast.hanjiang_officer, attachments=[photo(cast.hanjiang_officer)])
    Notification.objects.all().delete()
    perform(event, "dispute", actor=cast.hanjiang_grid, note="仍未整改", attachments=[photo(cast.hanjiang_grid, (4, 4, 4))])
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="event_task").exists()
