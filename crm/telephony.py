"""The hotline: its voice menu (IVR), the telephony system's webhook (CTI) and the calls it
reports (客服呼叫流程: 语音导航, 人工服务, 身份核实).

1. ``navigate_ivr`` walks the admin-edited menu tree by the keys pressed: sub-menus, self-service
   answers (balance, last bill by SMS) for an identified caller, and transfer to a person ("0"
   from any menu that does not use it otherwise). The simulator page and command drive it, and
   the telephony system may ask it what to say.
2. ``receive_call`` records a call the CTI reports after the menu: the caller is identified by
   number, an interaction is opened with the menu path, and a transfer joins the queue of the
   menu entry's role, where it is offered to an available member (``offer_queued_calls``).
3. ``answer_call`` puts the call on the specialist's screen with the customer and the
   verification step ready; ``end_call`` (CTI) writes the duration and outcome into the
   interaction; ``wrap_up_call`` is the specialist's outcome and notes.

Webhook calls are signed: ``X-CTI-Timestamp`` and ``X-CTI-Signature: sha256=<hex>`` where the
signature is HMAC-SHA256 of ``"<timestamp>." + body`` with ``CRM_CTI_SHARED_SECRET``, compared
in constant time; a timestamp outside ``CRM_CTI_MAX_SKEW_SECONDS`` is refused (replays).
"""

import datetime
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.channel_choices import CALL_TRANSITIONS, CallStatus, IvrAction
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import InboundCall, IvrNode
from crm.choices import Channel, InteractionOutcome, SubscriptionKind
from crm.contact_centre import identify_caller, offer_filter, pick_call_agent
from crm.models import Interaction
from crm.services import start_interaction
from portal.roles import Role
from portal.sms import send_sms

TRANSFER_KEY = "0"
BACK_KEY = "*"
KEYS = re.compile(r"[0-9*#]")


# --- The voice menu -----------------------------------------------------------------------------


@dataclass
class IvrStep:
    """Where a caller is after some keys, and what the voice says now."""

    keys: list[str]
    labels: list[str]
    node: IvrNode | None
    speech: str
    action: str
    target_role: str = ""
    invalid_key: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return "-".join(self.keys)

    @property
    def finished(self) -> bool:
        return self.action != IvrAction.MENU


def parse_keys(raw: str) -> list[str]:
    """``"3-1"``, ``"3 1"`` or ``"31"`` -> ``["3", "1"]``; anything else is dropped."""
    return KEYS.findall(raw or "")


def _menu(node: IvrNode) -> list[IvrNode]:
    return sorted(
        (child for child in node.children.all() if child.is_active),
        key=lambda child: (child.position, child.key),
    )


def _options_speech(options: list[tuple[str, str]]) -> str:
    return " ".join(
        _("For %(label)s, press %(key)s.") % {"label": label, "key": key} for key, label in options
    )


def ivr_root() -> IvrNode:
    root = IvrNode.objects.filter(parent__isnull=True, is_active=True).first()
    if root is None:
        raise ContactError(ContactErrorCode.UNKNOWN_IVR_KEY, _("The voice menu is not set up."))
    return root


def navigate_ivr(keys: str | list[str], *, caller_number: str | None = None) -> IvrStep:
    """Follow the keys from the root. A key the menu does not know is answered as the real
    menu does ("wrong key") and ignored; "*" goes back one menu.

    With ``caller_number`` (the caller on the line) a self-service node answers: it reads the
    balance or texts the last bill. Without it the walk only finds where the keys lead, as
    recording a finished call does: the caller was served while still in the menu.
    """
    pressed = parse_keys(keys) if isinstance(keys, str) else list(keys)
    node = ivr_root()
    trail: list[IvrNode] = []
    taken: list[str] = []
    invalid = ""
    transfer = False
    for key in pressed:
        if node.action != IvrAction.MENU or transfer:
            break
        children = {child.key: child for child in _menu(node)}
        if key in children:
            trail.append(node)
            node = children[key]
            taken.append(key)
            invalid = ""
        elif key == BACK_KEY and trail:
            node = trail.pop()
            taken.pop()
            invalid = ""
        elif key == TRANSFER_KEY:
            taken.append(key)
            transfer = True
        else:
            invalid = key
    labels = [step.label for step in trail[1:]] + ([node.label] if trail else [])
    if transfer:
        return IvrStep(
            keys=taken,
            labels=[*labels, _("Service specialist")],
            node=node,
            speech=_("Transferring you to a service specialist, please hold."),
            action=IvrAction.AGENT,
            target_role=Role.SERVICE_SPECIALIST,
        )
    return _step_at(node, taken, labels, invalid=invalid, caller_number=caller_number)


