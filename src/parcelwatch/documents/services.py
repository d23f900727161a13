"""Numbering and PDF generation of official documents."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import User
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.lib.queries import PreparedSelect, kept_cursor

from .models import Counter, DocumentKind, NumberTemplate, OfficialDocument

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATES = {
    DocumentKind.EVENT: ("SJ{year}{seq:05d}", False),
    DocumentKind.CASE: ("莆邮管案〔{year}〕{seq}号", False),
    DocumentKind.REMINDER_LETTER: ("{issuer}邮安提〔{year}〕{seq}号", True),
    DocumentKind.PENALTY_NOTICE: ("莆邮管告〔{year}〕{seq}号", False),
    DocumentKind.PENALTY_DECISION: ("莆邮管罚〔{year}〕{seq}号", False),
    DocumentKind.CIRCULAR: ("莆邮安通〔{year}〕{seq}号", False),
}


def template_problem(text: str, *, needs_issuer: bool = False) -> str | None:
    """Why a numbering template cannot be used (checked when the administrator saves it), or None."""
    import string

    if not text or not text.strip():
        return str(_("Enter a template."))
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return str(_("Braces must come in pairs around a placeholder: {year}, {seq} or {issuer}."))
    unknown = sorted({f for f in fields if f not in ("year", "seq", "issuer")})
    if unknown:
        return str(_("Unknown placeholder(s): %(names)s. Use {year}, {seq} and {issuer}.")
                   % {"names": "、".join("{" + f + "}" for f in unknown)})
    if "seq" not in fields:
        return str(_("The template must contain {seq}, or every document would get the same number."))
    try:
        sample = text.format(year=2019, seq=12, issuer="涵江")
    except (ValueError, IndexError, KeyError):
        return str(_("A placeholder's format is not valid (e.g. {seq:03d} pads the number to three digits)."))
    if len(sample) > 40:
        return str(_("Numbers made from this template would be too long."))
    if needs_issuer and "issuer" not in fields:
        return str(_("Numbering per district needs {issuer} in the template, or two districts would issue the "
                     "same number."))
    return None


# Read by every report: compiled once.
_TEMPLATE_OF_KIND = PreparedSelect(lambda kind: NumberTemplate.objects.filter(kind=kind), str)


def number_template(kind: str) -> tuple[str, bool]:
    """The administrator's template, or the default when the stored one cannot be used (never a failure)."""
    stored = _TEMPLATE_OF_KIND.one(str(kind))
    return usable_template(kind, stored.template if stored else None, stored.per_issuer if stored else False)


def usable_template(kind: str, text: str | None, per_issuer: bool) -> tuple[str, bool]:
    """A stored template as read (None: none stored), or the default when it cannot be used."""
    if text is None:
        return DEFAULT_TEMPLATES[kind]
    if template_problem(text, needs_issuer=bool(per_issuer)):
        logger.error("Numbering template for %s is unusable (%r); using the default.", kind, text)
        return DEFAULT_TEMPLATES[kind]
    return text, bool(per_issuer)


def _bump(kind: str, scope: str, year: int) -> int | None:
    """Add one to the counter and return its new value, in one statement (None: no counter yet).

    The row stays locked until the caller's transaction ends, so numbers are gapless: a transaction that rolls
    back gives its number back, and the next one waits for it."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    last = connection.ops.quote_name(Counter._meta.get_field("last").column)
    cursor = kept_cursor()
    cursor.execute(f"UPDATE {table} SET {last} = {last} + 1 WHERE kind = %s AND scope = %s AND year = %s "
                   f"RETURNING {last}", [kind, scope, year])
    row = cursor.fetchone()
    return row[0] if row else None


def next_number(kind: str, *, year: int, issuer: str = "", template: tuple[str, bool] | None = None) -> str:
    """The next number of a kind in a year; safe when several processes ask at once.

    Call it inside the transaction that records the number. `template`: what `number_template(kind)` gave, read
    earlier, so that the counter's row is locked for as short a time as possible."""
    text, per_issuer = template or number_template(kind)
    scope = issuer if per_issuer else ""
    seq = _bump(kind, scope, year)
    if seq is None:  # the first number of its kind this year
        try:
            with transaction.atomic():
                Counter.objects.create(kind=kind, scope=scope, year=year)
        except IntegrityError:
            pass  # another transaction created it first
        seq = _bump(kind, scope, year)
    return text.format(year=year, seq=seq, issuer=issuer)


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


def record_paper_document(
    *, kind: str, subject: models.Model, title: str, actor: User | None, issuer: str = "", when: datetime | None = None
) -> OfficialDocument:
    """Number a document whose original is on paper (imported history): listed like any other, without a file."""
    when = when or timezone.now()
    number = next_number(kind, year=timezone.localtime(when).year, issuer=issuer)
    return OfficialDocument.objects.create(
        kind=kind, number=number, title=title, subject_type=subject._meta.model_name, subject_id=subject.pk,
        attachment=None, paper_original=True, issued_by=actor, issued_at=when,
    )
