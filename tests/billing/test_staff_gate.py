"""Every staff read of billing passes the caller-verification gate: every billing API endpoint
that answers a GET, walked as each staff role, before and after the caller is verified.

The endpoints are found in the URL resolver (every ``/api/v1/`` pattern whose view lives in the
billing app), so a new endpoint fails ``test_the_table_names_every_billing_read`` until its row
is written here. The rows are the specification, not something derived from the views.

Reading a row: the statuses of specialist, engineer, coordinator, sales advisor and supervisor
with no verified caller, then the same five once each of them verified the customer in their
own open interaction; then how many access-log rows one unverified supervisor request writes.
403 is either a role without the endpoint's permissions or ``verification_required``; the
verification refusals are the 403s of the first half that turn to 200 in the second.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.choices import TopUpChannel
from billing.models import Bill, InstalmentPlan
from billing.services import top_up
from crm.choices import PiiField
from crm.models import PiiAccessLog
from portal.roles import Role
from tests.billing.factories import CdrImportFactory, DeviceFactory, PromotionFactory
from tests.billing.test_bill_pages import verify_caller
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

STAFF = (
    Role.SERVICE_SPECIALIST,
    Role.TECH_SUPPORT,
    Role.COMPLAINT_COORDINATOR,
    Role.SALES_ADVISOR,
    Role.SUPERVISOR,
)
ALL = "200 200 200 200 200"
SUPERVISOR_ONLY = "403 403 403 403 200"
NOBODY = "403 403 403 403 403"

# URL name -> (unverified, verified, access-log rows of one unverified supervisor request).
TABLE: dict[str, tuple[str, str, int]] = {
    # Account detail: the gate for everyone who holds the read permissions.
    "billing-top-up-list": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "billing-top-up-detail": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "billing-bill-list": (SUPERVISOR_ONLY, "200 403 200 403 200", 1),
    "billing-bill-detail": (SUPERVISOR_ONLY, "200 403 200 403 200", 1),
    "billing-bill-records": (SUPERVISOR_ONLY, "200 403 200 403 200", 1),
    "billing-bill-invoice": (SUPERVISOR_ONLY, "200 403 200 403 200", 1),
    # Balances with their ledger entries: sales advisors do not read the ledger.
    "billing-balance-list": (SUPERVISOR_ONLY, "200 403 200 403 200", 1),
    "points-list": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "points-entries": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "points-redemption-list": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "instalment-plan-list": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    # A plan sold by someone else (the seller's own plans are theirs to follow).
    "instalment-plan-detail": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    "account-status-list": (SUPERVISOR_ONLY, "200 403 200 200 200", 1),
    # Rated usage re-priced: whoever reads usage records, behind the gate.
    "plan-recommendation-list": (SUPERVISOR_ONLY, ALL, 1),
    # The seller's pre-sale check: every condition, amounts only once the seller verified the
    # customer (``instalments.check_credit_purchase``), and verification is one of them.
    "instalment-plan-eligibility": ("403 403 403 200 403", "403 403 403 200 403", 0),
    # Not a customer's account: the import batches (supervisors), offers and devices on sale.
    "billing-cdr-import-list": (SUPERVISOR_ONLY, SUPERVISOR_ONLY, 0),
    "billing-cdr-import-detail": (SUPERVISOR_ONLY, SUPERVISOR_ONLY, 0),
    "billing-promotion-list": (ALL, ALL, 0),
    "billing-promotion-detail": (ALL, ALL, 0),
    "billing-device-list": (ALL, ALL, 0),
    "billing-device-detail": (ALL, ALL, 0),
}

# The billing pages (``billing:`` URL names), the same way. A customer's billing as staff see
# it is for the billing desk (specialists, coordinators, supervisors); a plan's page for its
# seller, and for supervisors behind the gate (logged); the sample plan was sold by another
# advisor (404 for the sales persona); ``my/...`` pages are the customer's own.
CUSTOMER_PAGE = (SUPERVISOR_ONLY, "200 403 200 403 200", 1)
SALES_PLAN_PAGE = ("403 403 403 404 200", "403 403 403 404 200", 1)
PAGES: dict[str, tuple[str, str, int]] = {
    "billing:customer-billing": CUSTOMER_PAGE,
    "billing:customer-bill": CUSTOMER_PAGE,
    "billing:customer-invoice": CUSTOMER_PAGE,
    "billing:customer-account-status": CUSTOMER_PAGE,
    "billing:instalment-plan": SALES_PLAN_PAGE,
    "billing:instalment-cancel": SALES_PLAN_PAGE,
    "billing:instalment-payoff": SALES_PLAN_PAGE,
    # What the advisor sold (supervisors: every sale), and the sale itself (advisors).
    "billing:instalment-sales": ("403 403 403 200 200", "403 403 403 200 200", 0),
    "billing:instalment-sale": ("403 403 403 200 403", "403 403 403 200 403", 0),
    "billing:invoice-check": (ALL, ALL, 0),
    "billing:my-billing": (NOBODY, NOBODY, 0),
    "billing:my-bill": (NOBODY, NOBODY, 0),
    "billing:my-invoice": (NOBODY, NOBODY, 0),
    "billing:my-points": (NOBODY, NOBODY, 0),
    "billing:my-points-redeem": (NOBODY, NOBODY, 0),
    "billing:my-instalments": (NOBODY, NOBODY, 0),
    "billing:my-instalment-payoff": (NOBODY, NOBODY, 0),
    "billing:my-account-status": (NOBODY, NOBODY, 0),
}

# Lists of one customer's records: staff who name nobody are told to (400 on ``customer``).
ONE_CUSTOMER_LISTS = (
    "billing-top-up-list",
    "billing-bill-list",
    "billing-balance-list",
    "points-list",
    "points-entries",
    "points-redemption-list",
    "instalment-plan-list",
    "account-status-list",
)


def billing_api_reads() -> dict[str, str]:
    """URL name -> route of every ``/api/v1/`` pattern whose view is billing's and takes a GET."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                yield prefix + str(entry.pattern), entry

    reads = {}
    for route, pattern in walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/v1/") or view is None:
            continue
        if not view.__module__.startswith("billing."):
            continue
        actions = getattr(pattern.callback, "actions", None)
        methods = set(actions) if actions is not None else set(view.http_method_names)
        if "get" in methods:
            reads.setdefault(pattern.name, route)
    return reads


