"""The hotline: navigating the voice menu, calls from known and unknown numbers, the queue of
the right role, the offer (screen pop), answering, the end of the call, and the CTI signature."""

import datetime
import hashlib
import hmac
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from billing.services import post_ledger_entry
from crm.channel_choices import CallStatus, IvrAction, PresenceStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import InboundCall, IvrNode
from crm.choices import Channel, InteractionOutcome
from crm.contact_centre import set_presence
from crm.telephony import (
    answer_call,
    end_call,
    navigate_ivr,
    offer_queued_calls,
    receive_call,
    sign_cti_body,
    verify_cti_signature,
    wrap_up_call,
)
from portal.models import OutboundSms
from portal.roles import Role
from tests.crm.factories import MobileLineFactory, mobile_number

HOTLINE = "10000"


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def specialist(make_user):
    user = make_user(Role.SERVICE_SPECIALIST, username="phone-agent")
    set_presence(user, PresenceStatus.AVAILABLE)
    return user


@pytest.fixture
def engineer(make_user):
    user = make_user(Role.TECH_SUPPORT, username="phone-engineer")
    set_presence(user, PresenceStatus.AVAILABLE)
    return user


@pytest.fixture
def line(db):
    return MobileLineFactory(msisdn=mobile_number(72_000_001))


# --- The voice menu ---------------------------------------------------------------------------


def test_the_root_menu_reads_out_its_options_in_chinese(db):
    step = navigate_ivr("")

    assert step.action == IvrAction.MENU
    assert step.options == [
        ("1", "话费余额查询"),
        ("2", "账单短信"),
        ("3", "故障报修"),
        ("4", "业务办理与咨询"),
        ("5", "投诉与建议"),
        ("0", "人工服务"),
    ]
    assert step.speech.startswith("您好，欢迎致电客户服务热线。")
    assert "故障报修请按3" in step.speech


def test_keys_lead_through_sub_menus_to_the_right_role(db):
    step = navigate_ivr("3-2")

    assert (step.action, step.target_role, step.path, step.labels) == (
        IvrAction.AGENT,
        Role.TECH_SUPPORT,
        "3-2",
        ["故障报修", "宽带故障"],
    )


def test_a_wrong_key_is_ignored_and_star_goes_back(db):
    wrong = navigate_ivr("3-7")
    back = navigate_ivr("3-*-4")

    assert (wrong.action, wrong.invalid_key, wrong.path) == (IvrAction.MENU, "7", "3")
    assert wrong.speech.startswith("对不起，您的按键有误。")
    assert (back.action, back.target_role, back.path) == (
        IvrAction.AGENT,
        Role.SERVICE_SPECIALIST,
        "4",
    )


def test_zero_reaches_a_person_from_a_menu_without_its_own_zero(db):
    step = navigate_ivr("3-0")

    assert (step.action, step.target_role, step.path) == (
        IvrAction.AGENT,
        Role.SERVICE_SPECIALIST,
        "3-0",
    )


def test_self_service_balance_for_a_known_caller(line):
    post_ledger_entry(line.billing_account, kind="top_up", amount=Decimal("88.50"))

    known = navigate_ivr("1", caller_number=line.msisdn)
    unknown = navigate_ivr("1", caller_number=mobile_number(72_999_999))

    assert known.speech == "您的账户余额为88.50元。"
    assert unknown.speech == "未能识别您的号码，如需人工服务请按0。"


def test_self_service_sends_the_last_bill_by_sms(line):
    from billing.bill_run import run_bill_run

    run_bill_run(datetime.date(2026, 10, 1))

    step = navigate_ivr("2", caller_number=line.msisdn)

    assert step.speech == "最近一期账单已通过短信发送到您的手机。"
    assert OutboundSms.objects.filter(msisdn=line.msisdn, body__contains="2026-10").count() == 1


