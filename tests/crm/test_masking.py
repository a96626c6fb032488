"""Masking of identity numbers, phone numbers and names, on screen and in log records."""

import logging

import pytest

from crm.masking import PiiMaskingFilter, mask_document_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("91350100M000100Y43", "913501********0Y43"),
        ("G123456789012", "G12345***9012"),
        ("E12345678", "*******78"),  # 10 characters or fewer: only the last 2 are kept
        ("E1234", "***34"),
        ("AB", "**"),
        ("A", "*"),
        ("", ""),
    ],
)
def test_mask_document_number(value, masked):
    assert mask_document_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("01012345678", "010****5678"),
        ("+8613812345678", "**********5678"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳娜娜", "欧***"),
        ("John Smith", "J*** S***"),
        ("  Ann  ", "A***"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(self.format(record))


@pytest.fixture
def masked_log():
    logger = logging.getLogger("tests.crm.masking")
    handler = ListHandler()
    handler.addFilter(PiiMaskingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, handler.messages
    logger.removeHandler(handler)
    logger.propagate = True


def test_log_filter_masks_id_number_credit_code_and_mobile_number(masked_log):
    logger, messages = masked_log

    logger.warning(
        "Customer %s (USCC %s) called from %s about order 2024010112345",
        "11010519491231002x",
        "91350100M000100Y43",
        "13812345678",
    )

    assert messages == [
        "Customer 110105********002x (USCC 913501********0Y43) called from 138****5678 "
        "about order 2024010112345"
    ]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("tel:+8613812345678", "tel:+86138****5678"),
        ("tel: 138 1234 5678.", "tel: 138****5678."),
        ("tel: 138-1234-5678", "tel: 138****5678"),
        ("card 6222021234567890123", "card 6222021234567890123"),  # 19 digits: not an ID
        ("digits 123138123456789", "digits 123138123456789"),  # no mobile inside longer runs
    ],
)
def test_log_filter_masks_mobile_numbers_only_where_they_stand_alone(masked_log, text, masked):
    logger, messages = masked_log

    logger.warning(text)

    assert messages == [masked]


def test_log_filter_leaves_a_record_with_mismatched_arguments_to_the_handler():
    record = logging.LogRecord("crm", logging.WARNING, __file__, 1, "%s and %s", ("one",), None)

    assert PiiMaskingFilter().filter(record) is True
    assert (record.msg, record.args) == ("%s and %s", ("one",))
