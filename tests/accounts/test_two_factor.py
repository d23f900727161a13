"""Optional two-step login with an authenticator app (TOTP, RFC 6238)."""

import time

import pytest
import time_machine

from parcelwatch.accounts.models import TwoFactor
from parcelwatch.accounts.services import confirm_two_factor, start_two_factor
from parcelwatch.lib import totp
from tests.factories import PASSWORD

# RFC 6238 appendix B, SHA-1: the secret "12345678901234567890" and its 8-digit codes.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(("at", "code"), [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"),
                                          (2000000000, "69279037")])
def test_codes_match_the_standards_test_vectors(at, code):
    assert totp.code_at(RFC_SECRET, at // 30, digits=8) == code


def _enable(user):
    factor = start_two_factor(user)
    confirm_two_factor(user, totp.code_at(factor.secret, totp.current_step()))
    return TwoFactor.objects.get(user=user)


def _login(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_an_officer_turns_it_on_from_the_profile_and_then_logs_in_with_a_code(cast, client):
    client.force_login(cast.hanjiang_officer)
    page = client.get("/accounts/profile/two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content
    secret = TwoFactor.objects.get(user=cast.hanjiang_officer).secret
    wrong = client.post("/accounts/profile/two-factor/", {"code": "000000"})
    assert wrong.status_code == 200 and "验证码" in wrong.content.decode()
    assert client.post("/accounts/profile/two-factor/",
                       {"code": totp.code_at(secret, totp.current_step())}).status_code == 302
    assert TwoFactor.objects.get(user=cast.hanjiang_officer).confirmed_at is not None
    client.logout()

    # The password alone no longer logs in: the code is asked for.
    response = _login(client, "hanjiang_officer")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert client.get("/").status_code == 302  # not logged in yet
    assert client.post("/accounts/login/code/", {"code": "123456"}).status_code == 200
    with time_machine.travel(time.time() + 30):
        code = totp.code_at(secret, totp.current_step())
        assert client.post("/accounts/login/code/", {"code": code}).status_code == 302
        assert client.get("/").status_code == 200
        # The same code is never accepted twice (a code seen over a shoulder).
        client.logout()
        _login(client, "hanjiang_officer")
        page = client.post("/accounts/login/code/", {"code": code})
        assert page.status_code == 200 and "验证码错误或已过期" in page.content.decode()


def test_the_code_step_expires_and_wrong_codes_lock_it(cast, client, settings):
    _enable(cast.city_officer)
    _login(client, "city_officer")
    with time_machine.travel(time.time() + 600):  # five minutes to give the code
        assert client.get("/accounts/login/code/").status_code == 302
    _login(client, "city_officer")
    answers = [client.post("/accounts/login/code/", {"code": "000000"})
               for _attempt in range(settings.LOGIN_FAILURE_LIMIT)]
    assert all(a.status_code == 200 for a in answers)
    assert "已锁定至" in answers[-1].content.decode()
    assert client.get("/accounts/login/code/").status_code == 302  # start again, once the lock has passed
    _login(client, "licheng_officer")  # without two-step login: straight in
    assert client.get("/").status_code == 200


def test_the_api_needs_the_code_too(cast, client):
    factor = _enable(cast.city_officer)
    body = {"username": "city_officer", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", body, content_type="application/json").status_code == 401
    with time_machine.travel(time.time() + 30):
        code = totp.code_at(factor.secret, totp.current_step())
        response = client.post("/api/v1/auth/token", {**body, "otp": code}, content_type="application/json")
    assert response.status_code == 200 and response.json()["token"]


def test_it_is_turned_off_only_with_the_password_and_a_current_code(cast, client):
    factor = _enable(cast.city_officer)
    client.force_login(cast.city_officer)
    assert "两步登录" in client.get("/accounts/profile/").content.decode()
    with time_machine.travel(time.time() + 30):
        code = totp.code_at(factor.secret, totp.current_step())
        page = client.post("/accounts/profile/two-factor/", {"code": code, "password": "wrong"})
        assert page.status_code == 200 and TwoFactor.objects.filter(user=cast.city_officer).exists()
        assert client.post("/accounts/profile/two-factor/", {"code": code, "password": PASSWORD}).status_code == 302
    assert not TwoFactor.objects.filter(user=cast.city_officer).exists()


def test_guessing_codes_locks_the_account_whatever_the_address(cast, client, settings):
    _enable(cast.city_officer)
    for n in range(settings.LOGIN_FAILURE_LIMIT * 2):
        client.post("/accounts/login/", {"username": "city_officer", "password": PASSWORD},
                    REMOTE_ADDR=f"2001:db8:{n}::1")  # each from another /64
        client.post("/accounts/login/code/", {"code": "000000"}, REMOTE_ADDR=f"2001:db8:{n}::1")
    client.post("/accounts/login/", {"username": "city_officer", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    page = client.post("/accounts/login/code/", {"code": "000000"}, REMOTE_ADDR="203.0.113.9")
    assert "已锁定至" in page.content.decode()


def test_turning_it_on_ends_other_sessions_and_tokens(cast, client):
    from django.test import Client

    from parcelwatch.accounts.services import issue_api_token

    elsewhere = Client()
    elsewhere.force_login(cast.hanjiang_officer)
    key = issue_api_token(cast.hanjiang_officer)[0]
    client.force_login(cast.hanjiang_officer)
    client.get("/accounts/profile/two-factor/")
    secret = TwoFactor.objects.get(user=cast.hanjiang_officer).secret
    assert client.post("/accounts/profile/two-factor/",
                       {"code": totp.code_at(secret, totp.current_step())}).status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert elsewhere.get("/").status_code == 302  # the other one is over
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
