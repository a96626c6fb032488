import ast
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

import portal.web
from portal.errors import DomainError
from portal.web import (
    DOMAIN_ERRORS,
    add_service_error,
    error_message,
    no_cache,
    no_cache_varying_on_htmx,
    page_number,
)


class LineForm(forms.Form):
    msisdn = forms.CharField()


def test_the_page_kit_imports_only_django_and_the_error_base():
    tree = ast.parse(Path(portal.web.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {name for name in imported if name.split(".")[0] != "django"} == {"portal.errors"}


def test_a_page_catches_every_domain_error_and_malformed_input():
    class LineError(DomainError):
        pass

    assert (DomainError, ValidationError) == DOMAIN_ERRORS
    assert isinstance(LineError("taken", "Taken."), DOMAIN_ERRORS)


def test_a_refusal_naming_a_field_lands_on_that_field_through_the_map():
    form = LineForm(data={"msisdn": "13800000000"})
    form.is_valid()
    add_service_error(
        form, DomainError("taken", "Number taken.", field="number"), {"number": "msisdn"}
    )
    assert form.errors == {"msisdn": ["Number taken."]}


def test_a_refusal_naming_an_unknown_field_lands_on_the_form():
    form = LineForm(data={"msisdn": "13800000000"})
    form.is_valid()
    add_service_error(form, ValidationError({"elsewhere": "Wrong."}))
    assert form.errors == {"__all__": ["Wrong."]}


def test_a_refusal_reads_as_one_line():
    assert error_message(DomainError("taken", "Number taken.")) == "Number taken."
    assert error_message(ValidationError(["Too long.", "Not digits."])) == "Too long. Not digits."


def test_the_page_asked_for_defaults_to_the_first():
    factory = RequestFactory()
    assert page_number(factory.get("/", {"page": "3"})) == "3"
    assert page_number(factory.get("/", {"page": ""})) == "1"
    assert page_number(factory.get("/", {"bills": "2"}), "bills") == "2"


def test_pages_are_never_cached_and_htmx_blocks_vary_on_the_htmx_headers():
    plain = no_cache(HttpResponse())
    block = no_cache_varying_on_htmx(HttpResponse())
    assert plain["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert not plain.has_header("Vary")
    assert block["Cache-Control"] == plain["Cache-Control"]
    assert block["Vary"] == "HX-Request, HX-Target"
