"""An award's document (证书、表彰文件), on the page and through the API: recorded with the
award in one call (both written, or neither), or attached to an award already recorded.
The API takes the document as the multipart file ``file``, as its other uploads do."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from gonghui.audit.models import AuditEvent
from gonghui.files.models import Attachment
from gonghui.registry import services
from gonghui.registry.models import Award
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n%certificate\n"

BAD_DOCUMENTS = [
    (
        ("证书.exe", b"MZ\x90\x00 not a document"),
        "只接受 PDF、PNG、JPEG、Word (.docx)、Excel (.xlsx) 文件",
    ),
    (("证书.png", PDF), "文件内容与扩展名不符"),
    (("证书.pdf", b""), "文件是空的"),
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def medal(registry, users, honours) -> Award:
    """赵郁's award, recorded without a document."""
    return services.award_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        person=registry.people["赵郁"],
        year=2018,
    )


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def last_event() -> int:
    return AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0


def post_award(client, person, honour, *, name="证书.pdf", data=PDF, **extra):
    """An award with its document, as the API takes it: form fields and the file."""
    parts = {"honour_id": honour.pk, "year": 2021, "file": SimpleUploadedFile(name, data)}
    return client.post(f"/api/v1/registry/people/{person.pk}/awards", {**parts, **extra})


def post_document(client, award, *, name="证书.pdf", data=PDF, **extra):
    """A document for an award already recorded."""
    parts = {"file": SimpleUploadedFile(name, data), **extra}
    return client.post(f"/api/v1/registry/awards/{award.pk}/documents", parts)


# --- An award recorded with its document -----------------------------------------------------


def test_the_api_records_an_award_with_its_document(client, registry, users, honours, media):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = registry.people["赵郁"]
    response = post_award(client, zhao, honours["chaoyang-craftsman"])
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
    before = last_event()
    response = post_award(client, registry.people["赵郁"], honours["chaoyang-craftsman"])
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
    response = post_award(client, qian, honours["capital-labour-medal"])
    assert response.status_code == 404
    client.login(username="hd_staff", password=PASSWORD)
    theirs = post_award(client, qian, honours["chaoyang-craftsman"])
    assert theirs.status_code == 404  # Chaoyang's title is Chaoyang's to confer
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("sent, reason", BAD_DOCUMENTS)
def test_a_bad_document_is_refused_by_name_and_nothing_is_written(
    client, registry, users, honours, media, sent, reason
):
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    name, data = sent
    response = post_award(
        client, registry.people["赵郁"], honours["chaoyang-craftsman"], name=name, data=data
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": reason}
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert last_event() == before and stored_files(media) == []


def test_an_oversize_document_is_refused_by_name_and_nothing_is_written(
    client, registry, users, honours, media, settings
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    response = post_award(
        client,
        registry.people["赵郁"],
        honours["chaoyang-craftsman"],
        data=PDF + bytes(settings.UPLOAD_MAX_BYTES),
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": "文件过大：上限 1 MB"}
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert last_event() == before and stored_files(media) == []


# --- A document attached to an award already recorded ----------------------------------------


def test_the_api_attaches_a_document_to_an_award(client, medal, users, media):
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    response = post_document(client, medal)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "id": attachment.pk,
        "name": "证书.pdf",
        "mime_type": "application/pdf",
        "size": len(PDF),
    }
    assert attachment.owner == medal and attachment.org_unit == medal.org_unit
    events = AuditEvent.objects.filter(id__gt=before)
    assert [(e.action, e.object_id) for e in events] == [("files.add", str(attachment.pk))]


def test_another_district_s_award_takes_no_document(client, registry, users, honours, media):
    theirs = services.award_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        person=registry.people["钱学"],  # Haidian's
        year=2018,
    )
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    response = post_document(client, theirs)
    assert response.status_code == 404
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert last_event() == before


@pytest.mark.parametrize("sent, reason", BAD_DOCUMENTS)
def test_a_bad_document_for_an_award_is_refused_by_name(client, medal, users, media, sent, reason):
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    name, data = sent
    response = post_document(client, medal, name=name, data=data)
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": reason}
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert last_event() == before


def test_an_oversize_document_for_an_award_is_refused_by_name(
    client, medal, users, media, settings
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    response = post_document(client, medal, data=PDF + bytes(settings.UPLOAD_MAX_BYTES))
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": "文件过大：上限 1 MB"}
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert last_event() == before


# --- Both uploads take their declared parts only ---------------------------------------------


@pytest.fixture(params=["with the award", "for an award"])
def upload(request, registry, honours, medal):
    """One of the two uploads, as (send(client, **extra parts), its address)."""
    if request.param == "with the award":
        zhao, craftsman = registry.people["赵郁"], honours["chaoyang-craftsman"]
        return (
            lambda client, **extra: post_award(client, zhao, craftsman, **extra),
            f"/api/v1/registry/people/{zhao.pk}/awards",
        )
    return (
        lambda client, **extra: post_document(client, medal, **extra),
        f"/api/v1/registry/awards/{medal.pk}/documents",
    )


def test_an_unknown_part_is_refused_by_name(client, users, media, upload):
    send, _ = upload
    client.login(username="cy_staff", password=PASSWORD)
    response = send(client, note="x")
    assert response.status_code == 422
    assert response.json()["fields"] == {"note": "不接受此字段（接口未定义）"}
    assert Award.objects.count() == 1 and not Attachment.objects.exists()


def test_an_extra_file_is_refused_by_name(client, users, media, upload):
    send, _ = upload
    client.login(username="cy_staff", password=PASSWORD)
    response = send(client, other=SimpleUploadedFile("b.pdf", PDF))
    assert response.status_code == 422
    assert response.json()["fields"] == {"other": "不接受此文件（接口未定义）"}
    assert Award.objects.count() == 1 and not Attachment.objects.exists()


def test_a_file_given_twice_is_refused_by_name(client, users, media, upload):
    send, _ = upload
    client.login(username="cy_staff", password=PASSWORD)
    twice = [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)]
    response = send(client, file=twice)
    assert response.status_code == 422
    assert response.json()["fields"] == {"file": "只能给出一次"}
    assert Award.objects.count() == 1 and not Attachment.objects.exists()


@pytest.mark.parametrize("name, twice", [("year", ["2021", "2022"]), ("batch", ["一", "二"])])
def test_an_award_s_field_given_twice_is_refused_by_name(
    client, registry, users, honours, media, name, twice
):
    client.login(username="cy_staff", password=PASSWORD)
    before = last_event()
    response = post_award(
        client, registry.people["赵郁"], honours["chaoyang-craftsman"], **{name: twice}
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {name: "只能给出一次"}
    assert not Award.objects.exists() and not Attachment.objects.exists()
    assert last_event() == before and stored_files(media) == []


def test_an_upload_refuses_json(client, users, media, upload):
    _, url = upload
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post(url, json.dumps({"year": 2021}), content_type="application/json")
    assert response.status_code == 415 and "multipart/form-data" in response.json()["message"]
    assert Award.objects.count() == 1 and not Attachment.objects.exists()


# --- The page ---------------------------------------------------------------------------------


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
