from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
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
