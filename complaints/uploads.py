"""What an uploaded file is, checked from its bytes: the one gate for every upload.

Ticket files (the web form, the API and inbound e-mail all reach ``services.add_attachment``)
and training handouts (``training.services.add_module_attachment``) call ``check_upload``
before anything is stored. The type comes from the content (``filetype``), and
the file must then parse *cleanly* as that type, to its last byte:

- PNG: chunks with valid CRCs up to ``IEND`` and nothing after it;
- JPEG: markers and entropy-coded data up to ``EOI`` and nothing after it (a phone's
  Multi-Picture trailer, i.e. further complete JPEG images, is the one thing allowed to follow);
- GIF: blocks up to the ``;`` trailer; WebP: a RIFF container whose size is the file's size;
- PDF: parsed by ``pypdf``, ending with ``%%EOF``, not encrypted, and without scripts, automatic
  actions or embedded files anywhere in its objects (``ACTIVE_PDF_NAMES``).

A picture with an HTML page glued behind it, a PDF that runs JavaScript when opened, are
refused. What passes is stored and offered under a name the server chooses with the extension
of the detected type (``TicketAttachment.download_name``); the uploader's name is kept only as
text. Sizes are bounded before anything is read (``COMPLAINTS_ATTACHMENT_MAX_BYTES``).
"""

import io
import re
import struct
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import filetype
import pypdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from complaints.error_codes import TicketErrorCode


class DamagedFile(Exception):
    """The bytes do not parse cleanly as the type their start claims."""


class ActiveContent(Exception):
    """A PDF carries something a reader would run or open by itself."""


@dataclass(frozen=True)
class CheckedUpload:
    """The detected type of an upload that passed, and the extension it is stored under."""

    content_type: str
    extension: str


# --- Images ----------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_end(data: bytes) -> int:
    """Where the IEND chunk ends; every chunk's CRC is checked on the way."""
    if not data.startswith(PNG_SIGNATURE):
        raise DamagedFile("no PNG signature")
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise DamagedFile("PNG ends inside a chunk")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        if end > len(data):
            raise DamagedFile("PNG chunk longer than the file")
        body = data[pos + 4 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(body) != crc:
            raise DamagedFile("PNG chunk CRC mismatch")
        if body[:4] == b"IEND":
            return end
        pos = end


def _jpeg_end(data: bytes, start: int) -> int:
    """Where the EOI marker of the JPEG image starting at ``start`` ends."""
    if data[start : start + 2] != b"\xff\xd8":
        raise DamagedFile("no JPEG start of image")
    pos, size = start + 2, len(data)
    while True:
        if pos >= size or data[pos] != 0xFF:
            raise DamagedFile("JPEG marker expected")
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            raise DamagedFile("JPEG ends before its end of image")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if marker in (0x00, 0xD8) or pos + 2 > size:
            raise DamagedFile("JPEG marker out of place")
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > size:
            raise DamagedFile("JPEG segment longer than the file")
        pos += length
        if marker == 0xDA:
            # Entropy-coded data runs to the next marker that is neither a stuffed zero nor a
            # restart marker.
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= size:
                    raise DamagedFile("JPEG scan without an end")
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2
                    continue
                break


def _jpeg_check(data: bytes) -> int:
    end = _jpeg_end(data, 0)
    # Multi-Picture files (phone cameras) put further complete JPEG images after the first.
    while end < len(data) and data.startswith(b"\xff\xd8", end):
        end = _jpeg_end(data, end)
    return end


def _gif_skip_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        if pos >= len(data):
            raise DamagedFile("GIF ends inside a block")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _gif_end(data: bytes) -> int:
    """Where the trailer byte after the last block ends."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise DamagedFile("no GIF header")
    flags, pos = data[10], 13
    if flags & 0x80:
        pos += 3 * (2 << (flags & 0x07))
    while True:
        if pos >= len(data):
            raise DamagedFile("GIF without a trailer")
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local colours, LZW size, sub-blocks
            if pos + 10 > len(data):
                raise DamagedFile("GIF image descriptor cut short")
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                pos += 3 * (2 << (flags & 0x07))
            pos = _gif_skip_sub_blocks(data, pos + 1)
        else:
            raise DamagedFile("unknown GIF block")


def _webp_end(data: bytes) -> int:
    """The end of the RIFF container, which must hold whole chunks only."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise DamagedFile("no WebP header")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data):
        raise DamagedFile("WebP shorter than its header says")
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise DamagedFile("WebP ends inside a chunk header")
        (chunk_size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        pos += 8 + chunk_size + (chunk_size & 1)
    if pos != end:
        raise DamagedFile("WebP chunk overruns the container")
    return end


# What Pillow raises on a broken image (UnidentifiedImageError is an OSError).
PILLOW_ERRORS = (OSError, SyntaxError, ValueError, struct.error, Image.DecompressionBombError)


def _image_check(pillow_format: str, find_end: Callable[[bytes], int]) -> Callable[[bytes], None]:
    def check(data: bytes) -> None:
        if find_end(data) != len(data):
            raise DamagedFile("data after the end of the image")
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format != pillow_format:
                    raise DamagedFile(f"Pillow reads {image.format}")
                image.verify()
        except PILLOW_ERRORS as exc:
            raise DamagedFile(str(exc)) from exc

    return check


# --- PDF ---------------------------------------------------------------------------------------

# Names under which a PDF runs code, acts when opened or carries other files.
ACTIVE_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/RichMedia",
        "/XFA",
    }
)
# A bound on the walk: a 5 MB file cannot hold more objects than this in any honest way.
MAX_PDF_OBJECTS = 200_000
PDF_TRAILING_WHITESPACE = b" \t\r\n\f\x00"
# What pypdf may raise on a malformed file besides its own errors.
PDF_PARSE_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    struct.error,
    zlib.error,
)


