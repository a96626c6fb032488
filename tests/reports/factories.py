"""Records placed in time for the service reports: made through the owning apps' services,
then moved to the moment the test needs (set-up only, like tests/training/test_kpis.py)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry, TopUp
from billing.services import post_ledger_entry, top_up
from complaints.choices import SurveyStatus, TicketStatus
from complaints.models import Survey, Ticket
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from crm.choices import OrderKind
from crm.services import create_service_order
from tests.complaints.factories import make_ticket
from tests.crm.factories import MobileLineFactory
from tests.training.factories import AssessmentFactory, CourseFactory, answers_for, true_false_bank
from training.models import Attempt
from training.services import start_attempt, submit_attempt

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def ticket_at(actor, kind, category, created, *, line=None) -> Ticket:
    """An open ticket created at ``created`` (no deadline until one is given)."""
    ticket = make_ticket(actor, kind, category=category, line=line)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created, response_due_at=None, resolution_due_at=None
    )
    ticket.refresh_from_db()
    return ticket


def resolved_ticket(opener, resolver, kind, category, *, created, resolved, deadline) -> Ticket:
    """Opened by ``opener``, resolved by ``resolver`` (of the kind's queue), placed in time."""
    ticket = make_ticket(opener, kind, category=category)
    ticket = assign_ticket(ticket, resolver, actor=resolver)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=resolver)
    ticket = resolve_ticket(ticket, actor=resolver, resolution="已处理")
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created, resolved_at=resolved, resolution_due_at=deadline
    )
    ticket.refresh_from_db()
    return ticket


def overdue(ticket: Ticket, deadline) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=deadline)


def answered(ticket: Ticket, score: int, when) -> Survey:
    Survey.objects.filter(ticket=ticket).update(
        status=SurveyStatus.ANSWERED, score=score, resolved=True, answered_at=when
    )
    return Survey.objects.get(ticket=ticket)


def hall_visit_answered(actor, score: int, when) -> Survey:
    """The evaluation of a business-hall visit (a survey about a service order)."""
    line = MobileLineFactory()
    order = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=actor
    )
    return Survey.objects.create(
        service_order=order,
        status=SurveyStatus.ANSWERED,
        send_after=when,
        sent_at=when,
        answered_at=when,
        score=score,
    )


def top_up_at(actor, amount: str, channel: str, when, *, line=None) -> TopUp:
    line = line or MobileLineFactory()
    result = top_up(line.billing_account, amount=Decimal(amount), channel=channel, actor=actor)
    TopUp.objects.filter(pk=result.top_up.pk).update(created_at=when)
    LedgerEntry.objects.filter(pk=result.top_up.ledger_entry_id).update(created_at=when)
    return result.top_up


def charge_at(kind: str, amount: str, period: datetime.date, when, *, line=None) -> LedgerEntry:
    """A monthly fee or usage charge of ``period``, posted at ``when``."""
    line = line or MobileLineFactory()
    entry = post_ledger_entry(
        line.billing_account,
        kind=kind,
        amount=-Decimal(amount),
        subscription=line,
        period=period,
    )
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


FEE = LedgerEntryKind.MONTHLY_FEE
USAGE = LedgerEntryKind.USAGE_CHARGE


def assessment(title: str, questions: int = 5):
    course = CourseFactory()
    true_false_bank(course, questions)
    return AssessmentFactory(
        course=course, title=title, question_count=questions, pass_mark=Decimal("60")
    )


def attempt_at(assessment, user, right: int, when) -> Attempt:
    """A finished attempt with ``right`` correct answers of 5, handed in at ``when``."""
    attempt = start_attempt(assessment, user=user)
    submit_attempt(attempt, user=user, answers=answers_for(attempt, right))
    attempt.refresh_from_db()
    shift = attempt.submitted_at - when
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=F("started_at") - shift,
        deadline_at=F("deadline_at") - shift,
        submitted_at=F("submitted_at") - shift,
    )
    attempt.refresh_from_db()
    return attempt


def today() -> datetime.date:
    return timezone.localdate()
