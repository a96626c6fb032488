"""Writes of the customer self-service portal, one function per use case, each in one
transaction: password reset by SMS code, contact preferences, and the customer's own service
orders (value-added services and plan changes) through crm's order workflow.

Malformed input raises ``ValidationError`` with field messages; a refusal raises
``SelfServiceError`` with a stable code (``SelfServiceErrorCode``).
"""

import datetime
import hashlib
import hmac
import secrets

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import ORDER_STEPS, Channel, OrderKind
from crm.models import Customer, Product, ServiceOrder, Subscription
from crm.services import create_service_order, transition_order
from portal.errors import DomainError
from portal.months import next_month
from portal.selfservice.choices import PreferenceField
from portal.selfservice.error_codes import SelfServiceErrorCode
from portal.selfservice.logins import as_mobile_number, logins_for_number
from portal.selfservice.models import ConsentChange, ContactPreference, PasswordResetRequest
from portal.sms import send_sms


class SelfServiceError(DomainError):
    """A self-service rule refused the operation (codes: ``SelfServiceErrorCode``)."""


# --- Password reset by SMS code ---------------------------------------------------------------


def phone_digest(msisdn: str) -> str:
    """A keyed digest of a number: requests can be counted per number without storing it."""
    key = f"selfservice.reset:{settings.SECRET_KEY}".encode()
    return hmac.new(key, msisdn.encode(), hashlib.sha256).hexdigest()


def _clean_phone(phone: str) -> str:
    msisdn = as_mobile_number(phone)
    if msisdn is None:
        raise ValidationError(
            {
                "phone": ValidationError(
                    _("Enter a valid mainland China mobile number, e.g. 13800138000."),
                    code="invalid",
                )
            }
        )
    return msisdn


def _refuse_if_too_many(digest: str, ip_address: str | None, now: datetime.datetime) -> None:
    hour_ago = now - datetime.timedelta(hours=1)
    recent = PasswordResetRequest.objects.filter(created_at__gte=hour_ago)
    by_number = list(
        recent.filter(phone_digest=digest)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    too_soon = by_number and by_number[0] > now - datetime.timedelta(
        seconds=settings.SELFSERVICE_RESET_RESEND_SECONDS
    )
    too_many = len(by_number) >= settings.SELFSERVICE_RESET_MAX_PER_NUMBER_HOUR or (
        ip_address
        and recent.filter(ip_address=ip_address).count()
        >= settings.SELFSERVICE_RESET_MAX_PER_IP_HOUR
    )
    if too_soon or too_many:
        raise SelfServiceError(
            SelfServiceErrorCode.RESET_RATE_LIMITED,
            _("Too many requests for a code. Wait a while before asking again."),
            field="phone",
        )


@transaction.atomic
def request_password_reset(phone: str, *, ip_address: str | None = None) -> PasswordResetRequest:
    """Text a one-time code to the number if it belongs to a portal login.

    The caller answers the same whether or not a code went out: a request row is written either
    way, and the rate limits (per number and per IP, ``SELFSERVICE_RESET_*``) count both kinds.
    Only a refused (rate-limited) request raises.
    """
    msisdn = _clean_phone(phone)
    digest = phone_digest(msisdn)
    now = timezone.now()
    _refuse_if_too_many(digest, ip_address, now)
    users = logins_for_number(msisdn)
    # A contact number shared by several logins cannot say whose password to reset.
    user = users[0] if len(users) == 1 else None
    expires_at = now + datetime.timedelta(minutes=settings.SELFSERVICE_RESET_CODE_TTL_MINUTES)
    # Codes asked for earlier for this number stop working: only the newest one counts.
    PasswordResetRequest.objects.filter(phone_digest=digest, used_at__isnull=True).update(
        used_at=now
    )
    if user is None:
        return PasswordResetRequest.objects.create(
            phone_digest=digest, ip_address=ip_address, expires_at=expires_at
        )
    code = f"{secrets.randbelow(10**6):06d}"
    request = PasswordResetRequest.objects.create(
        phone_digest=digest,
        ip_address=ip_address,
        user=user,
        code_hash=make_password(code),
        expires_at=expires_at,
    )
    text = _(
        "Your password reset code is %(code)s, valid for %(minutes)s minutes. "
        "If you did not ask for it, ignore this message."
    )
    values = {"minutes": settings.SELFSERVICE_RESET_CODE_TTL_MINUTES}
    send_sms(
        msisdn,
        text % {**values, "code": code},
        sensitive_body=text % {**values, "code": "******"},
    )
    return request


def _invalid_code() -> SelfServiceError:
    return SelfServiceError(
        SelfServiceErrorCode.RESET_CODE_INVALID,
        _("The code is wrong or no longer valid. Ask for a new one."),
        field="code",
    )


def reset_password(phone: str, code: str, new_password: str):
    """Set a new password with the code texted to the number; returns the login.

    The code is single use, expires after ``SELFSERVICE_RESET_CODE_TTL_MINUTES`` and dies after
    ``SELFSERVICE_RESET_MAX_ATTEMPTS`` wrong tries. A wrong code is counted and committed
    before the refusal is raised; the answer for an unknown number is the same as for a wrong
    code. The new password must pass Django's password validators.
    """
    msisdn = _clean_phone(phone)
    with transaction.atomic():
        now = timezone.now()
        request = (
            PasswordResetRequest.objects.select_for_update(of=("self",))
            .filter(
                phone_digest=phone_digest(msisdn),
                used_at__isnull=True,
                expires_at__gt=now,
                failed_attempts__lt=settings.SELFSERVICE_RESET_MAX_ATTEMPTS,
            )
            .exclude(user__isnull=True)
            .select_related("user")
            .order_by("-created_at")
            .first()
        )
        code_ok = request is not None and check_password((code or "").strip(), request.code_hash)
        if request is not None and not code_ok:
            PasswordResetRequest.objects.filter(pk=request.pk).update(
                failed_attempts=F("failed_attempts") + 1
            )
    if not code_ok:
        raise _invalid_code()
    return _set_new_password(request.pk, msisdn, new_password)


@transaction.atomic
def _set_new_password(request_pk: int, msisdn: str, new_password: str):
    request = (
        PasswordResetRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=request_pk)
    )
    if request.used_at is not None:
        raise _invalid_code()
    user = request.user
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.error_list}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    request.used_at = timezone.now()
    request.save(update_fields=["used_at"])
    # Holding the phone proved who this is: failed sign-ins with the number no longer lock it.
    axes_reset(username=msisdn)
    return user


