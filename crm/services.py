"""Every write of the crm app: one function per use case, each in one transaction.

Input that is malformed raises ``ValidationError`` with field messages (the API answers 400);
a business rule that refuses raises ``CrmError`` with a stable code from ``CrmErrorCode``.
"""

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import (
    ORDER_STEPS,
    ORDER_TRANSITIONS,
    PLAN_KIND_FOR_SUBSCRIPTION,
    SUBSCRIPTION_TRANSITIONS,
    Channel,
    CustomerKind,
    DocumentType,
    InteractionOutcome,
    OrderKind,
    OrderStatus,
    PiiField,
    ProductKind,
    Segment,
    SubscriptionKind,
    SubscriptionStatus,
    VerificationMethod,
    VerificationResult,
)
from crm.error_codes import CrmErrorCode
from crm.models import (
    BillingAccount,
    Customer,
    DataReopening,
    IdentityVerification,
    Interaction,
    PiiAccessLog,
    Product,
    ServiceOrder,
    ServiceOrderStep,
    SmsVerificationCode,
    Subscription,
    SubscriptionProduct,
    SubscriptionStatusChange,
)
from crm.permissions import AccountDetailAccess, account_detail_access, may_reveal_pii
from crm.selectors import open_interaction_with
from crm.validators import normalize_mobile_number, validate_document
from portal.errors import DomainError
from portal.months import next_month
from portal.numbering import next_number
from portal.sms import send_sms


class CrmError(DomainError):
    """A crm business rule refused the operation (codes: ``CrmErrorCode``)."""


# --- Customers ------------------------------------------------------------------------------


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def generate_customer_number() -> str:
    """Nine random digits (not a count of customers) plus a Luhn digit that catches typos."""
    body = str(secrets.randbelow(9 * 10**8) + 10**8)
    return body + _luhn_check_digit(body)


def is_valid_customer_number(value: str) -> bool:
    digits = "".join(value.split())
    return len(digits) == 10 and digits.isdigit() and _luhn_check_digit(digits[:-1]) == digits[-1]


@dataclass(frozen=True)
class CustomerData:
    """Validated, normalised identity and contact data of a new customer."""

    kind: str
    name: str
    document_type: str
    document_number: str
    contact_phone: str
    email: str = ""
    address: str = ""
    segment: str = Segment.STANDARD


