"""Admin for the service reports: everything here is written by jobs and services, so it is
shown read-only; two actions re-run them (rewrite a month's report, recompute days' rollups)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ReadOnlyAdminMixin
from portal.reports import rollups, services
from portal.reports.models import DailyRollup, MonthlyServiceReport, RolledUpDay
from portal.reports.services import ReportError


@admin.register(MonthlyServiceReport)
class MonthlyServiceReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("month", "generated_at", "generated_by", "file")
    date_hierarchy = "month"
    actions = ["rewrite_reports"]

    @admin.action(description=_("Rewrite the selected reports with today's figures"))
    def rewrite_reports(self, request, queryset):
        written = 0
        for report in queryset.order_by("month"):
            try:
                services.generate_monthly_report(report.month, actor=request.user)
            except ReportError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                written += 1
        self.message_user(
            request,
            ngettext("%(count)d report rewritten.", "%(count)d reports rewritten.", written)
            % {"count": written},
        )


@admin.register(DailyRollup)
class DailyRollupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "metric", "dim1", "dim2", "count", "total")
    list_filter = ("metric",)
    date_hierarchy = "day"


@admin.register(RolledUpDay)
class RolledUpDayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "computed_at")
    date_hierarchy = "day"
    actions = ["recompute"]

    @admin.action(description=_("Recompute the rollups of the selected days"))
    def recompute(self, request, queryset):
        days = sorted(queryset.values_list("day", flat=True))
        if days:
            rollups.roll_up_days(days[0], days[-1])
        self.message_user(
            request,
            ngettext("%(count)d day recomputed.", "%(count)d days recomputed.", len(days))
            % {"count": len(days)},
        )
