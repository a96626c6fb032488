"""Default SLA targets. Faults get the shortest ones (客户服务规程: 故障优先处理原则)."""

from django.db import migrations

HOUR = 60
# kind: {priority: (respond within, resolve within) in minutes}
DEFAULT_POLICIES = {
    "fault": {
        "urgent": (15, 4 * HOUR),
        "high": (30, 8 * HOUR),
        "normal": (1 * HOUR, 24 * HOUR),
        "low": (2 * HOUR, 48 * HOUR),
    },
    "complaint": {
        "urgent": (30, 8 * HOUR),
        "high": (1 * HOUR, 24 * HOUR),
        "normal": (2 * HOUR, 48 * HOUR),
        "low": (4 * HOUR, 72 * HOUR),
    },
    "billing_dispute": {
        "urgent": (30, 8 * HOUR),
        "high": (1 * HOUR, 24 * HOUR),
        "normal": (2 * HOUR, 48 * HOUR),
        "low": (4 * HOUR, 72 * HOUR),
    },
    "inquiry": {
        "urgent": (30, 4 * HOUR),
        "high": (1 * HOUR, 8 * HOUR),
        "normal": (4 * HOUR, 24 * HOUR),
        "low": (8 * HOUR, 48 * HOUR),
    },
}


def load(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    for kind, targets in DEFAULT_POLICIES.items():
        for priority, (response, resolution) in targets.items():
            SlaPolicy.objects.update_or_create(
                kind=kind,
                priority=priority,
                defaults={"response_minutes": response, "resolution_minutes": resolution},
            )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
