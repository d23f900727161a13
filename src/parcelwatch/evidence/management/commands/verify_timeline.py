from django.core.management.base import BaseCommand, CommandError

from parcelwatch.evidence.timeline import verify


class Command(BaseCommand):
    help = "Check every timeline hash chain and evidence file; prints OK or the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--skip-files", action="store_true", help="Do not re-hash the evidence files.")

    def handle(self, *args, skip_files: bool = False, **options):
        checked, broken = verify(check_files=not skip_files)
        if broken is not None:
            raise CommandError(f"BROKEN at {broken.subject}: {broken.reason} (after {checked} good entries)")
        self.stdout.write(f"OK: {checked} timeline entries verified.")
