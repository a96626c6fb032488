"""Training and assessment: courses and their modules, assignments and progress, question banks,
assessments with their attempts, certificates, teams, monthly staff KPIs with the incentive
scheme, remedial triggers, and the staff suggestion box."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import TicketCategory
from complaints.uploads import extension_for
from portal.roles import Role
from training.choices import (
    AssignmentReason,
    AttemptStatus,
    CourseSource,
    QuestionKind,
    SuggestionStatus,
)

STAFF_ROLE_CHOICES = [(role.value, role.label) for role in Role if role != Role.CUSTOMER]


class Team(models.Model):
    """A team of staff members under one supervisor (who is told about their training)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_teams",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A staff member's team: one team each."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="team_membership",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "user"]

    def __str__(self) -> str:
        return f"{self.team}: {self.user}"


class Course(models.Model):
    """A course made of modules, for the roles it names (``CourseRole``)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CourseSource.choices, default=CourseSource.OTHER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class RemedialCourse(models.Model):
    """The course assigned when a staff member's tickets of a category score low repeatedly."""

    category = models.CharField(
        _("ticket category"), max_length=20, choices=TicketCategory.choices, unique=True
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="remedial_for"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("remedial course")
        verbose_name_plural = _("remedial courses")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.course}"


class CourseRole(models.Model):
    """A role a course is for: its members see it under "my training"."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=40, choices=STAFF_ROLE_CHOICES)

    class Meta:
        verbose_name = _("course role")
        verbose_name_plural = _("course roles")
        ordering = ["course", "role"]
        constraints = [
            models.UniqueConstraint(fields=["course", "role"], name="uniq_course_role"),
        ]

    def __str__(self) -> str:
        return f"{self.course} / {self.get_role_display()}"


class Module(models.Model):
    """One lesson of a course: Markdown text, rendered sanitised, with attachments."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="modules"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="uniq_module_position"),
        ]

    def __str__(self) -> str:
        return f"{self.course.code} {self.position}. {self.title}"


