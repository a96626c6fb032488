"""The supervisor's dashboard page: figures, date filters, htmx partial, exports, reports."""

import datetime

import pytest
from django.urls import reverse

from portal.roles import Role
from reports.models import DailyRollup, RolledUpDay
from tests.reports.factories import today


@pytest.fixture
def supervisor_client(client, personas):
    client.force_login(personas[Role.SUPERVISOR])
    return client


def test_dashboard_shows_the_hand_checked_month(supervisor_client, october):
    response = supervisor_client.get(
        reverse("workspace-supervisor"), {"start": "2026-10-01", "end": "2026-10-31"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["dashboard"].summary.tickets_opened == 5
    assert '<article data-figure="sla_rate"><small>服务时限达标率</small><p>60.0%</p></article>' in body
    assert 'id="chart-tickets"' in body
    assert "vendor/chartjs/chart.umd.js" in body
