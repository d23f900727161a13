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
from parcelwatch.lib.queries import PreparedSelect
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


def _network(ip: str) -> str:
    """Where attempts come from: an IPv4 address, or an IPv6 /64 (one host commonly holds a whole /64)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    return str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else ip


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    ip = _network(ip)
    return [(f"user:{username.lower()[:150]}|{ip}", settings.LOGIN_FAILURE_LIMIT),
            (f"ip:{ip}", settings.LOGIN_IP_FAILURE_LIMIT)]


def _reserve_attempt(username: str, ip: str, extra: list[tuple[str, int]] | None = None) -> tuple[datetime | None,
                                                                                                   int]:
    """Count this attempt as a failure before the password is checked (undone on success).

    Returns (locked until, attempts left). Because the count and the lock are taken under a row lock
    before any password is checked, parallel guesses can never check more passwords than the limit.
    `extra` keys are counted too (the second step's per-account count, from any address).
    """
    now = timezone.now()
    with transaction.atomic():
        rows = [(_throttle_row(key), limit) for key, limit in _keys(username, ip) + (extra or [])]
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


# --- two-factor authentication (TOTP) ------------------------------------------------------------------------


def two_factor_enabled(user: User) -> bool:
    from .models import TwoFactor

    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def start_two_factor(user: User):
    """A new secret to show to the user's authenticator app; not in force until a first code confirms it."""
    from parcelwatch.lib.totp import new_secret

    from .models import TwoFactor

    with transaction.atomic():
        factor = TwoFactor.objects.select_for_update().filter(user=user).first()
        if factor is not None and factor.confirmed_at is not None:
            raise ValidationError(_("Two-step login is already on. Turn it off first to set up another "
                                    "authenticator."))
        if factor is None:
            factor = TwoFactor.objects.create(user=user, secret=new_secret())
        else:
            factor.secret, factor.last_step = new_secret(), 0
            factor.save(update_fields=["secret", "last_step"])
    return factor


def _use_code(user: User, code: str, *, confirmed: bool) -> bool:
    """Accept the code once (never a code of a step already used), under a lock on the user's authenticator."""
    from parcelwatch.lib.totp import matching_step

    from .models import TwoFactor

    with transaction.atomic():
        factor = TwoFactor.objects.select_for_update().filter(
            user=user, confirmed_at__isnull=not confirmed).first()
        if factor is None:
            return False
        step = matching_step(factor.secret, code)
        if step is None or step <= factor.last_step:
            return False
        factor.last_step = step
        fields = ["last_step"]
        if not confirmed:
            factor.confirmed_at = timezone.now()
            fields.append("confirmed_at")
        factor.save(update_fields=fields)
    return True


def _end_other_access(user: User, keep_session: str | None) -> None:
    """A change of how the account logs in ends every other session and every API token (an intruder's too)."""
    from django.contrib.sessions.models import Session

    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep_session and session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
    ApiToken.objects.filter(user=user).delete()


def confirm_two_factor(user: User, code: str, *, request: HttpRequest | None = None) -> None:
    try:
        _checked_code(user, code, request, confirmed=False)
    except AuthenticationFailed as exc:
        raise ValidationError({"code": exc.message}) from None
    _end_other_access(user, getattr(getattr(request, "session", None), "session_key", None))


def disable_two_factor(user: User, code: str, *, password: str, request: HttpRequest | None = None) -> None:
    """Off only with the password and a current code: a stolen session alone cannot turn it off."""
    from .models import TwoFactor

    if not user.check_password(password or ""):
        raise ValidationError({"password": _("The password is wrong.")})
    try:
        _checked_code(user, code, request, confirmed=True)
    except AuthenticationFailed as exc:
        raise ValidationError({"code": exc.message}) from None
    TwoFactor.objects.filter(user=user).delete()
    _end_other_access(user, getattr(getattr(request, "session", None), "session_key", None))


def _account_key(user: User) -> list[tuple[str, int]]:
    """Wrong codes counted for the account from any address: whoever tries codes holds the password already."""
    return [(f"2fa-account:{user.pk}", settings.LOGIN_FAILURE_LIMIT * 2)]


def _checked_code(user: User, code: str, request: HttpRequest | None, *, confirmed: bool) -> None:
    """A code checked under the login throttle (per username and address, per address, and per account)."""
    name, ip = f"2fa:{user.username}", client_ip(request)
    locked_until, left = _reserve_attempt(name, ip, _account_key(user))
    if locked_until is not None:
        raise AuthenticationFailed(_locked_message(locked_until), locked=True)
    if not _use_code(user, code, confirmed=confirmed):
        keys = [key for key, _limit in _keys(name, ip) + _account_key(user)]
        until = max(LoginThrottle.objects.filter(key__in=keys, locked_until__isnull=False)
                    .values_list("locked_until", flat=True), default=None)
        if until and until > timezone.now():
            raise AuthenticationFailed(_locked_message(until), locked=True)
        raise AuthenticationFailed(str(_("Wrong or expired code. %(remaining)d attempts left before logging in is "
                                         "locked.") % {"remaining": left}))
    _succeeded(name, ip)
    LoginThrottle.objects.filter(key=_account_key(user)[0][0]).delete()


def check_second_factor(user: User, code: str, *, request: HttpRequest | None = None) -> None:
    """The second step of a login."""
    _checked_code(user, code, request, confirmed=True)


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


# Every API request looks its token up: compiled once (a key hash is unique).
_TOKEN_BY_HASH = PreparedSelect(lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash), str)


def token_for_key(key: str) -> ApiToken | None:
    """The live token for a key: not expired, its user active, issued under the user's current password."""
    if not key or len(key) > 200:
        return None
    token = _TOKEN_BY_HASH.one(ApiToken.hash_key(key))
    if token is None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.password_fingerprint, _fingerprint(token.user)):
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
