"""Choices of the reports app: what a daily rollup row counts, and the dashboard's periods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RollupMetric(models.TextChoices):
    """What one ``DailyRollup`` row counts, and what its two dimensions hold.

    ``day`` is the local (Asia/Shanghai) date of the event named below; ``count`` counts the
    records, ``total`` sums the amount or score named.
    """

    # Tickets created that day. dim1: kind, dim2: category.
    TICKETS_OPENED = "tickets_opened", _("Tickets opened")
    # Tickets resolved that day. dim1: kind, dim2: "met" (by the resolution deadline), "late",
    # or "none" (no deadline).
    TICKETS_RESOLVED = "tickets_resolved", _("Tickets resolved")
    # Surveys answered that day. dim1: "ticket" or "order" (business-hall visit), dim2: the
    # score 1-5; total: the sum of the scores.
    SURVEYS_ANSWERED = "surveys_answered", _("Surveys answered")
    # Top-ups paid that day. dim1: channel; total: the amount in yuan.
    TOP_UPS = "top_ups", _("Top-ups")
    # Monthly fees and usage charges posted that day. dim1: ledger entry kind, dim2: the billing
    # month they belong to (ISO date of its first day); total: the amount charged, in yuan.
    REVENUE = "revenue", _("Revenue")
    # Assessment attempts finished that day. dim1: assessment id, dim2: "passed" or "failed";
    # total: the sum of the scores (%).
    ATTEMPTS_FINISHED = "attempts_finished", _("Assessments finished")


class SlaOutcome(models.TextChoices):
    MET = "met", _("Resolved within SLA")
    LATE = "late", _("Resolved late")
    NONE = "none", _("No deadline")


class SurveySource(models.TextChoices):
    TICKET = "ticket", _("Ticket")
    ORDER = "order", _("Business-hall visit")


class Preset(models.TextChoices):
    THIS_MONTH = "this_month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    LAST_90_DAYS = "last_90_days", _("Last 90 days")


class Granularity(models.TextChoices):
    """How trends are bucketed; "auto" is weeks for up to 92 days, else months."""

    AUTO = "auto", _("Automatic")
    WEEK = "week", _("By week")
    MONTH = "month", _("By month")


class DashboardBlock(models.TextChoices):
    """The dashboard's blocks, each exportable as CSV (the value is the file's name)."""

    TICKETS = "tickets", _("Ticket volume")
    SLA = "sla", _("SLA compliance")
    SATISFACTION = "satisfaction", _("Satisfaction trend")
    TOP_UPS = "top-ups", _("Top-ups by channel")
    REVENUE = "revenue", _("Revenue by month")
    TRAINING = "training", _("Training pass rates")
    KPIS = "kpis", _("KPI ranking")
