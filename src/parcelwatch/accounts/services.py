"""Accounts services: authentication with throttling, rate limits, API tokens, passwords, memberships."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.net import client_ip
from parcelwatch.lib.text import clean_text

from .models import (
    ApiToken,
    Jurisdiction,
    LoginFailure,
    LoginThrottle,
    Membership,
    MembershipChange,
    RateBucket,
    User,
)


class AuthenticationFailed(Exception):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


# --- login throttling --------------------------------------------------------------------------------------------

THROTTLE_RESET = timedelta(hours=24)
MAX_LOCK = timedelta(hours=24)


def _throttle_row(key: str) -> LoginThrottle:
    """The row for `key`, locked for this transaction (created if new)."""
    try:
        with transaction.atomic():
            LoginThrottle.objects.get_or_create(key=key)
    except IntegrityError:
        pass  # created by a concurrent attempt
    return LoginThrottle.objects.select_for_update().get(key=key)


def _lock_length(failures: int, limit: int) -> timedelta:
    rounds = failures // limit
    return min(timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES) * 2 ** max(rounds - 1, 0), MAX_LOCK)


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    return [(f"user:{username.lower()[:150]}|{ip}", settings.LOGIN_FAILURE_LIMIT),
            (f"ip:{ip}", settings.LOGIN_IP_FAILURE_LIMIT)]


def _reserve_attempt(username: str, ip: str) -> tuple[datetime | None, int]:
    """Count this attempt as a failure before the password is checked (undone on success).

    Returns (locked until, attempts left). Because the count and the lock are taken under a row lock
    before any password is checked, parallel guesses can never check more passwords than the limit.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = [(_throttle_row(key), limit) for key, limit in _keys(username, ip)]
        for row, _limit in rows:
            if row.last_failure_at and now - row.last_failure_at > THROTTLE_RESET:
                row.failures, row.locked_until = 0, None
            if row.locked_until and row.locked_until > now:
                return row.locked_until, 0
        for row, limit in rows:
            row.failures += 1
            row.last_failure_at = now
            if row.failures % limit == 0:
                row.locked_until = now + _lock_length(row.failures, limit)
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])
    pair, pair_limit = rows[0]
    return None, (pair_limit - pair.failures % pair_limit) % pair_limit


def _succeeded(username: str, ip: str) -> None:
    pair, address = _keys(username, ip)
    with transaction.atomic():
        LoginThrottle.objects.filter(key=pair[0]).delete()
        row = LoginThrottle.objects.select_for_update().filter(key=address[0]).first()
        if row is not None:
            row.failures = max(row.failures - 1, 0)
            if row.failures % address[1] != 0 or row.failures == 0:
                row.locked_until = None
            row.save(update_fields=["failures", "locked_until"])


def _locked_message(until: datetime) -> str:
    return str(_("Too many failed attempts. Logging in from here is locked until %(time)s.")
               % {"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")})


def is_locked_out(username: str, ip: str = "") -> bool:
    now = timezone.now()
    return LoginThrottle.objects.filter(key__in=[k for k, _limit in _keys(username, ip)],
                                        locked_until__gt=now).exists()


def authenticate_user(username: str, password: str, *, request: HttpRequest | None = None) -> User:
    """Check a username and password, throttled by (username, address) and by address."""
    username = clean_text(username or "", multiline=False)[:150]
    ip = client_ip(request)
    locked_until, left = _reserve_attempt(username, ip)
    if locked_until is not None:
        raise AuthenticationFailed(_locked_message(locked_until), locked=True)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=username, ip_address=ip or None)
        until = LoginThrottle.objects.filter(key=_keys(username, ip)[0][0]).values_list("locked_until", flat=True)
        until = until.first()
        if until and until > timezone.now():
            raise AuthenticationFailed(_locked_message(until), locked=True)
        raise AuthenticationFailed(
            str(
                _("Wrong username or password. %(remaining)d attempts left before the account is locked.")
                % {"remaining": left}
            )
        )
    _succeeded(username, ip)
    return user


# --- rate limits -------------------------------------------------------------------------------------------------


def rate_limited(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one request for `key`; True when it is over `limit` in the current window."""
    now = timezone.now()
    start = datetime.fromtimestamp(int(now.timestamp()) // window_seconds * window_seconds, tz=UTC)
    key = key[:200]
    with transaction.atomic():
        updated = RateBucket.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateBucket.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:
                RateBucket.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        count = RateBucket.objects.filter(key=key, window_start=start).values_list("count", flat=True).first() or 0
    return count > limit


def forget_old_rate_buckets(*, older_than: timedelta = timedelta(days=1)) -> int:
    return RateBucket.objects.filter(window_start__lt=timezone.now() - older_than).delete()[0]


# --- API tokens --------------------------------------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    return salted_hmac("parcelwatch.api-token", user.password, algorithm="sha256").hexdigest()


def issue_api_token(user: User, *, days: int | None = None, name: str = "") -> tuple[str, ApiToken]:
    """Create a bearer token; only its hash is kept, so the key is returned once."""
    days = days or settings.API_TOKEN_DAYS
    days = max(1, min(days, settings.API_TOKEN_MAX_DAYS))
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:64],
        key_hash=ApiToken.hash_key(key),
        password_fingerprint=_fingerprint(user),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return key, token


def token_for_key(key: str) -> ApiToken | None:
    """The live token for a key: not expired, its user active, issued under the user's current password."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.password_fingerprint, _fingerprint(token.user)):
        return None
    return token


def user_for_api_token(key: str) -> User | None:
    token = token_for_key(key)
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user._pw_api_token_id = token.pk
    return token.user


def revoke_api_token(token: ApiToken, *, actor: User) -> None:
    if token.user_id != actor.pk:
        raise PermissionError("Only the owner revokes a token.")
    token.delete()


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).order_by("-created_at")


# --- passwords ---------------------------------------------------------------------------------------------------


def change_password(user: User, *, old_password: str, new_password: str) -> None:
    """Change one's own password; every API token issued under the old one stops working."""
    from django.contrib.auth.password_validation import validate_password

    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not correct.")})
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])


# --- memberships -------------------------------------------------------------------------------------------------


def record_membership_change(*, actor: User | None, membership: Membership, action: str, detail: str = "") -> None:
    MembershipChange.objects.create(
        actor=actor, user=membership.user, action=action, role=membership.role,
        jurisdiction=membership.jurisdiction,
        enterprise_name=membership.enterprise.name if membership.enterprise_id else "", detail=detail[:255],
    )


@transaction.atomic
def upsert_jurisdiction(
    *,
    code: str,
    name: str,
    level: str,
    parent: Jurisdiction | None,
    lng: float | None = None,
    lat: float | None = None,
    sort_order: int = 0,
    bounds: list[float] | None = None,
    map_name: str = "",
    map_script: str = "",
) -> Jurisdiction:
    """Create or update a node; its path follows from its parent."""
    path = (parent.path if parent else "") + f"{code}/"
    node, _created = Jurisdiction.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "level": level,
            "parent": parent,
            "path": path,
            "lng": lng,
            "lat": lat,
            "sort_order": sort_order,
            "bounds": bounds,
            "map_name": map_name,
            "map_script": map_script,
        },
    )
    return node
