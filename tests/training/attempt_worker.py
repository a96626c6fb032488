"""A separate process that tries to start attempts (used by test_attempt_concurrency).

DATABASE_URL=... python -m tests.training.attempt_worker ASSESSMENT_ID USER_ID START_AT

Waits until the wall-clock time START_AT (so that the processes race), tries to start an
attempt, and prints ``started`` or the refusal's code.
"""

import os
import sys
import time


def main(assessment_id: int, user_id: int, start_at: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import OperationalError

    from training.models import Assessment
    from training.services import TrainingError, start_attempt

    assessment = Assessment.objects.select_related("course").get(pk=assessment_id)
    user = get_user_model().objects.get(pk=user_id)
    user.roles  # noqa: B018 - load the permissions before the race
    time.sleep(max(0.0, start_at - time.time()))
    try:
        start_attempt(assessment, user=user)
    except TrainingError as exc:
        sys.stdout.write(f"{exc.code}\n")
    except OperationalError as exc:  # SQLite: the write lock was busy past its timeout
        sys.stdout.write(f"busy {exc}\n")
    else:
        sys.stdout.write("started\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
