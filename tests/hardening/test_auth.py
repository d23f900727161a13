"""Authentication: one lockout for every door, fair to the account's owner, safe under parallel guesses."""

import threading
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import authenticate as django_authenticate
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from parcelwatch.accounts.models import ApiToken, Membership, MembershipChange, Role
from parcelwatch.accounts.services import AuthenticationFailed, authenticate_user, issue_api_token
from tests.factories import PASSWORD


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_admin_login_goes_through_the_platform_login(client, cast, settings):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    for _ in range(20):
        _login(client, "sysadmin", "wrong")
    response = _login(client, "sysadmin", PASSWORD)
    assert "_auth_user_id" not in client.session and "锁定" in response.content.decode()
    assert client.post("/admin/login/", {"username": "sysadmin", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_stranger_cannot_lock_the_owner_out(client, cast, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, "city_leader", "guess", ip="203.0.113.9")
    assert "锁定" in _login(client, "city_leader", PASSWORD, ip="203.0.113.9").content.decode()
    response = _login(client, "city_leader", PASSWORD, ip="10.1.1.1")  # the leader, from the office
    assert response.status_code == 302


def test_lockout_grows_with_each_round_of_failures(client, cast, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _login(client, "city_officer", "wrong")
        traveller.shift(60 * (settings.LOGIN_LOCKOUT_MINUTES + 1))
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _login(client, "city_officer", "wrong")
        traveller.shift(60 * (settings.LOGIN_LOCKOUT_MINUTES + 1))  # the second lock is twice as long
        assert "锁定" in _login(client, "city_officer", PASSWORD).content.decode()
        traveller.shift(60 * (settings.LOGIN_LOCKOUT_MINUTES + 1))
        assert _login(client, "city_officer", PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_check_no_more_passwords_than_the_limit(cast, settings):
    checked = []
    lock = threading.Lock()

    def counting_authenticate(*args, **kwargs):
        with lock:
            checked.append(1)
        return django_authenticate(*args, **kwargs)

    def guess():
        try:
            authenticate_user("city_officer", "wrong", request=None)
        except AuthenticationFailed:
            pass
        finally:
            connection.close()

    with mock.patch("parcelwatch.accounts.services.authenticate", counting_authenticate):
        threads = [threading.Thread(target=guess) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(checked) <= settings.LOGIN_FAILURE_LIMIT


def test_token_endpoint_is_rate_limited_per_address(client, cast, settings):
    settings.API_TOKEN_RATE_PER_MINUTE = 3
    codes = [client.post("/api/v1/auth/token", {"username": f"u{i}", "password": "x"},
                         content_type="application/json", REMOTE_ADDR="198.51.100.7").status_code for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    other = client.post("/api/v1/auth/token", {"username": "city_officer", "password": PASSWORD},
                        content_type="application/json", REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200


def test_tokens_end_with_the_password_and_the_account(client, cast):
    key, _token = issue_api_token(cast.city_officer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/me", **headers).status_code == 200
    cast.city_officer.set_password("Another@2026x")
    cast.city_officer.save()
    assert client.get("/api/v1/me", **headers).status_code == 401
    key, _token = issue_api_token(cast.city_officer)
    cast.city_officer.is_active = False
    cast.city_officer.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_token_can_revoke_itself_and_defaults_to_a_short_life(client, cast, settings):
    response = client.post("/api/v1/auth/token", {"username": "city_officer", "password": PASSWORD},
                           content_type="application/json")
    key = response.json()["token"]
    token = ApiToken.objects.get()
    assert (token.expires_at - timezone.now()).days <= settings.API_TOKEN_DAYS <= 7
    assert client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 204
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_profile_creates_shows_once_and_revokes_tokens(client, cast):
    client.force_login(cast.zto_safety)
    client.post(reverse("accounts:token_create"), {"name": "企业系统对接", "days": "30"})
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="new-token"' in body and "企业系统对接" in body
    assert 'data-testid="new-token"' not in client.get(reverse("accounts:profile")).content.decode()
    token = ApiToken.objects.get(user=cast.zto_safety)
    client.force_login(cast.hanjiang_officer)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    client.force_login(cast.zto_safety)
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_api_docs_link_only_for_roles_that_use_the_api(client, cast):
    client.force_login(cast.sysadmin)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="api-docs"' not in body and "/api/v1/docs" not in client.get("/").content.decode()
    client.force_login(cast.police_partner)
    assert 'data-testid="api-docs"' in client.get(reverse("accounts:profile")).content.decode()


def test_change_my_password(client, cast):
    client.force_login(cast.hanjiang_grid)
    key, _token = issue_api_token(cast.hanjiang_grid)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "wrong", "new_password": "Grid@Worker2026", "new_password_again": "Grid@Worker2026"})
    assert "当前密码不正确" in response.content.decode()
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password": "123", "new_password_again": "123"})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password": "Grid@Worker2026", "new_password_again": "Grid@Worker2026"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200  # still logged in
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_an_admin_cannot_change_their_own_roles_and_changes_are_recorded(client, cast):
    cast.sysadmin.is_staff = cast.sysadmin.is_superuser = True
    cast.sysadmin.save()
    client.force_login(cast.sysadmin)
    url = reverse("admin:accounts_user_change", args=[cast.sysadmin.pk])
    body = client.get(url).content.decode()
    assert 'name="memberships-TOTAL_FORMS"' not in body or 'name="memberships-0-role"' not in body
    data = {"username": "sysadmin", "full_name": "x", "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0", "memberships-0-role": Role.CITY_LEADER,
            "memberships-0-jurisdiction": cast.city.pk, "memberships-0-user": cast.sysadmin.pk}
    client.post(url, data)
    assert not Membership.objects.filter(user=cast.sysadmin, role=Role.CITY_LEADER).exists()
    # Another administrator can, and it is on the record.
    other = Membership.objects.create(user=cast.nobody, role=Role.ADMIN, jurisdiction=cast.city).user
    other.is_staff = other.is_superuser = True
    other.save()
    client.force_login(other)
    page = client.get(url)
    assert page.status_code == 200
    form_data = {"username": "sysadmin", "full_name": "sysadmin", "email": "", "is_active": "on", "is_staff": "on",
                 "is_superuser": "on", "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
                 "date_joined_1": "00:00:00",
                 "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "1", "memberships-MIN_NUM_FORMS": "0",
                 "memberships-MAX_NUM_FORMS": "1000",
                 "memberships-0-id": Membership.objects.get(user=cast.sysadmin).pk,
                 "memberships-0-user": cast.sysadmin.pk, "memberships-0-role": Role.ADMIN,
                 "memberships-0-jurisdiction": cast.city.pk, "memberships-0-partner_department": "",
                 "memberships-1-user": cast.sysadmin.pk, "memberships-1-role": Role.CITY_LEADER,
                 "memberships-1-jurisdiction": cast.city.pk, "memberships-1-partner_department": "",
                 "membership_changes-TOTAL_FORMS": "0", "membership_changes-INITIAL_FORMS": "0",
                 "membership_changes-MIN_NUM_FORMS": "0", "membership_changes-MAX_NUM_FORMS": "1000"}
    response = client.post(url, form_data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = MembershipChange.objects.get(user=cast.sysadmin)
    assert change.actor == other and change.role == Role.CITY_LEADER and change.action == "grant"