@pytest.fixture
def samples(personas, make_user):
    customer = CustomerFactory(name="王小明", user=personas[Role.CUSTOMER])
    line = MobileLineFactory(customer=customer, msisdn=mobile_number(57_000_001))
    account = line.billing_account
    paid = top_up(
        account,
        amount="100.00",
        channel=TopUpChannel.ONLINE,
        idempotency_key="gate-sample",
        actor=personas[Role.CUSTOMER],
    ).top_up
    bill = Bill.objects.create(
        subscription=line,
        period=timezone.localdate().replace(day=1),
        total="58.00",
        verification_code="GATE000001",
    )
    device = DeviceFactory(code="GATE-PHONE")
    plan = InstalmentPlan.objects.create(
        number="IP20261201008888",
        customer=customer,
        account=account,
        subscription=line,
        device=device,
        device_price="1999.00",
        financed_amount="1999.00",
        months=12,
        purchased_on=timezone.localdate(),
        seller=make_user(Role.SALES_ADVISOR, username="another-seller"),
    )
    return {
        "customer": customer,
        "line": line,
        "top_up": paid,
        "bill": bill,
        "plan": plan,
        "cdr_import": CdrImportFactory(),
        "promotion": PromotionFactory(code="gate-offer"),
        "device": device,
    }


def billing_pages() -> set[str]:
    """Every URL name of the ``billing`` namespace (the billing app's pages)."""
    return {
        f"billing:{name}"
        for name in get_resolver().namespace_dict["billing"][1].reverse_dict
        if isinstance(name, str)
    }


def page_url(name: str, samples: dict) -> str:
    customer, bill, plan = samples["customer"].pk, samples["bill"].pk, samples["plan"].pk
    args = {
        "billing:customer-billing": [customer],
        "billing:customer-bill": [customer, bill],
        "billing:customer-invoice": [customer, bill],
        "billing:customer-account-status": [customer],
        "billing:instalment-plan": [plan],
        "billing:instalment-cancel": [plan],
        "billing:instalment-payoff": [plan],
        "billing:my-bill": [bill],
        "billing:my-invoice": [bill],
        "billing:my-instalment-payoff": [plan],
    }.get(name, [])
    return reverse(name, args=args)


def url_for(name: str, samples: dict) -> str:
    if name.startswith("billing:"):
        return page_url(name, samples)
    customer = f"?customer={samples['customer'].pk}"
    by_name = {
        "billing-top-up-detail": ([samples["top_up"].pk], ""),
        "billing-bill-detail": ([samples["bill"].pk], ""),
        "billing-bill-records": ([samples["bill"].pk], ""),
        "billing-bill-invoice": ([samples["bill"].pk], ""),
        "instalment-plan-detail": ([samples["plan"].pk], ""),
        "billing-cdr-import-detail": ([samples["cdr_import"].pk], ""),
        "billing-promotion-detail": ([samples["promotion"].code], ""),
        "billing-device-detail": ([samples["device"].code], ""),
        "billing-cdr-import-list": ([], ""),
        "billing-promotion-list": ([], ""),
        "billing-device-list": ([], ""),
        "plan-recommendation-list": ([], f"?subscription={samples['line'].pk}"),
    }
    args, query = by_name.get(name, ([], customer))
    return reverse(name, args=args) + query


def walk(personas, samples, table) -> tuple[dict[str, str], dict[str, int]]:
    """Each endpoint's statuses for the five staff roles, and the log rows of each request
    of the supervisor."""
    clients = {}
    for role in STAFF:
        if table is PAGES:
            clients[role] = Client()
            clients[role].force_login(personas[role])
        else:
            clients[role] = APIClient()
            clients[role].force_authenticate(personas[role])
    statuses, supervisor_logs = {}, {}
    for name in sorted(table):
        row = []
        for role in STAFF:
            before = PiiAccessLog.objects.count()
            row.append(str(clients[role].get(url_for(name, samples)).status_code))
            written = PiiAccessLog.objects.count() - before
            if role == Role.SUPERVISOR:
                supervisor_logs[name] = written
            else:
                assert written == 0, (name, role)
        statuses[name] = " ".join(row)
    return statuses, supervisor_logs


