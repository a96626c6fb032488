"""Read the service mailbox once (what the beat job does every few minutes)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from crm.mail_in import MailboxError, fetch_mailbox


class Command(BaseCommand):
    help = (
        "Read unread mail from CRM_MAIL_IN_URL (or --source maildir:///path | imaps://...): "
        "each mail becomes a contact, a ticket or a reply on its ticket; automatic replies and "
        "loops are ignored, unreadable mail is recorded as rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default="", help="Mailbox URL instead of CRM_MAIL_IN_URL.")
        parser.add_argument("--limit", type=int, default=200, help="At most this many mails.")

    def handle(self, *args, source, limit, **options):
        url = source or settings.CRM_MAIL_IN_URL
        if not url:
            raise CommandError("No mailbox: set CRM_MAIL_IN_URL or pass --source.")
        try:
            run = fetch_mailbox(url, limit=limit)
        except (MailboxError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{status} {count}" for status, count in sorted(run.counts.items()))
        self.stdout.write(f"{run.total} mails read" + (f": {summary}" if summary else ""))
