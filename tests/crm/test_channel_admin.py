"""Admin of the contact channels: the voice menu is edited as a tree, notices are drafted and
published through the service, service-owned records are read-only; changelist query counts."""

import pytest
from django.urls import reverse

from crm.channel_choices import DeliveryStatus, IvrAction, NoticeStatus, PresenceStatus
from crm.channel_models import ChatSession, InboundCall, IvrNode, Notice, NoticeDelivery
from crm.chat import start_chat
from crm.contact_centre import set_presence
from crm.notices import create_notice, publish_notice
from crm.telephony import navigate_ivr, receive_call
from portal.roles import Role
from tests.crm.factories import CustomerFactory, mobile_number

EN = {"accept-language": "en"}
# session, user, count, count of all, the page (joined with what its columns show)
ADMIN_CHANGELIST_QUERIES = 5


@pytest.fixture
def superuser(make_user):
    return make_user(None, username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_a_voice_menu_entry_is_added_under_its_menu_in_the_admin(admin_client):
    fault_menu = IvrNode.objects.get(parent__parent__isnull=True, key="3")
    children = list(fault_menu.children.order_by("pk"))
    data = {
        "parent": fault_menu.parent_id,
        "key": "3",
        "label": fault_menu.label,
        "prompt": fault_menu.prompt,
        "action": IvrAction.MENU,
        "target_role": "",
        "position": fault_menu.position,
        "is_active": "on",
        "children-TOTAL_FORMS": str(len(children) + 1),
        "children-INITIAL_FORMS": str(len(children)),
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "1000",
    }
    for index, child in enumerate(children):
        data |= {
            f"children-{index}-id": child.pk,
            f"children-{index}-parent": fault_menu.pk,
            f"children-{index}-key": child.key,
            f"children-{index}-label": child.label,
            f"children-{index}-action": child.action,
            f"children-{index}-target_role": child.target_role,
            f"children-{index}-prompt": child.prompt,
            f"children-{index}-position": child.position,
            f"children-{index}-is_active": "on",
        }
    new = len(children)
    data |= {
        f"children-{new}-parent": fault_menu.pk,
        f"children-{new}-key": "4",
        f"children-{new}-label": "光纤入户",
        f"children-{new}-action": IvrAction.AGENT,
        f"children-{new}-target_role": Role.TECH_SUPPORT,
        f"children-{new}-prompt": "正在为您转接。",
        f"children-{new}-position": "4",
        f"children-{new}-is_active": "on",
    }

    response = admin_client.post(
        reverse("admin:crm_ivrnode_change", args=[fault_menu.pk]), data, headers=EN
    )

    assert response.status_code == 302
    assert navigate_ivr("3-4").labels == ["故障报修", "光纤入户"]


def test_a_transfer_without_a_role_is_refused_by_the_database_rule(admin_client):
    root = IvrNode.objects.get(parent__isnull=True)

    response = admin_client.post(
        reverse("admin:crm_ivrnode_add"),
        {
            "parent": root.pk,
            "key": "9",
            "label": "无效转接",
            "prompt": "转接",
            "action": IvrAction.AGENT,
            "target_role": "",
            "position": "9",
            "is_active": "on",
            "children-TOTAL_FORMS": "0",
            "children-INITIAL_FORMS": "0",
            "children-MIN_NUM_FORMS": "0",
            "children-MAX_NUM_FORMS": "1000",
        },
        headers=EN,
    )

    assert response.status_code == 200
    assert not IvrNode.objects.filter(key="9").exists()


def test_a_notice_is_drafted_in_the_admin_and_published_by_the_action(admin_client, superuser):
    CustomerFactory()
    bad = admin_client.post(
        reverse("admin:crm_notice_add"),
        {"kind": "maintenance", "title": "", "body": "x", "starts_at_0": "2026-12-01",
         "starts_at_1": "08:00:00", "send_sms": "on"},
        headers=EN,
    )  # fmt: skip
    added = admin_client.post(
        reverse("admin:crm_notice_add"),
        {"kind": "maintenance", "title": "夜间检修", "body": "凌晨检修，短时断网。",
         "starts_at_0": "2026-12-01", "starts_at_1": "08:00:00", "send_sms": "on",
         "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"},
        headers=EN,
    )  # fmt: skip
    notice = Notice.objects.get()
    published = admin_client.post(
        reverse("admin:crm_notice_changelist"),
        {"action": "publish", "_selected_action": [notice.pk]},
        headers=EN,
    )

    notice.refresh_from_db()
    assert bad.status_code == 200
    assert added.status_code == 302
    assert (notice.created_by, notice.status, notice.audience_size) == (
        superuser,
        NoticeStatus.PUBLISHED,
        1,
    )
    assert published.status_code == 302
    assert NoticeDelivery.objects.count() == 1


def test_service_owned_contact_records_are_read_only(admin_client):
    for name in ("chatsession", "inboundcall", "inboundemail", "serviceagreement", "agentpresence"):
        assert admin_client.get(reverse(f"admin:crm_{name}_add")).status_code == 403


def test_chat_changelist_query_count(admin_client, django_assert_num_queries):
    for _ in range(3):
        start_chat(customer=CustomerFactory(), topic="咨询", actor=None)

    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES):
        response = admin_client.get(reverse("admin:crm_chatsession_changelist"))

    assert response.context["cl"].result_count == ChatSession.objects.count() == 3


def test_call_changelist_query_count(admin_client, make_user, django_assert_num_queries):
    set_presence(make_user(Role.SERVICE_SPECIALIST), PresenceStatus.AVAILABLE)
    for n in range(3):
        receive_call(
            call_id=f"a{n}", caller_number=mobile_number(75_000_000 + n), dialled_number="1000"
        )

    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES):
        response = admin_client.get(reverse("admin:crm_inboundcall_changelist"))

    assert response.context["cl"].result_count == InboundCall.objects.count() == 3


def test_notice_changelist_query_count(admin_client, superuser, django_assert_num_queries):
    for n in range(3):
        create_notice(kind="service", title=f"通知{n}", body="内容", actor=superuser)

    with django_assert_num_queries(ADMIN_CHANGELIST_QUERIES):
        admin_client.get(reverse("admin:crm_notice_changelist"))


def test_a_published_notice_shows_delivery_counts_with_a_link_to_the_rows(admin_client, superuser):
    CustomerFactory()
    CustomerFactory()
    notice = create_notice(kind="maintenance", title="夜间检修", body="凌晨检修。", actor=superuser)
    publish_notice(notice, actor=superuser)
    NoticeDelivery.objects.filter(pk=NoticeDelivery.objects.first().pk).update(
        status=DeliveryStatus.SENT
    )

    page = admin_client.get(reverse("admin:crm_notice_change", args=[notice.pk]), headers=EN)
    rows = admin_client.get(
        reverse("admin:crm_noticedelivery_changelist") + f"?notice__id__exact={notice.pk}",
        headers=EN,
    )

    html = page.content.decode()
    assert f"?notice__id__exact={notice.pk}" in html
    assert "Sent 1" in html
    assert rows.status_code == 200
    assert rows.context["cl"].result_count == 2
