"""Shapes of the bills and balances API. Amounts are decimal strings in yuan; a mobile number
is masked (the full number is accepted as a filter, never printed)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.bill_run import parse_period
from billing.choices import BILL_LINE_FOR_EVENT, BillLineKind
from billing.models import Bill, BillLine, LedgerEntry, UsageRecord
from crm.masking import mask_phone
from crm.validators import normalize_mobile_number


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- Input ------------------------------------------------------------------------------------


class BillQuerySerializer(serializers.Serializer):
    """Filters of the bills list. Staff must name the customer (``msisdn`` or ``customer``):
    they look at one caller's bills at a time, after verifying that caller."""

    msisdn = serializers.CharField(
        required=False,
        max_length=20,
        help_text=_("The full mobile number, exact (a +86 prefix and spaces are accepted)."),
    )
    period = serializers.CharField(
        required=False, max_length=7, help_text=_("The billing month, YYYY-MM.")
    )
    customer = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Id of the customer.")
    )

    def validate_period(self, value):
        try:
            return parse_period(value)
        except ValueError:
            raise serializers.ValidationError(
                _("Give the month as YYYY-MM, e.g. 2026-03."), code="invalid"
            ) from None

    def validate_msisdn(self, value):
        try:
            return normalize_mobile_number(value)
        except DjangoValidationError:
            # A number that cannot exist matches no line: an empty list, as for an unknown one.
            return None


class RecordQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=BillLineKind.choices,
        required=False,
        help_text=_("Only the records of this bill line."),
    )


class BalanceQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Id of the customer (required for staff).")
    )


# --- Output -----------------------------------------------------------------------------------


class BillLineSerializer(serializers.ModelSerializer):
    # Numbers of a bill are decimal strings, like its amounts: clients never parse floats.
    quantity = serializers.DecimalField(
        max_digits=20,
        decimal_places=0,
        read_only=True,
        help_text=_("Minutes, messages, KB, or fee items, as a decimal string."),
    )
    records_url = serializers.SerializerMethodField(
        help_text=_("The itemised records behind this line.")
    )

    class Meta:
        model = BillLine
        fields = ["kind", "quantity", "amount", "tariff_rule", "records_url"]
        read_only_fields = fields

    def get_records_url(self, line) -> str | None:
        if line.kind == BillLineKind.MONTHLY_FEES:
            return None
        url = reverse("billing-bill-records", args=[line.bill_id]) + f"?kind={line.kind}"
        return _absolute(self.context.get("request"), url)


class BillSerializer(serializers.ModelSerializer):
    period = serializers.DateField(format="%Y-%m", read_only=True)
    msisdn = serializers.SerializerMethodField(help_text=_("The line's number, masked."))
    customer = serializers.IntegerField(source="subscription.customer_id", read_only=True)
    lines = BillLineSerializer(many=True, read_only=True)
    records_url = serializers.SerializerMethodField()
    invoice_url = serializers.SerializerMethodField()

    class Meta:
        model = Bill
        fields = [
            "id",
            "period",
            "msisdn",
            "customer",
            "total",
            "lines",
            "verification_code",
            "issued_at",
            "records_url",
            "invoice_url",
        ]
        read_only_fields = fields

    def get_msisdn(self, bill) -> str:
        return bill.subscription.service_label

    def get_records_url(self, bill) -> str:
        return _absolute(
            self.context.get("request"), reverse("billing-bill-records", args=[bill.pk])
        )

    def get_invoice_url(self, bill) -> str:
        return _absolute(
            self.context.get("request"), reverse("billing-bill-invoice", args=[bill.pk])
        )


class UsageRecordSerializer(serializers.ModelSerializer):
    bill_line = serializers.SerializerMethodField(help_text=_("The bill line it is counted on."))
    counterpart = serializers.SerializerMethodField(help_text=_("The other number, masked."))

    class Meta:
        model = UsageRecord
        fields = [
            "record_id",
            "event_type",
            "bill_line",
            "started_at",
            "duration_s",
            "volume_kb",
            "counterpart",
            "charged_units",
            "charge",
            "status",
            "rejection_reason",
            "tariff_rule",
        ]
        read_only_fields = fields

    def get_bill_line(self, record) -> str:
        return BILL_LINE_FOR_EVENT[record.event_type]

    def get_counterpart(self, record) -> str:
        return mask_phone(record.counterpart) if record.counterpart else ""


class LedgerEntrySerializer(serializers.ModelSerializer):
    period = serializers.DateField(format="%Y-%m", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "balance_after", "description", "period", "created_at"]
        read_only_fields = fields


class BalanceSerializer(serializers.Serializer):
    account = serializers.CharField(source="account_number")
    customer = serializers.IntegerField(source="customer_id")
    balance = serializers.SerializerMethodField(help_text=_("Yuan, a decimal string."))
    updated_at = serializers.SerializerMethodField()
    latest_entries = serializers.SerializerMethodField()

    def get_balance(self, account) -> str:
        balance = getattr(account, "prepaid_balance", None)
        return str(balance.balance) if balance is not None else "0.00"

    def get_updated_at(self, account) -> str | None:
        balance = getattr(account, "prepaid_balance", None)
        if balance is None:
            return None
        return serializers.DateTimeField().to_representation(balance.updated_at)

    @extend_schema_field(LedgerEntrySerializer(many=True))
    def get_latest_entries(self, account):
        entries = self.context["latest_entries"].get(account.pk, [])
        return LedgerEntrySerializer(entries, many=True).data
