"""Follow-up after a resolution: the satisfaction survey, its one-time link, and callbacks.

The survey row is written with the resolution (``services.transition_ticket``). From there:

1. ``due_survey_ids`` — beat's sweep (``tasks.dispatch_due_surveys``) finds surveys whose time
   has come and hands each id to ``tasks.send_survey``. A broker outage only delays this: the
   rows wait in the database and the next sweep after the broker is back publishes them.
2. ``send_survey`` — locks the survey, and only if it is still scheduled writes the SMS/e-mail
   with a signed link and marks the survey *being sent*, in one transaction; the task then
   delivers those messages (``complaints.delivery``) with no transaction open. Duplicated
   tasks, two workers, retries and a restarted worker therefore write them exactly once, and
   the outbox's keys deliver each once. The survey is *sent* when its first message is
   delivered (``mark_survey_sent``); if none can be, a specialist calls back instead.
3. ``answer_survey`` — the customer's one answer through the link (no login). A score of 2 or
   less or "not resolved" reopens the ticket to the complaint coordinators.
4. ``create_due_callbacks`` — a survey still unanswered after the configured time becomes a
   callback (回访) in a service specialist's queue; ``complete_callback`` records its outcome.
"""

import contextlib
import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import (
    CallbackOutcome,
    CallbackStatus,
    NoteVisibility,
    NotificationStatus,
    Queue,
    ReviewAction,
    SurveyStatus,
    TicketEventKind,
    TicketStatus,
)
from complaints.error_codes import TicketErrorCode
from complaints.models import Callback, Survey, Ticket, TicketEvent
from complaints.notifications import notify_account_holder, notify_customer
from complaints.services import TicketError, add_note, pick_assignee, record_event, reopen_ticket

SIGNING_SALT = "complaints.survey"


# --- the link ---------------------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    """A signed, tamper-proof token naming the survey (its random UUID, not its id)."""
    return signing.dumps(str(survey.token), salt=SIGNING_SALT, compress=True)


def survey_url(survey: Survey) -> str:
    return settings.SITE_URL + reverse("survey-answer", args=[survey_token(survey)])


def survey_from_token(token: str) -> Survey:
    """The survey a link names; ``Survey.DoesNotExist`` for a forged, expired or unknown one."""
    max_age = datetime.timedelta(days=settings.COMPLAINTS_SURVEY_LINK_DAYS)
    try:
        value = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise Survey.DoesNotExist from exc
    return Survey.objects.select_related("ticket", "service_order").get(token=value)


# --- sending ----------------------------------------------------------------------------------


