"""Password reset through a one-time SMS code: sent to the outbox, single use, expiring,
limited in tries and in how often it is asked for, and silent about which numbers exist."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import OutboundSms
from portal.selfservice.error_codes import SelfServiceErrorCode
from portal.selfservice.models import PasswordResetRequest
from portal.selfservice.services import SelfServiceError, request_password_reset, reset_password
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory

NEW_PASSWORD = "Lantern-Harbour-2026"
EN = {"accept-language": "en"}


@pytest.fixture
def customer(customer_user):
    customer = CustomerFactory(user=customer_user, contact_phone="13911112222")
    MobileLineFactory(customer=customer, msisdn="18900000077")
    return customer


def code_in_outbox(msisdn="18900000077") -> str:
    sms = OutboundSms.objects.filter(msisdn=msisdn).latest("pk")
    return re.search(r"\d{6}", sms.body).group()


def ask(client, phone="18900000077", **extra):
    with texts_handed_over():
        return client.post(reverse("password-reset"), {"phone": phone}, **extra)


def request_reset(msisdn: str, **extra):
    with texts_handed_over():
        return request_password_reset(msisdn, **extra)


def confirm(client, code, password=NEW_PASSWORD, phone="18900000077", **extra):
    return client.post(
        reverse("password-reset-confirm"),
        {"phone": phone, "code": code, "new_password1": password, "new_password2": password},
        **extra,
    )


def test_the_whole_reset_journey_ends_with_a_sign_in_by_the_new_password(
    client, customer_user, customer
):
    asked = ask(client, "189 0000 0077")
    form_page = client.get(asked.url)
    changed = confirm(client, code_in_outbox())
    signed_in = client.post(reverse("login"), {"username": "18900000077", "password": NEW_PASSWORD})

    assert asked.status_code == 302
    assert asked.url == reverse("password-reset-confirm")
    assert form_page.context["form"].initial == {"phone": "18900000077"}
    assert changed.status_code == 302
    assert changed.url == reverse("login")
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(customer_user.pk)


def test_the_outbox_keeps_the_code_hidden_and_the_database_only_its_hash(customer):
    request_reset("18900000077")

    sms = OutboundSms.objects.get()
    record = PasswordResetRequest.objects.get()
    assert sms.sensitive is True
    assert "******" not in sms.body  # the outbox backend is the phone: it shows the real text
    assert code_in_outbox() not in record.code_hash
    assert record.phone_digest != "18900000077"


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, customer):
    known = ask(client, "18900000077")
    unknown = ask(client, "13700000000")

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert OutboundSms.objects.filter(msisdn="13700000000").count() == 0
    assert PasswordResetRequest.objects.filter(user__isnull=True).count() == 1


def test_a_wrong_code_is_refused_on_the_code_field_and_counted(client, customer):
    request_reset("18900000077")
    right = code_in_outbox()
    wrong = "000000" if right != "000000" else "111111"

    response = confirm(client, wrong, headers=EN)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "code": ["The code is wrong or no longer valid. Ask for a new one."]
    }
    assert PasswordResetRequest.objects.get().failed_attempts == 1


def test_after_five_wrong_codes_even_the_right_one_is_refused(customer, settings):
    request_reset("18900000077")
    right = code_in_outbox()
    wrong = "000000" if right != "000000" else "111111"
    for _try in range(settings.SELFSERVICE_RESET_MAX_ATTEMPTS):
        with pytest.raises(SelfServiceError):
            reset_password("18900000077", wrong, NEW_PASSWORD)

    with pytest.raises(SelfServiceError) as refused:
        reset_password("18900000077", right, NEW_PASSWORD)

    assert refused.value.code == SelfServiceErrorCode.RESET_CODE_INVALID


def test_an_expired_code_is_refused(customer, customer_user):
    request_reset("18900000077")
    PasswordResetRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    with pytest.raises(SelfServiceError) as refused:
        reset_password("18900000077", code_in_outbox(), NEW_PASSWORD)

    assert refused.value.field == "code"
    customer_user.refresh_from_db()
    assert customer_user.check_password(NEW_PASSWORD) is False


def test_a_used_code_cannot_reset_twice(customer):
    request_reset("18900000077")
    code = code_in_outbox()
    reset_password("18900000077", code, NEW_PASSWORD)

    with pytest.raises(SelfServiceError):
        reset_password("18900000077", code, "Another-Harbour-2027")


def test_a_newer_code_replaces_the_older_one(customer, settings):
    settings.SELFSERVICE_RESET_RESEND_SECONDS = 0
    request_reset("18900000077")
    first = code_in_outbox()
    request_reset("18900000077")
    second = code_in_outbox()

    if first != second:
        with pytest.raises(SelfServiceError):
            reset_password("18900000077", first, NEW_PASSWORD)
    assert reset_password("18900000077", second, NEW_PASSWORD).check_password(NEW_PASSWORD)


def test_a_weak_new_password_is_refused_by_djangos_validators_and_the_code_stays_valid(
    client, customer, customer_user
):
    request_reset("18900000077")
    code = code_in_outbox()

    weak = confirm(client, code, password="12345678", headers=EN)
    strong = confirm(client, code)

    errors = weak.context["form"].errors["new_password1"]
    assert weak.status_code == 400
    assert "This password is too common." in errors
    assert "This password is entirely numeric." in errors
    assert strong.status_code == 302


def test_the_two_new_passwords_must_match(client, customer):
    response = client.post(
        reverse("password-reset-confirm"),
        {
            "phone": "18900000077",
            "code": "123456",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"new_password2": ["The two passwords differ."]}


def test_codes_are_rate_limited_per_number_unknown_numbers_alike(client, customer, settings):
    settings.SELFSERVICE_RESET_RESEND_SECONDS = 0
    for phone in ("18900000077", "13700000000"):
        for _request in range(settings.SELFSERVICE_RESET_MAX_PER_NUMBER_HOUR):
            assert ask(client, phone).status_code == 302

        refused = ask(client, phone, headers=EN)

        assert refused.status_code == 400
        assert refused.context["form"].errors == {
            "phone": ["Too many requests for a code. Wait a while before asking again."]
        }
    assert OutboundSms.objects.count() == settings.SELFSERVICE_RESET_MAX_PER_NUMBER_HOUR


def test_a_second_code_within_the_resend_interval_is_refused(customer):
    request_reset("18900000077")

    with pytest.raises(SelfServiceError) as refused:
        request_reset("18900000077")

    assert refused.value.code == SelfServiceErrorCode.RESET_RATE_LIMITED


def test_codes_are_rate_limited_per_ip(client, customer, settings):
    settings.SELFSERVICE_RESET_MAX_PER_IP_HOUR = 2
    ask(client, "13700000001")
    ask(client, "13700000002")

    refused = ask(client, "18900000077")

    assert refused.status_code == 400
    assert OutboundSms.objects.count() == 0


def test_a_malformed_number_is_a_field_error(client, db):
    response = ask(client, "12345", headers=EN)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "phone": ["Enter a valid mainland China mobile number, e.g. 13800138000."]
    }


def test_the_code_page_without_a_request_goes_back_to_the_first_step(client):
    response = client.get(reverse("password-reset-confirm"))

    assert response.status_code == 302
    assert response.url == reverse("password-reset")


def test_a_reset_lifts_the_sign_in_lockout_of_the_number(client, customer, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "18900000077", "password": "guess"})
    request_reset("18900000077")
    reset_password("18900000077", code_in_outbox(), NEW_PASSWORD)

    response = client.post(reverse("login"), {"username": "18900000077", "password": NEW_PASSWORD})

    assert response.status_code == 302
