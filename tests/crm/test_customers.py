"""Registering customers: validation, numbering, masking and one record per document."""

import pytest
from django.core.exceptions import ValidationError

from crm.choices import Channel
from crm.models import BillingAccount, Customer
from crm.services import (
    clean_customer_data,
    create_customer,
    generate_customer_number,
    is_valid_customer_number,
)
from portal.roles import Role
from tests.crm.factories import credit_code, resident_id


def data(**overrides):
    fields = {
        "kind": "individual",
        "name": "李雷",
        "document_type": "resident_id",
        "document_number": resident_id(1),
        "contact_phone": "138 0013 8000",
    }
    return {**fields, **overrides}


def test_a_customer_gets_a_readable_checked_number_and_a_prepaid_account(personas):
    customer = create_customer(
        clean_customer_data(**data()), channel=Channel.HOTLINE, actor=personas[Role.SALES_ADVISOR]
    )

    account = BillingAccount.objects.get(customer=customer)
    assert is_valid_customer_number(customer.customer_number) is True
    assert customer.formatted_customer_number.replace(" ", "") == customer.customer_number
    assert account.account_number == f"A{customer.customer_number}"
    assert (customer.contact_phone, customer.channel) == ("13800138000", "hotline")


def test_customer_numbers_catch_a_mistyped_digit():
    number = generate_customer_number()
    typo = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]

    assert (is_valid_customer_number(number), is_valid_customer_number(typo)) == (True, False)


def test_identity_is_masked_by_default(db):
    customer = create_customer(clean_customer_data(**data()), channel="hotline", actor=None)

    assert customer.masked_document_number == resident_id(1)[:6] + "********" + resident_id(1)[-4:]
    assert customer.masked_contact_phone == "138****8000"
    assert customer.masked_name == "李*"
    assert str(customer) == f"{customer.customer_number} 李*"


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as invalid:
        clean_customer_data(
            **data(name=" ", document_number=resident_id(1)[:-1] + "0", contact_phone="0101234")
        )

    codes = {field: [e.code for e in errors] for field, errors in invalid.value.error_dict.items()}
    expected_checksum = "id_checksum" if resident_id(1)[-1] != "0" else "id_format"
    assert codes == {
        "name": ["required"],
        "document_number": [expected_checksum],
        "contact_phone": ["mobile_invalid"],
    }


def test_enterprises_need_a_credit_code_and_people_cannot_have_one():
    with pytest.raises(ValidationError) as enterprise_with_id:
        clean_customer_data(**data(kind="enterprise"))
    with pytest.raises(ValidationError) as person_with_code:
        clean_customer_data(**data(document_type="credit_code", document_number=credit_code(1)))
    enterprise = clean_customer_data(
        **data(kind="enterprise", document_type="credit_code", document_number=credit_code(1))
    )

    assert list(enterprise_with_id.value.error_dict) == ["document_type"]
    assert list(person_with_code.value.error_dict) == ["document_type"]
    assert enterprise.document_number == credit_code(1)


def test_the_same_document_cannot_register_twice(db):
    create_customer(clean_customer_data(**data()), channel="hotline", actor=None)

    with pytest.raises(ValidationError) as duplicate:
        create_customer(clean_customer_data(**data(name="另一人")), channel="hotline", actor=None)

    assert duplicate.value.error_dict["document_number"][0].code == "duplicate"
    assert Customer.objects.count() == 1