def due_survey_ids(now: datetime.datetime | None = None, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    return list(
        Survey.objects.filter(status=SurveyStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def send_survey(survey_id: int) -> list[int]:
    """Write the messages of one due survey (SMS, and e-mail when there is an address) and mark
    it *being sent*; returns their ids for the caller to deliver once this has committed (an
    empty list when the survey was already handled, so duplicates write nothing)."""
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("ticket__customer", "ticket__subscription")
        .select_related("service_order__customer", "service_order__subscription")
        .filter(pk=survey_id, status=SurveyStatus.SCHEDULED)
        .first()
    )
    if survey is None:
        return []
    if survey.service_order_id is not None:
        notifications = _order_survey_notifications(survey)
    else:
        notifications = _ticket_survey_notifications(survey)
    survey.status = SurveyStatus.SENDING
    survey.save(update_fields=["status"])
    return [notification.pk for notification in notifications]


def mark_survey_sent(survey_id: int, *, at: datetime.datetime) -> bool:
    """The first of a survey's messages was delivered: the survey is sent (once)."""
    with transaction.atomic():
        updated = Survey.objects.filter(pk=survey_id, status=SurveyStatus.SENDING).update(
            status=SurveyStatus.SENT, sent_at=at
        )
        if not updated:
            return False
        ticket = Ticket.objects.filter(surveys=survey_id).first()
        if ticket is not None:
            record_event(ticket, TicketEventKind.SURVEY, None, SurveyStatus.SENT, actor=None)
    return True


def survey_undelivered_if_no_message_left(survey_id: int) -> bool:
    """When none of a survey's messages was or may still be delivered (all failed for good or
    were not sent by the customer's choice), a specialist calls the customer back instead; a
    hall-visit evaluation is cancelled. True when this call made the change."""
    still_possible = (
        NotificationStatus.PENDING,
        NotificationStatus.SENDING,
        NotificationStatus.SENT,
    )
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .filter(pk=survey_id, status=SurveyStatus.SENDING)
            .exclude(messages__status__in=still_possible)
            .first()
        )
        if survey is None:
            return False
        if survey.ticket_id is None:
            survey.status = SurveyStatus.CANCELLED
            survey.save(update_fields=["status"])
            return True
        _open_callback(survey.ticket_id, survey=survey, now=timezone.now())
        survey.status = SurveyStatus.CALLBACK
        survey.save(update_fields=["status"])
        record_event(
            survey.ticket,
            TicketEventKind.SURVEY,
            SurveyStatus.SENDING,
            SurveyStatus.CALLBACK,
            actor=None,
            reason=_("The survey could not be delivered: a specialist calls the customer."),
        )
    return True


def _ticket_survey_notifications(survey: Survey):
    ticket = survey.ticket
    subject = _("How did we do? Ticket %(number)s") % {"number": ticket.number}
    body = _(
        "Your ticket %(number)s (%(subject)s) was resolved. Please rate our service, it takes "
        "a minute: %(url)s"
    ) % {"number": ticket.number, "subject": ticket.subject, "url": survey_url(survey)}
    return notify_customer(ticket, subject=subject, body=body, survey=survey)


# --- the evaluation of a business-hall visit (营业厅服务评价) -------------------------------------


def schedule_order_survey(order) -> Survey | None:
    """Ask the customer to evaluate the hall visit once the order's confirmation step is done;
    runs inside the order's transaction (the outbox row). One survey per order."""
    if Survey.objects.filter(service_order=order).exists():
        return None
    return Survey.objects.create(
        service_order=order,
        send_after=timezone.now()
        + datetime.timedelta(hours=settings.COMPLAINTS_ORDER_SURVEY_DELAY_HOURS),
    )


def _order_survey_notifications(survey: Survey):
    order = survey.service_order
    msisdn = order.subscription.msisdn if order.subscription_id else ""
    subject = _("How was your visit? Order %(number)s") % {"number": order.number}
    body = _(
        "Thank you for visiting our business hall (order %(number)s, %(kind)s). Please rate our "
        "service, it takes a minute: %(url)s"
    ) % {"number": order.number, "kind": order.get_kind_display(), "url": survey_url(survey)}
    return notify_account_holder(
        order.customer, subject=subject, body=body, msisdn=msisdn, survey=survey
    )


# --- answering --------------------------------------------------------------------------------


def clean_answer(score, resolved, comment: str, *, about_order: bool = False):
    errors = {}
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score is None or not 1 <= score <= 5:
        errors["score"] = ValidationError(_("Choose a score from 1 to 5."), code="invalid")
    if about_order:
        # A hall visit is rated, not "resolved".
        resolved = None
    elif resolved not in (True, False):
        errors["resolved"] = ValidationError(
            _("Tell us whether the problem was resolved."), code="required"
        )
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = ValidationError(_("Keep the comment under 2000 characters."), "max")
    if errors:
        raise ValidationError(errors)
    return score, resolved, comment


@transaction.atomic
def answer_survey(survey: Survey, *, score, resolved, comment: str = "") -> Survey:
    """Record the customer's one answer; a low score or "not resolved" reopens the ticket.
    A hall-visit evaluation is recorded only (supervisors read the scores)."""
    score, resolved, comment = clean_answer(
        score, resolved, comment, about_order=survey.service_order_id is not None
    )
    survey = (
        Survey.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=survey.pk)
    )
    # A callback may already have been opened: the customer's own answer still counts. The link
    # may also reach the customer a moment before the worker records the delivery (sending).
    if survey.status not in (SurveyStatus.SENDING, SurveyStatus.SENT, SurveyStatus.CALLBACK):
        raise TicketError(
            TicketErrorCode.SURVEY_UNAVAILABLE,
            _("This survey has already been answered or is no longer open."),
        )
    survey.status = SurveyStatus.ANSWERED
    survey.answered_at = timezone.now()
    survey.score, survey.resolved, survey.comment = score, resolved, comment
    survey.save(update_fields=["status", "answered_at", "score", "resolved", "comment"])
    if survey.ticket_id is None:
        return survey
    TicketEvent.objects.create(
        ticket=survey.ticket,
        kind=TicketEventKind.SURVEY,
        to_value=str(score),
        reason=_("resolved") if resolved else _("not resolved"),
    )
    Callback.objects.filter(survey=survey, status=CallbackStatus.OPEN).update(
        status=CallbackStatus.DONE,
        outcome=CallbackOutcome.NOT_RESOLVED if survey.is_low else CallbackOutcome.SATISFIED,
        note=_("The customer answered the survey."),
        completed_at=timezone.now(),
    )
    if survey.is_low:
        _reopen_for_review(survey.ticket, score=score, resolved=resolved)
    return survey


def _reopen_for_review(ticket: Ticket, *, score: int | None, resolved: bool | None) -> None:
    """Back to a complaint coordinator: the customer is not satisfied (客户不满意 → 复查)."""
    ticket.refresh_from_db()
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return
    if resolved is False:
        reason = _("Customer says the problem is not resolved.")
    elif score is None:
        reason = _("Customer dissatisfied at the callback.")
    else:
        reason = _("Low satisfaction score: %(score)s/5.") % {"score": score}
    # Past the reopen window it stays closed: the coordinator still sees the low score in the
    # review list.
    with contextlib.suppress(TicketError):
        reopen_ticket(ticket, actor=None, reason=reason, to_queue=Queue.COMPLAINTS)


