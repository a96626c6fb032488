"""The service orders API: creation, every hall step, refusals with their codes, scope."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from crm.choices import OrderStatus, SubscriptionStatus
from crm.models import Interaction, ServiceOrder, Subscription
from crm.services import create_service_order, start_interaction
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory

EN = {"accept-language": "en"}
NEW_NUMBER = "13300001111"
ICCID = "89860000000000000001"
STEPS_AFTER_RECEPTION = [
    "consultation",
    "acceptance",
    "review",
    "processing",
    "confirmation",
    "payment",
    "follow_up",
    "completed",
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def advisor(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def client(advisor):
    return client_for(advisor)


@pytest.fixture
def customer(db):
    return CustomerFactory(name="李四")


def open_number(client, customer, **overrides) -> dict:
    response = client.post(
        reverse("crm-order-list"),
        {
            "kind": "open_number",
            "customer": customer.pk,
            "product": "DAZHONG",
            "service_number": NEW_NUMBER,
            "iccid": ICCID,
            **overrides,
        },
        format="json",
        headers=EN,
    )
    assert response.status_code == 201, response.json()
    return response.json()


def advance(client, order_id, times=1, reason=""):
    for _ in range(times):
        response = client.post(
            reverse("crm-order-advance", args=[order_id]), {"reason": reason}, format="json"
        )
        assert response.status_code == 200, response.json()
    return response.json()


def test_creating_an_open_number_order_answers_201_with_its_first_step(client, advisor, customer):
    body = open_number(client, customer)

    order = ServiceOrder.objects.get()
    assert body == {
        "id": order.pk,
        "number": order.number,
        "kind": "open_number",
        "status": "reception",
        "customer": customer.pk,
        "customer_number": customer.customer_number,
        "customer_name": "李*",
        "subscription": None,
        "subscription_label": None,
        "channel": "business_hall",
        "product": "DAZHONG",
        "service_number": "133****1111",
        "iccid": ICCID,
        "installation_address": "",
        "new_owner": None,
        "data_changes": {},
        "effective_on": None,
        "fee": "30.00",
        "notes": "",
        "rejection_reason": "",
        "created_by": advisor.username,
        "fulfilled_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "steps": [
            {
                "from_status": "",
                "to_status": "reception",
                "actor": advisor.username,
                "reason": "",
                "at": body["steps"][0]["at"],
            }
        ],
        "allowed_transitions": ["consultation", "cancelled"],
    }
    assert order.service_number == NEW_NUMBER


def test_an_order_advances_through_every_step_to_completed_and_opens_the_line(
    client, advisor, customer
):
    order_id = open_number(client, customer)["id"]
    seen = []

    for _ in STEPS_AFTER_RECEPTION:
        seen.append(advance(client, order_id)["status"])
    body = client.get(reverse("crm-order-detail", args=[order_id])).json()

    line = Subscription.objects.get()
    assert seen == STEPS_AFTER_RECEPTION
    assert body["status"] == "completed"
    assert body["allowed_transitions"] == []
    assert body["subscription"] == line.pk
    assert body["subscription_label"] == "133****1111"
    assert [(step["from_status"], step["to_status"], step["actor"]) for step in body["steps"]] == [
        ("", "reception", advisor.username),
        *(
            (source, target, advisor.username)
            for source, target in zip(
                ["reception", *STEPS_AFTER_RECEPTION[:-1]], STEPS_AFTER_RECEPTION, strict=True
            )
        ),
    ]
    assert (line.customer, line.msisdn, line.iccid, line.status) == (
        customer,
        NEW_NUMBER,
        ICCID,
        SubscriptionStatus.ACTIVE,
    )
    assert (
        NEW_NUMBER not in client.get(reverse("crm-order-detail", args=[order_id])).content.decode()
    )


def test_a_rejected_review_returns_to_acceptance_with_the_reason(client, advisor, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id, times=3)

    response = client.post(
        reverse("crm-order-reject", args=[order_id]),
        {"reason": "身份证复印件不清晰"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "acceptance"
    assert body["rejection_reason"] == "身份证复印件不清晰"
    assert body["steps"][-1] == {
        "from_status": "review",
        "to_status": "acceptance",
        "actor": advisor.username,
        "reason": "身份证复印件不清晰",
        "at": body["steps"][-1]["at"],
    }
    assert body["allowed_transitions"] == ["review", "cancelled"]


def test_only_an_order_under_review_can_be_rejected(client, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id)

    response = client.post(
        reverse("crm-order-reject", args=[order_id]),
        {"reason": "资料不全"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "invalid_transition",
                "detail": "Only an order under review can be rejected.",
                "attr": None,
            }
        ],
    }
    assert ServiceOrder.objects.get().status == OrderStatus.CONSULTATION


def test_rejecting_needs_a_reason(client, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id, times=3)

    response = client.post(
        reverse("crm-order-reject", args=[order_id]), {}, format="json", headers=EN
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [{"code": "required", "detail": "This field is required.", "attr": "reason"}],
    }
    assert ServiceOrder.objects.get().status == OrderStatus.REVIEW


def test_an_open_order_can_be_cancelled_with_a_reason(client, advisor, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id, times=2)

    response = client.post(
        reverse("crm-order-cancel", args=[order_id]), {"reason": "客户改变主意"}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "cancelled"
    assert body["allowed_transitions"] == []
    assert body["steps"][-1]["to_status"] == "cancelled"
    assert body["steps"][-1]["reason"] == "客户改变主意"
    assert Subscription.objects.count() == 0


def test_advancing_a_completed_order_is_refused_with_409(client, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id, times=len(STEPS_AFTER_RECEPTION))

    response = client.post(
        reverse("crm-order-advance", args=[order_id]), {}, format="json", headers=EN
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {"code": "invalid_transition", "detail": "This order has no next step.", "attr": None}
        ],
    }


def test_cancelling_after_processing_is_refused_with_409(client, customer):
    order_id = open_number(client, customer)["id"]
    advance(client, order_id, times=5)  # processing -> confirmation fulfils the order

    response = client.post(
        reverse("crm-order-cancel", args=[order_id]),
        {"reason": "不要了"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "invalid_transition",
                "detail": "An order cannot go from Confirmation to Cancelled.",
                "attr": None,
            }
        ],
    }
    assert ServiceOrder.objects.get().status == OrderStatus.CONFIRMATION
    assert Subscription.objects.count() == 1


def test_a_number_already_in_use_is_refused_on_service_number(client, customer):
    MobileLineFactory(msisdn=NEW_NUMBER)

    response = client.post(
        reverse("crm-order-list"),
        {
            "kind": "open_number",
            "customer": customer.pk,
            "product": "DAZHONG",
            "service_number": NEW_NUMBER,
            "iccid": ICCID,
        },
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "msisdn_taken",
                "detail": "This number is already in use.",
                "attr": "service_number",
            }
        ],
    }
    assert NEW_NUMBER not in response.content.decode()


def test_the_product_is_given_by_its_catalog_code(client, customer):
    response = client.post(
        reverse("crm-order-list"),
        {"kind": "open_number", "customer": customer.pk, "product": "NO_SUCH_PLAN"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "does_not_exist",
                "detail": "Object with code=NO_SUCH_PLAN does not exist.",
                "attr": "product",
            }
        ],
    }


def test_an_order_taken_in_an_interaction_is_linked_to_it(client, advisor, customer):
    call = start_interaction(
        channel="business_hall", actor=advisor, reason="办理新号", customer=customer
    )

    body = open_number(client, customer, interaction=call.pk)

    assert Interaction.objects.get(pk=call.pk).service_order_id == body["id"]


def test_a_change_of_contact_phone_is_shown_masked(client, customer):
    response = client.post(
        reverse("crm-order-list"),
        {
            "kind": "customer_data_change",
            "customer": customer.pk,
            "data_changes": {"contact_phone": "13698765432", "address": "北京市东城区1号"},
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data_changes"] == {
        "contact_phone": "136****5432",
        "address": "北京市东城区1号",
    }
    assert "13698765432" not in response.content.decode()


def test_orders_filter_by_status_kind_and_customer(client, advisor, customer):
    first = open_number(client, customer)["id"]
    advance(client, first)
    line = MobileLineFactory()
    other = create_service_order(
        kind="reopen_data", customer=line.customer, subscription=line, actor=advisor
    )
    url = reverse("crm-order-list")

    by_status = client.get(url, {"status": "consultation"}).json()["results"]
    by_kind = client.get(url, {"kind": "reopen_data"}).json()["results"]
    by_customer = client.get(url, {"customer": customer.pk}).json()["results"]

    assert [row["id"] for row in by_status] == [first]
    assert [row["id"] for row in by_kind] == [other.pk]
    assert [row["id"] for row in by_customer] == [first]


# --- Permissions and scope --------------------------------------------------------------------


def test_tech_support_reads_orders_but_cannot_create_or_move_them(personas, client, customer):
    order_id = open_number(client, customer)["id"]
    engineer = client_for(personas[Role.TECH_SUPPORT])

    listed = engineer.get(reverse("crm-order-list"))
    created = engineer.post(
        reverse("crm-order-list"),
        {"kind": "open_number", "customer": customer.pk, "product": "DAZHONG"},
        format="json",
        headers=EN,
    )
    advanced = engineer.post(reverse("crm-order-advance", args=[order_id]), {}, format="json")

    assert listed.status_code == 200
    assert created.status_code == 403
    assert created.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "permission_denied",
                "detail": "You do not have permission to perform this action.",
                "attr": None,
            }
        ],
    }
    assert advanced.status_code == 403
    assert ServiceOrder.objects.get().status == OrderStatus.RECEPTION


def test_a_customer_sees_only_their_own_orders(personas, client, customer):
    user = personas[Role.CUSTOMER]
    own = CustomerFactory(user=user)
    mine = open_number(client, own)["id"]
    theirs = open_number(client, customer, service_number="13300002222")["id"]
    me = client_for(user)

    listed = me.get(reverse("crm-order-list")).json()
    other = me.get(reverse("crm-order-detail", args=[theirs]))
    cancel = me.post(reverse("crm-order-cancel", args=[mine]), {"reason": "x"}, format="json")

    assert [row["id"] for row in listed["results"]] == [mine]
    assert other.status_code == 404
    assert cancel.status_code == 403


def test_an_order_for_a_customer_outside_the_scope_is_refused_like_a_missing_one(
    personas, customer
):
    # A customer login holds no order permission; a staff role without crm.view_customer would
    # see no customers at all. Scope is checked on the id like any missing record.
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-order-list"),
        {"kind": "reopen_data", "customer": 999_999},
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "does_not_exist",
                "detail": 'Invalid pk "999999" - object does not exist.',
                "attr": "customer",
            }
        ],
    }


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 10])
def test_order_list_query_count_is_constant(personas, django_assert_num_queries, count):
    advisor = personas[Role.SALES_ADVISOR]
    for _ in range(count):
        line = MobileLineFactory()
        create_service_order(
            kind="reopen_data", customer=line.customer, subscription=line, actor=advisor
        )
    client = client_for(get_user_model().objects.get(pk=advisor.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of orders
    # joined with customer, line, product, new owner and creator.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-order-list"))

    assert response.json()["count"] == count
