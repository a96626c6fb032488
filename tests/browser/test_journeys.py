"""Each role's main journey in a real browser, on the demo data (``seed_demo``).

A customer tops up and downloads an invoice; a specialist verifies a caller and opens a fault
ticket, an engineer resolves it and the customer answers the survey link; a coordinator handles
a breached complaint; a sales advisor sells a plan change; a supervisor opens the dashboard.
Every journey saves its screenshots (``tests/browser/conftest.py``).
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from billing.models import Bill, PrepaidBalance
from complaints import tasks
from complaints.choices import SurveyStatus, TicketKind, TicketStatus
from complaints.models import Survey, Ticket
from complaints.services import open_ticket
from crm.choices import Channel, OrderKind, OrderStatus
from crm.demo import DEMO_CUSTOMERS
from crm.models import Customer, ServiceOrder, Subscription
from portal.models import OutboundSms
from tests.browser.conftest import PHONE, screenshot

# Serialized rollback: the tariff catalog and other data migrations survive each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "demo-pass-2026"
CUSTOMER1_MOBILE = "18900000001"


@pytest.fixture
def demo():
    """The demo data every journey starts from (last month already billed: a bill, an invoice)."""
    call_command("seed_demo", "--no-progress", verbosity=0)


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def open_action(page, name: str) -> None:
    """Unfold a ticket action's form (they sit in <details>, the first one open)."""
    page.locator(f"details:has(#{name}-form)").evaluate("details => { details.open = true; }")


def test_a_customer_tops_up_and_downloads_an_invoice(page, demo):
    sign_in(page, CUSTOMER1_MOBILE)
    assert page.url.endswith("/my/")
    screenshot(page, "customer-1-overview")
    balance = PrepaidBalance.objects.get(account__customer__user__username="customer1")

    page.click("#customer-menu [data-menu=top-up]")
    page.fill("#id_amount", "100")
    screenshot(page, "customer-2-top-up")
    page.click("#top-up-submit")
    page.wait_for_url(re.compile(r"/my/top-up/\d+/$"))
    screenshot(page, "customer-3-top-up-done")
    balance_after = PrepaidBalance.objects.get(pk=balance.pk)

    page.click("#customer-menu [data-menu=billing]")
    bill = Bill.objects.get(subscription__msisdn=CUSTOMER1_MOBILE)
    page.locator(f"a[href$='/my/billing/bills/{bill.pk}/']").first.click()
    screenshot(page, "customer-4-bill")
    with page.expect_download() as download_info:
        page.locator("a[href$='invoice.pdf']").first.click()
    invoice = download_info.value

    # The online offer "top up 100, get 10" applied: 100 paid plus 10 bonus.
    assert balance_after.balance - balance.balance == Decimal("110.00")
    assert invoice.suggested_filename.endswith(".pdf")
    assert Path(invoice.path()).read_bytes()[:5] == b"%PDF-"


def test_a_customer_overview_fits_a_phone_screen(browser_context, demo):
    page = browser_context.new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, CUSTOMER1_MOBILE)
    screenshot(page, "customer-phone-overview")

    page_width = page.evaluate("document.documentElement.scrollWidth")

    # Nothing makes the whole page scroll sideways on a 390 px screen.
    assert page_width <= PHONE["width"]


