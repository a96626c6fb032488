"""Tariff-rule texts for readers: the rule a bill line or usage record was priced by, in words.

Rating (``billing.rating.PlanRates``) and the bill run (``billing.bill_run._plan_rules``,
``_fee_rule``) stamp each record with a compact, language-neutral rule text such as
``DAZHONG voice_out_local 0.20/min`` or ``DAZHONG: sms 0.10 each; 100 included``. That text
is the audit record and stays as written (the API and the admin show it). Pages and invoices
show it through ``describe_tariff_rule``, which puts each phrase those two writers produce into
the active language; product codes and anything unknown are left as they are.
"""

import re

from django.utils.translation import gettext_lazy

from billing.choices import VOICE_EVENTS, UsageEventType

_NUMBER = r"\d+(?:\.\d+)?"
# Longest first: ``voice_in_roaming`` before ``voice_in``.
_VOICE_EVENTS = "|".join(sorted((event.value for event in VOICE_EVENTS), key=len, reverse=True))


# (pattern, phrase) in the order they are tried: the longer phrases of the same words first.
# A phrase is filled with the pattern's named groups; ``event`` becomes the event's label.
_PHRASE_PATTERNS = [
    (
        rf"(?P<event>{_VOICE_EVENTS}) (?P<rate>{_NUMBER})/min",
        gettext_lazy("%(event)s %(rate)s yuan/min"),
    ),
    (r"per started minute", gettext_lazy("each started minute charged in full")),
    (
        rf"data (?P<rate>{_NUMBER})/KB (?:per session, rounded up to the fen|ceil/session)",
        gettext_lazy("data %(rate)s yuan/KB, each session rounded up to the fen"),
    ),
    (
        rf"data re-opened (?P<rate>{_NUMBER})/KB ceil/session, no cap",
        gettext_lazy("data after re-opening %(rate)s yuan/KB, each session rounded up, no cap"),
    ),
    (
        r"(?:data )?cut-off (?:at )?(?P<kb>\d+) KB(?:/month)?",
        gettext_lazy("data cut off at %(kb)s KB a month"),
    ),
    (
        rf"after re-opening (?P<rate>{_NUMBER})/KB",
        gettext_lazy("%(rate)s yuan/KB after re-opening"),
    ),
    (
        rf"cap (?P<amount>{_NUMBER}) incl\. fees reached",
        gettext_lazy("monthly cap of %(amount)s yuan including fees reached"),
    ),
    (
        rf"cap (?P<amount>{_NUMBER}) incl\. monthly fees",
        gettext_lazy("monthly cap %(amount)s yuan including monthly fees"),
    ),
    (rf"sms (?P<rate>{_NUMBER})(?: each|/msg)", gettext_lazy("SMS %(rate)s yuan each")),
    (r"(?P<count>\d+) KB included", gettext_lazy("%(count)s KB included")),
    (r"(?P<count>\d+) min included", gettext_lazy("%(count)s minutes included")),
    (r"(?P<count>\d+) included", gettext_lazy("%(count)s messages included")),
    (
        rf"(?P<fee>{_NUMBER})/month × (?P<days>\d+)/(?P<month_days>\d+) days",
        gettext_lazy("%(fee)s yuan/month × %(days)s of %(month_days)s days"),
    ),
]
_PHRASES = [(re.compile(pattern), phrase) for pattern, phrase in _PHRASE_PATTERNS]

# A phrase already put into words is held here so that no later pattern reads it again.
_HELD = "\x00{}\x00"
_HELD_PATTERN = re.compile("\x00(\\d+)\x00")


def describe_tariff_rule(text: str) -> str:
    """``text`` (a stamped tariff rule) in the active language."""
    held: list[str] = []

    def hold(phrase):
        def replace(match: re.Match) -> str:
            values = match.groupdict()
            if "event" in values:
                values["event"] = UsageEventType(values["event"]).label
            held.append(str(phrase) % values)
            return _HELD.format(len(held) - 1)

        return replace

    for pattern, phrase in _PHRASES:
        text = pattern.sub(hold(phrase), text)
    return _HELD_PATTERN.sub(lambda match: held[int(match[1])], text)
