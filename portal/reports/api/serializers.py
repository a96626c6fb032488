"""Shapes of the reports API: the dashboard's figures (read-only) and the monthly reports.

Amounts are decimal strings in yuan, rates decimal strings in %, averages decimal strings;
``null`` where there is nothing to measure (no survey, no ticket with a deadline).
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.reports.forms import MonthField
from portal.reports.models import MonthlyServiceReport

RATE = {"max_digits": 5, "decimal_places": 1, "allow_null": True}
AVERAGE = {"max_digits": 6, "decimal_places": 2, "allow_null": True}
MONEY = {"max_digits": 16, "decimal_places": 2}


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.CharField(help_text=_("week or month: how trends are bucketed."))
    preset = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    tickets_opened = serializers.IntegerField()
    tickets_resolved = serializers.IntegerField()
    sla_rate = serializers.DecimalField(**RATE)
    sla_breached = serializers.IntegerField()
    surveys = serializers.IntegerField()
    satisfaction = serializers.DecimalField(**AVERAGE)
    top_up_count = serializers.IntegerField()
    top_up_amount = serializers.DecimalField(**MONEY)
    revenue = serializers.DecimalField(**MONEY)
    attempts = serializers.IntegerField()
    pass_rate = serializers.DecimalField(**RATE)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()

    def to_representation(self, instance):
        return {"value": instance[0], "label": instance[1]}


class TicketRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("One count per kind, in `kinds` order.")
    )
    total = serializers.IntegerField()


class TicketVolumeSerializer(serializers.Serializer):
    kinds = ChoiceSerializer(many=True)
    rows = TicketRowSerializer(many=True)
    kind_totals = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class SlaRowSerializer(serializers.Serializer):
    queue = serializers.CharField()
    label = serializers.CharField()
    met = serializers.IntegerField()
    late = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    no_deadline = serializers.IntegerField()
    breached = serializers.IntegerField()
    rate = serializers.DecimalField(**RATE)


class SatisfactionRowSerializer(serializers.Serializer):
    bucket = serializers.DateField(help_text=_("First day of the week (Monday) or month."))
    answered = serializers.IntegerField()
    average = serializers.DecimalField(**AVERAGE)
    low = serializers.IntegerField(help_text=_("Scores of 1 or 2."))
    satisfied = serializers.IntegerField(help_text=_("Scores of 4 or 5."))
    satisfied_rate = serializers.DecimalField(**RATE)


class SurveySourceSerializer(serializers.Serializer):
    source = serializers.CharField(help_text=_("ticket or order (a business-hall visit)."))
    label = serializers.CharField()
    answered = serializers.IntegerField()
    average = serializers.DecimalField(**AVERAGE)

    def to_representation(self, instance):
        source, label, answered, average = instance
        return {
            "source": source,
            "label": label,
            "answered": answered,
            "average": None if average is None else str(average),
        }


class SatisfactionSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    rows = SatisfactionRowSerializer(many=True)
    total = SatisfactionRowSerializer()
    distribution = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Answers per score 1 to 5.")
    )
    by_source = SurveySourceSerializer(many=True)


class TopUpRowSerializer(serializers.Serializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    share = serializers.DecimalField(**RATE)


class TopUpsSerializer(serializers.Serializer):
    rows = TopUpRowSerializer(many=True)
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class RevenueRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    fees = serializers.DecimalField(**MONEY)
    usage = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class RevenueSerializer(serializers.Serializer):
    rows = RevenueRowSerializer(many=True)
    total = RevenueRowSerializer()


class TrainingRowSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    title = serializers.CharField()
    course = serializers.CharField()
    taken = serializers.IntegerField()
    passed = serializers.IntegerField()
    rate = serializers.DecimalField(**RATE)
    average = serializers.DecimalField(**AVERAGE)


class TrainingSerializer(serializers.Serializer):
    rows = TrainingRowSerializer(many=True)
    total = TrainingRowSerializer()


class KpiRowSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()
    team = serializers.CharField(source="team.name", default=None, allow_null=True)
    tickets_handled = serializers.IntegerField()
    sla_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    satisfaction_avg = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    incentive_score = serializers.DecimalField(max_digits=5, decimal_places=2)


class KpiRankingSerializer(serializers.Serializer):
    month = serializers.DateField()
    rows = KpiRowSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    computed_at = serializers.DateTimeField()
    summary = SummarySerializer()
    tickets = TicketVolumeSerializer()
    sla = SlaRowSerializer(many=True)
    sla_total = SlaRowSerializer()
    satisfaction = SatisfactionSerializer()
    top_ups = TopUpsSerializer()
    revenue = RevenueSerializer()
    training = TrainingSerializer()
    kpis = KpiRankingSerializer()


class MonthlyReportSerializer(serializers.ModelSerializer):
    generated_by = serializers.CharField(
        source="generated_by.username", default=None, allow_null=True
    )

    class Meta:
        model = MonthlyServiceReport
        fields = ["id", "month", "figures", "generated_at", "generated_by"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-11"})
class MonthInput(serializers.Field):
    """``YYYY-MM``, checked by the page's own month field (one way to parse a month)."""

    default_error_messages = {"invalid": _("Give a month as YYYY-MM.")}

    def to_internal_value(self, data):
        try:
            value = MonthField().clean(data)
        except forms.ValidationError:
            self.fail("invalid")
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class GenerateReportSerializer(serializers.Serializer):
    month = MonthInput(help_text=_("The month to write, YYYY-MM; it must have ended."))
