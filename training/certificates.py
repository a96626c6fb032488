"""Certificate PDFs (WeasyPrint), like the invoices: fixed Chinese text with English below,
whatever the reader's portal language, "Noto Sans CJK SC" embedded as a subset. The PDF prints
the holder's name, the course, the score, the date, the verification code and the public
address that confirms it without signing in."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.invoices import grouped_code, operator_name
from training.models import Certificate


def verify_url(certificate: Certificate) -> str:
    """The public check of this certificate (no login): ``SITE_URL`` + the check page."""
    return (
        settings.SITE_URL
        + reverse("training-certificate-check")
        + f"?code={certificate.verification_code}"
    )


def certificate_context(certificate: Certificate) -> dict:
    return {
        "operator": operator_name(),
        "certificate": certificate,
        "holder_name": certificate.holder_name,
        "course_title": certificate.course_title,
        "score": certificate.score,
        "issued_on": timezone.localtime(certificate.issued_at).date(),
        "verification_code": grouped_code(certificate.verification_code),
        "verify_url": verify_url(certificate),
    }


def render_certificate_html(certificate: Certificate) -> str:
    return render_to_string("training/certificate.html", certificate_context(certificate))


def render_certificate_pdf(certificate: Certificate) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only certificate requests need.
    from weasyprint import HTML

    return HTML(string=render_certificate_html(certificate)).write_pdf()


def normalize_code(text: str) -> str:
    return "".join(char for char in (text or "").upper() if char.isalnum())


def certificate_by_code(code: str) -> Certificate | None:
    code = normalize_code(code)
    if not code:
        return None
    return Certificate.objects.filter(verification_code=code).first()
