"""`/api/schema/` is generated once per process for each language and format, then served as bytes.

Generations are counted by a spy around the real generator's ``get_schema``: the schema itself is
the real one. Each generation takes seconds, so the tests ask for as few as their point needs.
"""

import json
import re
import threading

import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from portal.api import schema_view
from portal.api.schema_view import CachedSpectacularAPIView, RenderedSchema, rendered_schema
from portal.roles import Role

YAML = "application/vnd.oai.openapi; charset=utf-8"
JSON = "application/vnd.oai.openapi+json"
CONTENT_TYPES = {"yaml": YAML, "json": JSON}
TITLE = "Telecom Customer-Service CRM API"


@pytest.fixture(autouse=True)
def _empty_schema_cache():
    schema_view._rendered.clear()
    yield
    schema_view._rendered.clear()


@pytest.fixture
def generations(monkeypatch):
    """The language of each real schema generation, in order."""
    generator_class = CachedSpectacularAPIView.generator_class
    real_get_schema = generator_class.get_schema
    languages = []

    def counting_get_schema(self, *args, **kwargs):
        languages.append(translation.get_language())
        return real_get_schema(self, *args, **kwargs)

    monkeypatch.setattr(generator_class, "get_schema", counting_get_schema)
    return languages


def schema(client, query="", **meta):
    return client.get(reverse("api-schema") + query, **meta)


def test_the_second_request_serves_the_same_bytes_without_generating_again(client, generations):
    first = schema(client, "?format=json")
    second = schema(client, "?format=json")

    assert generations == ["zh-hans"]
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == JSON
    assert second["Content-Disposition"] == f'inline; filename="{TITLE}.json"'
    assert second["ETag"] == first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', second["ETag"])
    assert second["Cache-Control"] == "no-cache"
    assert "/api/v1/me/" in json.loads(second.content)["paths"]


def test_each_language_and_format_is_generated_once_and_kept_apart(client, generations):
    bodies = {}
    for lang in ("zh-hans", "en"):
        for fmt in ("yaml", "json"):
            first = schema(client, f"?lang={lang}&format={fmt}")
            again = schema(client, f"?lang={lang}&format={fmt}")
            assert again.content == first.content
            assert again["Content-Type"] == first["Content-Type"] == CONTENT_TYPES[fmt]
            bodies[lang, fmt] = first.content

    assert generations == ["zh-hans", "zh-hans", "en", "en"]
    assert len(set(bodies.values())) == 4
    # The same schema in two formats, and the same structure in two languages.
    assert yaml.safe_load(bodies["en", "yaml"]) == json.loads(bodies["en", "json"])
    assert yaml.safe_load(bodies["zh-hans", "yaml"]) == json.loads(bodies["zh-hans", "json"])
    assert (
        json.loads(bodies["en", "json"])["paths"].keys()
        == json.loads(bodies["zh-hans", "json"])["paths"].keys()
    )


def test_accept_negotiation_and_the_request_language_share_the_cached_copies(client, generations):
    by_query = schema(client, "?format=json&lang=en")
    by_accept = schema(client, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    by_oai_accept = schema(client, "?lang=EN", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    default = schema(client)

    assert generations == ["en", "zh-hans"]
    # Each answer keeps its renderer's content type; the bytes of a format are one copy.
    assert by_accept["Content-Type"] == "application/json"
    assert by_oai_accept["Content-Type"] == JSON
    assert by_accept.content == by_oai_accept.content == by_query.content
    assert default["Content-Type"] == YAML
    assert yaml.safe_load(default.content)["openapi"].startswith("3.")


def test_an_unsupported_language_or_version_makes_no_copy_of_its_own(client, generations):
    default = schema(client)
    unsupported = schema(client, "?lang=fr&version=anything")
    spelt_otherwise = schema(client, "?lang=zh-Hans")

    assert generations == ["zh-hans"]
    assert unsupported.content == spelt_otherwise.content == default.content
    assert set(schema_view._rendered) == {("api/schema/", "zh-hans", None, "yaml")}


def test_a_client_holding_the_current_etag_gets_304_without_a_body(client, generations):
    first = schema(client, "?format=json")

    revalidated = schema(client, "?format=json", HTTP_IF_NONE_MATCH=first["ETag"])
    stale = schema(client, "?format=json", HTTP_IF_NONE_MATCH='"an-older-deploy"')

    assert generations == ["zh-hans"]
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated["ETag"] == first["ETag"]
    assert stale.status_code == 200
    assert stale.content == first.content


def test_who_asks_first_does_not_shape_the_schema_everyone_gets(client, make_user, generations):
    # The cache relies on SERVE_PUBLIC: the schema does not depend on the caller. Were a view's
    # schema to follow the user, a supervisor's copy would be served to anonymous callers.
    client.force_login(make_user(Role.SUPERVISOR))
    signed_in = schema(client, "?format=json")
    schema_view._rendered.clear()
    client.logout()

    anonymous = schema(client, "?format=json")

    assert len(generations) == 2
    assert anonymous.content == signed_in.content


def test_swagger_ui_loads_the_cached_schema(client, db, generations):
    page = client.get(reverse("api-docs"), {"lang": "en"})
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page.content.decode()).group(1)
    script = client.get(script_url.replace("&amp;", "&")).content.decode()
    # The template writes the URL through escapejs ("=" as \u003D): read it as a JS string.
    escaped = re.search(r'\burl: "([^"]+)"', script).group(1)
    schema_url = json.loads(f'"{escaped}"')

    # Swagger UI fetches the schema as JSON.
    loaded = client.get(schema_url, headers={"accept": "application/json,*/*"})
    again = client.get(schema_url, headers={"accept": "application/json,*/*"})

    assert schema_url == "/api/schema/?lang=en"
    assert generations == ["en"]
    assert loaded.status_code == 200
    assert loaded["Content-Type"] == "application/json"
    assert again.content == loaded.content
    assert json.loads(loaded.content)["info"]["title"] == TITLE


def test_concurrent_first_requests_for_a_key_wait_for_one_generation():
    key = ("api/schema/", "en", None, "json")
    release = threading.Event()
    generated = []

    def generate():
        generated.append(threading.current_thread().name)
        # Hold the generation open until every request has been started.
        release.wait(timeout=30)
        return RenderedSchema(content=b"{}", etag='"e"', content_disposition="inline")

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(rendered_schema(key, generate)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    assert len(generated) == 1
    assert len(results) == 8
    assert {id(result) for result in results} == {id(results[0])}
