"""The statement and hearing period defaults to 5 working days (Administrative Penalty Law Art. 64 and 85)."""

from django.db import migrations


def seed(apps, schema_editor):
    EnforcementSettings = apps.get_model("enforcement", "EnforcementSettings")
    if not EnforcementSettings.objects.exists():
        EnforcementSettings.objects.create(hearing_days=5)


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0004_enforcementsettings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
