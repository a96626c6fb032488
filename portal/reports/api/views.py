"""Views of the reports API: the supervisor's dashboard figures and the monthly reports.

Supervisors only (403 for every other role). The period takes the page's parameters
(``preset`` or ``start`` and ``end``, ``granularity``) and is checked by the page's own form:
a bad one is a 400 on the field. Writing a report of a month that has not ended is a 400 on
``month``.
"""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.reports import selectors, services
from portal.reports.api import filters, serializers
from portal.reports.choices import Granularity, Preset
from portal.reports.forms import DashboardFilterForm
from portal.reports.permissions import may_generate_reports, may_view_reports


class ViewsReports(BasePermission):
    def has_permission(self, request, view):
        if getattr(view, "action", None) == "create":
            return may_generate_reports(request.user)
        return may_view_reports(request.user)


PERIOD_PARAMETERS = [
    OpenApiParameter("preset", str, enum=Preset.values, description="this_month (default) …"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (with end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (cut to today)."),
    OpenApiParameter("granularity", str, enum=Granularity.values, description="Trend buckets."),
]


class DashboardView(APIView):
    """Every figure of the supervisor's dashboard for a period (this month by default)."""

    permission_classes = [IsAuthenticated, ViewsReports]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=serializers.DashboardSerializer)
    def get(self, request):
        form = DashboardFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        dashboard = selectors.compute_dashboard(form.cleaned_data["period"])
        return Response(serializers.DashboardSerializer(dashboard).data)


class MonthlyReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The stored monthly service reports (newest first); write one; download its PDF."""

    serializer_class = serializers.MonthlyReportSerializer
    permission_classes = [IsAuthenticated, ViewsReports]
    filterset_class = filters.MonthlyReportFilter
    ordering_fields = ["month"]
    ordering = ["-month"]

    def get_queryset(self):
        return selectors.reports_for(self.request.user).order_by("-month")

    @extend_schema(
        request=serializers.GenerateReportSerializer,
        responses={201: serializers.MonthlyReportSerializer},
        description=(
            "Write (or rewrite) the report of a month that has ended, with today's figures "
            "(400 month_not_ended on `month`)."
        ),
    )
    def create(self, request, *args, **kwargs):
        data = serializers.GenerateReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.generate_monthly_report(data.validated_data["month"], actor=request.user)
        return Response(
            serializers.MonthlyReportSerializer(report).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        description="The report as a PDF file.",
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        report = self.get_object()
        if not report.file:
            raise Http404
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.download_name,
            content_type="application/pdf",
        )
