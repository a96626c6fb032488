"""Query filters of the reports API (the stored monthly reports)."""

from django_filters import rest_framework as filters

from portal.api.filtering import IntegerFilter
from portal.reports.models import MonthlyServiceReport


class MonthlyReportFilter(filters.FilterSet):
    year = IntegerFilter(
        field_name="month__year", min_value=1, max_value=9999, label="Reports of this year."
    )

    class Meta:
        model = MonthlyServiceReport
        fields = ["year"]
