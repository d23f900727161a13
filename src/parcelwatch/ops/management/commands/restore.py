from django.core.management.base import BaseCommand, CommandError

from parcelwatch.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore a backup made by `backup` into this installation (migrated to the same release), then check "
            "every file's SHA-256 and every timeline hash chain.")

    def add_arguments(self, parser):
        parser.add_argument("source", help="The backup directory (parcelwatch-YYYYmmdd-HHMMSS).")
        parser.add_argument("--replace", action="store_true",
                            help="Replace the records this installation already holds (they are deleted).")

    def handle(self, *args, source: str, replace: bool = False, **options):
        try:
            report = restore(source, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if report.problems:
            raise CommandError(f"Restored with {len(report.problems)} problem(s).")
        self.stdout.write(f"Restored {report.rows} records and {report.files} files; "
                          f"{report.timeline_entries} timeline entries verified.")
