"""Demo users for every role, loaded by ``manage.py seed_demo``.

Each app with demo data has a ``demo.py`` exposing ``demo_steps()``: a list of (label, step)
pairs where each step creates what is missing and returns how many rows it created, so that
running ``seed_demo`` twice creates nothing the second time.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from portal.roles import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (published in README: demo data only)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: Role | None
    superuser: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "管理员", "系统", None, superuser=True),
    DemoLogin("specialist", "娜", "李", Role.SERVICE_SPECIALIST),
    DemoLogin("specialist2", "芳", "吴", Role.SERVICE_SPECIALIST),
    DemoLogin("engineer", "强", "王", Role.TECH_SUPPORT),
    DemoLogin("coordinator", "敏", "张", Role.COMPLAINT_COORDINATOR),
    DemoLogin("sales", "洋", "刘", Role.SALES_ADVISOR),
    DemoLogin("supervisor", "静", "陈", Role.SUPERVISOR),
    DemoLogin("customer1", "伟", "赵", Role.CUSTOMER),
    DemoLogin("customer2", "丽", "孙", Role.CUSTOMER),
    DemoLogin("customer3", "杰", "周", Role.CUSTOMER),
)


@transaction.atomic
def create_demo_user(login: DemoLogin) -> int:
    """Create the user unless it exists (then leave it, password included, as it is)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=login.username,
        defaults={
            "first_name": login.first_name,
            "last_name": login.last_name,
            "email": f"{login.username}@demo.telecom-crm.example",
            "is_staff": login.superuser,
            "is_superuser": login.superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if login.role is not None:
            user.groups.add(Group.objects.get(name=login.role.value))
    return int(created)


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        (f"user {login.username}", lambda login=login: create_demo_user(login))
        for login in DEMO_LOGINS
    ]
