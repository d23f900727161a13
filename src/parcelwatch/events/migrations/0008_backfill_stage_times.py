"""Stage times and sources of the events recorded before they were kept on the event, from its timeline."""

from django.db import migrations


def backfill(apps, schema_editor):
    from django.utils import timezone

    Event = apps.get_model("events", "Event")
    TimelineEntry = apps.get_model("evidence", "TimelineEntry")
    pks = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), 2000):
        chunk = pks[start:start + 2000]
        entries: dict[int, list] = {}
        for e in (TimelineEntry.objects.filter(subject_type="event", subject_id__in=chunk)
                  .order_by("subject_id", "seq").only("subject_id", "action", "actor_role", "from_state",
                                                       "to_state", "deadline", "created_at")):
            entries.setdefault(e.subject_id, []).append(e)
        for event in Event.objects.filter(pk__in=chunk):
            deadline = None
            fields = {}
            for e in entries.get(event.pk, []):
                if e.action == "report":
                    fields["source"] = "grid" if e.actor_role == "grid_worker" else "inspection"
                if e.action in ("accept", "reject", "merge") and "decided_at" not in fields:
                    fields["decided_at"] = e.created_at
                if e.action == "issue_letter" and "letter_at" not in fields:
                    fields["letter_at"] = e.created_at
                if e.action == "submit_rectification" and e.from_state == "rectifying" and deadline \
                        and timezone.localdate(e.created_at) > deadline:
                    fields["missed_deadline"] = True
                if e.action in ("escalate", "auto_escalate"):
                    fields["missed_deadline"] = True
                if e.to_state == "awaiting_confirmation" and e.from_state != "awaiting_confirmation":
                    fields["awaiting_since"] = e.created_at
                if e.deadline:
                    deadline = e.deadline
            if fields:
                Event.objects.filter(pk=event.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("events", "0007_stage_times"), ("evidence", "0003_timeline_names")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
