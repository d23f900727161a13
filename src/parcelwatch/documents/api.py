"""Official documents through the API: the list the 公文 page shows, each with its number, hash and file."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from parcelwatch.accounts.access import valid_pk
from parcelwatch.evidence.schemas import file_url
from parcelwatch.evidence.views import file_response
from parcelwatch.lib.apitypes import Id, Pagination

from .models import DocumentKind, OfficialDocument
from .selectors import documents_visible_to

router = Router(tags=["documents"])


class DocumentOut(Schema):
    id: int
    kind: str
    kind_label: str
    number: str
    title: str
    subject_type: Literal["event", "case"]
    subject_id: int
    subject_number: str | None
    issued_at: datetime
    paper_original: bool = Field(description="Recorded by its number; the original is on paper (no file).")
    sha256: str | None
    file_url: str | None


def _subject_numbers(documents: list[OfficialDocument]) -> dict[tuple[str, int], str]:
    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.events.models import Event

    events = [d.subject_id for d in documents if d.subject_type == "event"]
    cases = [d.subject_id for d in documents if d.subject_type == "enforcementcase"]
    numbers = {("event", pk): n for pk, n in Event.objects.filter(pk__in=events).values_list("pk", "number")}
    numbers |= {("enforcementcase", pk): n for pk, n in
                EnforcementCase.objects.filter(pk__in=cases).values_list("pk", "number")}
    return numbers


def _document(d: OfficialDocument, numbers: dict) -> dict:
    return {
        "id": d.pk, "kind": d.kind, "kind_label": str(d.get_kind_display()), "number": d.number, "title": d.title,
        "subject_type": "case" if d.subject_type == "enforcementcase" else "event", "subject_id": d.subject_id,
        "subject_number": numbers.get((d.subject_type, d.subject_id)), "issued_at": d.issued_at,
        "paper_original": d.attachment_id is None,
        "sha256": d.attachment.sha256 if d.attachment_id else None,
        "file_url": file_url(d.attachment) if d.attachment_id else None,
    }


class DocumentPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        page = list(result["items"])
        numbers = _subject_numbers(page)
        result["items"] = [_document(d, numbers) for d in page]
        return result


class DocumentFilters(Schema):
    kind: Literal[DocumentKind.REMINDER_LETTER, DocumentKind.PENALTY_NOTICE, DocumentKind.PENALTY_DECISION] | None = None


@router.get("/documents", response=list[DocumentOut])
@paginate(DocumentPagination)
def list_documents(request, filters: Query[DocumentFilters]):
    """Reminder letters, notices of intended penalty and penalty decisions of the events and cases the user may
    see (an enterprise sees the letters addressed to it), newest first."""
    qs = documents_visible_to(request.user).order_by("-issued_at", "-pk")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


def _get(request, document_id) -> OfficialDocument:
    from django.http import Http404

    document = documents_visible_to(request.user).filter(pk=valid_pk(document_id) or 0).first()
    if document is None:
        raise Http404
    return document


@router.get("/documents/{document_id}", response=DocumentOut)
def get_document(request, document_id: Id):
    document = _get(request, document_id)
    return _document(document, _subject_numbers([document]))


@router.get("/documents/{document_id}/file", response={200: None})
def document_file(request, document_id: Id):
    """The PDF as issued (its SHA-256 in the X-Evidence-SHA256 header); 404 for a paper original."""
    from django.http import Http404

    document = _get(request, document_id)
    if document.attachment_id is None:
        raise Http404
    return file_response(document.attachment)
