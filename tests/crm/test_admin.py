"""The crm admin: every model registered, identity masked on every page, writes via services."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.choices import (
    Channel,
    OrderKind,
    OrderStatus,
    PiiField,
    SubscriptionStatus,
    VerificationMethod,
)
from crm.models import BillingAccount, Customer, Product, ServiceOrder
from crm.services import (
    advance_order,
    create_service_order,
    end_interaction,
    record_pii_access,
    record_verification,
    send_verification_code,
    start_interaction,
    transition_subscription,
)
from tests.crm.factories import CustomerFactory, MobileLineFactory, resident_id

EN = {"accept-language": "en"}
DOCUMENT = resident_id(7, birth="19900101")
PHONE = "13712345678"
MSISDN = "13987654321"
NEW_MSISDN = "13911112222"


@pytest.fixture
def superuser(make_user):
    return make_user(None, username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="欧阳娜娜",
        document_number=DOCUMENT,
        contact_phone=PHONE,
        service_password="123456",
    )


@pytest.fixture
def line(customer):
    return MobileLineFactory(customer=customer, msisdn=MSISDN)


@pytest.fixture
def order(customer, superuser):
    return create_service_order(
        kind=OrderKind.OPEN_NUMBER,
        customer=customer,
        actor=superuser,
        product=Product.objects.get(code="DAZHONG"),
        service_number=NEW_MSISDN,
        iccid="89860000000000000001",
        notes=f"客户来电 {PHONE}",
    )


@pytest.fixture
def interaction(customer, make_user):
    staff = make_user(None, username="agent")
    interaction = start_interaction(
        channel=Channel.HOTLINE, actor=staff, reason="查询话费", customer=customer
    )
    record_verification(
        interaction,
        customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=staff,
        service_password="123456",
    )
    return end_interaction(
        interaction, outcome="resolved", actor=staff, notes=f"客户报了号码 {MSISDN}"
    )


def page(client, url) -> str:
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    return response.content.decode()


def assert_masked(html: str, customer: Customer) -> None:
    assert customer.masked_document_number in html
    assert customer.masked_contact_phone in html
    assert customer.masked_name in html
    assert DOCUMENT not in html
    assert PHONE not in html
    assert "欧阳娜娜" not in html
    assert customer.service_password not in html


def test_every_crm_model_has_an_admin():
    assert {
        model
        for model in apps.get_app_config("crm").get_models()
        if model not in admin.site._registry
    } == set()


def test_customer_changelist_shows_masked_identity(admin_client, customer):
    html = page(admin_client, reverse("admin:crm_customer_changelist"))

    assert customer.customer_number in html
    assert_masked(html, customer)


def test_customer_changelist_finds_a_customer_by_full_id_number(admin_client, customer):
    CustomerFactory()

    response = admin_client.get(
        reverse("admin:crm_customer_changelist"), {"q": DOCUMENT}, headers=EN
    )

    assert list(response.context["cl"].result_list) == [customer]


def test_customer_change_page_shows_masked_identity_and_lines(admin_client, customer, line):
    html = page(admin_client, reverse("admin:crm_customer_change", args=[customer.pk]))

    assert_masked(html, customer)
    assert line.service_label in html
    assert MSISDN not in html
    for raw_field in ("document_number", "contact_phone", "service_password", "name"):
        assert f'name="{raw_field}"' not in html


def test_subscription_pages_show_the_masked_number(admin_client, customer, line):
    listing = page(admin_client, reverse("admin:crm_subscription_changelist"))
    detail = page(admin_client, reverse("admin:crm_subscription_change", args=[line.pk]))

    for html in (listing, detail):
        assert "139****4321" in html
        assert MSISDN not in html
        assert DOCUMENT not in html
        assert PHONE not in html
    assert 'name="status"' not in detail
    assert "DAZHONG" in detail


def test_service_order_pages_mask_number_notes_and_customer(admin_client, customer, order):
    listing = page(admin_client, reverse("admin:crm_serviceorder_changelist"))
    detail = page(admin_client, reverse("admin:crm_serviceorder_change", args=[order.pk]))

    assert order.number in listing
    assert customer.masked_name in listing
    assert "139****2222" in detail
    assert "客户来电 137****5678" in detail
    assert str(customer) in detail
    for html in (listing, detail):
        assert NEW_MSISDN not in html
        assert DOCUMENT not in html
        assert PHONE not in html
    assert 'name="status"' not in detail
    assert "Reception" in detail


def test_service_order_page_masks_a_data_change(admin_client, customer, superuser):
    order = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=superuser,
        data_changes={"contact_phone": "13655556666", "address": "上海市静安区1号"},
    )

    html = page(admin_client, reverse("admin:crm_serviceorder_change", args=[order.pk]))

    assert "address: 上海市静安区1号, contact_phone: 136****6666" in html
    assert "13655556666" not in html


def test_interaction_pages_mask_notes_and_customer(admin_client, customer, interaction):
    listing = page(admin_client, reverse("admin:crm_interaction_changelist"))
    detail = page(admin_client, reverse("admin:crm_interaction_change", args=[interaction.pk]))

    assert interaction.number in listing
    assert str(customer) in listing
    assert "客户报了号码 139****4321" in detail
    assert "Service password" in detail  # the verification inline
    for html in (listing, detail):
        assert MSISDN not in html
        assert DOCUMENT not in html
        assert PHONE not in html
        assert "欧阳娜娜" not in html


@pytest.mark.parametrize(
    "model",
    [
        "piiaccesslog",
        "serviceorderstep",
        "subscriptionstatuschange",
        "identityverification",
        "smsverificationcode",
        "subscription",
        "serviceorder",
        "interaction",
    ],
)
def test_history_and_service_owned_records_cannot_be_added_in_the_admin(admin_client, model):
    response = admin_client.get(reverse(f"admin:crm_{model}_add"))

    assert response.status_code == 403


def test_audit_rows_are_read_only_in_the_admin(admin_client, order):
    step = order.steps.get()
    url = reverse("admin:crm_serviceorderstep_change", args=[step.pk])

    response = admin_client.post(url, {"reason": "rewritten"})

    assert response.status_code == 403
    step.refresh_from_db()
    assert step.reason == ""
    assert (
        admin_client.post(
            reverse("admin:crm_serviceorderstep_delete", args=[step.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def customer_form(**overrides) -> dict:
    return {
        "kind": "individual",
        "name": "张三",
        "document_type": "resident_id",
        "document_number": resident_id(42).lower(),
        "contact_phone": "+86 138 0013 8000",
        "email": "",
        "address": "上海市徐汇区1号",
        "segment": "standard",
        "subscriptions-TOTAL_FORMS": "0",
        "subscriptions-INITIAL_FORMS": "0",
        **overrides,
    }


def test_admin_add_customer_with_a_bad_check_digit_shows_the_error_and_creates_nothing(
    admin_client,
):
    good = resident_id(42)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")

    response = admin_client.post(
        reverse("admin:crm_customer_add"), customer_form(document_number=bad), headers=EN
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "document_number": ["The check digit of this ID number is wrong."]
    }
    assert Customer.objects.count() == 0


def test_admin_add_customer_registers_through_the_service(admin_client, superuser):
    response = admin_client.post(reverse("admin:crm_customer_add"), customer_form(), headers=EN)

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:crm_customer_changelist")
    assert customer.document_number == resident_id(42)
    assert customer.contact_phone == "13800138000"
    assert customer.channel == Channel.BUSINESS_HALL
    assert customer.created_by == superuser
    assert len(customer.customer_number) == 10
    assert list(BillingAccount.objects.values_list("customer", "account_number")) == [
        (customer.pk, f"A{customer.customer_number}")
    ]


def test_admin_add_customer_refuses_a_document_already_registered(admin_client, customer):
    response = admin_client.post(
        reverse("admin:crm_customer_add"), customer_form(document_number=DOCUMENT), headers=EN
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Customer with this Document type and Document number already exists."
    ]
    assert Customer.objects.count() == 1


def test_admin_change_customer_edits_only_segment_and_login(admin_client, customer):
    url = reverse("admin:crm_customer_change", args=[customer.pk])

    response = admin_client.post(
        url,
        {
            "segment": "vip",
            "user": "",
            "name": "改名",
            "document_number": resident_id(9),
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.segment, customer.name, customer.document_number) == (
        "vip",
        "欧阳娜娜",
        DOCUMENT,
    )


def test_open_orders_keep_their_status_in_the_admin(admin_client, order):
    response = admin_client.post(
        reverse("admin:crm_serviceorder_change", args=[order.pk]), {"status": "completed"}
    )

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEPTION


# An admin changelist reads the session, the user (a superuser needs no permission query), the
# filtered count, the total count and one page of rows with their foreign keys joined in. A date
# hierarchy adds two: the first and last dates, and the distinct days (or months) to offer.
ADMIN_CHANGELIST_QUERIES = 5
DATE_HIERARCHY_QUERIES = 2


def test_customer_changelist_query_count(admin_client, django_assert_num_queries):
    for _ in range(3):
        CustomerFactory()
    url = reverse("admin:crm_customer_changelist")

    # session, user, count, count of all, the page of customers; first and last day, days
    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES + DATE_HIERARCHY_QUERIES):
        admin_client.get(url)


def test_subscription_changelist_query_count(admin_client, django_assert_num_queries):
    for _ in range(3):
        MobileLineFactory()
    url = reverse("admin:crm_subscription_changelist")

    # session, user, count, count of all, the page of lines joined with their customers
    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES):
        admin_client.get(url)


def test_service_order_changelist_query_count(admin_client, superuser, django_assert_num_queries):
    for _ in range(3):
        create_service_order(
            kind=OrderKind.CUSTOMER_DATA_CHANGE,
            customer=CustomerFactory(),
            actor=superuser,
            data_changes={"address": "上海市1号"},
        )
    url = reverse("admin:crm_serviceorder_changelist")

    # session, user, count, count of all, the page of orders joined with customer, product and
    # creator; first and last day, days
    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES + DATE_HIERARCHY_QUERIES):
        admin_client.get(url)


def test_interaction_changelist_query_count(admin_client, superuser, django_assert_num_queries):
    for _ in range(3):
        start_interaction(
            channel=Channel.HOTLINE, actor=superuser, reason="咨询", customer=CustomerFactory()
        )
    url = reverse("admin:crm_interaction_changelist")

    # session, user, count, count of all, the page of interactions joined with customer and
    # staff; first and last day, days
    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES + DATE_HIERARCHY_QUERIES):
        admin_client.get(url)


@pytest.fixture
def every_kind_of_record(customer, line, order, interaction, superuser):
    """At least one row of every crm model, each showing or linking the customer's identity."""
    for _ in range(8):
        order = advance_order(order, actor=superuser)
    reopening = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=customer, subscription=line, actor=superuser
    )
    for _ in range(8):
        reopening = advance_order(reopening, actor=superuser)
    transition_subscription(
        line, SubscriptionStatus.SUSPENDED, actor=superuser, reason=f"欠费 {MSISDN}"
    )
    record_pii_access(
        customer, PiiField.DOCUMENT_NUMBER, actor=superuser, reason="核实身份", interaction=None
    )
    other = start_interaction(
        channel=Channel.HOTLINE, actor=superuser, reason="短信验证", customer=customer
    )
    send_verification_code(other, customer, actor=superuser)
    contact_channel_records(customer, line, superuser)
    return customer


