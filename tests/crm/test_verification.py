"""Caller verification in an interaction, its lockout, and the gate it opens."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from crm.choices import (
    Channel,
    InteractionOutcome,
    PiiField,
    VerificationMethod,
    VerificationResult,
)
from crm.error_codes import CrmErrorCode
from crm.models import Customer, PiiAccessLog
from crm.permissions import account_detail_access, may_reveal_pii, may_view_account_detail
from crm.services import (
    CrmError,
    end_interaction,
    record_verification,
    reveal_customer_field,
    send_verification_code,
    start_interaction,
    verify_document_at_counter,
)
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory


@pytest.fixture
def specialist(make_user):
    return make_user(Role.SERVICE_SPECIALIST, username="agent")


@pytest.fixture
def customer(db):
    return CustomerFactory(name="王小明", service_password="246810")


@pytest.fixture
def call(specialist, customer):
    return start_interaction(
        channel="hotline", actor=specialist, reason="查询余额", customer=customer
    )


def verify(call, customer, specialist, **answer):
    return record_verification(call, customer, actor=specialist, **answer)


def test_id_and_name_must_both_match(call, customer, specialist):
    wrong_name = verify(
        call,
        customer,
        specialist,
        method=VerificationMethod.ID_AND_NAME,
        id_number=customer.document_number,
        name="王小红",
    )
    right = verify(
        call,
        customer,
        specialist,
        method=VerificationMethod.ID_AND_NAME,
        id_number=customer.document_number.lower(),
        name="王小明",
    )

    assert (wrong_name.result, right.result) == (
        VerificationResult.FAILED,
        VerificationResult.PASSED,
    )


def test_service_password_is_stored_hashed_and_checked(call, customer, specialist):
    stored = Customer.objects.get(pk=customer.pk).service_password

    wrong = verify(
        call, customer, specialist, method=VerificationMethod.SERVICE_PASSWORD, service_password="1"
    )
    right = verify(
        call,
        customer,
        specialist,
        method=VerificationMethod.SERVICE_PASSWORD,
        service_password="246810",
    )

    assert "246810" not in stored
    assert check_password("246810", stored)
    assert (wrong.result, right.result) == (VerificationResult.FAILED, VerificationResult.PASSED)


def test_sms_code_goes_to_the_line_on_file_and_works_once(call, customer, specialist):
    with texts_handed_over():
        send_verification_code(call, customer, actor=specialist)
    sms = OutboundSms.objects.get()
    code = "".join(char for char in sms.body if char.isdigit())[:6]

    passed = verify(call, customer, specialist, method=VerificationMethod.SMS_CODE, sms_code=code)
    with pytest.raises(CrmError) as reused:
        verify(call, customer, specialist, method=VerificationMethod.SMS_CODE, sms_code=code)

    assert sms.msisdn == customer.contact_phone
    assert passed.result == VerificationResult.PASSED
    assert reused.value.code == CrmErrorCode.NO_SMS_CODE


def test_an_expired_sms_code_cannot_be_used(call, customer, specialist):
    record = send_verification_code(call, customer, actor=specialist)
    type(record).objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    with pytest.raises(CrmError) as expired:
        verify(call, customer, specialist, method=VerificationMethod.SMS_CODE, sms_code="000000")

    assert expired.value.code == CrmErrorCode.NO_SMS_CODE


def test_repeated_failures_lock_verification_even_for_the_right_answer(call, customer, specialist):
    for _attempt in range(settings.CRM_VERIFICATION_MAX_FAILURES):
        verify(
            call,
            customer,
            specialist,
            method=VerificationMethod.SERVICE_PASSWORD,
            service_password="000000",
        )

    with pytest.raises(CrmError) as locked:
        verify(
            call,
            customer,
            specialist,
            method=VerificationMethod.SERVICE_PASSWORD,
            service_password="246810",
        )

    customer.refresh_from_db()
    assert locked.value.code == CrmErrorCode.VERIFICATION_LOCKED
    assert customer.verification_locked is True
    assert call.verifications.filter(result=VerificationResult.FAILED).count() == 3
    assert call.verifications.filter(result=VerificationResult.PASSED).count() == 0


def test_the_lock_lifts_after_its_time(call, customer, specialist):
    Customer.objects.filter(pk=customer.pk).update(
        verification_locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    passed = verify(
        call,
        customer,
        specialist,
        method=VerificationMethod.SERVICE_PASSWORD,
        service_password="246810",
    )

    assert passed.result == VerificationResult.PASSED


def test_a_pass_resets_the_failure_count(call, customer, specialist):
    verify(call, customer, specialist, method="service_password", service_password="000000")
    verify(call, customer, specialist, method="service_password", service_password="246810")

    customer.refresh_from_db()
    assert customer.failed_verifications == 0


def test_only_the_handling_staff_member_may_verify_in_an_interaction(call, customer, make_user):
    colleague = make_user(Role.SERVICE_SPECIALIST, username="colleague")

    with pytest.raises(CrmError) as not_yours:
        record_verification(
            call, customer, actor=colleague, method="service_password", service_password="246810"
        )

    assert not_yours.value.code == CrmErrorCode.NOT_YOUR_INTERACTION


def test_gate_opens_only_with_a_pass_in_the_specialists_open_interaction(
    call, customer, specialist, make_user
):
    colleague = make_user(Role.SERVICE_SPECIALIST, username="colleague")
    before = may_view_account_detail(specialist, customer)
    verify(call, customer, specialist, method="service_password", service_password="246810")
    during = (
        may_view_account_detail(specialist, customer),
        may_view_account_detail(colleague, customer),
    )
    end_interaction(call, outcome=InteractionOutcome.RESOLVED, actor=specialist)
    after = may_view_account_detail(specialist, customer)

    assert (before, during, after) == (False, (True, False), False)


def test_supervisor_sees_detail_without_verification_and_that_look_is_logged(customer, personas):
    supervisor = personas[Role.SUPERVISOR]

    assert may_view_account_detail(supervisor, customer) is True
    assert account_detail_access(supervisor, customer).must_log is True


def test_a_customer_sees_their_own_detail_without_logging(customer, make_user):
    login = make_user(Role.CUSTOMER, username="self")
    Customer.objects.filter(pk=customer.pk).update(user=login)
    customer.refresh_from_db()

    assert may_view_account_detail(login, customer) is True
    assert account_detail_access(login, customer).must_log is False


def test_reveal_needs_verification_a_reason_and_writes_the_access_log(call, customer, specialist):
    with pytest.raises(CrmError) as unverified:
        reveal_customer_field(customer, PiiField.DOCUMENT_NUMBER, actor=specialist, reason="核对")
    verify(call, customer, specialist, method="service_password", service_password="246810")
    with pytest.raises(CrmError) as no_reason:
        reveal_customer_field(customer, PiiField.DOCUMENT_NUMBER, actor=specialist, reason=" ")
    value = reveal_customer_field(
        customer, PiiField.CONTACT_PHONE, actor=specialist, reason="回拨", interaction=call
    )

    log = PiiAccessLog.objects.get()
    assert unverified.value.code == CrmErrorCode.REVEAL_NOT_ALLOWED
    assert no_reason.value.code == CrmErrorCode.REASON_REQUIRED
    assert value == customer.contact_phone
    assert (log.actor, log.customer, log.field, log.reason, log.interaction) == (
        specialist,
        customer,
        "contact_phone",
        "回拨",
        call,
    )


def test_roles_without_the_reveal_permission_never_reveal(customer, personas):
    for role in (Role.SALES_ADVISOR, Role.TECH_SUPPORT, Role.COMPLAINT_COORDINATOR, Role.CUSTOMER):
        assert may_reveal_pii(personas[role], customer) is False
    assert may_reveal_pii(personas[Role.SUPERVISOR], customer) is True


def test_a_counter_check_uses_the_open_contact_or_opens_a_hall_contact(customer, make_user):
    advisor = make_user(Role.SALES_ADVISOR, username="hall")

    failed = verify_document_at_counter(
        customer, actor=advisor, reason="办理业务", id_number="110101190001010000", name="王小明"
    )
    passed = verify_document_at_counter(
        customer,
        actor=advisor,
        reason="another reason",
        id_number=customer.document_number,
        name="王小明",
    )

    # One business-hall contact for both checks, and the failed one is kept.
    assert (failed.result, passed.result) == (VerificationResult.FAILED, VerificationResult.PASSED)
    assert failed.interaction_id == passed.interaction_id
    hall_contact = passed.interaction
    assert (hall_contact.channel, hall_contact.reason, hall_contact.staff) == (
        Channel.BUSINESS_HALL,
        "办理业务",
        advisor,
    )
    assert customer.verifications.count() == 2
