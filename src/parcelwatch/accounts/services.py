"""Accounts services: authentication with lockout, API tokens, the jurisdiction tree."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Jurisdiction, LoginFailure, User


class AuthenticationFailed(Exception):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def _recent_failures(username: str) -> int:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return LoginFailure.objects.filter(username__iexact=username, at__gte=since).count()


def is_locked_out(username: str) -> bool:
    return _recent_failures(username) >= settings.LOGIN_FAILURE_LIMIT


def authenticate_user(username: str, password: str, *, request: HttpRequest | None = None) -> User:
    """Check a username and password, counting failures; raises AuthenticationFailed."""
    username = (username or "").strip()
    if is_locked_out(username):
        raise AuthenticationFailed(
            str(
                _("Too many failed attempts. This account is locked for %(minutes)d minutes.")
                % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
            ),
            locked=True,
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        LoginFailure.objects.create(username=username[:150], ip_address=ip)
        remaining = settings.LOGIN_FAILURE_LIMIT - _recent_failures(username)
        if remaining <= 0:
            raise AuthenticationFailed(
                str(
                    _("Too many failed attempts. This account is locked for %(minutes)d minutes.")
                    % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
                ),
                locked=True,
            )
        raise AuthenticationFailed(
            str(
                _("Wrong username or password. %(remaining)d attempts left before the account is locked.")
                % {"remaining": remaining}
            )
        )
    LoginFailure.objects.filter(username__iexact=username).delete()
    return user


def issue_api_token(user: User) -> tuple[str, ApiToken]:
    """Create a bearer token; only its hash is kept, so the key is returned once."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    return key, token


def user_for_api_token(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


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
