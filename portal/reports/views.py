"""Portal pages of the reports app: the supervisor's dashboard (the supervisor workspace's
landing page), its CSV exports, and the monthly service reports (list, download, generate).

Every page is the supervisor's (``portal.reports.permissions``): anonymous visitors go to sign in,
other roles get 403. Views are thin: the filter form checks the period's shape (a bad one is a
400 with the errors on the fields), ``portal.reports.selectors`` computes the figures, the generate
form calls one service and redirects with a message.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from portal.months import previous_month
from portal.reports import selectors, services
from portal.reports.choices import DashboardBlock, Preset
from portal.reports.exports import chart_data, csv_response
from portal.reports.forms import DashboardFilterForm, GenerateReportForm, ReportListForm
from portal.reports.models import MonthlyServiceReport
from portal.reports.permissions import (
    VIEW_REPORTS,
    may_generate_reports,
    may_view_reports,
)
from portal.reports.services import ReportError
from portal.roles import ROLE_SPECS, Role
from portal.views import RoleWorkspaceView
from portal.web import add_service_error, no_cache_varying_on_htmx, page_number

RECENT_REPORTS = 6
REPORTS_PER_PAGE = 12


def _period_query(period) -> str:
    return urlencode(
        {"start": period.start.isoformat(), "end": period.end.isoformat()}
        | {"granularity": period.granularity}
    )


def _generate_form(today=None) -> GenerateReportForm:
    month = previous_month(today or timezone.localdate())
    return GenerateReportForm(initial={"month": f"{month:%Y-%m}"})


class SupervisorDashboardView(RoleWorkspaceView):
    """The supervisor workspace: the dashboard of the chosen period (this month by default).

    Requests from htmx (the filter form, the preset links) get only the ``#dashboard`` part.
    """

    template_name = "reports/dashboard.html"
    role = Role.SUPERVISOR

    def get_permission_required(self):
        return (ROLE_SPECS[Role.SUPERVISOR].permission, VIEW_REPORTS)

    def get(self, request, *args, **kwargs):
        form = DashboardFilterForm(request.GET)
        partial = request.headers.get("HX-Request") == "true"
        context = self.get_context_data(form=form, presets=Preset.choices)
        status = 200
        if form.is_valid():
            period = form.cleaned_data["period"]
            dashboard = selectors.compute_dashboard(period)
            # The inputs show the days the period resolved to (a preset has none of its own).
            shown = DashboardFilterForm(
                initial={
                    "start": period.start,
                    "end": period.end,
                    "granularity": form.cleaned_data["granularity"],
                }
            )
            context |= {
                "form": shown,
                "dashboard": dashboard,
                "charts": chart_data(dashboard),
                "period_query": _period_query(period),
                "blocks": DashboardBlock,
            }
        else:
            status = 400
        if partial:
            # The same address answers a whole page or the part htmx swaps (the answer varies on
            # the htmx headers).
            return no_cache_varying_on_htmx(
                render(request, "reports/_dashboard.html", context, status=status)
            )
        context |= {
            "recent_reports": list(selectors.reports_for(request.user)[:RECENT_REPORTS]),
            "generate_form": _generate_form() if may_generate_reports(request.user) else None,
        }
        return no_cache_varying_on_htmx(self.render_to_response(context, status=status))


class SupervisorMixin(LoginRequiredMixin):
    """The supervisor's report pages: other roles get 403."""

    allowed = staticmethod(may_view_reports)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DashboardCsvView(SupervisorMixin, View):
    """One block of the dashboard as a CSV file, for the same period parameters."""

    def get(self, request, block: str):
        if block not in DashboardBlock.values:
            raise Http404
        form = DashboardFilterForm(request.GET)
        if not form.is_valid():
            lines = [
                f"{field}: {message}" for field, errors in form.errors.items() for message in errors
            ]
            return HttpResponse(
                "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
            )
        dashboard = selectors.compute_dashboard(form.cleaned_data["period"])
        return no_cache_varying_on_htmx(csv_response(dashboard, block))


class MonthlyReportListView(SupervisorMixin, View):
    """The stored monthly reports: filter by year, newest or oldest first, 12 per page; and
    the form that writes (or rewrites) a month's report."""

    def get(self, request):
        return self.render_page(
            request, _generate_form() if may_generate_reports(request.user) else None
        )

    def render_page(self, request, generate_form, status: int = 200):
        filters = ReportListForm(request.GET)
        rows = selectors.reports_for(request.user)
        ordering = "-month"
        if filters.is_valid():
            if filters.cleaned_data["year"]:
                rows = rows.filter(month__year=filters.cleaned_data["year"])
            ordering = filters.cleaned_data["sort"] or ordering
        else:
            status = 400
        page = Paginator(rows.order_by(ordering), REPORTS_PER_PAGE).get_page(page_number(request))
        page.object_list = list(page.object_list)
        context = {
            "filters": filters,
            "page_obj": page,
            "reports": page.object_list,
            "generate_form": generate_form,
            "sort": ordering,
        }
        return no_cache_varying_on_htmx(
            render(request, "reports/report_list.html", context, status=status)
        )


class MonthlyReportGenerateView(SupervisorMixin, View):
    allowed = staticmethod(may_generate_reports)

    def post(self, request):
        form = GenerateReportForm(request.POST)
        if form.is_valid():
            try:
                report = services.generate_monthly_report(
                    form.cleaned_data["month"], actor=request.user
                )
            except ReportError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("The service report of %(month)s is ready.")
                    % {"month": f"{report.month:%Y-%m}"},
                )
                return HttpResponseRedirect(reverse("reports:report-list"))
        return MonthlyReportListView().render_page(request, form, status=400)


class MonthlyReportPdfView(SupervisorMixin, View):
    def get(self, request, pk: int):
        try:
            report = selectors.reports_for(request.user).get(pk=pk)
        except MonthlyServiceReport.DoesNotExist as exc:
            raise Http404 from exc
        if not report.file:
            raise Http404
        response = FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.download_name,
            content_type="application/pdf",
        )
        return no_cache_varying_on_htmx(response)
