import pytest

from parcelwatch.accounts.services import issue_api_token
from tests.factories import PASSWORD


def bearer(user) -> dict:
    key, _token = issue_api_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_token_exchange_and_use(client, cast):
    response = client.post("/api/v1/auth/token", {"username": "city_officer", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["username"] == "city_officer" and me["memberships"][0]["jurisdiction_code"] == "350300"


def test_wrong_password_is_a_json_401(client, cast):
    response = client.post("/api/v1/auth/token", {"username": "city_officer", "password": "nope"},
                           content_type="application/json")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.json()["detail"]


def test_repeated_failures_lock_the_api_too(client, cast, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/api/v1/auth/token", {"username": "city_officer", "password": "nope"},
                    content_type="application/json")
    response = client.post("/api/v1/auth/token", {"username": "city_officer", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 429


def test_malformed_token_request_is_a_json_error(client, cast):
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"]


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/enterprises", "/api/v1/safety-officers",
                                  "/api/v1/jurisdictions", "/api/v1/me"])
def test_anonymous_and_bad_tokens_get_json_401(client, cast, path):
    response = client.get(path)
    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")
    assert client.get(path, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_sites_are_scoped_paginated_and_counted(client, cast):
    data = client.get("/api/v1/sites", **bearer(cast.hanjiang_officer)).json()
    assert data["count"] == 2 and {s["name"] for s in data["items"]} == {"中通涵东营业部", "中通涵东二部"}
    data = client.get("/api/v1/sites?kind=outlet&district=350304", **bearer(cast.city_officer)).json()
    assert data["count"] == 1 and data["items"][0]["district_code"] == "350304"
    data = client.get("/api/v1/sites?limit=1&offset=1", **bearer(cast.city_officer)).json()
    assert data["count"] == 3 and len(data["items"]) == 1


def test_bad_filter_values_are_json_422(client, cast):
    response = client.get("/api/v1/sites?kind=spaceport", **bearer(cast.city_officer))
    assert response.status_code == 422 and response.json()["errors"]


def test_site_detail_other_jurisdiction_is_404_json(client, cast):
    response = client.get(f"/api/v1/sites/{cast.hanjiang_outlet.pk}", **bearer(cast.licheng_officer))
    assert response.status_code == 404 and response.json()["detail"] == "未找到。"
    response = client.get(f"/api/v1/sites/{cast.hanjiang_outlet.pk}", **bearer(cast.hanjiang_grid))
    assert response.status_code == 200 and response.json()["filing_number"] == cast.hanjiang_outlet.filing_number


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/enterprises", "/api/v1/safety-officers"])
def test_role_without_registry_access_is_refused(client, cast, path):
    response = client.get(path, **bearer(cast.nobody))
    assert response.status_code == 403 and response.json()["detail"] == "您没有执行此操作的权限。"


def test_enterprises_and_jurisdictions(client, cast):
    data = client.get("/api/v1/enterprises", **bearer(cast.zto_safety)).json()
    assert [e["name"] for e in data["items"]] == ["莆田市涵江区中通快递有限公司"]
    response = client.get(f"/api/v1/enterprises/{cast.yto_licheng.pk}", **bearer(cast.zto_safety))
    assert response.status_code == 404
    data = client.get("/api/v1/jurisdictions?level=grid", **bearer(cast.hanjiang_officer)).json()
    assert {j["code"] for j in data["items"]} == {"350303001001", "350303001002"}


def test_officer_personal_data_by_role(client, cast):
    # Partner departments are not given the enterprises' people at all; grid workers see them masked.
    assert client.get("/api/v1/safety-officers", **bearer(cast.police_partner)).status_code == 403
    data = client.get("/api/v1/safety-officers", **bearer(cast.hanjiang_grid)).json()
    assert data["count"] >= 1 and all("*" in o["id_number"] for o in data["items"])
    data = client.get("/api/v1/safety-officers", **bearer(cast.city_officer)).json()
    assert "350303198001011234" in {o["id_number"] for o in data["items"]}
    one = client.get(f"/api/v1/safety-officers/{cast.zto_officer.pk}", **bearer(cast.hanjiang_grid)).json()
    assert one["phone"] == "138****1111"


def test_openapi_schema_and_docs(client, cast):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ["/api/v1/auth/token", "/api/v1/sites", "/api/v1/enterprises", "/api/v1/safety-officers",
                 "/api/v1/jurisdictions"]:
        assert path in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_unknown_api_path_is_json_404(client, cast):
    response = client.get("/api/v1/sites/not-a-number", **bearer(cast.city_officer))
    assert response.status_code in (404, 422) and "detail" in response.json()
