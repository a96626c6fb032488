"""Writes of the training app: assigning courses, reading modules, taking assessments,
certificates, and the staff suggestion box.

Assessments are checked on the server, never only in the browser: an attempt's questions are
drawn once with a stored seed; an answer is written by a conditional ``UPDATE`` that matches
only while the attempt is in progress and before its time limit, so nothing changes after the
submission or the clock (and the database refuses a finish time past the limit); the attempt
limit is the unique (assessment, user, number) constraint, so two starts racing for the last
attempt cannot both succeed.
"""

import datetime
import random
import secrets
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.bill_run import new_verification_code
from complaints.models import Notification
from complaints.notifications import notify_staff, staff_notification
from complaints.uploads import FILE_KINDS, check_upload, display_name
from portal.errors import DomainError
from portal.roles import STAFF_ROLES, Role
from training.choices import (
    FINISHED_ATTEMPT,
    SUGGESTION_TRANSITIONS,
    AssignmentReason,
    AttemptStatus,
    QuestionKind,
    SuggestionStatus,
)
from training.error_codes import TrainingErrorCode
from training.models import (
    Assessment,
    Assignment,
    Attempt,
    AttemptQuestion,
    Certificate,
    Choice,
    Course,
    Module,
    ModuleAttachment,
    ModuleProgress,
    Question,
    Suggestion,
    SuggestionEvent,
    TeamMember,
)

HUNDRED = Decimal("100")
PERCENT = Decimal("0.01")
TRUE_FALSE_CHOICES = ("正确", "错误")


class TrainingError(DomainError):
    """A training rule refused the operation (codes: ``TrainingErrorCode``)."""


# --- Who is told ------------------------------------------------------------------------------


def supervisors_of(user) -> list:
    """The supervisor of the user's team; without a team (or a team without a supervisor),
    every active supervisor, so that the news reaches someone."""
    membership = TeamMember.objects.filter(user=user).select_related("team__supervisor").first()
    if membership is not None and membership.team.supervisor is not None:
        supervisor = membership.team.supervisor
        return [supervisor] if supervisor.is_active and supervisor.pk != user.pk else []
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.SUPERVISOR.value)
        .exclude(pk=user.pk)
        .order_by("pk")
    )


def staff_users():
    """Active users holding a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[role.value for role in STAFF_ROLES])
        .distinct()
    )


# --- Assignments ------------------------------------------------------------------------------


def _check_due(due_on: datetime.date) -> None:
    if due_on < timezone.localdate():
        raise ValidationError(
            {"due_on": ValidationError(_("The due date cannot be in the past."), code="invalid")}
        )


@transaction.atomic
def assign_course(
    course: Course,
    user,
    *,
    due_on: datetime.date,
    actor,
    reason: str = AssignmentReason.MANUAL,
    note: str = "",
    notify: bool = True,
) -> Assignment:
    """Give ``user`` the course to finish by ``due_on``; an open assignment of the same course
    is returned as it is (the unique constraint decides, not a check before the insert)."""
    if not course.is_active:
        raise TrainingError(
            TrainingErrorCode.NOT_ASSIGNABLE, _("This course is not active."), field="course"
        )
    if not any(role in user.roles for role in STAFF_ROLES):
        raise TrainingError(
            TrainingErrorCode.NOT_ASSIGNABLE, _("Only staff members take training."), field="user"
        )
    if reason == AssignmentReason.MANUAL:
        _check_due(due_on)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                course=course,
                user=user,
                due_on=due_on,
                reason=reason,
                note=(note or "").strip()[:300],
                assigned_by=actor,
            )
    except IntegrityError:
        return Assignment.objects.get(course=course, user=user, completed_at__isnull=True)
    if notify:
        notify_staff(
            user,
            None,
            subject=_("New training: %(course)s") % {"course": course.title},
            body=_("Please finish the course %(course)s by %(due)s.")
            % {"course": course.title, "due": due_on.isoformat()},
        )
    _refresh_completion(user.pk, course)
    return assignment


@transaction.atomic
def assign_course_to_role(course: Course, role: str, *, due_on: datetime.date, actor) -> int:
    """Give the course to every active member of a staff role; returns how many got it now
    (members who already have it open are left as they are). Set-based: one insert."""
    if role not in {r.value for r in STAFF_ROLES}:
        raise ValidationError({"role": ValidationError(_("Choose a staff role."), code="invalid")})
    if not course.is_active:
        raise TrainingError(
            TrainingErrorCode.NOT_ASSIGNABLE, _("This course is not active."), field="course"
        )
    _check_due(due_on)
    members = list(get_user_model().objects.filter(is_active=True, groups__name=role).distinct())
    before = Assignment.objects.filter(course=course, completed_at__isnull=True).count()
    Assignment.objects.bulk_create(
        [
            Assignment(
                course=course,
                user=member,
                due_on=due_on,
                reason=AssignmentReason.ROLE,
                role=role,
                assigned_by=actor,
            )
            for member in members
        ],
        ignore_conflicts=True,
    )
    created = Assignment.objects.filter(course=course, completed_at__isnull=True).count() - before
    if created:
        new_ids = Assignment.objects.filter(
            course=course, completed_at__isnull=True, role=role, user__in=members
        ).values_list("user_id", flat=True)
        Notification.objects.bulk_create(
            staff_notification(
                member,
                None,
                subject=_("New training: %(course)s") % {"course": course.title},
                body=_("Please finish the course %(course)s by %(due)s.")
                % {"course": course.title, "due": due_on.isoformat()},
            )
            for member in members
            if member.pk in set(new_ids)
        )
    return created


@transaction.atomic
def complete_module(module: Module, *, user) -> ModuleProgress:
    """The staff member read the module; finishing the last one may complete the course."""
    progress, _created = ModuleProgress.objects.get_or_create(module=module, user=user)
    _refresh_completion(user.pk, module.course)
    return progress


def course_done(user_id: int, course: Course) -> bool:
    """Every module read and, when the course has an active assessment, one of them passed."""
    modules = Module.objects.filter(course=course)
    unread = modules.exclude(progress__user_id=user_id).exists()
    if unread:
        return False
    assessments = Assessment.objects.filter(course=course, is_active=True)
    if not assessments.exists():
        return True
    return Attempt.objects.filter(assessment__in=assessments, user_id=user_id, passed=True).exists()


def _refresh_completion(user_id: int, course: Course) -> None:
    """Mark the user's open assignment of the course completed once the course is done."""
    if course_done(user_id, course):
        Assignment.objects.filter(course=course, user_id=user_id, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )


