"""Fixtures of the workspace tests: the staff personas by role."""

import pytest

from portal.roles import Role

EN = {"accept-language": "en"}
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results", "accept-language": "en"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def specialist(personas):
    return personas[Role.SERVICE_SPECIALIST]


@pytest.fixture
def engineer(personas):
    return personas[Role.TECH_SUPPORT]


@pytest.fixture
def coordinator(personas):
    return personas[Role.COMPLAINT_COORDINATOR]


@pytest.fixture
def sales(personas):
    return personas[Role.SALES_ADVISOR]


@pytest.fixture
def supervisor(personas):
    return personas[Role.SUPERVISOR]


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
