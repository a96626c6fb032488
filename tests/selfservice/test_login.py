"""Customers sign in with a mobile number and their password; django-axes locks out by the
number typed (in any spelling) and the IP; staff keep signing in by username."""

import pytest
from django.conf import settings
from django.urls import reverse

from crm.choices import SubscriptionStatus
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def customer(customer_user):
    customer = CustomerFactory(user=customer_user, contact_phone="13911112222")
    MobileLineFactory(customer=customer, msisdn="18900000077")
    return customer


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_customer_signs_in_with_a_mobile_number_and_lands_on_their_overview(
    client, customer_user, customer
):
    response = sign_in(client, "189 0000 0077", follow=True)

    assert response.redirect_chain == [(reverse("home"), 302), (reverse("customer-home"), 302)]
    assert response.context["user"] == customer_user


def test_the_contact_phone_and_the_plus_86_form_sign_in_too(client, customer_user, customer):
    assert sign_in(client, "+86 139-1111-2222").status_code == 302
    assert client.session["_auth_user_id"] == str(customer_user.pk)


def test_a_wrong_password_for_a_number_signs_nobody_in(client, customer):
    response = sign_in(client, "18900000077", "wrong-password")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["请输入一个正确的用户名和密码。注意，两者都区分大小写。"]
    }
    assert "_auth_user_id" not in client.session


def test_a_terminated_line_no_longer_signs_in(client, customer):
    line = customer.subscriptions.get()
    line.status, line.terminated_on = SubscriptionStatus.TERMINATED, "2026-02-01"
    line.save()

    assert sign_in(client, "18900000077").status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_unknown_number_signs_nobody_in(client, customer):
    assert sign_in(client, "13700000000").status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_still_sign_in_by_username(client, personas):
    assert sign_in(client, personas[Role.SUPERVISOR].username).status_code == 302


def test_failures_by_number_lock_it_out_whatever_the_spelling(client, customer):
    spellings = ["18900000077", "189 0000 0077", "+8618900000077", "189-0000-0077", "18900000077"]
    for typed in spellings[: settings.AXES_FAILURE_LIMIT]:
        sign_in(client, typed, "guess")

    response = sign_in(client, "+86 189 0000 0077")

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_number_and_ip(client, customer, customer_user):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "18900000077", "guess")

    from_elsewhere = sign_in(client, "18900000077", REMOTE_ADDR="10.9.8.7")

    assert from_elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(customer_user.pk)


def test_two_logins_sharing_a_contact_number_sign_in_by_their_own_password(
    client, make_user, customer
):
    other_user = make_user(Role.CUSTOMER, username="family-member")
    other_user.set_password("another-secret-pass")
    other_user.save()
    CustomerFactory(user=other_user, contact_phone="13911112222")

    assert sign_in(client, "13911112222", "another-secret-pass").status_code == 302
    assert client.session["_auth_user_id"] == str(other_user.pk)


def test_the_sign_in_page_offers_the_password_reset(client):
    body = client.get(reverse("login")).content.decode()

    assert "手机号码或用户名" in body
    assert f'href="{reverse("password-reset")}"' in body
