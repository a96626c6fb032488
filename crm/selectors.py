"""Reads of the crm app, scoped to what the user may see and tuned for their pages."""

from django.db.models import Prefetch, Q, QuerySet

from crm.choices import DocumentType
from crm.models import (
    BillingAccount,
    Customer,
    IdentityVerification,
    Interaction,
    Product,
    ServiceOrder,
    ServiceOrderStep,
    Subscription,
    SubscriptionProduct,
)
from crm.validators import normalize_resident_id
from portal.roles import Role

# Staff roles that work with customer records; tech support sees customers through tickets.
CUSTOMER_STAFF_PERMISSION = "crm.view_customer"


def customers_for(user) -> QuerySet[Customer]:
    """Customers the user may open: staff with the view permission see all, a customer only
    their own record, everyone else none."""
    if not user.is_authenticated:
        return Customer.objects.none()
    if user.has_perm(CUSTOMER_STAFF_PERMISSION):
        return Customer.objects.all()
    return Customer.objects.filter(user=user)


def subscriptions_for(user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(customer__in=customers_for(user)).select_related(
        "customer", "billing_account"
    )


def billing_accounts_for(user) -> QuerySet[BillingAccount]:
    return BillingAccount.objects.filter(customer__in=customers_for(user)).select_related(
        "customer"
    )


def orders_for(user) -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.filter(customer__in=customers_for(user)).select_related(
        "customer", "subscription", "product", "new_owner", "created_by"
    )


def interactions_for(user) -> QuerySet[Interaction]:
    """Staff see every interaction of the customers they may open; customers see their own."""
    if not user.is_authenticated:
        return Interaction.objects.none()
    return Interaction.objects.filter(
        Q(customer__in=customers_for(user)) | Q(staff=user)
    ).select_related("customer", "staff", "service_order")


def open_interaction_with(user, customer: Customer) -> Interaction | None:
    """The user's own open contact with this customer, the latest if several.

    The user's own contacts are always in their scope (``interactions_for``), so the scope's
    subquery over every customer they may open is left out: with 100,000 customers it cost
    more than the rest of the customer page's queries together.
    """
    if not user.is_authenticated:
        return None
    return (
        Interaction.objects.filter(staff=user, customer=customer, ended_at__isnull=True)
        .select_related("customer", "staff", "service_order")
        .order_by("-started_at")
        .first()
    )


def order_detail(user, pk: int) -> ServiceOrder:
    """One order the user may see, with its step history and who made each step."""
    steps = ServiceOrderStep.objects.select_related("actor").order_by("created_at", "pk")
    return orders_for(user).prefetch_related(Prefetch("steps", queryset=steps)).get(pk=pk)


def verifications_for(user) -> QuerySet[IdentityVerification]:
    """Verifications recorded in interactions the user may see."""
    return IdentityVerification.objects.filter(
        interaction__in=interactions_for(user)
    ).select_related("interaction", "customer", "performed_by")


def catalog(*, on_day=None) -> QuerySet[Product]:
    products = Product.objects.select_related("mobile_terms").prefetch_related("components")
    if on_day is not None:
        products = products.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_day), valid_from__lte=on_day
        )
    return products


def find_customers(user, query: str) -> QuerySet[Customer]:
    """Search by mobile number (contact phone or a line), customer number or ID number."""
    compact = "".join((query or "").split())
    if not compact:
        return Customer.objects.none()
    scope = customers_for(user)
    digits = compact.lstrip("+")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    matches = (
        Q(customer_number=compact)
        | Q(document_number=normalize_resident_id(compact))
        | Q(contact_phone=digits)
        | Q(subscriptions__msisdn=digits)
        | Q(subscriptions__fixed_number=digits)
    )
    return scope.filter(matches).distinct()


def customer_overview(user, pk: int) -> Customer:
    """One customer with lines (and their products), accounts, recent orders and contacts."""
    live_products = SubscriptionProduct.objects.select_related("product").order_by("effective_from")
    return (
        customers_for(user)
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.order_by("kind", "activated_on").prefetch_related(
                    Prefetch("products", queryset=live_products)
                ),
            ),
            "billing_accounts",
            Prefetch(
                "orders",
                queryset=ServiceOrder.objects.select_related("product", "subscription").order_by(
                    "-created_at"
                )[:20],
                to_attr="recent_orders",
            ),
            Prefetch(
                "interactions",
                queryset=Interaction.objects.select_related("staff").order_by("-started_at")[:20],
                to_attr="recent_interactions",
            ),
        )
        .get(pk=pk)
    )


def is_customer_user(user) -> bool:
    return user.is_authenticated and user.has_role(Role.CUSTOMER)


# --- The staff workspaces' search box -------------------------------------------------------


def customers_by_phone(user, number: str) -> QuerySet[Customer]:
    """Customers whose contact phone, mobile line or fixed line is ``number``: each part read
    off its own index, in one query."""
    matches = (
        Customer.objects.filter(contact_phone=number)
        .order_by()
        .values("pk")
        .union(
            Subscription.objects.filter(msisdn=number).order_by().values("customer_id"),
            Subscription.objects.filter(fixed_number=number).order_by().values("customer_id"),
        )
    )
    return customers_for(user).filter(pk__in=matches)


def customers_by_document(user, number: str) -> QuerySet[Customer]:
    """Customers with this identity document number, of any document type (the unique index
    on (type, number) serves the lookup)."""
    return customers_for(user).filter(
        document_type__in=DocumentType.values, document_number=normalize_resident_id(number)
    )


def order_by_number(user, number: str) -> ServiceOrder | None:
    return orders_for(user).filter(number=number.strip().upper()).first()