def test_the_table_names_every_billing_read():
    assert set(TABLE) == set(billing_api_reads())
    assert set(PAGES) == billing_pages()
    assert all(
        len(row.split()) == len(STAFF)
        for table in (TABLE, PAGES)
        for rows in table.values()
        for row in rows[:2]
    )


@pytest.mark.parametrize("table", [TABLE, PAGES], ids=["api", "pages"])
def test_unverified_staff_get_what_the_table_says_and_each_supervisor_look_is_logged_once(
    personas, samples, table
):
    statuses, supervisor_logs = walk(personas, samples, table)

    assert statuses == {name: rows[0] for name, rows in table.items()}
    assert supervisor_logs == {name: rows[2] for name, rows in table.items()}
    assert set(
        PiiAccessLog.objects.values_list("actor__username", "customer", "field", "interaction")
    ) == {
        (personas[Role.SUPERVISOR].username, samples["customer"].pk, PiiField.ACCOUNT_DETAIL, None)
    }


@pytest.mark.parametrize("table", [TABLE, PAGES], ids=["api", "pages"])
def test_verified_staff_get_what_the_table_says_and_nothing_is_logged(personas, samples, table):
    for role in STAFF:
        verify_caller(personas[role], samples["customer"])

    statuses, supervisor_logs = walk(personas, samples, table)

    assert statuses == {name: rows[1] for name, rows in table.items()}
    assert supervisor_logs == dict.fromkeys(table, 0)
    assert PiiAccessLog.objects.count() == 0


def test_the_refusals_of_unverified_staff_with_the_permissions_say_verify_the_caller(
    personas, samples
):
    refusals = {}
    for name, (unverified, verified, _logs) in TABLE.items():
        for role, before, after in zip(STAFF, unverified.split(), verified.split(), strict=True):
            if (before, after) != ("403", "200"):
                continue
            client = APIClient()
            client.force_authenticate(personas[role])
            response = client.get(url_for(name, samples))
            refusals[(name, role)] = response.json()["errors"][0]["code"]

    assert set(refusals.values()) == {"verification_required"}
    # Every account-detail endpoint refuses at least the specialist.
    assert {name for name, role in refusals if role == Role.SERVICE_SPECIALIST} == {
        name for name, rows in TABLE.items() if rows[2] == 1
    }


@pytest.mark.parametrize("name", ONE_CUSTOMER_LISTS)
def test_staff_who_name_no_customer_are_told_to_and_nothing_is_logged(personas, samples, name):
    client = APIClient()
    client.force_authenticate(personas[Role.SUPERVISOR])

    response = client.get(reverse(name), headers={"accept-language": "en"})

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("customer", "required")]
    assert PiiAccessLog.objects.count() == 0


def test_a_customer_lists_and_reads_only_their_own_top_ups(personas, samples):
    stranger = CustomerFactory()
    theirs = top_up(
        stranger.billing_accounts.get(),
        amount="20.00",
        channel=TopUpChannel.ONLINE,
        actor=stranger.created_by,
    ).top_up
    client = APIClient()
    client.force_authenticate(personas[Role.CUSTOMER])
    own = samples["top_up"]

    listed = client.get(reverse("billing-top-up-list")).json()
    detail = client.get(reverse("billing-top-up-detail", args=[own.pk]))
    other = client.get(reverse("billing-top-up-detail", args=[theirs.pk]))
    # A customer's ``customer`` parameter names nobody else: it is not a staff look-up.
    named = client.get(reverse("billing-top-up-list") + f"?customer={stranger.pk}").json()

    assert [(row["id"], row["balance_after"]) for row in listed["results"]] == [(own.pk, "100.00")]
    assert (detail.status_code, detail.json()["balance_after"]) == (200, "100.00")
    assert other.status_code == 404
    assert [row["id"] for row in named["results"]] == [own.pk]
    assert PiiAccessLog.objects.count() == 0


def test_staff_see_the_top_ups_of_the_customer_they_name_only(personas, samples):
    specialist = personas[Role.SERVICE_SPECIALIST]
    stranger = CustomerFactory()
    top_up(
        stranger.billing_accounts.get(),
        amount="20.00",
        channel=TopUpChannel.ONLINE,
        actor=stranger.created_by,
    )
    verify_caller(specialist, samples["customer"])
    client = APIClient()
    client.force_authenticate(specialist)

    own = client.get(url_for("billing-top-up-list", samples)).json()
    other = client.get(reverse("billing-top-up-list") + f"?customer={stranger.pk}")

    assert [(row["id"], row["balance_after"]) for row in own["results"]] == [
        (samples["top_up"].pk, "100.00")
    ]
    assert other.status_code == 403
