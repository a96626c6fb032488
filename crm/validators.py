"""Validators and normalisers for customer identity documents and mobile numbers.

Each ``validate_*`` function is a Django validator: it returns ``None`` or raises
``ValidationError`` with a stable ``code`` from ``IdentityErrorCode``. Validators accept what
the matching ``normalize_*`` function accepts (spaces, full-width characters, a lower-case
``x``), so callers must store the normalised form, which ``validate_document`` returns.
"""

import datetime
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

from crm.error_codes import IdentityErrorCode

RESIDENT_ID_LENGTH = 18
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
CREDIT_CODE_LENGTH = 18
# GB 32100-2015 leaves out I, O, S, V and Z so that no character reads as a digit or another.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PASSPORT_MIN_LENGTH = 5
PASSPORT_MAX_LENGTH = 20

_RESIDENT_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
# Positions 1-2 (registering authority, entity type) may be letters such as "N" or "Y", which
# is why stdnum's uscc.validate (digits only there) is not used; positions 3-8 are a region code.
_CREDIT_CODE_RE = re.compile(
    rf"[{CREDIT_CODE_CHARSET}]{{2}}[0-9]{{6}}[{CREDIT_CODE_CHARSET}]{{10}}"
)
_PASSPORT_RE = re.compile(rf"[A-Za-z0-9]{{{PASSPORT_MIN_LENGTH},{PASSPORT_MAX_LENGTH}}}")
# phonenumbers turns letters into keypad digits and reads "ext." suffixes; a number typed into
# a customer record must not be silently rewritten, so only dialling characters get through.
_DIALLABLE_RE = re.compile(r"\+?[0-9 ().-]+")

MOBILE_REGION = "CN"


def _compact(value: str) -> str:
    # Chinese input methods produce full-width digits, letters and spaces; NFKC folds them to ASCII.
    return "".join(unicodedata.normalize("NFKC", value).split())


def normalize_resident_id(value: str) -> str:
    """Return the resident ID number without whitespace and with an upper-case check ``X``."""
    return _compact(value).upper()


def validate_resident_id(value: str) -> None:
    """Check a resident identity card number (GB 11643-1999): format, check digit, birth date."""
    number = normalize_resident_id(value)
    if not _RESIDENT_ID_RE.fullmatch(number):
        raise ValidationError(
            _(
                "Enter a resident ID number of %(length)d characters: "
                "17 digits followed by a digit or X."
            ),
            code=IdentityErrorCode.ID_FORMAT,
            params={"length": RESIDENT_ID_LENGTH},
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(
            _("The check digit of this ID number is wrong."),
            code=IdentityErrorCode.ID_CHECKSUM,
        )
    # Checked after the check digit: a typo usually breaks the checksum, and "wrong check digit"
    # is then the more useful message than a strange birth date.
    _validate_birth_date(number)


def _validate_birth_date(number: str) -> None:
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            _("The birth date in this ID number does not exist."),
            code=IdentityErrorCode.ID_BIRTH_DATE,
        ) from None
    if birth_date > timezone.localdate():
        raise ValidationError(
            _("The birth date in this ID number is in the future."),
            code=IdentityErrorCode.ID_BIRTH_DATE,
        )
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in this ID number is before %(earliest)s."),
            code=IdentityErrorCode.ID_BIRTH_DATE,
            params={"earliest": EARLIEST_BIRTH_DATE.isoformat()},
        )


def normalize_credit_code(value: str) -> str:
    """Return the unified social credit code without whitespace, in upper case."""
    return _compact(value).upper()


def validate_credit_code(value: str) -> None:
    """Check a unified social credit code (GB 32100-2015): charset, layout, check character."""
    code = normalize_credit_code(value)
    if not _CREDIT_CODE_RE.fullmatch(code):
        raise ValidationError(
            _(
                "Enter a unified social credit code of %(length)d digits or capital letters "
                "(not I, O, S, V or Z)."
            ),
            code=IdentityErrorCode.CREDIT_CODE_FORMAT,
            params={"length": CREDIT_CODE_LENGTH},
        )
    if code[-1] != uscc.calc_check_digit(code):
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."),
            code=IdentityErrorCode.CREDIT_CODE_CHECKSUM,
        )


def normalize_passport(value: str) -> str:
    """Return the passport number without whitespace, in upper case."""
    return _compact(value).upper()


def validate_passport(value: str) -> None:
    """Check that a passport number is 5 to 20 letters or digits.

    Issuing states use too many layouts for anything stricter.
    """
    if not _PASSPORT_RE.fullmatch(normalize_passport(value)):
        raise ValidationError(
            _("Enter a passport number of %(min)d to %(max)d letters or digits."),
            code=IdentityErrorCode.PASSPORT_FORMAT,
            params={"min": PASSPORT_MIN_LENGTH, "max": PASSPORT_MAX_LENGTH},
        )


def normalize_mobile_number(value: str) -> str:
    """Return a Chinese mobile number as its 11-digit national number, e.g. ``"13800138000"``.

    Unlike the other normalisers this one must parse the number, so it raises
    ``ValidationError`` (code ``mobile_invalid``) for anything that is not a CN mobile number.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    number = None
    if _DIALLABLE_RE.fullmatch(text):
        try:
            number = phonenumbers.parse(text, MOBILE_REGION)
        except phonenumbers.NumberParseException:
            number = None
    if (
        number is None
        or not phonenumbers.is_valid_number_for_region(number, MOBILE_REGION)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(
            _("Enter a valid mainland China mobile number, e.g. 13800138000."),
            code=IdentityErrorCode.MOBILE_INVALID,
        )
    return str(number.national_number)


def validate_mobile_number(value: str) -> None:
    """Check that the value is a mainland China mobile number, with or without +86."""
    normalize_mobile_number(value)


_DOCUMENT_RULES = {
    "resident_id": (normalize_resident_id, validate_resident_id),
    "credit_code": (normalize_credit_code, validate_credit_code),
    "passport": (normalize_passport, validate_passport),
}


def validate_document(document_type: str, number: str) -> str:
    """Validate an identity document number for its type and return the normalised number."""
    try:
        normalize, validate = _DOCUMENT_RULES[document_type]
    except KeyError:
        raise ValidationError(
            _("Unknown identity document type: %(document_type)s."),
            code=IdentityErrorCode.DOCUMENT_TYPE,
            params={"document_type": document_type},
        ) from None
    validate(number)
    return normalize(number)
