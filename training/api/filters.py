"""Query filters of the training API; every filter narrows a queryset that is already scoped."""

from django_filters import rest_framework as filters

from portal.api.filtering import IdFilter
from portal.roles import STAFF_ROLES
from training.choices import AssignmentReason, AttemptStatus, SuggestionStatus
from training.models import Assignment, Attempt, StaffKpi, Suggestion

STAFF_ROLE_CHOICES = [(role.value, role.label) for role in STAFF_ROLES]


class AssignmentFilter(filters.FilterSet):
    user = IdFilter(field_name="user_id", label="Id of the staff member.")
    course = IdFilter(field_name="course_id", label="Id of the course.")
    reason = filters.ChoiceFilter(choices=AssignmentReason.choices)
    open = filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", label="Not completed yet."
    )

    class Meta:
        model = Assignment
        fields = ["user", "course", "reason", "open"]


class AttemptFilter(filters.FilterSet):
    assessment = IdFilter(field_name="assessment_id", label="Id of the assessment.")
    status = filters.ChoiceFilter(choices=AttemptStatus.choices)

    class Meta:
        model = Attempt
        fields = ["assessment", "status"]


class StaffKpiFilter(filters.FilterSet):
    month = filters.DateFilter(label="The first day of the month, e.g. 2026-11-01.")
    team = IdFilter(field_name="team_id", label="Id of the team.")
    role = filters.ChoiceFilter(choices=STAFF_ROLE_CHOICES)
    user = IdFilter(field_name="user_id", label="Id of the staff member.")

    class Meta:
        model = StaffKpi
        fields = ["month", "team", "role", "user"]


class SuggestionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=SuggestionStatus.choices)

    class Meta:
        model = Suggestion
        fields = ["status"]
