"""Forms of the ticket pages: they check the shape of the input; the services decide the rest.

A service refuses with ``ValidationError`` (field messages) or a ``DomainError`` such as
``TicketError`` (a code, a message and maybe a field); ``add_service_error`` puts either on the
form that sent the input, so the page shows it next to the field instead of failing.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from complaints.choices import (
    CallbackOutcome,
    FaultLocation,
    NoteVisibility,
    Priority,
    ReviewAction,
    TicketCategory,
    TicketKind,
)
from complaints.permissions import QUEUE_ROLE
from crm.choices import SubscriptionStatus
from crm.forms import STAFF_CHANNELS, LineChoiceField
from crm.models import Customer
from crm.selectors import subscriptions_for
from portal.roles import Role


def customer_lines(user, customer: Customer) -> QuerySet:
    """The customer's lines a ticket may be about (terminated ones are gone)."""
    return (
        subscriptions_for(user)
        .filter(customer=customer)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .order_by("kind", "activated_on", "pk")
    )


def assignable_users(queue: str) -> QuerySet:
    """Who ``services.may_own`` a ticket of ``queue`` (its role's members and supervisors), as
    one query for the whole choice list instead of one check per user."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name__in=[QUEUE_ROLE[queue].value, Role.SUPERVISOR.value]
        )
        .distinct()
        .order_by("username")
    )


class _ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads the (short) list of staff in one plain query: Django's iterator() would open a
    server-side cursor on PostgreSQL, three round trips for a dozen names."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class StaffChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoiceIterator

    def label_from_instance(self, obj) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


# --- Opening a ticket -----------------------------------------------------------------------


class CustomerTicketForm(forms.Form):
    """A customer reports a fault, files a complaint, disputes a charge or asks a question."""

    kind = forms.ChoiceField(
        label=_("What is it about?"), choices=TicketKind.choices, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    subscription = LineChoiceField(
        label=_("Line"),
        queryset=None,
        required=False,
        empty_label=_("Not about one line"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea({"rows": 5}),
        help_text=_("Where and when it happens, and what you have already tried."),
    )
    attachment = forms.FileField(
        label=_("Photo or document (optional)"),
        required=False,
        help_text=_("A photo or screenshot (JPEG, PNG, GIF, WebP) or a PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    # Service error field -> form field.
    ERROR_FIELDS = {"file": "attachment"}

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = customer_lines(user, customer)


class StaffTicketForm(forms.Form):
    """A staff member opens a ticket for a customer (on the phone, in the hall...)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Default for the kind")), *Priority.choices],
        required=False,
        help_text=_("Fault reports start at high priority unless you choose otherwise."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    subscription = LineChoiceField(
        label=_("Line"), queryset=None, required=False, empty_label=_("Not about one line")
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea({"rows": 5}))

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = customer_lines(user, customer)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "category": data["category"],
            "priority": data["priority"] or None,
            "channel": data["channel"],
            "subscription": data["subscription"],
            "subject": data["subject"],
            "description": data["description"],
        }


# --- Staff actions on a ticket --------------------------------------------------------------


class ConfirmForm(forms.Form):
    """An action without input (take the ticket)."""


class NoteReasonForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AssignForm(forms.Form):
    assignee = StaffChoiceField(label=_("Assignee"), queryset=None)
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users(ticket.queue)


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea({"rows": 3}),
        help_text=_("The customer reads this."),
    )
    adjustment_amount = forms.DecimalField(
        label=_("Adjustment (yuan)"),
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=0,
        help_text=_("Credit to the customer's account, within your approval limit."),
    )
    adjustment_reason = forms.CharField(
        label=_("Reason for the adjustment"), max_length=300, required=False
    )

    # Service error field -> form field (the adjustment's reason comes from billing).
    ERROR_FIELDS = {"reason": "adjustment_reason"}

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        if ticket.kind != TicketKind.BILLING_DISPUTE:
            del self.fields["adjustment_amount"]
            del self.fields["adjustment_reason"]


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 3}))
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=NoteVisibility.choices,
        initial=NoteVisibility.INTERNAL,
        widget=forms.RadioSelect,
    )


# --- The customer's actions -----------------------------------------------------------------


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea({"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or document"),
        help_text=_("A photo or screenshot (JPEG, PNG, GIF, WebP) or a PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the problem not solved?"),
        max_length=300,
        widget=forms.Textarea({"rows": 2}),
    )


# --- Survey and callbacks -------------------------------------------------------------------

SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your ticket?"),
        help_text=_("1 = not at all satisfied, 5 = very satisfied."),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    resolved = forms.TypedChoiceField(
        label=_("Was your problem resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
    )


class HallVisitSurveyForm(SurveyForm):
    """The evaluation of a business-hall visit: a score and a comment (营业厅服务评价)."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our service in the business hall?"),
        help_text=_("1 = not at all satisfied, 5 = very satisfied."),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    resolved = None


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices)
    score = forms.TypedChoiceField(
        label=_("Score given (1-5)"),
        choices=[("", "—"), *SCORE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


# --- Staff workspaces -------------------------------------------------------------------------


class DiagnosisForm(forms.Form):
    """A tech-support engineer's diagnosis of a fault (always internal)."""

    fault_location = forms.ChoiceField(
        label=_("Where the fault lies"),
        choices=[("", "---------"), *FaultLocation.choices],
    )
    body = forms.CharField(
        label=_("Tests run and what they showed"),
        widget=forms.Textarea({"rows": 3}),
        max_length=4000,
    )


class LowScoreReviewForm(forms.Form):
    """A coordinator's review of a low satisfaction score."""

    action = forms.ChoiceField(
        label=_("What to do"), choices=ReviewAction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What you found and why"), widget=forms.Textarea({"rows": 2}), max_length=2000
    )
