"""The billing admin shows the ledger read-only, with line numbers masked."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import PrepaidBalance
from billing.services import top_up
from tests.billing.factories import UsageRecordFactory


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(None, username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model", ["prepaidbalance", "ledgerentry", "topup", "usagerecord", "usagemonth", "bill"]
)
def test_billing_pages_render_and_offer_no_edits(admin_client, model):
    changelist = admin_client.get(reverse(f"admin:billing_{model}_changelist"))
    add = admin_client.get(reverse(f"admin:billing_{model}_add"))

    assert (changelist.status_code, add.status_code) == (200, 403)


def test_usage_records_show_the_line_masked_and_never_the_other_party(admin_client):
    record = UsageRecordFactory(counterpart="13812345678")
    msisdn = record.subscription.msisdn

    page = admin_client.get(reverse("admin:billing_usagerecord_change", args=[record.pk]))
    listing = admin_client.get(reverse("admin:billing_usagerecord_changelist"))

    for response in (page, listing):
        body = response.content.decode()
        assert msisdn not in body
        assert "13812345678" not in body
        assert f"{msisdn[:3]}****{msisdn[-4:]}" in body


def test_audit_ledger_command_passes_then_catches_tampering(make_user):
    from tests.crm.factories import CustomerFactory

    account = CustomerFactory().billing_accounts.get()
    top_up(account, amount="10", channel="online", actor=make_user(None))
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    PrepaidBalance.objects.filter(account=account).update(balance=Decimal("1.00"))

    with pytest.raises(CommandError, match=r"^1 balance\(s\) differ from their ledger$"):
        call_command("audit_ledger", stdout=StringIO())
    assert out.getvalue() == "Every balance equals the sum of its entries.\n"
