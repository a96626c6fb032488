"""Service agreements per line (2024版电信服务协议: 5. 合同期限 — start and end, renewal, early
termination; 2./3. the customer's and the operator's obligations).

``sign_agreement`` records the term and the early-termination rule; beat's daily job runs
``send_renewal_reminders`` (a reminder per term end, claimed by a conditional UPDATE so it goes
once) and ``renew_due_agreements`` (an auto-renewing agreement rolls on by its term, another
expires). ``terminate_agreement`` charges the early-termination fee through
``billing.services.charge_early_termination_fee``: the fee is the fixed part plus the agreed
percentage of the monthly commitment for each month left after the termination month.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.money import round_half_up_to_fen
from crm.channel_choices import AGREEMENT_TRANSITIONS, AgreementEventKind, AgreementStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import AgreementEvent, ServiceAgreement
from crm.models import Subscription
from crm.services import current_plan
from portal.numbering import next_number

AGREEMENT_VERSION = "2024版电信服务协议"
# The agreement's own text (its clauses 1-3), printed in every agreement as signed.
SERVICE_SCOPE = (
    "电信公司向用户提供包括但不限于固定电话、移动电话、宽带上网、数据传输等在内的综合性电信服务。"
    "电信公司应保证所提供服务的稳定性和可靠性，并符合国家相关电信服务标准和质量要求；"
    "用户对服务质量有异议的，可在规定时间内向电信公司提出，电信公司应及时处理并给予答复。"
)
CUSTOMER_OBLIGATIONS = (
    "1. 遵守法律法规，不得利用电信服务从事违法活动；\n"
    "2. 维护设备正常使用，不得擅自改动或损坏电信设施；\n"
    "3. 按时支付费用，欠费时电信公司可依约暂停服务。"
)
OPERATOR_OBLIGATIONS = (
    "1. 提供优质服务，使用先进的设备和技术并定期更新升级；\n"
    "2. 保障用户隐私，依法保护用户个人信息和通信秘密；\n"
    "3. 及时维修和维护，故障优先处理，并及时答复用户的申诉和投诉。"
)
DEFAULT_TERMINATION_PERCENT = Decimal("30.00")
ZERO = Decimal("0.00")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: datetime.date, months: int) -> datetime.date:
    """The last day of a term of ``months`` starting on ``starts_on``."""
    return add_months(starts_on, months) - datetime.timedelta(days=1)


def _event(agreement, kind: str, *, actor=None, detail: str = "") -> AgreementEvent:
    return AgreementEvent.objects.create(
        agreement=agreement, kind=kind, actor=actor, detail=detail[:300]
    )


def _move(agreement: ServiceAgreement, to_status: str) -> None:
    if to_status not in AGREEMENT_TRANSITIONS[agreement.status]:
        raise ContactError(
            ContactErrorCode.AGREEMENT_NOT_ACTIVE,
            _("An agreement cannot go from %(from)s to %(to)s.")
            % {
                "from": AgreementStatus(agreement.status).label,
                "to": AgreementStatus(to_status).label,
            },
        )
    agreement.status = to_status


def _decimal(value, field: str, default: Decimal) -> Decimal:
    if value is None or value == "":
        return default
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError({field: ValidationError(_("Enter a number."), "invalid")}) from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            {field: ValidationError(_("Enter an amount with at most two decimals."), "invalid")}
        )
    return amount


@transaction.atomic
def sign_agreement(
    subscription: Subscription,
    *,
    actor,
    term_months: int = 12,
    starts_on: datetime.date | None = None,
    auto_renew: bool = True,
    monthly_commitment=None,
    termination_fee_percent=None,
    termination_fee_fixed=None,
    reminder_days: int = 30,
) -> ServiceAgreement:
    """Sign the line's agreement; the monthly commitment defaults to its plan's monthly fee."""
    errors = {}
    if not isinstance(term_months, int) or not 1 <= term_months <= 60:
        errors["term_months"] = ValidationError(_("A term is 1 to 60 months."), code="invalid")
    if not isinstance(reminder_days, int) or not 0 <= reminder_days <= 180:
        errors["reminder_days"] = ValidationError(_("Remind 0 to 180 days before."), "invalid")
    if errors:
        raise ValidationError(errors)
    if not subscription.is_live:
        raise ContactError(
            ContactErrorCode.LINE_NOT_LIVE, _("This line is terminated."), field="subscription"
        )
    starts_on = starts_on or timezone.localdate()
    if monthly_commitment in (None, ""):
        plan = current_plan(subscription, starts_on)
        monthly_commitment = plan.monthly_fee if plan else ZERO
    percent = _decimal(
        termination_fee_percent, "termination_fee_percent", DEFAULT_TERMINATION_PERCENT
    )
    if percent > 100:
        raise ValidationError(
            {"termination_fee_percent": ValidationError(_("At most 100%."), "invalid")}
        )
    agreement = ServiceAgreement(
        number=next_number("SA"),
        subscription=subscription,
        customer=subscription.customer,
        version=AGREEMENT_VERSION,
        term_months=term_months,
        starts_on=starts_on,
        ends_on=term_end(starts_on, term_months),
        auto_renew=bool(auto_renew),
        reminder_days=reminder_days,
        monthly_commitment=_decimal(monthly_commitment, "monthly_commitment", ZERO),
        termination_fee_percent=percent,
        termination_fee_fixed=_decimal(termination_fee_fixed, "termination_fee_fixed", ZERO),
        service_scope=SERVICE_SCOPE,
        customer_obligations=CUSTOMER_OBLIGATIONS,
        operator_obligations=OPERATOR_OBLIGATIONS,
        signed_by=actor,
    )
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError as exc:
        raise ContactError(
            ContactErrorCode.ACTIVE_AGREEMENT_EXISTS,
            _("This line already has an agreement in force."),
            field="subscription",
        ) from exc
    _event(
        agreement,
        AgreementEventKind.SIGNED,
        actor=actor,
        detail=f"{agreement.starts_on} – {agreement.ends_on}",
    )
    return agreement


# --- Early termination --------------------------------------------------------------------------


@dataclass(frozen=True)
class TerminationQuote:
    """What ending the agreement on ``on_day`` costs, and how it is worked out."""

    on_day: datetime.date
    early: bool
    remaining_months: int
    fee: Decimal


def months_left(on_day: datetime.date, ends_on: datetime.date) -> int:
    """Whole months after the termination month up to and including the end month."""
    return max(0, (ends_on.year - on_day.year) * 12 + ends_on.month - on_day.month)


def termination_quote(
    agreement: ServiceAgreement, on_day: datetime.date | None = None
) -> TerminationQuote:
    on_day = on_day or timezone.localdate()
    if on_day >= agreement.ends_on:
        return TerminationQuote(on_day=on_day, early=False, remaining_months=0, fee=ZERO)
    remaining = months_left(on_day, agreement.ends_on)
    variable = round_half_up_to_fen(
        agreement.monthly_commitment * remaining * agreement.termination_fee_percent / 100
    )
    return TerminationQuote(
        on_day=on_day,
        early=True,
        remaining_months=remaining,
        fee=agreement.termination_fee_fixed + variable,
    )


@transaction.atomic
def terminate_agreement(
    agreement: ServiceAgreement, *, actor, reason: str, on_day: datetime.date | None = None
) -> ServiceAgreement:
    """End the agreement before its term; the fee is debited from the line's account."""
    from billing.services import charge_early_termination_fee

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Give a reason."), code="required")})
    agreement = (
        ServiceAgreement.objects.select_for_update(of=("self",))
        .select_related("subscription__billing_account")
        .get(pk=agreement.pk)
    )
    _move(agreement, AgreementStatus.TERMINATED)
    quote = termination_quote(agreement, on_day)
    entry = None
    if quote.fee > 0:
        entry = charge_early_termination_fee(
            agreement.subscription.billing_account,
            amount=quote.fee,
            agreement_number=agreement.number,
            actor=actor,
            subscription=agreement.subscription,
        )
    agreement.terminated_on = quote.on_day
    agreement.termination_reason = reason[:300]
    agreement.termination_fee = quote.fee
    agreement.termination_entry = entry
    agreement.save(
        update_fields=[
            "status",
            "terminated_on",
            "termination_reason",
            "termination_fee",
            "termination_entry",
            "updated_at",
        ]
    )
    _event(
        agreement,
        AgreementEventKind.TERMINATED,
        actor=actor,
        detail=_("%(reason)s; fee %(fee)s yuan for %(months)d months left")
        % {"reason": reason, "fee": quote.fee, "months": quote.remaining_months},
    )
    return agreement


