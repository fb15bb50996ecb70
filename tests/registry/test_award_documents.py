"""An award recorded with its document (证书、表彰文件) in one call, on the page and through
the API: both written, or neither."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from gonghui.audit.models import AuditEvent
from gonghui.files.models import Attachment
from gonghui.registry.models import Award
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n%certificate\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def post_award(client, person, honour, *, document=None, year=2021):
    body = {"person_id": person.pk, "honour_id": honour.pk, "year": year}
    if document is not None:
        body["document"] = document
    return client.post("/api/v1/registry/awards", json.dumps(body), content_type="application/json")


def document(name="证书.pdf", data=PDF):
    return {"name": name, "content": base64.b64encode(data).decode()}


def test_the_api_records_an_award_with_its_document(client, registry, users, honours, media):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = registry.people["赵郁"]
    response = post_award(client, zhao, honours["chaoyang-craftsman"], document=document())
    assert response.status_code == 201, response.content
    award = Award.objects.get(pk=response.json()["id"])
    (attachment,) = Attachment.objects.filter(object_id=award.pk)
    assert attachment.owner == award and attachment.org_unit == award.org_unit
    assert (attachment.name, attachment.mime_type) == ("证书.pdf", "application/pdf")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF


def test_the_document_s_audit_event_is_recorded_with_the_award_s(
    client, registry, users, honours, media
):
    client.login(username="cy_staff", password=PASSWORD)
    before = AuditEvent.objects.aggregate(last=Max("id"))["last"]
    response = post_award(
        client, registry.people["赵郁"], honours["chaoyang-craftsman"], document=document()
    )
    award = Award.objects.get(pk=response.json()["id"])
    attachment = Attachment.objects.get(object_id=award.pk)
    events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(e.action, e.object_id) for e in events] == [
        ("registry.award_create", str(award.pk)),
        ("files.add", str(attachment.pk)),
    ]


def test_an_award_across_districts_is_refused_with_its_document(
    client, registry, users, honours, media
):
    client.login(username="cy_staff", password=PASSWORD)
    qian = registry.people["钱学"]  # Haidian's
    response = post_award(client, qian, honours["capital-labour-medal"], document=document())
    assert response.status_code == 404
    client.login(username="hd_staff", password=PASSWORD)
    theirs = post_award(client, qian, honours["chaoyang-craftsman"], document=document())
    assert theirs.status_code in (403, 404)  # Chaoyang's title is Chaoyang's to confer
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "sent, reason",
    [
        (document("证书.exe", b"MZ\x90\x00 not a document"), "只接受 PDF"),
        (document("证书.png"), "文件内容与扩展名不符"),
        (document(data=b""), "文件是空的"),
    ],
)
def test_a_bad_document_is_refused_and_nothing_is_written(
    client, registry, users, honours, media, sent, reason
):
    client.login(username="cy_staff", password=PASSWORD)
    events = AuditEvent.objects.count()
    response = post_award(
        client, registry.people["赵郁"], honours["chaoyang-craftsman"], document=sent
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["document"]
    assert reason in response.json()["fields"]["document"]
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert AuditEvent.objects.count() == events and stored_files(media) == []


def test_a_document_not_in_base64_is_refused_naming_its_field(
    client, registry, users, honours, media
):
    client.login(username="cy_staff", password=PASSWORD)
    sent = {"name": "证书.pdf", "content": "%PDF-1.4 as it is"}
    response = post_award(
        client, registry.people["赵郁"], honours["chaoyang-craftsman"], document=sent
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"document.content": "应为 Base64 编码的文件内容"}
    assert not Award.objects.exists()


def test_the_page_records_an_award_with_its_document(client, registry, users, honours, media):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = registry.people["赵郁"]
    craftsman = honours["chaoyang-craftsman"]
    response = client.post(
        f"/registry/people/{zhao.pk}/awards/new/",
        {"honour": craftsman.pk, "year": 2021, "document": SimpleUploadedFile("证书.pdf", PDF)},
    )
    assert response.status_code == 302
    award = Award.objects.get(person=zhao, honour=craftsman)
    assert Attachment.objects.get(object_id=award.pk).name == "证书.pdf"


def test_the_page_refuses_a_bad_document_and_records_no_award(
    client, registry, users, honours, media
):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = registry.people["赵郁"]
    page = client.post(
        f"/registry/people/{zhao.pk}/awards/new/",
        {
            "honour": honours["chaoyang-craftsman"].pk,
            "year": 2021,
            "document": SimpleUploadedFile("证书.exe", b"MZ\x90\x00"),
        },
    ).content.decode()
    assert "只接受 PDF" in page
    assert not Award.objects.exists() and not Attachment.objects.exists()
