"""Service orders: every hall move, allowed and refused, and what fulfilment does."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.choices import (
    ORDER_TRANSITIONS,
    OrderKind,
    OrderStatus,
    SubscriptionKind,
    SubscriptionStatus,
    VerificationMethod,
)
from crm.error_codes import CrmErrorCode
from crm.models import (
    DataReopening,
    Product,
    ServiceOrder,
    ServiceOrderStep,
    Subscription,
)
from crm.services import (
    CrmError,
    advance_order,
    cancel_order,
    create_service_order,
    current_plan,
    record_verification,
    reject_order_review,
    start_interaction,
    transition_order,
)
from portal.months import next_month as first_of_next_month
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory

ALLOWED = sorted(
    (source, target) for source, targets in ORDER_TRANSITIONS.items() for target in targets
)
REFUSED = sorted(
    (source, target)
    for source, target in itertools.product(OrderStatus.values, OrderStatus.values)
    if target not in ORDER_TRANSITIONS[source]
)


@pytest.fixture
def clerk(make_user):
    return make_user(Role.SALES_ADVISOR, username="clerk")


def product(code: str) -> Product:
    return Product.objects.get(code=code)


def reopen_data_order(clerk, status: str = OrderStatus.RECEPTION) -> ServiceOrder:
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=clerk
    )
    # Test set-up only: place the order at the step under test.
    ServiceOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def advance_to(order: ServiceOrder, status: str, actor) -> ServiceOrder:
    while order.status != status:
        order = advance_order(order, actor=actor)
    return order


def test_the_transition_table_is_the_hall_sequence_with_review_return_and_cancel():
    assert (
        sorted(
            [
                ("acceptance", "cancelled"),
                ("acceptance", "review"),
                ("confirmation", "payment"),
                ("consultation", "acceptance"),
                ("consultation", "cancelled"),
                ("follow_up", "completed"),
                ("payment", "follow_up"),
                ("processing", "cancelled"),
                ("processing", "confirmation"),
                ("reception", "cancelled"),
                ("reception", "consultation"),
                ("review", "acceptance"),
                ("review", "cancelled"),
                ("review", "processing"),
            ]
        )
        == ALLOWED
    )


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_move_is_made_and_recorded(clerk, source, target):
    order = reopen_data_order(clerk, source)

    moved = transition_order(order, target, actor=clerk, reason="客户要求")

    step = ServiceOrderStep.objects.filter(order=order).latest("pk")
    assert moved.status == target
    assert ServiceOrder.objects.get(pk=order.pk).status == target
    assert (step.from_status, step.to_status, step.actor, step.reason) == (
        source,
        target,
        clerk,
        "客户要求",
    )


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(clerk, source, target):
    order = reopen_data_order(clerk, source)
    steps_before = ServiceOrderStep.objects.filter(order=order).count()

    with pytest.raises(CrmError) as refused:
        transition_order(order, target, actor=clerk, reason="试试")

    assert refused.value.code == CrmErrorCode.INVALID_TRANSITION
    assert ServiceOrder.objects.get(pk=order.pk).status == source
    assert ServiceOrderStep.objects.filter(order=order).count() == steps_before


def test_rejected_review_returns_to_acceptance_with_its_reason(clerk):
    order = reopen_data_order(clerk, OrderStatus.REVIEW)

    with pytest.raises(CrmError) as no_reason:
        reject_order_review(order, actor=clerk, reason="  ")
    order = reject_order_review(order, actor=clerk, reason="身份证复印件不清晰")

    assert no_reason.value.code == CrmErrorCode.REASON_REQUIRED
    assert order.status == OrderStatus.ACCEPTANCE
    assert order.rejection_reason == "身份证复印件不清晰"


def test_cancelling_needs_a_reason(clerk):
    order = reopen_data_order(clerk)

    with pytest.raises(CrmError) as no_reason:
        cancel_order(order, actor=clerk, reason="")

    assert no_reason.value.code == CrmErrorCode.REASON_REQUIRED
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.RECEPTION


def test_a_new_order_starts_at_reception_with_a_numbered_history(clerk):
    order = reopen_data_order(clerk)

    steps = list(order.steps.values_list("from_status", "to_status"))

    assert order.number.startswith(f"SO{timezone.localdate():%Y%m%d}")
    assert len(order.number) == 16
    assert steps == [("", "reception")]


def test_opening_a_number_creates_the_line_on_its_plan_when_processed(clerk):
    customer = CustomerFactory()
    order = create_service_order(
        kind=OrderKind.OPEN_NUMBER,
        customer=customer,
        actor=clerk,
        product=product("DAZHONG"),
        service_number="+86 133 0000 1111",
        iccid="89860312345678901234",
    )

    before = advance_to(order, OrderStatus.PROCESSING, clerk)
    after = advance_order(before, actor=clerk)

    line = after.subscription
    assert before.subscription is None
    assert order.fee == product("UIM_CARD").one_time_fee
    assert (line.msisdn, line.iccid, line.kind, line.status) == (
        "13300001111",
        "89860312345678901234",
        SubscriptionKind.MOBILE,
        SubscriptionStatus.ACTIVE,
    )
    assert line.billing_account == customer.billing_accounts.get()
    assert current_plan(line) == product("DAZHONG")
    assert after.fulfilled_at is not None


def test_opening_a_live_number_is_refused_at_reception(clerk):
    line = MobileLineFactory()

    with pytest.raises(CrmError) as taken:
        create_service_order(
            kind=OrderKind.OPEN_NUMBER,
            customer=CustomerFactory(),
            actor=clerk,
            product=product("DAZHONG"),
            service_number=line.msisdn,
            iccid="89860312345678901234",
        )

    assert (taken.value.code, taken.value.field) == (CrmErrorCode.MSISDN_TAKEN, "service_number")


def test_bad_order_input_names_the_fields(clerk):
    with pytest.raises(ValidationError) as invalid:
        create_service_order(
            kind=OrderKind.OPEN_NUMBER,
            customer=CustomerFactory(),
            actor=clerk,
            product=product("DAZHONG"),
            service_number="13300001111",
            iccid="12345",
        )

    assert list(invalid.value.error_dict) == ["iccid"]


def test_plan_change_takes_effect_on_the_first_of_next_month(clerk):
    line = MobileLineFactory()
    today = timezone.localdate()
    order = create_service_order(
        kind=OrderKind.CHANGE_PLAN,
        customer=line.customer,
        subscription=line,
        actor=clerk,
        product=product("DEMO_FEIYOUNG_39"),
    )

    advance_to(order, OrderStatus.CONFIRMATION, clerk)

    next_month = first_of_next_month(today)
    assert order.effective_on == next_month
    assert current_plan(line, today) == product("DAZHONG")
    assert current_plan(line, next_month) == product("DEMO_FEIYOUNG_39")
    assert list(line.products.values_list("product__code", "effective_to")) == [
        ("DAZHONG", next_month - datetime.timedelta(days=1)),
        ("DEMO_FEIYOUNG_39", None),
    ]


def test_plan_change_to_the_same_plan_is_refused(clerk):
    line = MobileLineFactory()

    with pytest.raises(CrmError) as same:
        create_service_order(
            kind=OrderKind.CHANGE_PLAN,
            customer=line.customer,
            subscription=line,
            actor=clerk,
            product=product("DAZHONG"),
            effective_on=timezone.localdate(),
        )

    assert same.value.code == CrmErrorCode.SAME_PLAN


def test_subscribing_and_unsubscribing_a_feature(clerk):
    line = MobileLineFactory()
    subscribe = create_service_order(
        kind=OrderKind.SUBSCRIBE_SERVICE,
        customer=line.customer,
        subscription=line,
        actor=clerk,
        product=product("CALLER_ID"),
    )
    advance_to(subscribe, OrderStatus.COMPLETED, clerk)
    unsubscribe = create_service_order(
        kind=OrderKind.UNSUBSCRIBE_SERVICE,
        customer=line.customer,
        subscription=line,
        actor=clerk,
        product=product("CALLER_ID"),
    )
    advance_to(unsubscribe, OrderStatus.CONFIRMATION, clerk)

    today = timezone.localdate()
    assert list(
        line.products.filter(product__code="CALLER_ID").values_list(
            "effective_from", "effective_to"
        )
    ) == [(today, today)]


def test_ring_back_tone_cannot_be_dropped_within_its_six_month_minimum(clerk):
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.SUBSCRIBE_SERVICE,
        customer=line.customer,
        subscription=line,
        actor=clerk,
        product=product("RING_BACK_TONE"),
    )
    advance_to(order, OrderStatus.COMPLETED, clerk)

    with pytest.raises(CrmError) as too_early:
        create_service_order(
            kind=OrderKind.UNSUBSCRIBE_SERVICE,
            customer=line.customer,
            subscription=line,
            actor=clerk,
            product=product("RING_BACK_TONE"),
        )

    today = timezone.localdate()
    start = first_of_next_month(today)
    months = start.month - 1 + 6
    assert too_early.value.code == CrmErrorCode.MINIMUM_TERM
    assert str(datetime.date(start.year + months // 12, months % 12 + 1, 1)) in (
        too_early.value.message
    )


def test_subscribing_twice_is_refused(clerk):
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.SUBSCRIBE_SERVICE,
        customer=line.customer,
        subscription=line,
        actor=clerk,
        product=product("CALLER_ID"),
    )
    advance_to(order, OrderStatus.CONFIRMATION, clerk)

    with pytest.raises(CrmError) as twice:
        create_service_order(
            kind=OrderKind.SUBSCRIBE_SERVICE,
            customer=line.customer,
            subscription=line,
            actor=clerk,
            product=product("CALLER_ID"),
        )

    assert twice.value.code == CrmErrorCode.ALREADY_SUBSCRIBED


@pytest.mark.parametrize(
    ("kind", "plan", "kind_of_line", "number"),
    [
        (OrderKind.BROADBAND_INSTALLATION, "DEMO_BROADBAND_300M", SubscriptionKind.BROADBAND, ""),
        (
            OrderKind.FIXED_LINE_INSTALLATION,
            "DEMO_FIXED_LINE",
            SubscriptionKind.FIXED_LINE,
            "02188886666",
        ),
    ],
)
def test_installations_create_their_line_at_the_address(clerk, kind, plan, kind_of_line, number):
    customer = CustomerFactory()
    order = create_service_order(
        kind=kind,
        customer=customer,
        actor=clerk,
        product=product(plan),
        installation_address="上海市徐汇区漕溪北路88号",
        service_number=number,
    )

    order = advance_to(order, OrderStatus.CONFIRMATION, clerk)

    line = order.subscription
    assert (line.kind, line.installation_address, line.fixed_number) == (
        kind_of_line,
        "上海市徐汇区漕溪北路88号",
        number,
    )
    assert current_plan(line) == product(plan)


def test_customer_data_change_applies_validated_contact_data(clerk):
    customer = CustomerFactory()
    order = create_service_order(
        kind=OrderKind.CUSTOMER_DATA_CHANGE,
        customer=customer,
        actor=clerk,
        data_changes={"contact_phone": "+86 137 1234 5678", "address": "北京市朝阳区建国路1号"},
    )

    advance_to(order, OrderStatus.CONFIRMATION, clerk)

    customer.refresh_from_db()
    assert order.data_changes == {
        "contact_phone": "13712345678",
        "address": "北京市朝阳区建国路1号",
    }
    assert (customer.contact_phone, customer.address) == ("13712345678", "北京市朝阳区建国路1号")


def test_customer_data_change_refuses_identity_fields_and_bad_values(clerk):
    customer = CustomerFactory()

    with pytest.raises(ValidationError) as identity:
        create_service_order(
            kind=OrderKind.CUSTOMER_DATA_CHANGE,
            customer=customer,
            actor=clerk,
            data_changes={"document_number": "11010519491231002X"},
        )
    with pytest.raises(ValidationError) as bad_phone:
        create_service_order(
            kind=OrderKind.CUSTOMER_DATA_CHANGE,
            customer=customer,
            actor=clerk,
            data_changes={"contact_phone": "12345"},
        )

    assert identity.value.error_dict["data_changes"][0].code == "field_not_changeable"
    assert bad_phone.value.error_dict["contact_phone"][0].code == "mobile_invalid"


def test_ownership_transfer_needs_both_parties_verified(clerk):
    line = MobileLineFactory()
    owner, new_owner = line.customer, CustomerFactory()
    order = create_service_order(
        kind=OrderKind.OWNERSHIP_TRANSFER,
        customer=owner,
        subscription=line,
        new_owner=new_owner,
        actor=clerk,
    )
    order = advance_to(order, OrderStatus.REVIEW, clerk)

    with pytest.raises(CrmError) as unverified:
        advance_order(order, actor=clerk)
    hall_visit = start_interaction(channel="business_hall", actor=clerk, reason="过户")
    for party in (owner, new_owner):
        record_verification(
            hall_visit,
            party,
            method=VerificationMethod.ID_AND_NAME,
            actor=clerk,
            id_number=party.document_number,
            name=party.name,
        )
    order = advance_to(order, OrderStatus.CONFIRMATION, clerk)

    line.refresh_from_db()
    assert unverified.value.code == CrmErrorCode.VERIFICATION_REQUIRED
    assert line.customer == new_owner
    assert line.billing_account == new_owner.billing_accounts.get()


def test_cancelling_a_number_terminates_the_line_and_frees_the_number(clerk):
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.CANCEL_NUMBER, customer=line.customer, subscription=line, actor=clerk
    )

    advance_to(order, OrderStatus.CONFIRMATION, clerk)
    reissue = create_service_order(
        kind=OrderKind.OPEN_NUMBER,
        customer=CustomerFactory(),
        actor=clerk,
        product=product("DAZHONG"),
        service_number=line.msisdn,
        iccid="89860312345678909999",
    )
    reissue = advance_to(reissue, OrderStatus.CONFIRMATION, clerk)

    line.refresh_from_db()
    today = timezone.localdate()
    assert (line.status, line.terminated_on) == (SubscriptionStatus.TERMINATED, today)
    assert list(line.products.values_list("effective_to", flat=True)) == [today]
    assert order.number in line.status_changes.get().reason
    assert Subscription.objects.filter(msisdn=line.msisdn).count() == 2
    assert reissue.subscription.status == SubscriptionStatus.ACTIVE


def test_reopening_data_is_recorded_for_rating(clerk):
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=clerk
    )

    order = advance_to(order, OrderStatus.CONFIRMATION, clerk)

    reopening = DataReopening.objects.get(subscription=line)
    assert reopening.order == order
    assert reopening.reopened_at == order.fulfilled_at


def test_orders_on_a_terminated_line_are_refused(clerk):
    line = MobileLineFactory(
        status=SubscriptionStatus.TERMINATED, terminated_on=timezone.localdate()
    )

    with pytest.raises(CrmError) as dead:
        create_service_order(
            kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=clerk
        )

    assert dead.value.code == CrmErrorCode.LINE_NOT_LIVE
