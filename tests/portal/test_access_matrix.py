"""Each role sees only its own workspace: every portal URL walked as every role.

Every named URL pattern outside ``/api/`` and ``/admin/`` is requested (GET) by each of the
five staff roles, a customer, a signed-in user without a role and an anonymous visitor, with a
sample object wherever the URL takes an id (objects of the customer persona where the URL is a
customer's own). The status each of them gets is written out below, row by row: the matrix is
the specification, not something derived from the views. A new URL fails the test until its
row is added here.

Reading a row: 200 the page; 302 a redirect (anonymous visitors to the sign-in page, ``/`` to
the user's own section); 403 a signed-in user outside the page's roles; 404 an object outside
the user's scope (another customer's, another colleague's attempt) or a page without such an
object; 405 a URL that only takes a POST (the method is checked after who may use it).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.choices import TopUpChannel
from billing.models import Bill, Device, InstalmentPlan
from billing.services import top_up
from complaints.choices import SurveyStatus, TicketKind
from complaints.models import Callback, Survey
from complaints.services import add_attachment
from complaints.surveys import survey_token
from crm.agreements import sign_agreement
from crm.channel_choices import PresenceStatus
from crm.chat import start_chat
from crm.choices import Channel, OrderKind, VerificationMethod
from crm.contact_centre import set_presence
from crm.models import Customer
from crm.services import (
    create_service_order,
    record_verification,
    set_service_password,
    start_interaction,
)
from crm.telephony import receive_call
from portal.reports.services import generate_monthly_report
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.complaints.files import PNG
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number
from tests.training.factories import (
    AssessmentFactory,
    CourseFactory,
    ModuleFactory,
    answers_for,
    for_roles,
    true_false_bank,
)
from training.services import (
    add_module_attachment,
    start_attempt,
    submit_attempt,
    submit_suggestion,
)

PERSONAS = (
    "specialist",
    "engineer",
    "coordinator",
    "sales",
    "supervisor",
    "customer",
    "outsider",
    "anonymous",
)
ROLE_OF = {
    "specialist": Role.SERVICE_SPECIALIST,
    "engineer": Role.TECH_SUPPORT,
    "coordinator": Role.COMPLAINT_COORDINATOR,
    "sales": Role.SALES_ADVISOR,
    "supervisor": Role.SUPERVISOR,
    "customer": Role.CUSTOMER,
}

# URL name -> the statuses of specialist, engineer, coordinator, sales, supervisor, customer,
# outsider, anonymous (in the order of PERSONAS).
MATRIX: dict[str, str] = {
    # A customer's billing as staff see it: the billing desk (specialist, coordinator) gets the
    # 403 "verify the caller first" until a passed verification; supervisors look (logged).
    "billing:customer-account-status": "403 403 403 403 200 403 403 302",
    "billing:customer-bill": "403 403 403 403 200 403 403 302",
    "billing:customer-billing": "403 403 403 403 200 403 403 302",
    "billing:customer-invoice": "403 403 403 403 200 403 403 302",
    # The plan page answers a GET on its action URLs too (the form posts there).
    "billing:instalment-cancel": "403 403 403 200 200 403 403 302",
    "billing:instalment-payoff": "403 403 403 200 200 403 403 302",
    "billing:instalment-plan": "403 403 403 200 200 403 403 302",
    "billing:instalment-sale": "403 403 403 200 403 403 403 302",
    "billing:instalment-sales": "403 403 403 200 200 403 403 302",
    "billing:invoice-check": "200 200 200 200 200 200 200 200",
    "billing:my-account-status": "403 403 403 403 403 200 403 302",
    "billing:my-bill": "403 403 403 403 403 200 403 302",
    "billing:my-billing": "403 403 403 403 403 200 403 302",
    # POST only (a GET here used to be a 500).
    "billing:my-instalment-payoff": "403 403 403 403 403 405 403 302",
    "billing:my-instalments": "403 403 403 403 403 200 403 302",
    "billing:my-invoice": "403 403 403 403 403 200 403 302",
    "billing:my-points": "403 403 403 403 403 200 403 302",
    "billing:my-points-redeem": "403 403 403 403 403 200 403 302",
    "callback-complete": "405 403 403 403 405 403 403 302",
    "callback-list": "200 403 200 403 200 403 403 302",
    "crm-channels:call": "200 200 200 403 200 403 403 302",
    "crm-channels:call-action": "405 405 405 403 405 403 403 302",
    # Chats: a customer's own (or the confirming session's); actions are POSTs for anyone.
    "crm-channels:chat-action": "405 405 405 405 405 405 405 405",
    "crm-channels:chat-confirm": "302 302 302 302 302 302 302 302",
    "crm-channels:chat-poll": "404 404 404 404 404 200 404 404",
    "crm-channels:chat-room": "404 404 404 404 404 200 404 404",
    "crm-channels:chat-start": "403 403 403 403 403 200 403 200",
    "crm-channels:console": "200 200 200 403 200 403 403 302",
    "crm-channels:console-poll": "200 200 200 403 200 403 403 302",
    # The chat desk: the specialists' and coordinators' queues; supervisors watch.
    "crm-channels:desk": "200 404 200 403 200 403 403 302",
    "crm-channels:desk-action": "405 405 405 403 405 403 403 302",
    "crm-channels:desk-poll": "200 404 200 403 200 403 403 302",
    "crm-channels:help": "200 200 200 200 200 200 200 200",
    "crm-channels:help-article": "200 200 200 200 200 200 200 200",
    "crm-channels:ivr-simulator": "200 200 200 403 200 403 403 302",
    "crm-channels:my-agreement-pdf": "403 403 403 403 403 200 403 302",
    "crm-channels:my-agreements": "403 403 403 403 403 200 403 302",
    "crm-channels:presence": "405 405 405 403 405 403 403 302",
    "crm-channels:staff-agreement-pdf": "200 403 403 200 200 403 403 302",
    "crm:catalog": "200 403 403 200 403 403 403 302",
    "crm:customer-detail": "200 403 403 403 200 403 403 302",
    "crm:customer-search": "200 403 403 403 200 403 403 302",
    # The 360 page (crm customer page) and its inline actions: specialists and supervisors.
    "crm:interaction-end": "405 403 403 403 405 403 403 302",
    "crm:interaction-send-code": "405 403 403 403 405 403 403 302",
    "crm:interaction-start": "405 403 403 403 405 403 403 302",
    "crm:interaction-verify": "405 403 403 403 405 403 403 302",
    "crm:order-advance": "405 403 403 405 403 403 403 302",
    "crm:order-cancel": "405 403 403 405 403 403 403 302",
    "crm:order-detail": "200 403 403 200 200 403 403 302",
    "crm:order-list": "200 403 403 200 200 403 403 302",
    "crm:order-new": "200 403 403 200 403 403 403 302",
    "crm:order-reject": "405 403 403 405 403 403 403 302",
    "crm:reveal": "405 403 403 403 405 403 403 302",
    # The customer portal: customers only.
    "customer-home": "403 403 403 403 403 200 403 302",
    "customer-messages": "403 403 403 403 403 200 403 302",
    "customer-ticket-action": "403 403 403 403 403 405 403 302",
    "customer-ticket-detail": "403 403 403 403 403 200 403 302",
    "customer-ticket-new": "403 403 403 403 403 200 403 302",
    "customer-tickets": "403 403 403 403 403 200 403 302",
    "escalation-board": "403 403 200 403 200 403 403 302",
    "healthz": "200 200 200 200 200 200 200 200",
    "healthz-web": "200 200 200 200 200 200 200 200",
    # Site-wide: / sends each user to their section; a user without a role is told why.
    "home": "302 302 302 302 302 302 403 302",
    "login": "302 302 302 302 302 302 302 200",
    "logout": "405 405 405 405 405 405 405 405",
    "set_language": "302 302 302 302 302 302 302 302",
    "survey-answer": "200 200 200 200 200 200 200 200",
    # Tickets: every staff role reads them and opens one for a customer.
    "ticket-action": "405 405 405 405 405 403 403 302",
    "ticket-attachment": "200 200 200 200 200 200 404 302",
    "ticket-detail": "200 200 200 200 200 403 403 302",
    "ticket-new": "200 200 200 200 200 403 403 302",
    "ticket-queue": "200 200 200 200 200 403 403 302",
    # The supervisor's reports: CSV of a dashboard block, stored monthly reports; writing one
    # is a POST.
    "reports:dashboard-csv": "403 403 403 403 200 403 403 302",
    "reports:report-generate": "403 403 403 403 405 403 403 302",
    "reports:report-list": "403 403 403 403 200 403 403 302",
    "reports:report-pdf": "403 403 403 403 200 403 403 302",
    # Forgotten password: open to anyone; the confirm step sends back to the start when no code
    # was asked for in this session.
    "password-reset": "200 200 200 200 200 200 200 200",
    "password-reset-confirm": "302 302 302 302 302 302 302 302",
    # The self-service portal's own pages: customers only; ordering a service is a POST.
    "selfservice:orders": "403 403 403 403 403 200 403 302",
    "selfservice:plan": "403 403 403 403 403 200 403 302",
    "selfservice:privacy": "403 403 403 403 403 200 403 302",
    "selfservice:service-order": "403 403 403 403 403 405 403 302",
    "selfservice:services": "403 403 403 403 403 200 403 302",
    "selfservice:top-up": "403 403 403 403 403 200 403 302",
    "selfservice:top-up-done": "403 403 403 403 403 200 403 302",
    # Training: every staff role; an attempt and its certificate are their taker's (and
    # supervisors').
    "training-attempt": "200 404 404 404 200 403 403 302",
    "training-attempt-start": "405 405 405 405 405 403 403 302",
    "training-certificate-check": "200 200 200 200 200 200 200 200",
    "training-certificate-pdf": "200 404 404 404 200 403 403 302",
    "training-course": "200 200 200 200 200 403 403 302",
    "training-handout": "200 200 200 200 200 403 403 302",
    "training-home": "200 200 200 200 200 403 403 302",
    "training-kpis": "403 403 403 403 200 403 403 302",
    "training-module-complete": "405 405 405 405 405 403 403 302",
    "training-my-kpis": "200 200 200 200 200 403 403 302",
    "training-suggestion-answer": "405 405 405 405 405 403 403 302",
    "training-suggestions": "200 200 200 200 200 403 403 302",
    "training-team": "403 403 403 403 200 403 403 302",
    # Each role sees only its own workspace.
    "workspace-complaints": "403 403 200 403 403 403 403 302",
    "workspace-sales": "403 403 403 200 403 403 403 302",
    "workspace-specialist": "200 403 403 403 403 403 403 302",
    "workspace-supervisor": "403 403 403 403 200 403 403 302",
    "workspace-tech-support": "403 200 403 403 403 403 403 302",
    # The workspaces' own pages.
    "workspaces:disputes": "403 403 200 403 200 403 403 302",
    "workspaces:fault-queue": "403 200 403 403 200 403 403 302",
    "workspaces:low-score-review": "403 403 405 403 405 403 403 302",
    "workspaces:low-scores": "403 403 200 403 200 403 403 302",
    "workspaces:my-sales": "403 403 403 200 403 403 403 302",
    "workspaces:recommendation": "403 403 403 200 403 403 403 302",
    "workspaces:retry-messages": "403 403 403 403 405 403 403 302",
    "workspaces:search": "200 403 403 403 200 403 403 302",
    "workspaces:undelivered": "403 403 403 403 200 403 403 302",
}


def named_patterns() -> list[tuple[str, str]]:
    """(route, name) of every named pattern outside the API and the admin."""

    def walk(patterns, prefix="", namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield prefix + str(entry.pattern), name

    return [
        (route, name)
        for route, name in walk(get_resolver().url_patterns)
        if not route.startswith(("api/", "admin/"))
    ]


@pytest.fixture
def users(personas):
    return {name: personas[role] for name, role in ROLE_OF.items()} | {
        "outsider": personas["outsider"]
    }


@pytest.fixture
def samples(users, settings, tmp_path):
    """One object of each kind a URL names, most of them the customer persona's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    specialist, sales = users["specialist"], users["sales"]
    set_presence(specialist, PresenceStatus.AVAILABLE)
    customer = CustomerFactory(name="王小明", user=users["customer"])
    line = MobileLineFactory(customer=customer, msisdn=mobile_number(55_000_001))
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=customer, subscription=line, actor=sales
    )
    bill = Bill.objects.create(
        subscription=line,
        period=timezone.localdate().replace(day=1),
        total=Decimal("58.00"),
        verification_code="MATRIX0001",
    )
    device = Device.objects.create(code="MATRIX", brand="华为", name="nova", price="1999.00")
    plan = InstalmentPlan.objects.create(
        number="IP20261201009999",
        customer=customer,
        account=line.billing_account,
        subscription=line,
        device=device,
        device_price=Decimal("1999.00"),
        financed_amount=Decimal("1999.00"),
        months=12,
        purchased_on=timezone.localdate(),
        seller=sales,
    )
    ticket = make_ticket(specialist, TicketKind.FAULT, line=line)
    attachment = add_attachment(
        ticket, SimpleUploadedFile("signal.png", PNG, content_type="image/png"), actor=specialist
    )
    survey = Survey.objects.create(
        ticket=ticket, status=SurveyStatus.SENT, send_after=timezone.now(), sent_at=timezone.now()
    )
    low_score = Survey.objects.create(
        ticket=ticket,
        status=SurveyStatus.ANSWERED,
        send_after=timezone.now(),
        answered_at=timezone.now(),
        score=1,
    )
    callback = Callback.objects.create(ticket=ticket, assignee=specialist, due_at=timezone.now())
    course = for_roles(CourseFactory(title="沟通技巧"), Role.SERVICE_SPECIALIST)
    module = ModuleFactory(course=course, position=1)
    handout = add_module_attachment(module, SimpleUploadedFile("讲义.png", PNG))
    true_false_bank(course, 6)
    assessment = AssessmentFactory(course=course, question_count=5, max_attempts=3)
    attempt = start_attempt(assessment, user=specialist)
    attempt = submit_attempt(attempt, user=specialist, answers=answers_for(attempt, 5))
    suggestion = submit_suggestion(author=specialist, subject="排班建议", body="增加晚班人手。")
    chat = start_chat(customer=customer, topic="话费", actor=None)
    call = receive_call(
        call_id="matrix-1", caller_number=line.msisdn, dialled_number="10000", ivr_path="4"
    )
    agreement = sign_agreement(line, actor=sales)
    top_up_row = top_up(
        line.billing_account,
        amount=Decimal("50.00"),
        channel=TopUpChannel.ONLINE,
        idempotency_key="matrix-top-up",
        actor=users["customer"],
    )
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    report = generate_monthly_report(last_month, actor=users["supervisor"])
    return {
        "report": report.pk,
        "customer": customer.pk,
        "order": order.pk,
        "bill": bill.pk,
        "plan": plan.pk,
        "ticket": ticket.pk,
        "attachment": attachment.pk,
        "token": survey_token(survey),
        "low_score": low_score.pk,
        "callback": callback.pk,
        "course": course.pk,
        "module": module.pk,
        "handout": handout.pk,
        "assessment": assessment.pk,
        "attempt": attempt.pk,
        "certificate": attempt.certificate.pk,
        "suggestion": suggestion.pk,
        "chat_token": chat.token,
        "chat": chat.pk,
        "call": call.pk,
        "agreement": agreement.pk,
        "top_up": top_up_row.top_up.pk,
    }


