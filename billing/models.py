"""The prepaid ledger, top-ups, rated usage, and monthly bills."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.choices import (
    ArrearsCause,
    ArrearsEventKind,
    ArrearsStatus,
    BankCode,
    BillLineKind,
    InstalmentDueStatus,
    InstalmentEventKind,
    InstalmentPlanStatus,
    LedgerEntryKind,
    PointsEntryKind,
    PromotionKind,
    RewardKind,
    TopUpChannel,
    UsageEventType,
    UsageStatus,
)
from crm.choices import Segment

MONEY = {"max_digits": 14, "decimal_places": 2}


class PrepaidBalance(models.Model):
    """The stored balance of a billing account: always the sum of its ledger entries.

    Changed only by ``billing.services.post_ledger_entry``, under this row's lock, together with
    the entry it adds; ``billing.services.audit_ledger`` checks the equality.
    """

    account = models.OneToOneField(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="prepaid_balance",
    )
    balance = models.DecimalField(_("balance"), **MONEY, default=0)
    # The part of the balance that came from promotions and points, not from payments. Debits
    # use it first, so it is never more than a positive balance; a refund of the balance pays
    # out only ``balance - bonus_balance``.
    bonus_balance = models.DecimalField(_("bonus balance"), **MONEY, default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("prepaid balance")
        verbose_name_plural = _("prepaid balances")
        constraints = [
            models.CheckConstraint(
                condition=Q(bonus_balance__gte=0), name="bonus_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"

    @property
    def paid_balance(self) -> Decimal:
        """The part of the balance that came from payments (what a refund pays out)."""
        return max(self.balance - self.bonus_balance, Decimal("0.00"))


class CdrImport(models.Model):
    """One import of call detail records: where they came from and what became of them."""

    file_name = models.CharField(_("file name"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    rejected = models.PositiveIntegerField(_("rejected by rating"), default=0)
    duplicates = models.PositiveIntegerField(_("already imported"), default=0)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("CDR import")
        verbose_name_plural = _("CDR imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


class CdrImportBadRow(models.Model):
    """A row of a CDR file that could not be imported: where it was and why.

    Stored with the import, in its transaction, so that any web or worker host can show it.
    """

    cdr_import = models.ForeignKey(
        CdrImport,
        verbose_name=_("CDR import"),
        on_delete=models.CASCADE,
        related_name="bad_row_reports",
    )
    line = models.PositiveIntegerField(_("line"), help_text=_("The header is line 1."))
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("bad CDR row")
        verbose_name_plural = _("bad CDR rows")
        ordering = ["cdr_import", "line"]
        indexes = [models.Index(fields=["cdr_import", "line"], name="billing_cdr_bad_row_idx")]

    def __str__(self) -> str:
        return f"{self.cdr_import_id}:{self.line}"


class LedgerEntry(models.Model):
    """One change of a prepaid balance. Append-only: a mistake is corrected by another entry."""

    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerEntryKind.choices)
    amount = models.DecimalField(
        _("amount"), **MONEY, help_text=_("Positive credits the account, negative debits it.")
    )
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    description = models.CharField(_("description"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the entry comes from, for tracing a balance back to its causes.
    cdr_import = models.ForeignKey(
        CdrImport,
        verbose_name=_("CDR import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period = models.DateField(_("billing month"), null=True, blank=True)
    promotion = models.ForeignKey(
        "Promotion",
        verbose_name=_("promotion"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["account", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero"),
            # One monthly-fee entry per line and month: a re-run bill run cannot charge twice.
            models.UniqueConstraint(
                fields=["subscription", "period"],
                condition=Q(kind=LedgerEntryKind.MONTHLY_FEE),
                name="uniq_monthly_fee_per_line_month",
            ),
        ]
        indexes = [models.Index(fields=["account", "created_at"], name="billing_ledger_acct_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount}"


class TopUp(models.Model):
    """Money paid in on a channel, credited once; a retried request with the same
    ``Idempotency-Key`` finds this row instead of paying again."""

    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="top_ups",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    channel = models.CharField(_("channel"), max_length=24, choices=TopUpChannel.choices)
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("Card serial or bank reference.")
    )
    bank = models.CharField(
        _("card's bank"),
        max_length=8,
        choices=BankCode.choices,
        blank=True,
        help_text=_("For bank-card top-ups: the bank that issued the card (bank offers)."),
    )
    # NULL when the client sent no key: the unique constraint then does not apply.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=128, null=True, blank=True
    )
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        related_name="top_up",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_positive"),
            models.UniqueConstraint(
                fields=["actor", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="uniq_top_up_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} +{self.amount} ({self.channel})"


class UsageRecord(models.Model):
    """A rated (or rejected) call detail record. ``record_id`` makes re-imports harmless."""

    record_id = models.CharField(_("record id"), max_length=64, unique=True)
    cdr_import = models.ForeignKey(
        CdrImport, verbose_name=_("CDR import"), on_delete=models.PROTECT, related_name="records"
    )
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="usage_records",
    )
    event_type = models.CharField(_("event"), max_length=20, choices=UsageEventType.choices)
    started_at = models.DateTimeField(_("started at"))
    billing_month = models.DateField(_("billing month"))
    duration_s = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    volume_kb = models.PositiveBigIntegerField(_("volume (KB)"), null=True, blank=True)
    counterpart = models.CharField(_("other number"), max_length=32, blank=True)
    charged_units = models.PositiveBigIntegerField(
        _("charged units"), default=0, help_text=_("Minutes, messages or KB charged.")
    )
    charge = models.DecimalField(_("charge"), **MONEY, default=0)
    status = models.CharField(_("status"), max_length=8, choices=UsageStatus.choices)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    tariff_rule = models.CharField(
        _("tariff rule"), max_length=120, help_text=_("Plan code, rule and rate applied.")
    )

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["subscription", "started_at", "record_id"]
        constraints = [
            models.CheckConstraint(condition=Q(charge__gte=0), name="usage_charge_not_negative"),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "billing_month", "started_at"],
                name="billing_usage_month_idx",
            )
        ]

    def __str__(self) -> str:
        return self.record_id


class UsageMonth(models.Model):
    """Running totals of a line's month that the caps depend on, kept by rating."""

    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="usage_months",
    )
    month = models.DateField(_("billing month"))
    data_kb = models.PositiveBigIntegerField(_("data volume (KB)"), default=0)
    data_charge = models.DecimalField(_("data charges"), **MONEY, default=0)
    voice_charge = models.DecimalField(_("voice charges"), **MONEY, default=0)
    sms_charge = models.DecimalField(_("SMS charges"), **MONEY, default=0)

    class Meta:
        verbose_name = _("usage month")
        verbose_name_plural = _("usage months")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "month"], name="uniq_usage_month")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m}"

    @property
    def charges(self) -> Decimal:
        """Usage charges of the month so far (fees are debited by the bill run)."""
        return self.data_charge + self.voice_charge + self.sms_charge

    @property
    def data_mb(self) -> Decimal:
        return (Decimal(self.data_kb) / 1024).quantize(Decimal("0.1"))


