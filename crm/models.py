"""Customers and their identity, the product catalog, accounts, subscriptions, service orders
and every contact with the customer."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import (
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
from crm.masking import mask_document_number, mask_name, mask_phone

MONEY = {"max_digits": 12, "decimal_places": 2}
# Per-unit rates go below the fen (data is 0.0003 yuan per KB).
RATE = {"max_digits": 12, "decimal_places": 6}
ZERO = Decimal("0.00")


class Customer(models.Model):
    """A person or an enterprise that holds accounts and lines.

    Identity fields are stored in full (normalised) and shown masked everywhere by default:
    ``masked_*`` properties are what every surface renders unless a logged reveal allows more.
    """

    customer_number = models.CharField(
        _("customer number"),
        max_length=10,
        unique=True,
        editable=False,
        help_text=_("Ten digits, the last a Luhn check digit, read out on the phone."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=200)
    document_type = models.CharField(
        _("document type"), max_length=16, choices=DocumentType.choices
    )
    document_number = models.CharField(_("document number"), max_length=32)
    contact_phone = models.CharField(_("contact phone"), max_length=11)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, default=Segment.STANDARD
    )
    channel = models.CharField(_("created in channel"), max_length=16, choices=Channel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    service_password = models.CharField(
        _("service password (hashed)"), max_length=128, blank=True, editable=False
    )
    failed_verifications = models.PositiveSmallIntegerField(
        _("consecutive failed verifications"), default=0, editable=False
    )
    verification_locked_until = models.DateTimeField(
        _("verification locked until"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"], name="uniq_customer_document"
            ),
            models.CheckConstraint(
                condition=Q(kind=CustomerKind.ENTERPRISE, document_type=DocumentType.CREDIT_CODE)
                | (Q(kind=CustomerKind.INDIVIDUAL) & ~Q(document_type=DocumentType.CREDIT_CODE)),
                name="customer_document_fits_kind",
            ),
        ]
        indexes = [models.Index(fields=["contact_phone"], name="crm_customer_phone_idx")]
        permissions = [
            ("reveal_customer_pii", "Can reveal a customer's full ID number and phone"),
            ("view_unverified_customer", "Can see account detail without caller verification"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.masked_name}"

    @property
    def masked_name(self) -> str:
        # Enterprise names are public record; a person's name is personal data.
        if self.kind == CustomerKind.ENTERPRISE:
            return self.name
        return mask_name(self.name)

    @property
    def masked_document_number(self) -> str:
        return mask_document_number(self.document_number)

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def formatted_customer_number(self) -> str:
        """Grouped for reading aloud: ``1234 5678 90``."""
        number = self.customer_number
        return f"{number[:4]} {number[4:8]} {number[8:]}"

    @property
    def verification_locked(self) -> bool:
        return bool(
            self.verification_locked_until and self.verification_locked_until > timezone.now()
        )


class PiiAccessLog(models.Model):
    """Append-only record of every disclosure of protected customer data."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="pii_access"
    )
    field = models.CharField(_("field"), max_length=32, choices=PiiField.choices)
    reason = models.CharField(_("reason"), max_length=300)
    interaction = models.ForeignKey(
        "Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("protected data access")
        verbose_name_plural = _("protected data access log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.actor} {self.field} {self.customer.customer_number}"


class Product(models.Model):
    """An item of the catalog: a plan, a value-added service, a feature or a one-time charge.

    Rates and inclusions of mobile plans live on ``MobilePlanTerms``; everything here is common
    to all kinds. Products are data: billing reads them, nothing hard-codes a price.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProductKind.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    monthly_fee = models.DecimalField(
        _("monthly fee"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    one_time_fee = models.DecimalField(
        _("one-time fee"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    minimum_months = models.PositiveSmallIntegerField(
        _("minimum months"),
        default=0,
        help_text=_("Months the service must be kept, counted from the month after activation."),
    )
    bandwidth_mbps = models.PositiveIntegerField(_("bandwidth (Mbps)"), null=True, blank=True)
    components = models.ManyToManyField(
        "self",
        verbose_name=_("bundle components"),
        symmetrical=False,
        blank=True,
        related_name="bundles",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Invented for demonstrations, not a tariff.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="product_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee__gte=0) & Q(one_time_fee__gte=0),
                name="product_fees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_available_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class MobilePlanTerms(models.Model):
    """Rates, inclusions and caps of a mobile plan (the tariff sheet's numbers)."""

    product = models.OneToOneField(
        Product, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="mobile_terms"
    )
    local_call_per_minute = models.DecimalField(_("local call per minute"), **RATE)
    long_distance_per_minute = models.DecimalField(_("domestic long distance per minute"), **RATE)
    roaming_out_per_minute = models.DecimalField(_("roaming outgoing per minute"), **RATE)
    roaming_in_per_minute = models.DecimalField(_("roaming incoming per minute"), **RATE)
    incoming_per_minute = models.DecimalField(_("incoming at home per minute"), **RATE)
    sms_each = models.DecimalField(_("SMS each"), **RATE)
    data_per_kb = models.DecimalField(_("data per KB"), **RATE)
    included_minutes = models.PositiveIntegerField(_("included minutes"), default=0)
    included_sms = models.PositiveIntegerField(_("included SMS"), default=0)
    included_data_kb = models.PositiveBigIntegerField(_("included data (KB)"), default=0)
    monthly_data_cap_kb = models.PositiveBigIntegerField(
        _("monthly data cut-off (KB)"), null=True, blank=True
    )
    monthly_charge_cap = models.DecimalField(
        _("monthly charge cap incl. fees"), **MONEY, null=True, blank=True
    )
    reopened_data_per_kb = models.DecimalField(
        _("data per KB after re-opening"), **RATE, null=True, blank=True
    )

    class Meta:
        verbose_name = _("mobile plan terms")
        verbose_name_plural = _("mobile plan terms")

    def __str__(self) -> str:
        return str(self.product)


class BillingAccount(models.Model):
    """The prepaid account a customer's lines are charged to (the ledger lives in billing)."""

    account_number = models.CharField(_("account number"), max_length=16, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="billing_accounts",
    )
    is_prepaid = models.BooleanField(_("prepaid"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        ordering = ["account_number"]

    def __str__(self) -> str:
        return self.account_number


class Subscription(models.Model):
    """A line or connection: a mobile number, a broadband connection or a fixed line."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SubscriptionKind.choices)
    # NULL, not "", for lines without a number: the live-number unique constraint ignores NULLs.
    msisdn = models.CharField(  # noqa: DJ001
        _("mobile number"), max_length=11, null=True, blank=True
    )
    iccid = models.CharField(_("SIM card ICCID"), max_length=20, blank=True)
    fixed_number = models.CharField(_("fixed-line number"), max_length=16, blank=True)
    installation_address = models.CharField(_("installation address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    activated_on = models.DateField(_("activated on"))
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["customer", "kind", "activated_on"]
        constraints = [
            # A number may be re-issued once its old line is terminated, never while live.
            models.UniqueConstraint(
                fields=["msisdn"],
                condition=Q(msisdn__isnull=False) & ~Q(status=SubscriptionStatus.TERMINATED),
                name="uniq_live_msisdn",
            ),
            models.CheckConstraint(
                condition=~Q(kind=SubscriptionKind.MOBILE) | Q(msisdn__isnull=False),
                name="mobile_line_has_msisdn",
            ),
            models.CheckConstraint(
                condition=~Q(status=SubscriptionStatus.TERMINATED) | Q(terminated_on__isnull=False),
                name="terminated_line_has_date",
            ),
        ]
        indexes = [models.Index(fields=["msisdn"], name="crm_subscription_msisdn_idx")]

    def __str__(self) -> str:
        return self.service_label

    @property
    def service_label(self) -> str:
        """The line's identifier as staff see it (a mobile number is masked)."""
        if self.kind == SubscriptionKind.MOBILE:
            return mask_phone(self.msisdn or "")
        if self.kind == SubscriptionKind.FIXED_LINE:
            return self.fixed_number
        return self.installation_address

    @property
    def is_live(self) -> bool:
        return self.status != SubscriptionStatus.TERMINATED


class SubscriptionStatusChange(models.Model):
    """Append-only history of a line's status: suspended for arrears, restored, terminated."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=16, choices=SubscriptionStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=SubscriptionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the change."),
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("line status change")
        verbose_name_plural = _("line status changes")
        ordering = ["subscription", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.subscription} {self.from_status}→{self.to_status}"


class SubscriptionProduct(models.Model):
    """A product on a line for a period: its plan, features and value-added services.

    History is kept: a change ends one row (``effective_to``) and starts another, so billing can
    rate any day by the products effective on that day.
    """

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to (inclusive)"), null=True, blank=True)
    order = models.ForeignKey(
        "ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("product on a line")
        verbose_name_plural = _("products on lines")
        ordering = ["subscription", "effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="subscription_product_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.product.code} {self.effective_from}"

    def is_effective_on(self, day) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class DataReopening(models.Model):
    """The subscriber asked to re-open data after the monthly cut-off (billing reads these)."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="data_reopenings",
    )
    reopened_at = models.DateTimeField(_("re-opened at"))
    order = models.OneToOneField(
        "ServiceOrder", verbose_name=_("service order"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("data re-opening")
        verbose_name_plural = _("data re-openings")
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return f"{self.subscription} {self.reopened_at:%Y-%m-%d %H:%M}"


class Interaction(models.Model):
    """One contact with a customer on any channel, with a number the customer is told."""

    number = models.CharField(_("interaction number"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    reason = models.CharField(_("reason"), max_length=300)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=InteractionOutcome.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    service_order = models.ForeignKey(
        "ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="interaction_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class IdentityVerification(models.Model):
    """A staff member's check that the person in an interaction is the customer."""

    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        related_name="verifications",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="verifications",
    )
    method = models.CharField(_("method"), max_length=20, choices=VerificationMethod.choices)
    result = models.CharField(_("result"), max_length=8, choices=VerificationResult.choices)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("performed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["interaction", "customer", "result"], name="crm_verif_gate_idx")
        ]

    def __str__(self) -> str:
        return f"{self.interaction} {self.method} {self.result}"


class SmsVerificationCode(models.Model):
    """A one-time code sent to the line on file; only its hash is stored."""

    interaction = models.ForeignKey(
        Interaction, verbose_name=_("interaction"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=128)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS verification code")
        verbose_name_plural = _("SMS verification codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.interaction} {self.created_at:%H:%M:%S}"


class ServiceOrder(models.Model):
    """A business-hall order, moved step by step through ``ORDER_TRANSITIONS``."""

    number = models.CharField(_("order number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=OrderKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OrderStatus.choices,
        default=OrderStatus.RECEPTION,
        editable=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.BUSINESS_HALL
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("plan or service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service_number = models.CharField(
        _("service number"),
        max_length=16,
        blank=True,
        help_text=_("The mobile number to open, or the fixed-line number to install."),
    )
    iccid = models.CharField(_("SIM card ICCID"), max_length=20, blank=True)
    installation_address = models.CharField(_("installation address"), max_length=300, blank=True)
    new_owner = models.ForeignKey(
        Customer,
        verbose_name=_("new owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_transfers",
    )
    data_changes = models.JSONField(_("customer data changes"), default=dict, blank=True)
    effective_on = models.DateField(
        _("effective on"),
        null=True,
        blank=True,
        help_text=_("Plan changes default to the first day of next month."),
    )
    fee = models.DecimalField(_("fee"), **MONEY, default=ZERO)
    notes = models.TextField(_("notes"), blank=True)
    rejection_reason = models.CharField(_("review rejection reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="order_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class ServiceOrderStep(models.Model):
    """Append-only history of an order's moves: who, when, from where to where, and why."""

    order = models.ForeignKey(
        ServiceOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="steps"
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("order step")
        verbose_name_plural = _("order steps")
        ordering = ["order", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order} {self.from_status}→{self.to_status}"


# The contact channels (chat, hotline and IVR, e-mail in, notices, agreements, knowledge base)
# live in their own module of this app.
from crm.channel_models import *  # noqa: E402, F403
