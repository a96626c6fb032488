"""Each role signs in and sees only its own portal section; other sections refuse it."""

import re

import pytest
from django.urls import reverse

from portal.roles import ROLE_SPECS, ROLES, Role

NAV_ROLE = re.compile(r'data-role="([^"]+)"')


def nav_roles(response) -> set[str]:
    return set(NAV_ROLE.findall(response.content.decode()))


@pytest.mark.parametrize("role", list(Role))
def test_role_lands_on_its_own_section_and_sees_only_its_navigation(client, personas, role):
    client.force_login(personas[role])

    landing = client.get(reverse("home"))
    page = client.get(landing.url)

    assert landing.status_code == 302
    assert landing.url == reverse(ROLE_SPECS[role].url_name)
    assert page.status_code == 200
    assert nav_roles(page) == {role.value}


@pytest.mark.parametrize("role", list(Role))
def test_role_is_refused_every_other_section(client, personas, role):
    client.force_login(personas[role])

    statuses = {
        spec.role: client.get(reverse(spec.url_name)).status_code
        for spec in ROLES
        if spec.role != role
    }

    assert statuses == {spec.role: 403 for spec in ROLES if spec.role != role}


def test_user_without_role_sees_no_sections_and_is_told_why(client, personas):
    client.force_login(personas["outsider"])

    response = client.get(reverse("home"))

    assert response.status_code == 403
    assert nav_roles(response) == set()
    assert "portal/no_role.html" in [t.name for t in response.templates]


def test_anonymous_visitor_is_sent_to_sign_in(client):
    urls = [reverse("home")] + [reverse(spec.url_name) for spec in ROLES]

    redirects = {url: client.get(url) for url in urls}

    assert {url: r.status_code for url, r in redirects.items()} == {url: 302 for url in urls}
    assert {r.url for r in redirects.values()} == {f"{reverse('login')}?next={url}" for url in urls}


def test_superuser_sees_administration_link(client, make_user):
    admin = make_user(None, username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.get(reverse("workspace-supervisor"))

    assert response.status_code == 200
    assert "admin" in nav_roles(response)


def test_the_navigation_shell_costs_three_queries(client, personas, django_assert_num_queries):
    client.force_login(personas[Role.SERVICE_SPECIALIST])
    # A page with nothing but the shell (the customer search before a search): 1 the session (in
    # the database, never only in the cache), 2 user, 3 their permissions, own and by group (the
    # roles, hence the navigation, follow from them). Each landing page's own panels are counted
    # with the page (tests/workspaces/test_landing_pages.py, tests/reports/).
    with django_assert_num_queries(3):
        response = client.get(reverse("crm:customer-search"))
    assert response.status_code == 200
