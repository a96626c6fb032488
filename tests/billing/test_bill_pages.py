"""Billing pages: a customer's own balance, bills, itemised list and invoice; staff see a
customer's only after verifying the caller (supervisors without, logged); the invoice check."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.bill_run import run_bill_run
from billing.choices import TopUpChannel, UsageEventType
from billing.models import Bill
from billing.services import top_up
from crm.choices import Channel, PiiField, VerificationMethod
from crm.models import PiiAccessLog
from crm.services import end_interaction, record_verification, start_interaction
from portal.roles import Role
from tests.billing.factories import UsageRecordFactory
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number
from tests.portal.factories import UserFactory

EN = {"accept-language": "en"}
FEBRUARY = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)


def customer_with_bills(*, name: str, n: int, months=(MARCH,), records: int = 3, user=None):
    """A customer (with ``user`` as login) whose one line (DAZHONG, 5.00 a month) has
    ``records`` local calls (2 min, 0.40 each) in each of ``months`` and a bill for each month;
    50.00 topped up."""
    customer = CustomerFactory(name=name, user=user)
    line = MobileLineFactory(
        customer=customer,
        msisdn=mobile_number(60_000_000 + n),
        activated_on=datetime.date(2025, 6, 1),
    )
    top_up(
        customer.billing_accounts.get(),
        amount="50.00",
        channel=TopUpChannel.ONLINE,
        actor=user or UserFactory(),
    )
    for month in months:
        for k in range(records):
            UsageRecordFactory(
                subscription=line,
                started_at=timezone.make_aware(
                    datetime.datetime(month.year, month.month, 1 + k % 28, 8, k % 60)
                ),
                counterpart=mobile_number(90_000_000 + k),
            )
        run_bill_run(month)
    return customer


def verify_caller(staff, customer):
    interaction = start_interaction(
        channel=Channel.HOTLINE, actor=staff, reason="查询账单", customer=customer
    )
    record_verification(
        interaction,
        customer,
        method=VerificationMethod.ID_AND_NAME,
        actor=staff,
        id_number=customer.document_number,
        name=customer.name,
    )
    return interaction


@pytest.fixture
def customer(customer_user):
    return customer_with_bills(name="王小明", n=1, months=(FEBRUARY, MARCH), user=customer_user)


@pytest.fixture
def other_customer(make_user):
    return customer_with_bills(name="李四", n=2, user=make_user(Role.CUSTOMER))


def bill_of(customer, period=MARCH) -> Bill:
    return Bill.objects.get(subscription__customer=customer, period=period)


def my_urls(bill) -> dict[str, str]:
    return {
        "overview": reverse("billing:my-billing"),
        "bill": reverse("billing:my-bill", args=[bill.pk]),
        "invoice": reverse("billing:my-invoice", args=[bill.pk]),
    }


def staff_urls(customer, bill) -> dict[str, str]:
    return {
        "overview": reverse("billing:customer-billing", args=[customer.pk]),
        "bill": reverse("billing:customer-bill", args=[customer.pk, bill.pk]),
        "invoice": reverse("billing:customer-invoice", args=[customer.pk, bill.pk]),
    }


# --- The customer's own pages ---------------------------------------------------------------


def test_customer_sees_balance_activity_and_bills_by_month(client, customer_user, customer):
    client.force_login(customer_user)

    response = client.get(reverse("billing:my-billing"), headers=EN)

    assert response.status_code == 200
    assert [account.prepaid_balance.balance for account in response.context["accounts"]] == [
        Decimal("40.00")
    ]
    assert [(entry.kind, entry.amount) for entry in response.context["entries"]] == [
        ("monthly_fee", Decimal("-5.00")),
        ("monthly_fee", Decimal("-5.00")),
        ("top_up", Decimal("50.00")),
    ]
    assert [(bill.period, bill.total) for bill in response.context["bills"]] == [
        (MARCH, Decimal("6.20")),
        (FEBRUARY, Decimal("6.20")),
    ]
    html = response.content.decode()
    assert "139****0001" in html
    assert mobile_number(60_000_001) not in html
    assert response["Cache-Control"] == ("max-age=0, no-cache, no-store, must-revalidate, private")


def test_customer_bill_page_shows_lines_rules_and_the_itemised_list(
    client, customer_user, customer
):
    bill = bill_of(customer)
    client.force_login(customer_user)

    response = client.get(reverse("billing:my-bill", args=[bill.pk]), headers=EN)

    assert response.status_code == 200
    assert [(line.kind, line.quantity, line.amount) for line in response.context["lines"]] == [
        ("monthly_fees", 1, Decimal("5.00")),
        ("local", 6, Decimal("1.20")),
    ]
    records = response.context["records"]
    assert [record.masked_counterpart for record in records] == [
        "139****0000",
        "139****0001",
        "139****0002",
    ]
    html = response.content.decode()
    # The stamped rule (DAZHONG: voice_out_local 0.20/min, ...) in words.
    assert "DAZHONG: Local call 0.20 yuan/min" in html
    assert "voice_out_local" not in html
    assert mobile_number(90_000_001) not in html


def test_itemised_list_is_paginated_and_filtered_by_bill_line(client, make_user):
    user = make_user(Role.CUSTOMER)
    customer = customer_with_bills(name="赵六", n=3, records=60, user=user)
    UsageRecordFactory(
        subscription=customer.subscriptions.get(),
        event_type=UsageEventType.SMS,
        started_at=timezone.make_aware(datetime.datetime(2026, 3, 30, 9, 0)),
        charged_units=1,
        charge=Decimal("0.10"),
    )
    bill = bill_of(customer)
    client.force_login(user)
    url = reverse("billing:my-bill", args=[bill.pk])

    first, second = client.get(url), client.get(url, {"page": 2})
    sms = client.get(url, {"kind": "sms"})

    assert [len(first.context["records"]), len(second.context["records"])] == [50, 11]
    assert second.context["records"].paginator.num_pages == 2
    assert [record.event_type for record in sms.context["records"]] == ["sms"]


def test_customer_downloads_the_invoice_pdf(client, customer_user, customer):
    bill = bill_of(customer)
    client.force_login(customer_user)

    response = client.get(reverse("billing:my-invoice", args=[bill.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-202603{bill.pk:010d}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("page", ["bill", "invoice"])
def test_customer_gets_404_for_another_customers_bill(
    client, customer_user, customer, other_customer, page
):
    client.force_login(customer_user)

    response = client.get(my_urls(bill_of(other_customer))[page])

    assert response.status_code == 404


def test_a_login_without_a_customer_record_gets_404(client, customer_user):
    client.force_login(customer_user)

    assert client.get(reverse("billing:my-billing")).status_code == 404


@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.SUPERVISOR, "outsider"])
def test_customer_pages_are_refused_to_non_customers(client, personas, customer, role):
    client.force_login(personas[role])

    assert client.get(reverse("billing:my-billing")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, customer):
    bill = bill_of(customer)
    for url in [*my_urls(bill).values(), *staff_urls(customer, bill).values()]:
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            "/accounts/login/",
        )


# --- Staff pages: the verification gate -----------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "bill", "invoice"])
@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.COMPLAINT_COORDINATOR])
def test_staff_must_verify_the_caller_before_seeing_billing(client, personas, customer, role, page):
    client.force_login(personas[role])

    response = client.get(staff_urls(customer, bill_of(customer))[page], headers=EN)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Verify the caller first" in html
    assert (
        "are shown only after the caller passes identity verification in your current interaction"
        in html
    )


@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.COMPLAINT_COORDINATOR])
def test_staff_see_billing_after_verifying_the_caller_and_nothing_is_logged(
    client, personas, customer, role
):
    staff = personas[role]
    verify_caller(staff, customer)
    client.force_login(staff)
    urls = staff_urls(customer, bill_of(customer))

    statuses = [client.get(url).status_code for url in urls.values()]

    assert statuses == [200, 200, 200]
    assert PiiAccessLog.objects.count() == 0


def test_verification_ends_with_the_interaction(client, personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    interaction = verify_caller(specialist, customer)
    end_interaction(interaction, outcome="resolved", notes="", actor=specialist)
    client.force_login(specialist)

    response = client.get(reverse("billing:customer-billing", args=[customer.pk]))

    assert response.status_code == 403


def test_supervisor_sees_billing_without_verification_and_each_look_is_logged(
    client, personas, customer
):
    supervisor = personas[Role.SUPERVISOR]
    client.force_login(supervisor)
    urls = staff_urls(customer, bill_of(customer))

    statuses = [client.get(url).status_code for url in urls.values()]

    assert statuses == [200, 200, 200]
    logged = PiiAccessLog.objects.order_by("pk")
    assert [(log.actor, log.customer, log.field) for log in logged] == [
        (supervisor, customer, PiiField.ACCOUNT_DETAIL)
    ] * 3
    assert [log.reason.endswith(url) for log, url in zip(logged, urls.values(), strict=True)] == [
        True
    ] * 3


@pytest.mark.parametrize("role", [Role.TECH_SUPPORT, Role.SALES_ADVISOR, Role.CUSTOMER, "outsider"])
def test_staff_pages_are_refused_without_the_billing_desk_and_permissions(
    client, personas, customer, role
):
    client.force_login(personas[role])

    response = client.get(reverse("billing:customer-billing", args=[customer.pk]))

    assert response.status_code == 403
    assert "Verify the caller first" not in response.content.decode()


def test_staff_get_404_for_a_bill_of_another_customer(client, personas, customer, other_customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)
    client.force_login(specialist)

    response = client.get(
        reverse("billing:customer-bill", args=[customer.pk, bill_of(other_customer).pk])
    )

    assert response.status_code == 404


def test_staff_get_404_for_a_missing_customer(client, personas):
    client.force_login(personas[Role.SUPERVISOR])

    response = client.get(reverse("billing:customer-billing", args=[999_999]))

    assert response.status_code == 404
    assert PiiAccessLog.objects.count() == 0


# --- Query counts ---------------------------------------------------------------------------


def many_months(customer_user, months: int):
    return customer_with_bills(
        name="周七",
        n=7,
        months=[datetime.date(2025, 12 - k, 1) for k in range(months)],
        user=customer_user,
    )


@pytest.mark.parametrize("months", [1, 4])
def test_customer_overview_runs_a_constant_number_of_queries(
    client, customer_user, django_assert_num_queries, months
):
    many_months(customer_user, months)
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the login's customer record,
    # 5 accounts with balances, 6 recent ledger entries, 7 bills count, 8 the page of bills with
    # their lines' numbers.
    with django_assert_num_queries(8):
        response = client.get(reverse("billing:my-billing"))

    assert len(response.context["bills"]) == months


@pytest.mark.parametrize("months", [1, 4])
def test_staff_overview_runs_a_constant_number_of_queries(
    client, personas, customer_user, django_assert_num_queries, months
):
    customer = many_months(customer_user, months)
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the customer, 5 the
    # verification gate, 6 accounts with balances, 7 recent ledger entries, 8 bills count, 9 the
    # page of bills.
    with django_assert_num_queries(9):
        response = client.get(reverse("billing:customer-billing", args=[customer.pk]))

    assert len(response.context["bills"]) == months


def test_supervisor_overview_adds_one_query_for_the_access_log(
    client, personas, customer, django_assert_num_queries
):
    client.force_login(personas[Role.SUPERVISOR])
    # 1-9 as for the specialist (the session first), 10 the access-log row.
    with django_assert_num_queries(10):
        client.get(reverse("billing:customer-billing", args=[customer.pk]))


@pytest.mark.parametrize("records", [1, 30])
def test_bill_page_runs_a_constant_number_of_queries(
    client, make_user, django_assert_num_queries, records
):
    user = make_user(Role.CUSTOMER)
    bill = bill_of(customer_with_bills(name="吴八", n=8, records=records, user=user))
    client.force_login(user)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the login's customer record,
    # 5 the bill with its line, 6 its bill lines, 7 records count, 8 the page of records.
    with django_assert_num_queries(8):
        response = client.get(reverse("billing:my-bill", args=[bill.pk]))

    assert len(response.context["records"]) == records


def test_staff_bill_page_runs_a_constant_number_of_queries(
    client, personas, customer, django_assert_num_queries
):
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)
    url = reverse("billing:customer-bill", args=[customer.pk, bill_of(customer).pk])
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the customer, 5 the
    # verification gate, 6 the bill with its line, 7 its bill lines, 8 records count, 9 the page of
    # records.
    with django_assert_num_queries(9):
        response = client.get(url)

    assert len(response.context["records"]) == 3


def test_the_way_back_to_the_customer_page_is_offered_to_the_customer_desk_only(
    client, personas, customer
):
    coordinator = personas[Role.COMPLAINT_COORDINATOR]
    specialist = personas[Role.SERVICE_SPECIALIST]
    for staff in (coordinator, specialist):
        verify_caller(staff, customer)
    back = reverse("crm:customer-detail", args=[customer.pk])
    url = reverse("billing:customer-billing", args=[customer.pk])

    shown = {}
    for staff in (coordinator, specialist):
        client.force_login(staff)
        shown[staff.username] = f'href="{back}"' in client.get(url).content.decode()

    assert shown == {coordinator.username: False, specialist.username: True}


# --- Public invoice check -------------------------------------------------------------------


def test_invoice_check_confirms_a_real_code_with_masked_facts(client, customer):
    bill = bill_of(customer)
    code = bill.verification_code.lower()

    response = client.get(
        reverse("billing:invoice-check"), {"code": f"{code[:4]}-{code[4:]}"}, headers=EN
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["bill"] == bill
    assert "This invoice was issued by us." in html
    assert "139****0001" in html
    assert "6.20" in html
    assert customer.name not in html


def test_invoice_check_says_so_for_an_unknown_code(client, db):
    response = client.get(reverse("billing:invoice-check"), {"code": "NOPE-NOPE"}, headers=EN)

    assert response.context["bill"] is None
    assert "No invoice has this verification code." in response.content.decode()