def _step_at(
    node: IvrNode, keys: list[str], labels: list[str], *, invalid: str, caller_number: str | None
) -> IvrStep:
    step = IvrStep(keys=keys, labels=labels, node=node, speech="", action=node.action)
    if node.action == IvrAction.MENU:
        step.options = [(child.key, child.label) for child in _menu(node)]
        if not any(key == TRANSFER_KEY for key, _label in step.options):
            step.options.append((TRANSFER_KEY, _("a service specialist")))
        prefix = _("Sorry, that key is not in this menu.") + " " if invalid else ""
        step.speech = f"{prefix}{node.prompt} {_options_speech(step.options)}".strip()
        step.invalid_key = invalid
    elif node.action == IvrAction.AGENT:
        step.target_role = node.target_role
        step.speech = node.prompt or _("Transferring you, please hold.")
    elif caller_number is None:
        step.speech = node.prompt
    elif node.action == IvrAction.BALANCE:
        step.speech = _balance_speech(caller_number)
    elif node.action == IvrAction.BILL_SMS:
        step.speech = _bill_by_sms(caller_number)
    return step


def _caller_mobile_line(caller_number: str):
    _customer, line = identify_caller(caller_number)
    if line is None or line.kind != SubscriptionKind.MOBILE:
        return None
    return line


def _balance_speech(caller_number: str) -> str:
    from billing.services import balance_of

    line = _caller_mobile_line(caller_number)
    if line is None:
        return _("We could not recognise your number. Press 0 for a service specialist.")
    balance = balance_of(line.billing_account)
    return _("The balance of your account is %(amount)s yuan.") % {"amount": balance}


def _bill_by_sms(caller_number: str) -> str:
    from billing.selectors import bills_of

    line = _caller_mobile_line(caller_number)
    if line is None:
        return _("We could not recognise your number. Press 0 for a service specialist.")
    bill = bills_of(line.customer).filter(subscription=line).order_by("-period").first()
    if bill is None:
        return _("There is no bill for your line yet.")
    send_sms(
        line.msisdn,
        _("Your bill for %(month)s: %(total)s yuan. Details: My account > Balance and bills.")
        % {"month": f"{bill.period:%Y-%m}", "total": bill.total},
    )
    return _("We have sent your last bill to your phone by SMS.")


# --- Calls from the telephony system ------------------------------------------------------------


def verify_cti_signature(body: bytes, timestamp: str, signature: str, *, now=None) -> bool:
    """True when the request was signed with the shared secret within the allowed skew."""
    secret = settings.CRM_CTI_SHARED_SECRET
    if not secret or not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent) > settings.CRM_CTI_MAX_SKEW_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.removeprefix("sha256="))


def sign_cti_body(body: bytes, timestamp: int | None = None) -> tuple[str, str]:
    """The two headers a CTI request carries (for the simulator and the tests)."""
    sent = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        settings.CRM_CTI_SHARED_SECRET.encode(), f"{sent}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return str(sent), f"sha256={digest}"


def _clean_number(value: str, field_name: str) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if not 3 <= len(digits) <= 20:
        raise ValidationError(
            {field_name: ValidationError(_("Give a telephone number."), code="invalid")}
        )
    return digits


