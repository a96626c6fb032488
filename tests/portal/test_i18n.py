"""Simplified Chinese by default, English on request, and compiled catalogues that match."""

import gettext

import polib
import pytest
from django.urls import reverse

from tests.conftest import BASE_DIR


def test_pages_are_in_simplified_chinese_by_default(client):
    response = client.get(reverse("login"))

    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "<h1>登录</h1>" in body


def test_browser_language_english_is_honoured(client):
    response = client.get(reverse("login"), headers={"accept-language": "en"})

    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "<h1>Sign in</h1>" in body


def test_language_switch_changes_the_language_of_later_pages(client):
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    response = client.get(reverse("login"))

    assert switched.status_code == 302
    assert "<h1>Sign in</h1>" in response.content.decode()


def test_admin_is_in_chinese_by_default(client):
    response = client.get(reverse("admin:login"))

    body = response.content.decode()
    assert '<html lang="zh-hans"' in body
    assert "Django 站点管理员" in body


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_compiled_catalogue_matches_its_source(locale):
    folder = BASE_DIR / "locale" / locale / "LC_MESSAGES"
    source = polib.pofile(str(folder / "django.po"))
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def compiled_text(entry) -> str:
        if entry.msgctxt:
            return compiled.pgettext(entry.msgctxt, entry.msgid)
        return compiled.gettext(entry.msgid)

    stale = [
        entry.msgid
        for entry in source.translated_entries()
        if not entry.msgid_plural and compiled_text(entry) != entry.msgstr
    ]

    assert stale == []


def test_chinese_catalogue_translates_every_message():
    source = polib.pofile(str(BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    assert [entry.msgid for entry in source.untranslated_entries()] == []
    assert [entry.msgid for entry in source.fuzzy_entries()] == []
