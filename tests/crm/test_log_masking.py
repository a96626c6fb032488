"""The configured console log handler masks ID and phone numbers in every record it writes."""

import io
import logging

import pytest

from crm.masking import PiiMaskingFilter


@pytest.fixture
def console_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return handler


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("crm.services", logging.INFO, __file__, 1, msg, args, None)


def test_console_handler_carries_the_pii_filter_last(console_handler):
    # Last, so that it masks the final message (portal.log_filters may add to it).
    assert type(console_handler.filters[-1]) is PiiMaskingFilter


def test_console_handler_masks_id_and_phone_in_the_arguments(console_handler):
    entry = record("caller %s gave ID %s", "13812345678", "11010519491231002X")

    passed = console_handler.filter(entry)

    assert passed is True or passed is entry  # a bool before Python 3.12, the record after
    assert entry.getMessage() == "caller 138****5678 gave ID 110105********002X"


def test_console_handler_masks_numbers_written_into_the_message(console_handler):
    entry = record("new contact +86 139 1234 5678 for credit code 91350100M000100Y43")

    console_handler.filter(entry)

    assert entry.getMessage() == "new contact +86 139****5678 for credit code 913501********0Y43"


def test_console_handler_writes_the_masked_line(console_handler):
    buffer = io.StringIO()
    previous = console_handler.setStream(buffer)
    try:
        console_handler.handle(record("SMS to %s sent", "18900000001"))
    finally:
        console_handler.setStream(previous)

    assert buffer.getvalue().endswith(" INFO crm.services SMS to 189****0001 sent\n")
