"""Sample uploads for the attachment tests: clean files of every allowed type, and the attacks
``complaints.uploads`` refuses (data glued behind an image, PDFs that act by themselves)."""

import io

from PIL import Image

# The smallest PNG there is: a 1x1 transparent pixel (valid chunk lengths and CRCs).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
# What a browser renders as a page when the file is saved as .html and opened.
HTML_PAGE = b"<html><body><script>alert(document.cookie)</script></body></html>"
# A real PNG header and image, then an HTML page: passes a type check by the first bytes.
PNG_WITH_HTML = PNG + HTML_PAGE


def image(format: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small clean picture as Pillow writes it ("JPEG", "PNG", "GIF", "WEBP")."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format)
    return buffer.getvalue()


def tiny_pdf(catalog_extra: bytes = b"", *, tail: bytes = b"") -> bytes:
    """A one-page PDF written by hand with correct cross-reference offsets; ``catalog_extra``
    goes into the document catalogue (an /OpenAction, a /Names tree), ``tail`` after %%EOF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length 16 >>\nstream\nBT /F1 12 Tf ET\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out) + tail
