"""CDR imports over the API: upload a file (imported and rated at once), list and read them."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from billing.api.cdr_serializers import (
    CdrImportDetailSerializer,
    CdrImportSerializer,
    CdrUploadSerializer,
)
from billing.cdr_import import CdrFileError, import_cdrs
from billing.selectors import cdr_imports_for

# Larger files take longer than a request should: they go through ``manage.py import_cdrs``.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class CdrImportPermission(BasePermission):
    """Uploading needs ``billing.add_cdrimport``; reading ``billing.view_cdrimport``."""

    def has_permission(self, request, view):
        if view.action == "create":
            return request.user.has_perm("billing.add_cdrimport")
        return request.user.has_perm("billing.view_cdrimport")


class CdrImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of call detail records, newest first, with their counts and bad rows."""

    permission_classes = [IsAuthenticated, CdrImportPermission]
    filter_backends = []
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return cdr_imports_for(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return CdrImportSerializer
        return CdrImportDetailSerializer

    @extend_schema(
        request={"multipart/form-data": CdrUploadSerializer},
        responses={201: CdrImportDetailSerializer},
        description=(
            "Import, rate and debit a CSV of call detail records of at most 20 MB (larger files: "
            "manage.py import_cdrs). Records already imported count as duplicates and are not "
            "charged again; bad rows are reported with their line and not stored."
        ),
    )
    def create(self, request, *args, **kwargs):
        upload = CdrUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                {
                    "file": ValidationError(
                        _(
                            "The file is larger than %(limit)s MB: import it with the "
                            "import_cdrs command."
                        )
                        % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
                        code="file_too_large",
                    )
                }
            )
        try:
            result = import_cdrs(file, file_name=file.name, actor=request.user)
        except CdrFileError as exc:
            raise ValidationError(
                {"file": ValidationError(str(exc), code="invalid_file")}
            ) from None
        context = {**self.get_serializer_context(), "bad_rows": result.bad_rows}
        serializer = CdrImportDetailSerializer(result.cdr_import, context=context)
        return Response(serializer.data, status=status.HTTP_201_CREATED)
