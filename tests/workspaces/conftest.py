"""Fixtures and helpers of the workspace tests (the staff personas by role come from
``tests/conftest.py``)."""

import pytest

EN = {"accept-language": "en"}
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results", "accept-language": "en"}


@pytest.fixture(autouse=True)
def _media_in_tmp(media_in_tmp):
    """Every workspace test stores its files under its own tmp_path."""


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
