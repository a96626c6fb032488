"""The self-service API: preferences and the PII access list of the signed-in customer, and the
password reset by SMS code; errors in the one API shape (400 on the field)."""

import re

import pytest
from django.urls import reverse

from crm.choices import PiiField
from crm.models import PiiAccessLog
from portal.models import OutboundSms
from portal.roles import Role
from portal.selfservice.models import ConsentChange
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory


@pytest.fixture
def customer(customer_user):
    customer = CustomerFactory(user=customer_user, email="")
    MobileLineFactory(customer=customer, msisdn="18900000077")
    return customer


def test_a_customer_reads_and_changes_their_preferences(api_client, customer_user, customer):
    api_client.force_authenticate(customer_user)

    before = api_client.get(reverse("api-my-preferences"))
    after = api_client.put(
        reverse("api-my-preferences"),
        {"marketing_sms": True, "notices_by_sms": True, "messages_by_email": False},
        format="json",
    )

    assert before.json() == {
        "marketing_sms": False,
        "notices_by_sms": True,
        "messages_by_email": False,
    }
    assert after.json()["marketing_sms"] is True
    assert ConsentChange.objects.count() == 2  # marketing on; e-mail off (the default was on)


def test_e_mail_copies_without_an_address_are_a_400_on_the_field(
    api_client, customer_user, customer
):
    api_client.force_authenticate(customer_user)

    response = api_client.put(
        reverse("api-my-preferences"),
        {"marketing_sms": False, "notices_by_sms": True, "messages_by_email": True},
        format="json",
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "no_email_on_file",
            "detail": "We have no e-mail address for you. Ask for a data change to add one.",
            "attr": "messages_by_email",
        }
    ]


def test_staff_have_no_preferences_to_set(api_client, personas):
    api_client.force_authenticate(personas[Role.SERVICE_SPECIALIST])

    assert api_client.get(reverse("api-my-preferences")).status_code == 403


@pytest.mark.parametrize("looks", [1, 4])
def test_the_pii_access_list_names_roles_in_a_constant_number_of_queries(
    api_client, customer_user, customer, personas, django_assert_num_queries, looks
):
    for n in range(looks):
        PiiAccessLog.objects.create(
            actor=personas[Role.SUPERVISOR],
            customer=customer,
            field=PiiField.CONTACT_PHONE,
            reason=f"回访{n}",
        )
    api_client.force_authenticate(customer_user)
    # 1 permissions, 2 the customer, 3 count, 4 the page of looks with each actor's role.
    with django_assert_num_queries(4):
        response = api_client.get(reverse("api-my-pii-access"))

    rows = response.json()["results"]
    assert len(rows) == looks
    assert {(row["role"], row["field"]) for row in rows} == {("supervisor", "contact_phone")}


def test_the_reset_api_sends_a_code_and_sets_the_password(api_client, customer, customer_user):
    with texts_handed_over():
        asked = api_client.post(reverse("api-password-reset"), {"phone": "18900000077"})
    code = re.search(r"\d{6}", OutboundSms.objects.get().body).group()
    done = api_client.post(
        reverse("api-password-reset-confirm"),
        {"phone": "18900000077", "code": code, "new_password": "Lantern-Harbour-2026"},
    )

    assert asked.status_code == 202
    assert done.status_code == 204
    customer_user.refresh_from_db()
    assert customer_user.check_password("Lantern-Harbour-2026")


def test_the_reset_api_refuses_a_wrong_code_on_its_field(api_client, customer):
    with texts_handed_over():
        api_client.post(reverse("api-password-reset"), {"phone": "18900000077"})
    code = re.search(r"\d{6}", OutboundSms.objects.get().body).group()

    response = api_client.post(
        reverse("api-password-reset-confirm"),
        {
            "phone": "18900000077",
            "code": "000000" if code != "000000" else "111111",
            "new_password": "Lantern-Harbour-2026",
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "code"
    assert response.json()["errors"][0]["code"] == "reset_code_invalid"


def test_an_api_token_is_obtained_with_a_mobile_number(api_client, customer):
    response = api_client.post(
        reverse("api-token"), {"username": "18900000077", "password": "correct-horse-battery"}
    )

    assert response.status_code == 200
    assert len(response.json()["token"]) == 40
