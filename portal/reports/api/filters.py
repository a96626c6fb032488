"""Query filters of the reports API (the stored monthly reports)."""

from django_filters import rest_framework as filters

from portal.reports.models import MonthlyServiceReport


class MonthlyReportFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="month__year", label="Reports of this year.")

    class Meta:
        model = MonthlyServiceReport
        fields = ["year"]
