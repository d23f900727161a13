"""Numbering and PDF generation of official documents."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from parcelwatch.accounts.models import User
from parcelwatch.evidence.attachments import store_attachment

from .models import Counter, DocumentKind, NumberTemplate, OfficialDocument

DEFAULT_TEMPLATES = {
    DocumentKind.EVENT: ("SJ{year}{seq:05d}", False),
    DocumentKind.CASE: ("莆邮管案〔{year}〕{seq}号", False),
    DocumentKind.REMINDER_LETTER: ("{issuer}邮安提〔{year}〕{seq}号", True),
    DocumentKind.PENALTY_NOTICE: ("莆邮管告〔{year}〕{seq}号", False),
    DocumentKind.PENALTY_DECISION: ("莆邮管罚〔{year}〕{seq}号", False),
}


def next_number(kind: str, *, year: int, issuer: str = "") -> str:
    """The next number of a kind in a year; safe when several processes ask at once."""
    template = NumberTemplate.objects.filter(kind=kind).first()
    text, per_issuer = (template.template, template.per_issuer) if template else DEFAULT_TEMPLATES[kind]
    scope = issuer if per_issuer else ""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Counter.objects.get_or_create(kind=kind, scope=scope, year=year)
        except IntegrityError:
            pass
        counter = Counter.objects.select_for_update().get(kind=kind, scope=scope, year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        return text.format(year=year, seq=counter.last, issuer=issuer)


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def issue_document(
    *,
    kind: str,
    subject: models.Model,
    title: str,
    template: str,
    context: dict,
    actor: User | None,
    issuer: str = "",
    when: datetime | None = None,
) -> OfficialDocument:
    """Number, render and store a document as evidence; returns it with its attachment."""
    when = when or timezone.now()
    number = next_number(kind, year=timezone.localtime(when).year, issuer=issuer)
    pdf = render_pdf(template, {**context, "number": number, "issued_at": when, "title": title})
    attachment = store_attachment(pdf, name=f"{title}-{number}.pdf", actor=actor)
    return OfficialDocument.objects.create(
        kind=kind, number=number, title=title, subject_type=subject._meta.model_name, subject_id=subject.pk,
        attachment=attachment, issued_by=actor, issued_at=when,
    )
