"""Courses, question banks and assessments for tests, built through the services."""

from decimal import Decimal

import factory

from training.choices import QuestionKind
from training.models import Assessment, Course, CourseRole, Module
from training.services import add_question


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"test-course-{n}")
    title = factory.Sequence(lambda n: f"测试课程 {n}")
    summary = "测试用课程。"


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"第{n}节")
    body = "**要点**：耐心倾听。"


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    course = factory.SubFactory(CourseFactory)
    title = "考核"
    question_count = 5
    pass_mark = Decimal("60.00")
    time_limit_minutes = 20
    max_attempts = 2


def for_roles(course: Course, *roles) -> Course:
    CourseRole.objects.bulk_create(CourseRole(course=course, role=role.value) for role in roles)
    return course


def true_false_bank(course: Course, count: int) -> list:
    """``count`` true/false questions: question i is true when i is even."""
    return [
        add_question(course, kind=QuestionKind.TRUE_FALSE, text=f"判断题 {i}", answer=i % 2 == 0)
        for i in range(count)
    ]


def correct_ids(question) -> list[int]:
    return sorted(choice.pk for choice in question.choices.all() if choice.is_correct)


def wrong_ids(question) -> list[int]:
    return sorted(choice.pk for choice in question.choices.all() if not choice.is_correct)[:1]


def answers_for(attempt, right: int) -> dict[int, list[int]]:
    """Answers to every question of the attempt, the first ``right`` of them correct."""
    answers = {}
    for item in attempt.questions.select_related("question").order_by("position"):
        question = item.question
        answers[item.position] = (
            correct_ids(question) if item.position <= right else wrong_ids(question)
        )
    return answers
