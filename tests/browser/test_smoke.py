"""The browser sees the site as users do: Chinese by default, styled, and the sign-in works."""

import pytest

from portal.roles import Role
from tests.browser.conftest import screenshot

# Serialized rollback: the tariff catalog and other data migrations survive each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_sign_in_page_is_chinese_styled_and_signs_a_specialist_in(page, make_user):
    make_user(Role.SERVICE_SPECIALIST, username="zhang.wei", password="Secret-pass-2026")

    page.goto("/accounts/login/")
    heading = page.locator("h1").inner_text()
    # Pico's stylesheet reached the page (served by the live server): buttons are styled.
    button_radius = page.locator("button[type=submit]").first.evaluate(
        "el => getComputedStyle(el).borderRadius"
    )
    screenshot(page, "sign-in")
    page.fill("input[name=username]", "zhang.wei")
    page.fill("input[name=password]", "Secret-pass-2026")
    page.click("form#login-form button[type=submit], main form button[type=submit]")
    page.wait_for_url("**/workspace/specialist/")

    assert heading == "登录"
    assert button_radius not in ("", "0px")
    assert page.locator("h1").inner_text() == "客户服务专员"
