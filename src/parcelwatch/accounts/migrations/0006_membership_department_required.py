# Separate from 0005: PostgreSQL cannot alter a table in the transaction that has just updated its rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_membership_partner_department"),
    ]

    operations = [
        migrations.RemoveField(model_name="membership", name="department"),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("role", "partner"), _negated=True),
                                   ("partner_department__isnull", False), _connector="OR"),
                name="partner_needs_department"),
        ),
    ]
