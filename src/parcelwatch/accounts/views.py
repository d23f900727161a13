from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from parcelwatch.lib.forms import add_service_errors, posted

from .access import has_permission, memberships, user_permissions, valid_pk
from .forms import CodeForm, LoginForm, PasswordChangeForm, TokenForm, TwoFactorOffForm
from .permissions import API_USE
from .services import (
    AuthenticationFailed,
    authenticate_user,
    change_password,
    check_second_factor,
    confirm_two_factor,
    disable_two_factor,
    issue_api_token,
    revoke_api_token,
    start_two_factor,
    tokens_of,
    two_factor_enabled,
)

PENDING = "pw_2fa_pending"  # the user who gave the right password and still owes the code
PENDING_SECONDS = 300


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = LoginForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate_user(
                form.cleaned_data["username"], form.cleaned_data["password"], request=request
            )
        except AuthenticationFailed as exc:
            form.add_error(None, exc.message)
        else:
            if two_factor_enabled(user):
                request.session.cycle_key()
                request.session[PENDING] = {"user": user.pk, "backend": user.backend, "next": next_url,
                                            "at": int(time.time())}
                return redirect("accounts:login_code")
            login(request, user)
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step for users with two-step login on: the code of their authenticator app."""
    from .models import User

    pending = request.session.get(PENDING) or {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.error(request, _("Log in again: the step with the code was not finished within five minutes."))
        return redirect("accounts:login")
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            check_second_factor(user, form.cleaned_data["code"], request=request)
        except AuthenticationFailed as exc:
            form.add_error("code", exc.message)
            if exc.locked:
                request.session.pop(PENDING, None)
        else:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            return redirect(pending.get("next") or "home")
    return render(request, "accounts/login_code.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    uses_api = has_permission(request.user, API_USE)
    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": memberships(request.user), "permissions": sorted(user_permissions(request.user)),
            "uses_api": uses_api, "tokens": tokens_of(request.user) if uses_api else [],
            "token_form": TokenForm() if uses_api else None,
            "new_token": request.session.pop("pw_new_token", None),
            "two_factor": two_factor_enabled(request.user),
        },
    )


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-step login on (scan the QR code, confirm with a first code) or off (with a current code)."""
    import segno

    from parcelwatch.lib.totp import provisioning_uri

    enabled = two_factor_enabled(request.user)
    form = (TwoFactorOffForm if enabled else CodeForm)(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if enabled:
                disable_two_factor(request.user, form.cleaned_data["code"], password=form.cleaned_data["password"],
                                   request=request)
            else:
                confirm_two_factor(request.user, form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Two-step login is off.") if enabled else
                             _("Two-step login is on: from now on, logging in also asks for the app's code."))
            return redirect("accounts:profile")
    context = {"form": form, "enabled": enabled}
    if not enabled:
        from .models import TwoFactor

        factor = TwoFactor.objects.filter(user=request.user, confirmed_at__isnull=True).first()
        if factor is None or request.method == "GET":
            try:
                factor = start_two_factor(request.user)  # a fresh secret each time the page is opened
            except ValidationError:  # turned on in another tab a moment ago
                return redirect("accounts:profile")
        uri = provisioning_uri(factor.secret, account=request.user.username, issuer="寄递安全监管指挥平台")
        context.update(secret=" ".join(factor.secret[i:i + 4] for i in range(0, len(factor.secret), 4)),
                       qr=segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for the authenticator")))
    return render(request, "accounts/two_factor.html", context)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, API_USE):
        raise PermissionDenied
    form = TokenForm(request.POST)
    if form.is_valid():
        key, token = issue_api_token(request.user, days=form.cleaned_data["days"], name=form.cleaned_data["name"])
        # Shown once, on the next page; only its hash is kept.
        request.session["pw_new_token"] = {"key": key, "name": token.name,
                                           "expires_at": token.expires_at.isoformat()}
        messages.success(request, _("Token created. Copy it now: it is shown only once."))
    else:
        messages.error(request, _("The token was not created: give it a name."))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens_of(request.user).filter(pk=valid_pk(pk) or 0).first()
    if token is None:
        raise Http404
    revoke_api_token(token, actor=request.user)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name or token.pk})
    return redirect("accounts:profile")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            change_password(request.user, old_password=form.cleaned_data["old_password"],
                            new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                form.add_error("new_password", exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed. Your API tokens no longer work; create new "
                                        "ones if you need them."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})
