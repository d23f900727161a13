from django.core.management.base import BaseCommand, CommandError

from parcelwatch.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Back up the database and every stored file into a new directory under TARGET (data.exactjson.gz, files/, "
            "manifest.json with each file's SHA-256). Works the same on SQLite and PostgreSQL, disk and S3.")

    def add_arguments(self, parser):
        parser.add_argument("target", help="Directory to write the backup under.")

    def handle(self, *args, target: str, **options):
        try:
            report = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for problem in report.problems:
            self.stderr.write(f"WARNING: {problem}")
        self.stdout.write(f"Backup written to {report.path}: {report.rows} records, {report.files} files "
                          f"({report.bytes} bytes).")
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s): the backup is incomplete.")
