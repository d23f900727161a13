"""Facts and rollups for the events that existed before the statistics were kept."""

from django.db import migrations


def build(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    if not Event.objects.exists():
        return
    # The live function: it reads only columns that exist at this point of the history.
    from parcelwatch.analytics.services import rebuild_statistics

    rebuild_statistics()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("events", "0008_backfill_stage_times")]
    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
