from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from parcelwatch.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the Putian demo data (idempotent). With --if-empty, only when it has never been loaded."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Skip when the demo data is already there.")

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and demo_loaded():
            self.stdout.write("Demo data already loaded.")
            # Parts added to the demo later (the cameras) arrive in installations that loaded it before.
            from parcelwatch.demo.loader import DemoLoader
            from parcelwatch.video.models import Camera, PatrolDraw, XrayMachine

            if not (Camera.objects.exists() and XrayMachine.objects.exists() and PatrolDraw.objects.exists()):
                with translation.override(settings.LANGUAGE_CODE):
                    loader = DemoLoader()
                    loader.load_cameras()
                    loader.load_patrol()
                self.stdout.write("Demo cameras, X-ray machines and a video patrol added.")
            from parcelwatch.selfcheck.models import DutyReport

            if not DutyReport.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_selfcheck()
                self.stdout.write("Demo duty reports, an officer filing and a circular added.")
            from parcelwatch.assessment.models import Evaluation

            if not Evaluation.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_assessment()
                self.stdout.write("Demo assessments and credit grades added.")
            from parcelwatch.emergency.models import EmergencyPlan
            from parcelwatch.enforcement.models import InspectionPlan

            if not InspectionPlan.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_inspections()
                self.stdout.write("Demo inspection plans added.")
            if not EmergencyPlan.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_emergency()
                self.stdout.write("Demo emergency plans, drills and an incident added.")
            from parcelwatch.tipoffs.models import Reward

            if not Reward.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_rewards()
                self.stdout.write("Demo 2019 rewards added.")
            from parcelwatch.collaboration.models import Memorandum

            if not Memorandum.objects.exists():
                with translation.override(settings.LANGUAGE_CODE):
                    DemoLoader().load_collaboration()
                self.stdout.write("Demo partner departments, memoranda, a joint meeting, a shared case and referrals "
                                  "added.")
            return
        with translation.override(settings.LANGUAGE_CODE):
            summary = load_demo()
        created = ", ".join(f"{k}: {v}" for k, v in summary.created.items())
        self.stdout.write(self.style.SUCCESS(f"Putian demo data loaded (newly created — {created})."))
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}): " + ", ".join(a[0] for a in DEMO_ACCOUNTS))
