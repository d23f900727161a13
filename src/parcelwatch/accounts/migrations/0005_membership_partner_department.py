# The partner role's department becomes a record of its own (collaboration.PartnerDepartment) instead of free text.

import django.db.models.deletion
from django.db import migrations, models


def to_departments(apps, schema_editor):
    """Each partner membership's department text becomes a partner department of that name and area: memberships
    with the same name at the same node share one; the same name at another node is another department (its name
    carries the area); a membership without a name gets a department of its own, out of use until named, so that
    nothing shared with one unnamed department ever reaches another's users."""
    Membership = apps.get_model("accounts", "Membership")
    PartnerDepartment = apps.get_model("collaboration", "PartnerDepartment")
    by_key = {}
    for m in Membership.objects.filter(role="partner").select_related("jurisdiction", "user").order_by("pk"):
        name = (m.department or "").strip()[:48]
        if name:
            key = (name, m.jurisdiction_id)
            if key not in by_key:
                taken = PartnerDepartment.objects.filter(name=name).exists()
                unique = f"{name}（{m.jurisdiction.name}）"[:64] if taken else name
                by_key[key] = PartnerDepartment.objects.create(name=unique, jurisdiction_id=m.jurisdiction_id)
            department = by_key[key]
        else:
            department = PartnerDepartment.objects.create(
                name=f"待命名协作部门（{m.user.username}）"[:64], jurisdiction_id=m.jurisdiction_id, active=False)
        m.partner_department_id = department.pk
        m.save(update_fields=["partner_department"])


def to_text(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    for m in Membership.objects.filter(partner_department__isnull=False).select_related("partner_department"):
        m.department = m.partner_department.name
        m.save(update_fields=["department"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_user_enforcement_id"),
        ("collaboration", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="partner_department",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="memberships", to="collaboration.partnerdepartment",
                                    verbose_name="partner department"),
        ),
        migrations.RunPython(to_departments, to_text),
    ]
