"""Forms of the billing commerce pages: they check the shape of the input; the services
(``billing.points``, ``billing.instalments``) decide the rest, and their refusals are put on the
form that asked (``portal.web.add_service_error``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.instalments import offered_terms
from billing.models import Device
from crm.choices import SubscriptionKind, SubscriptionStatus
from crm.forms import UnechoedTextInput
from crm.models import Customer, Subscription


class LineField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subscription) -> str:
        return f"{SubscriptionKind(obj.kind).label} {obj.service_label}"


def live_lines(customer: Customer, *, mobile_only: bool = False):
    lines = (
        Subscription.objects.filter(customer=customer)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .order_by("kind", "activated_on", "pk")
    )
    if mobile_only:
        lines = lines.filter(kind=SubscriptionKind.MOBILE)
    return lines


class RedeemForm(forms.Form):
    """Spend points on one offer; a value-added service needs the line it is for.

    ``lines`` (the customer's live mobile lines) is read once by the page for all its offers'
    forms, not once per form.
    """

    promotion = forms.SlugField(widget=forms.HiddenInput)
    subscription = forms.TypedChoiceField(
        label=_("For line"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, lines: list[Subscription], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {line.pk: line for line in lines}
        self.fields["subscription"].choices = [("", "---------")] + [
            (line.pk, f"{SubscriptionKind(line.kind).label} {line.service_label}") for line in lines
        ]

    def clean_subscription(self) -> Subscription | None:
        value = self.cleaned_data["subscription"]
        return self.lines.get(value) if value is not None else None


class ConfirmForm(forms.Form):
    """A button that needs no input (pay off a plan)."""


class CancelPlanForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (device returned)"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. returned unopened within 7 days")}),
    )


class IdentityCheckForm(forms.Form):
    """The sales advisor checks the customer's identity document at the counter."""

    id_number = forms.CharField(
        label=_("Document number"),
        max_length=32,
        widget=UnechoedTextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, widget=UnechoedTextInput(attrs={"autocomplete": "off"})
    )


class DeviceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Device) -> str:
        return f"{obj.brand} {obj.name} · ¥{obj.price}"


class InstalmentSaleForm(forms.Form):
    device = DeviceField(label=_("Device"), queryset=Device.objects.none())
    months = forms.TypedChoiceField(label=_("Months"), coerce=int, choices=())
    down_payment = forms.CharField(
        label=_("Down payment (CNY)"),
        max_length=20,
        initial="0",
        help_text=_("Paid at the counter; the rest is financed."),
    )
    subscription = LineField(
        label=_("For line"), queryset=Subscription.objects.none(), required=False
    )
    promotion = forms.SlugField(
        label=_("Group purchase offer code"),
        required=False,
        help_text=_("Leave empty: the best offer the customer is eligible for applies."),
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.filter(is_active=True).order_by(
            "brand", "name"
        )
        self.fields["months"].choices = [
            (
                months,
                _("%(months)s months, interest-free") % {"months": months}
                if not rate
                else _("%(months)s months, %(rate)s%% a month")
                % {"months": months, "rate": format((rate * 100).normalize(), "f")},
            )
            for months, rate in offered_terms().items()
        ]
        self.fields["subscription"].queryset = live_lines(customer)