# A handout may be any type the upload check parses to the last byte.
TRAINING_ATTACHMENT_TYPES = frozenset(FILE_KINDS)


@transaction.atomic
def add_module_attachment(module: Module, upload) -> ModuleAttachment:
    """Keep a handout with a module after the check every upload gets
    (``complaints.uploads.check_upload``: size, the type read from its bytes, and a clean
    parse of that type). The uploader's name is kept as text only; the file is offered under
    ``ModuleAttachment.download_name``."""
    checked = check_upload(
        upload,
        max_bytes=settings.TRAINING_ATTACHMENT_MAX_BYTES,
        allowed_types=TRAINING_ATTACHMENT_TYPES,
    )
    return ModuleAttachment.objects.create(
        module=module,
        file=upload,
        original_name=display_name(getattr(upload, "name", None)),
        content_type=checked.content_type,
        size=upload.size,
    )


# --- Question banks ---------------------------------------------------------------------------


@transaction.atomic
def add_question(
    course: Course,
    *,
    kind: str,
    text: str,
    choices: Sequence[tuple[str, bool]] = (),
    answer: bool | None = None,
    explanation: str = "",
) -> Question:
    """Add a question to a course's bank. Single choice: exactly one correct option; multiple
    choice: at least one; true/false: ``answer`` (its options are 正确 and 错误)."""
    errors = {}
    if kind not in QuestionKind.values:
        errors["kind"] = ValidationError(_("Unknown question kind."), code="invalid")
    if not (text or "").strip():
        errors["text"] = ValidationError(_("Write the question."), code="required")
    if kind == QuestionKind.TRUE_FALSE:
        if answer not in (True, False):
            errors["answer"] = ValidationError(_("Say whether it is true."), code="required")
        choices = [
            (TRUE_FALSE_CHOICES[0], answer is True),
            (TRUE_FALSE_CHOICES[1], answer is False),
        ]
    else:
        correct = sum(1 for _text, is_correct in choices if is_correct)
        if len(choices) < 2 or any(not (choice_text or "").strip() for choice_text, _c in choices):
            errors["choices"] = ValidationError(_("Give at least two options."), code="invalid")
        elif kind == QuestionKind.SINGLE and correct != 1:
            errors["choices"] = ValidationError(
                _("A single-choice question has exactly one correct option."), code="invalid"
            )
        elif kind == QuestionKind.MULTIPLE and correct < 1:
            errors["choices"] = ValidationError(
                _("Mark at least one option correct."), code="invalid"
            )
    if errors:
        raise ValidationError(errors)
    question = Question.objects.create(
        course=course, kind=kind, text=text.strip(), explanation=(explanation or "").strip()
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=index, text=choice_text.strip(), is_correct=is_correct)
        for index, (choice_text, is_correct) in enumerate(choices)
    )
    return question