# --- Renewal ------------------------------------------------------------------------------------


def send_renewal_reminders(today: datetime.date | None = None) -> int:
    """Remind customers whose agreement ends within its reminder period, once per term end."""
    from complaints.notifications import notify_account_holder

    today = today or timezone.localdate()
    due = ServiceAgreement.objects.filter(
        status=AgreementStatus.ACTIVE,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=180),
    ).filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("ends_on")))
    sent = 0
    for agreement in due.select_related("customer", "subscription").order_by("ends_on", "pk"):
        if agreement.ends_on - datetime.timedelta(days=agreement.reminder_days) > today:
            continue
        with transaction.atomic():
            claimed = (
                ServiceAgreement.objects.filter(pk=agreement.pk, status=AgreementStatus.ACTIVE)
                .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=agreement.ends_on))
                .update(reminded_for=agreement.ends_on)
            )
            if claimed != 1:
                continue
            values = {
                "number": agreement.number,
                "day": agreement.ends_on.isoformat(),
                "months": agreement.term_months,
            }
            if agreement.auto_renew:
                body = _(
                    "Your service agreement %(number)s ends on %(day)s and then renews for "
                    "%(months)d months. To end it instead, contact us before that day."
                )
            else:
                body = _(
                    "Your service agreement %(number)s ends on %(day)s. To renew it, contact us "
                    "or visit a business hall before that day."
                )
            notify_account_holder(
                agreement.customer,
                subject=_("Your agreement %(number)s ends on %(day)s") % values,
                body=body % values,
                msisdn=agreement.subscription.msisdn or "",
            )
            _event(agreement, AgreementEventKind.REMINDED, detail=values["day"])
            sent += 1
    return sent


