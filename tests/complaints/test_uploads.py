"""Safe uploads and downloads of ticket files: a file must parse cleanly as the type its bytes
show (nothing glued behind an image, no PDF that acts by itself), is stored and offered under
the server's name with the detected type, and the uploader's name is only ever shown, escaped."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient
from weasyprint import HTML

from complaints.models import Ticket, TicketAttachment
from complaints.services import add_attachment
from complaints.uploads import FILE_KINDS
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.complaints.files import HTML_PAGE, PNG, PNG_WITH_HTML, image, tiny_pdf
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

# Tests here store files: MEDIA_ROOT is each test's own tmp_path / "media".
pytestmark = pytest.mark.usefixtures("media_in_tmp")

EN = {"accept-language": "en"}
DAMAGED = {
    fmt: f"This file is not a clean {fmt}: it is damaged or has other data in it. "
    "Save or export it again and attach the new file."
    for fmt in ("PNG", "JPEG", "GIF", "WebP", "PDF")
}


def active_pdf(names: str) -> str:
    return (
        f"This PDF contains scripts, automatic actions or embedded files ({names}). "
        "Print it to a new PDF and attach that."
    )


@pytest.fixture
def line(customer_user):
    customer = CustomerFactory(name="王小明", user=customer_user)
    return MobileLineFactory(customer=customer, msisdn=mobile_number(62_000_001))


@pytest.fixture
def ticket(specialist, line) -> Ticket:
    return make_ticket(specialist, line=line)


def api_upload(user, ticket, name: str, content: bytes):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        reverse("api-ticket-attachments", args=[ticket.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        format="multipart",
        headers=EN,
    )


def api_errors(response) -> list[tuple[str, str, str]]:
    return [(e["attr"], e["code"], e["detail"]) for e in response.json()["errors"]]


def page_attach(client, ticket, name: str, content: bytes):
    return client.post(
        reverse("customer-ticket-action", args=[ticket.pk, "attach"]),
        {"file": SimpleUploadedFile(name, content, content_type="image/png")},
        headers=EN,
    )


def download(client, attachment):
    return client.get(reverse("ticket-attachment", args=[attachment.pk]))


# --- The attack: a real PNG with an HTML page behind it ---------------------------------------


@pytest.mark.parametrize("name", ["invoice.html", "evil.exe", "photo.png"])
def test_png_with_html_behind_it_is_refused_on_the_api(customer_user, ticket, name):
    response = api_upload(customer_user, ticket, name, PNG_WITH_HTML)

    assert response.status_code == 400
    assert api_errors(response) == [("file", "attachment_damaged", DAMAGED["PNG"])]
    assert ticket.attachments.count() == 0


@pytest.mark.parametrize("name", ["invoice.html", "evil.exe"])
def test_png_with_html_behind_it_is_a_form_error_on_the_ticket_page(
    client, customer_user, ticket, name
):
    client.force_login(customer_user)

    response = page_attach(client, ticket, name, PNG_WITH_HTML)

    assert response.status_code == 400
    assert response.context["attach_form"].errors == {"file": [DAMAGED["PNG"]]}
    assert ticket.attachments.count() == 0


def test_png_with_html_behind_it_leaves_no_new_ticket_behind(client, customer_user, line):
    client.force_login(customer_user)

    response = client.post(
        reverse("customer-ticket-new"),
        {
            "kind": "billing_dispute",
            "category": "billing",
            "subject": "账单有误",
            "description": "见附件发票。",
            "attachment": SimpleUploadedFile("invoice.html", PNG_WITH_HTML, "text/html"),
        },
        headers=EN,
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"attachment": [DAMAGED["PNG"]]}
    assert Ticket.objects.count() == 0


# --- Clean files: stored and offered under the server's name ---------------------------------


def test_clean_png_named_evil_exe_is_stored_and_downloaded_as_png(
    client, customer_user, specialist, ticket
):
    response = api_upload(customer_user, ticket, "evil.exe", PNG)
    attachment = ticket.attachments.get()
    client.force_login(specialist)
    staff = download(client, attachment)

    server_name = f"{ticket.number}-{attachment.pk}.png"
    assert response.status_code == 201
    assert response.json()["attachments"] == [
        {
            "id": attachment.pk,
            "name": "evil.exe",
            "file_name": server_name,
            "type": "image/png",
            "size": len(PNG),
            "created_at": response.json()["attachments"][0]["created_at"],
        }
    ]
    assert attachment.original_name == "evil.exe"
    assert attachment.file.name.endswith(".png")
    assert "evil" not in attachment.file.name
    assert staff.status_code == 200
    assert staff["Content-Type"] == "image/png"
    assert staff["Content-Disposition"] == f'attachment; filename="{server_name}"'
    assert staff["X-Content-Type-Options"] == "nosniff"
    assert b"".join(staff.streaming_content) == PNG


def test_staff_who_work_the_ticket_may_upload_and_outsiders_may_not(engineer, make_user, ticket):
    outsider = make_user(Role.CUSTOMER)

    theirs = api_upload(outsider, ticket, "x.png", PNG)
    engineers = api_upload(engineer, ticket, "cell-tower.png", PNG)

    assert theirs.status_code == 404
    assert engineers.status_code == 201
    assert list(ticket.attachments.values_list("original_name", "uploaded_by")) == [
        ("cell-tower.png", engineer.pk)
    ]


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_clean_pictures_are_kept_with_the_detected_type_and_extension(
    client, specialist, ticket, fmt, content_type, extension
):
    attachment = add_attachment(
        ticket, SimpleUploadedFile("picture.bin", image(fmt)), actor=specialist
    )
    client.force_login(specialist)
    response = download(client, attachment)

    assert (attachment.content_type, attachment.file.name.rsplit(".", 1)[-1]) == (
        content_type,
        extension,
    )
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="{ticket.number}-{attachment.pk}.{extension}"'
    )


@pytest.mark.parametrize(
    ("fmt", "label"), [("JPEG", "JPEG"), ("GIF", "GIF"), ("WEBP", "WebP"), ("PNG", "PNG")]
)
def test_pictures_with_trailing_data_are_refused(customer_user, ticket, fmt, label):
    response = api_upload(customer_user, ticket, "photo.jpg", image(fmt) + HTML_PAGE)

    assert response.status_code == 400
    assert api_errors(response) == [("file", "attachment_damaged", DAMAGED[label])]


def test_jpeg_with_bytes_after_its_end_marker_is_refused(customer_user, ticket):
    jpeg = image("JPEG")
    assert jpeg.endswith(b"\xff\xd9")

    junk = api_upload(customer_user, ticket, "photo.jpg", jpeg + b"\x00")
    # Another end marker appended after the page does not make it a clean JPEG.
    disguised = api_upload(customer_user, ticket, "photo.jpg", jpeg + HTML_PAGE + b"\xff\xd9")
    # A phone's Multi-Picture file: whole JPEG images one after the other.
    multi_picture = api_upload(customer_user, ticket, "photo.jpg", jpeg + image("JPEG"))

    assert [junk.status_code, disguised.status_code, multi_picture.status_code] == [400, 400, 201]
    assert ticket.attachments.count() == 1


def test_cut_off_png_is_refused(customer_user, ticket):
    response = api_upload(customer_user, ticket, "photo.png", PNG[:-12])

    assert api_errors(response) == [("file", "attachment_damaged", DAMAGED["PNG"])]


# --- PDFs --------------------------------------------------------------------------------------


def test_clean_pdfs_are_accepted(client, customer_user, ticket):
    weasyprint_pdf = HTML(string="<h1>话费账单</h1><p>2026年11月</p>").write_pdf()

    handmade = api_upload(customer_user, ticket, "bill.pdf", tiny_pdf())
    printed = api_upload(customer_user, ticket, "statement", weasyprint_pdf)
    client.force_login(customer_user)
    response = download(client, ticket.attachments.order_by("pk").last())

    assert [handmade.status_code, printed.status_code] == [201, 201]
    assert list(ticket.attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "application/pdf",
    ]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')


@pytest.mark.parametrize(
    ("catalog", "names"),
    [
        (b"/OpenAction [3 0 R /Fit] ", "OpenAction"),
        (
            b"/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (app.alert(1)) >>] >> >> ",
            "JS, JavaScript",
        ),
        # The same names hex-escaped, as a filter on the raw bytes would miss them.
        (b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> ", "JS, JavaScript, OpenAction"),
        (b"/AA << /O << /S /Launch /F (calc.exe) >> >> ", "AA, Launch"),
        (b"/Names << /EmbeddedFiles << /Names [] >> >> ", "EmbeddedFiles"),
    ],
)
def test_pdfs_that_act_by_themselves_are_refused(customer_user, ticket, catalog, names):
    response = api_upload(customer_user, ticket, "bill.pdf", tiny_pdf(catalog))

    assert response.status_code == 400
    assert api_errors(response) == [("file", "attachment_active_content", active_pdf(names))]
    assert ticket.attachments.count() == 0


def test_pdf_with_javascript_is_a_form_error_on_the_ticket_page(client, customer_user, ticket):
    client.force_login(customer_user)

    response = page_attach(client, ticket, "bill.pdf", tiny_pdf(b"/OpenAction [3 0 R /Fit] "))

    assert response.status_code == 400
    assert response.context["attach_form"].errors == {"file": [active_pdf("OpenAction")]}


@pytest.mark.parametrize(
    "content",
    [
        tiny_pdf(tail=HTML_PAGE),  # something after %%EOF
        tiny_pdf()[:-6],  # cut off before %%EOF
        b"%PDF-1.4\nnot a pdf at all\n%%EOF\n",
    ],
)
def test_pdfs_that_do_not_parse_cleanly_are_refused(customer_user, ticket, content):
    response = api_upload(customer_user, ticket, "bill.pdf", content)

    assert api_errors(response) == [("file", "attachment_damaged", DAMAGED["PDF"])]


# --- The uploader's name is text --------------------------------------------------------------


def test_the_original_name_is_shown_escaped_on_the_ticket_pages(
    client, customer_user, specialist, ticket
):
    add_attachment(
        ticket, SimpleUploadedFile("<img src=x onerror=alert(1)>.png", PNG), actor=specialist
    )
    # A row from before names were cleaned ("/" never reaches a new one: it is cut as a path).
    TicketAttachment.objects.create(
        ticket=ticket,
        file=SimpleUploadedFile("legacy", PNG),
        original_name="<script>x</script>.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=specialist,
    )
    client.force_login(customer_user)
    mine = client.get(reverse("customer-ticket-detail", args=[ticket.pk])).content.decode()
    client.force_login(specialist)
    staff = client.get(reverse("ticket-detail", args=[ticket.pk])).content.decode()

    for html in (mine, staff):
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in html
        assert "&lt;script&gt;x&lt;/script&gt;.png" in html
        assert "<img src=x" not in html
        assert "<script>x</script>" not in html


def test_the_original_name_loses_directories_and_control_characters(specialist, ticket):
    attachment = add_attachment(
        ticket,
        SimpleUploadedFile("C:\\fakepath\\router\u202egnp.exe\n", PNG),
        actor=specialist,
    )

    assert attachment.original_name == "routergnp.exe"
    assert attachment.download_name == f"{ticket.number}-{attachment.pk}.png"


def test_every_type_the_settings_accept_has_a_check():
    from portal import settings as site_settings

    assert set(site_settings._CHECKED_ATTACHMENT_TYPES) == set(FILE_KINDS)


def test_the_download_names_in_the_api_cost_no_query_per_file(customer_user, specialist, ticket):
    client = APIClient()
    client.force_authenticate(customer_user)
    url = reverse("api-ticket-detail", args=[ticket.pk])

    def queries_with(files: int) -> int:
        while ticket.attachments.count() < files:
            add_attachment(ticket, SimpleUploadedFile("x.png", PNG), actor=specialist)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(url).json()["attachments"]) == files
        return len(queries)

    client.get(url)  # warm-up: the first request also reads what later ones find cached
    # The attachments' ticket comes with the prefetch: one file or three, the same queries.
    assert queries_with(1) == queries_with(3)
