"""Check that every stored balance equals the sum of its ledger entries."""

from django.core.management.base import BaseCommand, CommandError

from billing.services import audit_ledger


class Command(BaseCommand):
    help = "Compare each prepaid balance with the sum of its ledger entries; exit 1 on a mismatch."

    def handle(self, *args, **options):
        mismatches = audit_ledger()
        for mismatch in mismatches:
            self.stdout.write(
                f"account {mismatch.account_id}: stored {mismatch.stored} "
                f"!= entries {mismatch.entries}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} balance(s) differ from their ledger")
        self.stdout.write(self.style.SUCCESS("Every balance equals the sum of its entries."))