def test_recording_the_call_afterwards_does_not_text_the_bill_again(line):
    from billing.bill_run import run_bill_run

    run_bill_run(datetime.date(2026, 10, 1))
    navigate_ivr("2", caller_number=line.msisdn)

    call = receive_call(
        call_id="c-bill", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="2"
    )

    assert call.interaction.channel == "ivr"
    assert OutboundSms.objects.filter(msisdn=line.msisdn).count() == 1


def test_the_menu_is_edited_in_the_admin_tables(db):
    fault_menu = IvrNode.objects.get(parent__parent__isnull=True, key="3")
    IvrNode.objects.create(
        parent=fault_menu,
        key="4",
        label="光纤入户故障",
        prompt="正在为您转接。",
        action=IvrAction.AGENT,
        target_role=Role.TECH_SUPPORT,
        position=4,
    )

    assert navigate_ivr("3-4").labels == ["故障报修", "光纤入户故障"]


def test_the_simulator_command_drives_the_menu(line, capsys):
    call_command("simulate_ivr", "--caller", line.msisdn, "--keys", "3-1")

    output = capsys.readouterr().out
    assert "故障报修" in output
    assert "正在为您转接技术支持工程师，请稍候。" in output
    assert "tech_support_engineer" in output


def test_the_simulator_command_can_place_the_call(line, engineer, capsys):
    call_command("simulate_ivr", "--caller", line.msisdn, "--keys", "3-1", "--place-call")

    call = InboundCall.objects.get()
    assert (call.status, call.target_role, call.customer, call.offered_to) == (
        CallStatus.QUEUED,
        Role.TECH_SUPPORT,
        line.customer,
        engineer,
    )


# --- Calls ------------------------------------------------------------------------------------


def test_a_call_from_a_known_number_is_identified_and_offered(line, engineer, specialist):
    call = receive_call(
        call_id="c-1", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="3-1"
    )

    call.refresh_from_db()
    interaction = call.interaction
    assert (call.customer, call.subscription, call.status, call.target_role) == (
        line.customer,
        line,
        CallStatus.QUEUED,
        Role.TECH_SUPPORT,
    )
    assert (call.offered_to, call.ivr_labels) == (engineer, "故障报修 > 手机信号与上网")
    assert (interaction.channel, interaction.customer, interaction.staff) == (
        Channel.HOTLINE,
        line.customer,
        None,
    )
    assert interaction.reason == "热线来电：故障报修 > 手机信号与上网"

    answer_call(call, actor=engineer)
    interaction.refresh_from_db()
    assert interaction.staff == engineer


def test_a_call_from_an_unknown_number_waits_unidentified(specialist):
    call = receive_call(
        call_id="c-2", caller_number="021-5555 0000", dialled_number=HOTLINE, ivr_path="0"
    )

    call.refresh_from_db()
    assert (call.customer, call.caller_number, call.masked_caller_number) == (
        None,
        "02155550000",
        "021****0000",
    )
    assert (call.status, call.target_role, call.offered_to) == (
        CallStatus.QUEUED,
        Role.SERVICE_SPECIALIST,
        specialist,
    )


def test_the_same_call_reported_twice_is_one_call(line, specialist):
    first = receive_call(
        call_id="c-3", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )
    again = receive_call(
        call_id="c-3", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )
    with pytest.raises(ContactError) as reused:
        receive_call(call_id="c-3", caller_number="13900000000", dialled_number=HOTLINE)

    assert (first.pk, InboundCall.objects.count()) == (again.pk, 1)
    assert reused.value.code == ContactErrorCode.CALL_ID_REUSED


def test_a_call_offered_to_one_agent_is_not_answered_by_another(make_user, line, specialist):
    colleague = make_user(Role.SERVICE_SPECIALIST, username="colleague")
    call = receive_call(
        call_id="c-4", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )

    with pytest.raises(ContactError) as refused:
        answer_call(call, actor=colleague)
    with pytest.raises(ContactError) as wrong_team:
        answer_call(call, actor=make_user(Role.TECH_SUPPORT, username="engineer-x"))

    assert refused.value.code == ContactErrorCode.NOT_OFFERED_TO_YOU
    assert wrong_team.value.code == ContactErrorCode.NO_ROLE