def clean_customer_data(
    *,
    kind: str,
    name: str,
    document_type: str,
    document_number: str,
    contact_phone: str,
    email: str = "",
    address: str = "",
    segment: str = Segment.STANDARD,
) -> CustomerData:
    """Validate all fields at once and raise one ``ValidationError`` naming every bad field."""
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError(_("Enter the customer's name."), code="required")]
    if kind not in CustomerKind.values:
        errors["kind"] = [ValidationError(_("Choose individual or enterprise."), code="invalid")]
    if segment not in Segment.values:
        errors["segment"] = [ValidationError(_("Unknown customer segment."), code="invalid")]
    normalised_document = ""
    if document_type == DocumentType.CREDIT_CODE and kind == CustomerKind.INDIVIDUAL:
        errors["document_type"] = [
            ValidationError(
                _("A unified social credit code identifies an enterprise, not a person."),
                code="document_type",
            )
        ]
    elif kind == CustomerKind.ENTERPRISE and document_type != DocumentType.CREDIT_CODE:
        errors["document_type"] = [
            ValidationError(
                _("An enterprise is identified by its unified social credit code."),
                code="document_type",
            )
        ]
    else:
        try:
            normalised_document = validate_document(document_type, document_number or "")
        except ValidationError as exc:
            errors["document_number"] = exc.error_list
    normalised_phone = ""
    try:
        normalised_phone = normalize_mobile_number(contact_phone or "")
    except ValidationError as exc:
        errors["contact_phone"] = exc.error_list
    email = (email or "").strip()
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError as exc:
            errors["email"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return CustomerData(
        kind=kind,
        name=name,
        document_type=document_type,
        document_number=normalised_document,
        contact_phone=normalised_phone,
        email=email,
        address=(address or "").strip(),
        segment=segment,
    )


@transaction.atomic
def create_customer(
    data: CustomerData,
    *,
    channel: str,
    actor,
    service_password: str | None = None,
) -> Customer:
    """Register a customer with a prepaid billing account.

    A customer whose document is already on file is refused (``document_number`` error): one
    person or enterprise has one customer record.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    customer_number=generate_customer_number(),
                    kind=data.kind,
                    name=data.name,
                    document_type=data.document_type,
                    document_number=data.document_number,
                    contact_phone=data.contact_phone,
                    email=data.email,
                    address=data.address,
                    segment=data.segment,
                    channel=channel,
                    created_by=actor,
                    service_password=(
                        _hashed_service_password(service_password) if service_password else ""
                    ),
                )
            break
        except IntegrityError as exc:
            # Two registrations of the same document at once: the constraint decides.
            if Customer.objects.filter(
                document_type=data.document_type, document_number=data.document_number
            ).exists():
                raise ValidationError(
                    {
                        "document_number": ValidationError(
                            _("A customer with this document is already registered."),
                            code="duplicate",
                        )
                    }
                ) from exc
            # Otherwise the random customer number collided: draw another.
    else:  # pragma: no cover - five collisions in a 900-million space
        raise RuntimeError("could not allocate a customer number")
    BillingAccount.objects.create(account_number=f"A{customer.customer_number}", customer=customer)
    return customer


CHANGEABLE_CUSTOMER_FIELDS = ("name", "contact_phone", "email", "address")


def clean_customer_changes(customer: Customer, changes: dict[str, Any]) -> dict[str, str]:
    """Validate a customer data change; only contact data and the name may change."""
    unknown = sorted(set(changes) - set(CHANGEABLE_CUSTOMER_FIELDS))
    if unknown:
        raise ValidationError(
            {
                "data_changes": ValidationError(
                    _("These fields cannot be changed by an order: %(fields)s."),
                    code=CrmErrorCode.FIELD_NOT_CHANGEABLE,
                    params={"fields": ", ".join(unknown)},
                )
            }
        )
    if not changes:
        raise ValidationError(
            {"data_changes": ValidationError(_("Give at least one change."), code="required")}
        )
    current = {
        "kind": customer.kind,
        "name": customer.name,
        "document_type": customer.document_type,
        "document_number": customer.document_number,
        "contact_phone": customer.contact_phone,
        "email": customer.email,
        "address": customer.address,
        "segment": customer.segment,
    }
    cleaned = clean_customer_data(**{**current, **{k: str(v) for k, v in changes.items()}})
    return {field: getattr(cleaned, field) for field in changes}


def _hashed_service_password(raw_password: str) -> str:
    """Service passwords are six digits, as read out on the phone; only the hash is kept."""
    if not (len(raw_password) == 6 and raw_password.isdigit()):
        raise ValidationError(
            {"service_password": ValidationError(_("Use exactly six digits."), code="invalid")}
        )
    return make_password(raw_password)


@transaction.atomic
def set_service_password(customer: Customer, raw_password: str, *, actor) -> Customer:
    """Set the six-digit service password used to verify callers (stored hashed only)."""
    customer.service_password = _hashed_service_password(raw_password)
    customer.save(update_fields=["service_password", "updated_at"])
    return customer


@transaction.atomic
def link_customer_login(customer: Customer, user, *, actor) -> Customer:
    """Give a customer their self-service portal login (one login per customer record)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.user = user
    customer.save(update_fields=["user", "updated_at"])
    return customer


# --- Protected data -------------------------------------------------------------------------


def record_pii_access(
    customer: Customer, field: str, *, actor, reason: str, interaction: Interaction | None = None
) -> PiiAccessLog:
    return PiiAccessLog.objects.create(
        actor=actor, customer=customer, field=field, reason=reason, interaction=interaction
    )


def gate_account_detail(
    user, customer: Customer, *, reason: str, interaction: Interaction | None = None
) -> AccountDetailAccess:
    """Whether ``user`` may see the customer's account detail now (the caller-verification
    gate); a look allowed without verification (a supervisor's) is logged with ``reason``."""
    access = account_detail_access(user, customer)
    if access.must_log:
        record_pii_access(
            customer, PiiField.ACCOUNT_DETAIL, actor=user, reason=reason, interaction=interaction
        )
    return access


@transaction.atomic
def reveal_customer_field(
    customer: Customer,
    field: str,
    *,
    actor,
    reason: str,
    interaction: Interaction | None = None,
) -> str:
    """Return the full ID number or phone of a customer, logging who asked and why."""
    if field not in (PiiField.DOCUMENT_NUMBER, PiiField.CONTACT_PHONE):
        raise ValidationError({"field": ValidationError(_("Unknown field."), code="invalid")})
    reason = (reason or "").strip()
    if not reason:
        raise CrmError(
            CrmErrorCode.REASON_REQUIRED, _("Say why you need the full value."), field="reason"
        )
    if not may_reveal_pii(actor, customer):
        raise CrmError(
            CrmErrorCode.REVEAL_NOT_ALLOWED,
            _("Verify the caller in your current interaction before revealing this."),
        )
    record_pii_access(customer, field, actor=actor, reason=reason, interaction=interaction)
    return getattr(customer, field)


# --- Interactions and identity verification -------------------------------------------------


@transaction.atomic
def start_interaction(
    *,
    channel: str,
    actor,
    reason: str,
    customer: Customer | None = None,
) -> Interaction:
    """Open a contact; the customer is told its number."""
    if channel not in Channel.values:
        raise ValidationError({"channel": ValidationError(_("Unknown channel."), code="invalid")})
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": ValidationError(_("Say why the customer got in touch."), code="required")}
        )
    return Interaction.objects.create(
        number=next_number("IX"),
        channel=channel,
        customer=customer,
        staff=actor,
        reason=reason.strip(),
    )