def module_attachment_path(instance: "ModuleAttachment", filename: str) -> str:
    # A random name: the uploaded file name is kept in a field, never trusted as a path.
    return f"training/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ModuleAttachment(models.Model):
    """A handout of a module (PDF or picture), checked by content on upload."""

    module = models.ForeignKey(
        Module, verbose_name=_("module"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=module_attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("module attachment")
        verbose_name_plural = _("module attachments")
        ordering = ["module", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """The name the handout is offered under: its course, its id and the detected type's
        extension (``SVC101-7.pdf``), whatever the uploader called it."""
        return f"{self.module.course.code}-{self.pk}.{extension_for(self.content_type)}"


class Assignment(models.Model):
    """A course a staff member has to finish by a date (given to them or to their role)."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="training_assignments",
    )
    due_on = models.DateField(_("due on"))
    reason = models.CharField(
        _("reason"),
        max_length=10,
        choices=AssignmentReason.choices,
        default=AssignmentReason.MANUAL,
    )
    role = models.CharField(
        _("assigned to role"), max_length=40, choices=STAFF_ROLE_CHOICES, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job assigned it."),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The last overdue reminder: the sweep reminds again only after TRAINING_REMINDER_REPEAT_DAYS.
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")
        ordering = ["due_on", "pk"]
        constraints = [
            # One open assignment of a course per person: assigning twice changes nothing.
            models.UniqueConstraint(
                fields=["course", "user"],
                condition=Q(completed_at__isnull=True),
                name="uniq_open_assignment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(completed_at__isnull=True),
                name="training_assignment_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.user}"

    def is_overdue(self, today=None) -> bool:
        return self.completed_at is None and self.due_on < (today or timezone.localdate())


class ModuleProgress(models.Model):
    """A staff member finished reading a module."""

    module = models.ForeignKey(
        Module, verbose_name=_("module"), on_delete=models.CASCADE, related_name="progress"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="module_progress",
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("module progress")
        verbose_name_plural = _("module progress")
        ordering = ["user", "module"]
        constraints = [
            models.UniqueConstraint(fields=["module", "user"], name="uniq_module_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.module}"


class Question(models.Model):
    """A question of a course's bank: single choice, multiple choice or true/false."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="questions"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices)
    text = models.TextField(_("question"))
    explanation = models.TextField(_("explanation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["course", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(models.Model):
    """An option of a question; a true/false question has the two options 正确 and 错误."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("text"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Assessment(models.Model):
    """An exam on a course: N questions drawn at random, a pass mark, a time and attempt limit."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assessments"
    )
    title = models.CharField(_("title"), max_length=200)
    question_count = models.PositiveSmallIntegerField(
        _("questions drawn"), validators=[MinValueValidator(1)]
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), validators=[MinValueValidator(1)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["course", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="assessment_pass_mark_pct"
            ),
            models.CheckConstraint(
                condition=Q(question_count__gte=1, time_limit_minutes__gte=1, max_attempts__gte=1),
                name="assessment_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attempt(models.Model):
    """One sitting of an assessment: its questions were drawn with ``seed`` and stored, so the
    attempt can be shown and re-scored exactly as it was taken."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="assessment_attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    seed = models.BigIntegerField(_("draw seed"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AttemptStatus.choices,
        default=AttemptStatus.IN_PROGRESS,
        editable=False,
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    deadline_at = models.DateTimeField(_("time limit at"))
    submitted_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    question_count = models.PositiveSmallIntegerField(_("questions"))
    correct_count = models.PositiveSmallIntegerField(_("correct answers"), null=True, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True)
    pass_mark = models.DecimalField(_("pass mark (%)"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # Two starts racing for the same attempt number: the database lets one through.
            models.UniqueConstraint(
                fields=["assessment", "user", "number"], name="uniq_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["assessment", "user"],
                condition=Q(status="in_progress"),
                name="uniq_attempt_in_progress",
            ),
            models.CheckConstraint(
                condition=Q(deadline_at__gt=F("started_at")), name="attempt_deadline_after_start"
            ),
            # A finished attempt has its time and its result; one in progress has neither.
            models.CheckConstraint(
                condition=(
                    Q(
                        status="in_progress",
                        submitted_at__isnull=True,
                        score__isnull=True,
                        passed__isnull=True,
                    )
                    | Q(
                        status__in=["submitted", "expired"],
                        submitted_at__isnull=False,
                        score__isnull=False,
                        passed__isnull=False,
                    )
                ),
                name="attempt_result_when_finished",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="attempt_score_pct",
            ),
            # Nothing is accepted after the clock: the recorded end is never past the limit.
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(submitted_at__lte=F("deadline_at")),
                name="attempt_finished_by_deadline",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline_at"], name="training_attempt_due_idx"),
            # The service reports read a day's finished attempts (portal.reports.rollups).
            models.Index(fields=["submitted_at"], name="training_attempt_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} #{self.number} {self.user}"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS


class AttemptQuestion(models.Model):
    """A question drawn for an attempt, its options in the order shown, and the answer given."""

    attempt = models.ForeignKey(
        Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="questions"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    # Ids of the question's choices in the order this attempt shows them (drawn with the seed).
    choice_order = models.JSONField(_("choice order"), default=list)
    # Ids of the chosen options; null while unanswered.
    selected = models.JSONField(_("answer"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    is_correct = models.BooleanField(_("correct"), null=True)

    class Meta:
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="uniq_attempt_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="uniq_attempt_question"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}.{self.position}"


class Certificate(models.Model):
    """Proof of a passed assessment, verifiable by its code without signing in."""

    attempt = models.OneToOneField(
        Attempt, verbose_name=_("attempt"), on_delete=models.PROTECT, related_name="certificate"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="training_certificates",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="certificates"
    )
    # As printed: a later change of the user's name or the course title leaves it as issued.
    holder_name = models.CharField(_("holder"), max_length=150)
    course_title = models.CharField(_("course"), max_length=200)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2)
    verification_code = models.CharField(_("verification code"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.course_title} {self.holder_name}"


class IncentiveScheme(models.Model):
    """How the monthly incentive score combines the KPIs: a weight per KPI and the targets that
    turn counts into a 0–1 achievement. One active scheme per role, and a default one for roles
    without their own (editable in the admin)."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(
        _("role"),
        max_length=40,
        choices=STAFF_ROLE_CHOICES,
        blank=True,
        help_text=_("Empty: the scheme for every role without one of its own."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    weight_tickets = models.DecimalField(
        _("weight: tickets handled"), max_digits=5, decimal_places=2
    )
    weight_fcr = models.DecimalField(
        _("weight: first-contact resolution"), max_digits=5, decimal_places=2
    )
    weight_sla = models.DecimalField(_("weight: SLA compliance"), max_digits=5, decimal_places=2)
    weight_satisfaction = models.DecimalField(
        _("weight: satisfaction"), max_digits=5, decimal_places=2
    )
    weight_interactions = models.DecimalField(
        _("weight: interactions"), max_digits=5, decimal_places=2
    )
    weight_sales = models.DecimalField(_("weight: sales"), max_digits=5, decimal_places=2)
    weight_assessments = models.DecimalField(
        _("weight: assessment results"), max_digits=5, decimal_places=2
    )
    target_tickets = models.PositiveIntegerField(_("target: tickets per month"))
    target_interactions = models.PositiveIntegerField(_("target: interactions per month"))
    target_sales = models.DecimalField(
        _("target: sales per month (yuan)"), max_digits=12, decimal_places=2
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("incentive scheme")
        verbose_name_plural = _("incentive schemes")
        ordering = ["role", "-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["role"], condition=Q(is_active=True), name="uniq_active_scheme_per_role"
            ),
            models.CheckConstraint(
                condition=Q(
                    weight_tickets__gte=0,
                    weight_fcr__gte=0,
                    weight_sla__gte=0,
                    weight_satisfaction__gte=0,
                    weight_interactions__gte=0,
                    weight_sales__gte=0,
                    weight_assessments__gte=0,
                    target_tickets__gte=1,
                    target_interactions__gte=1,
                    target_sales__gt=0,
                ),
                name="scheme_weights_and_targets",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StaffKpi(models.Model):
    """One staff member's KPIs for one month, computed from tickets, surveys, interactions,
    orders and assessments (``kpis.compute_monthly_kpis``); recomputing replaces the row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="kpis",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    role = models.CharField(_("role"), max_length=40, choices=STAFF_ROLE_CHOICES)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True
    )
    tickets_handled = models.PositiveIntegerField(_("tickets handled"), default=0)
    first_contact_resolved = models.PositiveIntegerField(_("resolved at first contact"), default=0)
    fcr_rate = models.DecimalField(
        _("first-contact resolution (%)"), max_digits=5, decimal_places=2, null=True
    )
    sla_met = models.PositiveIntegerField(_("resolved within SLA"), default=0)
    sla_rate = models.DecimalField(
        _("SLA compliance (%)"), max_digits=5, decimal_places=2, null=True
    )
    surveys_answered = models.PositiveIntegerField(_("surveys answered"), default=0)
    satisfaction_avg = models.DecimalField(
        _("average satisfaction (1–5)"), max_digits=3, decimal_places=2, null=True
    )
    interactions = models.PositiveIntegerField(_("interactions"), default=0)
    orders = models.PositiveIntegerField(_("orders taken"), default=0)
    sales_amount = models.DecimalField(
        _("sales (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    assessments_taken = models.PositiveIntegerField(_("assessments taken"), default=0)
    assessments_passed = models.PositiveIntegerField(_("assessments passed"), default=0)
    assessment_avg = models.DecimalField(
        _("average assessment score (%)"), max_digits=5, decimal_places=2, null=True
    )
    incentive_score = models.DecimalField(
        _("incentive score"), max_digits=5, decimal_places=2, default=0
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff KPI")
        verbose_name_plural = _("staff KPIs")
        ordering = ["-month", "-incentive_score", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="uniq_kpi_user_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "incentive_score"], name="training_kpi_rank_idx")]
        # Reading every staff member's KPIs (ranking, trends) is a supervisor's; each staff
        # member reads their own with view_staffkpi.
        permissions = [("view_team_kpis", "Can see every staff member's KPIs and training")]

    def __str__(self) -> str:
        return f"{self.user} {self.month:%Y-%m}"


class RemedialTrigger(models.Model):
    """Repeated low satisfaction in one ticket category assigned that category's course.

    Keyed on the newest low survey that tipped the count over the threshold: a sweep that runs
    twice, or two at once, records (and assigns) one trigger."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="remedial_triggers",
    )
    category = models.CharField(_("ticket category"), max_length=20, choices=TicketCategory.choices)
    low_scores = models.PositiveSmallIntegerField(_("low scores"))
    last_survey = models.ForeignKey(
        "complaints.Survey", verbose_name=_("last low survey"), on_delete=models.CASCADE
    )
    last_answered_at = models.DateTimeField(_("last low score at"))
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("remedial trigger")
        verbose_name_plural = _("remedial triggers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "last_survey"], name="uniq_remedial_trigger"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.category}"


class Suggestion(models.Model):
    """A staff member's suggestion or problem report (员工手册 §7.2), answered by a supervisor."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="suggestions",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("suggestion"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.OPEN,
        editable=False,
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="answered") | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="suggestion_answered_has_answer",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class SuggestionEvent(models.Model):
    """Append-only history of a suggestion's moves."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("suggestion event")
        verbose_name_plural = _("suggestion events")
        ordering = ["suggestion", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.suggestion} {self.from_status}→{self.to_status}"
