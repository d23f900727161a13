"""Who may open an evidence file: whoever may see an event, case, duty report, spot check, circular, inspection,
emergency plan, drill, incident, public report, memorandum, joint meeting or referral it belongs to, or the camera
it was taken from; and a partner department's users, the evidence of an event or case shared with it."""

from __future__ import annotations

from django.http import Http404

from parcelwatch.accounts.models import User

from .models import Attachment, TimelineEntry


def get_attachment_for_user(user: User, pk: int) -> Attachment:
    from parcelwatch.accounts.access import valid_pk
    from parcelwatch.documents.models import OfficialDocument
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import event_ids_visible_to

    attachment = Attachment.objects.filter(pk=valid_pk(pk) or 0).first()
    if attachment is None or not user.is_authenticated:
        raise Http404
    if attachment.uploaded_by_id == user.pk:
        return attachment  # one's own upload, before it is attached to a step
    subjects = set(
        TimelineEntry.objects.filter(attachments=attachment).values_list("subject_type", "subject_id")
    ) | set(OfficialDocument.objects.filter(attachment=attachment).values_list("subject_type", "subject_id"))
    event_ids = [sid for stype, sid in subjects if stype == "event"]
    case_ids = [sid for stype, sid in subjects if stype == "enforcementcase"]
    if event_ids and event_ids_visible_to(user, event_ids):
        return attachment
    if case_ids and cases_visible_to(user).filter(pk__in=case_ids).exists():
        return attachment
    from parcelwatch.collaboration import selectors as collaboration

    if collaboration.shared_event_ids(user, event_ids) or collaboration.shared_case_ids(user, case_ids):
        return attachment  # evidence of an event or case shared with the user's department
    from parcelwatch.selfcheck import selectors as selfcheck

    circular_ids = [sid for stype, sid in subjects if stype == "circular"]
    if circular_ids and selfcheck.circulars_visible_to(user).filter(pk__in=circular_ids).exists():
        return attachment  # a published circular's PDF: its recipients and the regulators of its area
    if selfcheck.reports_visible_to(user).filter(attachments=attachment).exists():
        return attachment  # material of a duty report: the enterprise and its district
    if selfcheck.checks_visible_to(user).filter(attachments=attachment).exists():
        return attachment  # a spot check's photos: the regulators who check
    from parcelwatch.video.models import Snapshot
    from parcelwatch.video.selectors import cameras_visible_to

    camera_ids = list(Snapshot.objects.filter(attachment=attachment, patrol__isnull=True)
                      .values_list("camera_id", flat=True)[:50])
    if camera_ids and cameras_visible_to(user).filter(pk__in=camera_ids).exists():
        return attachment  # a still of a camera the user may watch
    from parcelwatch.video.selectors import patrols_visible_to

    patrol_ids = list(Snapshot.objects.filter(attachment=attachment, patrol__isnull=False)
                      .values_list("patrol_id", flat=True)[:50])
    if patrol_ids and patrols_visible_to(user).filter(pk__in=patrol_ids).exists():
        return attachment  # a still of an unannounced patrol: for those who patrol, not for the site
    if _in_other_records(user, attachment):
        return attachment
    raise Http404


def _in_other_records(user: User, attachment: Attachment) -> bool:
    """Inspection records, emergency plans, drills and incidents, and public reports: whoever may see the record
    may open its files."""
    from parcelwatch.collaboration import selectors as collaboration
    from parcelwatch.emergency import selectors as emergency
    from parcelwatch.enforcement.selectors import inspections_visible_to
    from parcelwatch.tipoffs.selectors import tipoffs_visible_to

    return any(qs.exists() for qs in (
        inspections_visible_to(user).filter(attachments=attachment),
        emergency.plans_visible_to(user).filter(document=attachment),
        emergency.drills_visible_to(user).filter(attachments=attachment),
        emergency.incidents_visible_to(user).filter(updates__attachments=attachment),
        tipoffs_visible_to(user).filter(attachments=attachment),
        collaboration.memoranda_visible_to(user).filter(attachments=attachment),
        collaboration.meetings_visible_to(user).filter(attachments=attachment),
        collaboration.referrals_visible_to(user).filter(entries__attachments=attachment),
    ))


def own_uploads(user: User, ids: list[int]) -> list[Attachment] | None:
    """The user's own uploaded files with these ids, or None if any id is not one of them."""
    from parcelwatch.accounts.access import valid_pk

    wanted = {valid_pk(i) for i in ids}
    if None in wanted:
        return None
    attachments = list(Attachment.objects.filter(pk__in=wanted, uploaded_by=user))
    return attachments if len(attachments) == len(wanted) else None