def _open_interaction_of(interaction: Interaction, actor) -> Interaction:
    locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if locked.ended_at is not None:
        raise CrmError(CrmErrorCode.INTERACTION_CLOSED, _("This interaction has ended."))
    if locked.staff_id != actor.pk:
        raise CrmError(
            CrmErrorCode.NOT_YOUR_INTERACTION, _("Only the staff member handling it may do this.")
        )
    return locked


@transaction.atomic
def end_interaction(
    interaction: Interaction,
    *,
    outcome: str,
    actor,
    notes: str = "",
    service_order: ServiceOrder | None = None,
) -> Interaction:
    if outcome not in InteractionOutcome.values:
        raise ValidationError({"outcome": ValidationError(_("Unknown outcome."), code="invalid")})
    interaction = _open_interaction_of(interaction, actor)
    interaction.outcome = outcome
    interaction.ended_at = timezone.now()
    interaction.notes = "\n".join(part for part in (interaction.notes, notes.strip()) if part)
    if service_order is not None:
        interaction.service_order = service_order
    interaction.save(update_fields=["outcome", "ended_at", "notes", "service_order", "updated_at"])
    return interaction


@transaction.atomic
def attach_customer_to_interaction(interaction: Interaction, customer: Customer, *, actor):
    """Name the customer of a contact that started unidentified (an unknown caller)."""
    interaction = _open_interaction_of(interaction, actor)
    interaction.customer = customer
    interaction.save(update_fields=["customer", "updated_at"])
    return interaction