def test_a_fault_from_the_call_to_the_survey(browser_context, demo):
    """A specialist verifies the caller and opens a fault ticket, an engineer resolves it, and
    the customer answers the satisfaction survey from the SMS link without signing in."""
    specialist = browser_context.new_page()
    sign_in(specialist, "specialist")
    specialist.fill("#id_workspace_q", CUSTOMER1_MOBILE)
    specialist.click("#workspace-search-button")
    specialist.wait_for_url(re.compile(r"/workspace/customers/\d+/$"))
    specialist.fill("#start_form_reason", "手机在家中信号很差，经常断线")
    specialist.locator("#start-form button[type=submit]").click()
    specialist.wait_for_load_state()
    specialist.check("#verification-form input[name=method][value=service_password]")
    specialist.fill("#verification-form input[name=service_password]", "123456")
    screenshot(specialist, "specialist-1-verify-caller")
    specialist.locator("#verification-form button[type=submit]").click()
    specialist.wait_for_load_state()
    verified = specialist.locator("#current-interaction [data-verification]").get_attribute(
        "data-verification"
    )
    screenshot(specialist, "specialist-2-customer-360")

    specialist.click("#new-ticket")
    specialist.select_option("#ticket-form select[name=kind]", "fault")
    specialist.select_option("#ticket-form select[name=category]", "mobile_signal")
    line = Subscription.objects.get(msisdn=CUSTOMER1_MOBILE)
    specialist.select_option("#ticket-form select[name=subscription]", str(line.pk))
    specialist.fill("#ticket-form input[name=subject]", "家中室内手机信号弱")
    specialist.fill(
        "#ticket-form textarea[name=description]", "客厅和卧室只有一格信号，通话经常中断。"
    )
    specialist.locator("#ticket-form button[type=submit]").click()
    specialist.wait_for_url(re.compile(r"/workspace/tickets/\d+/$"))
    screenshot(specialist, "specialist-3-fault-ticket")
    ticket = Ticket.objects.get(subject="家中室内手机信号弱")

    engineer = browser_context.browser.new_context(
        base_url=browser_context_base_url(specialist), locale="zh-CN"
    ).new_page()
    sign_in(engineer, "engineer")
    engineer.goto("/workspace/tech-support/faults/")
    screenshot(engineer, "engineer-1-fault-queue")
    engineer.click(f"a:text-is('{ticket.number}')")
    engineer.locator("#take-form button[type=submit]").click()
    engineer.wait_for_load_state()
    engineer.locator("#start-form button[type=submit]").click()
    engineer.wait_for_load_state()
    open_action(engineer, "diagnose")
    engineer.select_option("#diagnose-form select[name=fault_location]", "radio")
    engineer.fill("#diagnose-form textarea[name=body]", "基站扇区天线下倾角偏大，室内覆盖不足。")
    engineer.locator("#diagnose-form button[type=submit]").click()
    engineer.wait_for_load_state()
    open_action(engineer, "resolve")
    engineer.fill(
        "#resolve-form textarea[name=resolution]", "已调整基站天线，室内信号恢复到三格以上。"
    )
    screenshot(engineer, "engineer-2-resolve")
    engineer.locator("#resolve-form button[type=submit]").click()
    engineer.wait_for_load_state()
    ticket.refresh_from_db()

    # The survey goes out when due (the beat job's work, done here at once): an SMS with a link.
    survey = Survey.objects.get(ticket=ticket)
    Survey.objects.filter(pk=survey.pk).update(send_after=timezone.now())
    tasks.send_survey(survey.pk)
    sms = OutboundSms.objects.filter(msisdn=CUSTOMER1_MOBILE).latest("created_at")
    link = re.search(r"https?://\S+/survey/\S+/", sms.body).group(0)
    customer = browser_context.browser.new_context(
        base_url=browser_context_base_url(specialist), locale="zh-CN", viewport=PHONE
    ).new_page()
    customer.goto(re.sub(r"^https?://[^/]+", "", link))
    customer.check("input[name=score][value='5']")
    customer.check("input[name=resolved][value='yes']")
    customer.fill("textarea[name=comment]", "处理很快，谢谢！")
    screenshot(customer, "survey-1-answer")
    customer.locator("main form button[type=submit]").click()
    customer.wait_for_load_state()
    screenshot(customer, "survey-2-thanks")
    survey.refresh_from_db()

    assert verified == "verified"
    assert (ticket.kind, ticket.queue, ticket.status) == (
        TicketKind.FAULT,
        "tech_support",
        TicketStatus.RESOLVED,
    )
    assert (survey.status, survey.score, survey.resolved) == (SurveyStatus.ANSWERED, 5, True)


def browser_context_base_url(page) -> str:
    return re.match(r"https?://[^/]+", page.url).group(0)


