"""Shapes of the top-up API. Amounts are decimal strings in yuan."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.choices import BankCode, TopUpChannel
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
    bank = serializers.ChoiceField(
        choices=BankCode.choices,
        required=False,
        help_text=_("Bank-card top-ups: the card's bank (for bank offers)."),
    )
    promotion = serializers.SlugField(
        required=False,
        max_length=40,
        help_text=_(
            "Code of the top-up offer the customer picks; without it the best eligible offer "
            "applies. An offer that does not apply is a 400 on this field."
        ),
    )


class TopUpSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_number", read_only=True)
    balance_after = serializers.SerializerMethodField(
        help_text=_("The balance after this top-up, for those who may see the account's detail.")
    )

    class Meta:
        model = TopUp
        fields = [
            "id",
            "account",
            "amount",
            "channel",
            "reference",
            "bank",
            "promotion",
            "bonus",
            "points_earned",
            "balance_after",
            "created_at",
        ]
        read_only_fields = fields

    promotion = serializers.SerializerMethodField(help_text=_("Code of the offer it got."))
    bonus = serializers.SerializerMethodField(
        help_text=_("The offer's bonus, credited as its own entry (yuan).")
    )
    points_earned = serializers.SerializerMethodField()

    def get_promotion(self, top_up) -> str | None:
        redemption = getattr(top_up, "promotion_redemption", None)
        return redemption.promotion.code if redemption else None

    def get_bonus(self, top_up) -> str | None:
        redemption = getattr(top_up, "promotion_redemption", None)
        return str(redemption.benefit_amount) if redemption else None

    def get_points_earned(self, top_up) -> int:
        entry = getattr(top_up, "points_entry", None)
        return entry.points if entry else 0

    def get_balance_after(self, top_up) -> str | None:
        if top_up.account_id not in self.context.get("detail_visible_ids", set()):
            return None
        return str(top_up.ledger_entry.balance_after)