def contact_channel_records(customer, line, superuser):
    """A row of every contact-channel model, carrying the customer's numbers in its text."""
    from crm.agreements import sign_agreement, terminate_agreement
    from crm.chat import accept_chat, end_chat, post_customer_message, rate_chat, start_chat
    from crm.contact_centre import set_presence
    from crm.knowledge import link_article_to_ticket, record_feedback
    from crm.mail_in import process_mail
    from crm.models import KnowledgeArticle
    from crm.notices import create_notice, publish_notice
    from crm.telephony import answer_call, end_call, receive_call
    from portal.roles import Role
    from tests.complaints.factories import make_ticket
    from tests.portal.factories import UserFactory

    agent = UserFactory(username="admin-agent")
    agent.groups.add(Group.objects.get(name=Role.SERVICE_SPECIALIST.value))
    set_presence(agent, "available")
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    post_customer_message(chat, body=f"我的号码是 {MSISDN}")
    accept_chat(chat, actor=agent)
    end_chat(chat, actor=agent)
    rate_chat(chat, score=5)
    call = receive_call(call_id="admin-call", caller_number=MSISDN, dialled_number="10000")
    answer_call(call, actor=agent)
    end_call(call, duration_seconds=60)
    process_mail(f"From: someone@example.com\r\nSubject: 我的手机 {MSISDN}\r\n\r\n请帮忙".encode())
    publish_notice(
        create_notice(kind="service", title="通知", body="内容", actor=superuser), actor=superuser
    )
    agreement = sign_agreement(line, actor=superuser)
    terminate_agreement(agreement, actor=superuser, reason="测试")
    article = KnowledgeArticle.objects.get(slug="data-cut-off")
    record_feedback(article, helpful=True)
    link_article_to_ticket(make_ticket(superuser, line=line), article, actor=superuser)


