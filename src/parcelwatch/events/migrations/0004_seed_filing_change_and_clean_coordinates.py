"""Filing problems allow a filing change with the rectification; coordinates that no map can hold are dropped.

Before coordinates were checked where they entered, an API report could store a longitude such as 1e20,
which then broke every page listing the event. Such values are set to NULL (the site's position is used).
"""

from django.db import migrations

FILING_CATEGORIES = ["BA01", "BA02", "BA03"]


def seed(apps, schema_editor):
    EventCategory = apps.get_model("events", "EventCategory")
    EventCategory.objects.filter(code__in=FILING_CATEGORIES).update(allows_filing_change=True)


def clean_coordinates(apps, schema_editor):
    for table in ("events_event", "registry_site"):
        schema_editor.execute(
            f"UPDATE {table} SET lng = NULL, lat = NULL "
            "WHERE lng IS NOT NULL AND (lng > 180 OR lng < -180 OR lat IS NULL OR lat > 90 OR lat < -90)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_eventcategory_allows_filing_change"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(clean_coordinates, migrations.RunPython.noop),
    ]