# --- Drawing, answering and scoring -----------------------------------------------------------


def draw_questions(question_ids: Iterable[int], count: int, seed: int) -> list[int]:
    """``count`` distinct question ids drawn at random with ``seed``: the same bank and seed
    always give the same draw, so an attempt is reproducible from what it stores."""
    pool = sorted(question_ids)
    if count > len(pool):
        raise TrainingError(
            TrainingErrorCode.NOT_ENOUGH_QUESTIONS,
            _("The question bank has %(have)d questions; %(need)d are drawn.")
            % {"have": len(pool), "need": count},
        )
    return random.Random(seed).sample(pool, count)  # noqa: S311 - a draw, not a secret


def shuffled_choices(choice_ids: Iterable[int], seed: int, position: int) -> list[int]:
    """The order an attempt shows a question's options in (true/false keeps 正确, 错误)."""
    ids = sorted(choice_ids)
    random.Random(seed * 1000 + position).shuffle(ids)  # noqa: S311
    return ids


def is_answer_correct(kind: str, correct_ids: set[int], selected_ids: set[int]) -> bool:
    """Single choice and true/false: the one correct option. Multiple choice: exactly the
    correct options, no more and no fewer (no partial credit)."""
    if not selected_ids:
        return False
    if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE) and len(selected_ids) != 1:
        return False
    return selected_ids == correct_ids


def score_percent(correct: int, total: int) -> Decimal:
    """Correct answers as a percentage with two places, rounded half up."""
    return (Decimal(correct) * HUNDRED / Decimal(total)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def attempts_left(assessment: Assessment, user) -> int:
    used = Attempt.objects.filter(assessment=assessment, user=user).count()
    return max(assessment.max_attempts - used, 0)


@transaction.atomic
def start_attempt(assessment: Assessment, *, user, seed: int | None = None) -> Attempt:
    """Start the next attempt: draw its questions (stored with their option order) and start
    the clock. Refused when an attempt is still running or none is left."""
    if not assessment.is_active or not assessment.course.is_active:
        raise TrainingError(TrainingErrorCode.ASSESSMENT_CLOSED, _("This assessment is closed."))
    running = Attempt.objects.filter(
        assessment=assessment, user=user, status=AttemptStatus.IN_PROGRESS
    ).first()
    if running is not None and running.deadline_at > timezone.now():
        raise TrainingError(
            TrainingErrorCode.ATTEMPT_IN_PROGRESS, _("Finish the attempt you have started first.")
        )
    if running is not None:
        # Its time ran out unsubmitted: score it now (under its lock, unless the sweep has).
        expired = (
            Attempt.objects.select_for_update()
            .filter(pk=running.pk, status=AttemptStatus.IN_PROGRESS)
            .first()
        )
        if expired is not None:
            finish_attempt(expired)
    used = Attempt.objects.filter(assessment=assessment, user=user).count()
    if used >= assessment.max_attempts:
        raise TrainingError(
            TrainingErrorCode.NO_ATTEMPTS_LEFT,
            _("All %(count)d attempts have been used.") % {"count": assessment.max_attempts},
        )
    seed = secrets.randbits(62) if seed is None else seed
    bank = dict(
        Question.objects.filter(course=assessment.course, is_active=True).values_list("pk", "kind")
    )
    drawn = draw_questions(bank, assessment.question_count, seed)
    now = timezone.now()
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                assessment=assessment,
                user=user,
                number=used + 1,
                seed=seed,
                started_at=now,
                deadline_at=now + datetime.timedelta(minutes=assessment.time_limit_minutes),
                question_count=len(drawn),
                pass_mark=assessment.pass_mark,
            )
    except IntegrityError as exc:
        # Another request started this attempt number (or an attempt) at the same moment.
        raise TrainingError(
            TrainingErrorCode.ATTEMPT_IN_PROGRESS, _("Finish the attempt you have started first.")
        ) from exc
    choices: dict[int, list[int]] = {}
    for question_id, choice_id in Choice.objects.filter(question_id__in=drawn).values_list(
        "question_id", "pk"
    ):
        choices.setdefault(question_id, []).append(choice_id)
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            question_id=question_id,
            position=position,
            choice_order=(
                sorted(choices.get(question_id, []))
                if bank[question_id] == QuestionKind.TRUE_FALSE
                else shuffled_choices(choices.get(question_id, []), seed, position)
            ),
        )
        for position, question_id in enumerate(drawn, start=1)
    )
    return attempt


