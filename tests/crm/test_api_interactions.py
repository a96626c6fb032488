"""The interactions and verifications API: contacts, SMS codes, recorded verifications."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import Customer, IdentityVerification, Interaction
from crm.services import record_verification, start_interaction
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, resident_id

EN = {"accept-language": "en"}
PHONE = "13912345678"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def client(specialist):
    return client_for(specialist)


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="王小明",
        document_number=resident_id(9),
        contact_phone=PHONE,
        service_password="246810",
    )


def start_call(client, **fields) -> dict:
    response = client.post(
        reverse("crm-interaction-list"),
        {"channel": "hotline", "reason": "查询余额", **fields},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def verify(client, call_id, customer, **answer):
    return client.post(
        reverse("crm-verification-list"),
        {"interaction": call_id, "customer": customer.pk, **answer},
        format="json",
        headers=EN,
    )


# --- Interactions -----------------------------------------------------------------------------


def test_starting_an_interaction_answers_201_with_its_number(client, specialist, customer):
    body = start_call(client, customer=customer.pk)

    call = Interaction.objects.get()
    assert body == {
        "id": call.pk,
        "number": call.number,
        "channel": "hotline",
        "customer": customer.pk,
        "customer_name": "王**",
        "staff": specialist.username,
        "reason": "查询余额",
        "outcome": "",
        "notes": "",
        "started_at": body["started_at"],
        "ended_at": None,
        "service_order": None,
        "service_order_number": None,
        "verifications": [],
    }
    assert call.staff == specialist
    assert call.number.startswith("IX")


def test_an_unidentified_caller_starts_an_interaction_without_a_customer(client):
    body = start_call(client)

    assert (body["customer"], body["customer_name"]) == (None, None)


def test_a_blank_reason_is_refused_on_reason(client):
    response = client.post(
        reverse("crm-interaction-list"),
        {"channel": "hotline", "reason": ""},
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [{"code": "blank", "detail": "This field may not be blank.", "attr": "reason"}],
    }


def test_ending_an_interaction_records_the_outcome(client, customer):
    call = start_call(client, customer=customer.pk)

    response = client.post(
        reverse("crm-interaction-end", args=[call["id"]]),
        {"outcome": "resolved", "notes": "已告知余额"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["outcome"], body["notes"]) == ("resolved", "已告知余额")
    assert body["ended_at"] is not None
    assert Interaction.objects.get().is_open is False


def test_ending_an_interaction_twice_is_refused(client):
    call = start_call(client)
    end = reverse("crm-interaction-end", args=[call["id"]])
    client.post(end, {"outcome": "resolved"}, format="json")

    response = client.post(end, {"outcome": "resolved"}, format="json", headers=EN)

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "interaction_closed",
                "detail": "This interaction has ended.",
                "attr": None,
            }
        ],
    }


def test_only_the_staff_member_handling_it_may_end_an_interaction(client, make_user, customer):
    call = start_call(client, customer=customer.pk)
    colleague = client_for(make_user(Role.SERVICE_SPECIALIST))

    response = colleague.post(
        reverse("crm-interaction-end", args=[call["id"]]),
        {"outcome": "resolved"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "code": "not_your_interaction",
            "detail": "Only the staff member handling it may do this.",
            "attr": None,
        }
    ]


def test_interactions_filter_by_open_channel_staff_and_customer(
    client, specialist, make_user, customer
):
    open_call = start_call(client, customer=customer.pk)["id"]
    ended = start_call(client, channel="online_chat")["id"]
    client.post(reverse("crm-interaction-end", args=[ended]), {"outcome": "abandoned"})
    colleague = make_user(Role.SERVICE_SPECIALIST)
    theirs = start_interaction(channel="email", actor=colleague, reason="咨询", customer=customer)
    url = reverse("crm-interaction-list")

    def ids(**params):
        return [row["id"] for row in client.get(url, params).json()["results"]]

    assert ids(open="true") == [theirs.pk, open_call]
    assert ids(open="false") == [ended]
    assert ids(channel="online_chat") == [ended]
    assert ids(staff=colleague.pk) == [theirs.pk]
    assert ids(customer=customer.pk) == [theirs.pk, open_call]


# --- SMS codes and verifications --------------------------------------------------------------


def test_sending_a_code_answers_where_it_went_but_never_the_code(client, customer):
    call = start_call(client, customer=customer.pk)

    with texts_handed_over():
        response = client.post(
            reverse("crm-interaction-send-code", args=[call["id"]]),
            {"customer": customer.pk},
            format="json",
        )

    sms = OutboundSms.objects.get()
    code = re.search(r"\d{6}", sms.body).group()
    body = response.json()
    assert response.status_code == 200
    assert body == {
        "customer": customer.pk,
        "sent_to": "139****5678",
        "expires_at": body["expires_at"],
    }
    assert code not in response.content.decode()
    assert PHONE not in response.content.decode()
    assert sms.msisdn == PHONE


def test_the_texted_code_passes_sms_verification(client, customer):
    call = start_call(client, customer=customer.pk)
    with texts_handed_over():
        client.post(
            reverse("crm-interaction-send-code", args=[call["id"]]),
            {"customer": customer.pk},
            format="json",
        )
    code = re.search(r"\d{6}", OutboundSms.objects.get().body).group()

    response = verify(client, call["id"], customer, method="sms_code", sms_code=code)

    assert response.status_code == 201
    assert response.json()["result"] == "passed"


def test_sms_verification_without_a_code_sent_is_refused(client, customer):
    call = start_call(client, customer=customer.pk)

    response = verify(client, call["id"], customer, method="sms_code", sms_code="123456")

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "code": "no_sms_code",
            "detail": "Send a code first; the last one expired or was used.",
            "attr": None,
        }
    ]


def test_a_passing_verification_answers_201_without_echoing_the_answer(
    client, specialist, customer
):
    call = start_call(client, customer=customer.pk)

    response = verify(
        client, call["id"], customer, method="service_password", service_password="246810"
    )

    verification = IdentityVerification.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": verification.pk,
        "interaction": call["id"],
        "interaction_number": call["number"],
        "customer": customer.pk,
        "method": "service_password",
        "result": "passed",
        "performed_by": specialist.username,
        "created_at": response.json()["created_at"],
    }
    assert "246810" not in response.content.decode()


def test_id_and_name_verification_records_a_failure_as_201_failed(client, customer):
    call = start_call(client, customer=customer.pk)

    response = verify(
        client, call["id"], customer, method="id_and_name", id_number=resident_id(9), name="王大明"
    )

    assert response.status_code == 201
    assert response.json()["result"] == "failed"
    assert "王大明" not in response.content.decode()
    assert resident_id(9) not in response.content.decode()


def test_repeated_failures_lock_verification_with_409(client, customer, settings):
    call = start_call(client, customer=customer.pk)
    results = [
        verify(
            client, call["id"], customer, method="service_password", service_password="000000"
        ).json()["result"]
        for _ in range(settings.CRM_VERIFICATION_MAX_FAILURES)
    ]

    response = verify(
        client, call["id"], customer, method="service_password", service_password="246810"
    )

    until = Customer.objects.get(pk=customer.pk).verification_locked_until
    assert results == ["failed"] * settings.CRM_VERIFICATION_MAX_FAILURES
    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "verification_locked",
                "detail": "Too many failed verifications: verification is locked until "
                f"{timezone.localtime(until):%H:%M}.",
                "attr": None,
            }
        ],
    }
    assert IdentityVerification.objects.count() == settings.CRM_VERIFICATION_MAX_FAILURES


def test_a_verification_needs_a_known_method(client, customer):
    call = start_call(client, customer=customer.pk)

    response = verify(client, call["id"], customer, method="fingerprint")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid_choice",
            "detail": '"fingerprint" is not a valid choice.',
            "attr": "method",
        }
    ]


def test_interaction_detail_lists_its_verifications(client, specialist, customer):
    call = start_call(client, customer=customer.pk)
    verify(client, call["id"], customer, method="service_password", service_password="246810")

    body = client.get(reverse("crm-interaction-detail", args=[call["id"]])).json()

    verification = IdentityVerification.objects.get()
    assert body["verifications"] == [
        {
            "id": verification.pk,
            "customer": customer.pk,
            "method": "service_password",
            "result": "passed",
            "performed_by": specialist.username,
            "created_at": body["verifications"][0]["created_at"],
        }
    ]


def test_verifications_filter_by_interaction_and_result(client, specialist, customer):
    first = start_call(client, customer=customer.pk)["id"]
    verify(client, first, customer, method="service_password", service_password="000000")
    second = start_call(client, customer=customer.pk)["id"]
    verify(client, second, customer, method="service_password", service_password="246810")
    url = reverse("crm-verification-list")

    in_first = client.get(url, {"interaction": first}).json()["results"]
    passed = client.get(url, {"result": "passed"}).json()["results"]

    assert [(row["interaction"], row["result"]) for row in in_first] == [(first, "failed")]
    assert [(row["interaction"], row["result"]) for row in passed] == [(second, "passed")]


# --- Permissions ------------------------------------------------------------------------------


def test_a_customer_login_cannot_read_interactions_or_verifications(personas, customer):
    me = client_for(personas[Role.CUSTOMER])

    assert me.get(reverse("crm-interaction-list")).status_code == 403
    assert me.get(reverse("crm-verification-list")).status_code == 403
    assert (
        me.post(
            reverse("crm-interaction-list"), {"channel": "hotline", "reason": "x"}, format="json"
        ).status_code
        == 403
    )


def test_a_colleagues_contact_with_an_unidentified_caller_is_404(client, make_user):
    # Staff see every contact of the customers they may open, and their own; a contact that
    # names no customer belongs to its staff member alone.
    colleague = make_user(Role.SERVICE_SPECIALIST)
    call = start_interaction(channel="hotline", actor=colleague, reason="咨询")

    detail = client.get(reverse("crm-interaction-detail", args=[call.pk]))
    end = client.post(
        reverse("crm-interaction-end", args=[call.pk]), {"outcome": "resolved"}, format="json"
    )

    assert detail.status_code == 404
    assert end.status_code == 404
    assert client.get(reverse("crm-interaction-list")).json()["count"] == 0


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 10])
def test_interaction_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for _ in range(count):
        customer = CustomerFactory(service_password="246810")
        call = start_interaction(
            channel="hotline", actor=specialist, reason="查询", customer=customer
        )
        record_verification(
            call, customer, method="service_password", actor=specialist, service_password="246810"
        )
    client = client_for(get_user_model().objects.get(pk=specialist.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of
    # interactions joined with customer, staff and order, 4 their verifications with who did
    # them.
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-interaction-list"))

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 10])
def test_verification_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for _ in range(count):
        customer = CustomerFactory(service_password="246810")
        call = start_interaction(
            channel="hotline", actor=specialist, reason="查询", customer=customer
        )
        record_verification(
            call, customer, method="service_password", actor=specialist, service_password="000000"
        )
    client = client_for(get_user_model().objects.get(pk=specialist.pk))

    # 1 the user's permissions (own and by group), 2 COUNT for the pager, 3 the page of
    # verifications (scoped by an interaction subquery) joined with interaction and performer.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-verification-list"))

    assert response.json()["count"] == count
