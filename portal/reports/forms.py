"""Forms of the supervisor's dashboard and reports: they check the input's shape."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.months import parse_month
from portal.reports.choices import Granularity, Preset
from portal.reports.periods import ReportPeriod, preset_bounds, resolve_granularity


class DashboardFilterForm(forms.Form):
    """The dashboard's period: a preset, or a start and an end date (GET parameters).

    No parameters at all is this month so far. Explicit dates win over a preset; an end after
    today is cut to today (nothing has happened there yet).
    """

    preset = forms.ChoiceField(
        label=_("Period"), choices=[("", _("Custom dates")), *Preset.choices], required=False
    )
    # ISO dates whatever the language: <input type="date"> reads nothing else.
    start = forms.DateField(
        label=pgettext_lazy("period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    granularity = forms.ChoiceField(label=_("Trends"), choices=Granularity.choices, required=False)

    def __init__(self, data=None, *, today: datetime.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end, preset = data.get("start"), data.get("end"), data.get("preset") or ""
        if start is None and end is None:
            preset = preset or Preset.THIS_MONTH
            start, end = preset_bounds(preset, self.today)
        else:
            preset = ""
            if start is None:
                self.add_error("start", _("Give the first day of the period."))
            if end is None:
                self.add_error("end", _("Give the last day of the period."))
            if self.errors:
                return data
        if start > self.today:
            self.add_error("start", _("The period cannot start after today."))
            return data
        end = min(end, self.today)
        if end < start:
            self.add_error("end", _("The last day cannot be before the first."))
            return data
        limit = settings.REPORTS_MAX_PERIOD_DAYS
        if (end - start).days + 1 > limit:
            self.add_error("end", _("A period covers at most %(days)s days.") % {"days": limit})
            return data
        granularity = resolve_granularity(data.get("granularity") or Granularity.AUTO, start, end)
        data["period"] = ReportPeriod(start, end, granularity, preset=preset)
        return data


class MonthField(forms.CharField):
    """``YYYY-MM`` (what ``<input type="month">`` sends) as the first day of that month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"})
    default_error_messages = {"invalid": _("Give a month as YYYY-MM.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class GenerateReportForm(forms.Form):
    month = MonthField(label=pgettext_lazy("calendar", "Month"))


class ReportListForm(forms.Form):
    """Filter and sort the stored monthly reports."""

    ORDERINGS = (("-month", _("Newest first")), ("month", _("Oldest first")))

    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2999)
    sort = forms.ChoiceField(label=_("Sort"), choices=ORDERINGS, required=False)
