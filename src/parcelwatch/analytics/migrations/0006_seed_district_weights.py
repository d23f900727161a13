"""Default weights of the city's assessment of its districts: 100 points over the workflow's indicators."""

from decimal import Decimal

from django.db import migrations

WEIGHTS = [("acceptance_rate", 10), ("on_time_rectification_rate", 25), ("closure_rate", 20),
           ("on_time_closure_rate", 15), ("district_closure_share", 20), ("rework_rate", 10)]


def seed(apps, schema_editor):
    Weight = apps.get_model("analytics", "DistrictIndicatorWeight")
    if Weight.objects.exists():
        return
    Weight.objects.bulk_create([Weight(indicator=key, weight=Decimal(weight), sort_order=i)
                                for i, (key, weight) in enumerate(WEIGHTS, start=1)])


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_district_indicator_weight")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
