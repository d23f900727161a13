"""Day-numbered records (TF20261129001, YS20261129001): the day's next number, safe when two are created at once."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _


def _next_number(model: type[models.Model], prefix: str) -> str:
    last = model.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
    seq = int(last[0][len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def create_numbered(model: type[models.Model], letters: str, when: datetime, **fields) -> models.Model:
    """Create the row under the day's next `number` (letters + yyyymmdd + sequence); a clash with a row created in
    the same instant takes the number after it. Any other database error is raised as it is."""
    prefix = f"{letters}{timezone.localtime(when):%Y%m%d}"
    for _attempt in range(10):
        number = _next_number(model, prefix)
        try:
            with transaction.atomic():
                return model.objects.create(number=number, **fields)
        except IntegrityError:
            if not model.objects.filter(number=number).exists():
                raise  # not the number: a real error, not a race
    raise ValidationError(_("Too many are being sent at this moment. Send it again."))