def renew_due_agreements(today: datetime.date | None = None) -> tuple[int, int]:
    """Agreements past their end: auto-renewing ones on a live line roll on by their term
    (as many terms as needed to cover today), others expire. Returns (renewed, expired)."""
    today = today or timezone.localdate()
    renewed = expired = 0
    due_ids = list(
        ServiceAgreement.objects.filter(status=AgreementStatus.ACTIVE, ends_on__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for agreement_id in due_ids:
        with transaction.atomic():
            agreement = (
                ServiceAgreement.objects.select_for_update(of=("self",))
                .select_related("subscription")
                .filter(pk=agreement_id, status=AgreementStatus.ACTIVE, ends_on__lt=today)
                .first()
            )
            if agreement is None:
                continue
            if agreement.auto_renew and agreement.subscription.is_live:
                previous = agreement.ends_on
                while agreement.ends_on < today:
                    agreement.ends_on = term_end(
                        agreement.ends_on + datetime.timedelta(days=1), agreement.term_months
                    )
                    agreement.renewals += 1
                agreement.save(update_fields=["ends_on", "renewals", "updated_at"])
                _event(
                    agreement,
                    AgreementEventKind.RENEWED,
                    detail=f"{previous} → {agreement.ends_on}",
                )
                renewed += 1
            else:
                _move(agreement, AgreementStatus.EXPIRED)
                agreement.save(update_fields=["status", "updated_at"])
                _event(agreement, AgreementEventKind.EXPIRED, detail=str(agreement.ends_on))
                expired += 1
    return renewed, expired


# --- The document -------------------------------------------------------------------------------


def agreement_context(agreement: ServiceAgreement) -> dict:
    from billing.invoices import operator_name

    customer = agreement.customer
    return {
        "operator": operator_name(),
        "agreement": agreement,
        "customer_name": customer.masked_name,
        "customer_number": customer.formatted_customer_number,
        "document_number": customer.masked_document_number,
        "service_number": agreement.subscription.service_label,
        "quote_example": termination_quote(agreement, agreement.starts_on),
        "printed_on": timezone.localdate(),
    }


def render_agreement_pdf(agreement: ServiceAgreement) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only agreement requests need.
    from weasyprint import HTML

    html = render_to_string("crm/agreement.html", agreement_context(agreement))
    return HTML(string=html).write_pdf()
