"""Assessments: random draws stored per attempt, scoring of each question type, pass/fail at the
boundary, and the attempt and time limits enforced by the server."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.roles import Role
from tests.training.factories import (
    AssessmentFactory,
    CourseFactory,
    ModuleFactory,
    answers_for,
    correct_ids,
    true_false_bank,
)
from training import services
from training.choices import AttemptStatus, QuestionKind
from training.error_codes import TrainingErrorCode
from training.models import Assignment, Attempt, AttemptQuestion, Certificate, Question
from training.services import (
    TrainingError,
    add_question,
    answer_question,
    assign_course,
    complete_module,
    draw_questions,
    expire_overdue_attempts,
    is_answer_correct,
    score_percent,
    start_attempt,
    submit_attempt,
)


@pytest.fixture
def assessment(db):
    course = CourseFactory()
    true_false_bank(course, 10)
    return AssessmentFactory(course=course, question_count=5, pass_mark=Decimal("60.00"))


def move_clock(attempt, minutes_past_deadline: int = 1) -> None:
    """Let the attempt's time limit pass (the clock is the database's row, not a mock)."""
    shift = datetime.timedelta(
        minutes=attempt.assessment.time_limit_minutes + minutes_past_deadline
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - shift, deadline_at=attempt.deadline_at - shift
    )
    attempt.refresh_from_db()


# --- Draws ----------------------------------------------------------------------------------


def test_a_draw_is_n_distinct_questions_from_the_bank():
    drawn = draw_questions(range(1, 21), 7, seed=42)

    assert len(drawn) == 7
    assert len(set(drawn)) == 7
    assert set(drawn) <= set(range(1, 21))


def test_the_same_seed_draws_the_same_questions_in_the_same_order():
    assert draw_questions(range(1, 21), 7, seed=42) == draw_questions(range(20, 0, -1), 7, seed=42)


def test_different_seeds_draw_different_questions():
    draws = {tuple(draw_questions(range(1, 51), 5, seed=seed)) for seed in range(20)}

    assert len(draws) == 20


def test_every_question_can_be_drawn():
    seen = {question for seed in range(200) for question in draw_questions(range(1, 11), 3, seed)}

    assert seen == set(range(1, 11))


def test_a_bank_smaller_than_the_draw_is_refused():
    with pytest.raises(TrainingError) as refused:
        draw_questions(range(1, 4), 5, seed=1)

    assert refused.value.code == TrainingErrorCode.NOT_ENOUGH_QUESTIONS


def test_an_attempt_stores_its_draw_and_can_be_reproduced(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist, seed=20261201)

    stored = list(attempt.questions.order_by("position").values_list("question_id", flat=True))
    bank = Question.objects.filter(course=assessment.course).values_list("pk", flat=True)
    assert stored == draw_questions(bank, 5, seed=20261201)
    assert attempt.seed == 20261201
    assert attempt.question_count == 5
    assert [item.position for item in attempt.questions.order_by("position")] == [1, 2, 3, 4, 5]


def test_two_attempts_draw_with_their_own_seeds(assessment, specialist):
    first = start_attempt(assessment, user=specialist, seed=1)
    submit_attempt(first, user=specialist, answers={})
    second = start_attempt(assessment, user=specialist, seed=2)

    def drawn(attempt):
        return list(attempt.questions.order_by("position").values_list("question_id", flat=True))

    assert first.seed != second.seed
    assert drawn(first) != drawn(second)


def test_choice_order_of_a_choice_question_is_shuffled_by_the_seed(specialist):
    course = CourseFactory()
    add_question(
        course,
        kind=QuestionKind.SINGLE,
        text="哪个是正确的？",
        choices=[("甲", True), ("乙", False), ("丙", False), ("丁", False), ("戊", False)],
    )
    assessment = AssessmentFactory(course=course, question_count=1, max_attempts=10)
    orders = set()
    for seed in range(4):
        attempt = start_attempt(assessment, user=specialist, seed=seed)
        item = attempt.questions.get()
        assert sorted(item.choice_order) == sorted(
            item.question.choices.values_list("pk", flat=True)
        )
        orders.add(tuple(item.choice_order))
        submit_attempt(attempt, user=specialist, answers={})

    assert len(orders) > 1


# --- Scoring of each type -------------------------------------------------------------------


def test_single_choice_is_right_only_with_the_one_correct_option():
    assert is_answer_correct(QuestionKind.SINGLE, {3}, {3}) is True
    assert is_answer_correct(QuestionKind.SINGLE, {3}, {4}) is False
    assert is_answer_correct(QuestionKind.SINGLE, {3}, {3, 4}) is False
    assert is_answer_correct(QuestionKind.SINGLE, {3}, set()) is False


def test_multiple_choice_needs_exactly_the_correct_options():
    assert is_answer_correct(QuestionKind.MULTIPLE, {1, 2}, {1, 2}) is True
    assert is_answer_correct(QuestionKind.MULTIPLE, {1, 2}, {1}) is False
    assert is_answer_correct(QuestionKind.MULTIPLE, {1, 2}, {1, 2, 3}) is False
    assert is_answer_correct(QuestionKind.MULTIPLE, {1, 2}, set()) is False


def test_true_false_is_right_with_the_true_option_of_a_true_statement():
    assert is_answer_correct(QuestionKind.TRUE_FALSE, {7}, {7}) is True
    assert is_answer_correct(QuestionKind.TRUE_FALSE, {7}, {8}) is False
    assert is_answer_correct(QuestionKind.TRUE_FALSE, {7}, {7, 8}) is False


def test_an_attempt_scores_each_question_type(specialist):
    course = CourseFactory()
    single = add_question(
        course, kind=QuestionKind.SINGLE, text="单选", choices=[("对", True), ("错", False)]
    )
    multiple = add_question(
        course,
        kind=QuestionKind.MULTIPLE,
        text="多选",
        choices=[("甲", True), ("乙", True), ("丙", False)],
    )
    true_false = add_question(course, kind=QuestionKind.TRUE_FALSE, text="判断", answer=False)
    assessment = AssessmentFactory(course=course, question_count=3, pass_mark=Decimal("60"))
    attempt = start_attempt(assessment, user=specialist)
    positions = dict(attempt.questions.values_list("question_id", "position"))
    partial = sorted(choice.pk for choice in multiple.choices.all() if choice.is_correct)[:1]

    attempt = submit_attempt(
        attempt,
        user=specialist,
        answers={
            positions[single.pk]: correct_ids(single),
            positions[multiple.pk]: partial,
            positions[true_false.pk]: correct_ids(true_false),
        },
    )

    results = dict(attempt.questions.values_list("question_id", "is_correct"))
    assert results == {single.pk: True, multiple.pk: False, true_false.pk: True}
    assert true_false.choices.get(is_correct=True).text == "错误"
    assert attempt.correct_count == 2
    assert attempt.score == Decimal("66.67")
    assert attempt.passed is True
    assert attempt.status == AttemptStatus.SUBMITTED


def test_unanswered_questions_count_as_wrong(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)

    attempt = submit_attempt(attempt, user=specialist, answers={})

    assert attempt.correct_count == 0
    assert attempt.score == Decimal("0.00")
    assert attempt.passed is False


def test_score_is_a_percentage_rounded_half_up():
    assert score_percent(2, 3) == Decimal("66.67")
    assert score_percent(1, 3) == Decimal("33.33")
    assert score_percent(1, 8) == Decimal("12.50")
    assert score_percent(5, 5) == Decimal("100.00")


# --- Pass and fail at the boundary ----------------------------------------------------------


@pytest.mark.parametrize(
    ("right", "score", "passed"),
    [(2, Decimal("40.00"), False), (3, Decimal("60.00"), True), (4, Decimal("80.00"), True)],
)
def test_pass_mark_is_reached_at_exactly_the_mark(assessment, specialist, right, score, passed):
    attempt = start_attempt(assessment, user=specialist)

    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, right))

    assert attempt.score == score
    assert attempt.passed is passed
    assert Certificate.objects.filter(attempt=attempt).count() == int(passed)


def test_a_score_just_under_the_mark_fails(specialist):
    course = CourseFactory()
    true_false_bank(course, 3)
    assessment = AssessmentFactory(course=course, question_count=3, pass_mark=Decimal("66.68"))
    attempt = start_attempt(assessment, user=specialist)

    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 2))

    assert attempt.score == Decimal("66.67")
    assert attempt.passed is False


def test_the_pass_mark_is_the_one_in_force_when_the_attempt_started(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    assessment.pass_mark = Decimal("100")
    assessment.save()

    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 3))

    assert attempt.pass_mark == Decimal("60.00")
    assert attempt.passed is True


# --- Attempt limit --------------------------------------------------------------------------


def test_attempts_stop_at_the_limit(assessment, specialist):
    for _ in range(assessment.max_attempts):
        attempt = start_attempt(assessment, user=specialist)
        submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 0))

    with pytest.raises(TrainingError) as refused:
        start_attempt(assessment, user=specialist)

    assert refused.value.code == TrainingErrorCode.NO_ATTEMPTS_LEFT
    assert Attempt.objects.filter(user=specialist).count() == 2


def test_a_second_attempt_cannot_start_while_one_runs(assessment, specialist):
    start_attempt(assessment, user=specialist)

    with pytest.raises(TrainingError) as refused:
        start_attempt(assessment, user=specialist)

    assert refused.value.code == TrainingErrorCode.ATTEMPT_IN_PROGRESS


def test_the_database_refuses_a_duplicate_attempt_number(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    submit_attempt(attempt, user=specialist, answers={})
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            assessment=assessment,
            user=specialist,
            number=1,
            seed=1,
            started_at=now,
            deadline_at=now + datetime.timedelta(minutes=5),
            question_count=5,
            pass_mark=Decimal("60"),
        )


def test_the_attempt_limit_counts_the_attempts_of_each_user_apart(assessment, personas):
    for role in (Role.SERVICE_SPECIALIST, Role.SALES_ADVISOR):
        for _ in range(2):
            attempt = start_attempt(assessment, user=personas[role])
            submit_attempt(attempt, user=personas[role], answers={})

    assert Attempt.objects.filter(assessment=assessment).count() == 4


# --- Time limit and immutability ------------------------------------------------------------


def test_answers_are_saved_while_the_attempt_runs(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    item = attempt.questions.get(position=1)

    answer_question(attempt, 1, correct_ids(item.question), user=specialist)
    answer_question(attempt, 1, [item.choice_order[0]], user=specialist)

    item.refresh_from_db()
    assert item.selected == [item.choice_order[0]]


def test_answers_cannot_change_after_the_submission(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 3))
    before = list(attempt.questions.order_by("position").values_list("selected", flat=True))

    with pytest.raises(TrainingError) as late_answer:
        answer_question(attempt, 1, [], user=specialist)
    with pytest.raises(TrainingError) as second_submit:
        submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 5))

    assert late_answer.value.code == TrainingErrorCode.ATTEMPT_FINISHED
    assert second_submit.value.code == TrainingErrorCode.ATTEMPT_FINISHED
    after = list(attempt.questions.order_by("position").values_list("selected", flat=True))
    assert after == before
    attempt.refresh_from_db()
    assert attempt.score == Decimal("60.00")


def test_answers_cannot_change_after_the_time_limit(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    move_clock(attempt)

    with pytest.raises(TrainingError) as refused:
        answer_question(
            attempt, 1, [attempt.questions.get(position=1).choice_order[0]], user=specialist
        )

    assert refused.value.code == TrainingErrorCode.TIME_LIMIT_PASSED
    assert attempt.questions.get(position=1).selected is None


def test_the_conditional_update_refuses_a_stale_attempt_object(assessment, specialist):
    """A request that read the attempt before the submission cannot write after it."""
    attempt = start_attempt(assessment, user=specialist)
    stale = Attempt.objects.get(pk=attempt.pk)
    submit_attempt(attempt, user=specialist, answers={})

    with pytest.raises(TrainingError):
        answer_question(
            stale, 1, [stale.questions.get(position=1).choice_order[0]], user=specialist
        )

    assert AttemptQuestion.objects.filter(attempt=attempt, selected__isnull=False).count() == 0


def test_a_submission_after_the_time_limit_scores_only_what_was_saved_in_time(
    assessment, specialist
):
    attempt = start_attempt(assessment, user=specialist)
    in_time = answers_for(attempt, 5)
    for position in (1, 2):
        answer_question(attempt, position, in_time[position], user=specialist)
    move_clock(attempt)

    attempt = submit_attempt(attempt, user=specialist, answers=in_time)

    assert attempt.status == AttemptStatus.EXPIRED
    assert attempt.correct_count == 2
    assert attempt.score == Decimal("40.00")
    assert attempt.passed is False
    assert attempt.submitted_at == attempt.deadline_at


def test_the_sweep_closes_attempts_whose_time_ran_out(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    for position, choice_ids in answers_for(attempt, 3).items():
        answer_question(attempt, position, choice_ids, user=specialist)
    move_clock(attempt)

    assert expire_overdue_attempts() == 1
    assert expire_overdue_attempts() == 0

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED
    assert attempt.score == Decimal("60.00")
    assert attempt.passed is True
    assert Certificate.objects.filter(attempt=attempt).count() == 1


def test_an_expired_attempt_counts_and_lets_the_next_one_start(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    move_clock(attempt)

    second = start_attempt(assessment, user=specialist)

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED
    assert second.number == 2


def test_the_database_refuses_a_finish_time_past_the_limit(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)

    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.filter(pk=attempt.pk).update(
            status=AttemptStatus.SUBMITTED,
            submitted_at=attempt.deadline_at + datetime.timedelta(seconds=1),
            score=Decimal("100"),
            correct_count=5,
            passed=True,
        )


def test_an_answer_outside_the_question_options_is_refused(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    other = attempt.questions.get(position=2).choice_order[0]

    with pytest.raises(TrainingError) as refused:
        answer_question(attempt, 1, [other], user=specialist)

    assert refused.value.code == TrainingErrorCode.INVALID_ANSWER
    assert refused.value.field == "answers"


def test_someone_else_cannot_answer_or_submit_an_attempt(assessment, personas):
    owner, other = personas[Role.SERVICE_SPECIALIST], personas[Role.SALES_ADVISOR]
    attempt = start_attempt(assessment, user=owner)

    with pytest.raises(TrainingError):
        answer_question(attempt, 1, [attempt.questions.get(position=1).choice_order[0]], user=other)
    with pytest.raises(Attempt.DoesNotExist):
        submit_attempt(attempt, user=other, answers={})


# --- Question banks and course completion ---------------------------------------------------


def test_question_banks_check_their_options(db):
    course = CourseFactory()

    with pytest.raises(ValidationError) as two_right:
        add_question(course, kind="single", text="单选", choices=[("甲", True), ("乙", True)])
    with pytest.raises(ValidationError) as none_right:
        add_question(course, kind="multiple", text="多选", choices=[("甲", False), ("乙", False)])
    with pytest.raises(ValidationError) as no_answer:
        add_question(course, kind="true_false", text="判断")

    assert set(two_right.value.message_dict) == {"choices"}
    assert set(none_right.value.message_dict) == {"choices"}
    assert set(no_answer.value.message_dict) == {"answer"}
    assert Question.objects.filter(course=course).count() == 0


def test_a_course_is_completed_by_reading_its_modules_and_passing_its_exam(
    assessment, specialist, personas
):
    module = ModuleFactory(course=assessment.course)
    assignment = assign_course(
        assessment.course,
        specialist,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        actor=personas[Role.SUPERVISOR],
    )

    complete_module(module, user=specialist)
    assignment.refresh_from_db()
    assert assignment.completed_at is None

    attempt = start_attempt(assessment, user=specialist)
    submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 5))
    assignment.refresh_from_db()
    assert assignment.completed_at is not None


def test_assigning_a_course_twice_keeps_one_open_assignment(assessment, specialist, personas):
    due = timezone.localdate() + datetime.timedelta(days=7)
    supervisor = personas[Role.SUPERVISOR]

    first = services.assign_course(assessment.course, specialist, due_on=due, actor=supervisor)
    second = services.assign_course(assessment.course, specialist, due_on=due, actor=supervisor)

    assert first.pk == second.pk
    assert Assignment.objects.filter(user=specialist).count() == 1


def test_the_database_freezes_the_answers_of_a_finished_attempt(assessment, specialist):
    attempt = start_attempt(assessment, user=specialist)
    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 3))
    item = attempt.questions.get(position=1)
    before = item.selected

    with pytest.raises(IntegrityError), transaction.atomic():
        AttemptQuestion.objects.filter(pk=item.pk).update(selected=item.choice_order)

    item.refresh_from_db()
    assert len(before) == 1
    assert item.selected == before
    assert AttemptQuestion.objects.filter(attempt=attempt, is_correct=True).count() == 3