def _clean_selection(item: AttemptQuestion, choice_ids) -> list[int]:
    try:
        selected = sorted({int(choice_id) for choice_id in choice_ids or []})
    except (TypeError, ValueError):
        selected = None
    if selected is None or not set(selected) <= set(item.choice_order):
        raise TrainingError(
            TrainingErrorCode.INVALID_ANSWER,
            _("Choose among the options of question %(number)d.") % {"number": item.position},
            field="answers",
        )
    return selected


def _guard_open(attempt: Attempt, now: datetime.datetime) -> None:
    if attempt.status in FINISHED_ATTEMPT:
        raise TrainingError(
            TrainingErrorCode.ATTEMPT_FINISHED,
            _("This attempt is finished: its answers can no longer change."),
        )
    if now >= attempt.deadline_at:
        raise TrainingError(
            TrainingErrorCode.TIME_LIMIT_PASSED,
            _("The time limit has passed: answers can no longer change."),
        )


def answer_question(attempt: Attempt, position: int, choice_ids, *, user) -> AttemptQuestion:
    """Save (or change) the answer to one question while the attempt runs and the clock allows.

    The write is ``UPDATE ... WHERE`` the attempt is in progress and before its deadline: the
    database itself refuses a late or post-submission answer, even one racing the submission.
    """
    now = timezone.now()
    _guard_open(attempt, now)
    try:
        item = AttemptQuestion.objects.get(attempt=attempt, position=position)
    except AttemptQuestion.DoesNotExist as exc:
        raise TrainingError(
            TrainingErrorCode.INVALID_ANSWER,
            _("This attempt has no question %(number)s.") % {"number": position},
            field="answers",
        ) from exc
    selected = _clean_selection(item, choice_ids)
    updated = AttemptQuestion.objects.filter(
        pk=item.pk,
        attempt__status=AttemptStatus.IN_PROGRESS,
        attempt__deadline_at__gt=now,
        attempt__user=user,
    ).update(selected=selected, answered_at=now)
    if updated != 1:
        attempt.refresh_from_db()
        _guard_open(attempt, timezone.now())
        raise TrainingError(TrainingErrorCode.ATTEMPT_FINISHED, _("This attempt is finished."))
    item.selected, item.answered_at = selected, now
    return item


@transaction.atomic
def submit_attempt(attempt: Attempt, *, user, answers: dict | None = None) -> Attempt:
    """Hand in the attempt, with the answers given on the page (position → option ids), and
    score it. After the time limit the answers sent now are not taken: what was saved in time
    is scored and the attempt counts as finished by the clock."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk, user=user)
    now = timezone.now()
    if attempt.status in FINISHED_ATTEMPT:
        raise TrainingError(
            TrainingErrorCode.ATTEMPT_FINISHED,
            _("This attempt is finished: its answers can no longer change."),
        )
    if now >= attempt.deadline_at:
        return finish_attempt(attempt, now=now)
    items = {item.position: item for item in attempt.questions.all()}
    updates = []
    for raw_position, choice_ids in (answers or {}).items():
        try:
            item = items[int(raw_position)]
        except (KeyError, TypeError, ValueError) as exc:
            raise TrainingError(
                TrainingErrorCode.INVALID_ANSWER,
                _("This attempt has no question %(number)s.") % {"number": raw_position},
                field="answers",
            ) from exc
        item.selected = _clean_selection(item, choice_ids)
        item.answered_at = now
        updates.append(item)
    AttemptQuestion.objects.bulk_update(updates, ["selected", "answered_at"])
    return finish_attempt(attempt, now=now, status=AttemptStatus.SUBMITTED)


def finish_attempt(
    attempt: Attempt, *, now: datetime.datetime | None = None, status: str | None = None
) -> Attempt:
    """Score a locked (or swept) attempt from its stored answers and close it; a pass issues
    the certificate and may complete the course. Runs inside the caller's transaction."""
    now = now or timezone.now()
    if status is None or now >= attempt.deadline_at:
        status = AttemptStatus.EXPIRED
        now = min(now, attempt.deadline_at)
    items = list(attempt.questions.select_related("question"))
    correct_ids: dict[int, set[int]] = {}
    for question_id, choice_id in Choice.objects.filter(
        question_id__in=[item.question_id for item in items], is_correct=True
    ).values_list("question_id", "pk"):
        correct_ids.setdefault(question_id, set()).add(choice_id)
    for item in items:
        item.is_correct = is_answer_correct(
            item.question.kind, correct_ids.get(item.question_id, set()), set(item.selected or [])
        )
    AttemptQuestion.objects.bulk_update(items, ["is_correct"])
    correct = sum(1 for item in items if item.is_correct)
    attempt.correct_count = correct
    attempt.score = score_percent(correct, attempt.question_count)
    attempt.passed = attempt.score >= attempt.pass_mark
    attempt.status = status
    attempt.submitted_at = now
    updated = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.IN_PROGRESS).update(
        status=attempt.status,
        submitted_at=now,
        correct_count=correct,
        score=attempt.score,
        passed=attempt.passed,
    )
    if updated != 1:
        raise TrainingError(TrainingErrorCode.ATTEMPT_FINISHED, _("This attempt is finished."))
    if attempt.passed:
        issue_certificate(attempt)
    _refresh_completion(attempt.user_id, attempt.assessment.course)
    return attempt


