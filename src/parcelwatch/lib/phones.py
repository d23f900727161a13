"""Chinese phone numbers as clerks type them: mobiles, landlines with area codes, and the
landlines whose leading zero a spreadsheet dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .text import clean_text, is_ascii_digits, normalise_identifier

DEFAULT_AREA_CODE = "0594"  # Putian
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 3 digits (010, 02x) or 4 digits (0xxx); local numbers 7 or 8 digits; optional extension.
LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})(?:-(\d{1,6}))?$")


@dataclass(frozen=True)
class Phone:
    value: str
    note: str = ""  # what was repaired, for the preview


def parse_phone(raw: str | None, *, area_code: str = DEFAULT_AREA_CODE) -> Phone:
    """Normalise a phone; raises ValidationError with the reason when it cannot be a Chinese number."""
    text = normalise_identifier(raw or "", upper=False)
    shown = clean_text(raw or "", multiline=False)[:40]  # echoed in the error: never control characters or a novel
    if not text:
        return Phone("")
    if text.endswith(".0"):  # a number cell read as a float
        text = text[:-2]
    text = text.removeprefix("+86").removeprefix("0086")
    text = re.sub(r"[()（）\s]", "", text)
    # Keep an extension's separator; other separators between digit groups go.
    ext = ""
    for sep in ("转", "ext", "EXT", "#"):
        if sep in text:
            text, ext = text.split(sep, 1)
            break
    digits = re.sub(r"[-－—.·]", "", text)
    if not is_ascii_digits(digits):
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": shown})
    ext = re.sub(r"\D", "", ext)
    suffix = f"-{ext}" if ext else ""
    if MOBILE.match(digits):
        return Phone(digits)
    m = LANDLINE.match(digits)
    if m:
        return Phone(f"{m.group(1)}-{m.group(2)}{suffix}")
    if LANDLINE.match("0" + digits):
        m = LANDLINE.match("0" + digits)
        return Phone(f"{m.group(1)}-{m.group(2)}{suffix}",
                     note=_("The leading 0 of the area code was missing and has been restored."))
    if len(digits) in (7, 8):
        return Phone(f"{area_code}-{digits}{suffix}",
                     note=_("No area code: %(code)s was added.") % {"code": area_code})
    if len(digits) == 11 and digits.startswith("1"):
        raise ValidationError(_("“%(value)s” is not a valid mobile number.") % {"value": shown})
    raise ValidationError(
        _("“%(value)s” is neither an 11-digit mobile number nor a landline with its area code.") % {"value": shown}
    )
