"""The partner role's department text becomes partner departments without pooling users of different agencies."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_user_enforcement_id"), ("collaboration", None)]


@pytest.mark.django_db(transaction=True)
def test_department_texts_become_departments_without_pooling_agencies():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
    jurisdiction, user, membership = (old.get_model("accounts", m) for m in ("Jurisdiction", "User", "Membership"))
    city = jurisdiction.objects.create(code="350300", name="莆田市", level="city", path="350300/")
    district = jurisdiction.objects.create(code="350303", name="涵江区", level="district", path="350300/350303/",
                                           parent=city)
    for i, (node, name) in enumerate([(city, "莆田市公安局"), (city, "莆田市公安局"), (district, "莆田市公安局"),
                                      (city, ""), (city, "")]):
        membership.objects.create(user=user.objects.create(username=f"p{i}"), jurisdiction=node, role="partner",
                                  department=name)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from parcelwatch.accounts.models import Membership

    got = {m.user.username: (m.partner_department_id, m.partner_department.name, m.partner_department.active)
           for m in Membership.objects.select_related("user", "partner_department")}
    assert got["p0"] == got["p1"] and got["p0"][1:] == ("莆田市公安局", True)
    assert got["p2"][1] == "莆田市公安局（涵江区）" and got["p2"][0] != got["p0"][0]
    assert got["p3"][0] != got["p4"][0] and not got["p3"][2] and not got["p4"][2]
