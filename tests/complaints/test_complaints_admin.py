"""The complaints admin: SLA policies editable, tickets shown read-only and masked."""

import pytest
from django.urls import reverse

from complaints.models import SlaPolicy
from complaints.services import add_note, open_ticket
from tests.crm.factories import MobileLineFactory


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(None, username="root", is_staff=True, is_superuser=True))
    return client


def test_sla_policies_are_loaded_and_editable(admin_client):
    policy = SlaPolicy.objects.get(kind="fault", priority="urgent")

    page = admin_client.get(reverse("admin:complaints_slapolicy_change", args=[policy.pk]))

    assert SlaPolicy.objects.count() == 16
    assert (policy.response_minutes, policy.resolution_minutes) == (15, 240)
    assert page.status_code == 200
    assert 'name="resolution_minutes"' in page.content.decode()


def test_ticket_pages_are_read_only_and_mask_numbers_in_free_text(admin_client, make_user):
    line = MobileLineFactory()
    ticket = open_ticket(
        kind="complaint",
        category="billing",
        customer=line.customer,
        subscription=line,
        subject="话费异常",
        description=f"请回拨 {line.msisdn}",
        channel="hotline",
        actor=make_user(None, username="agent"),
    )
    add_note(ticket, author=ticket.created_by, body=f"已致电 {line.msisdn}", visibility="internal")

    page = admin_client.get(reverse("admin:complaints_ticket_change", args=[ticket.pk]))
    add = admin_client.get(reverse("admin:complaints_ticket_add"))

    body = page.content.decode()
    assert (page.status_code, add.status_code) == (200, 403)
    assert line.msisdn not in body
    assert f"{line.msisdn[:3]}****{line.msisdn[-4:]}" in body


def test_a_diagnosis_and_a_low_score_review_show_in_the_admin(admin_client, make_user):
    from django.utils import timezone

    from complaints.models import Survey
    from complaints.services import add_diagnosis

    line = MobileLineFactory()
    engineer = make_user(None, username="engineer-admin", first_name="", last_name="")
    ticket = open_ticket(
        kind="fault",
        category="mobile_signal",
        customer=line.customer,
        subscription=line,
        subject="信号差",
        description="室内无信号",
        channel="hotline",
        actor=engineer,
    )
    add_diagnosis(ticket, author=engineer, fault_location="radio", body="基站告警。")
    survey = Survey.objects.create(
        ticket=ticket,
        status="answered",
        send_after=timezone.now(),
        answered_at=timezone.now(),
        score=1,
        reviewed_at=timezone.now(),
        reviewed_by=engineer,
    )

    ticket_page = admin_client.get(
        reverse("admin:complaints_ticket_change", args=[ticket.pk]),
        headers={"accept-language": "en"},
    )
    survey_page = admin_client.get(
        reverse("admin:complaints_survey_change", args=[survey.pk]),
        headers={"accept-language": "en"},
    )

    assert "Base station or radio coverage" in ticket_page.content.decode()
    assert "engineer-admin" in survey_page.content.decode()
