"""The workspaces' demo data: something for the plan recommendation and the fault queue."""

from decimal import Decimal

from billing.recommendation import recommend_plan
from complaints.models import TicketNote
from crm.models import Subscription


def test_the_demo_line_has_a_cheaper_plan_and_a_fault_has_a_diagnosis(demo_seeded):
    recommendation = recommend_plan(Subscription.objects.get(msisdn="18900000001"))

    # Three months of 200 minutes, 20 messages and 40 MB: 大众卡 5.00 + 54.30 a month,
    # 飞Young 39.00 (everything included) a month.
    assert (recommendation.current.total, recommendation.best.plan.code) == (
        Decimal("177.90"),
        "DEMO_FEIYOUNG_39",
    )
    assert (recommendation.saving, recommendation.records) == (Decimal("60.90"), 96)
    diagnosis = TicketNote.objects.get(kind="diagnosis")
    assert (diagnosis.ticket.kind, diagnosis.author.username) == ("fault", "engineer")
