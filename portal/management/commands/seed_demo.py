"""Load demo data for every app: staff for each role, customers, and what later apps add."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD

# Each module provides demo_steps(); order matters (customers before their lines, ...).
DEMO_MODULES = ("portal.demo", "crm.demo", "billing.demo", "complaints.demo")
DEMO_MODULES += ("training.demo",)
DEMO_MODULES += ("crm.channel_demo",)
DEMO_MODULES += ("portal.selfservice.demo",)
DEMO_MODULES += ("portal.workspaces.demo",)
# Last month closed once the lines, payments and usage exist; before the reports roll it up.
DEMO_MODULES += ("billing.demo_bill_run",)
DEMO_MODULES += ("portal.reports.demo",)


class Command(BaseCommand):
    help = "Load demo staff, customers and data. Idempotent: a second run creates nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when DJANGO_ENV=production (never on a live system).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, allow_production=False, no_progress=False, **options):
        if settings.PRODUCTION and not allow_production:
            raise CommandError(
                "Refusing to load demo data with DJANGO_ENV=production "
                "(pass --allow-production to override)."
            )
        steps = [step for module in DEMO_MODULES for step in import_module(module).demo_steps()]
        created = 0
        progress = tqdm(
            steps, desc="seed_demo", unit="step", disable=no_progress, file=self.stderr._out
        )
        for label, step in progress:
            progress.set_postfix_str(label, refresh=False)
            created += step()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {created} rows created."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            role = login.role.label if login.role else "superuser"
            self.stdout.write(f"  {login.username:<12} {role}")