@transaction.atomic
def send_verification_code(interaction: Interaction, customer: Customer, *, actor):
    """Text a six-digit code to the customer's line on file, for SMS verification."""
    interaction = _open_interaction_of(interaction, actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _refuse_if_locked(customer)
    code = f"{secrets.randbelow(10**6):06d}"
    SmsVerificationCode.objects.filter(
        interaction=interaction, customer=customer, used_at__isnull=True
    ).update(used_at=timezone.now())
    record = SmsVerificationCode.objects.create(
        interaction=interaction,
        customer=customer,
        code_hash=make_password(code),
        expires_at=timezone.now() + datetime.timedelta(minutes=settings.CRM_SMS_CODE_TTL_MINUTES),
    )
    text = _("Your verification code is %(code)s. Customer service will never ask for it twice.")
    send_sms(
        customer.contact_phone,
        text % {"code": code},
        sensitive_body=text % {"code": "******"},
    )
    return record


def _refuse_if_locked(customer: Customer) -> None:
    if customer.verification_locked:
        raise CrmError(
            CrmErrorCode.VERIFICATION_LOCKED,
            _("Too many failed verifications: verification is locked until %(until)s.")
            % {"until": timezone.localtime(customer.verification_locked_until).strftime("%H:%M")},
        )


def count_verification_attempt(customer: Customer, *, passed: bool) -> None:
    """A pass clears the failure count; ``CRM_VERIFICATION_MAX_FAILURES`` failures in a row lock
    verification for ``CRM_VERIFICATION_LOCK_MINUTES``. The caller holds the customer's lock."""
    if passed:
        customer.failed_verifications = 0
        customer.verification_locked_until = None
    else:
        customer.failed_verifications = F("failed_verifications") + 1
    customer.save(update_fields=["failed_verifications", "verification_locked_until"])
    customer.refresh_from_db(fields=["failed_verifications"])
    if customer.failed_verifications >= settings.CRM_VERIFICATION_MAX_FAILURES:
        customer.failed_verifications = 0
        customer.verification_locked_until = timezone.now() + datetime.timedelta(
            minutes=settings.CRM_VERIFICATION_LOCK_MINUTES
        )
        customer.save(update_fields=["failed_verifications", "verification_locked_until"])


@transaction.atomic
def record_verification(
    interaction: Interaction,
    customer: Customer,
    *,
    method: str,
    actor,
    id_number: str = "",
    name: str = "",
    service_password: str = "",
    sms_code: str = "",
) -> IdentityVerification:
    """Check the caller's answer and record the verification, passed or failed.

    Failures count per customer (under the customer's row lock, so parallel attempts cannot
    slip past the limit); ``CRM_VERIFICATION_MAX_FAILURES`` in a row lock verification for
    ``CRM_VERIFICATION_LOCK_MINUTES``. A failed attempt is committed, never rolled back.
    """
    if method not in VerificationMethod.values:
        raise ValidationError({"method": ValidationError(_("Unknown method."), code="invalid")})
    interaction = _open_interaction_of(interaction, actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _refuse_if_locked(customer)

    if method == VerificationMethod.ID_AND_NAME:
        compact_id = "".join((id_number or "").split()).upper()
        passed = compact_id == customer.document_number and (name or "").strip() == customer.name
    elif method == VerificationMethod.SERVICE_PASSWORD:
        passed = bool(customer.service_password) and check_password(
            service_password or "", customer.service_password
        )
    else:
        sms = (
            SmsVerificationCode.objects.select_for_update()
            .filter(
                interaction=interaction,
                customer=customer,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at")
            .first()
        )
        if sms is None:
            raise CrmError(
                CrmErrorCode.NO_SMS_CODE, _("Send a code first; the last one expired or was used.")
            )
        passed = check_password((sms_code or "").strip(), sms.code_hash)
        sms.used_at = timezone.now()
        sms.save(update_fields=["used_at"])

    count_verification_attempt(customer, passed=passed)
    if interaction.customer_id is None:
        interaction.customer = customer
        interaction.save(update_fields=["customer", "updated_at"])
    return IdentityVerification.objects.create(
        interaction=interaction,
        customer=customer,
        method=method,
        result=VerificationResult.PASSED if passed else VerificationResult.FAILED,
        performed_by=actor,
    )


def verify_document_at_counter(
    customer: Customer, *, actor, reason: str, id_number: str, name: str
) -> IdentityVerification:
    """Check an identity document and name at the hall counter (营业厅: sales need the document).

    The check is recorded in the staff member's open contact with the customer, or in a new
    business-hall contact opened for ``reason``; like every verification, a failed one stays.
    """
    interaction = open_interaction_with(actor, customer) or start_interaction(
        channel=Channel.BUSINESS_HALL, reason=reason, customer=customer, actor=actor
    )
    return record_verification(
        interaction,
        customer,
        method=VerificationMethod.ID_AND_NAME,
        actor=actor,
        id_number=id_number,
        name=name,
    )


# --- Subscriptions --------------------------------------------------------------------------


@transaction.atomic
def transition_subscription(
    subscription: Subscription, to_status: str, *, actor, reason: str
) -> Subscription:
    """Suspend, restore or terminate a line, recording who, when and why."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if to_status not in SUBSCRIPTION_TRANSITIONS[subscription.status]:
        raise CrmError(
            CrmErrorCode.INVALID_TRANSITION,
            _("A line cannot go from %(from)s to %(to)s.")
            % {
                "from": SubscriptionStatus(subscription.status).label,
                "to": SubscriptionStatus(to_status).label,
            },
        )
    if not (reason or "").strip():
        raise CrmError(CrmErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    today = timezone.localdate()
    previous = subscription.status
    subscription.status = to_status
    if to_status == SubscriptionStatus.SUSPENDED:
        subscription.suspended_on = today
    elif to_status == SubscriptionStatus.ACTIVE:
        subscription.suspended_on = None
    else:
        subscription.terminated_on = today
        SubscriptionProduct.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=today), subscription=subscription
        ).update(effective_to=today)
    subscription.save(update_fields=["status", "suspended_on", "terminated_on", "updated_at"])
    SubscriptionStatusChange.objects.create(
        subscription=subscription,
        from_status=previous,
        to_status=to_status,
        actor=actor,
        reason=reason.strip(),
    )
    return subscription


def products_on(subscription: Subscription, day: datetime.date):
    return subscription.products.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
    ).select_related("product")


def current_plan(subscription: Subscription, day: datetime.date | None = None):
    day = day or timezone.localdate()
    plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[SubscriptionKind(subscription.kind)]
    row = products_on(subscription, day).filter(product__kind=plan_kind).first()
    return row.product if row else None


# --- Service orders -------------------------------------------------------------------------


def _refuse(code: CrmErrorCode, message: str, field: str | None = None):
    raise CrmError(code, message, field=field)


def _require_live(subscription: Subscription | None, *, kinds=None) -> Subscription:
    if subscription is None:
        raise ValidationError(
            {"subscription": ValidationError(_("Choose the line."), code="required")}
        )
    if not subscription.is_live:
        _refuse(CrmErrorCode.LINE_NOT_LIVE, _("This line is terminated."), "subscription")
    if kinds and subscription.kind not in kinds:
        _refuse(
            CrmErrorCode.PRODUCT_KIND_MISMATCH,
            _("This order does not apply to a %(kind)s.")
            % {"kind": SubscriptionKind(subscription.kind).label},
            "subscription",
        )
    return subscription


def _require_product(product: Product | None, kinds: tuple[str, ...], day) -> Product:
    if product is None:
        raise ValidationError({"product": ValidationError(_("Choose a product."), code="required")})
    if product.kind not in kinds:
        _refuse(
            CrmErrorCode.PRODUCT_KIND_MISMATCH,
            _("%(product)s cannot be ordered here.") % {"product": product.name},
            "product",
        )
    if not product.is_available_on(day):
        _refuse(
            CrmErrorCode.PRODUCT_UNAVAILABLE,
            _("%(product)s is not on sale on %(day)s.") % {"product": product.name, "day": day},
            "product",
        )
    return product


def _msisdn_is_live(msisdn: str) -> bool:
    return (
        Subscription.objects.filter(msisdn=msisdn)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .exists()
    )


@transaction.atomic
def create_service_order(
    *,
    kind: str,
    customer: Customer,
    actor,
    channel: str = Channel.BUSINESS_HALL,
    subscription: Subscription | None = None,
    product: Product | None = None,
    service_number: str = "",
    iccid: str = "",
    installation_address: str = "",
    new_owner: Customer | None = None,
    data_changes: dict | None = None,
    effective_on: datetime.date | None = None,
    fee=None,
    notes: str = "",
    interaction: Interaction | None = None,
) -> ServiceOrder:
    """Receive an order in the hall: check what it asks for now, apply it when processed."""
    today = timezone.localdate()
    if kind not in OrderKind.values:
        raise ValidationError({"kind": ValidationError(_("Unknown order kind."), code="invalid")})
    if subscription is not None and subscription.customer_id != customer.pk:
        raise ValidationError(
            {"subscription": ValidationError(_("This line is not the customer's."), code="invalid")}
        )
    data_changes = dict(data_changes or {})
    one_time = Product.objects.filter(code="UIM_CARD").values_list("one_time_fee", flat=True)

    if kind == OrderKind.OPEN_NUMBER:
        _require_product(product, (ProductKind.MOBILE_PLAN,), today)
        try:
            service_number = normalize_mobile_number(service_number) if service_number else ""
        except ValidationError as exc:
            raise ValidationError({"service_number": exc.error_list}) from exc
        if not service_number:
            raise ValidationError(
                {"service_number": ValidationError(_("Choose the number."), code="required")}
            )
        if not (iccid.isdigit() and 19 <= len(iccid) <= 20):
            raise ValidationError(
                {"iccid": ValidationError(_("An ICCID has 19 or 20 digits."), code="invalid")}
            )
        if _msisdn_is_live(service_number):
            _refuse(
                CrmErrorCode.MSISDN_TAKEN, _("This number is already in use."), "service_number"
            )
        if fee is None:
            fee = one_time.first() or 0
    elif kind == OrderKind.CHANGE_PLAN:
        _require_live(subscription)
        plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[SubscriptionKind(subscription.kind)]
        _require_product(product, (plan_kind,), today)
        effective_on = effective_on or next_month(today)
        if effective_on < today:
            raise ValidationError(
                {"effective_on": ValidationError(_("Cannot take effect in the past."), "invalid")}
            )
        if current_plan(subscription, effective_on) == product:
            _refuse(CrmErrorCode.SAME_PLAN, _("The line already has this plan."), "product")
    elif kind == OrderKind.SUBSCRIBE_SERVICE:
        _require_live(subscription, kinds=(SubscriptionKind.MOBILE,))
        _require_product(product, (ProductKind.FEATURE, ProductKind.VALUE_ADDED), today)
        if products_on(subscription, today).filter(product=product).exists():
            _refuse(CrmErrorCode.ALREADY_SUBSCRIBED, _("Already subscribed."), "product")
    elif kind == OrderKind.UNSUBSCRIBE_SERVICE:
        _require_live(subscription, kinds=(SubscriptionKind.MOBILE,))
        row = products_on(subscription, today).filter(product=product).first()
        if product is None or row is None:
            _refuse(CrmErrorCode.NOT_SUBSCRIBED, _("The line does not have it."), "product")
        earliest_end = _minimum_term_end(row)
        if earliest_end and today < earliest_end:
            _refuse(
                CrmErrorCode.MINIMUM_TERM,
                _("%(product)s must be kept until %(day)s.")
                % {"product": product.name, "day": earliest_end},
                "product",
            )
    elif kind in (OrderKind.BROADBAND_INSTALLATION, OrderKind.FIXED_LINE_INSTALLATION):
        plan_kind = (
            ProductKind.BROADBAND_PLAN
            if kind == OrderKind.BROADBAND_INSTALLATION
            else ProductKind.FIXED_LINE_PLAN
        )
        _require_product(product, (plan_kind,), today)
        if not installation_address.strip():
            raise ValidationError(
                {
                    "installation_address": ValidationError(
                        _("Give the installation address."), code="required"
                    )
                }
            )
        if kind == OrderKind.FIXED_LINE_INSTALLATION and not (
            service_number.isdigit() and 7 <= len(service_number) <= 12
        ):
            raise ValidationError(
                {
                    "service_number": ValidationError(
                        _("Give the fixed-line number, area code included."), code="invalid"
                    )
                }
            )
    elif kind == OrderKind.CUSTOMER_DATA_CHANGE:
        data_changes = clean_customer_changes(customer, data_changes)
    elif kind == OrderKind.OWNERSHIP_TRANSFER:
        _require_live(subscription)
        if new_owner is None or new_owner.pk == customer.pk:
            _refuse(
                CrmErrorCode.TRANSFER_TARGET,
                _("Choose the new owner, another customer."),
                "new_owner",
            )
    elif kind in (OrderKind.CANCEL_NUMBER, OrderKind.REOPEN_DATA):
        _require_live(subscription, kinds=(SubscriptionKind.MOBILE,))

    order = ServiceOrder.objects.create(
        number=next_number("SO"),
        kind=kind,
        customer=customer,
        subscription=subscription,
        channel=channel,
        product=product,
        service_number=service_number,
        iccid=iccid,
        installation_address=installation_address.strip(),
        new_owner=new_owner,
        data_changes=data_changes,
        effective_on=effective_on,
        fee=fee or 0,
        notes=notes,
        created_by=actor,
    )
    ServiceOrderStep.objects.create(order=order, to_status=OrderStatus.RECEPTION, actor=actor)
    if interaction is not None:
        Interaction.objects.filter(pk=interaction.pk, service_order__isnull=True).update(
            service_order=order
        )
    return order


def _minimum_term_end(row: SubscriptionProduct | None) -> datetime.date | None:
    """Minimum terms count whole months from the month after activation (ring-back tone: 6)."""
    if row is None or not row.product.minimum_months:
        return None
    start = next_month(row.effective_from)
    months = start.month - 1 + row.product.minimum_months
    return datetime.date(start.year + months // 12, months % 12 + 1, 1)


def next_order_status(order: ServiceOrder) -> str | None:
    index = ORDER_STEPS.index(order.status) if order.status in ORDER_STEPS else None
    if index is None or index + 1 >= len(ORDER_STEPS):
        return None
    return ORDER_STEPS[index + 1]


@transaction.atomic
def transition_order(
    order: ServiceOrder, to_status: str, *, actor, reason: str = ""
) -> ServiceOrder:
    """The one way an order moves: check the table, lock, fulfil if due, record the step."""
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if to_status not in ORDER_TRANSITIONS.get(order.status, frozenset()):
        raise CrmError(
            CrmErrorCode.INVALID_TRANSITION,
            _("An order cannot go from %(from)s to %(to)s.")
            % {
                "from": OrderStatus(order.status).label,
                "to": OrderStatus(to_status).label
                if to_status in OrderStatus.values
                else to_status,
            },
        )
    reason = (reason or "").strip()
    returning_from_review = (
        order.status == OrderStatus.REVIEW and to_status == OrderStatus.ACCEPTANCE
    )
    if (returning_from_review or to_status == OrderStatus.CANCELLED) and not reason:
        raise CrmError(CrmErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    if order.status == OrderStatus.REVIEW and to_status == OrderStatus.PROCESSING:
        _check_review(order)
    previous = order.status
    order.status = to_status
    update_fields = ["status", "updated_at"]
    if returning_from_review:
        order.rejection_reason = reason
        update_fields.append("rejection_reason")
    if previous == OrderStatus.PROCESSING and to_status == OrderStatus.CONFIRMATION:
        order.fulfilled_at = timezone.now()
        _fulfil(order, actor=actor)
        update_fields += ["fulfilled_at", "subscription"]
    order.save(update_fields=update_fields)
    ServiceOrderStep.objects.create(
        order=order, from_status=previous, to_status=to_status, actor=actor, reason=reason
    )
    if (
        previous == OrderStatus.CONFIRMATION
        and order.channel == Channel.BUSINESS_HALL
        and to_status != OrderStatus.CANCELLED
    ):
        # The customer confirmed what was done in the hall: ask them to evaluate the visit
        # (营业厅服务评价), a survey row written in this same transaction.
        from complaints.surveys import schedule_order_survey

        schedule_order_survey(order)
    return order


def advance_order(order: ServiceOrder, *, actor, reason: str = "") -> ServiceOrder:
    """Move an order to its next hall step."""
    following = next_order_status(order)
    if following is None:
        raise CrmError(CrmErrorCode.INVALID_TRANSITION, _("This order has no next step."))
    return transition_order(order, following, actor=actor, reason=reason)


def reject_order_review(order: ServiceOrder, *, actor, reason: str) -> ServiceOrder:
    """Documents failed review: back to acceptance, with the reason the customer is told."""
    if order.status != OrderStatus.REVIEW:
        # From consultation, acceptance is the next step: a "reject" must not advance the order.
        raise CrmError(
            CrmErrorCode.INVALID_TRANSITION, _("Only an order under review can be rejected.")
        )
    return transition_order(order, OrderStatus.ACCEPTANCE, actor=actor, reason=reason)


def cancel_order(order: ServiceOrder, *, actor, reason: str) -> ServiceOrder:
    return transition_order(order, OrderStatus.CANCELLED, actor=actor, reason=reason)


def _check_review(order: ServiceOrder) -> None:
    """An ownership transfer needs both parties verified before it may be processed."""
    if order.kind != OrderKind.OWNERSHIP_TRANSFER:
        return
    verified = set(
        IdentityVerification.objects.filter(
            customer__in=[order.customer_id, order.new_owner_id],
            result=VerificationResult.PASSED,
            created_at__gte=order.created_at - datetime.timedelta(days=1),
        ).values_list("customer_id", flat=True)
    )
    missing = {order.customer_id, order.new_owner_id} - verified
    if missing:
        raise CrmError(
            CrmErrorCode.VERIFICATION_REQUIRED,
            _("Both the current and the new owner must pass identity verification."),
        )


def _fulfil(order: ServiceOrder, *, actor) -> None:
    """Apply what the order asked for; runs inside the transition's transaction."""
    today = timezone.localdate()
    kind = order.kind
    if kind == OrderKind.OPEN_NUMBER:
        account = order.customer.billing_accounts.order_by("pk").first()
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    customer=order.customer,
                    billing_account=account,
                    kind=SubscriptionKind.MOBILE,
                    msisdn=order.service_number,
                    iccid=order.iccid,
                    activated_on=today,
                )
        except IntegrityError as exc:
            raise CrmError(
                CrmErrorCode.MSISDN_TAKEN,
                _("Number %(msisdn)s was taken by another line meanwhile.")
                % {"msisdn": order.service_number},
                field="service_number",
            ) from exc
        SubscriptionProduct.objects.create(
            subscription=subscription, product=order.product, effective_from=today, order=order
        )
        order.subscription = subscription
    elif kind in (OrderKind.BROADBAND_INSTALLATION, OrderKind.FIXED_LINE_INSTALLATION):
        account = order.customer.billing_accounts.order_by("pk").first()
        subscription = Subscription.objects.create(
            customer=order.customer,
            billing_account=account,
            kind=(
                SubscriptionKind.BROADBAND
                if kind == OrderKind.BROADBAND_INSTALLATION
                else SubscriptionKind.FIXED_LINE
            ),
            fixed_number=order.service_number,
            installation_address=order.installation_address,
            activated_on=today,
        )
        SubscriptionProduct.objects.create(
            subscription=subscription, product=order.product, effective_from=today, order=order
        )
        order.subscription = subscription
    elif kind == OrderKind.CHANGE_PLAN:
        subscription = _require_live(order.subscription)
        effective_on = max(order.effective_on or next_month(today), today)
        plan_kind = PLAN_KIND_FOR_SUBSCRIPTION[SubscriptionKind(subscription.kind)]
        plans = subscription.products.filter(product__kind=plan_kind)
        # Plans starting on or after the change are superseded; the running one ends the day before.
        plans.filter(effective_from__gte=effective_on).delete()
        plans.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_on)).update(
            effective_to=effective_on - datetime.timedelta(days=1)
        )
        SubscriptionProduct.objects.create(
            subscription=subscription,
            product=order.product,
            effective_from=effective_on,
            order=order,
        )
    elif kind == OrderKind.SUBSCRIBE_SERVICE:
        subscription = _require_live(order.subscription)
        if products_on(subscription, today).filter(product=order.product).exists():
            _refuse(CrmErrorCode.ALREADY_SUBSCRIBED, _("Already subscribed."), "product")
        SubscriptionProduct.objects.create(
            subscription=subscription, product=order.product, effective_from=today, order=order
        )
    elif kind == OrderKind.UNSUBSCRIBE_SERVICE:
        subscription = _require_live(order.subscription)
        products_on(subscription, today).filter(product=order.product).update(effective_to=today)
    elif kind == OrderKind.CUSTOMER_DATA_CHANGE:
        customer = Customer.objects.select_for_update().get(pk=order.customer_id)
        changes = clean_customer_changes(customer, order.data_changes)
        for field, value in changes.items():
            setattr(customer, field, value)
        customer.save(update_fields=[*changes, "updated_at"])
    elif kind == OrderKind.OWNERSHIP_TRANSFER:
        subscription = Subscription.objects.select_for_update().get(pk=order.subscription_id)
        subscription.customer = order.new_owner
        subscription.billing_account = order.new_owner.billing_accounts.order_by("pk").first()
        subscription.save(update_fields=["customer", "billing_account", "updated_at"])
    elif kind == OrderKind.CANCEL_NUMBER:
        transition_subscription(
            order.subscription,
            SubscriptionStatus.TERMINATED,
            actor=actor,
            reason=_("Cancelled by order %(number)s") % {"number": order.number},
        )
    elif kind == OrderKind.REOPEN_DATA:
        _require_live(order.subscription)
        DataReopening.objects.create(
            subscription=order.subscription, reopened_at=order.fulfilled_at, order=order
        )
