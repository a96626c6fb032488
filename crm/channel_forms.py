"""Forms of the contact-channel pages: they check the shape of the input; services decide the
rest (a refusal is put on the form by ``portal.web.add_service_error``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.choices import TicketCategory, TicketKind
from crm.channel_choices import ArticleCategory, PresenceStatus
from crm.choices import InteractionOutcome

SCORE_CHOICES = [(str(n), str(n)) for n in range(5, 0, -1)]


class ChatStartForm(forms.Form):
    topic = forms.CharField(
        label=_("What is it about?"),
        max_length=200,
        widget=forms.TextInput({"placeholder": _("e.g. my broadband is down")}),
    )


class VisitorStartForm(ChatStartForm):
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        help_text=_("We text a code to it; the number must be one of your lines or on file."),
    )


class VisitorCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("The code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has six digits.")},
    )


class ChatMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea({"rows": 2}))


class LeaveMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("We open a ticket with it and get back to you."),
    )


class ChatRateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was this chat?"),
        help_text=_("1 = poor, 5 = excellent."),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=500, widget=forms.TextInput
    )


class CannedAnswerForm(forms.Form):
    canned = forms.TypedChoiceField(label=_("Canned answer"), coerce=int, choices=())

    def __init__(self, *args, answers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned"].choices = [(answer.pk, answer.title) for answer in answers]


class ArticleSendForm(forms.Form):
    article = forms.SlugField(widget=forms.HiddenInput)


class ChatTicketForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea({"rows": 3}))


class ChatEndForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "—"), *InteractionOutcome.choices],
        required=False,
        help_text=_("A ticket or an order taken in the chat sets it by itself."),
    )


class PresenceForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PresenceStatus.choices)
    max_chats = forms.IntegerField(label=_("Chats at once"), min_value=1, max_value=10, initial=3)


class CallWrapUpForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=InteractionOutcome.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))


class CallIdentifyForm(forms.Form):
    customer_number = forms.CharField(
        label=_("Customer number"),
        max_length=20,
        help_text=_("Ten digits, as the caller reads them out."),
    )


class IvrSimulatorForm(forms.Form):
    caller = forms.CharField(
        label=_("Caller number"),
        max_length=20,
        required=False,
        help_text=_("Identifies the caller."),
    )
    keys = forms.RegexField(
        label=_("Keys pressed"),
        regex=r"^[0-9*#\-\s]*$",
        max_length=40,
        required=False,
        help_text=_('For example "3-1"; * goes back, 0 asks for a person.'),
    )


class HelpSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All")), *ArticleCategory.choices], required=False
    )


class ArticleFeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
    comment = forms.CharField(label=_("What was missing?"), required=False, max_length=500)
