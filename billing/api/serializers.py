"""Shapes of the top-up API. Amounts are decimal strings in yuan."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.choices import TopUpChannel
from billing.models import TopUp


class TopUpCreateSerializer(serializers.Serializer):
    account = serializers.CharField(
        help_text=_("The billing account number, e.g. A1234567890."), max_length=16
    )
    # Text, not a number type: the service parses it exactly (no float on the way).
    amount = serializers.CharField(
        help_text=_('Yuan with at most two decimals, e.g. "50.00".'), max_length=20
    )
    channel = serializers.ChoiceField(choices=TopUpChannel.choices)
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("Card serial or bank reference."),
    )


class TopUpSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_number", read_only=True)
    balance_after = serializers.SerializerMethodField(
        help_text=_("The balance after this top-up, for those who may see the account's detail.")
    )

    class Meta:
        model = TopUp
        fields = ["id", "account", "amount", "channel", "reference", "balance_after", "created_at"]
        read_only_fields = fields

    def get_balance_after(self, top_up) -> str | None:
        if top_up.account_id not in self.context.get("detail_visible_ids", set()):
            return None
        return str(top_up.ledger_entry.balance_after)
