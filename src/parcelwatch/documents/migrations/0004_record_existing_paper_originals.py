"""Paper originals recorded before they had rows of their own (numbers in the timeline) become document rows."""

from django.db import migrations

TITLES = {"issue_letter": ("reminder_letter", "提醒函"), "notify_penalty": ("penalty_notice", "行政处罚事先告知书"),
          "decide": ("penalty_decision", "行政处罚决定书")}


def forwards(apps, schema_editor):
    TimelineEntry = apps.get_model("evidence", "TimelineEntry")
    OfficialDocument = apps.get_model("documents", "OfficialDocument")
    existing = set(OfficialDocument.objects.values_list("number", flat=True))
    rows = []
    for entry in TimelineEntry.objects.filter(action__in=list(TITLES)).iterator(chunk_size=2000):
        data = entry.data or {}
        if not data.get("imported"):
            continue
        number = data.get("decision") if entry.action == "decide" else data.get("document")
        if not number or number in existing:
            continue
        kind, title = TITLES[entry.action]
        existing.add(number)
        rows.append(OfficialDocument(kind=kind, number=number, title=title, subject_type=entry.subject_type,
                                     subject_id=entry.subject_id, attachment=None, paper_original=True,
                                     issued_by_id=entry.actor_id, issued_at=entry.created_at))
    OfficialDocument.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_paper_originals"), ("evidence", "0002_alter_attachment_sha256")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
