import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_district(apps, schema_editor):
    Camera = apps.get_model("video", "Camera")
    Site = apps.get_model("registry", "Site")
    Camera.objects.update(district_id=Subquery(Site.objects.filter(pk=OuterRef("site_id")).values("district_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("registry", "0002_alter_importbatch_kind"),
        ("video", "0003_xray_machines"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="district",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="accounts.jurisdiction", verbose_name="district"),
        ),
        migrations.RunPython(copy_district, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="camera",
            name="district",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="accounts.jurisdiction", verbose_name="district"),
        ),
        migrations.AddIndex(
            model_name="camera",
            index=models.Index(fields=["district", "enabled", "status"], name="camera_district_status"),
        ),
    ]
