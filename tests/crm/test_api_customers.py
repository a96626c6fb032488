"""The customers API: input errors, masking, the reveal action, the verification gate, scope."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from crm.choices import CustomerKind, DocumentType, VerificationResult
from crm.models import Customer, PiiAccessLog
from portal.roles import Role
from tests.crm.factories import CustomerFactory, EnterpriseFactory, credit_code, resident_id

EN = {"accept-language": "en"}
FULL_ID = resident_id(7)  # 310104198506150071-like, valid check digit
FULL_PHONE = "13912345678"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def new_customer_payload(**overrides):
    return {
        "kind": "individual",
        "name": "王小明",
        "document_type": "resident_id",
        "document_number": resident_id(42),
        "contact_phone": "13800138000",
        "email": "wang@example.com",
        "address": "上海市黄浦区南京东路1号",
        "segment": "standard",
        "channel": "business_hall",
        **overrides,
    }


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="王小明",
        document_number=FULL_ID,
        contact_phone=FULL_PHONE,
        service_password="246810",
    )


def start_call(client, customer) -> int:
    response = client.post(
        reverse("crm-interaction-list"),
        {"channel": "hotline", "reason": "查询余额", "customer": customer.pk},
        format="json",
    )
    assert response.status_code == 201
    return response.json()["id"]


SERVICE_PASSWORD = "246810"


def verify_by_password(client, interaction_id, customer, password=SERVICE_PASSWORD) -> str:
    response = client.post(
        reverse("crm-verification-list"),
        {
            "interaction": interaction_id,
            "customer": customer.pk,
            "method": "service_password",
            "service_password": password,
        },
        format="json",
    )
    assert response.status_code == 201
    return response.json()["result"]


# --- Creating customers: 400 with field messages ----------------------------------------------


def test_creating_a_customer_with_a_bad_id_check_digit_gives_400_on_document_number(personas):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(document_number=wrong_check_digit(resident_id(42))),
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "id_checksum",
                "detail": "The check digit of this ID number is wrong.",
                "attr": "document_number",
            }
        ],
    }
    assert Customer.objects.count() == 0


def test_creating_a_customer_with_a_bad_phone_gives_400_on_contact_phone(personas):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(contact_phone="12345678901"),
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "mobile_invalid",
                "detail": "Enter a valid mainland China mobile number, e.g. 13800138000.",
                "attr": "contact_phone",
            }
        ],
    }


def test_creating_a_customer_with_bad_id_and_bad_phone_reports_both(personas):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(
            document_number=wrong_check_digit(resident_id(42)), contact_phone="12345678901"
        ),
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "id_checksum",
                "detail": "The check digit of this ID number is wrong.",
                "attr": "document_number",
            },
            {
                "code": "mobile_invalid",
                "detail": "Enter a valid mainland China mobile number, e.g. 13800138000.",
                "attr": "contact_phone",
            },
        ],
    }


def test_a_service_password_that_is_not_six_digits_is_refused(personas):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(service_password="12ab"),
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {"code": "invalid", "detail": "Use exactly six digits.", "attr": "service_password"}
        ],
    }


def test_creating_a_customer_answers_201_masked_with_a_hashed_service_password(personas):
    adviser = personas[Role.SALES_ADVISOR]
    client = client_for(adviser)
    document = resident_id(42)

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(contact_phone="+86 138 0013 8000", service_password="135790"),
        format="json",
    )

    customer = Customer.objects.get()
    body = response.json()
    assert response.status_code == 201
    assert body == {
        "id": customer.pk,
        "customer_number": customer.customer_number,
        "kind": "individual",
        "name": "王**",
        "document_type": "resident_id",
        "document_number": document[:6] + "********" + document[-4:],
        "contact_phone": "138****8000",
        "email": "wang@example.com",
        "address": "上海市黄浦区南京东路1号",
        "segment": "standard",
        "channel": "business_hall",
        "created_at": body["created_at"],
        "account_detail_visible": False,
    }
    assert customer.document_number == document
    assert customer.contact_phone == "13800138000"
    assert customer.created_by == adviser
    assert customer.service_password.startswith("md5$")
    assert "135790" not in response.content.decode()
    assert customer.billing_accounts.count() == 1


def test_a_document_already_on_file_is_refused_on_document_number(personas, customer):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-list"),
        new_customer_payload(document_number=FULL_ID),
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "duplicate",
                "detail": "A customer with this document is already registered.",
                "attr": "document_number",
            }
        ],
    }


# --- Masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE_SPECIALIST, Role.SUPERVISOR, Role.CUSTOMER])
def test_customer_list_and_detail_never_show_the_full_id_phone_or_name(personas, role):
    user = personas[role]
    customer = CustomerFactory(
        name="王小明",
        document_number=FULL_ID,
        contact_phone=FULL_PHONE,
        user=user if role == Role.CUSTOMER else None,
    )
    client = client_for(user)

    for url in (
        reverse("crm-customer-list"),
        reverse("crm-customer-detail", args=[customer.pk]),
        reverse("crm-customer-list") + f"?q={FULL_PHONE}",
    ):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200
        assert FULL_ID not in body
        assert FULL_PHONE not in body
        assert "王小明" not in body
        assert FULL_ID[:6] + "********" + FULL_ID[-4:] in body
        assert "139****5678" in body
        assert "王**" in body


def test_an_enterprise_shows_its_name_but_a_masked_credit_code(personas):
    code = credit_code(5)
    enterprise = EnterpriseFactory(name="上海示例科技有限公司", document_number=code)
    client = client_for(personas[Role.SERVICE_SPECIALIST])

    body = client.get(reverse("crm-customer-detail", args=[enterprise.pk])).json()

    assert body["kind"] == CustomerKind.ENTERPRISE
    assert body["name"] == "上海示例科技有限公司"
    assert body["document_type"] == DocumentType.CREDIT_CODE
    assert body["document_number"] == code[:6] + "********" + code[-4:]


# --- Finding customers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [FULL_PHONE, "+86 139 1234 5678", "customer_number", FULL_ID, FULL_ID.lower()],
)
def test_q_finds_a_customer_by_phone_customer_number_or_id_number(personas, customer, query):
    CustomerFactory()
    if query == "customer_number":
        query = customer.customer_number
    client = client_for(personas[Role.SERVICE_SPECIALIST])

    response = client.get(reverse("crm-customer-list"), {"q": query})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [customer.pk]


def test_customers_filter_by_kind_and_segment(personas):
    vip = CustomerFactory(segment="vip")
    CustomerFactory()
    enterprise = EnterpriseFactory()
    client = client_for(personas[Role.SERVICE_SPECIALIST])

    vips = client.get(reverse("crm-customer-list"), {"segment": "vip"}).json()
    enterprises = client.get(reverse("crm-customer-list"), {"kind": "enterprise"}).json()

    assert [row["id"] for row in vips["results"]] == [vip.pk]
    assert [row["id"] for row in enterprises["results"]] == [enterprise.pk]


# --- Reveal -----------------------------------------------------------------------------------


def test_specialist_without_a_verified_interaction_cannot_reveal(personas, customer):
    client = client_for(personas[Role.SERVICE_SPECIALIST])
    start_call(client, customer)

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "document_number", "reason": "核对身份"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 409
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "reveal_not_allowed",
                "detail": "Verify the caller in your current interaction before revealing this.",
                "attr": None,
            }
        ],
    }
    assert FULL_ID not in response.content.decode()
    assert PiiAccessLog.objects.count() == 0


def test_specialist_with_a_failed_verification_still_cannot_reveal(personas, customer):
    client = client_for(personas[Role.SERVICE_SPECIALIST])
    call = start_call(client, customer)
    assert verify_by_password(client, call, customer, password="000000") == "failed"

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "contact_phone", "reason": "回拨", "interaction": call},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "reveal_not_allowed"
    assert PiiAccessLog.objects.count() == 0


def test_specialist_reveals_after_a_passing_verification_and_it_is_logged_once(personas, customer):
    specialist = personas[Role.SERVICE_SPECIALIST]
    client = client_for(specialist)
    call = start_call(client, customer)
    assert verify_by_password(client, call, customer) == VerificationResult.PASSED

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "document_number", "reason": "客户要求核对证件号", "interaction": call},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"field": "document_number", "value": FULL_ID}
    assert list(
        PiiAccessLog.objects.values_list("actor", "customer", "field", "reason", "interaction")
    ) == [(specialist.pk, customer.pk, "document_number", "客户要求核对证件号", call)]


def test_supervisor_reveals_without_verification_and_it_is_logged(personas, customer):
    supervisor = personas[Role.SUPERVISOR]
    client = client_for(supervisor)

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "contact_phone", "reason": "投诉回访"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"field": "contact_phone", "value": FULL_PHONE}
    assert list(
        PiiAccessLog.objects.values_list("actor", "customer", "field", "reason", "interaction")
    ) == [(supervisor.pk, customer.pk, "contact_phone", "投诉回访", None)]


def test_sales_advisor_without_the_reveal_permission_is_refused(personas, customer):
    client = client_for(personas[Role.SALES_ADVISOR])

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "document_number", "reason": "办理业务"},
        format="json",
        headers=EN,
    )

    assert response.status_code == 403
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "permission_denied",
                "detail": "You do not have permission to perform this action.",
                "attr": None,
            }
        ],
    }
    assert PiiAccessLog.objects.count() == 0


def test_reveal_needs_a_reason_and_a_known_field(personas, customer):
    client = client_for(personas[Role.SUPERVISOR])

    response = client.post(
        reverse("crm-customer-reveal", args=[customer.pk]),
        {"field": "service_password", "reason": ""},
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid_choice",
                "detail": '"service_password" is not a valid choice.',
                "attr": "field",
            },
            {"code": "blank", "detail": "This field may not be blank.", "attr": "reason"},
        ],
    }
    assert PiiAccessLog.objects.count() == 0


# --- The verification gate on account detail --------------------------------------------------


def test_account_detail_is_visible_to_a_specialist_only_after_verification(personas, customer):
    client = client_for(personas[Role.SERVICE_SPECIALIST])
    detail = reverse("crm-customer-detail", args=[customer.pk])
    call = start_call(client, customer)

    before = client.get(detail).json()["account_detail_visible"]
    verify_by_password(client, call, customer)
    after_detail = client.get(detail).json()["account_detail_visible"]
    after_list = client.get(reverse("crm-customer-list")).json()["results"]
    client.post(reverse("crm-interaction-end", args=[call]), {"outcome": "resolved"}, format="json")
    after_the_call = client.get(detail).json()["account_detail_visible"]

    assert before is False
    assert after_detail is True
    assert [(row["id"], row["account_detail_visible"]) for row in after_list] == [
        (customer.pk, True)
    ]
    assert after_the_call is False


def test_a_verification_by_another_specialist_does_not_open_the_gate(personas, make_user, customer):
    colleague = client_for(make_user(Role.SERVICE_SPECIALIST))
    verify_by_password(colleague, start_call(colleague, customer), customer)
    client = client_for(personas[Role.SERVICE_SPECIALIST])

    body = client.get(reverse("crm-customer-detail", args=[customer.pk])).json()

    assert body["account_detail_visible"] is False


def test_account_detail_is_visible_to_a_supervisor(personas, customer):
    client = client_for(personas[Role.SUPERVISOR])

    detail = client.get(reverse("crm-customer-detail", args=[customer.pk])).json()
    listed = client.get(reverse("crm-customer-list")).json()["results"]

    assert detail["account_detail_visible"] is True
    assert [row["account_detail_visible"] for row in listed] == [True]


# --- Scope and permissions --------------------------------------------------------------------


def test_a_customer_sees_only_their_own_record(personas):
    user = personas[Role.CUSTOMER]
    own = CustomerFactory(user=user)
    other = CustomerFactory()
    client = client_for(user)

    listed = client.get(reverse("crm-customer-list")).json()
    mine = client.get(reverse("crm-customer-detail", args=[own.pk]))
    theirs = client.get(reverse("crm-customer-detail", args=[other.pk]), headers=EN)

    assert listed["count"] == 1
    assert [row["id"] for row in listed["results"]] == [own.pk]
    assert listed["results"][0]["account_detail_visible"] is True
    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert theirs.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_a_customer_cannot_create_customers_or_reveal(personas):
    user = personas[Role.CUSTOMER]
    own = CustomerFactory(user=user)
    client = client_for(user)

    created = client.post(reverse("crm-customer-list"), new_customer_payload(), format="json")
    revealed = client.post(
        reverse("crm-customer-reveal", args=[own.pk]),
        {"field": "document_number", "reason": "看看"},
        format="json",
    )

    assert created.status_code == 403
    assert revealed.status_code == 403
    assert Customer.objects.count() == 1


def test_the_customer_list_needs_authentication(api_client, db):
    response = api_client.get(reverse("crm-customer-list"))

    assert response.status_code == 401


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 10])
def test_customer_list_query_count_is_constant(personas, django_assert_num_queries, count):
    specialist = personas[Role.SERVICE_SPECIALIST]
    for _ in range(count):
        CustomerFactory()
    client = client_for(get_user_model().objects.get(pk=specialist.pk))

    # 1 the user's permissions, own and by group (then cached on the user), 2 COUNT for the
    # pager, 3 the page of customers, 4 which of them passed verification in the user's open
    # interactions (account_detail_visible).
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-customer-list"))

    assert response.json()["count"] == count