class Bill(models.Model):
    """A line's closed month: lines by kind, the total, and the invoice's verification code."""

    subscription = models.ForeignKey(
        "crm.Subscription", verbose_name=_("line"), on_delete=models.PROTECT, related_name="bills"
    )
    period = models.DateField(_("billing month"), help_text=_("The first day of the month."))
    total = models.DecimalField(_("total"), **MONEY)
    verification_code = models.CharField(_("invoice verification code"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-period", "subscription"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period"], name="uniq_bill_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="bill_period_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period:%Y-%m}"


class BillLine(models.Model):
    bill = models.ForeignKey(
        Bill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=BillLineKind.choices)
    quantity = models.PositiveBigIntegerField(
        _("quantity"), help_text=_("Minutes, messages, KB, or fee items.")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    tariff_rule = models.CharField(_("tariff rule"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "kind"], name="uniq_bill_line_kind"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.bill} {self.kind} {self.amount}"


# --- Commerce: promotions, points, credit purchases, arrears ---------------------------------

PERCENT = {"max_digits": 5, "decimal_places": 2}


class CreditPolicy(models.Model):
    """What a customer segment may owe: how far below zero a prepaid balance may go before the
    account is in arrears, and the conditions of a credit phone purchase (营业厅 9.1.1).

    One row per segment, created by the migration and edited in the admin.
    """

    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices, unique=True)
    overdraft_limit = models.DecimalField(
        _("credit limit below zero"),
        **MONEY,
        default=0,
        help_text=_("The account is in arrears when its balance falls below minus this amount."),
    )
    purchase_credit_limit = models.DecimalField(
        _("credit purchase limit"),
        **MONEY,
        default=0,
        help_text=_("The most a customer may owe on instalment plans at once."),
    )
    min_age_years = models.PositiveSmallIntegerField(_("minimum age (years)"), default=18)
    min_tenure_months = models.PositiveSmallIntegerField(
        _("minimum time on the network (months)"), default=6
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")
        ordering = ["segment"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overdraft_limit__gte=0) & Q(purchase_credit_limit__gte=0),
                name="credit_policy_limits_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.get_segment_display()


class Promotion(models.Model):
    """An offer: its kind, when it runs, who may have it, what it gives and how often.

    Promotions are data edited in the admin. ``redemptions`` and ``benefit_granted`` are
    counters kept by the services under the promotion's row lock; the check constraints hold
    them within ``max_redemptions`` and ``budget`` even if a writer forgot the lock.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PromotionKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"))
    # Who may have it.
    segment = models.CharField(
        _("only for segment"), max_length=16, choices=Segment.choices, blank=True
    )
    channel = models.CharField(
        _("only for top-ups on channel"), max_length=24, choices=TopUpChannel.choices, blank=True
    )
    bank = models.CharField(
        _("only for cards of bank"), max_length=8, choices=BankCode.choices, blank=True
    )
    min_amount = models.DecimalField(
        _("minimum top-up"), **MONEY, null=True, blank=True, help_text=_("Top-up offers.")
    )
    min_group_size = models.PositiveIntegerField(
        _("minimum lines of the enterprise"),
        null=True,
        blank=True,
        help_text=_("Group purchases: the enterprise customer's live lines, at least."),
    )
    # What it gives.
    benefit_amount = models.DecimalField(
        _("fixed benefit"),
        **MONEY,
        default=0,
        help_text=_("Top-up bonus in yuan, or the bill credit a points redemption gives."),
    )
    benefit_percent = models.DecimalField(
        _("benefit percent"),
        **PERCENT,
        default=0,
        help_text=_("Bonus as a percentage of the top-up, or discount on the device price."),
    )
    max_benefit = models.DecimalField(
        _("benefit cap"), **MONEY, null=True, blank=True, help_text=_("Per use, in yuan.")
    )
    points_cost = models.PositiveIntegerField(_("points cost"), null=True, blank=True)
    reward = models.CharField(_("reward"), max_length=24, choices=RewardKind.choices, blank=True)
    product = models.ForeignKey(
        "crm.Product",
        verbose_name=_("value-added service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reward_months = models.PositiveSmallIntegerField(
        _("months of the service paid by points"), default=1
    )
    # How often.
    per_customer_limit = models.PositiveIntegerField(
        _("uses per customer"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_redemptions = models.PositiveIntegerField(
        _("uses in total"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    budget = models.DecimalField(
        _("budget"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("The most all uses may give together, in yuan. Empty: no limit."),
    )
    redemptions = models.PositiveIntegerField(_("uses so far"), default=0, editable=False)
    benefit_granted = models.DecimalField(_("given so far"), **MONEY, default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["kind", "-valid_to", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="promotion_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(benefit_amount__gte=0)
                & Q(benefit_percent__gte=0)
                & Q(benefit_percent__lte=100),
                name="promotion_benefit_in_range",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redemptions__lte=models.F("max_redemptions")),
                name="promotion_within_max_redemptions",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(benefit_granted__lte=models.F("budget")),
                name="promotion_within_budget",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.POINTS_REDEMPTION)
                | (Q(points_cost__gt=0) & ~Q(reward="")),
                name="points_redemption_has_cost_and_reward",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.BANK_OFFER) | ~Q(bank=""),
                name="bank_offer_names_bank",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.GROUP_PURCHASE) | Q(min_group_size__gte=1),
                name="group_purchase_has_group_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        errors = {}
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end comes before the start.")
        if self.kind == PromotionKind.POINTS_REDEMPTION:
            if not self.points_cost:
                errors["points_cost"] = _("A points redemption costs points.")
            if not self.reward:
                errors["reward"] = _("Choose what the points buy.")
            elif self.reward == RewardKind.VALUE_ADDED_SERVICE and self.product_id is None:
                errors["product"] = _("Choose the value-added service.")
            elif self.reward == RewardKind.BILL_CREDIT and not self.benefit_amount:
                errors["benefit_amount"] = _("Give the bill credit in yuan.")
        if self.kind == PromotionKind.BANK_OFFER and not self.bank:
            errors["bank"] = _("Name the bank whose cards get the offer.")
        if self.kind == PromotionKind.GROUP_PURCHASE and not self.min_group_size:
            errors["min_group_size"] = _("Give the group size the price is for.")
        if errors:
            raise ValidationError(errors)

    def is_valid_on(self, day) -> bool:
        return self.is_active and self.valid_from <= day <= self.valid_to


class PromotionRedemption(models.Model):
    """One use of a promotion: by a top-up, an instalment purchase or a points redemption.

    Each source may use a promotion once (one-to-one keys): a retried payment finds its first
    redemption, never a second.
    """

    promotion = models.ForeignKey(
        Promotion,
        verbose_name=_("promotion"),
        on_delete=models.PROTECT,
        related_name="redemption_records",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="promotion_redemptions",
    )
    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    top_up = models.OneToOneField(
        TopUp,
        verbose_name=_("top-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotion_redemption",
    )
    instalment_plan = models.OneToOneField(
        "InstalmentPlan",
        verbose_name=_("instalment plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotion_redemption",
    )
    points_entry = models.OneToOneField(
        "PointsEntry",
        verbose_name=_("points entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotion_redemption",
    )
    service_order = models.ForeignKey(
        "crm.ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    benefit_amount = models.DecimalField(_("benefit"), **MONEY, default=0)
    points_spent = models.PositiveIntegerField(_("points spent"), default=0)
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotion_redemption",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion use")
        verbose_name_plural = _("promotion uses")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(top_up__isnull=False, instalment_plan__isnull=True, points_entry__isnull=True)
                    | Q(
                        top_up__isnull=True,
                        instalment_plan__isnull=False,
                        points_entry__isnull=True,
                    )
                    | Q(
                        top_up__isnull=True,
                        instalment_plan__isnull=True,
                        points_entry__isnull=False,
                    )
                ),
                name="promotion_use_has_one_source",
            ),
            models.CheckConstraint(
                condition=Q(benefit_amount__gte=0), name="promotion_use_benefit_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["promotion", "customer"], name="billing_promo_use_cust_idx")
        ]

    def __str__(self) -> str:
        return f"{self.promotion.code} {self.customer_id}"


class PointsAccount(models.Model):
    """A customer's points balance: always the sum of their points entries, never negative.

    Changed only by ``billing.points`` under this row's lock, together with the entry.
    """

    customer = models.OneToOneField(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="points_account",
    )
    balance = models.BigIntegerField(_("points"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class PointsEntry(models.Model):
    """One change of a points balance. Earned points are lots that expire on ``expires_on``;
    ``remaining`` is what redemptions and expiry have not yet taken from the lot."""

    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=PointsEntryKind.choices)
    points = models.BigIntegerField(_("points"), help_text=_("Earned positive, spent negative."))
    balance_after = models.BigIntegerField(_("balance after"))
    remaining = models.BigIntegerField(_("points left in the lot"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    top_up = models.OneToOneField(
        TopUp,
        verbose_name=_("top-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_entry",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["customer", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=PointsEntryKind.EARN) & Q(points__gt=0))
                | (~Q(kind=PointsEntryKind.EARN) & Q(points__lt=0)),
                name="points_entry_sign_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=PointsEntryKind.EARN)
                    & Q(remaining__gte=0)
                    & Q(remaining__lte=models.F("points"))
                    & Q(expires_on__isnull=False)
                )
                | (~Q(kind=PointsEntryKind.EARN) & Q(remaining__isnull=True)),
                name="points_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="billing_points_history_idx"),
            models.Index(
                fields=["expires_on"],
                condition=Q(remaining__gt=0),
                name="billing_points_open_lots_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points}"


class Device(models.Model):
    """A handset the halls sell, outright or on instalments."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    brand = models.CharField(_("brand"), max_length=60)
    name = models.CharField(_("model"), max_length=120)
    price = models.DecimalField(_("price"), **MONEY)
    is_active = models.BooleanField(_("on sale"), default=True)
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Invented for demonstrations.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["brand", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="device_price_positive")
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"


class InstalmentPlan(models.Model):
    """A phone bought on credit (信用购机): price, discount, down payment, the financed rest
    and its interest, paid in monthly dues charged from the prepaid balance."""

    number = models.CharField(_("plan number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="instalment_plans",
    )
    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="instalment_plans",
    )
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="+"
    )
    device_price = models.DecimalField(_("device price"), **MONEY)
    discount = models.DecimalField(_("discount"), **MONEY, default=0)
    promotion = models.ForeignKey(
        Promotion,
        verbose_name=_("promotion"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    down_payment = models.DecimalField(_("down payment"), **MONEY, default=0)
    financed_amount = models.DecimalField(_("financed amount"), **MONEY)
    months = models.PositiveSmallIntegerField(_("months"))
    monthly_rate = models.DecimalField(_("monthly rate"), max_digits=7, decimal_places=6, default=0)
    interest_total = models.DecimalField(_("interest"), **MONEY, default=0)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InstalmentPlanStatus.choices,
        default=InstalmentPlanStatus.ACTIVE,
        editable=False,
    )
    purchased_on = models.DateField(_("purchased on"))
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sold by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    interaction = models.ForeignKey(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months__in=(3, 6, 12, 24)), name="instalment_months_allowed"
            ),
            models.CheckConstraint(
                condition=Q(
                    financed_amount=models.F("device_price")
                    - models.F("discount")
                    - models.F("down_payment")
                ),
                name="instalment_financed_is_price_less_payments",
            ),
            models.CheckConstraint(
                condition=Q(financed_amount__gt=0)
                & Q(discount__gte=0)
                & Q(down_payment__gte=0)
                & Q(interest_total__gte=0)
                & Q(monthly_rate__gte=0),
                name="instalment_amounts_in_range",
            ),
        ]
        indexes = [models.Index(fields=["customer", "status"], name="billing_plan_customer_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def total_payable(self):
        return self.financed_amount + self.interest_total

    @property
    def is_interest_free(self) -> bool:
        return not self.monthly_rate


class InstalmentDue(models.Model):
    """One monthly due of a plan: principal and interest, charged from the balance on its date."""

    plan = models.ForeignKey(
        InstalmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="dues"
    )
    sequence = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(pgettext_lazy("instalment", "due on"))
    principal = models.DecimalField(_("principal"), **MONEY)
    interest = models.DecimalField(_("interest"), **MONEY, default=0)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InstalmentDueStatus.choices,
        default=InstalmentDueStatus.SCHEDULED,
    )
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instalment_due",
    )

    class Meta:
        verbose_name = _("instalment due")
        verbose_name_plural = _("instalment dues")
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="uniq_instalment_sequence"),
            models.CheckConstraint(
                condition=Q(amount=models.F("principal") + models.F("interest"))
                & Q(principal__gte=0)
                & Q(interest__gte=0),
                name="instalment_due_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="billing_due_status_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.sequence} {self.due_on}"


