"""Shapes of the training API. Input serializers check shape only; the services decide the
rules (attempt and time limits, who may be assigned) and their refusals reach the client
through ``portal.errors``. An attempt in progress never shows which options are correct."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.roles import STAFF_ROLES
from training.choices import AttemptStatus
from training.forms import staff_choices
from training.markdown import render_markdown
from training.models import (
    Assessment,
    Assignment,
    Attempt,
    AttemptQuestion,
    Certificate,
    Course,
    Module,
    StaffKpi,
    Suggestion,
)

STAFF_ROLE_VALUES = [(role.value, role.label) for role in STAFF_ROLES]


class ModuleSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField(help_text=_("The Markdown text rendered, sanitised."))
    done = serializers.BooleanField(read_only=True, help_text=_("You have read it."))

    class Meta:
        model = Module
        fields = ["id", "position", "title", "body", "html", "done"]
        read_only_fields = fields

    def get_html(self, module) -> str:
        return str(render_markdown(module.body))


class AssessmentSerializer(serializers.ModelSerializer):
    course = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "course",
            "title",
            "question_count",
            "pass_mark",
            "time_limit_minutes",
            "max_attempts",
        ]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = ["id", "code", "title", "summary", "source", "roles"]
        read_only_fields = fields

    def get_roles(self, course) -> list[str]:
        return [row.role for row in course.roles.all()]


class CourseDetailSerializer(CourseSerializer):
    modules = ModuleSerializer(many=True, read_only=True)
    assessments = AssessmentSerializer(many=True, read_only=True)

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "modules", "assessments"]
        read_only_fields = fields


class ModuleCompleteSerializer(serializers.Serializer):
    module = serializers.IntegerField(help_text=_("Id of a module of this course."))


class AssignmentSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    assigned_by = serializers.CharField(
        source="assigned_by.username", read_only=True, allow_null=True
    )
    module_count = serializers.IntegerField(read_only=True, help_text=_("Modules of the course."))
    modules_done = serializers.IntegerField(
        read_only=True, help_text=_("Modules the staff member has read.")
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "course",
            "course_title",
            "user",
            "module_count",
            "modules_done",
            "due_on",
            "reason",
            "role",
            "note",
            "assigned_by",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.filter(is_active=True))
    user = serializers.PrimaryKeyRelatedField(
        queryset=staff_choices(), required=False, allow_null=True, help_text=_("A staff member.")
    )
    role = serializers.ChoiceField(
        choices=STAFF_ROLE_VALUES,
        required=False,
        allow_blank=True,
        help_text=_("Or every member of this role."),
    )
    due_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if bool(attrs.get("user")) == bool(attrs.get("role")):
            raise serializers.ValidationError(
                {"user": [_("Choose either a staff member or a role.")]}
            )
        return attrs


class AssignmentCreatedSerializer(serializers.Serializer):
    assigned = serializers.IntegerField(help_text=_("How many staff members got the course."))


class AttemptSerializer(serializers.ModelSerializer):
    assessment_title = serializers.CharField(source="assessment.title", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Attempt
        fields = [
            "id",
            "assessment",
            "assessment_title",
            "user",
            "number",
            "status",
            "started_at",
            "deadline_at",
            "submitted_at",
            "question_count",
            "correct_count",
            "score",
            "pass_mark",
            "passed",
        ]
        read_only_fields = fields


class AttemptChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField(
        required=False, help_text=_("Only once the attempt is finished.")
    )


class AttemptQuestionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="question.kind")
    text = serializers.CharField(source="question.text")
    choices = serializers.SerializerMethodField()
    is_correct = serializers.BooleanField(
        allow_null=True, help_text=_("Null until the attempt is finished.")
    )

    class Meta:
        model = AttemptQuestion
        fields = ["position", "kind", "text", "choices", "selected", "is_correct"]
        read_only_fields = fields

    @extend_schema_field(AttemptChoiceSerializer(many=True))
    def get_choices(self, item):
        finished = item.attempt.status != AttemptStatus.IN_PROGRESS
        by_id = {choice.pk: choice for choice in item.question.choices.all()}
        rows = []
        for choice_id in item.choice_order:
            choice = by_id.get(choice_id)
            if choice is None:
                continue
            row = {"id": choice.pk, "text": choice.text}
            if finished:
                row["is_correct"] = choice.is_correct
            rows.append(row)
        return rows


class AttemptDetailSerializer(AttemptSerializer):
    questions = AttemptQuestionSerializer(many=True, read_only=True)
    certificate = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta(AttemptSerializer.Meta):
        fields = [*AttemptSerializer.Meta.fields, "questions", "certificate"]
        read_only_fields = fields

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        data["certificate"] = getattr(getattr(attempt, "certificate", None), "pk", None)
        return data


class AnswerSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1)
    choices = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=True, help_text=_("Ids of chosen options.")
    )


class SubmitSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(), allow_empty=True),
        required=False,
        default=dict,
        help_text=_('Position → chosen option ids, e.g. {"1": [12], "2": [15, 16]}.'),
    )


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = [
            "id",
            "holder_name",
            "course",
            "course_title",
            "score",
            "issued_at",
            "verification_code",
        ]
        read_only_fields = fields


class CertificateCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    holder_name = serializers.CharField(required=False)
    course_title = serializers.CharField(required=False)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    issued_at = serializers.DateTimeField(required=False)


class StaffKpiSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    team = serializers.CharField(source="team.name", read_only=True, allow_null=True)

    class Meta:
        model = StaffKpi
        fields = [
            "user",
            "month",
            "role",
            "team",
            "tickets_handled",
            "first_contact_resolved",
            "fcr_rate",
            "sla_met",
            "sla_rate",
            "surveys_answered",
            "satisfaction_avg",
            "interactions",
            "orders",
            "sales_amount",
            "assessments_taken",
            "assessments_passed",
            "assessment_avg",
            "incentive_score",
            "computed_at",
        ]
        read_only_fields = fields


class SuggestionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    answered_by = serializers.CharField(
        source="answered_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "author",
            "subject",
            "body",
            "status",
            "answer",
            "answered_by",
            "answered_at",
            "created_at",
        ]
        read_only_fields = ["id", "author", "status", "answer", "answered_by", "answered_at"]


class SuggestionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