def test_a_coordinator_handles_a_breached_complaint(page, demo):
    # A complaint taken by a specialist yesterday: it went to the coordinators' queue and has
    # just missed its deadlines, so the escalation board shows it as breached.
    specialist = get_user_model().objects.get(username="specialist")
    customer = Customer.objects.get(user__username="customer2")
    complaint = open_ticket(
        kind=TicketKind.COMPLAINT,
        category="service_quality",
        customer=customer,
        subject="多次报修仍未解决，要求投诉",
        description="上周三次报修家中宽带断线，至今没有人上门。",
        channel=Channel.HOTLINE,
        actor=specialist,
    )
    past = timezone.now() - datetime.timedelta(hours=1)
    Ticket.objects.filter(pk=complaint.pk).update(response_due_at=past, resolution_due_at=past)

    sign_in(page, "coordinator")
    page.goto("/workspace/escalations/")
    screenshot(page, "coordinator-1-escalation-board")
    breached_on_board = page.locator(f"article.breached[data-ticket='{complaint.number}']").count()
    page.locator(f"article[data-ticket='{complaint.number}'] a").first.click()
    for action in ("take", "start"):
        form = page.locator(f"#{action}-form")
        if form.count():
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()
    open_action(page, "note")
    page.fill("#note-form textarea[name=body]", "已致电客户致歉，并说明了处理进度。")
    page.check("#note-form input[name=visibility][value=customer]")
    page.locator("#note-form button[type=submit]").click()
    page.wait_for_load_state()
    open_action(page, "resolve")
    page.fill("#resolve-form textarea[name=resolution]", "已核实并改进服务流程，向客户致歉。")
    screenshot(page, "coordinator-2-resolve")
    page.locator("#resolve-form button[type=submit]").click()
    page.wait_for_load_state()
    complaint.refresh_from_db()

    assert breached_on_board
    assert (complaint.queue, complaint.status) == ("complaints", TicketStatus.RESOLVED)
    assert complaint.notes.filter(visibility="customer").count() == 2


def test_a_sales_advisor_sells_a_plan_change(page, demo):
    zhao_wei = next(spec for spec in DEMO_CUSTOMERS if spec.key == "C01")
    customer = Customer.objects.get(document_number=zhao_wei.document_number)
    line = Subscription.objects.get(msisdn=CUSTOMER1_MOBILE)
    sign_in(page, "sales")
    page.goto("/workspace/sales/recommendation/")
    page.fill("#recommendation-customer-form input[name=customer]", customer.customer_number)
    page.locator("#recommendation-customer-form button[type=submit]").click()
    page.wait_for_load_state()
    # Usage is account detail: the customer's identity document is checked at the counter first.
    page.fill("#identity-check-form input[name=id_number]", zhao_wei.document_number)
    page.fill("#identity-check-form input[name=name]", zhao_wei.name)
    page.locator("#identity-check-form button[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "sales-1-recommendation")
    page.click("#change-plan")
    page.wait_for_url(re.compile(r"/workspace/orders/new/"))
    screenshot(page, "sales-2-plan-change-order")
    page.locator("#order-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/workspace/orders/\d+/$"))
    steps = 0
    while page.locator("#advance-form").count() and steps < 10:
        page.locator("#advance-form button[type=submit]").click()
        page.wait_for_load_state()
        steps += 1
    screenshot(page, "sales-3-order-completed")
    order = ServiceOrder.objects.filter(kind=OrderKind.CHANGE_PLAN, subscription=line).latest("pk")

    assert order.status == OrderStatus.COMPLETED
    assert order.product.code != "DAZHONG"


def test_a_supervisor_opens_the_dashboard(page, demo):
    sign_in(page, "supervisor")
    assert page.url.endswith("/workspace/supervisor/")
    page.wait_for_function("() => document.querySelectorAll('canvas').length > 0")
    screenshot(page, "supervisor-1-dashboard")
    charts = page.evaluate("document.querySelectorAll('canvas').length")
    # The period filter swaps the dashboard in place (htmx) and keeps its address.
    page.click("#dashboard-presets a[data-preset=last_90_days]")
    page.wait_for_url(re.compile(r"preset=last_90_days"))
    page.wait_for_function("() => document.querySelectorAll('canvas').length > 0")
    screenshot(page, "supervisor-2-last-90-days")
    current = page.locator("#dashboard-presets a[aria-current=true]").get_attribute("data-preset")

    assert charts >= 5
    assert current == "last_90_days"
