"""A simple challenge against bots on the public report form: a sum to work out, signed so the server keeps no
state, that must be answered no sooner than a person could and no later than an hour; and a field people never
see, which bots fill in."""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.core import signing

from parcelwatch.lib.text import is_ascii_digits

SALT = "parcelwatch.tipoffs.challenge"
MAX_SECONDS = 3600


def new_challenge() -> tuple[str, str]:
    """(question, token)"""
    a, b = random.randint(2, 9), random.randint(2, 9)
    return f"{a} + {b} = ?", signing.dumps({"s": a + b, "t": int(time.time())}, salt=SALT)


def passed(token: str, answer: str, honeypot: str) -> bool:
    if honeypot:
        return False
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_SECONDS)
    except signing.BadSignature:
        return False
    if time.time() - data.get("t", 0) < settings.PUBLIC_REPORT_MIN_SECONDS:
        return False
    answer = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return is_ascii_digits(answer) and len(answer) < 4 and int(answer) == data.get("s")
