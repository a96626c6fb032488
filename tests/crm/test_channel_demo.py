"""seed_demo's contact-channel data: made through the services, and nothing twice."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from crm.channel_choices import AgreementStatus, ChatStatus, InboundEmailStatus, NoticeStatus
from crm.channel_models import ChatSession, InboundCall, InboundEmail, Notice, ServiceAgreement

CHANNEL_MODELS = ("chatsession", "inboundcall", "inboundemail", "notice", "serviceagreement")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def seeded(demo_seeded):
    return demo_seeded


def test_demo_contacts_cover_every_channel(seeded):
    chat = ChatSession.objects.get()
    assert (chat.status, chat.rating, chat.customer.user.username) == (
        ChatStatus.ENDED,
        5,
        "customer1",
    )
    assert sorted(InboundCall.objects.values_list("call_id", "status")) == [
        ("demo-call-balance", "ended"),
        ("demo-call-fault", "ended"),
    ]
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == sorted(
        [InboundEmailStatus.AUTO_REPLY, InboundEmailStatus.NEW_CONTACT]
    )
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.PUBLISHED}
    assert Notice.objects.get(area="杭州市").audience_size == 2
    assert list(ServiceAgreement.objects.values_list("status", flat=True)) == [
        AgreementStatus.ACTIVE,
        AgreementStatus.ACTIVE,
    ]


def test_a_second_seed_creates_no_contact_record(seeded):
    counts = {name: apps.get_model("crm", name).objects.count() for name in CHANNEL_MODELS}

    output = seed()

    assert "Demo data ready: 0 rows created." in output
    assert {name: apps.get_model("crm", name).objects.count() for name in CHANNEL_MODELS} == counts
