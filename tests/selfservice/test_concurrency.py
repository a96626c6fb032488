"""One reset code used twice at the same instant sets the password once: the request row's lock
and its ``used_at`` settle the race (PostgreSQL row lock; SQLite write lock)."""

import re

import pytest

from portal.models import OutboundSms
from portal.roles import Role
from portal.selfservice.models import PasswordResetRequest
from portal.selfservice.services import SelfServiceError, request_password_reset, reset_password
from tests.crm.factories import CustomerFactory, MobileLineFactory
from tests.crm.test_concurrency import run_together


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_code_used_twice_at_once_resets_once(make_user):
    user = make_user(Role.CUSTOMER, username="racer")
    customer = CustomerFactory(user=user)
    MobileLineFactory(customer=customer, msisdn="18900000099")
    request_password_reset("18900000099")
    code = re.search(r"\d{6}", OutboundSms.objects.get().body).group()
    passwords = ["Lantern-Harbour-2026", "Copper-Meadow-2027"]

    results = run_together(2, lambda i: reset_password("18900000099", code, passwords[i]))

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, SelfServiceError)]
    assert (len(winners), len(losers)) == (1, 1)
    user.refresh_from_db()
    assert sum(user.check_password(p) for p in passwords) == 1
    assert PasswordResetRequest.objects.get().used_at is not None
