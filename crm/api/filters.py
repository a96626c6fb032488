"""Query filters of the crm API; every filter narrows a queryset that is already scoped."""

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters

from crm.choices import (
    Channel,
    CustomerKind,
    OrderKind,
    OrderStatus,
    ProductKind,
    Segment,
    SubscriptionKind,
    SubscriptionStatus,
    VerificationResult,
)
from crm.models import (
    BillingAccount,
    Customer,
    IdentityVerification,
    Interaction,
    Product,
    ServiceOrder,
    Subscription,
)
from crm.selectors import catalog, find_customers
from crm.validators import normalize_mobile_number
from portal.api.filtering import IdFilter


class CustomerFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=CustomerKind.choices)
    segment = filters.ChoiceFilter(choices=Segment.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    q = filters.CharFilter(
        method="search",
        label="Mobile number (contact phone or a line), customer number or ID number, exact.",
    )

    class Meta:
        model = Customer
        fields = ["kind", "segment", "channel", "q"]

    def search(self, queryset, name, value):
        # The search rules live in the selector; the subquery keeps the other filters and the
        # page's ordering.
        return queryset.filter(pk__in=find_customers(self.request.user, value).values("pk"))


class BillingAccountFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = BillingAccount
        fields = ["customer"]


class SubscriptionFilter(filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    kind = filters.ChoiceFilter(choices=SubscriptionKind.choices)
    status = filters.ChoiceFilter(choices=SubscriptionStatus.choices)
    msisdn = filters.CharFilter(
        method="filter_msisdn",
        label="The full mobile number, exact (a +86 prefix and spaces are accepted).",
    )

    class Meta:
        model = Subscription
        fields = ["customer", "kind", "status", "msisdn"]

    def filter_msisdn(self, queryset, name, value):
        try:
            number = normalize_mobile_number(value)
        except ValidationError:
            return queryset.none()
        return queryset.filter(msisdn=number)


class ProductFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ProductKind.choices)
    available_on = filters.DateFilter(
        method="filter_available_on", label="Only products on sale on this day."
    )
    is_demo = filters.BooleanFilter()

    class Meta:
        model = Product
        fields = ["kind", "available_on", "is_demo"]

    def filter_available_on(self, queryset, name, value):
        return queryset.filter(pk__in=catalog(on_day=value).values("pk"))


class ServiceOrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    kind = filters.ChoiceFilter(choices=OrderKind.choices)
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = ServiceOrder
        fields = ["status", "kind", "customer"]


class InteractionFilter(filters.FilterSet):
    channel = filters.ChoiceFilter(choices=Channel.choices)
    customer = IdFilter(field_name="customer_id")
    open = filters.BooleanFilter(
        field_name="ended_at", lookup_expr="isnull", label="Still open (not ended)."
    )
    staff = IdFilter(field_name="staff_id", label="Id of the staff member.")

    class Meta:
        model = Interaction
        fields = ["channel", "customer", "open", "staff"]


class VerificationFilter(filters.FilterSet):
    interaction = IdFilter(field_name="interaction_id")
    customer = IdFilter(field_name="customer_id")
    result = filters.ChoiceFilter(choices=VerificationResult.choices)

    class Meta:
        model = IdentityVerification
        fields = ["interaction", "customer", "result"]
