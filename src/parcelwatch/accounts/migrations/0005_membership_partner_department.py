# The partner role's department becomes a record of its own (collaboration.PartnerDepartment) instead of free text.

import django.db.models.deletion
from django.db import migrations, models


def to_departments(apps, schema_editor):
    """Each partner membership's department text becomes (or joins) a partner department of that name."""
    Membership = apps.get_model("accounts", "Membership")
    PartnerDepartment = apps.get_model("collaboration", "PartnerDepartment")
    for m in Membership.objects.filter(role="partner").select_related("jurisdiction"):
        name = (m.department or "").strip() or "协作部门（请补充名称）"
        department, _created = PartnerDepartment.objects.get_or_create(
            name=name[:64], defaults={"jurisdiction_id": m.jurisdiction_id})
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
