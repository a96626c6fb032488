"""Forms of the crm staff pages: they check the shape of the input; services decide the rest.

A service refuses with ``ValidationError`` (field messages) or ``CrmError`` (a code, a message
and maybe a field); ``add_service_error`` puts either on the form that sent the input, so the
page shows it next to the field instead of failing.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.choices import (
    Channel,
    InteractionOutcome,
    OrderKind,
    OrderStatus,
    PiiField,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    VerificationMethod,
)
from crm.models import Customer, Product, Subscription
from crm.selectors import catalog, customers_for, subscriptions_for
from crm.services import CHANGEABLE_CUSTOMER_FIELDS, is_valid_customer_number


def _customer_by_number(user, value: str) -> Customer:
    """The customer with this number among those the user may open (spaces allowed)."""
    number = "".join((value or "").split())
    if not is_valid_customer_number(number):
        raise ValidationError(
            _("A customer number has ten digits and a valid check digit."), code="invalid"
        )
    customer = customers_for(user).filter(customer_number=number).first()
    if customer is None:
        raise ValidationError(_("No customer has this number."), code="not_found")
    return customer


# --- Customers and interactions ------------------------------------------------------------


class CustomerSearchForm(forms.Form):
    # The page draws its own box (crm/_search_form.html): it is never refilled with the query.
    q = forms.CharField(label=_("Phone number, customer number or ID number"), max_length=40)


# Contacts a staff member opens themselves (the self-service portal opens its own).
STAFF_CHANNELS = [choice for choice in Channel.choices if choice[0] != Channel.WEB_PORTAL]


class StartInteractionForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    reason = forms.CharField(label=_("Reason for contact"), max_length=300)


class UnechoedTextInput(forms.TextInput):
    """A text box that is never refilled: what was typed may be the customer's full ID."""

    def format_value(self, value):
        return None


class VerificationForm(forms.Form):
    """The caller's answer; which inputs are needed depends on the method."""

    method = forms.ChoiceField(
        label=_("Method"), choices=VerificationMethod.choices, widget=forms.RadioSelect
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=32,
        required=False,
        widget=UnechoedTextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        widget=UnechoedTextInput(attrs={"autocomplete": "off"}),
    )
    service_password = forms.CharField(
        label=_("Service password"),
        max_length=6,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    sms_code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    REQUIRED_INPUTS = {
        VerificationMethod.ID_AND_NAME: ("id_number", "name"),
        VerificationMethod.SERVICE_PASSWORD: ("service_password",),
        VerificationMethod.SMS_CODE: ("sms_code",),
    }

    def clean(self):
        cleaned = super().clean()
        for field in self.REQUIRED_INPUTS.get(cleaned.get("method"), ()):
            if not cleaned.get(field):
                self.add_error(field, _("Needed for this method."))
        return cleaned

    def service_kwargs(self) -> dict[str, str]:
        method = self.cleaned_data["method"]
        answer = {field: self.cleaned_data[field] for field in self.REQUIRED_INPUTS[method]}
        return {"method": method, **answer}


class EndInteractionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=InteractionOutcome.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Field"),
        choices=[
            (PiiField.DOCUMENT_NUMBER.value, PiiField.DOCUMENT_NUMBER.label),
            (PiiField.CONTACT_PHONE.value, PiiField.CONTACT_PHONE.label),
        ],
    )
    reason = forms.CharField(label=_("Why you need the full value"), max_length=300)


# --- Orders --------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *OrderStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *OrderKind.choices], required=False
    )


class OrderCustomerForm(forms.Form):
    """First step of a new order: whose order it is."""

    customer = forms.CharField(label=_("Customer number"), max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_customer(self) -> Customer:
        return _customer_by_number(self.user, self.cleaned_data["customer"])


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subscription) -> str:
        kind = SubscriptionKind(obj.kind).label
        return f"{kind} {obj.service_label} ({SubscriptionStatus(obj.status).label})"