CRM_MODELS = sorted(model._meta.model_name for model in apps.get_app_config("crm").get_models())


@pytest.mark.parametrize("model_name", CRM_MODELS)
def test_every_crm_admin_page_renders_without_full_identity(
    admin_client, every_kind_of_record, model_name
):
    model = apps.get_model("crm", model_name)
    listing = page(admin_client, reverse(f"admin:crm_{model_name}_changelist"))
    details = [
        page(admin_client, reverse(f"admin:crm_{model_name}_change", args=[pk]))
        for pk in model.objects.values_list("pk", flat=True)
    ]

    assert len(details) == model.objects.count() >= 1
    for html in (listing, *details):
        for secret in (DOCUMENT, PHONE, MSISDN, NEW_MSISDN, "欧阳娜娜"):
            assert secret not in html


def test_catalog_is_editable_with_the_plan_terms_inline(admin_client):
    dazhong = Product.objects.get(code="DAZHONG")

    html = page(admin_client, reverse("admin:crm_product_change", args=[dazhong.pk]))

    assert 'name="monthly_fee"' in html
    assert 'name="mobile_terms-0-local_call_per_minute" value="0.200000"' in html


def test_order_status_is_read_only_in_the_admin():
    assert "status" in admin.site._registry[ServiceOrder].get_readonly_fields(None)
