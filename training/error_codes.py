"""Stable error codes of the training app."""

from enum import StrEnum


class TrainingErrorCode(StrEnum):
    NOT_ENOUGH_QUESTIONS = "not_enough_questions"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    ATTEMPT_IN_PROGRESS = "attempt_in_progress"
    ATTEMPT_FINISHED = "attempt_finished"
    TIME_LIMIT_PASSED = "time_limit_passed"
    INVALID_ANSWER = "invalid_answer"
    ALREADY_ASSIGNED = "already_assigned"
    NOT_ASSIGNABLE = "not_assignable"
    INVALID_TRANSITION = "invalid_transition"
    NOT_A_MODULE_OF_COURSE = "not_a_module_of_course"
    ASSESSMENT_CLOSED = "assessment_closed"
