from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

from portal.navigation import sections_for


class NavSectionSerializer(serializers.Serializer):
    role = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField()


class CurrentUserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name", "email", "roles", "sections"]
        read_only_fields = fields

    def get_roles(self, user) -> list[str]:
        return sorted(role.value for role in user.roles)

    @extend_schema_field(NavSectionSerializer(many=True))
    def get_sections(self, user):
        return NavSectionSerializer(sections_for(user), many=True).data


# --- Errors -----------------------------------------------------------------------------------


class ConflictErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_("The refusing rule, a stable code such as invalid_transition.")
    )
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True, help_text=_("Always null for a 409."))


class ConflictErrorResponseSerializer(serializers.Serializer):
    """409: a business rule refused the request (``portal.errors``); documented per action."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ConflictErrorSerializer(many=True)