def test_an_agent_on_a_call_gets_no_second_call(make_user, line, specialist):
    first = receive_call(
        call_id="c-5", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )
    answer_call(first, actor=specialist)
    second = receive_call(
        call_id="c-6", caller_number=mobile_number(72_000_009), dialled_number=HOTLINE, ivr_path="4"
    )
    second.refresh_from_db()
    assert second.offered_to is None

    colleague = make_user(Role.SERVICE_SPECIALIST, username="free-colleague")
    set_presence(colleague, PresenceStatus.AVAILABLE)
    assert offer_queued_calls() == 1
    second.refresh_from_db()
    assert second.offered_to == colleague


def test_call_end_writes_duration_and_outcome_into_the_interaction(line, specialist):
    call = receive_call(
        call_id="c-7", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )
    answer_call(call, actor=specialist)
    wrap_up_call(
        call, actor=specialist, outcome=InteractionOutcome.INFORMATION_GIVEN, notes="已解答"
    )

    ended = end_call(call, duration_seconds=185)
    end_call(call, duration_seconds=999)

    ended.refresh_from_db()
    interaction = ended.interaction
    assert (ended.status, ended.duration_seconds) == (CallStatus.ENDED, 185)
    assert interaction.ended_at - interaction.started_at == datetime.timedelta(seconds=185)
    assert interaction.outcome == InteractionOutcome.INFORMATION_GIVEN
    assert interaction.notes.splitlines() == ["已解答", "通话时长3分5秒。"]


def test_a_caller_who_hangs_up_in_the_queue_abandoned_the_call(line):
    call = receive_call(
        call_id="c-8", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="4"
    )

    end_call(call, duration_seconds=40)

    call.refresh_from_db()
    assert (call.status, call.interaction.outcome) == (
        CallStatus.ABANDONED,
        InteractionOutcome.ABANDONED,
    )


def test_a_self_service_call_ends_as_information_given(line):
    call = receive_call(
        call_id="c-9", caller_number=line.msisdn, dialled_number=HOTLINE, ivr_path="1"
    )
    assert (call.status, call.interaction.channel) == (CallStatus.SELF_SERVICE, Channel.IVR)

    end_call(call, duration_seconds=30)

    call.refresh_from_db()
    assert call.interaction.outcome == InteractionOutcome.INFORMATION_GIVEN


# --- The signature ----------------------------------------------------------------------------


def test_a_signature_made_with_the_secret_is_accepted_once_fresh(settings):
    body = b'{"event": "call.incoming"}'
    timestamp, signature = sign_cti_body(body)
    forged = hmac.new(b"guess", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    old = str(int(time.time()) - settings.CRM_CTI_MAX_SKEW_SECONDS - 10)

    assert verify_cti_signature(body, timestamp, signature)
    assert not verify_cti_signature(body + b" ", timestamp, signature)
    assert not verify_cti_signature(body, timestamp, f"sha256={forged}")
    assert not verify_cti_signature(body, old, sign_cti_body(body, int(old))[1])


def test_without_a_secret_nothing_is_accepted(settings):
    body = b"{}"
    timestamp, signature = sign_cti_body(body)
    settings.CRM_CTI_SHARED_SECRET = ""

    assert not verify_cti_signature(body, timestamp, signature)


def test_calls_started_earlier_keep_their_start(line):
    started = timezone.now() - datetime.timedelta(minutes=3)
    call = receive_call(
        call_id="c-10",
        caller_number=line.msisdn,
        dialled_number=HOTLINE,
        ivr_path="4",
        started_at=started,
    )

    call.refresh_from_db()
    assert call.interaction.started_at == call.started_at == started
