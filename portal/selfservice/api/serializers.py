from rest_framework import serializers

from crm.choices import PiiField
from portal.selfservice.selectors import role_label


class PreferencesSerializer(serializers.Serializer):
    marketing_sms = serializers.BooleanField(
        help_text="Offers and promotions by SMS (opt-in, off by default)."
    )
    notices_by_sms = serializers.BooleanField(
        help_text="Service notices (fraud warnings, maintenance, announcements) by SMS."
    )
    messages_by_email = serializers.BooleanField(
        help_text="E-mail copies of account and ticket messages; needs an address on file."
    )


class PiiAccessSerializer(serializers.Serializer):
    """One look at the customer's protected data: when, by which role, what and why."""

    created_at = serializers.DateTimeField()
    role = serializers.SerializerMethodField(help_text="The staff role (a group name).")
    role_label = serializers.SerializerMethodField()
    field = serializers.ChoiceField(choices=PiiField.choices)
    reason = serializers.CharField()

    def get_role(self, look) -> str:
        return look.actor_role or ""

    def get_role_label(self, look) -> str:
        return role_label(look.actor_role)


class ResetRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)


class ResetConfirmSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    code = serializers.RegexField(r"^\s*\d{6}\s*$", max_length=8)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
