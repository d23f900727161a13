"""Every role's home page answers "what needs me now", and each count equals the list it links to."""

import pytest

ROLES = ["city_leader", "city_officer", "hanjiang_officer", "licheng_officer", "hanjiang_grid", "zto_safety",
         "police_partner"]


def _listed(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    if "#cases" in url:
        return page.context["case_count"]
    if url.startswith("/video/patrols/"):
        return len(page.context["mine"])  # the patrols drawn for the user, still to do
    if url == "/video/":
        return page.context["total"]["online"]  # the online cameras behind the online rate
    if url == "/selfcheck/reports/?review=1":
        return len(page.context["waiting"])  # the reports waiting for the district's review
    if url.startswith("/selfcheck/reports/?month="):
        return page.context["row_count"]  # the enterprises of that month with that status
    if url == "/selfcheck/reports/":
        return len(page.context["due"])  # the months the enterprise still owes
    if url == "/selfcheck/spot-checks/":
        return len(page.context["pending"])  # the drawn reports still to check
    return page.context["page"].paginator.count


@pytest.mark.parametrize("username", ROLES)
def test_every_count_on_the_home_page_agrees_with_its_list(cast, history, client, username):
    client.force_login(getattr(cast, username))
    home = client.get("/")
    assert home.status_code == 200
    figures = [fig for panel in home.context["panels"] for fig in panel.figures]
    for fig in figures:
        assert _listed(client, fig.url) == fig.count, (username, fig.label, fig.url)
    if "todo_count" in home.context:
        assert _listed(client, "/events/?overdue=1") == home.context["overdue_count"]
        assert _listed(client, "/events/?state=open") == home.context["open_count"]


def test_each_role_sees_what_needs_it(cast, history, client):
    client.force_login(cast.hanjiang_officer)
    home = client.get("/")
    counts = {f.testid: f.count for p in home.context["panels"] for f in p.figures if f.testid}
    assert counts["district-accept"] == 1  # E6 waits for acceptance
    assert counts["district-verify"] == 0
    client.force_login(cast.hanjiang_grid)
    counts = {f.testid: f.count for p in client.get("/").context["panels"] for f in p.figures if f.testid}
    assert counts["grid-confirm"] == 1  # E7 was resolved on the spot
    client.force_login(cast.city_leader)
    page = client.get("/")
    assert "district-trends" in page.content.decode()
    titles = [str(p.title) for p in page.context["panels"]]
    assert "上报市局事件（按时长）" in titles
    client.force_login(cast.police_partner)
    page = client.get("/")
    # The partner: only what waits for their department, and the public register of sites.
    assert [str(p.title) for p in page.context["panels"]] == ["部门协作"] and "kind_counts" in page.context
    assert "寄递网点公开名录" in page.content.decode()


def test_the_district_officer_sees_their_district_against_the_city(cast, history, client):
    client.force_login(cast.hanjiang_officer)
    panel = next(p for p in client.get("/").context["panels"] if p.kind == "compare")
    share = next(r for r in panel.items if str(r["label"]) == "县区级办结占比")
    assert share["mine"] == 1.0 and share["city"] == 1.0


@pytest.mark.parametrize("username", ["city_officer", "hanjiang_officer", "police_partner"])
def test_the_register_figures_on_the_home_page_are_the_register_s(cast, client, username):
    """Kinds, districts and X-ray machines come from one pass over the sites: each equals the register's list."""
    from parcelwatch.registry.models import Site
    from parcelwatch.registry.selectors import sites_visible_to
    from tests import factories as f

    f.site("中通涵东分拣中心", cast.handong_g2, cast.zto_hanjiang, kind="sorting_center")
    Site.objects.filter(pk=cast.hanjiang_outlet.pk).update(xray_count=2)
    Site.objects.filter(pk=cast.licheng_outlet.pk).update(xray_count=3)
    user = getattr(cast, username)
    client.force_login(user)
    page = client.get("/")
    sites = sites_visible_to(user)
    assert {kind: n for kind, _label, n in page.context["kind_counts"]} == {
        kind: sites.filter(kind=kind).count() for kind in Site.Kind.values}
    assert {d["district__code"]: d["n"] for d in page.context["district_counts"]} == {
        code: sites.filter(district__code=code).count() for code in {s.district.code for s in sites}}
    assert page.context["xray_total"] == sum(s.xray_count for s in sites) > 0


@pytest.mark.parametrize("username", ["city_leader", "city_officer", "hanjiang_officer"])
def test_the_credit_figures_and_the_enterprise_count_are_the_enterprise_list_s(cast, client, username):
    """The enterprises, and those graded D and C, are counted in one query: each equals its list, with a
    site-level rating and a former grade that must not count."""
    from django.utils import timezone

    from parcelwatch.assessment.models import CreditRating
    from tests import factories as f

    now = timezone.now()

    def rate(enterprise, grade, **extra):
        CreditRating.objects.create(enterprise=enterprise, grade=grade, score=50, computed_at=now, since=now, **extra)

    other = f.enterprise("莆田市涵江区韵达快递有限公司", cast.hanjiang, brand=f.brand("yunda", "韵达快递", "韵达"))
    rate(cast.zto_hanjiang, "D")
    rate(cast.zto_hanjiang, "C", current=False)  # its former grade
    rate(other, "C")
    rate(cast.zto_hanjiang, "D", site=cast.hanjiang_outlet)  # a site's grade is not the enterprise's
    rate(cast.yto_licheng, "D")
    client.force_login(getattr(cast, username))
    page = client.get("/")
    figures = {fig.testid: fig.count for panel in page.context["panels"] for fig in panel.figures}
    assert figures["credit-d"] == _listed(client, "/registry/enterprises/?credit=D")
    assert figures["credit-c"] == _listed(client, "/registry/enterprises/?credit=C") == 1
    assert page.context["enterprise_count"] == _listed(client, "/registry/enterprises/")
    expected_d = 2 if username != "hanjiang_officer" else 1
    assert figures["credit-d"] == expected_d


def test_the_leader_s_page_counts_only_what_it_shows(cast, client, monkeypatch):
    """Sites without a filed officer are not on the leader's page: the page does not count them; the officers'
    pages count them once, though two panels could show them."""
    from parcelwatch.registry import selectors

    calls = []
    original = selectors.without_filed_officer

    def counted(sites):
        calls.append(1)
        return original(sites)

    monkeypatch.setattr(selectors, "without_filed_officer", counted)
    client.force_login(cast.city_leader)
    page = client.get("/")
    figures = {fig.testid for panel in page.context["panels"] for fig in panel.figures}
    assert "no-filed-officer" not in figures and "credit-d" in figures
    assert calls == []
    client.force_login(cast.city_officer)
    assert "no-filed-officer" in {fig.testid for p in client.get("/").context["panels"] for fig in p.figures}
    assert calls == [1]
