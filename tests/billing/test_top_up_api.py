"""POST /api/v1/top-ups/: idempotent, validated, scoped."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import LedgerEntry, TopUp
from billing.services import balance_of, top_up
from crm.choices import VerificationMethod
from crm.models import PiiAccessLog
from crm.services import record_verification, start_interaction
from portal.roles import Role
from tests.crm.factories import CustomerFactory

URL = reverse("billing-top-up-list")


@pytest.fixture
def customer_login(make_user):
    return make_user(Role.CUSTOMER, username="self-service")


@pytest.fixture
def customer(customer_login):
    return CustomerFactory(user=customer_login, service_password="135790")


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


NEW_KEY = object()


def post(client, body, key=NEW_KEY, **headers):
    """POST a top-up; by default with a fresh key, as every client must send one."""
    if key is NEW_KEY:
        key = str(uuid.uuid4())
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, body, format="json", headers={"accept-language": "en", **headers})


def verify_caller(staff, customer):
    """A hotline call of ``staff`` in which the caller passed verification by the service
    password of the ``customer`` fixture; returns the interaction."""
    call = start_interaction(channel="hotline", actor=staff, reason="充值", customer=customer)
    record_verification(
        call,
        customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=staff,
        service_password="135790",
    )
    return call


def test_a_customer_tops_up_their_account_and_sees_the_new_balance(
    api_client, customer_login, account
):
    api_client.force_authenticate(customer_login)

    response = post(
        api_client, {"account": account.account_number, "amount": "50.00", "channel": "online"}
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["account"], body["amount"], body["channel"], body["balance_after"]) == (
        account.account_number,
        "50.00",
        "online",
        "50.00",
    )


def test_a_retry_with_the_same_key_replays_the_first_answer(api_client, customer_login, account):
    api_client.force_authenticate(customer_login)
    body = {"account": account.account_number, "amount": "30", "channel": "bank_card"}

    first = post(api_client, body, key="pay-001")
    retry = post(api_client, body, key="pay-001")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert balance_of(account) == Decimal("30.00")


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_top_up_without_an_idempotency_key_is_a_400_on_the_header_and_credits_nothing(
    api_client, customer_login, account, key
):
    api_client.force_authenticate(customer_login)

    response = post(
        api_client,
        {"account": account.account_number, "amount": "50.00", "channel": "online"},
        key=key,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "required",
                "detail": "Send an Idempotency-Key header (a new unique value, e.g. a UUID, per "
                "payment) so that a retry cannot pay twice.",
                "attr": "Idempotency-Key",
            }
        ],
    }
    assert (TopUp.objects.count(), LedgerEntry.objects.count()) == (0, 0)
    assert balance_of(account) == Decimal("0.00")


def test_a_missing_key_is_reported_with_the_bodys_own_field_errors(
    api_client, customer_login, account
):
    api_client.force_authenticate(customer_login)

    response = post(api_client, {"account": account.account_number, "channel": "online"}, key=None)

    assert response.status_code == 400
    assert sorted((e["attr"], e["code"]) for e in response.json()["errors"]) == [
        ("Idempotency-Key", "required"),
        ("amount", "required"),
    ]


def test_an_overlong_idempotency_key_is_a_400_and_credits_nothing(
    api_client, customer_login, account
):
    api_client.force_authenticate(customer_login)

    response = post(
        api_client,
        {"account": account.account_number, "amount": "50.00", "channel": "online"},
        key="k" * 129,
    )

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [
        ("Idempotency-Key", "max_length")
    ]
    assert TopUp.objects.count() == 0


def test_the_schema_documents_the_key_as_a_required_header_with_its_400(openapi_schema):
    operation = openapi_schema["paths"]["/api/v1/top-ups/"]["post"]

    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in headers] == [("Idempotency-Key", True)]
    assert {"200", "201", "400", "409"} <= set(operation["responses"])


def test_the_same_key_with_a_different_body_is_a_conflict(api_client, customer_login, account):
    api_client.force_authenticate(customer_login)
    post(api_client, {"account": account.account_number, "amount": "30", "channel": "online"}, "k")

    response = post(
        api_client, {"account": account.account_number, "amount": "31", "channel": "online"}, "k"
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "idempotency_key_reused",
                "detail": "This Idempotency-Key was used for a different top-up.",
                "attr": None,
            }
        ],
    }
    assert balance_of(account) == Decimal("30.00")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "amount_out_of_range"),
        ("-5", "amount_out_of_range"),
        ("12.345", "invalid_amount"),
        ("abc", "invalid_amount"),
        (1e-7, "invalid_amount"),
    ],
)
def test_bad_amounts_are_400_on_the_amount_field(api_client, customer_login, account, amount, code):
    api_client.force_authenticate(customer_login)

    response = post(
        api_client, {"account": account.account_number, "amount": amount, "channel": "online"}
    )

    errors = response.json()["errors"]
    assert response.status_code == 400
    assert [(error["attr"], error["code"]) for error in errors] == [("amount", code)]
    assert LedgerEntry.objects.count() == 0


def test_missing_and_unknown_fields_are_400_with_field_messages(
    api_client, customer_login, account
):
    api_client.force_authenticate(customer_login)

    response = post(api_client, {"account": account.account_number, "channel": "carrier-pigeon"})

    assert response.status_code == 400
    assert sorted((e["attr"], e["code"]) for e in response.json()["errors"]) == [
        ("amount", "required"),
        ("channel", "invalid_choice"),
    ]


def test_a_customer_cannot_top_up_someone_elses_account(api_client, customer_login, account):
    stranger = CustomerFactory().billing_accounts.get()
    api_client.force_authenticate(customer_login)

    response = post(
        api_client, {"account": stranger.account_number, "amount": "10", "channel": "online"}
    )

    assert response.status_code == 404
    assert balance_of(stranger) == Decimal("0.00")


def test_hall_staff_top_up_any_account_but_see_its_balance_only_after_verification(
    api_client, personas, customer, account
):
    specialist = personas[Role.SERVICE_SPECIALIST]
    api_client.force_authenticate(specialist)
    body = {"account": account.account_number, "amount": "20", "channel": "business_hall"}

    unverified = post(api_client, body)
    verify_caller(specialist, customer)
    verified = post(api_client, body)

    assert (unverified.status_code, unverified.json()["balance_after"]) == (201, None)
    assert (verified.status_code, verified.json()["balance_after"]) == (201, "40.00")


@pytest.mark.parametrize("role", [Role.TECH_SUPPORT, Role.COMPLAINT_COORDINATOR, "outsider"])
def test_roles_without_the_top_up_permission_are_refused(api_client, personas, account, role):
    api_client.force_authenticate(personas[role])

    response = post(
        api_client, {"account": account.account_number, "amount": "10", "channel": "online"}
    )

    assert response.status_code == 403


def test_the_list_shows_only_the_customers_own_top_ups_in_constant_queries(
    api_client, customer_login, account, django_assert_num_queries
):
    api_client.force_authenticate(customer_login)
    for index in range(3):
        post(
            api_client,
            {"account": account.account_number, "amount": "10", "channel": "online"},
            key=f"list-{index}",
        )
    post(
        api_client.__class__(),
        {"account": CustomerFactory().billing_accounts.get().account_number},
    )

    # 1 count, 2 the page with accounts, customers and ledger entries (the role check was
    # answered by the earlier requests of this forced-authenticated user object).
    with django_assert_num_queries(2):
        response = api_client.get(URL)

    assert response.json()["count"] == 3


@pytest.mark.parametrize("count", [1, 3])
def test_the_staff_list_of_a_verified_callers_top_ups_runs_a_constant_number_of_queries(
    api_client, personas, customer, account, django_assert_num_queries, count
):
    specialist = personas[Role.SERVICE_SPECIALIST]
    verify_caller(specialist, customer)
    api_client.force_authenticate(specialist)
    for _ in range(count):
        post(api_client, {"account": account.account_number, "amount": "10", "channel": "online"})
    url = f"{URL}?customer={customer.pk}"

    # 1 the customer named, 2 the verification gate, 3 count, 4 the page with accounts,
    # customers, ledger entries, offers and points (permissions cached by the earlier requests).
    with django_assert_num_queries(4):
        response = api_client.get(url)

    assert [row["balance_after"] for row in response.json()["results"]] == [
        f"{10 * n}.00" for n in range(count, 0, -1)
    ]


def test_a_supervisors_look_at_a_customers_top_ups_adds_the_access_log_row(
    api_client, personas, customer, account, django_assert_num_queries
):
    top_up(account, amount="10", channel="online", actor=customer.user)
    supervisor = personas[Role.SUPERVISOR]
    api_client.force_authenticate(supervisor)
    api_client.get(f"{URL}?customer={customer.pk}")

    # 1 the customer named, 2 the verification gate, 3 the access log row, 4 count, 5 the page.
    with django_assert_num_queries(5):
        response = api_client.get(f"{URL}?customer={customer.pk}")

    assert (response.status_code, response.json()["count"]) == (200, 1)
    assert PiiAccessLog.objects.filter(actor=supervisor, customer=customer).count() == 2