# --- Contact preferences --------------------------------------------------------------------


def preferences_of(customer: Customer) -> ContactPreference:
    """The customer's choices; an unsaved row with the defaults when they never chose."""
    return ContactPreference.objects.filter(customer=customer).first() or ContactPreference(
        customer=customer
    )


@transaction.atomic
def update_contact_preferences(customer: Customer, *, actor, **choices: bool) -> ContactPreference:
    """Save the customer's choices and write one ``ConsentChange`` per setting that changed."""
    unknown = set(choices) - set(PreferenceField.values)
    if unknown:
        raise ValidationError(
            {name: ValidationError(_("Unknown setting."), code="invalid") for name in unknown}
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    preference, _created = ContactPreference.objects.get_or_create(customer=customer)
    if choices.get(PreferenceField.MESSAGES_BY_EMAIL) and not customer.email:
        raise SelfServiceError(
            SelfServiceErrorCode.NO_EMAIL_ON_FILE,
            _("We have no e-mail address for you. Ask for a data change to add one."),
            field=PreferenceField.MESSAGES_BY_EMAIL,
        )
    changes = []
    for field, value in choices.items():
        old = getattr(preference, field)
        if old != bool(value):
            setattr(preference, field, bool(value))
            changes.append(
                ConsentChange(
                    customer=customer,
                    field=field,
                    old_value=old,
                    new_value=bool(value),
                    actor=actor,
                )
            )
    if changes:
        preference.save(update_fields=[change.field for change in changes] + ["updated_at"])
        ConsentChange.objects.bulk_create(changes)
    return preference


# --- The customer's own service orders ------------------------------------------------------

# Steps a self-service order passes without anyone in the hall: the customer asked online (no
# consultation or document check), nothing needs a review for these kinds, the system processes
# it at once; confirmation, payment (monthly fees are billed, nothing is paid now) and the
# follow-up visit have nobody to do them. Every step is still recorded, in crm's own table.
SELF_SERVICE_ORDER_KINDS = frozenset(
    {OrderKind.SUBSCRIBE_SERVICE, OrderKind.UNSUBSCRIBE_SERVICE, OrderKind.CHANGE_PLAN}
)


def _own_line(customer: Customer, subscription: Subscription | None) -> Subscription:
    if subscription is None or subscription.customer_id != customer.pk:
        raise ValidationError(
            {"subscription": ValidationError(_("Choose one of your lines."), code="invalid")}
        )
    return subscription


@transaction.atomic
def place_self_service_order(
    customer: Customer,
    *,
    kind: str,
    subscription: Subscription | None,
    product: Product | None,
    actor,
) -> ServiceOrder:
    """The customer's own order from the portal (channel: self-service portal), created and
    walked through every hall step by ``crm.services`` in one transaction.

    Plan changes take effect on the first of next month (crm's rule); a value-added service is
    on or off from today. A refusal (minimum term, already subscribed, same plan ...) rolls the
    whole order back and is raised as crm raised it.
    """
    if kind not in SELF_SERVICE_ORDER_KINDS:
        raise ValidationError({"kind": ValidationError(_("Unknown order kind."), code="invalid")})
    _own_line(customer, subscription)
    order = create_service_order(
        kind=kind,
        customer=customer,
        actor=actor,
        channel=Channel.WEB_PORTAL,
        subscription=subscription,
        product=product,
        effective_on=(next_month(timezone.localdate()) if kind == OrderKind.CHANGE_PLAN else None),
        notes=_("Placed by the customer in the self-service portal."),
    )
    reason = _("Self-service: no staff step needed")
    for step in ORDER_STEPS[ORDER_STEPS.index(order.status) + 1 :]:
        order = transition_order(order, step, actor=actor, reason=reason)
    return order