# --- callbacks --------------------------------------------------------------------------------


def _open_callback(ticket_id: int, *, survey: Survey | None = None, now) -> Callback:
    """A callback in the first-contact queue, due ``COMPLAINTS_CALLBACK_DUE_HOURS`` from now."""
    return Callback.objects.create(
        ticket_id=ticket_id,
        survey=survey,
        assignee=pick_assignee(Queue.FIRST_CONTACT),
        due_at=now + datetime.timedelta(hours=settings.COMPLAINTS_CALLBACK_DUE_HOURS),
    )


def create_due_callbacks(now: datetime.datetime | None = None) -> int:
    """Turn surveys unanswered for too long into callbacks with a due time; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.COMPLAINTS_CALLBACK_AFTER_HOURS)
    created = 0
    with transaction.atomic():
        surveys = list(
            Survey.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=SurveyStatus.SENT, sent_at__lte=cutoff, callback__isnull=True)
            .filter(ticket__isnull=False)
            .order_by("pk")[:1000]
        )
        for survey in surveys:
            _open_callback(survey.ticket_id, survey=survey, now=now)
            created += 1
        Survey.objects.filter(pk__in=[survey.pk for survey in surveys]).update(
            status=SurveyStatus.CALLBACK
        )
    return created


@transaction.atomic
def complete_callback(
    callback: Callback, *, actor, outcome: str, score=None, note: str = ""
) -> Callback:
    """Record what the callback found; dissatisfied or unresolved reopens the ticket."""
    errors = {}
    if outcome not in CallbackOutcome.values:
        errors["outcome"] = ValidationError(_("Choose an outcome."), code="invalid")
    if score not in (None, ""):
        try:
            score = int(score)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            errors["score"] = ValidationError(_("Choose a score from 1 to 5."), code="invalid")
    else:
        score = None
    if errors:
        raise ValidationError(errors)
    callback = Callback.objects.select_for_update().select_related("ticket").get(pk=callback.pk)
    if callback.status == CallbackStatus.DONE:
        raise TicketError(TicketErrorCode.CALLBACK_DONE, _("This callback is already done."))
    callback.status = CallbackStatus.DONE
    callback.outcome, callback.score, callback.note = outcome, score, (note or "").strip()
    callback.completed_by, callback.completed_at = actor, timezone.now()
    callback.save()
    TicketEvent.objects.create(
        ticket=callback.ticket,
        kind=TicketEventKind.SURVEY,
        to_value=outcome,
        actor=actor,
        reason=_("Callback: %(outcome)s") % {"outcome": CallbackOutcome(outcome).label},
    )
    unhappy = outcome in (CallbackOutcome.NOT_RESOLVED, CallbackOutcome.DISSATISFIED) or (
        score is not None and score <= 2
    )
    if unhappy:
        _reopen_for_review(
            callback.ticket,
            score=score,
            resolved=False if outcome == CallbackOutcome.NOT_RESOLVED else None,
        )
    return callback


# --- low-score reviews ------------------------------------------------------------------------


@transaction.atomic
def review_low_score(survey: Survey, action: str, *, actor, note: str) -> Survey:
    """A complaint coordinator's review of a low score: reopen the ticket, ask a specialist to
    call the customer back, or only record a note. Every review writes an internal note and a
    history event on the ticket; the first one marks the survey reviewed."""

    errors = {}
    if action not in ReviewAction.values:
        errors["action"] = ValidationError(_("Choose what to do."), code="invalid")
    note = (note or "").strip()
    if not note:
        errors["note"] = ValidationError(_("Say what you found and why."), code="required")
    if errors:
        raise ValidationError(errors)
    survey = (
        Survey.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=survey.pk)
    )
    if survey.ticket_id is None or survey.status != SurveyStatus.ANSWERED or not survey.is_low:
        raise TicketError(
            TicketErrorCode.NOT_A_LOW_SCORE, _("Only low scores of answered surveys are reviewed.")
        )
    ticket = survey.ticket
    if action == ReviewAction.REOPEN:
        reopen_ticket(ticket, actor=actor, reason=note, to_queue=Queue.COMPLAINTS)
    elif action == ReviewAction.CALLBACK:
        if Callback.objects.filter(ticket=ticket, status=CallbackStatus.OPEN).exists():
            raise TicketError(
                TicketErrorCode.CALLBACK_OPEN,
                _("A callback for this ticket is already waiting."),
                field="action",
            )
        _open_callback(ticket.pk, now=timezone.now())
    add_note(ticket, author=actor, body=note, visibility=NoteVisibility.INTERNAL)
    record_event(ticket, TicketEventKind.REVIEW, survey.score, action, actor=actor, reason=note)
    if survey.reviewed_at is None:
        survey.reviewed_at, survey.reviewed_by = timezone.now(), actor
        survey.save(update_fields=["reviewed_at", "reviewed_by"])
    return survey
