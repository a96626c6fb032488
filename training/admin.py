"""Admin for training: courses, modules (with checked handouts), question banks, assessments,
teams, incentive schemes and remedial courses are edited here; attempts, certificates, KPIs,
triggers and suggestions only change through the services and are shown read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.admin import ReadOnlyAdminMixin
from training.choices import QuestionKind
from training.models import (
    Assessment,
    Assignment,
    Attempt,
    AttemptQuestion,
    Certificate,
    Choice,
    Course,
    CourseRole,
    IncentiveScheme,
    Module,
    ModuleAttachment,
    Question,
    RemedialCourse,
    RemedialTrigger,
    StaffKpi,
    Suggestion,
    SuggestionEvent,
    Team,
    TeamMember,
)
from training.services import add_module_attachment


class CourseRoleInline(admin.TabularInline):
    model = CourseRole
    extra = 0


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ("position", "title")
    show_change_link = True


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0
    fields = (
        "title",
        "question_count",
        "pass_mark",
        "time_limit_minutes",
        "max_attempts",
        "is_active",
    )


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "source", "is_active", "updated_at")
    list_filter = ("source", "is_active")
    search_fields = ("code", "title")
    inlines = [CourseRoleInline, ModuleInline, AssessmentInline]


class ModuleAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ModuleAttachment
    extra = 0
    fields = ("original_name", "content_type", "size", "created_at")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return True


class ModuleForm(forms.ModelForm):
    handout = forms.FileField(
        label=_("Add a handout"),
        required=False,
        help_text=_("A PDF or a picture; checked by its content."),
    )

    class Meta:
        model = Module
        fields = ("course", "position", "title", "body")


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    form = ModuleForm
    list_display = ("course", "position", "title", "updated_at")
    list_filter = ("course",)
    list_select_related = ("course",)
    inlines = [ModuleAttachmentInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        upload = form.cleaned_data.get("handout")
        if upload:
            try:
                add_module_attachment(obj, upload)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), level="error")


class ChoiceFormSet(forms.BaseInlineFormSet):
    """The options must make a question that can be scored: the same rules as
    ``services.add_question`` (single choice and true/false: one correct option; multiple
    choice: at least one; always at least two options)."""

    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        correct = sum(1 for data in kept if data.get("is_correct"))
        kind = getattr(self.instance, "kind", "")
        if len(kept) < 2:
            raise ValidationError(_("Give at least two options."))
        if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE) and correct != 1:
            raise ValidationError(_("A single-choice question has exactly one correct option."))
        if kind == QuestionKind.MULTIPLE and correct < 1:
            raise ValidationError(_("Mark at least one option correct."))


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 0
    fields = ("position", "text", "is_correct")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "course", "kind", "is_active")
    list_filter = ("kind", "is_active", "course")
    search_fields = ("text",)
    list_select_related = ("course",)
    inlines = [ChoiceInline]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "course",
        "question_count",
        "pass_mark",
        "time_limit_minutes",
        "max_attempts",
        "is_active",
    )
    list_filter = ("is_active",)
    list_select_related = ("course",)


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "supervisor")
    list_select_related = ("supervisor",)
    inlines = [TeamMemberInline]


@admin.register(IncentiveScheme)
class IncentiveSchemeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "role",
        "is_active",
        "weight_tickets",
        "weight_fcr",
        "weight_sla",
        "weight_satisfaction",
        "weight_interactions",
        "weight_sales",
        "weight_assessments",
    )
    list_filter = ("is_active", "role")


@admin.register(RemedialCourse)
class RemedialCourseAdmin(admin.ModelAdmin):
    list_display = ("category", "course", "updated_at")
    list_select_related = ("course",)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Assignments are made on the team training page or through the API (services)."""

    list_display = ("course", "user", "due_on", "reason", "assigned_by", "completed_at")
    list_filter = ("reason", "course")
    list_select_related = ("course", "user", "assigned_by")
    search_fields = ("user__username",)


class AttemptQuestionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AttemptQuestion
    extra = 0
    fields = ("position", "question", "selected", "answered_at", "is_correct")
    readonly_fields = fields


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("assessment", "user", "number", "status", "score", "passed", "started_at")
    list_filter = ("status", "passed")
    list_select_related = ("assessment", "user")
    search_fields = ("user__username",)
    inlines = [AttemptQuestionInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("course_title", "holder_name", "score", "verification_code", "issued_at")
    search_fields = ("verification_code", "holder_name")


@admin.register(StaffKpi)
class StaffKpiAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "month",
        "user",
        "role",
        "team",
        "tickets_handled",
        "fcr_rate",
        "sla_rate",
        "satisfaction_avg",
        "interactions",
        "orders",
        "sales_amount",
        "incentive_score",
    )
    list_filter = ("month", "role", "team")
    list_select_related = ("user", "team")


@admin.register(RemedialTrigger)
class RemedialTriggerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "category", "low_scores", "assignment")
    list_filter = ("category",)
    list_select_related = ("user", "assignment")


class SuggestionEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SuggestionEvent
    extra = 0
    fields = ("created_at", "from_status", "to_status", "actor")
    readonly_fields = fields


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Suggestions are answered on the suggestions page (the service writes the history)."""

    list_display = ("created_at", "subject", "author", "status", "answered_by")
    list_filter = ("status",)
    list_select_related = ("author", "answered_by")
    inlines = [SuggestionEventInline]