class InstalmentEvent(models.Model):
    """Append-only history of a plan: purchase, each due paid or overdue, payoff, cancellation."""

    plan = models.ForeignKey(
        InstalmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="events"
    )
    due = models.ForeignKey(
        InstalmentDue,
        verbose_name=_("due"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InstalmentEventKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the change."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("instalment event")
        verbose_name_plural = _("instalment events")
        ordering = ["plan", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.kind}"


class ArrearsCase(models.Model):
    """An account in arrears: noticed and notified, suspended after the grace period, cleared
    by a payment. At most one open case per account; every step is an ``ArrearsEvent``."""

    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="arrears_cases",
    )
    cause = models.CharField(_("cause"), max_length=20, choices=ArrearsCause.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ArrearsStatus.choices, default=ArrearsStatus.NOTIFIED
    )
    balance_at_opening = models.DecimalField(_("balance when opened"), **MONEY)
    overdue_at_opening = models.DecimalField(_("overdue instalments when opened"), **MONEY)
    opened_at = models.DateTimeField(_("opened at"))
    suspend_after = models.DateTimeField(_("suspend lines after"))
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("arrears case")
        verbose_name_plural = _("arrears cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(status=ArrearsStatus.CLEARED),
                name="uniq_open_arrears_case",
            ),
        ]
        indexes = [
            models.Index(
                fields=["suspend_after"],
                condition=Q(status=ArrearsStatus.NOTIFIED),
                name="billing_arrears_grace_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.status} {self.opened_at:%Y-%m-%d}"


class ArrearsEvent(models.Model):
    """Append-only history of an arrears case: the notice, each line suspended and restored,
    the clearance."""

    case = models.ForeignKey(
        ArrearsCase, verbose_name=_("arrears case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ArrearsEventKind.choices)
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the change."),
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("arrears event")
        verbose_name_plural = _("arrears events")
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class LowBalanceAlert(models.Model):
    """A low-balance reminder sent to an account: one per dip below the threshold, closed when
    the balance is back above it."""

    account = models.ForeignKey(
        "crm.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="low_balance_alerts",
    )
    balance = models.DecimalField(_("balance"), **MONEY)
    threshold = models.DecimalField(_("threshold"), **MONEY)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("low-balance reminder")
        verbose_name_plural = _("low-balance reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(closed_at__isnull=True),
                name="uniq_open_low_balance_alert",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.balance}"
