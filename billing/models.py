"""The prepaid ledger, top-ups, rated usage, and monthly bills."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.choices import (
    BillLineKind,
    LedgerEntryKind,
    TopUpChannel,
    UsageEventType,
    UsageStatus,
)

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
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("prepaid balance")
        verbose_name_plural = _("prepaid balances")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


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