def url_for(name: str, samples: dict) -> str:
    """The URL of ``name`` with the sample object(s) it takes."""
    args = {
        "crm:customer-detail": ["customer"],
        "crm:interaction-start": ["customer"],
        "crm:interaction-verify": ["customer"],
        "crm:interaction-send-code": ["customer"],
        "crm:interaction-end": ["customer"],
        "crm:reveal": ["customer"],
        "crm:order-detail": ["order"],
        "crm:order-advance": ["order"],
        "crm:order-reject": ["order"],
        "crm:order-cancel": ["order"],
        "billing:my-bill": ["bill"],
        "billing:my-invoice": ["bill"],
        "billing:customer-billing": ["customer"],
        "billing:customer-bill": ["customer", "bill"],
        "billing:customer-invoice": ["customer", "bill"],
        "billing:my-instalment-payoff": ["plan"],
        "billing:customer-account-status": ["customer"],
        "billing:instalment-plan": ["plan"],
        "billing:instalment-cancel": ["plan"],
        "billing:instalment-payoff": ["plan"],
        "customer-ticket-detail": ["ticket"],
        "customer-ticket-action": ["ticket", "reply"],
        "survey-answer": ["token"],
        "ticket-attachment": ["attachment"],
        "ticket-detail": ["ticket"],
        "ticket-action": ["ticket", "note"],
        "ticket-new": ["customer"],
        "callback-complete": ["callback"],
        "training-course": ["course"],
        "training-module-complete": ["module"],
        "training-attempt-start": ["assessment"],
        "training-attempt": ["attempt"],
        "training-handout": ["handout"],
        "training-certificate-pdf": ["certificate"],
        "training-suggestion-answer": ["suggestion"],
        "crm-channels:chat-room": ["chat_token"],
        "crm-channels:chat-poll": ["chat_token"],
        "crm-channels:chat-action": ["chat_token", "end"],
        "crm-channels:help-article": ["check-balance-and-bills"],
        "crm-channels:my-agreement-pdf": ["agreement"],
        "crm-channels:desk": ["chat"],
        "crm-channels:desk-poll": ["chat"],
        "crm-channels:desk-action": ["chat", "send"],
        "crm-channels:call": ["call"],
        "crm-channels:call-action": ["call", "answer"],
        "crm-channels:staff-agreement-pdf": ["agreement"],
        "workspaces:low-score-review": ["low_score"],
        "selfservice:top-up-done": ["top_up"],
        "selfservice:service-order": ["subscribe"],
        "reports:dashboard-csv": ["tickets"],
        "reports:report-pdf": ["report"],
    }.get(name, [])
    return reverse(name, args=[samples.get(arg, arg) for arg in args])


