"""Official documents a user may see: those of the events and cases they may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from parcelwatch.accounts.models import User

from .models import OfficialDocument


def documents_visible_to(user: User) -> QuerySet[OfficialDocument]:
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import events_visible_to

    # One indexed lookup per document (EXISTS), never the list of every visible event.
    event = Exists(events_visible_to(user).filter(pk=OuterRef("subject_id")))
    case = Exists(cases_visible_to(user).filter(pk=OuterRef("subject_id")))
    return OfficialDocument.objects.filter(
        (Q(subject_type="event") & event) | (Q(subject_type="enforcementcase") & case)
    ).select_related("attachment", "issued_by")


PAPER_TITLES = {
    "issue_letter": "提醒函",
    "notify_penalty": "行政处罚事先告知书",
    "decide": "行政处罚决定书",
}


def documents_of(subject, entries) -> list[dict]:
    """Every document the subject's timeline names: generated PDFs, and paper originals recorded by number.

    Each is {"number", "title", "attachment" (None for paper), "paper", "issued_at"}, in timeline order.
    """
    generated = {
        d.number: d for d in OfficialDocument.objects.filter(
            subject_type=subject._meta.model_name, subject_id=subject.pk).select_related("attachment")
    }
    listed: list[dict] = []
    seen: set[str] = set()
    for entry in entries:
        numbers = [entry.data.get("document"), entry.data.get("decision")]
        for number in filter(None, numbers):
            if number in seen:
                continue
            seen.add(number)
            doc = generated.get(number)
            listed.append({
                "number": number,
                "title": doc.title if doc else PAPER_TITLES.get(entry.action, ""),
                "attachment": doc.attachment if doc else None,
                "paper": doc is None or doc.attachment is None,
                "issued_at": doc.issued_at if doc else entry.created_at,
            })
    for number, doc in generated.items():
        if number not in seen:
            listed.append({"number": number, "title": doc.title, "attachment": doc.attachment,
                           "paper": doc.attachment is None, "issued_at": doc.issued_at})
    return listed
