"""Numbers people read out on the phone: prefix + local date + a zero-padded daily sequence."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import NumberSequence


def next_number(prefix: str, *, width: int = 6) -> str:
    """Allocate the next number for ``prefix`` today (Asia/Shanghai), e.g. ``TT20261125000042``.

    Safe under concurrency: the increment is a single UPDATE under the row lock; a first call
    of the day that races another one is settled by the unique (prefix, day) constraint.
    """
    day = timezone.localdate()
    with transaction.atomic():
        sequence, _created = NumberSequence.objects.get_or_create(prefix=prefix, day=day)
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + 1)
        value = NumberSequence.objects.values_list("last_value", flat=True).get(pk=sequence.pk)
    return f"{prefix}{day:%Y%m%d}{value:0{width}d}"
