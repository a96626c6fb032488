"""With the cache's Redis unreachable, signed-in pages still answer: sessions live in the database.

A real HTTP server (pytest-django's live server) and a real redis-py client pointed at a port
where nothing listens, so every cache call would fail with a refused connection; any page that
came to depend on the cache would answer 500 here.
"""

import http.client
import http.cookies
import re
import urllib.parse

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse

from portal.roles import Role
from tests.conftest import free_port
from tests.crm.factories import CustomerFactory, MobileLineFactory

PASSWORD = "correct-horse-battery"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A cookie-keeping HTTP client of the live server that follows redirects, as a browser does."""

    def __init__(self, base_url: str):
        self.address = urllib.parse.urlsplit(base_url).netloc
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> tuple[int, str, str]:
        return self._request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        status, _path, body = self.get(path)
        assert status == 200, body
        form = {"csrfmiddlewaretoken": CSRF_FIELD.search(body).group(1), **fields}
        return self._request("POST", path, urllib.parse.urlencode(form))

    def post_with_csrf_cookie(self, path: str) -> tuple[int, str, str]:
        return self._request("POST", path, "", {"X-CSRFToken": self.cookies["csrftoken"]})

    def _request(
        self, method: str, path: str, form: str | None = None, headers: dict | None = None
    ) -> tuple[int, str, str]:
        """Status, the path finally answered (after redirects) and the body."""
        while True:
            connection = http.client.HTTPConnection(self.address, timeout=10)
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            all_headers = {"Cookie": cookie, **(headers or {})}
            if form is not None:
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=form, headers=all_headers)
            response = connection.getresponse()
            body = response.read().decode()
            connection.close()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            if response.status not in {301, 302, 303}:
                return response.status, path, body
            method, path, form, headers = "GET", response.headers["Location"], None, None


@pytest.fixture
def unreachable_cache(settings, django_db_serialized_rollback):
    """The cache is Redis on a free loopback port: every call is refused at once.

    Serialized rollback keeps what the migrations loaded (role groups, the tariff catalog),
    which the live server's transactional database would otherwise flush for later tests.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    # The premise: the cache really is down for this test.
    with pytest.raises(redis.ConnectionError):
        cache.get("probe")


@pytest.fixture
def browser(live_server, unreachable_cache):
    return Browser(live_server.url)


def test_a_customer_signs_in_reads_their_portal_and_signs_out_while_the_cache_is_down(
    browser, personas
):
    user = personas[Role.CUSTOMER]
    MobileLineFactory(customer=CustomerFactory(user=user), msisdn="18900000078")

    status, landed_on, _body = browser.post_form(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert (status, landed_on) == (200, reverse("customer-home"))
    session_key = browser.cookies["sessionid"]
    assert Session.objects.filter(session_key=session_key).count() == 1

    status, _path, body = browser.get(reverse("customer-home"))
    assert status == 200
    assert "18900000078" in body

    status, landed_on, _body = browser.post_with_csrf_cookie(reverse("logout"))
    assert (status, landed_on) == (200, reverse("login"))
    assert "sessionid" not in browser.cookies
    assert Session.objects.filter(session_key=session_key).count() == 0

    status, landed_on, _body = browser.get(reverse("customer-home"))
    assert (status, landed_on) == (200, f"{reverse('login')}?next={reverse('customer-home')}")


def test_a_staff_member_signs_in_and_works_in_their_workspace_while_the_cache_is_down(
    browser, personas
):
    user = personas[Role.TECH_SUPPORT]

    status, landed_on, _body = browser.post_form(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert (status, landed_on) == (200, reverse("workspace-tech-support"))
    session_key = browser.cookies["sessionid"]
    assert Session.objects.filter(session_key=session_key).count() == 1

    status, _path, body = browser.get(reverse("workspace-tech-support"))
    assert status == 200
    assert user.username in body

    status, landed_on, _body = browser.post_with_csrf_cookie(reverse("logout"))
    assert (status, landed_on) == (200, reverse("login"))
    assert Session.objects.filter(session_key=session_key).count() == 0

    status, landed_on, _body = browser.get(reverse("workspace-tech-support"))
    assert landed_on == f"{reverse('login')}?next={reverse('workspace-tech-support')}"
