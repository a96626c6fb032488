"""Ticket pages: the customer's own tickets, the survey link, and the staff queue, ticket page,
actions, new ticket, escalation board and callbacks."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import surveys, tasks
from complaints.choices import (
    CallbackOutcome,
    CallbackStatus,
    NoteVisibility,
    Priority,
    Queue,
    SurveyStatus,
    TicketKind,
    TicketStatus,
)
from complaints.delivery import deliver_due
from complaints.models import Callback, Survey, Ticket, TicketAttachment
from complaints.services import (
    add_note,
    assign_ticket,
    resolve_ticket,
    transition_ticket,
)
from crm.choices import Channel
from crm.services import start_interaction
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.complaints.files import PNG
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

# Tests here store files: MEDIA_ROOT is each test's own tmp_path / "media".
pytestmark = pytest.mark.usefixtures("media_in_tmp")

EN = {"accept-language": "en"}
TICKET_ROWS = re.compile(r'<tr data-ticket="(TT\d+)"( class="breached")?')


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(name="王小明", user=customer_user)


@pytest.fixture
def line(customer):
    return MobileLineFactory(customer=customer, msisdn=mobile_number(61_000_001))


@pytest.fixture
def other_line(make_user):
    other = CustomerFactory(name="李四", user=make_user(Role.CUSTOMER))
    return MobileLineFactory(customer=other, msisdn=mobile_number(61_000_002))


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def png(name="signal.png", size=None) -> SimpleUploadedFile:
    content = PNG if size is None else PNG + b"\0" * (size - len(PNG))
    return SimpleUploadedFile(name, content, content_type="image/png")


def action(client, ticket, name, data=None):
    return client.post(reverse("ticket-action", args=[ticket.pk, name]), data or {}, headers=EN)


def resolved_fault(specialist, engineer, line) -> Ticket:
    ticket = make_ticket(specialist, line=line)
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)
    return resolve_ticket(ticket, actor=engineer, resolution="已更换基站板卡，信号恢复。")


def sent_survey(ticket) -> Survey:
    survey = ticket.surveys.get()
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    assert tasks.send_survey(survey.pk)
    survey.refresh_from_db()
    return survey


def survey_page(survey) -> str:
    return reverse("survey-answer", args=[surveys.survey_token(survey)])


# --- The customer's tickets -----------------------------------------------------------------


def test_customer_reports_a_fault_with_a_photo_and_sees_it(client, customer_user, line):
    client.force_login(customer_user)

    form = client.get(reverse("customer-ticket-new") + "?kind=fault", headers=EN)
    response = client.post(
        reverse("customer-ticket-new"),
        {
            "kind": "fault",
            "category": "mobile_signal",
            "subscription": line.pk,
            "subject": "家里没有信号",
            "description": "客厅和卧室都没有信号，已重启手机。",
            "attachment": png(),
        },
        headers=EN,
    )

    assert form.status_code == 200
    assert form.context["title"] == "Report a fault"
    assert form.context["form"]["kind"].value() == "fault"
    assert list(form.context["form"].fields["subscription"].queryset) == [line]
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customer-ticket-detail", args=[ticket.pk])
    assert (ticket.kind, ticket.queue, ticket.channel, ticket.subscription) == (
        TicketKind.FAULT,
        Queue.TECH_SUPPORT,
        Channel.WEB_PORTAL,
        line,
    )
    assert [(a.original_name, a.content_type) for a in ticket.attachments.all()] == [
        ("signal.png", "image/png")
    ]
    listing = client.get(reverse("customer-tickets"), headers=EN)
    assert [t.number for t in listing.context["tickets"]] == [ticket.number]
    assert f'data-ticket="{ticket.number}"' in html_of(listing)
    detail = client.get(response["Location"], headers=EN)
    assert detail.status_code == 200
    assert [entry.title for entry in detail.context["timeline"]] == ["Ticket opened"]
    assert "139****0001" in html_of(detail)
    assert mobile_number(61_000_001) not in html_of(detail)


def test_customer_cannot_choose_another_customers_line(client, customer_user, line, other_line):
    client.force_login(customer_user)

    response = client.post(
        reverse("customer-ticket-new"),
        {
            "kind": "fault",
            "category": "mobile_signal",
            "subscription": other_line.pk,
            "subject": "没有信号",
            "description": "没有信号",
        },
        headers=EN,
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["subscription"]
    assert Ticket.objects.count() == 0


def test_customer_cannot_open_another_customers_ticket(
    client, customer_user, specialist, line, other_line
):
    theirs = make_ticket(specialist, line=other_line)
    attachment = TicketAttachment.objects.create(
        ticket=theirs,
        file=png(),
        original_name="x.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=specialist,
    )
    client.force_login(customer_user)

    detail = client.get(reverse("customer-ticket-detail", args=[theirs.pk]))
    reply = client.post(
        reverse("customer-ticket-action", args=[theirs.pk, "reply"]), {"body": "你好"}
    )
    download = client.get(reverse("ticket-attachment", args=[attachment.pk]))
    staff_page = client.get(reverse("ticket-detail", args=[theirs.pk]))

    assert [detail.status_code, reply.status_code, download.status_code] == [404, 404, 404]
    assert staff_page.status_code == 403
    assert theirs.notes.count() == 0


def test_customer_sees_only_customer_visible_notes_and_replies(
    client, customer_user, specialist, engineer, line
):
    ticket = make_ticket(specialist, line=line)
    add_note(ticket, author=engineer, body="基站板卡故障，内部排查中", visibility="internal")
    add_note(ticket, author=engineer, body="我们正在处理，预计今晚恢复。", visibility="customer")
    client.force_login(customer_user)

    page = client.get(reverse("customer-ticket-detail", args=[ticket.pk]), headers=EN)
    reply = client.post(
        reverse("customer-ticket-action", args=[ticket.pk, "reply"]),
        {"body": "好的，谢谢"},
        headers=EN,
    )

    html = html_of(page)
    assert "我们正在处理，预计今晚恢复。" in html
    assert "基站板卡故障" not in html
    assert engineer.username not in html
    assert reply.status_code == 302
    assert list(ticket.notes.filter(author=customer_user).values_list("visibility", "body")) == [
        (NoteVisibility.CUSTOMER, "好的，谢谢")
    ]


def test_customer_reopens_a_resolved_ticket_with_a_reason(
    client, customer_user, specialist, engineer, line
):
    ticket = resolved_fault(specialist, engineer, line)
    client.force_login(customer_user)

    page = client.get(reverse("customer-ticket-detail", args=[ticket.pk]), headers=EN)
    empty = client.post(
        reverse("customer-ticket-action", args=[ticket.pk, "reopen"]), {"reason": ""}, headers=EN
    )
    reopened = client.post(
        reverse("customer-ticket-action", args=[ticket.pk, "reopen"]),
        {"reason": "信号又没了"},
        headers=EN,
    )

    assert page.context["may_reopen"] is True
    assert empty.status_code == 400
    assert list(empty.context["reopen_form"].errors) == ["reason"]
    assert reopened.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ASSIGNED


def test_customer_page_links_the_survey_once_it_is_sent(
    client, customer_user, specialist, engineer, line
):
    ticket = resolved_fault(specialist, engineer, line)
    client.force_login(customer_user)
    before = client.get(reverse("customer-ticket-detail", args=[ticket.pk]))

    survey = sent_survey(ticket)
    after = client.get(reverse("customer-ticket-detail", args=[ticket.pk]))

    assert before.context["survey_url"] is None
    assert after.context["survey_url"] == survey_page(survey)


@pytest.mark.parametrize("persona", [Role.SERVICE_SPECIALIST, "outsider"])
def test_customer_pages_refuse_staff_and_outsiders(client, personas, persona):
    client.force_login(personas[persona])

    assert client.get(reverse("customer-tickets")).status_code == 403
    assert client.get(reverse("customer-messages")).status_code == 403


def test_customer_sees_the_messages_sent_about_their_own_tickets_only(
    client, customer_user, specialist, engineer, line, other_line
):
    resolved_fault(specialist, engineer, line)
    make_ticket(specialist, line=other_line, subject="别人的工单")
    deliver_due()
    client.force_login(customer_user)

    response = client.get(reverse("customer-messages"), headers=EN)

    shown = response.context["messages_sent"]
    html = html_of(response)
    assert response.status_code == 200
    # One SMS per status change of the customer's ticket, the resolution in the last one; the
    # customer has no e-mail address on file, so no e-mail.
    assert [message.subject.split("：")[-1] for message in shown] == ["已解决", "处理中", "已派单"]
    assert "已更换基站板卡，信号恢复。" in shown[0].body
    assert {(m.channel, m.status, m.customer_id) for m in shown} == {
        ("sms", "sent", line.customer_id)
    }
    assert "别人的工单" not in html
    # The number is masked like every other on the site.
    assert line.msisdn not in html
    assert f"{line.msisdn[:3]}****{line.msisdn[-4:]}" in html


@pytest.mark.parametrize("count", [1, 8])
def test_customer_messages_page_runs_a_constant_number_of_queries(
    client, customer_user, specialist, engineer, line, django_assert_num_queries, count
):
    for _ in range(count):
        resolved_fault(specialist, engineer, line)
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions (the customer role), 4 the count for the pager, 5
    # the page of messages with their tickets.
    with django_assert_num_queries(5):
        response = client.get(reverse("customer-messages"))

    assert len(response.context["messages_sent"]) == 3 * count


def test_customer_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("customer-tickets"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Attachments ----------------------------------------------------------------------------


def attach(client, ticket, upload):
    return client.post(
        reverse("customer-ticket-action", args=[ticket.pk, "attach"]), {"file": upload}, headers=EN
    )


def test_attachment_too_big_or_of_the_wrong_type_is_refused_on_the_form(
    client, customer_user, specialist, line, settings
):
    settings.COMPLAINTS_ATTACHMENT_MAX_BYTES = 1024
    ticket = make_ticket(specialist, line=line)
    client.force_login(customer_user)

    too_big = attach(client, ticket, png(size=2048))
    wrong_type = attach(
        client, ticket, SimpleUploadedFile("photo.png", b"MZ\x90\x00 not a picture", "image/png")
    )

    assert too_big.status_code == 400
    assert too_big.context["attach_form"].errors == {"file": ["A file may be at most 0 MB."]}
    assert wrong_type.status_code == 400
    assert wrong_type.context["attach_form"].errors == {
        "file": ["Attach a photo (JPEG, PNG, GIF, WebP) or a PDF."]
    }
    assert 'aria-invalid="true"' in html_of(wrong_type)
    assert ticket.attachments.count() == 0


def test_a_png_is_accepted_and_downloaded_by_the_customer_and_staff(
    client, customer_user, specialist, line
):
    ticket = make_ticket(specialist, line=line)
    client.force_login(customer_user)

    accepted = attach(client, ticket, png("router.png"))
    attachment = ticket.attachments.get()
    mine = client.get(reverse("ticket-attachment", args=[attachment.pk]))
    client.force_login(specialist)
    staff = client.get(reverse("ticket-attachment", args=[attachment.pk]))

    assert accepted.status_code == 302
    assert (attachment.original_name, attachment.size) == ("router.png", len(PNG))
    for response in (mine, staff):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{ticket.number}-{attachment.pk}.png"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG


def test_a_refused_photo_leaves_no_ticket_behind(client, customer_user, line):
    client.force_login(customer_user)

    response = client.post(
        reverse("customer-ticket-new"),
        {
            "kind": "complaint",
            "category": "service_quality",
            "subject": "营业厅态度差",
            "description": "营业员不理人。",
            "attachment": SimpleUploadedFile("a.png", b"plain text", "image/png"),
        },
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "attachment": ["Attach a photo (JPEG, PNG, GIF, WebP) or a PDF."]
    }
    assert Ticket.objects.count() == 0


# --- The survey page ------------------------------------------------------------------------


def test_survey_is_answered_once_then_shows_already_answered(client, specialist, engineer, line):
    survey = sent_survey(resolved_fault(specialist, engineer, line))
    url = survey_page(survey)

    page = client.get(url, headers=EN)
    answered = client.post(url, {"score": "5", "resolved": "yes", "comment": "很快"}, headers=EN)
    again = client.get(url, headers=EN)
    twice = client.post(url, {"score": "1", "resolved": "no"}, headers=EN)

    assert page.status_code == 200
    assert 'name="score"' in html_of(page)
    assert 'name="viewport"' in html_of(page)
    assert answered.status_code == 302
    assert again.status_code == 200
    assert again.context["form"] is None
    assert "This survey has already been answered." in html_of(again)
    assert 'name="score"' not in html_of(again)
    assert twice.status_code == 409
    survey.refresh_from_db()
    assert (survey.status, survey.score, survey.resolved, survey.comment) == (
        SurveyStatus.ANSWERED,
        5,
        True,
        "很快",
    )


def test_survey_with_a_bad_or_expired_token_is_404(client, specialist, engineer, line, settings):
    survey = sent_survey(resolved_fault(specialist, engineer, line))
    url = survey_page(survey)

    forged = client.get(url[:-3] + "xyz/")
    settings.COMPLAINTS_SURVEY_LINK_DAYS = -1
    expired = client.get(url)

    assert [forged.status_code, expired.status_code] == [404, 404]


def test_survey_needs_a_score_and_an_answer_on_resolution(client, specialist, engineer, line):
    survey = sent_survey(resolved_fault(specialist, engineer, line))

    response = client.post(survey_page(survey), {"score": "9"}, headers=EN)

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["resolved", "score"]
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SENT


def test_a_low_score_reopens_the_ticket_to_the_complaints_queue(
    client, specialist, engineer, coordinator, line
):
    ticket = resolved_fault(specialist, engineer, line)
    survey = sent_survey(ticket)

    client.post(survey_page(survey), {"score": "2", "resolved": "no", "comment": "还是没信号"})

    ticket.refresh_from_db()
    assert (ticket.status, ticket.queue, ticket.assignee) == (
        TicketStatus.ASSIGNED,
        Queue.COMPLAINTS,
        coordinator,
    )


# --- The staff queue ------------------------------------------------------------------------


def test_queue_lists_only_the_users_queues_open_tickets_by_deadline_breached_marked(
    client, specialist, engineer, line
):
    normal = make_ticket(specialist, line=line, priority=Priority.NORMAL)
    urgent = make_ticket(specialist, line=line, priority=Priority.URGENT)
    late = make_ticket(specialist, line=line, priority=Priority.LOW)
    Ticket.objects.filter(pk=late.pk).update(
        resolution_due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    make_ticket(specialist, kind=TicketKind.COMPLAINT, line=line)
    cancelled = make_ticket(specialist, line=line)
    transition_ticket(cancelled, TicketStatus.CANCELLED, actor=engineer, reason="重复报障")
    client.force_login(engineer)

    response = client.get(reverse("ticket-queue"), headers=EN)

    assert response.status_code == 200
    assert TICKET_ROWS.findall(html_of(response)) == [
        (late.number, ' class="breached"'),
        (urgent.number, ""),
        (normal.number, ""),
    ]
    assert ">breached<" in html_of(response)
    assert [value for value, _label in response.context["tabs"]] == [Queue.TECH_SUPPORT]


def test_queue_tabs_filter_by_queue_and_mine(client, personas, specialist, engineer, line):
    supervisor = personas[Role.SUPERVISOR]
    fault = make_ticket(specialist, line=line)
    complaint = make_ticket(specialist, kind=TicketKind.COMPLAINT, line=line)
    assign_ticket(complaint, supervisor, actor=supervisor)
    client.force_login(supervisor)

    everything = client.get(reverse("ticket-queue"))
    faults = client.get(reverse("ticket-queue"), {"queue": Queue.TECH_SUPPORT})
    mine = client.get(reverse("ticket-queue"), {"mine": "1"})

    assert {t.number for t in everything.context["tickets"]} == {fault.number, complaint.number}
    assert [t.number for t in faults.context["tickets"]] == [fault.number]
    assert [t.number for t in mine.context["tickets"]] == [complaint.number]
    assert [value for value, _label in everything.context["tabs"]] == list(Queue.values)


def test_queue_shows_the_users_latest_notifications(client, specialist, engineer, line):
    tickets = [make_ticket(specialist, line=line) for _ in range(6)]
    for ticket in tickets:
        assign_ticket(ticket, engineer, actor=specialist)
    client.force_login(engineer)

    response = client.get(reverse("ticket-queue"), headers=EN)

    assert [n.ticket_id for n in response.context["notifications"]] == [
        t.pk for t in reversed(tickets[1:])
    ]


@pytest.mark.parametrize("count", [5, 30])
def test_queue_page_runs_a_constant_number_of_queries(
    client, specialist, engineer, django_assert_num_queries, count
):
    lines = [MobileLineFactory() for _ in range(3)]
    for n in range(count):
        ticket = make_ticket(specialist, line=lines[n % 3])
        if n % 2:
            assign_ticket(ticket, engineer, actor=specialist)
    client.force_login(engineer)
    # 1 the session, 2 user, 3 their permissions (one query; the roles, hence the queues, follow
    # from them), 4 the count for the pager, 5 the page of tickets with customer, line and
    # assignee, 6 the latest notifications with their tickets.
    with django_assert_num_queries(6):
        response = client.get(reverse("ticket-queue"))

    assert len(response.context["tickets"]) == min(count, 25)


# --- A ticket and its actions ---------------------------------------------------------------


def test_specialist_reads_a_fault_but_cannot_act_on_it(client, specialist, line):
    ticket = make_ticket(specialist, line=line)
    client.force_login(specialist)

    page = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)
    refused = {
        name: action(client, ticket, name, {"reason": "试试"}).status_code
        for name in ("take", "start", "cancel", "note")
    }

    assert page.status_code == 200
    assert (page.context["may_work"], page.context["action_forms"]) == (False, [])
    assert 'id="ticket-actions"' not in html_of(page)
    assert refused == {"take": 403, "start": 403, "cancel": 403, "note": 403}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_the_engineer_takes_starts_and_resolves_a_fault(client, specialist, engineer, line):
    ticket = make_ticket(specialist, line=line)
    client.force_login(engineer)

    page = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)
    taken = action(client, ticket, "take")
    started = action(client, ticket, "start")
    resolved = action(client, ticket, "resolve", {"resolution": "已修复基站。"})

    assert [item.name for item in page.context["action_forms"]] == [
        "take",
        "assign",
        "escalate",
        "priority",
        "diagnose",
        "note",
        "cancel",
    ]
    assert [taken.status_code, started.status_code, resolved.status_code] == [302, 302, 302]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.RESOLVED, engineer)
    done = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)
    assert messages_of(done) == [
        f"Ticket {ticket.number} is yours.",
        f"Ticket {ticket.number} is in progress.",
        f"Ticket {ticket.number} is resolved.",
    ]
    assert [item.name for item in done.context["action_forms"]] == ["close", "reopen", "note"]
    titles = [entry.title for entry in done.context["timeline"]]
    assert titles == [
        "Ticket opened",
        f"Assigned to {engineer.username}",
        "Status: New → Assigned",
        "Status: Assigned → In progress",
        "Visible to the customer",
        "Status: In progress → Resolved",
    ]


def test_a_refused_action_is_shown_on_its_form(client, specialist, engineer, line):
    ticket = make_ticket(specialist, line=line)
    client.force_login(engineer)

    no_reason = action(client, ticket, "cancel", {"reason": ""})
    wrong_move = action(client, ticket, "close")

    assert no_reason.status_code == 400
    assert no_reason.context["action_forms"][-1].form.errors == {
        "reason": ["This field is required."]
    }
    assert wrong_move.status_code == 400
    failed = next(item for item in wrong_move.context["action_forms"] if item.name == "close")
    assert failed.form.non_field_errors() == ["A ticket cannot go from New to Closed."]
    assert 'id="close-form"' in html_of(wrong_move)


def test_assignee_choices_are_those_who_may_own_the_queue(client, personas, specialist, line):
    ticket = make_ticket(specialist, line=line)
    engineer = personas[Role.TECH_SUPPORT]
    client.force_login(engineer)

    page = client.get(reverse("ticket-detail", args=[ticket.pk]))
    assign = next(item for item in page.context["action_forms"] if item.name == "assign")
    refused = action(client, ticket, "assign", {"assignee": specialist.pk})

    assert set(assign.form.fields["assignee"].queryset) == {engineer, personas[Role.SUPERVISOR]}
    assert refused.status_code == 400


def test_a_billing_dispute_resolves_with_an_adjustment(client, specialist, coordinator, line):
    ticket = make_ticket(specialist, kind=TicketKind.BILLING_DISPUTE, line=line)
    client.force_login(coordinator)
    action(client, ticket, "take")
    action(client, ticket, "start")

    over_limit = action(
        client,
        ticket,
        "resolve",
        {
            "resolution": "退还多收费用。",
            "adjustment_amount": "500.00",
            "adjustment_reason": "多扣",
        },
    )
    granted = action(
        client,
        ticket,
        "resolve",
        {"resolution": "退还多收费用。", "adjustment_amount": "30.00", "adjustment_reason": "多扣"},
    )

    assert over_limit.status_code == 400
    failed = next(item for item in over_limit.context["action_forms"] if item.name == "resolve")
    assert list(failed.form.errors) == ["adjustment_amount"]
    assert granted.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, str(ticket.adjustment_entry.amount)) == (TicketStatus.RESOLVED, "30.00")


def test_staff_ticket_page_masks_the_customer(client, customer_user, engineer, line):
    ticket = make_ticket(customer_user, line=line, channel=Channel.WEB_PORTAL)
    add_note(ticket, author=customer_user, body="请尽快处理", visibility="customer")
    client.force_login(engineer)

    response = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)

    html = html_of(response)
    assert line.customer.masked_name in html
    assert line.customer.name not in html
    assert "139****0001" in html
    assert line.msisdn not in html
    assert line.customer.contact_phone not in html
    assert customer_user.username not in html
    assert [entry.who for entry in response.context["timeline"]] == [
        f"Customer {line.customer.masked_name}"
    ] * 2


# --- Opening a ticket for a customer --------------------------------------------------------


def test_staff_opens_a_ticket_for_a_customer(client, specialist, customer, line):
    interaction = start_interaction(
        channel=Channel.HOTLINE, actor=specialist, reason="投诉", customer=customer
    )
    client.force_login(specialist)
    url = reverse("ticket-new", args=[customer.pk])

    form = client.get(url, headers=EN)
    response = client.post(
        url,
        {
            "kind": "complaint",
            "category": "service_quality",
            "priority": "",
            "channel": "hotline",
            "subscription": line.pk,
            "subject": "营业厅服务态度差",
            "description": "客户反映营业员态度恶劣。",
        },
        headers=EN,
    )

    assert form.status_code == 200
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("ticket-detail", args=[ticket.pk])
    assert (ticket.customer, ticket.queue, ticket.priority, ticket.interaction) == (
        customer,
        Queue.COMPLAINTS,
        Priority.NORMAL,
        interaction,
    )
    assert ticket.created_by == specialist


def test_new_ticket_for_an_unknown_customer_is_404(client, specialist):
    client.force_login(specialist)

    assert client.get(reverse("ticket-new", args=[999_999])).status_code == 404


def test_customer_page_lists_the_customers_tickets(client, personas, specialist, line):
    ticket = make_ticket(specialist, line=line)
    client.force_login(specialist)

    html = html_of(client.get(reverse("crm:customer-detail", args=[line.customer_id])))

    assert f'data-ticket="{ticket.number}"' in html
    assert reverse("ticket-new", args=[line.customer_id]) in html


# --- Escalation board and callbacks ---------------------------------------------------------


@pytest.mark.parametrize(
    "persona, status",
    [
        (Role.COMPLAINT_COORDINATOR, 200),
        (Role.SUPERVISOR, 200),
        (Role.SALES_ADVISOR, 403),
        (Role.SERVICE_SPECIALIST, 403),
        (Role.CUSTOMER, 403),
        ("outsider", 403),
    ],
)
def test_escalation_board_is_for_coordinators_and_supervisors(client, personas, persona, status):
    client.force_login(personas[persona])

    assert client.get(reverse("escalation-board")).status_code == status


def test_escalation_board_sorts_tickets_into_columns(client, specialist, coordinator, line):
    late = make_ticket(specialist, kind=TicketKind.COMPLAINT, line=line)
    Ticket.objects.filter(pk=late.pk).update(
        resolution_due_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    on_track = make_ticket(specialist, kind=TicketKind.COMPLAINT, line=line)
    client.force_login(coordinator)

    response = client.get(reverse("escalation-board"), headers=EN)

    columns = {key: [t.number for t in tickets] for key, _l, tickets in response.context["columns"]}
    assert columns == {
        "breached": [late.number],
        "due_soon": [],
        "on_track": [on_track.number],
        "paused": [],
    }


def test_callback_is_completed_from_the_list(client, specialist, engineer, line):
    survey = sent_survey(resolved_fault(specialist, engineer, line))
    assert surveys.create_due_callbacks(now=timezone.now() + datetime.timedelta(days=3)) == 1
    callback = Callback.objects.get()
    client.force_login(specialist)

    listing = client.get(reverse("callback-list"), headers=EN)
    url = reverse("callback-complete", args=[callback.pk])
    bad = client.post(url, {"outcome": "maybe"}, headers=EN)
    done = client.post(
        url, {"outcome": CallbackOutcome.SATISFIED, "score": "5", "note": "满意"}, headers=EN
    )

    assert [c.pk for c in listing.context["callbacks"]] == [callback.pk]
    assert f'id="callback-form-{callback.pk}"' in html_of(listing)
    assert bad.status_code == 400
    assert list(bad.context["callbacks"][0].form.errors) == ["outcome"]
    assert done.status_code == 302
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.score, callback.completed_by) == (
        CallbackStatus.DONE,
        CallbackOutcome.SATISFIED,
        5,
        specialist,
    )
    assert survey.ticket.status == TicketStatus.RESOLVED


def test_callbacks_need_the_callback_permissions(client, personas, coordinator):
    client.force_login(personas[Role.SALES_ADVISOR])
    sales = client.get(reverse("callback-list"))
    client.force_login(coordinator)
    read_only = client.get(reverse("callback-list"))
    post = client.post(reverse("callback-complete", args=[1]), {"outcome": "satisfied"})

    assert [sales.status_code, read_only.status_code, post.status_code] == [403, 200, 403]
    assert read_only.context["may_complete"] is False


# --- Who may open each staff page -----------------------------------------------------------


def test_staff_pages_need_the_ticket_permission(client, personas, specialist, line):
    ticket = make_ticket(specialist, line=line)
    urls = [
        reverse("ticket-queue"),
        reverse("ticket-detail", args=[ticket.pk]),
        reverse("ticket-new", args=[line.customer_id]),
    ]
    statuses = {}
    for persona in [*Role, "outsider"]:
        client.force_login(personas[persona])
        statuses[persona] = [client.get(url).status_code for url in urls]

    assert statuses == {
        **{role: [200, 200, 200] for role in Role if role != Role.CUSTOMER},
        Role.CUSTOMER: [403, 403, 403],
        "outsider": [403, 403, 403],
    }


# --- Query counts of the other lists --------------------------------------------------------


@pytest.mark.parametrize("count", [2, 12])
def test_customer_ticket_list_runs_a_constant_number_of_queries(
    client, customer_user, specialist, line, django_assert_num_queries, count
):
    for _ in range(count):
        make_ticket(specialist, line=line)
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions (navigation and the customer role), 4 the count
    # for the pager, 5 the page of tickets with their lines.
    with django_assert_num_queries(5):
        response = client.get(reverse("customer-tickets"))

    assert len(response.context["tickets"]) == count


@pytest.mark.parametrize("count", [2, 12])
def test_escalation_board_runs_a_constant_number_of_queries(
    client, specialist, coordinator, line, django_assert_num_queries, count
):
    for n in range(count):
        ticket = make_ticket(specialist, kind=TicketKind.COMPLAINT, line=line)
        if n % 2:
            assign_ticket(ticket, coordinator, actor=coordinator)
    client.force_login(coordinator)
    # 1 the session, 2 user, 3 their permissions (and so their queues), 4 the open tickets with
    # customer, line and assignee, 5 the low survey scores with their tickets.
    with django_assert_num_queries(5):
        response = client.get(reverse("escalation-board"))

    assert sum(len(tickets) for _k, _l, tickets in response.context["columns"]) == count


@pytest.mark.parametrize("count", [1, 4])
def test_callback_list_runs_a_constant_number_of_queries(
    client, specialist, engineer, django_assert_num_queries, count
):
    for _ in range(count):
        sent_survey(resolved_fault(specialist, engineer, MobileLineFactory()))
    surveys.create_due_callbacks(now=timezone.now() + datetime.timedelta(days=3))
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (and so whose callbacks), 4 the count for the
    # pager, 5 the page of callbacks with ticket, customer, line and survey.
    with django_assert_num_queries(5):
        response = client.get(reverse("callback-list"))

    assert len(response.context["callbacks"]) == count


@pytest.mark.parametrize("size", [1, 4])
def test_staff_ticket_page_runs_a_constant_number_of_queries(
    client, specialist, engineer, line, django_assert_num_queries, size
):
    ticket = make_ticket(specialist, line=line)
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    for n in range(size):
        add_note(ticket, author=engineer, body=f"排查第{n}步", visibility="internal")
        TicketAttachment.objects.create(
            ticket=ticket,
            file=png(),
            original_name=f"{n}.png",
            content_type="image/png",
            size=len(PNG),
            uploaded_by=engineer,
        )
    client.force_login(engineer)
    # Content types are cached per process: warm, as in production, whatever ran before.
    ContentType.objects.get_for_model(Ticket)
    # 1 the session, 2 user, 3 their permissions (and roles), 4 the ticket with customer, line,
    # assignee, creator, interaction and adjustment, and whether the user holds guardian's
    # work_ticket on it, 5 events with actors, 6 notes with authors, 7 attachments, 8 surveys, 9
    # the assignee choices.
    with django_assert_num_queries(9):
        response = client.get(reverse("ticket-detail", args=[ticket.pk]))

    assert len(response.context["attachments"]) == size
