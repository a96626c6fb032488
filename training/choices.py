"""Choices of the training app and the allowed moves of a staff suggestion."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseSource(models.TextChoices):
    """Where a course's content comes from."""

    HANDBOOK = "handbook", _("Staff handbook")
    ROLE_KNOWLEDGE = "role_knowledge", _("Role must-know list")
    REMEDIAL = "remedial", _("Remedial course")
    OTHER = "other", _("Other")


class AssignmentReason(models.TextChoices):
    MANUAL = "manual", _("Assigned by a supervisor")
    ROLE = "role", _("Assigned to the role")
    REMEDIAL = "remedial", _("Low satisfaction scores")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    # Finished by the clock: what was saved before the time limit is scored.
    EXPIRED = "expired", _("Time limit reached")


FINISHED_ATTEMPT = frozenset({AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED})


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# The one table of allowed moves of a suggestion (员工手册 §7.2 反馈与改进).
SUGGESTION_TRANSITIONS: dict[str, frozenset[str]] = {
    SuggestionStatus.OPEN: frozenset({SuggestionStatus.ANSWERED, SuggestionStatus.CLOSED}),
    SuggestionStatus.ANSWERED: frozenset({SuggestionStatus.CLOSED}),
    SuggestionStatus.CLOSED: frozenset(),
}
