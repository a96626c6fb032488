"""Masking of customer PII for display and for logs.

The helpers never return a non-empty value unmasked: a value too short for the usual layout is
masked harder, not shown.
"""

import logging
import re

MASK = "*"

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def mask_document_number(value: str) -> str:
    """Keep the first 6 (region code) and last 4 characters: ``110105********002X``."""
    length = len(value)
    if length > 10:
        return value[:6] + MASK * (length - 10) + value[-4:]
    if length > 2:
        return MASK * (length - 2) + value[-2:]
    return MASK * length


def mask_phone(value: str) -> str:
    """Mask a phone number: ``138****5678`` for a mobile number, else all but the last 4."""
    length = len(value)
    if length == 11 and value.isascii() and value.isdigit():
        return value[:3] + MASK * 4 + value[-4:]
    if length > 4:
        return MASK * (length - 4) + value[-4:]
    return MASK * length


def mask_name(value: str) -> str:
    """Keep the surname character of a Chinese name, the initials of a Latin one.

    ``"张三丰"`` gives ``"张**"``; ``"John Smith"`` gives ``"J*** S***"`` (a fixed run of
    stars, so the mask does not give away the length of each word).
    """
    name = value.strip()
    if not name:
        return ""
    if _CJK_RE.search(name):
        return name[0] + MASK * (len(name) - 1)
    return " ".join(word[0] + MASK * 3 for word in name.split())


# Anything shaped like a resident ID number or a credit code is masked, valid or not: a
# mistyped number is as personal as a correct one, and masking a lookalike costs nothing.
_PII_RE = re.compile(
    r"(?<![0-9A-Za-z])(?P<document>[0-9]{17}[0-9Xx]|[0-9A-HJ-NP-RTUWXY]{18})(?![0-9A-Za-z])"
    # Mobile numbers also come with the country code glued on (E.164 "+8613800138000", as
    # phonenumbers prints them) and grouped as "138 0013 8000"; both would slip past a bare
    # 11-digit pattern.
    r"|(?<!\d)(?P<country>(?:\+|00)?86[ -]?)?(?P<mobile>1[3-9]\d(?:[ -]?\d{4}){2})(?!\d)",
    re.ASCII,
)


def _mask_match(match: re.Match[str]) -> str:
    document = match.group("document")
    if document is not None:
        return mask_document_number(document)
    mobile = match.group("mobile").replace(" ", "").replace("-", "")
    return (match.group("country") or "") + mask_phone(mobile)


def mask_pii(text: str) -> str:
    """Mask resident ID numbers, credit codes and mobile numbers found in free text."""
    return _PII_RE.sub(_mask_match, text)


class PiiMaskingFilter(logging.Filter):
    """Mask identity document and mobile numbers in log messages.

    Install it on handlers rather than on loggers: a logger's filters do not see records that
    propagate up from its child loggers. The message, the traceback and the stack are masked:
    an exception's text often quotes the value that failed (``ValueError: bad msisdn …``).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # Arguments that do not fit the format string: leave the record alone so the
            # handler reports it through handleError, instead of raising into the caller.
            return True
        record.msg = mask_pii(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatted here, masked, and cached where every Formatter looks first.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True
