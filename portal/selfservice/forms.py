"""Forms of the customer self-service portal. Choices (lines, plans, offers) are read once by
the page and handed in, so a form never queries on its own."""

import uuid

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from crm.choices import SubscriptionKind
from portal.selfservice.choices import PreferenceField
from portal.selfservice.logins import as_mobile_number


class PhoneOrUsernameLoginForm(AuthenticationForm):
    """Staff type their username, customers one of their mobile numbers. A number is put in
    its 11-digit form first, so django-axes counts failures per number however it was typed."""

    def clean_username(self):
        typed = (self.cleaned_data.get("username") or "").strip()
        return as_mobile_number(typed) or typed


class ResetRequestForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("One of your mobile numbers, or the contact number we have for you."),
    )

    def clean_phone(self):
        msisdn = as_mobile_number(self.cleaned_data["phone"])
        if msisdn is None:
            raise forms.ValidationError(
                _("Enter a valid mainland China mobile number, e.g. 13800138000."), code="invalid"
            )
        return msisdn


class ResetConfirmForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    code = forms.RegexField(
        label=_("Code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        return cleaned


def _line_label(line) -> str:
    return f"{SubscriptionKind(line.kind).label} {line.msisdn or line.service_label}"


class TopUpForm(forms.Form):
    """Pay into one of the customer's accounts. ``idempotency_key`` is new on every render of
    the page: submitting the same rendered form twice pays once."""

    account = forms.TypedChoiceField(label=_("Account"), coerce=int)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    promotion = forms.ChoiceField(
        label=_("Offer"),
        required=False,
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, accounts, offers, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        self.fields["account"].choices = [
            (account.pk, account.account_number) for account in accounts
        ]
        if len(accounts) == 1:
            self.fields["account"].initial = accounts[0].pk
        self.fields["promotion"].choices = [("", _("The best offer for my top-up"))] + [
            (offer.code, offer.name) for offer in offers
        ]

    def clean_account(self):
        return self.accounts[self.cleaned_data["account"]]


class LineProductForm(forms.Form):
    """One line and one product: subscribe, unsubscribe or change plan."""

    subscription = forms.TypedChoiceField(label=_("Line"), coerce=int)
    product = forms.TypedChoiceField(label=_("Product"), coerce=int)

    def __init__(self, *args, lines, products, product_widget=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {line.pk: line for line in lines}
        self.products = {product.pk: product for product in products}
        self.fields["subscription"].choices = [(line.pk, _line_label(line)) for line in lines]
        self.fields["product"].choices = [(p.pk, p.name) for p in products]
        if product_widget is not None:
            self.fields["product"].widget = product_widget
            self.fields["product"].widget.choices = self.fields["product"].choices

    def clean_subscription(self):
        return self.lines[self.cleaned_data["subscription"]]

    def clean_product(self):
        return self.products[self.cleaned_data["product"]]


class PrivacyForm(forms.Form):
    marketing_sms = forms.BooleanField(
        label=PreferenceField.MARKETING_SMS.label,
        required=False,
        help_text=_("Offers and promotions by SMS. Off unless you turn it on."),
    )
    notices_by_sms = forms.BooleanField(
        label=PreferenceField.NOTICES_BY_SMS.label,
        required=False,
        help_text=_(
            "Fraud warnings, planned maintenance and announcements. They also show on your "
            "overview page."
        ),
    )
    messages_by_email = forms.BooleanField(
        label=PreferenceField.MESSAGES_BY_EMAIL.label,
        required=False,
        help_text=_("A copy by e-mail of what we text you about your account and tickets."),
    )
