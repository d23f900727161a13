"""Field-level versions of registry records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from parcelwatch.accounts.models import User

from .models import ChangeRecord


def _display(obj: models.Model, name: str) -> str:
    custom = getattr(type(obj), "VERSION_DISPLAY", {}).get(name)
    if custom is not None:
        return custom(obj)
    field = obj._meta.get_field(name)
    if field.many_to_many:
        if obj.pk is None:
            return ""
        return "、".join(sorted(str(o) for o in getattr(obj, name).all()))
    value = getattr(obj, name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def snapshot(obj: models.Model) -> dict[str, str]:
    return {name: _display(obj, name) for name in obj.VERSIONED_FIELDS}


def record_change(
    obj: models.Model, *, actor: User | None, before: dict[str, str] | None, action: str, note: str = ""
) -> ChangeRecord | None:
    """Store what changed since `before` (None for a new record). Returns None when nothing changed."""
    after = snapshot(obj)
    before = before or {}
    changes = {k: [before.get(k, ""), v] for k, v in after.items() if before.get(k, "") != v}
    if not changes and before:
        return None
    from .selectors import registry_changed

    transaction.on_commit(registry_changed)
    return ChangeRecord.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        action=action,
        actor=actor,
        changes=changes,
        note=note,
    )


def history(obj: models.Model) -> list[dict]:
    """Versions newest first, with field labels, ready for display."""
    labels = {f.name: f.verbose_name for f in obj._meta.get_fields() if hasattr(f, "verbose_name")}
    sensitive = set(getattr(obj, "SENSITIVE_FIELDS", ()))
    rows = []
    for rec in ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).select_related("actor"):
        rows.append(
            {
                "record": rec,
                "changes": [
                    {"field": name, "label": labels.get(name, name), "before": b, "after": a,
                     "sensitive": name in sensitive}
                    for name, (b, a) in rec.changes.items()
                ],
            }
        )
    return rows