def expire_overdue_attempts(now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Close attempts whose time ran out without a submission (beat sweep); each one is
    claimed under its lock, so two sweeps score it once."""
    now = now or timezone.now()
    ids = list(
        Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline_at__lte=now)
        .order_by("deadline_at")
        .values_list("pk", flat=True)[:limit]
    )
    finished = 0
    for attempt_id in ids:
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=attempt_id, status=AttemptStatus.IN_PROGRESS)
                .select_related("assessment__course", "user")
                .first()
            )
            if attempt is not None:
                finish_attempt(attempt, now=now)
                finished += 1
    return finished


def holder_name(user) -> str:
    return user.get_full_name() or user.get_username()


def issue_certificate(attempt: Attempt) -> Certificate:
    """The certificate of a passed attempt (one per attempt, by the one-to-one key)."""
    course = attempt.assessment.course
    return Certificate.objects.create(
        attempt=attempt,
        user=attempt.user,
        course=course,
        holder_name=holder_name(attempt.user),
        course_title=course.title,
        score=attempt.score,
        verification_code=new_verification_code(),
        issued_at=attempt.submitted_at or timezone.now(),
    )


# --- Suggestions (员工手册 §7.2) ------------------------------------------------------------


@transaction.atomic
def submit_suggestion(*, author, subject: str, body: str) -> Suggestion:
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = ValidationError(_("Give your suggestion a subject."), "required")
    if not (body or "").strip():
        errors["body"] = ValidationError(_("Describe your suggestion."), "required")
    if errors:
        raise ValidationError(errors)
    suggestion = Suggestion.objects.create(
        author=author, subject=subject.strip()[:200], body=body.strip()
    )
    SuggestionEvent.objects.create(
        suggestion=suggestion, to_status=SuggestionStatus.OPEN, actor=author
    )
    for supervisor in supervisors_of(author):
        notify_staff(
            supervisor,
            None,
            subject=_("New staff suggestion: %(subject)s") % {"subject": suggestion.subject},
            body=_("%(author)s wrote: %(body)s")
            % {"author": holder_name(author), "body": suggestion.body[:500]},
        )
    return suggestion


@transaction.atomic
def transition_suggestion(
    suggestion: Suggestion, to_status: str, *, actor, answer: str = ""
) -> Suggestion:
    """The one way a suggestion's status changes; answering needs the answer text."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if to_status not in SUGGESTION_TRANSITIONS.get(suggestion.status, frozenset()):
        raise TrainingError(
            TrainingErrorCode.INVALID_TRANSITION,
            _("A suggestion cannot go from %(from)s to %(to)s.")
            % {
                "from": SuggestionStatus(suggestion.status).label,
                "to": SuggestionStatus(to_status).label
                if to_status in SuggestionStatus.values
                else to_status,
            },
        )
    previous = suggestion.status
    fields = ["status", "updated_at"]
    if to_status == SuggestionStatus.ANSWERED:
        if not (answer or "").strip():
            raise ValidationError({"answer": ValidationError(_("Write the answer."), "required")})
        suggestion.answer = answer.strip()
        suggestion.answered_by = actor
        suggestion.answered_at = timezone.now()
        fields += ["answer", "answered_by", "answered_at"]
    suggestion.status = to_status
    suggestion.save(update_fields=fields)
    SuggestionEvent.objects.create(
        suggestion=suggestion, from_status=previous, to_status=to_status, actor=actor
    )
    if to_status == SuggestionStatus.ANSWERED:
        notify_staff(
            suggestion.author,
            None,
            subject=_("Your suggestion was answered: %(subject)s")
            % {"subject": suggestion.subject},
            body=suggestion.answer[:1000],
        )
    return suggestion


def answer_suggestion(suggestion: Suggestion, *, actor, answer: str) -> Suggestion:
    return transition_suggestion(suggestion, SuggestionStatus.ANSWERED, actor=actor, answer=answer)