@transaction.atomic
def receive_call(
    *,
    call_id: str,
    caller_number: str,
    dialled_number: str,
    ivr_path: str = "",
    started_at: datetime.datetime | None = None,
) -> InboundCall:
    """Record a call after the voice menu; the same ``call_id`` again returns the first record
    (the telephony system retries), with other details it is refused."""
    call_id = (call_id or "").strip()
    if not call_id or len(call_id) > 64:
        raise ValidationError({"call_id": ValidationError(_("Give the call id."), code="invalid")})
    caller = _clean_number(caller_number, "caller_number")
    dialled = _clean_number(dialled_number, "dialled_number")
    existing = InboundCall.objects.filter(call_id=call_id).first()
    if existing is not None:
        return _same_call(existing, caller)
    step = navigate_ivr(ivr_path) if ivr_path else None
    transfer = step is None or step.action == IvrAction.AGENT
    target_role = (step.target_role if step else "") or Role.SERVICE_SPECIALIST
    labels = " > ".join(step.labels) if step else ""
    customer, line = identify_caller(caller)
    reason = _("Hotline call: %(path)s") % {"path": labels} if labels else _("Hotline call")
    interaction = start_interaction(
        channel=Channel.HOTLINE if transfer else Channel.IVR,
        actor=None,
        reason=reason[:300],
        customer=customer,
    )
    started = started_at or timezone.now()
    Interaction.objects.filter(pk=interaction.pk).update(started_at=started)
    try:
        with transaction.atomic():
            call = InboundCall.objects.create(
                call_id=call_id,
                caller_number=caller,
                dialled_number=dialled,
                ivr_path=step.path if step else "",
                ivr_labels=labels[:300],
                ivr_node=step.node if step else None,
                customer=customer,
                subscription=line,
                interaction=interaction,
                status=CallStatus.QUEUED if transfer else CallStatus.SELF_SERVICE,
                target_role=target_role if transfer else "",
                started_at=started,
            )
    except IntegrityError:
        # The same call reported twice at once: the first one stands.
        transaction.set_rollback(True)
        return _same_call(InboundCall.objects.get(call_id=call_id), caller)
    if transfer:
        offer_queued_calls()
    return call


def _same_call(call: InboundCall, caller: str) -> InboundCall:
    if call.caller_number != caller:
        raise ContactError(
            ContactErrorCode.CALL_ID_REUSED,
            _("This call id was used for another call."),
            field="call_id",
        )
    return call


def _move(call: InboundCall, to_status: str) -> None:
    if to_status not in CALL_TRANSITIONS[call.status]:
        raise ContactError(
            ContactErrorCode.INVALID_TRANSITION,
            _("A call cannot go from %(from)s to %(to)s.")
            % {"from": CallStatus(call.status).label, "to": CallStatus(to_status).label},
        )
    call.status = to_status


def offer_queued_calls(now: datetime.datetime | None = None, *, limit: int = 50) -> int:
    """Offer waiting calls, oldest first, to available members of their queue's role who are
    not on a call; an offer not answered in time goes to someone else (the screen pop)."""
    now = now or timezone.now()
    offered = 0
    with transaction.atomic():
        calls = list(
            InboundCall.objects.select_for_update(skip_locked=True)
            .filter(status=CallStatus.QUEUED)
            .filter(offer_filter(now))
            .order_by("started_at", "pk")[:limit]
        )
        for call in calls:
            agent = pick_call_agent(call.target_role, now=now, exclude_ids=[call.offered_to_id])
            if agent is None:
                continue
            call.offered_to, call.offered_at = agent, now
            call.save(update_fields=["offered_to", "offered_at", "updated_at"])
            offered += 1
    return offered


@transaction.atomic
def answer_call(call: InboundCall, *, actor) -> InboundCall:
    """Take the call offered to you (or one whose offer lapsed): it is yours, and so is its
    interaction, where the caller's verification is recorded next."""
    call = InboundCall.objects.select_for_update().get(pk=call.pk)
    if call.status != CallStatus.QUEUED:
        raise ContactError(ContactErrorCode.CALL_NOT_QUEUED, _("This call is not waiting."))
    if Role(call.target_role) not in actor.roles:
        raise ContactError(ContactErrorCode.NO_ROLE, _("This call is for another team."))
    now = timezone.now()
    offer_live = (
        call.offered_to_id
        and call.offered_at
        and call.offered_at >= now - datetime.timedelta(seconds=settings.CRM_OFFER_SECONDS)
    )
    if offer_live and call.offered_to_id != actor.pk:
        raise ContactError(
            ContactErrorCode.NOT_OFFERED_TO_YOU, _("This call was offered to a colleague.")
        )
    _move(call, CallStatus.CONNECTED)
    call.agent, call.answered_at, call.offered_to = actor, now, actor
    call.save(update_fields=["status", "agent", "answered_at", "offered_to", "updated_at"])
    Interaction.objects.filter(pk=call.interaction_id).update(staff=actor, updated_at=now)
    return call


