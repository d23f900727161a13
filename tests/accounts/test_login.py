import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from parcelwatch import settings as project_settings
from tests.factories import PASSWORD


def test_passwords_are_hashed_with_argon2_in_production_settings():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    from django.contrib.auth.hashers import Argon2PasswordHasher

    assert make_password("秘密", hasher=Argon2PasswordHasher()).startswith("argon2$")


def test_login_page_is_in_chinese(client, cast):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "寄递安全监管指挥平台" in body and "用户名" in body and "登录" in body


def test_login_with_right_password_goes_home(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "city_officer", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert "首页" in client.get(reverse("home")).content.decode()


def test_wrong_password_says_so_and_counts_down(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "city_officer", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误" in body and "再失败 4 次" in body


def test_account_locks_after_repeated_failures_even_with_right_password(client, cast, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "city_officer", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "city_officer", "password": PASSWORD})
    assert response.status_code == 200
    assert "已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_expires(client, cast, settings):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            client.post(reverse("accounts:login"), {"username": "city_officer", "password": "wrong"})
        traveller.shift(60 * (settings.LOGIN_LOCKOUT_MINUTES + 1))
        response = client.post(reverse("accounts:login"), {"username": "city_officer", "password": PASSWORD})
    assert response.status_code == 302


def test_next_parameter_cannot_send_users_elsewhere(client, cast):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/", {"username": "city_officer", "password": PASSWORD}
    )
    assert response.url == reverse("home")


def test_logout_needs_post_and_ends_the_session(client, cast):
    client.force_login(cast.city_officer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_profile_lists_roles_and_jurisdiction(client, cast):
    client.force_login(cast.zto_safety)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "企业安全员" in body and "涵江区" in body and "莆田市涵江区中通快递有限公司" in body


@pytest.mark.parametrize("url_name", ["home", "accounts:profile", "registry:site_list"])
def test_pages_need_login(client, cast, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_english_only_when_chosen(client, cast):
    client.force_login(cast.city_officer)
    assert "网点" in client.get(reverse("registry:site_list"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sites" in client.get(reverse("registry:site_list")).content.decode()