class ProductChoiceIterator(forms.models.ModelChoiceIterator):
    """Products in one option group per kind, kinds in the catalog's order."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list] = {}
        for product in self.queryset:
            groups.setdefault(product.kind, []).append(self.choice(product))
        for kind in ProductKind.values:
            if kind in groups:
                yield (ProductKind(kind).label, groups[kind])


class ProductChoiceField(forms.ModelChoiceField):
    iterator = ProductChoiceIterator

    def label_from_instance(self, obj: Product) -> str:
        return f"{obj.name} ({obj.code})"


class ServiceOrderForm(forms.Form):
    """Everything an order may carry; the service checks what its kind needs."""

    kind = forms.ChoiceField(label=_("Order kind"), choices=OrderKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    subscription = LineChoiceField(
        label=_("Line"),
        queryset=Subscription.objects.none(),
        required=False,
        help_text=_("For plan and service changes, transfers, cancellation and data re-opening."),
    )
    product = ProductChoiceField(
        label=_("Plan or service"),
        queryset=Product.objects.none(),
        required=False,
        help_text=_("For new lines, installations, plan changes and value-added services."),
    )
    service_number = forms.CharField(
        label=_("Service number"),
        max_length=16,
        required=False,
        help_text=_("The mobile number to open, or the fixed-line number to install."),
    )
    iccid = forms.CharField(label=_("SIM card ICCID"), max_length=20, required=False)
    installation_address = forms.CharField(
        label=_("Installation address"), max_length=300, required=False
    )
    new_owner = forms.CharField(
        label=_("New owner's customer number"),
        max_length=20,
        required=False,
        help_text=_("For ownership transfers."),
    )
    new_name = forms.CharField(label=_("New name"), max_length=200, required=False)
    new_contact_phone = forms.CharField(label=_("New contact phone"), max_length=20, required=False)
    new_email = forms.EmailField(label=_("New e-mail"), required=False)
    new_address = forms.CharField(label=_("New address"), max_length=300, required=False)
    effective_on = forms.DateField(
        label=_("Effective on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Plan changes default to the first day of next month."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))

    # Form field -> the customer field a data change order changes.
    DATA_CHANGE_FIELDS = {f"new_{field}": field for field in CHANGEABLE_CUSTOMER_FIELDS}
    # Service error field -> form field.
    ERROR_FIELDS = {field: f"new_{field}" for field in CHANGEABLE_CUSTOMER_FIELDS} | {
        "data_changes": None
    }

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer = customer
        self.fields["subscription"].queryset = (
            subscriptions_for(user)
            .filter(customer=customer)
            .exclude(status=SubscriptionStatus.TERMINATED)
            .order_by("kind", "activated_on", "pk")
        )
        # Every product, not only those on sale: a line may drop a service no longer sold.
        self.fields["product"].queryset = catalog().prefetch_related(None)

    def clean_new_owner(self) -> Customer | None:
        value = self.cleaned_data["new_owner"]
        return _customer_by_number(self.user, value) if value.strip() else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        changes = {
            field: data[form_field]
            for form_field, field in self.DATA_CHANGE_FIELDS.items()
            if data.get(form_field)
        }
        return {
            "kind": data["kind"],
            "channel": data["channel"],
            "subscription": data["subscription"],
            "product": data["product"],
            "service_number": data["service_number"].strip(),
            "iccid": data["iccid"].strip(),
            "installation_address": data["installation_address"],
            "new_owner": data["new_owner"],
            "data_changes": changes if data["kind"] == OrderKind.CUSTOMER_DATA_CHANGE else {},
            "effective_on": data["effective_on"],
            "notes": data["notes"],
        }


class OrderStepForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)


class OrderReasonForm(forms.Form):
    """Returning an order from review or cancelling it: the customer is told why."""

    reason = forms.CharField(label=_("Reason"), max_length=300)
