"""Pages work under the Content-Security-Policy, and a refusal would fail the journey.

Every browser test is watched (``csp_violations`` in conftest.py); these add the pages the role
journeys do not reach: the chat on both sides with its background polling and sending, the
contact-centre console, the language menu, the Django admin and the API documentation.
"""

import re

import pytest

from crm.channel_choices import PresenceStatus
from crm.contact_centre import set_presence
from portal.roles import Role
from tests.browser.test_journeys import sign_in
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "Secret-pass-2026"


def test_an_inline_script_and_an_inline_handler_are_refused_and_reported(page, csp_violations):
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true;";
          document.head.append(script);
          document.body.insertAdjacentHTML(
            "beforeend", '<button id="handler" onclick="window.handlerRan = true">x</button>');
          document.getElementById("handler").click();
        }"""
    )
    # Two events and two console lines, delivered asynchronously.
    for _ in range(50):
        if len(csp_violations) >= 4:
            break
        page.wait_for_timeout(100)
    ran = page.evaluate("[window.inlineRan === true, window.handlerRan === true]")
    refused = sorted({report["directive"] for report in csp_violations if "directive" in report})
    # Chromium also says so on the console, once for each.
    console = [report for report in csp_violations if "console" in report]
    csp_violations.clear()

    assert ran == [False, False]
    assert refused == ["script-src-attr", "script-src-elem"]
    assert len(console) == 2


def test_the_language_menu_switches_without_an_inline_handler(page):
    page.goto("/accounts/login/")
    page.select_option("#language-select", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")

    assert page.locator("h1").inner_text() == "Sign in"


def test_a_customer_chats_with_a_specialist_from_the_console(browser_context, make_user):
    specialist_user = make_user(Role.SERVICE_SPECIALIST, username="chat-agent", password=PASSWORD)
    customer_user = make_user(Role.CUSTOMER, username="chat-customer", password=PASSWORD)
    CustomerFactory(name="王小明", user=customer_user)
    set_presence(specialist_user, PresenceStatus.AVAILABLE, max_chats=3)

    customer = browser_context.new_page()
    sign_in(customer, "chat-customer", PASSWORD)
    customer.goto("/chat/")
    customer.fill("input[name=topic]", "宽带断网")
    customer.locator("main form button[type=submit]").click()
    customer.wait_for_url(re.compile(r"/chat/[0-9a-f-]+/$"))

    specialist = browser_context.browser.new_context(
        base_url=re.match(r"https?://[^/]+", customer.url).group(0), locale="zh-CN"
    ).new_page()
    sign_in(specialist, "chat-agent", PASSWORD)
    specialist.goto("/workspace/contact-centre/")
    specialist.locator("[data-chat-offer] form button[type=submit]").click()
    specialist.wait_for_url(re.compile(r"/workspace/chats/\d+/$"))

    # chat.js sees the chat accepted and reloads the customer's page; then both sides send in
    # the background (fetch) and see each other's message by polling.
    customer.wait_for_selector("#chat[data-status=active]", timeout=20_000)
    customer.fill("#send-form textarea", "家里宽带从昨晚开始上不了网。")
    customer.locator("#send-form button[type=submit]").click()
    specialist.wait_for_selector("text=家里宽带从昨晚开始上不了网。", timeout=20_000)
    specialist.fill("#send-form textarea", "请先重启光猫和路由器。")
    specialist.locator("#send-form button[type=submit]").click()
    customer.wait_for_selector("text=请先重启光猫和路由器。", timeout=20_000)

    specialist.wait_for_selector("text=请先重启光猫和路由器。", timeout=20_000)

    assert specialist.locator("#chat [data-message] p").all_inner_texts()[-2:] == [
        "家里宽带从昨晚开始上不了网。",
        "请先重启光猫和路由器。",
    ]


def test_staff_use_the_admin_and_the_api_documentation(page, make_user):
    make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)

    page.goto("/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    page.goto("/admin/crm/customer/")
    page.goto("/admin/crm/customer/add/")
    schema = page.request.get("/api/schema/?format=json").json()
    tags = {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".swagger-ui .opblock")
    shown = page.locator(".swagger-ui .opblock-tag").all_inner_texts()
    title = page.locator(".swagger-ui .info .title").inner_text()

    assert title.startswith("Telecom Customer-Service CRM API")
    # Swagger UI draws the tags in order as the page scrolls to them: the first ones are there.
    assert shown == sorted(tags)[: len(shown)]
    assert shown[0] == "account-status"
