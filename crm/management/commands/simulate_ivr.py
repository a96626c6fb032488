"""Drive the hotline's voice menu from the terminal, as a caller pressing keys would."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from crm.channel_errors import ContactError
from crm.telephony import navigate_ivr, parse_keys, receive_call

HOTLINE = "10000"


class Command(BaseCommand):
    help = (
        "Simulate a call to the hotline: print what the voice menu says after each key. With "
        "--place-call, a call that reaches a person is put into that role's queue, as the "
        "telephony system would (it appears on the staff console)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--caller", default="", help="The caller's number (identifies them).")
        parser.add_argument("--keys", default="", help='Keys pressed, e.g. "3-1" or "31".')
        parser.add_argument(
            "--place-call", action="store_true", help="Queue the call when it reaches a person."
        )

    def handle(self, *args, caller, keys, place_call, **options):
        pressed = parse_keys(keys)
        try:
            for count in range(len(pressed) + 1):
                step = navigate_ivr(pressed[:count], caller_number=caller)
                heard = " ".join(pressed[:count]) or "-"
                self.stdout.write(f"[{heard}] {step.speech}")
                if step.finished:
                    break
        except ContactError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"path: {' > '.join(step.labels) or '-'}; action: {step.action}")
        if step.target_role:
            self.stdout.write(f"queue: {step.target_role}")
        if place_call:
            if not step.target_role:
                raise CommandError("The keys do not reach a person; no call was placed.")
            if not caller:
                raise CommandError("Give --caller to place a call.")
            call = receive_call(
                call_id=f"sim-{uuid.uuid4().hex[:16]}",
                caller_number=caller,
                dialled_number=HOTLINE,
                ivr_path=step.path,
            )
            self.stdout.write(f"call {call.call_id} queued ({call.interaction.number})")
