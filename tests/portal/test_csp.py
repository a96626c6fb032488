"""The Content-Security-Policy: its directives, a fresh nonce per response, the API docs page
under it, and no template or script that would need 'unsafe-inline' or 'unsafe-eval'.

The browser journeys (tests/browser/conftest.py) check the other half: that no page a journey
visits reports a violation.
"""

import re

import pytest
from django.test import Client

from tests.conftest import BASE_DIR

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
# Every directive and its sources, the nonce written as 'nonce-…'.
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce-…'"],
    "style-src": ["'self'", "'nonce-…'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        directives[name] = [NONCE.sub("'nonce-…'", source) for source in sources]
    return directives


def nonce_of(response) -> str:
    nonces = set(NONCE.findall(response["Content-Security-Policy"]))
    assert len(nonces) == 1, response["Content-Security-Policy"]
    return nonces.pop()


@pytest.mark.django_db
def test_a_page_carries_the_policy_with_every_directive():
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_POLICY


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce_the_page_uses():
    client = Client()
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")

    assert nonce_of(first) != nonce_of(second)
    # 16 random bytes, base64.
    assert len(nonce_of(first)) == 24
    assert f'nonce="{nonce_of(first)}"'.encode() in first.content
    assert f'nonce="{nonce_of(second)}"'.encode() in second.content


@pytest.mark.django_db
def test_htmx_runs_without_eval_and_writes_no_inline_style():
    response = Client().get("/accounts/login/")

    assert (
        b'<meta name="htmx-config" content=\''
        b'{"allowEval": false, "includeIndicatorStyles": false, '
        b'"attributesToSettle": ["class", "width", "height"]}'
        b"'>" in response.content
    )


@pytest.mark.django_db
def test_an_api_response_carries_the_policy_too(api_client):
    response = api_client.get("/api/v1/")

    assert policy_of(response)["default-src"] == ["'self'"]
    assert policy_of(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_api_docs_page_loads_swagger_ui_from_this_site_with_its_style_under_the_nonce(
    make_user,
):
    client = Client()
    client.force_login(make_user())

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert policy_of(page) == EXPECTED_POLICY
    html = page.content.decode()
    assert re.findall(r"<script([^>]*)>", html) == [
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"',
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js"',
        ' src="/api/docs/?script="',
    ]
    assert re.findall(r"<style([^>]*)>", html) == [f' nonce="{nonce_of(page)}"']
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle(" in script.content


# The PDF templates (WeasyPrint) keep their <style>: they are rendered to PDF only and never
# served as a page, so no browser applies the policy to them.
PDF_TEMPLATES = {
    "templates/billing/invoice.html",
    "templates/crm/agreement.html",
    "templates/reports/monthly_report.html",
    "templates/training/certificate.html",
}
# What the policy refuses in markup: an inline script (one without src and not JSON data), an
# event handler attribute, a javascript: URL, htmx's hx-on (eval), an htmx js: value, an
# inline <style> and a style="" attribute. A nonce'd <script>/<style> is allowed.
REFUSED_IN_TEMPLATES = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I
    ),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "hx-on": re.compile(r"\b(data-)?hx-on", re.I),
    "htmx js: value": re.compile(r"hx-(vals|headers|vars)=[\"']\s*(js|javascript):", re.I),
    "inline style element": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
}

TEMPLATE_COMMENT = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)


def test_no_template_holds_markup_the_policy_refuses():
    found = []
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        name = str(path.relative_to(BASE_DIR))
        if name in PDF_TEMPLATES:
            continue
        text = TEMPLATE_COMMENT.sub("", path.read_text())
        found += [
            f"{name}: {kind}" for kind, regex in REFUSED_IN_TEMPLATES.items() if regex.search(text)
        ]

    assert found == []


def test_no_site_script_evaluates_strings_or_writes_style_attributes_as_markup():
    refused = re.compile(r"\beval\(|new Function\(|setAttribute\(\s*[\"']style|\.innerHTML\s*=")
    found = [
        str(path.relative_to(BASE_DIR))
        for path in sorted((BASE_DIR / "static" / "js").glob("*.js"))
        if refused.search(path.read_text())
    ]

    assert found == []
