"""Several processes start the same staff member's last attempt at once: one gets it.

Each process has its own database connection, as web workers do; the unique constraints on
(assessment, user, attempt number) and on the one attempt in progress decide, not a check
before the insert.
"""

import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from portal.roles import Role
from tests.conftest import BASE_DIR, database_url_for_subprocess
from tests.training.factories import AssessmentFactory, CourseFactory, true_false_bank
from training.models import Attempt

WORKERS = 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_starts_of_the_last_attempt_let_exactly_one_through(make_user):
    user = make_user(Role.SERVICE_SPECIALIST, username="racer")
    course = CourseFactory()
    true_false_bank(course, 5)
    assessment = AssessmentFactory(
        course=course, question_count=5, max_attempts=1, pass_mark=Decimal("60")
    )
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess()}
    start_at = time.time() + 6

    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.training.attempt_worker",
                str(assessment.pk),
                str(user.pk),
                str(start_at),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [
        process.communicate(timeout=120)[0].strip().splitlines()[-1] for process in processes
    ]

    assert [process.returncode for process in processes] == [0] * WORKERS, outputs
    assert outputs.count("started") == 1, outputs
    assert set(outputs) - {"started"} <= {"attempt_in_progress", "no_attempts_left"}, outputs
    assert Attempt.objects.filter(assessment=assessment, user=user).count() == 1
    assert Attempt.objects.get().questions.count() == 5
