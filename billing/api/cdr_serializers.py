"""Shapes of the CDR import API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.cdr_import import bad_rows_of
from billing.models import CdrImport


class CdrUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "UTF-8 CSV with the header record_id,msisdn,event_type,started_at,duration_s,"
            "volume_kb,counterpart."
        )
    )


class CdrBadRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("Line in the file; the header is line 1."))
    reason = serializers.CharField()


class CdrImportSerializer(serializers.ModelSerializer):
    imported_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = CdrImport
        fields = [
            "id",
            "file_name",
            "imported_by",
            "rows",
            "rated",
            "rejected",
            "duplicates",
            "bad_rows",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class CdrImportDetailSerializer(CdrImportSerializer):
    """An import with its first bad rows (the command's ``--report`` lists all of them)."""

    bad_row_report = serializers.SerializerMethodField(
        help_text=_("The first 100 bad rows, by line.")
    )

    class Meta(CdrImportSerializer.Meta):
        fields = [*CdrImportSerializer.Meta.fields, "bad_row_report"]
        read_only_fields = fields

    @extend_schema_field(CdrBadRowSerializer(many=True))
    def get_bad_row_report(self, cdr_import):
        rows = self.context.get("bad_rows")
        if rows is None:
            rows = bad_rows_of(cdr_import)
        return CdrBadRowSerializer(rows, many=True).data