def test_every_portal_url_answers_every_role_as_the_matrix_says(users, samples):
    names = sorted(name for _route, name in named_patterns())
    clients = {}
    for persona in PERSONAS:
        clients[persona] = Client()
        if persona != "anonymous":
            clients[persona].force_login(users[persona])

    statuses = {
        name: " ".join(
            str(clients[persona].get(url_for(name, samples)).status_code) for persona in PERSONAS
        )
        for name in names
    }

    assert set(statuses) == set(MATRIX)
    assert statuses == MATRIX


def test_the_matrix_names_no_url_twice_and_each_row_has_every_persona():
    assert all(len(row.split()) == len(PERSONAS) for row in MATRIX.values())
    assert len({name for _route, name in named_patterns()}) == len(named_patterns())


def test_anonymous_visitors_are_sent_to_sign_in_with_the_way_back(users, samples):
    """Every 302 of the anonymous column that is not a 302 for everyone is the sign-in page."""
    client = Client()
    login = reverse("login")
    redirected = {
        name
        for name, row in MATRIX.items()
        if row.split()[-1] == "302" and set(row.split()) != {"302"}
    }

    targets = {name: client.get(url_for(name, samples)) for name in redirected}

    assert {name: response.url for name, response in targets.items()} == {
        name: f"{login}?next={url_for(name, samples)}" for name in redirected
    }