def _pdf_active_names(reader: pypdf.PdfReader) -> set[str]:
    """Every forbidden name used as a key or a value anywhere in the file's objects: those
    reachable from the trailer and those only listed in the cross-reference table."""
    stack: list = [reader.trailer]
    for generation, numbers in reader.xref.items():  # {generation: {number: offset}}
        stack.extend(IndirectObject(number, generation, reader) for number in numbers)
    stack.extend(IndirectObject(num, 0, reader) for num in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    found: set[str] = set()
    visited = 0
    while stack:
        item = stack.pop()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise DamagedFile("too many PDF objects")
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            found.update(name for name in item if name in ACTIVE_PDF_NAMES)
            # The raw values: pypdf's own accessors resolve references, which would walk the
            # page tree's Parent/Kids cycle past the ``seen`` check.
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))
        elif isinstance(item, NameObject) and item in ACTIVE_PDF_NAMES:
            found.add(str(item))
    return found


def _pdf_check(data: bytes) -> None:
    if not data.rstrip(PDF_TRAILING_WHITESPACE).endswith(b"%%EOF"):
        raise DamagedFile("PDF does not end with %%EOF")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Its objects cannot be read, so they cannot be checked.
            raise DamagedFile("encrypted PDF")
        if len(reader.pages) == 0:
            raise DamagedFile("PDF without pages")
        active = _pdf_active_names(reader)
    except PDF_PARSE_ERRORS as exc:
        raise DamagedFile(str(exc)) from exc
    if active:
        raise ActiveContent(", ".join(sorted(name.lstrip("/") for name in active)))


@dataclass(frozen=True)
class FileKind:
    label: str
    extension: str
    check: Callable[[bytes], None]


# Every type an attachment may be: COMPLAINTS_ATTACHMENT_TYPES picks among these, and a type
# listed there without a check here is refused like any other unknown type.
FILE_KINDS: dict[str, FileKind] = {
    "image/png": FileKind("PNG", "png", _image_check("PNG", _png_end)),
    "image/jpeg": FileKind("JPEG", "jpg", _image_check("JPEG", _jpeg_check)),
    "image/gif": FileKind("GIF", "gif", _image_check("GIF", _gif_end)),
    "image/webp": FileKind("WebP", "webp", _image_check("WEBP", _webp_end)),
    "application/pdf": FileKind("PDF", "pdf", _pdf_check),
}


def extension_for(content_type: str) -> str:
    """The extension a stored file of this (detected) type is offered under."""
    kind = FILE_KINDS.get(content_type)
    return kind.extension if kind else "bin"


def _refuse(message: str, code: TicketErrorCode) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def check_upload(upload, *, max_bytes: int | None = None, allowed_types=None) -> CheckedUpload:
    """The detected type of ``upload`` if it is allowed and parses cleanly, else a
    ``ValidationError`` on ``file``. The upload is left rewound.

    The limits default to a ticket attachment's (``COMPLAINTS_ATTACHMENT_*``); training
    handouts pass their own, and get the same parsing (only ``FILE_KINDS`` types can pass)."""
    if max_bytes is None:
        max_bytes = settings.COMPLAINTS_ATTACHMENT_MAX_BYTES
    if allowed_types is None:
        allowed_types = settings.COMPLAINTS_ATTACHMENT_TYPES
    if upload.size > max_bytes:
        raise _refuse(
            _("A file may be at most %(mb).0f MB.") % {"mb": max_bytes / 2**20},
            TicketErrorCode.ATTACHMENT_TOO_LARGE,
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    guess = filetype.guess(data[:2048])
    kind = FILE_KINDS.get(guess.mime) if guess else None
    if kind is None or guess.mime not in allowed_types:
        raise _refuse(
            _("Attach a photo (JPEG, PNG, GIF, WebP) or a PDF."), TicketErrorCode.ATTACHMENT_TYPE
        )
    try:
        kind.check(data)
    except DamagedFile as exc:
        raise _refuse(
            _(
                "This file is not a clean %(type)s: it is damaged or has other data in it. "
                "Save or export it again and attach the new file."
            )
            % {"type": kind.label},
            TicketErrorCode.ATTACHMENT_DAMAGED,
        ) from exc
    except ActiveContent as exc:
        raise _refuse(
            _(
                "This PDF contains scripts, automatic actions or embedded files (%(names)s). "
                "Print it to a new PDF and attach that."
            )
            % {"names": str(exc)},
            TicketErrorCode.ATTACHMENT_ACTIVE_CONTENT,
        ) from exc
    return CheckedUpload(content_type=guess.mime, extension=kind.extension)


# Characters that have no place in a file name shown to people (controls, bidi overrides).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def display_name(name: str | None) -> str:
    """The uploader's file name as text to show: no directories, no control or bidi
    characters, at most 200 characters. Never used as a path or a download name."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(_UNPRINTABLE.sub("", name).split())
    return name[:200] or "file"
