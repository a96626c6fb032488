"""The bills and balances API: a customer's own bills with lines as decimal strings, traced to
records and tariff rules; staff behind the verification gate; invoice PDFs; query counts."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.bill_run import run_bill_run
from billing.choices import UsageEventType
from billing.models import Bill
from crm.choices import PiiField
from crm.models import PiiAccessLog
from portal.roles import Role
from tests.billing.factories import UsageRecordFactory
from tests.billing.test_bill_pages import customer_with_bills, verify_caller
from tests.crm.factories import mobile_number

EN = {"accept-language": "en"}
FEBRUARY = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)
MSISDN = mobile_number(60_000_001)
VERIFY_FIRST = (
    "Verify the caller first: balance, bills and usage are shown only after the caller passes "
    "identity verification in your current interaction."
)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer(customer_user):
    customer = customer_with_bills(
        name="王小明", n=1, months=(FEBRUARY,), records=2, user=customer_user
    )
    line = customer.subscriptions.get()
    for k in range(2):
        UsageRecordFactory(
            subscription=line,
            started_at=timezone.make_aware(datetime.datetime(2026, 3, 1 + k, 8, k)),
            counterpart=mobile_number(90_000_000 + k),
        )
    UsageRecordFactory(
        subscription=line,
        event_type=UsageEventType.DATA,
        started_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0)),
        duration_s=None,
        volume_kb=2048,
        charged_units=2048,
        charge=Decimal("0.62"),
        counterpart="",
    )
    UsageRecordFactory(
        subscription=line,
        event_type=UsageEventType.VOICE_OUT_LD,
        started_at=timezone.make_aware(datetime.datetime(2026, 3, 1, 9, 0)),
        duration_s=125,
        charged_units=3,
        charge=Decimal("0.90"),
        counterpart=mobile_number(90_000_009),
    )
    run_bill_run(MARCH)
    return customer


@pytest.fixture
def other_customer(make_user):
    return customer_with_bills(name="李四", n=2, user=make_user(Role.CUSTOMER))


def bill_of(customer, period=MARCH) -> Bill:
    return Bill.objects.get(subscription__customer=customer, period=period)


def bills_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("billing-bill-list") + (f"?{query}" if query else "")


def error_of(response) -> tuple[str, str | None]:
    error = response.json()["errors"][0]
    return error["code"], error["attr"]


# --- Bills ----------------------------------------------------------------------------------


def test_bill_by_msisdn_and_period_gives_total_and_lines_as_decimal_strings(
    customer_user, customer
):
    bill = bill_of(customer)

    response = client_for(customer_user).get(bills_url(msisdn=MSISDN, period="2026-03"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    records = f"http://testserver/api/v1/bills/{bill.pk}/records/"
    assert body["results"][0] == {
        "id": bill.pk,
        "period": "2026-03",
        "msisdn": "139****0001",
        "customer": customer.pk,
        "total": "7.32",
        "lines": [
            {
                "kind": "monthly_fees",
                "quantity": "1",
                "amount": "5.00",
                "tariff_rule": "DAZHONG 5.00",
                "records_url": None,
            },
            {
                "kind": "local",
                "quantity": "4",
                "amount": "0.80",
                "tariff_rule": (
                    "DAZHONG: voice_out_local 0.20/min, voice_in 0.00/min, per started minute"
                ),
                "records_url": f"{records}?kind=local",
            },
            {
                "kind": "long_distance",
                "quantity": "3",
                "amount": "0.90",
                "tariff_rule": "DAZHONG: voice_out_ld 0.30/min, per started minute",
                "records_url": f"{records}?kind=long_distance",
            },
            {
                "kind": "data",
                "quantity": "2048",
                "amount": "0.62",
                "tariff_rule": (
                    "DAZHONG: data 0.0003/KB per session, rounded up to the fen; cap 1000.00 "
                    "incl. monthly fees; cut-off 20971520 KB; after re-opening 0.0003/KB"
                ),
                "records_url": f"{records}?kind=data",
            },
        ],
        "verification_code": bill.verification_code,
        "issued_at": timezone.localtime(bill.issued_at).isoformat(),
        "records_url": records,
        "invoice_url": f"http://testserver/api/v1/bills/{bill.pk}/invoice.pdf",
    }


def test_msisdn_filter_accepts_the_number_with_country_code_and_spaces(customer_user, customer):
    response = client_for(customer_user).get(
        reverse("billing-bill-list"), {"msisdn": f"+86 {MSISDN[:3]} {MSISDN[3:]}"}
    )

    assert [row["period"] for row in response.json()["results"]] == ["2026-03", "2026-02"]


def test_customer_lists_only_their_own_bills_newest_first(customer_user, customer, other_customer):
    response = client_for(customer_user).get(bills_url())

    assert [(row["period"], row["customer"]) for row in response.json()["results"]] == [
        ("2026-03", customer.pk),
        ("2026-02", customer.pk),
    ]


def test_customer_filtering_by_another_customers_number_finds_nothing(
    customer_user, customer, other_customer
):
    response = client_for(customer_user).get(bills_url(msisdn=mobile_number(60_000_002)))

    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("msisdn", ["12345", "1391234567x"])
def test_a_number_that_cannot_exist_finds_nothing(customer_user, customer, msisdn):
    response = client_for(customer_user).get(bills_url(msisdn=msisdn))

    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("period", ["2026-3", "2026-13", "March"])
def test_a_bad_period_is_a_400_on_period(customer_user, customer, period):
    response = client_for(customer_user).get(bills_url(period=period), headers=EN)

    assert response.status_code == 400
    assert error_of(response) == ("invalid", "period")


@pytest.mark.parametrize(
    "endpoint", ["billing-bill-detail", "billing-bill-records", "billing-bill-invoice"]
)
def test_another_customers_bill_is_404(customer_user, customer, other_customer, endpoint):
    response = client_for(customer_user).get(reverse(endpoint, args=[bill_of(other_customer).pk]))

    assert response.status_code == 404


def test_bill_detail_is_the_list_rows_shape(customer_user, customer):
    bill = bill_of(customer)
    client = client_for(customer_user)

    detail = client.get(reverse("billing-bill-detail", args=[bill.pk])).json()
    listed = client.get(bills_url(period="2026-03")).json()["results"][0]

    assert detail == listed


# --- The verification gate ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.COMPLAINT_COORDINATOR])
def test_staff_get_403_until_the_caller_is_verified_then_200(personas, customer, role):
    staff = personas[role]
    client = client_for(staff)
    bill = bill_of(customer)
    urls = [
        bills_url(msisdn=MSISDN, period="2026-03"),
        bills_url(customer=customer.pk),
        reverse("billing-bill-detail", args=[bill.pk]),
        reverse("billing-bill-records", args=[bill.pk]),
        reverse("billing-bill-invoice", args=[bill.pk]),
        reverse("billing-balance-list") + f"?customer={customer.pk}",
    ]

    before = [client.get(url, headers=EN) for url in urls]
    verify_caller(staff, customer)
    after = [client.get(url).status_code for url in urls]

    assert [response.status_code for response in before] == [403] * 6
    assert {response.json()["errors"][0]["code"] for response in before} == {
        "verification_required"
    }
    assert before[0].json()["errors"][0]["detail"] == VERIFY_FIRST
    assert after == [200] * 6
    assert PiiAccessLog.objects.count() == 0


def test_verified_staff_see_the_bill_by_msisdn_and_period(personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)

    body = client_for(specialist).get(bills_url(msisdn=MSISDN, period="2026-03")).json()

    assert [(row["id"], row["total"]) for row in body["results"]] == [
        (bill_of(customer).pk, "7.32")
    ]


def test_verifying_one_customer_does_not_open_another(personas, customer, other_customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)

    response = client_for(specialist).get(
        reverse("billing-bill-detail", args=[bill_of(other_customer).pk])
    )

    assert response.status_code == 403


def test_supervisor_reads_without_verification_and_each_read_is_logged(personas, customer):
    supervisor = personas[Role.SUPERVISOR]
    client = client_for(supervisor)

    listed = client.get(bills_url(msisdn=MSISDN))
    detail = client.get(reverse("billing-bill-detail", args=[bill_of(customer).pk]))

    assert (listed.status_code, listed.json()["count"], detail.status_code) == (200, 2, 200)
    assert [
        (log.actor, log.customer, log.field) for log in PiiAccessLog.objects.order_by("pk")
    ] == [(supervisor, customer, PiiField.ACCOUNT_DETAIL)] * 2


@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.SUPERVISOR])
def test_staff_must_name_the_customer_to_list_bills(personas, customer, role):
    response = client_for(personas[role]).get(bills_url(period="2026-03"), headers=EN)

    assert response.status_code == 400
    assert error_of(response) == ("required", "customer")
    assert response.json()["errors"][0]["detail"] == (
        "Staff look at one customer at a time: give msisdn or customer."
    )


def test_staff_naming_an_unknown_number_get_an_empty_list(personas, customer):
    response = client_for(personas[Role.SERVICE_SPECIALIST]).get(
        bills_url(msisdn=mobile_number(61_234_567))
    )

    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("role", [Role.TECH_SUPPORT, Role.SALES_ADVISOR, "outsider"])
def test_roles_without_the_billing_view_permissions_get_403(personas, customer, role):
    client = client_for(personas[role])
    bill = bill_of(customer)

    statuses = [
        client.get(url).status_code
        for url in [
            bills_url(msisdn=MSISDN),
            reverse("billing-bill-detail", args=[bill.pk]),
            reverse("billing-bill-invoice", args=[bill.pk]),
            reverse("billing-balance-list") + f"?customer={customer.pk}",
        ]
    ]

    assert statuses == [403] * 4


def test_anonymous_callers_get_401(api_client, customer):
    response = api_client.get(bills_url())

    assert response.status_code == 401


# --- Itemised records -----------------------------------------------------------------------


def test_records_are_the_lines_month_in_time_order_with_rules_and_masked_numbers(
    customer_user, customer
):
    bill = bill_of(customer)

    body = client_for(customer_user).get(reverse("billing-bill-records", args=[bill.pk])).json()

    assert body["count"] == 4
    assert [
        (
            row["event_type"],
            row["bill_line"],
            row["charged_units"],
            row["charge"],
            row["counterpart"],
        )
        for row in body["results"]
    ] == [
        ("voice_out_local", "local", 2, "0.40", "139****0000"),
        ("voice_out_ld", "long_distance", 3, "0.90", "139****0009"),
        ("voice_out_local", "local", 2, "0.40", "139****0001"),
        ("data", "data", 2048, "0.62", ""),
    ]


def test_records_filtered_by_bill_line_add_up_to_the_line(customer_user, customer):
    bill = bill_of(customer)
    client = client_for(customer_user)
    lines = {
        line["kind"]: line
        for line in client.get(reverse("billing-bill-detail", args=[bill.pk])).json()["lines"]
    }

    records = client.get(lines["long_distance"]["records_url"]).json()["results"]

    assert [row["record_id"] for row in records] == [
        row.record_id for row in bill.subscription.usage_records.filter(event_type="voice_out_ld")
    ]
    assert sum(Decimal(row["charge"]) for row in records) == Decimal(
        lines["long_distance"]["amount"]
    )
    assert str(sum(row["charged_units"] for row in records)) == lines["long_distance"]["quantity"]


def test_records_page_size_is_the_clients_choice(customer_user, customer):
    response = client_for(customer_user).get(
        reverse("billing-bill-records", args=[bill_of(customer).pk]), {"page_size": 3}
    )

    body = response.json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (4, 3, True)


def test_records_refuse_an_unknown_kind(customer_user, customer):
    response = client_for(customer_user).get(
        reverse("billing-bill-records", args=[bill_of(customer).pk]), {"kind": "fax"}
    )

    assert (response.status_code, error_of(response)) == (400, ("invalid_choice", "kind"))


# --- Invoice PDF ----------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "application/json"])
def test_invoice_pdf_downloads_whatever_the_client_accepts(customer_user, customer, accept):
    bill = bill_of(customer)

    response = client_for(customer_user).get(
        reverse("billing-bill-invoice", args=[bill.pk]), HTTP_ACCEPT=accept
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-202603{bill.pk:010d}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


def test_invoice_refusal_is_json_even_when_a_pdf_was_asked_for(customer_user, other_customer):
    response = client_for(customer_user).get(
        reverse("billing-bill-invoice", args=[bill_of(other_customer).pk]),
        HTTP_ACCEPT="application/pdf",
    )

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["errors"][0]["code"] == "not_found"


# --- Balances -------------------------------------------------------------------------------


def test_customer_balances_show_their_accounts_and_latest_entries(
    customer_user, customer, other_customer
):
    response = client_for(customer_user).get(reverse("billing-balance-list"))

    body = response.json()
    assert body["count"] == 1
    account = body["results"][0]
    assert (account["account"], account["customer"], account["balance"]) == (
        f"A{customer.customer_number}",
        customer.pk,
        "40.00",
    )
    assert [
        (entry["kind"], entry["amount"], entry["balance_after"], entry["period"])
        for entry in account["latest_entries"]
    ] == [
        ("monthly_fee", "-5.00", "40.00", "2026-03"),
        ("monthly_fee", "-5.00", "45.00", "2026-02"),
        ("top_up", "50.00", "50.00", None),
    ]


def test_staff_must_name_the_customer_for_balances(personas, customer):
    response = client_for(personas[Role.SUPERVISOR]).get(reverse("billing-balance-list"))

    assert (response.status_code, error_of(response)) == (400, ("required", "customer"))


def test_supervisor_reads_balances_and_is_logged(personas, customer):
    supervisor = personas[Role.SUPERVISOR]

    response = client_for(supervisor).get(
        reverse("billing-balance-list"), {"customer": customer.pk}
    )

    assert [row["balance"] for row in response.json()["results"]] == ["40.00"]
    assert PiiAccessLog.objects.filter(actor=supervisor, customer=customer).count() == 1


# --- Query counts ---------------------------------------------------------------------------


def months_of_bills(user, months: int):
    return customer_with_bills(
        name="周七",
        n=7,
        months=[datetime.date(2025, 12 - k, 1) for k in range(months)],
        user=user,
    )


@pytest.mark.parametrize("months", [1, 4])
def test_customer_bill_list_runs_a_constant_number_of_queries(
    customer_user, django_assert_num_queries, months
):
    months_of_bills(customer_user, months)
    client = client_for(customer_user)
    # 1 the user's permissions (own and by group), 2 the bills count, 3 the page of bills with
    # line and customer, 4 their bill lines.
    with django_assert_num_queries(4):
        response = client.get(bills_url())

    assert response.json()["count"] == months


@pytest.mark.parametrize("months", [1, 4])
def test_staff_bill_list_by_msisdn_runs_a_constant_number_of_queries(
    personas, customer_user, django_assert_num_queries, months
):
    customer = months_of_bills(customer_user, months)
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)
    client = client_for(specialist)
    # 1 the user's permissions (own and by group), 2 the lines with this number and their
    # customers, 3 the verification gate, 4 the bills count, 5 the page of bills, 6 their bill
    # lines.
    with django_assert_num_queries(6):
        response = client.get(bills_url(msisdn=mobile_number(60_000_007)))

    assert response.json()["count"] == months


def test_supervisor_bill_list_adds_the_access_log_row(
    personas, customer, django_assert_num_queries
):
    client = client_for(personas[Role.SUPERVISOR])
    # 1-3 as for the specialist, 4 the access-log row, 5 count, 6 page, 7 bill lines.
    with django_assert_num_queries(7):
        client.get(bills_url(msisdn=MSISDN))


@pytest.mark.parametrize("records", [1, 20])
def test_records_list_runs_a_constant_number_of_queries(
    make_user, django_assert_num_queries, records
):
    user = make_user(Role.CUSTOMER)
    bill = Bill.objects.get(
        subscription__customer=customer_with_bills(name="吴八", n=8, records=records, user=user)
    )
    client = client_for(user)
    # 1 the user's permissions (own and by group), 2 the bill with line and customer, 3 its
    # bill lines, 4 the records count, 5 the page of records.
    with django_assert_num_queries(5):
        response = client.get(reverse("billing-bill-records", args=[bill.pk]))

    assert response.json()["count"] == records


@pytest.mark.parametrize("months", [1, 4])
def test_balance_list_runs_a_constant_number_of_queries(
    customer_user, django_assert_num_queries, months
):
    months_of_bills(customer_user, months)
    client = client_for(customer_user)
    # 1 the user's permissions (own and by group), 2 the login's customer record, 3 the
    # accounts count, 4 the page of accounts with balances, 5 their latest entries.
    with django_assert_num_queries(5):
        response = client.get(reverse("billing-balance-list"))

    assert len(response.json()["results"][0]["latest_entries"]) == min(months + 1, 5)
