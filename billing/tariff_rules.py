"""Tariff-rule texts for readers: the rule a bill line or usage record was priced by, in words.

Rating (``billing.rating.PlanRates``) and the bill run (``billing.bill_run._plan_rules``,
``_fee_rule``) stamp each record with a compact, language-neutral rule text such as
``DAZHONG voice_out_local 0.20/min`` or ``DAZHONG: sms 0.10 each; 100 included``. That text
is the audit record and stays as written (the API and the admin show it). Pages and invoices
show it through ``describe_tariff_rule``, which puts each phrase those two writers produce into
the active language; product codes and anything unknown are left as they are.
"""

import re

from django.utils.translation import gettext as _

from billing.choices import VOICE_EVENTS, UsageEventType

_NUMBER = r"\d+(?:\.\d+)?"
# Longest first: ``voice_in_roaming`` before ``voice_in``.
_VOICE_EVENTS = "|".join(sorted((event.value for event in VOICE_EVENTS), key=len, reverse=True))


def _voice(match: re.Match) -> str:
    return _("%(event)s %(rate)s yuan/min") % {
        "event": UsageEventType(match["event"]).label,
        "rate": match["rate"],
    }


# (pattern, phrase) in the order they are tried: the longer phrases of the same words first.
_PHRASES: list[tuple[re.Pattern, object]] = [
    (
        re.compile(rf"(?P<event>{_VOICE_EVENTS}) (?P<rate>{_NUMBER})/min"),
        _voice,
    ),
    (re.compile(r"per started minute"), lambda m: _("each started minute charged in full")),
    (
        re.compile(rf"data (?P<rate>{_NUMBER})/KB per session, rounded up to the fen"),
        lambda m: _("data %(rate)s yuan/KB, each session rounded up to the fen") % m.groupdict(),
    ),
    (
        re.compile(rf"data re-opened (?P<rate>{_NUMBER})/KB ceil/session, no cap"),
        lambda m: (
            _("data after re-opening %(rate)s yuan/KB, each session rounded up, no cap")
            % m.groupdict()
        ),
    ),
    (
        re.compile(rf"data (?P<rate>{_NUMBER})/KB ceil/session"),
        lambda m: _("data %(rate)s yuan/KB, each session rounded up to the fen") % m.groupdict(),
    ),
    (
        re.compile(r"data cut-off at (?P<kb>\d+) KB/month"),
        lambda m: _("data cut off at %(kb)s KB a month") % m.groupdict(),
    ),
    (
        re.compile(r"cut-off (?P<kb>\d+) KB"),
        lambda m: _("data cut off at %(kb)s KB a month") % m.groupdict(),
    ),
    (
        re.compile(rf"after re-opening (?P<rate>{_NUMBER})/KB"),
        lambda m: _("%(rate)s yuan/KB after re-opening") % m.groupdict(),
    ),
    (
        re.compile(rf"cap (?P<amount>{_NUMBER}) incl\. fees reached"),
        lambda m: _("monthly cap of %(amount)s yuan including fees reached") % m.groupdict(),
    ),
    (
        re.compile(rf"cap (?P<amount>{_NUMBER}) incl\. monthly fees"),
        lambda m: _("monthly cap %(amount)s yuan including monthly fees") % m.groupdict(),
    ),
    (
        re.compile(rf"sms (?P<rate>{_NUMBER})(?: each|/msg)"),
        lambda m: _("SMS %(rate)s yuan each") % m.groupdict(),
    ),
    (
        re.compile(r"(?P<count>\d+) KB included"),
        lambda m: _("%(count)s KB included") % m.groupdict(),
    ),
    (
        re.compile(r"(?P<count>\d+) min included"),
        lambda m: _("%(count)s minutes included") % m.groupdict(),
    ),
    (
        re.compile(r"(?P<count>\d+) included"),
        lambda m: _("%(count)s messages included") % m.groupdict(),
    ),
    (
        re.compile(
            rf"(?P<fee>{_NUMBER})/month × (?P<days>\d+)/(?P<month_days>\d+) days",
        ),
        lambda m: _("%(fee)s yuan/month × %(days)s of %(month_days)s days") % m.groupdict(),
    ),
]

# A phrase already put into words is held here so that no later pattern reads it again.
_HELD = "\x00{}\x00"
_HELD_PATTERN = re.compile("\x00(\\d+)\x00")


def describe_tariff_rule(text: str) -> str:
    """``text`` (a stamped tariff rule) in the active language."""
    held: list[str] = []

    def hold(phrase):
        def replace(match: re.Match) -> str:
            held.append(phrase(match))
            return _HELD.format(len(held) - 1)

        return replace

    for pattern, phrase in _PHRASES:
        text = pattern.sub(hold(phrase), text)
    return _HELD_PATTERN.sub(lambda match: held[int(match[1])], text)
