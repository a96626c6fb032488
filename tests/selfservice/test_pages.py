"""The customer portal's pages: overview, top-up, value-added services, plan change, orders and
privacy. Each is the signed-in customer's own, Chinese by default, in a constant number of
queries; each POST goes through one service."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.choices import LedgerEntryKind, TopUpChannel, UsageEventType
from billing.models import LedgerEntry, PromotionRedemption, TopUp, UsageMonth
from billing.services import top_up
from complaints.services import open_ticket
from crm.choices import Channel, OrderKind, OrderStatus, PiiField
from crm.models import PiiAccessLog, Product, ServiceOrder, ServiceOrderStep
from crm.services import current_plan, products_on, reveal_customer_field
from portal.months import next_month as first_of_next_month
from portal.roles import Role
from portal.selfservice.models import ConsentChange, ContactPreference
from tests.billing.factories import PromotionFactory, UsageRecordFactory
from tests.billing.test_bill_pages import verify_caller
from tests.crm.factories import CustomerFactory, MobileLineFactory

D = Decimal
EN = {"accept-language": "en"}


@pytest.fixture
def customer(customer_user):
    customer = CustomerFactory(user=customer_user, email="zhao@example.com")
    MobileLineFactory(customer=customer, msisdn="18900000077", plan="DEMO_LEXIANG_129")
    return customer


@pytest.fixture
def line(customer):
    return customer.subscriptions.get()


@pytest.fixture
def account(customer):
    return customer.billing_accounts.get()


@pytest.fixture
def signed_in(client, customer_user, customer):
    client.force_login(customer_user)
    return client


def html(response) -> str:
    return response.content.decode()


# --- Overview -----------------------------------------------------------------------------------


def test_the_overview_shows_lines_balance_usage_points_tickets_in_chinese(
    signed_in, customer, customer_user, line, account
):
    PromotionFactory(code="bonus-20", min_amount=D("100.00"), benefit_amount=D("20.00"))
    top_up(account, amount="100.00", channel=TopUpChannel.ONLINE, actor=customer_user)
    month = timezone.localdate().replace(day=1)
    UsageMonth.objects.create(
        subscription=line, month=month, data_kb=3 * 1024 * 1024, data_charge=D("0.00")
    )
    UsageRecordFactory(
        subscription=line,
        event_type=UsageEventType.VOICE_OUT_LOCAL,
        started_at=timezone.now(),
        billing_month=month,
        charged_units=250,
    )
    ticket = open_ticket(
        kind="fault",
        category="mobile_data",
        customer=customer,
        subject="无法上网",
        description="手机无法上网",
        channel=Channel.WEB_PORTAL,
        actor=customer_user,
    )

    response = signed_in.get(reverse("customer-home"))

    body = html(response)
    assert response.status_code == 200
    assert f"<h1>欢迎您，{customer.name}</h1>" in body
    assert 'data-balance="120.00"' in body
    assert 'data-points="100"' in body
    assert f'data-ticket="{ticket.number}"' in body
    bars = {bar.key: bar for bar in response.context["lines"][0].allowances}
    assert (bars["minutes"].used, bars["minutes"].limit, bars["minutes"].percent) == (250, 1000, 25)
    assert (bars["included_data"].used, bars["included_data"].percent) == (D("3072.0"), 10)
    assert bars["data_cutoff"].limit == D("61440.0")
    assert 'id="customer-menu"' in body


@pytest.mark.parametrize("lines", [1, 3])
def test_the_overview_runs_a_constant_number_of_queries(
    client, customer_user, customer, django_assert_num_queries, lines
):
    for n in range(1, lines):
        MobileLineFactory(customer=customer, msisdn=f"1890000010{n}")
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 permissions, 4 the login's customer record, 5 accounts with
    # balances, 6 live lines, 7 their products with plan terms, 8 this month's usage totals, 9
    # minutes and SMS counted, 10 points balance, 11 open tickets, 12 latest bill, 13 the notices
    # banner.
    with django_assert_num_queries(13):
        response = client.get(reverse("customer-home"))

    assert len(response.context["lines"]) == lines


# --- Top-up -------------------------------------------------------------------------------------


def test_a_top_up_with_the_chosen_offer_gets_its_bonus_and_a_resubmit_pays_once(
    signed_in, customer, account
):
    PromotionFactory(code="small", name="充50送5", min_amount=D("50.00"), benefit_amount="5.00")
    PromotionFactory(code="big", name="充100送20", min_amount=D("100.00"), benefit_amount="20")
    page = signed_in.get(reverse("selfservice:top-up"))
    key = page.context["form"]["idempotency_key"].value()
    data = {"account": account.pk, "amount": "100.00", "promotion": "small", "idempotency_key": key}

    first = signed_in.post(reverse("selfservice:top-up"), data)
    again = signed_in.post(reverse("selfservice:top-up"), data, follow=True)

    body = html(page)
    assert 'data-offer="small"' in body and 'data-offer="big"' in body
    assert 'id="payment-simulated"' in body
    record = TopUp.objects.get()
    assert first.status_code == 302
    assert first.url == reverse("selfservice:top-up-done", args=[record.pk])
    assert record.channel == TopUpChannel.ONLINE
    assert PromotionRedemption.objects.get().promotion.code == "small"
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PROMOTION_BONUS).get().amount == D("5")
    assert TopUp.objects.count() == 1
    assert 'data-bonus="5.00"' in html(again)
    assert account.prepaid_balance.balance == D("105.00")


def test_the_same_rendered_form_posted_twice_pays_once_and_shows_the_first_top_up_twice(
    signed_in, account
):
    page = signed_in.get(reverse("selfservice:top-up"))
    key = page.context["form"]["idempotency_key"].value()
    data = {"account": account.pk, "amount": "30.00", "idempotency_key": key}

    # A double click, or Back and the same form sent again.
    first = signed_in.post(reverse("selfservice:top-up"), data, follow=True, headers=EN)
    again = signed_in.post(reverse("selfservice:top-up"), data, follow=True, headers=EN)

    record = TopUp.objects.get()
    assert (record.idempotency_key, record.amount) == (key, D("30.00"))
    assert [response.redirect_chain for response in (first, again)] == [
        [(reverse("selfservice:top-up-done", args=[record.pk]), 302)]
    ] * 2
    assert [response.status_code for response in (first, again)] == [200, 200]
    assert [response.context["top_up"].pk for response in (first, again)] == [record.pk] * 2
    assert [str(message) for message in again.context["messages"]] == [
        "This payment of 30.00 yuan was already made; nothing was paid twice."
    ]
    assert list(LedgerEntry.objects.filter(account=account).values_list("kind", "amount")) == [
        (LedgerEntryKind.TOP_UP, D("30.00"))
    ]
    account.prepaid_balance.refresh_from_db()
    assert account.prepaid_balance.balance == D("30.00")


def test_the_rendered_form_carries_its_key_in_a_hidden_field(signed_in):
    page = signed_in.get(reverse("selfservice:top-up"))

    key = page.context["form"]["idempotency_key"].value()
    assert len(key) == 32 and int(key, 16) >= 0
    assert f'<input type="hidden" name="idempotency_key" value="{key}"' in html(page)


def test_every_render_of_the_top_up_page_has_a_new_key(signed_in):
    first = signed_in.get(reverse("selfservice:top-up")).context["form"]["idempotency_key"]
    second = signed_in.get(reverse("selfservice:top-up")).context["form"]["idempotency_key"]

    assert first.value() != second.value()


def test_an_offer_the_amount_does_not_reach_is_refused_on_its_field(signed_in, account):
    PromotionFactory(code="big", name="充100送20", min_amount=D("100.00"), benefit_amount="20")

    response = signed_in.post(
        reverse("selfservice:top-up"),
        {"account": account.pk, "amount": "30", "promotion": "big", "idempotency_key": "k-1"},
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "promotion": ["The offer 充100送20 needs a top-up of at least 100.00 yuan."]
    }
    assert TopUp.objects.count() == 0


def test_an_amount_out_of_range_is_a_field_error(signed_in, account):
    response = signed_in.post(
        reverse("selfservice:top-up"),
        {"account": account.pk, "amount": "9000", "idempotency_key": "k-2"},
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "amount": ["A top-up is between 1.00 and 5000.00 yuan."]
    }


def test_someone_elses_top_up_result_is_a_404(signed_in, customer):
    other = CustomerFactory()
    record = top_up(
        other.billing_accounts.get(), amount="10", channel="online", actor=other.created_by
    ).top_up

    assert signed_in.get(reverse("selfservice:top-up-done", args=[record.pk])).status_code == 404


def test_the_top_up_page_runs_a_constant_number_of_queries(signed_in, django_assert_num_queries):
    PromotionFactory(code="a")
    PromotionFactory(code="b")
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 accounts with balances, 6 running
    # offers, 7 the customer's uses of them.
    with django_assert_num_queries(7):
        response = signed_in.get(reverse("selfservice:top-up"))

    assert len(response.context["offers"]) == 2


# --- Value-added services -----------------------------------------------------------------------


def test_subscribing_and_unsubscribing_create_completed_self_service_orders(
    signed_in, customer_user, line
):
    caller_id = Product.objects.get(code="CALLER_ID")

    subscribed = signed_in.post(
        reverse("selfservice:service-order", args=["subscribe"]),
        {"subscription": line.pk, "product": caller_id.pk},
    )
    page = signed_in.get(reverse("selfservice:services"))
    unsubscribed = signed_in.post(
        reverse("selfservice:service-order", args=["unsubscribe"]),
        {"subscription": line.pk, "product": caller_id.pk},
    )

    assert subscribed.status_code == 302
    assert unsubscribed.status_code == 302
    orders = list(ServiceOrder.objects.order_by("pk"))
    assert [(o.kind, o.status, o.channel) for o in orders] == [
        (OrderKind.SUBSCRIBE_SERVICE, OrderStatus.COMPLETED, Channel.WEB_PORTAL),
        (OrderKind.UNSUBSCRIBE_SERVICE, OrderStatus.COMPLETED, Channel.WEB_PORTAL),
    ]
    steps = ServiceOrderStep.objects.filter(order=orders[0]).values_list("to_status", flat=True)
    assert list(steps) == [
        "reception",
        "consultation",
        "acceptance",
        "review",
        "processing",
        "confirmation",
        "payment",
        "follow_up",
        "completed",
    ]
    assert {step.actor_id for step in ServiceOrderStep.objects.all()} == {customer_user.pk}
    assert 'data-on="18900000077"' in html(page).split('data-product="CALLER_ID"')[1]
    today = timezone.localdate()
    assert not products_on(line, today + datetime.timedelta(days=1)).filter(product=caller_id)


def test_a_service_with_a_minimum_term_cannot_be_dropped_early(signed_in, line):
    ring_back = Product.objects.get(code="RING_BACK_TONE")
    signed_in.post(
        reverse("selfservice:service-order", args=["subscribe"]),
        {"subscription": line.pk, "product": ring_back.pk},
    )

    response = signed_in.post(
        reverse("selfservice:service-order", args=["unsubscribe"]),
        {"subscription": line.pk, "product": ring_back.pk},
        headers=EN,
    )

    assert response.status_code == 400
    assert "must be kept until" in html(response)
    assert ServiceOrder.objects.filter(kind=OrderKind.UNSUBSCRIBE_SERVICE).count() == 0


def test_another_customers_line_cannot_be_ordered_on(signed_in):
    other_line = MobileLineFactory(msisdn="18900000088")
    caller_id = Product.objects.get(code="CALLER_ID")

    response = signed_in.post(
        reverse("selfservice:service-order", args=["subscribe"]),
        {"subscription": other_line.pk, "product": caller_id.pk},
    )

    assert response.status_code == 400
    assert ServiceOrder.objects.count() == 0


def test_the_services_page_runs_a_constant_number_of_queries(
    signed_in, customer, django_assert_num_queries
):
    MobileLineFactory(customer=customer, msisdn="18900000101")
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 live mobile lines, 6 their products,
    # 7 services on sale, 8 their bundle components.
    with django_assert_num_queries(8):
        response = signed_in.get(reverse("selfservice:services"))

    assert len(response.context["rows"]) == 12


# --- Plan change --------------------------------------------------------------------------------


def test_a_plan_change_is_an_order_effective_on_the_first_of_next_month(signed_in, line):
    plan = Product.objects.get(code="DEMO_FEIYOUNG_39")

    response = signed_in.post(
        reverse("selfservice:plan"), {"subscription": line.pk, "product": plan.pk}
    )
    page = signed_in.get(reverse("selfservice:plan"))

    next_month = first_of_next_month(timezone.localdate())
    order = ServiceOrder.objects.get()
    assert response.status_code == 302
    assert (order.kind, order.status, order.effective_on) == (
        OrderKind.CHANGE_PLAN,
        OrderStatus.COMPLETED,
        next_month,
    )
    assert current_plan(line).code == "DEMO_LEXIANG_129"
    assert current_plan(line, next_month) == plan
    assert "飞Young 39元套餐（演示）</strong>" in html(page)


def test_ordering_the_plan_a_line_already_has_is_refused_on_the_plan(signed_in, line):
    plan = Product.objects.get(code="DEMO_LEXIANG_129")

    response = signed_in.post(
        reverse("selfservice:plan"), {"subscription": line.pk, "product": plan.pk}, headers=EN
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"product": ["The line already has this plan."]}
    assert ServiceOrder.objects.count() == 0


def test_the_plan_page_runs_a_constant_number_of_queries(signed_in, django_assert_num_queries):
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 live mobile lines, 6 their products,
    # 7 plans on sale with terms, 8 their bundle components, 9 plan changes already ordered.
    with django_assert_num_queries(9):
        response = signed_in.get(reverse("selfservice:plan"))

    assert len(response.context["plans"]) == 3


# --- Orders -------------------------------------------------------------------------------------


def place(client, line, code, action="subscribe"):
    product = Product.objects.get(code=code)
    client.post(
        reverse("selfservice:service-order", args=[action]),
        {"subscription": line.pk, "product": product.pk},
    )


def test_the_orders_page_filters_and_sorts(signed_in, line):
    place(signed_in, line, "CALLER_ID")
    place(signed_in, line, "VAS_GAMES")
    place(signed_in, line, "CALLER_ID", "unsubscribe")

    subscribes = signed_in.get(reverse("selfservice:orders"), {"kind": "subscribe_service"})
    oldest_first = signed_in.get(reverse("selfservice:orders"), {"sort": "created"})

    assert [o.product.code for o in subscribes.context["orders"]] == ["VAS_GAMES", "CALLER_ID"]
    assert [o.kind for o in oldest_first.context["orders"]] == [
        "subscribe_service",
        "subscribe_service",
        "unsubscribe_service",
    ]


@pytest.mark.parametrize("orders", [1, 4])
def test_the_orders_page_runs_a_constant_number_of_queries(
    signed_in, line, django_assert_num_queries, orders
):
    for code in ["CALLER_ID", "VAS_GAMES", "VAS_MUSIC", "VAS_VIDEO"][:orders]:
        place(signed_in, line, code)
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 count for the pages, 6 the page of
    # orders with line and product.
    with django_assert_num_queries(6):
        response = signed_in.get(reverse("selfservice:orders"))

    assert len(response.context["orders"]) == orders


# --- Privacy ------------------------------------------------------------------------------------


def test_privacy_settings_are_saved_with_their_history(signed_in, customer, customer_user):
    response = signed_in.post(
        reverse("selfservice:privacy"), {"marketing_sms": "on", "messages_by_email": "on"}
    )

    assert response.status_code == 302
    preference = ContactPreference.objects.get(customer=customer)
    assert (preference.marketing_sms, preference.notices_by_sms, preference.messages_by_email) == (
        True,
        False,
        True,
    )
    assert sorted(ConsentChange.objects.values_list("field", "old_value", "new_value")) == [
        ("marketing_sms", False, True),
        ("notices_by_sms", True, False),
    ]
    assert {change.actor_id for change in ConsentChange.objects.all()} == {customer_user.pk}


def test_e_mail_copies_need_an_address_on_file(client, make_user):
    user = make_user(Role.CUSTOMER, username="no-email")
    customer = CustomerFactory(user=user, email="")
    client.force_login(user)

    page = client.get(reverse("selfservice:privacy"))
    saved = client.post(reverse("selfservice:privacy"), {"messages_by_email": "on"})

    assert page.context["form"]["messages_by_email"].value() is False
    assert saved.status_code == 302
    assert ContactPreference.objects.get(customer=customer).messages_by_email is False


def test_the_customer_sees_who_looked_by_role_not_by_name(signed_in, customer, personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    interaction = verify_caller(specialist, customer)
    reveal_customer_field(
        customer,
        PiiField.CONTACT_PHONE,
        actor=specialist,
        reason="回拨客户",
        interaction=interaction,
    )

    response = signed_in.get(reverse("selfservice:privacy"))

    body = html(response)
    assert response.context["looks"] == [
        {
            "when": PiiAccessLog.objects.get().created_at,
            "field": PiiField.CONTACT_PHONE.label,
            "role": "客户服务专员",
            "reason": "回拨客户",
        }
    ]
    assert specialist.username not in body
    assert specialist.get_full_name() not in body


@pytest.mark.parametrize("looks", [1, 3])
def test_the_privacy_page_runs_a_constant_number_of_queries(
    signed_in, customer, personas, django_assert_num_queries, looks
):
    supervisor = personas[Role.SUPERVISOR]
    for n in range(looks):
        PiiAccessLog.objects.create(
            actor=supervisor, customer=customer, field=PiiField.DOCUMENT_NUMBER, reason=f"核对{n}"
        )
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 their preferences, 6 count of looks,
    # 7 the page of looks with each actor's role, 8 recent consent changes.
    with django_assert_num_queries(8):
        response = signed_in.get(reverse("selfservice:privacy"))

    assert len(response.context["looks"]) == looks


# --- Access -------------------------------------------------------------------------------------

CUSTOMER_PAGES = [
    "customer-home",
    "selfservice:top-up",
    "selfservice:services",
    "selfservice:plan",
    "selfservice:orders",
    "selfservice:privacy",
]


@pytest.mark.parametrize("name", CUSTOMER_PAGES)
def test_customer_pages_send_anonymous_visitors_to_sign_in(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", CUSTOMER_PAGES)
@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.SUPERVISOR])
def test_customer_pages_are_forbidden_to_staff(client, personas, name, role):
    client.force_login(personas[role])

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", CUSTOMER_PAGES)
def test_customer_pages_answer_in_english_too(signed_in, name):
    response = signed_in.get(reverse(name), headers=EN)

    assert response.status_code == 200
    assert '<html lang="en">' in html(response)


# --- Preferences honoured -----------------------------------------------------------------------


def test_a_customer_who_turned_notice_sms_off_gets_the_banner_only(signed_in, customer, personas):
    from crm.channel_choices import DeliveryStatus
    from crm.channel_models import NoticeDelivery
    from crm.notices import create_notice, publish_notice

    supervisor = personas[Role.SUPERVISOR]
    other = CustomerFactory()
    signed_in.post(reverse("selfservice:privacy"), {"messages_by_email": "on"})

    publish_notice(
        create_notice(kind="maintenance", title="夜间检修", body="凌晨检修", actor=supervisor),
        actor=supervisor,
    )

    statuses = dict(NoticeDelivery.objects.values_list("customer_id", "status"))
    assert statuses[customer.pk] == DeliveryStatus.BANNER_ONLY
    assert statuses[other.pk] == DeliveryStatus.PENDING
    assert "夜间检修" in html(signed_in.get(reverse("customer-home")))


def test_e_mail_copies_are_not_sent_to_a_customer_who_turned_them_off(
    signed_in, customer, mailoutbox
):
    from complaints.choices import NotificationStatus
    from complaints.delivery import deliver_due
    from complaints.models import Notification
    from complaints.notifications import notify_account_holder

    signed_in.post(reverse("selfservice:privacy"), {"notices_by_sms": "on"})
    notify_account_holder(customer, subject="余额不足", body="请及时充值")

    deliver_due()

    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"sms": NotificationStatus.SENT, "email": NotificationStatus.SKIPPED}
    assert mailoutbox == []


def test_the_top_up_result_page_runs_a_constant_number_of_queries(
    signed_in, customer_user, account, django_assert_num_queries
):
    PromotionFactory(code="bonus", min_amount=D("10.00"), benefit_amount="1.00")
    record = top_up(account, amount="10", channel="online", actor=customer_user).top_up
    # 1 the session, 2 user, 3 permissions, 4 the customer, 5 the top-up with its account, balance,
    # entry, offer and points.
    with django_assert_num_queries(5):
        response = signed_in.get(reverse("selfservice:top-up-done", args=[record.pk]))

    assert 'data-bonus="1.00"' in html(response)


def test_the_password_reset_pages_need_no_query_before_a_request(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(reverse("password-reset"))

    assert response.status_code == 200
    assert 'id="password-reset-form"' in html(response)


def test_a_customer_login_without_a_record_is_told_so_on_the_overview(client, make_user):
    client.force_login(make_user(Role.CUSTOMER, username="unlinked"))

    response = client.get(reverse("customer-home"))

    assert response.status_code == 200
    assert 'id="no-customer-record"' in html(response)
