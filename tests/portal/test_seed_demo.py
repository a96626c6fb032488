"""seed_demo loads a login per role, prints them, and is idempotent."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from billing.models import Bill
from billing.services import audit_ledger, balance_of
from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.roles import Role


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_creates_a_login_for_every_role_and_prints_them(demo_seeded):
    output = demo_seeded

    users = get_user_model().objects.in_bulk(field_name="username")
    assert set(users) == {login.username for login in DEMO_LOGINS}
    assert {role for user in users.values() for role in user.roles} == set(Role)
    assert users["admin"].is_superuser is True
    assert users["specialist"].check_password(DEMO_PASSWORD)
    # 10 logins + the crm demo (crm.demo): 49 customers, accounts, lines, orders and contacts
    # + the billing demo: 3 top-ups for each of the 11 demo customers
    # + the billing commerce demo: 3 devices, 5 promotions, 1 points redemption, 2 plans
    # + the complaints demo: 10 tickets and the 7 notes written on them
    # + the training demo: a team and its 5 members, 3 assignments, 2 exams, 2 suggestions and
    # this month's KPIs of the 6 staff members
    # + the contact channels (crm.channel_demo): 1 chat, 2 calls, 2 mails, 2 notices, 2 agreements
    # + the self-service portal (portal.selfservice.demo): customer1's contact preferences
    # + the staff workspaces (portal.workspaces.demo): 96 rated usage records (3 months of 10 calls,
    # 20 messages and 2 data sessions on customer1's line) and 1 diagnosis
    # + last month's bill run (billing.demo_bill_run): customer1's bill and its monthly fee entry
    # (the one demo line active last month).
    assert "Demo data ready: 248 rows created." in output
    account = users["customer1"].customer.billing_accounts.get()
    # 180.00 paid, a 10.00 top-up bonus, 1.00 of points redeemed as bill credit; then the usage
    # history, 3 x 54.30 (200 min at 0.20 = 40.00, 20 SMS at 0.10 = 2.00, 2 sessions of 20 MB
    # at 0.0003/KB rounded up per session = 12.30); last, last month's fee of 10.00 (the 大众卡
    # plan's 5.00 and caller ID's 5.00) charged by the bill run.
    assert balance_of(account) == Decimal("18.10")
    bill = Bill.objects.get()
    assert (bill.subscription.msisdn, bill.total) == ("18900000001", Decimal("64.30"))
    assert audit_ledger() == []
    assert all(login.username in output for login in DEMO_LOGINS)


def test_seed_demo_twice_creates_nothing_new(demo_seeded):
    before = get_user_model().objects.count()

    output = seed()

    assert get_user_model().objects.count() == before
    assert "Demo data ready: 0 rows created." in output


def test_seed_demo_refuses_production(db, settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="Refusing to load demo data"):
        call_command("seed_demo", "--no-progress")
