"""The training admin: reference content loaded and editable, question options checked,
handouts checked by content, results read-only."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.complaints.test_pages import PNG
from training.models import Choice, Course, IncentiveScheme, Module, Question

# Tests here store files: MEDIA_ROOT is each test's own tmp_path / "media".
pytestmark = pytest.mark.usefixtures("media_in_tmp")


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(None, username="root", is_staff=True, is_superuser=True))
    return client


def test_every_training_list_page_opens(admin_client):
    registered = [model for model in admin.site._registry if model._meta.app_label == "training"]

    statuses = {
        model.__name__: admin_client.get(
            reverse(f"admin:training_{model._meta.model_name}_changelist")
        ).status_code
        for model in registered
    }

    assert len(registered) == 13
    assert set(statuses.values()) == {200}


def test_reference_courses_and_schemes_are_loaded(db):
    assert Course.objects.filter(source="handbook").count() == 7
    assert Course.objects.filter(source="role_knowledge").count() == 4
    assert Question.objects.count() == 55
    assert IncentiveScheme.objects.filter(is_active=True).count() == 5


def question_form(question, rows):
    data = {
        "course": question.course_id,
        "kind": question.kind,
        "text": question.text,
        "explanation": "",
        "is_active": "on",
        "choices-TOTAL_FORMS": str(len(rows)),
        "choices-INITIAL_FORMS": str(len(rows)),
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for n, (choice, correct) in enumerate(rows):
        data |= {
            f"choices-{n}-id": str(choice.pk),
            f"choices-{n}-question": str(question.pk),
            f"choices-{n}-position": str(choice.position),
            f"choices-{n}-text": choice.text,
        }
        if correct:
            data[f"choices-{n}-is_correct"] = "on"
    return data


def test_a_single_choice_question_with_two_right_options_is_refused(admin_client):
    question = Question.objects.filter(kind="single").first()
    choices = list(question.choices.order_by("position"))
    url = reverse("admin:training_question_change", args=[question.pk])

    refused = admin_client.post(url, question_form(question, [(c, True) for c in choices]))
    kept = admin_client.post(url, question_form(question, [(c, c.is_correct) for c in choices]))

    assert refused.status_code == 200
    assert "单选题必须恰好有一个正确选项。" in refused.content.decode()
    assert Choice.objects.filter(question=question, is_correct=True).count() == 1
    assert kept.status_code == 302


def test_a_handout_is_checked_by_its_content(admin_client):
    module = Module.objects.get(course__code="handbook-1", position=1)
    url = reverse("admin:training_module_change", args=[module.pk])
    base = {
        "course": module.course_id,
        "position": module.position,
        "title": module.title,
        "body": module.body,
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }

    admin_client.post(url, {**base, "handout": SimpleUploadedFile("a.png", PNG)})
    admin_client.post(url, {**base, "handout": SimpleUploadedFile("b.pdf", b"MZ not a pdf")})

    assert list(module.attachments.values_list("original_name", "content_type")) == [
        ("a.png", "image/png")
    ]
