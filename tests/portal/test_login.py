"""Signing in and out through the real login form, with brute-force lockout (django-axes)."""

from django.conf import settings
from django.urls import reverse

from portal.roles import Role

PASSWORD = "correct-horse-battery"


def test_staff_member_signs_in_and_lands_in_their_workspace(client, personas):
    user = personas[Role.TECH_SUPPORT]

    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [
        (reverse("home"), 302),
        (reverse("workspace-tech-support"), 302),
    ]
    assert response.context["user"] == user


def test_wrong_password_shows_a_form_error_and_signs_nobody_in(client, personas):
    user = personas[Role.CUSTOMER]

    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["请输入一个正确的用户名和密码。注意，两者都区分大小写。"]
    }
    assert not response.context["user"].is_authenticated


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, personas):
    user = personas[Role.CUSTOMER]
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "guess"})

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert not client.session.get("_auth_user_id")


def test_sign_out_needs_a_post_and_returns_to_sign_in(client, personas):
    client.force_login(personas[Role.SALES_ADVISOR])

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302
