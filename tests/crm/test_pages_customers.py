"""The customer pages: search, the masked customer page, the interaction panel with caller
verification, revealing a full value, and the gated account detail."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from crm.choices import (
    Channel,
    InteractionOutcome,
    OrderKind,
    PiiField,
    VerificationMethod,
    VerificationResult,
)
from crm.models import (
    BillingAccount,
    Customer,
    IdentityVerification,
    Interaction,
    PiiAccessLog,
    Product,
    SmsVerificationCode,
    SubscriptionProduct,
)
from crm.services import create_service_order, start_interaction
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number, resident_id

EN = {"accept-language": "en"}
VERIFICATION_STATE = re.compile(r'data-verification="([a-z_]+)"')


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="王小明",
        document_number=resident_id(7),
        contact_phone=mobile_number(70_000_007),
        service_password="246810",
    )


@pytest.fixture
def line(customer):
    return MobileLineFactory(customer=customer, msisdn=mobile_number(80_000_008))


def page_url(customer) -> str:
    return reverse("crm:customer-detail", args=[customer.pk])


def action_url(name: str, customer) -> str:
    return reverse(f"crm:{name}", args=[customer.pk])


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def verification_state(html: str) -> str:
    return VERIFICATION_STATE.search(html).group(1)


def full_identity(customer, line) -> set[str]:
    return {customer.document_number, customer.contact_phone, line.msisdn, customer.name}


def shown(html: str, values) -> set[str]:
    return {value for value in values if value in html}


def start_call(client, customer):
    return client.post(
        action_url("interaction-start", customer),
        {"channel": Channel.HOTLINE, "reason": "查询余额"},
        headers=EN,
        follow=True,
    )


def verify_by_id(client, customer, *, id_number, name):
    return client.post(
        action_url("interaction-verify", customer),
        {"method": VerificationMethod.ID_AND_NAME, "id_number": id_number, "name": name},
        headers=EN,
        follow=True,
    )


# --- Search ---------------------------------------------------------------------------------


def test_search_finds_by_phone_line_customer_number_and_id_and_shows_identity_masked(
    client, specialist, customer, line
):
    client.force_login(specialist)
    queries = [
        customer.contact_phone,
        line.msisdn,
        customer.formatted_customer_number,
        customer.document_number,
    ]

    pages = [
        html_of(client.post(reverse("crm:customer-search"), {"q": q}, headers=EN)) for q in queries
    ]

    assert [re.findall(r'data-customer="(\d+)"', html) for html in pages] == [
        [str(customer.pk)]
    ] * 4
    assert [shown(html, full_identity(customer, line)) for html in pages] == [set()] * 4
    assert [
        shown(
            html,
            {customer.masked_name, customer.masked_document_number, customer.masked_contact_phone},
        )
        for html in pages
    ] == [
        {customer.masked_name, customer.masked_document_number, customer.masked_contact_phone}
    ] * 4


def test_search_without_a_match_says_so(client, specialist, customer):
    client.force_login(specialist)

    response = client.post(reverse("crm:customer-search"), {"q": "13300000000"}, headers=EN)

    assert response.status_code == 200
    assert response.context["results"] == []
    assert "No customer matches. Check the number and try again." in html_of(response)
    assert "Results for 133****0000" in html_of(response)


# --- The customer page ----------------------------------------------------------------------


def test_customer_page_shows_lines_accounts_orders_and_interactions_masked(
    client, specialist, sales_order, customer, line
):
    call = start_interaction(
        channel=Channel.HOTLINE, actor=specialist, reason="咨询套餐", customer=customer
    )
    client.force_login(specialist)

    response = client.get(page_url(customer), headers=EN)
    html = html_of(response)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert shown(html, full_identity(customer, line)) == set()
    assert shown(
        html,
        {
            customer.formatted_customer_number,
            customer.masked_name,
            customer.masked_document_number,
            customer.masked_contact_phone,
            line.service_label,
            "大众卡",
            customer.billing_accounts.get().account_number,
            f'href="{reverse("crm:order-detail", args=[sales_order.pk])}"',
            call.number,
            f'href="{reverse("crm:order-new")}?customer={customer.customer_number}"',
        },
    ) == {
        customer.formatted_customer_number,
        customer.masked_name,
        customer.masked_document_number,
        customer.masked_contact_phone,
        line.service_label,
        "大众卡",
        customer.billing_accounts.get().account_number,
        f'href="{reverse("crm:order-detail", args=[sales_order.pk])}"',
        call.number,
        f'href="{reverse("crm:order-new")}?customer={customer.customer_number}"',
    }


@pytest.fixture
def sales_order(personas, customer, line):
    return create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=personas[Role.SALES_ADVISOR],
        data_changes={"contact_phone": mobile_number(90_000_009), "name": "王大明"},
    )


def test_identity_stays_masked_on_search_customer_and_order_pages(
    client, specialist, supervisor, customer, line, sales_order, make_user
):
    new_line_order = create_service_order(
        kind=OrderKind.OPEN_NUMBER,
        customer=customer,
        actor=specialist,
        product=Product.objects.get(code="DAZHONG"),
        service_number=mobile_number(60_000_006),
        iccid="89860000000000000066",
    )
    secrets = full_identity(customer, line) | {
        mobile_number(90_000_009),
        "王大明",
        mobile_number(60_000_006),
    }
    pages = {}
    for user in (specialist, supervisor):
        client.force_login(user)
        pages[(user.username, "search")] = client.post(
            reverse("crm:customer-search"), {"q": customer.document_number}
        )
        pages[(user.username, "customer")] = client.get(page_url(customer))
        pages[(user.username, "orders")] = client.get(reverse("crm:order-list"))
        for order in (sales_order, new_line_order):
            pages[(user.username, order.number)] = client.get(
                reverse("crm:order-detail", args=[order.pk])
            )

    assert {key: response.status_code for key, response in pages.items()} == {
        key: 200 for key in pages
    }
    assert {key: shown(html_of(response), secrets) for key, response in pages.items()} == {
        key: set() for key in pages
    }
    assert shown(
        html_of(pages[(specialist.username, sales_order.number)]), {"139****0009", "王**"}
    ) == {"139****0009", "王**"}


# --- Revealing a full value -----------------------------------------------------------------


def test_reveal_shows_the_full_value_in_that_response_only_and_logs_it(
    client, supervisor, customer, line
):
    client.force_login(supervisor)

    revealed = client.post(
        action_url("reveal", customer),
        {"field": PiiField.DOCUMENT_NUMBER, "reason": "客户要求核对证件号"},
        headers=EN,
    )
    later = client.get(page_url(customer), headers=EN)

    assert revealed.status_code == 200
    assert customer.document_number in html_of(revealed)
    assert customer.document_number not in html_of(later)
    assert list(
        PiiAccessLog.objects.filter(field=PiiField.DOCUMENT_NUMBER).values_list(
            "actor__username", "customer_id", "reason"
        )
    ) == [(supervisor.username, customer.pk, "客户要求核对证件号")]


def test_reveal_is_refused_with_a_message_until_the_specialist_verifies_the_caller(
    client, specialist, customer, line
):
    client.force_login(specialist)
    start_call(client, customer)

    refused = client.post(
        action_url("reveal", customer),
        {"field": PiiField.CONTACT_PHONE, "reason": "回拨"},
        headers=EN,
    )
    verify_by_id(client, customer, id_number=customer.document_number, name="王小明")
    allowed = client.post(
        action_url("reveal", customer),
        {"field": PiiField.CONTACT_PHONE, "reason": "回拨"},
        headers=EN,
    )

    assert refused.status_code == 200
    assert refused.context["reveal_form"].errors == {
        "__all__": ["Verify the caller in your current interaction before revealing this."]
    }
    assert "Verify the caller in your current interaction before revealing this." in html_of(
        refused
    )
    assert customer.contact_phone not in html_of(refused)
    assert customer.contact_phone in html_of(allowed)
    assert list(PiiAccessLog.objects.values_list("field", "interaction__staff")) == [
        (PiiField.CONTACT_PHONE, specialist.pk)
    ]


def test_reveal_without_a_reason_is_a_form_error(client, supervisor, customer):
    client.force_login(supervisor)

    response = client.post(
        action_url("reveal", customer), {"field": PiiField.DOCUMENT_NUMBER}, headers=EN
    )

    assert response.status_code == 200
    assert response.context["reveal_form"].errors == {"reason": ["This field is required."]}
    assert PiiAccessLog.objects.filter(field=PiiField.DOCUMENT_NUMBER).count() == 0


# --- The interaction panel and caller verification ------------------------------------------


def test_verification_flow_wrong_then_right_answer_opens_the_account_detail(
    client, specialist, customer, line
):
    client.force_login(specialist)

    started = start_call(client, customer)
    before = html_of(client.get(page_url(customer), headers=EN))
    wrong = verify_by_id(client, customer, id_number=customer.document_number, name="王小红")
    customer.refresh_from_db()
    failures_after_wrong = customer.failed_verifications
    right = verify_by_id(client, customer, id_number=customer.document_number, name="王小明")
    customer.refresh_from_db()

    call = Interaction.objects.get()
    assert started.redirect_chain == [(page_url(customer), 302)]
    assert messages_of(started) == [
        f"Interaction {call.number} started: tell the customer this number."
    ]
    assert (call.customer, call.staff, call.channel) == (customer, specialist, Channel.HOTLINE)
    assert (verification_state(before), 'id="account-detail"' in before) == (
        "not_verified",
        False,
    )
    assert messages_of(wrong) == [
        f"Verification failed (1 of {settings.CRM_VERIFICATION_MAX_FAILURES} attempts)."
    ]
    assert failures_after_wrong == 1
    assert 'id="account-detail"' not in html_of(wrong)
    assert messages_of(right) == ["Verification passed."]
    assert verification_state(html_of(right)) == "verified"
    assert customer.failed_verifications == 0
    assert list(
        IdentityVerification.objects.order_by("created_at", "pk").values_list(
            "interaction", "method", "result"
        )
    ) == [
        (call.pk, VerificationMethod.ID_AND_NAME, VerificationResult.FAILED),
        (call.pk, VerificationMethod.ID_AND_NAME, VerificationResult.PASSED),
    ]
    assert 'id="account-detail"' in html_of(right)
    # A verified specialist's look is not logged: only unverified looks are.
    assert PiiAccessLog.objects.count() == 0


def test_account_detail_shows_accounts_and_products_with_effective_dates(
    client, specialist, customer, line
):
    second_account = BillingAccount.objects.create(account_number="B0000000001", customer=customer)
    SubscriptionProduct.objects.create(
        subscription=line,
        product=Product.objects.get(code="CALLER_ID"),
        effective_from="2026-02-01",
        effective_to="2026-06-30",
    )
    client.force_login(specialist)
    start_call(client, customer)

    html = html_of(
        verify_by_id(client, customer, id_number=customer.document_number, name="王小明")
    )
    detail = html[html.index('id="account-detail"') :]

    assert shown(
        detail,
        {
            line.billing_account.account_number,
            second_account.account_number,
            "来电显示",
            "2026-02-01",
            "2026-06-30",
            "2026-01-15",
            "No lines on this account.",
        },
    ) == {
        line.billing_account.account_number,
        second_account.account_number,
        "来电显示",
        "2026-02-01",
        "2026-06-30",
        "2026-01-15",
        "No lines on this account.",
    }


def test_too_many_failures_lock_verification_and_say_so(client, specialist, customer, line):
    client.force_login(specialist)
    start_call(client, customer)
    limit = settings.CRM_VERIFICATION_MAX_FAILURES

    attempts = [
        verify_by_id(client, customer, id_number=customer.document_number, name="王小红")
        for _ in range(limit)
    ]
    refused = client.post(
        action_url("interaction-verify", customer),
        {
            "method": VerificationMethod.ID_AND_NAME,
            "id_number": customer.document_number,
            "name": "王小明",
        },
        headers=EN,
    )
    customer.refresh_from_db()
    until = timezone.localtime(customer.verification_locked_until).strftime("%H:%M")

    assert [messages_of(response) for response in attempts] == [
        *([f"Verification failed ({n} of {limit} attempts)."] for n in range(1, limit)),
        [f"Verification failed. Too many failures: verification is locked until {until}."],
    ]
    assert verification_state(html_of(attempts[-1])) == "locked"
    assert f"Verification locked until {until}" in html_of(attempts[-1])
    assert refused.status_code == 200
    assert refused.context["verification_form"].errors == {
        "__all__": [f"Too many failed verifications: verification is locked until {until}."]
    }
    assert IdentityVerification.objects.filter(result=VerificationResult.PASSED).count() == 0
    assert 'id="account-detail"' not in html_of(refused)


def test_verification_form_asks_for_the_inputs_of_its_method(client, specialist, customer):
    client.force_login(specialist)
    start_call(client, customer)

    response = client.post(
        action_url("interaction-verify", customer),
        {"method": VerificationMethod.ID_AND_NAME, "id_number": customer.document_number},
        headers=EN,
    )

    assert response.status_code == 200
    assert response.context["verification_form"].errors == {"name": ["Needed for this method."]}
    # The typed ID number is not echoed back into the page.
    assert customer.document_number not in html_of(response)
    assert IdentityVerification.objects.count() == 0


def test_sms_code_is_sent_to_the_line_on_file_and_verifies_the_caller(
    client, specialist, customer, line
):
    client.force_login(specialist)
    start_call(client, customer)

    with texts_handed_over():
        sent = client.post(action_url("interaction-send-code", customer), headers=EN, follow=True)
    code = re.search(r"\d{6}", OutboundSms.objects.get().body).group(0)
    verified = client.post(
        action_url("interaction-verify", customer),
        {"method": VerificationMethod.SMS_CODE, "sms_code": code},
        headers=EN,
        follow=True,
    )

    assert messages_of(sent) == [
        f"A code was sent to {customer.masked_contact_phone}. Ask the caller to read it out."
    ]
    assert OutboundSms.objects.get().msisdn == customer.contact_phone
    assert SmsVerificationCode.objects.get().used_at is not None
    assert messages_of(verified) == ["Verification passed."]


def test_verifying_without_an_open_interaction_asks_to_start_one(client, specialist, customer):
    client.force_login(specialist)

    response = verify_by_id(client, customer, id_number=customer.document_number, name="王小明")

    assert messages_of(response) == ["Start an interaction with this customer first."]
    assert IdentityVerification.objects.count() == 0


def test_ending_the_interaction_closes_the_gate_again(client, specialist, customer, line):
    client.force_login(specialist)
    start_call(client, customer)
    verify_by_id(client, customer, id_number=customer.document_number, name="王小明")

    ended = client.post(
        action_url("interaction-end", customer),
        {"outcome": InteractionOutcome.INFORMATION_GIVEN, "notes": "已告知余额"},
        headers=EN,
        follow=True,
    )

    call = Interaction.objects.get()
    assert messages_of(ended) == [f"Interaction {call.number} ended."]
    assert (call.outcome, call.notes, call.ended_at is not None) == (
        InteractionOutcome.INFORMATION_GIVEN,
        "已告知余额",
        True,
    )
    assert verification_state(html_of(ended)) == "not_verified"
    assert 'id="account-detail"' not in html_of(ended)
    assert 'id="start-form"' in html_of(ended)


def test_starting_an_interaction_without_a_reason_is_a_form_error(client, specialist, customer):
    client.force_login(specialist)

    response = client.post(
        action_url("interaction-start", customer), {"channel": Channel.HOTLINE}, headers=EN
    )

    assert response.status_code == 200
    assert response.context["start_form"].errors == {"reason": ["This field is required."]}
    assert Interaction.objects.count() == 0


# --- The supervisor's unverified look -------------------------------------------------------


def test_supervisor_sees_account_detail_unverified_and_each_view_is_logged_once(
    client, supervisor, customer, line
):
    client.force_login(supervisor)

    first = client.get(page_url(customer), headers=EN)
    logged_after_first = PiiAccessLog.objects.count()
    second = client.get(page_url(customer), headers=EN)

    assert verification_state(html_of(first)) == "not_verified"
    assert 'id="account-detail"' in html_of(first)
    assert 'id="account-detail"' in html_of(second)
    assert logged_after_first == 1
    assert list(PiiAccessLog.objects.values_list("actor", "customer", "field")) == [
        (supervisor.pk, customer.pk, PiiField.ACCOUNT_DETAIL),
        (supervisor.pk, customer.pk, PiiField.ACCOUNT_DETAIL),
    ]


def test_unverified_specialist_sees_no_account_detail_and_nothing_is_logged(
    client, specialist, customer, line
):
    client.force_login(specialist)

    html = html_of(client.get(page_url(customer), headers=EN))

    assert 'id="account-detail"' not in html
    assert "account-detail-hidden" in html
    assert PiiAccessLog.objects.count() == 0


# --- Query counts ---------------------------------------------------------------------------


def many_customers_sharing_a_phone(phone: str, count: int) -> list[Customer]:
    customers = [CustomerFactory(contact_phone=phone) for _ in range(count)]
    for customer in customers:
        MobileLineFactory(customer=customer)
        MobileLineFactory(customer=customer)
    return customers


@pytest.mark.parametrize("matches", [1, 6])
def test_search_results_page_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries, matches
):
    phone = mobile_number(77_000_077)
    many_customers_sharing_a_phone(phone, matches)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (own and by group), 4 the matching customers.
    with django_assert_num_queries(4):
        response = client.post(reverse("crm:customer-search"), {"q": phone})

    assert len(response.context["results"]) == matches


def busy_customer(customer, staff, *, lines: int, orders: int, calls: int) -> None:
    BillingAccount.objects.create(account_number=f"B{customer.customer_number}", customer=customer)
    made = [MobileLineFactory(customer=customer) for _ in range(lines)]
    for line in made:
        SubscriptionProduct.objects.create(
            subscription=line,
            product=Product.objects.get(code="CALLER_ID"),
            effective_from=line.activated_on,
        )
    for n in range(orders):
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=customer, subscription=made[n % lines], actor=staff
        )
    for _ in range(calls):
        start_interaction(channel=Channel.HOTLINE, actor=staff, reason="咨询", customer=customer)


@pytest.mark.parametrize("size", [1, 5])
def test_customer_page_runs_a_constant_number_of_queries_for_a_specialist(
    client, specialist, personas, customer, django_assert_num_queries, size
):
    busy_customer(customer, personas[Role.SALES_ADVISOR], lines=size, orders=size, calls=size)
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (own and by group; the roles, hence the ticket
    # scope, follow from them), 4 the customer, 5 lines, 6 their products with the product, 7
    # billing accounts, 8 recent orders, 9 recent interactions, 10 the user's open interaction with
    # the customer, 11 the account-detail gate (the verified-interaction check), 12 the customer's
    # latest tickets.
    with django_assert_num_queries(12):
        response = client.get(page_url(customer))

    assert len(response.context["lines"]) == size


@pytest.mark.parametrize("size", [1, 5])
def test_customer_page_runs_a_constant_number_of_queries_for_a_supervisor(
    client, supervisor, personas, customer, django_assert_num_queries, size
):
    busy_customer(customer, personas[Role.SALES_ADVISOR], lines=size, orders=size, calls=size)
    client.force_login(supervisor)
    # The 12 queries of the specialist's page (the session first), the access-log row (a
    # supervisor sees the account detail without a verified call, and that reading is logged),
    # and the account summary: accounts with balances and the arrears flag, the latest bills,
    # this month's usage.
    with django_assert_num_queries(16):
        response = client.get(page_url(customer))

    assert len(response.context["lines"]) == size
