"""A simple challenge against bots on the public report form.

A sum to work out: the token carries a nonce and a keyed hash of the answer (never the answer), signed so the
server keeps no state until it is used. It must be answered no sooner than a person could and within an hour, and
each token is used once, right or wrong: a bot cannot try the sums one by one. A field people never see catches
the bots that fill in every field.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from parcelwatch.lib.text import is_ascii_digits

SALT = "parcelwatch.tipoffs.challenge"
MAX_SECONDS = 3600


def _digest(nonce: str, answer: int) -> str:
    return salted_hmac(SALT, f"{nonce}:{answer}", algorithm="sha256").hexdigest()[:32]


def new_challenge() -> tuple[str, str]:
    """(question, token)"""
    a, b = random.randint(2, 9), random.randint(2, 9)
    nonce = secrets.token_hex(8)
    return f"{a} + {b} = ?", signing.dumps({"n": nonce, "h": _digest(nonce, a + b), "t": int(time.time())},
                                           salt=SALT)


def _data(token: str, honeypot: str) -> dict | None:
    """The challenge, if it came from a person: our own signature, not too fast, the hidden field left empty."""
    if honeypot:
        return None
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("t"), int):
        return None
    if time.time() - data["t"] < settings.PUBLIC_REPORT_MIN_SECONDS:
        return None
    return data


def nonce(token: str) -> str:
    """The token's nonce ("" for a token that is not ours): what a report remembers it was sent with."""
    try:
        data = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return ""
    return data.get("n", "") if isinstance(data, dict) and isinstance(data.get("n"), str) else ""


def plausible(token: str, honeypot: str) -> bool:
    """A person filled the form, even if the sum came out wrong: what they photographed is worth keeping."""
    return _data(token, honeypot) is not None


def use(token: str, answer: str, honeypot: str) -> bool:
    """Use the token up (whatever the answer) and say whether the answer was right. A token used before, or not
    ours, or answered too fast or too late, or with the hidden field filled in, is refused."""
    data = _data(token, honeypot)
    if data is None:
        return False
    try:
        from parcelwatch.accounts.models import RateBucket

        with transaction.atomic():
            RateBucket.objects.create(key=f"challenge:{data['n']}", count=1,
                                      window_start=datetime.fromtimestamp(data["t"], tz=UTC))
    except IntegrityError:
        return False  # used before
    answer = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return (is_ascii_digits(answer) and len(answer) < 4
            and constant_time_compare(data.get("h", ""), _digest(data["n"], int(answer))))
