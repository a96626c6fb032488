"""POST/GET /api/v1/cdr-imports/: upload a CSV (imported and rated at once), list, read."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.api import cdr_views
from billing.cdr_import import CDR_COLUMNS
from billing.models import CdrImport, UsageRecord
from portal.roles import Role
from tests.crm.factories import MobileLineFactory

EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, username="supervisor")


def upload(client, content: str, name="cdrs.csv"):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(
        reverse("billing-cdr-import-list"), {"file": file}, format="multipart", headers=EN
    )


def cdr_csv(*rows: str) -> str:
    return "\n".join([",".join(CDR_COLUMNS), *rows]) + "\n"


def test_a_supervisor_uploads_a_file_and_gets_the_counts_and_bad_rows(api_client, supervisor):
    line = MobileLineFactory()
    api_client.force_authenticate(supervisor)

    response = upload(
        api_client,
        cdr_csv(
            f"R1,{line.msisdn},voice_out_local,2026-03-02T10:00:00,61,,",
            f"R2,{line.msisdn},video,2026-03-02T10:00:00,,,",
            "R3,13800000000,sms,2026-03-02T10:00:00,,,",
        ),
    )

    body = response.json()
    assert response.status_code == 201
    assert {
        key: body[key] for key in ("file_name", "imported_by", "rows", "rated", "bad_rows")
    } == {
        "file_name": "cdrs.csv",
        "imported_by": "supervisor",
        "rows": 3,
        "rated": 1,
        "bad_rows": 2,
    }
    assert (body["rejected"], body["duplicates"]) == (0, 0)
    assert body["bad_row_report"] == [
        {"line": 3, "reason": "Unknown event type “video”."},
        {"line": 4, "reason": "Unknown MSISDN: no line had this number on 2026-03-02."},
    ]
    assert UsageRecord.objects.get().charge == Decimal("0.40")
    assert CdrImport.objects.get().created_by == supervisor


def test_an_upload_spooled_to_a_temporary_file_is_imported_too(api_client, supervisor, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    line = MobileLineFactory()
    api_client.force_authenticate(supervisor)

    response = upload(api_client, cdr_csv(f"R1,{line.msisdn},sms,2026-03-02T10:00:00,,,"))

    assert (response.status_code, response.json()["rated"]) == (201, 1)


def test_the_detail_shows_the_stored_bad_row_report(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    created = upload(api_client, cdr_csv("R1,13800000000,sms,2026-03-02T10:00:00,,,")).json()

    response = api_client.get(
        reverse("billing-cdr-import-detail", args=[created["id"]]), headers=EN
    )

    assert response.status_code == 200
    assert response.json()["bad_row_report"] == [
        {"line": 2, "reason": "Unknown MSISDN: no line had this number on 2026-03-02."}
    ]


def test_a_specialist_may_not_upload_or_list(api_client, personas):
    api_client.force_authenticate(personas[Role.SERVICE_SPECIALIST])

    posted = upload(api_client, cdr_csv())
    listed = api_client.get(reverse("billing-cdr-import-list"))

    assert (posted.status_code, listed.status_code) == (403, 403)
    assert CdrImport.objects.count() == 0


def test_a_file_with_a_wrong_header_is_a_400_on_file(api_client, supervisor):
    api_client.force_authenticate(supervisor)

    response = upload(api_client, "id,number\n1,2\n")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid_file",
            "detail": f"cdrs.csv: wrong header; expected: {','.join(CDR_COLUMNS)}",
            "attr": "file",
        }
    ]
    assert CdrImport.objects.count() == 0


def test_a_file_over_the_size_limit_is_sent_to_the_command(api_client, supervisor, monkeypatch):
    monkeypatch.setattr(cdr_views, "MAX_UPLOAD_BYTES", 100)
    api_client.force_authenticate(supervisor)

    response = upload(api_client, cdr_csv(*["R1,13800000000,sms,2026-03-02T10:00:00,,,"] * 3))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "file_too_large",
            "detail": "The file is larger than 0 MB: import it with the import_cdrs command.",
            "attr": "file",
        }
    ]


def test_the_list_is_newest_first_in_a_fixed_number_of_queries(
    api_client, supervisor, django_assert_num_queries
):
    first = CdrImport.objects.create(file_name="a.csv", created_by=supervisor)
    second = CdrImport.objects.create(file_name="b.csv")
    api_client.force_authenticate(supervisor)

    # the user's permissions (own and by group); the count; the page with the importers.
    with django_assert_num_queries(3):
        response = api_client.get(reverse("billing-cdr-import-list"))

    body = response.json()
    assert [(item["id"], item["imported_by"]) for item in body["results"]] == [
        (second.pk, None),
        (first.pk, "supervisor"),
    ]
    assert "bad_row_report" not in body["results"][0]


def test_the_openapi_schema_with_the_cdr_routes_validates_without_warnings(openapi_schema):
    schema = openapi_schema
    operation = schema["paths"]["/api/v1/cdr-imports/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    assert "201" in operation["responses"]