def test_another_customers_objects_are_not_found(make_user, samples):
    client = Client()
    other = make_user(Role.CUSTOMER, username="someone-else")
    CustomerFactory(name="李四", user=other)
    client.force_login(other)
    own = [
        "billing:my-bill",
        "billing:my-invoice",
        "customer-ticket-detail",
        "crm-channels:chat-room",
        "crm-channels:my-agreement-pdf",
        "selfservice:top-up-done",
    ]

    statuses = {name: client.get(url_for(name, samples)).status_code for name in own}

    assert statuses == dict.fromkeys(own, 404)


def test_the_billing_desk_sees_a_customers_billing_once_the_caller_is_verified(users, samples):
    specialist = users["specialist"]
    customer = Customer.objects.get(pk=samples["customer"])
    set_service_password(customer, "135790", actor=specialist)
    interaction = start_interaction(
        channel=Channel.HOTLINE, reason="查账单", customer=customer, actor=specialist
    )
    record_verification(
        interaction,
        customer,
        method=VerificationMethod.SERVICE_PASSWORD,
        actor=specialist,
        service_password="135790",
    )
    client = Client()
    client.force_login(specialist)
    pages = [
        "billing:customer-billing",
        "billing:customer-bill",
        "billing:customer-account-status",
    ]

    assert {name: client.get(url_for(name, samples)).status_code for name in pages} == (
        dict.fromkeys(pages, 200)
    )
