"""The hand-checked month of the service reports: October 2026 (Asia/Shanghai)."""

import datetime
from dataclasses import dataclass

import pytest

from billing.choices import TopUpChannel
from complaints.choices import TicketKind
from portal.roles import Role
from tests.reports.factories import (
    FEE,
    USAGE,
    answered,
    assessment,
    at,
    attempt_at,
    charge_at,
    hall_visit_answered,
    overdue,
    resolved_ticket,
    ticket_at,
    top_up_at,
)
from training.kpis import compute_monthly_kpis

OCTOBER = datetime.date(2026, 10, 1)
SEPTEMBER = datetime.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _media_in_tmp(media_in_tmp, monkeypatch):
    # Report PDFs are files: each test writes them under its own directory (a real worker
    # started by the test inherits the environment).
    monkeypatch.setenv("MEDIA_ROOT", str(media_in_tmp))


@dataclass
class Month:
    personas: dict
    assessment_a: object
    assessment_b: object

    @property
    def supervisor(self):
        return self.personas[Role.SUPERVISOR]


@pytest.fixture
def october(personas) -> Month:
    """October 2026, counted by hand:

    Tickets opened in October (Shanghai time): a fault about signal (5th) and one about data
    (6th), a complaint (10th), a billing dispute (12th), an inquiry at 23:30 on the 31st: 5.
    Not counted: an inquiry at 00:10 on 1 November, a fault opened at 23:50 on 30 September.

    Resolved in October: the September fault (1 Oct 01:00, deadline 02:00: met), the signal
    fault (6th 10:00, deadline 12:00: met), the data fault (8th, deadline 7th: late), the
    complaint (11th, deadline 12th: met). Open past deadline: the dispute (deadline 14th).
    The inquiry of the 31st is due on 2 November: not yet judged. Tech support: 2 met, 1 late
    (66.7 %); complaints: 1 met, 1 open overdue (50.0 %); all: 3 of 5 (60.0 %).

    Surveys answered: 5 (7th) and 2 (9th) in the week of 5 October, 4 (20th) and a
    business-hall visit scored 3 (21st) in the week of 19 October; the September fault's is
    answered on 2 November. 4 answers, average 3.50, 1 low, 2 satisfied.

    Top-ups: 100.00 online (3rd), 50.00 online (15th), 200.00 in the business hall (20th);
    30.00 by voucher at 00:05 on 1 November does not count. 3 top-ups, 350.00.

    Revenue of billing month October: usage 12.34 posted on the 20th, the monthly fee 58.00
    posted on 1 November by the bill run: 70.34. September's fee and usage, posted in
    October, belong to September.

    Assessments handed in: A passed (4 of 5, 80 %) and failed (2 of 5, 40 %), B passed
    (5 of 5, 100 %): 3 attempts, 2 passed (66.7 %), average 73.33.
    """
    specialist = personas[Role.SERVICE_SPECIALIST]
    engineer = personas[Role.TECH_SUPPORT]
    fault, inquiry = TicketKind.FAULT, TicketKind.INQUIRY
    coordinator = personas[Role.COMPLAINT_COORDINATOR]
    signal = resolved_ticket(
        specialist,
        engineer,
        fault,
        "mobile_signal",
        created=at(10, 5),
        resolved=at(10, 6, 10),
        deadline=at(10, 6, 12),
    )
    data = resolved_ticket(
        specialist,
        engineer,
        fault,
        "mobile_data",
        created=at(10, 6),
        resolved=at(10, 8),
        deadline=at(10, 7),
    )
    complaint = resolved_ticket(
        specialist,
        coordinator,
        TicketKind.COMPLAINT,
        "service_quality",
        created=at(10, 10),
        resolved=at(10, 11),
        deadline=at(10, 12),
    )
    dispute = ticket_at(specialist, TicketKind.BILLING_DISPUTE, "billing", at(10, 12))
    overdue(dispute, at(10, 14))
    late_inquiry = ticket_at(specialist, inquiry, "products", at(10, 31, 23, 30))
    overdue(late_inquiry, at(11, 2))
    ticket_at(specialist, inquiry, "products", at(11, 1, 0, 10))
    september = resolved_ticket(
        specialist,
        engineer,
        fault,
        "mobile_signal",
        created=at(9, 30, 23, 50),
        resolved=at(10, 1, 1),
        deadline=at(10, 1, 2),
    )

    answered(signal, 5, at(10, 7))
    answered(data, 2, at(10, 9))
    answered(complaint, 4, at(10, 20))
    hall_visit_answered(specialist, 3, at(10, 21))
    answered(september, 5, at(11, 2))

    top_up_at(specialist, "100.00", TopUpChannel.ONLINE, at(10, 3))
    top_up_at(specialist, "50.00", TopUpChannel.ONLINE, at(10, 15))
    top_up_at(specialist, "200.00", TopUpChannel.BUSINESS_HALL, at(10, 20))
    top_up_at(specialist, "30.00", TopUpChannel.VOUCHER, at(11, 1, 0, 5))

    charge_at(USAGE, "12.34", OCTOBER, at(10, 20))
    charge_at(FEE, "58.00", OCTOBER, at(11, 1, 2))
    charge_at(FEE, "58.00", SEPTEMBER, at(10, 1, 2))
    charge_at(USAGE, "5.00", SEPTEMBER, at(10, 2))

    exam_a = assessment("服务规范考核")
    exam_b = assessment("故障处理考核")
    attempt_at(exam_a, specialist, 4, at(10, 20))
    attempt_at(exam_a, engineer, 2, at(10, 20, 11))
    attempt_at(exam_b, engineer, 5, at(10, 21))

    compute_monthly_kpis(OCTOBER)
    return Month(personas=personas, assessment_a=exam_a, assessment_b=exam_b)