@transaction.atomic
def end_call(
    call: InboundCall,
    *,
    duration_seconds: int,
    ended_at: datetime.datetime | None = None,
) -> InboundCall:
    """The telephony system reports the end: the duration and outcome go into the interaction.
    A call still waiting was abandoned; self-service gave information; a conversation keeps the
    specialist's outcome (resolved when none was recorded). Reporting twice changes nothing."""
    if not isinstance(duration_seconds, int) or duration_seconds < 0:
        raise ValidationError(
            {"duration_seconds": ValidationError(_("Give the duration in seconds."), "invalid")}
        )
    call = InboundCall.objects.select_for_update().get(pk=call.pk)
    if call.status in (CallStatus.ENDED, CallStatus.ABANDONED):
        return call
    if call.status == CallStatus.QUEUED:
        _move(call, CallStatus.ABANDONED)
        outcome = InteractionOutcome.ABANDONED
    else:
        outcome = (
            InteractionOutcome.INFORMATION_GIVEN
            if call.status == CallStatus.SELF_SERVICE
            else InteractionOutcome.RESOLVED
        )
        _move(call, CallStatus.ENDED)
    call.duration_seconds = duration_seconds
    call.ended_at = ended_at or call.started_at + datetime.timedelta(seconds=duration_seconds)
    call.ended_at = max(call.ended_at, call.started_at)
    call.save(update_fields=["status", "duration_seconds", "ended_at", "updated_at"])
    interaction = Interaction.objects.select_for_update().get(pk=call.interaction_id)
    interaction.ended_at = max(call.ended_at, interaction.started_at)
    if not interaction.outcome or outcome == InteractionOutcome.ABANDONED:
        interaction.outcome = outcome
    interaction.notes = "\n".join(
        part
        for part in (
            interaction.notes,
            _("Call lasted %(minutes)d min %(seconds)d s.")
            % {"minutes": duration_seconds // 60, "seconds": duration_seconds % 60},
        )
        if part
    )
    interaction.save(update_fields=["ended_at", "outcome", "notes", "updated_at"])
    return call


@transaction.atomic
def wrap_up_call(call: InboundCall, *, actor, outcome: str, notes: str = "") -> InboundCall:
    """The specialist's outcome and notes for the call, during or after it."""
    if outcome not in InteractionOutcome.values:
        raise ValidationError({"outcome": ValidationError(_("Unknown outcome."), code="invalid")})
    call = InboundCall.objects.select_for_update().get(pk=call.pk)
    if call.agent_id != actor.pk:
        raise ContactError(
            ContactErrorCode.NOT_YOUR_CALL, _("Only the specialist who answered may do this.")
        )
    interaction = Interaction.objects.select_for_update().get(pk=call.interaction_id)
    interaction.outcome = outcome
    interaction.notes = "\n".join(part for part in (interaction.notes, notes.strip()) if part)
    interaction.save(update_fields=["outcome", "notes", "updated_at"])
    return call


@transaction.atomic
def identify_call_customer(call: InboundCall, customer, *, actor) -> InboundCall:
    """An unknown caller turned out to be this customer (found by the specialist on the call):
    the call and its interaction name them, and the verification step can follow."""
    from crm.services import attach_customer_to_interaction

    call = InboundCall.objects.select_for_update().get(pk=call.pk)
    if call.agent_id != actor.pk:
        raise ContactError(
            ContactErrorCode.NOT_YOUR_CALL, _("Only the specialist who answered may do this.")
        )
    call.customer = customer
    call.save(update_fields=["customer", "updated_at"])
    attach_customer_to_interaction(call.interaction, customer, actor=actor)
    return call
