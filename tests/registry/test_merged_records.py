"""A record merged into another (the loser) stays only as a redirect for the merge's undo:
no page lists it, its pages lead to the record kept (when the reader may see it), no
service writes to it, and the undo puts its rows back where the loser now is."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common.errors import Conflict
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add, attachment_download
from gonghui.people.models import Membership, Person
from gonghui.people.selectors import person_list
from gonghui.people.services import (
    MERGED,
    membership_join,
    membership_leave,
    person_update,
    transfer_request_submit,
)
from gonghui.registry import services
from gonghui.registry.models import Merge
from tests.factories import PASSWORD, make_person

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _scan(actor, person, unit):
    return attachment_add(
        actor=actor, owner=person, org_unit=unit, upload=SimpleUploadedFile("身份证.png", PNG)
    )


@pytest.fixture
def merged(registry, tree, users):
    """赵郁's Chaoyang record kept; a second Chaoyang record of him merged into it."""
    zhao = registry.people["赵郁"]
    loser = make_person(tree.cy_grass, "赵郁", id_number=None)
    services.person_merge(actor=users.cy, survivor=zhao, loser=loser)
    return zhao, Person.objects.get(pk=loser.pk)


def test_a_merged_record_is_listed_nowhere_and_its_pages_lead_to_the_record_kept(
    client, merged, users
):
    zhao, loser = merged
    assert not person_list(actor=users.cy).filter(pk=loser.pk).exists()
    client.login(username=users.cy.username, password=PASSWORD)
    listed = client.get("/people/").content.decode()
    assert f"/people/{zhao.pk}/" in listed and f"/people/{loser.pk}/" not in listed
    api = client.get("/api/v1/people/?page=1").json()
    assert zhao.pk in [p["id"] for p in api["items"]]
    assert loser.pk not in [p["id"] for p in api["items"]]
    # Its pages, as the registry's, open the record kept.
    for page, kept in (
        (f"/people/{loser.pk}/", f"/people/{zhao.pk}/"),
        (f"/people/{loser.pk}/edit/", f"/people/{zhao.pk}/edit/"),
        (f"/registry/people/{loser.pk}/", f"/registry/people/{zhao.pk}/"),
    ):
        response = client.get(page)
        assert (response.status_code, response.url) == (302, kept), page
    answer = client.get(f"/api/v1/people/{loser.pk}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "merged" and answer.json()["merged_into"] == zhao.pk


def test_a_record_merged_into_one_out_of_scope_says_so_and_names_nothing(
    client, registry, tree, users
):
    """Haidian's record merged (by the city) into Chaoyang's: Haidian's staff learn that
    it was merged, not which record it went to."""
    zhao = registry.people["赵郁"]
    loser = make_person(tree.hd_grass, "赵郁", id_number=None)
    services.person_merge(actor=users.admin, survivor=zhao, loser=loser)
    client.login(username=users.hd.username, password=PASSWORD)
    for page in (f"/people/{loser.pk}/", f"/registry/people/{loser.pk}/"):
        response = client.get(page)
        text = response.content.decode()
        assert response.status_code == 404 and "已合并到另一份档案" in text, page
        assert f"/{zhao.pk}/" not in text and f"档案 {zhao.pk}" not in text
    answer = client.get(f"/api/v1/people/{loser.pk}").json()
    assert answer["code"] == "merged" and "merged_into" not in answer


def test_writes_to_a_merged_record_are_refused(client, merged, tree, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    zhao, loser = merged
    refused = [
        lambda: person_update(actor=users.cy, person=loser, data={"phone": "13800000000"}),
        lambda: person_update(actor=users.admin, person=loser, data={}, org_unit=tree.hd_grass),
        lambda: membership_join(
            actor=users.cy, person=loser, org_unit=tree.cy_grass, joined_on=date(2021, 1, 1)
        ),
        lambda: _scan(users.cy, loser, tree.cy_grass),
        lambda: services.person_media_set(
            actor=users.cy, person=loser, video_url="https://example.org/v.mp4"
        ),
        lambda: transfer_request_submit(
            actor=users.hd, person=loser, to_unit=tree.hd_grass, name="赵郁", reason="x"
        ),
    ]
    for write in refused:
        with pytest.raises(Conflict) as err:
            write()
        assert err.value.message == MERGED
    loser.refresh_from_db()
    assert (loser.org_unit, loser.phone, loser.video_url) == (tree.cy_grass, None, "")
    assert not Membership.objects.filter(person=loser).exists()
    # Through the pages and the API: nothing reaches the redirect record.
    client.login(username=users.cy.username, password=PASSWORD)
    upload = SimpleUploadedFile("身份证.png", PNG)
    response = client.post(f"/people/{loser.pk}/attach/", {"file": upload}, follow=True)
    assert "附件未上传" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/people/{zhao.pk}/"
    answer = client.patch(
        f"/api/v1/people/{loser.pk}", {"name": "赵玉"}, content_type="application/json"
    )
    assert answer.status_code == 404 and answer.json()["code"] == "merged"
    assert not Attachment.objects.filter(object_id=str(loser.pk)).exists()
    assert Person.objects.get(pk=loser.pk).name == "赵郁"


def test_the_undo_files_the_documents_where_the_loser_is_now(
    registry, tree, users, settings, tmp_path
):
    """A redirect record moved before moves were refused (or its node moved since): its ID
    scan comes back filed where the loser is, readable by its own district's staff."""
    settings.MEDIA_ROOT = tmp_path
    zhao = registry.people["赵郁"]
    loser = make_person(tree.cy_grass, "赵郁", id_number=None)
    scan = _scan(users.cy, loser, tree.cy_grass)
    merge = services.person_merge(actor=users.cy, survivor=zhao, loser=loser)
    Person.objects.filter(pk=loser.pk).update(org_unit=tree.hd_grass)  # as the old code let
    services.merge_reverse(actor=users.admin, merge=merge)
    scan.refresh_from_db()
    assert (scan.owner, scan.org_unit) == (Person.objects.get(pk=loser.pk), tree.hd_grass)
    assert attachment_download(actor=users.hd, pk=scan.pk) == scan


def test_an_undo_that_would_leave_two_memberships_says_what_to_do(client, registry, tree, users):
    """Both were members; the loser joined again on the redirect record (as the old code
    let): the undo answered 500 (UNIQUE people_membership.person_id). Now it says which
    membership to end first, and goes through once it is ended."""
    zhao = registry.people["赵郁"]
    loser = make_person(tree.cy_grass, "赵郁", id_number=None)
    Membership.objects.create(person=zhao, org_unit=tree.cy_grass, joined_on=date(2015, 1, 1))
    ended = Membership.objects.create(
        person=loser, org_unit=tree.cy_grass, joined_on=date(2016, 1, 1)
    )
    merge = services.person_merge(actor=users.cy, survivor=zhao, loser=loser)
    since = Membership.objects.create(
        person=loser, org_unit=tree.cy_grass, joined_on=date(2021, 1, 1)
    )
    client.raise_request_exception = False
    client.login(username=users.admin.username, password=PASSWORD)
    response = client.post(f"/registry/merges/{merge.pk}/reverse/", follow=True)
    assert response.status_code == 200
    assert (
        f"会籍 {since.pk}" in response.content.decode() and "办理离会" in response.content.decode()
    )
    assert Merge.objects.get(pk=merge.pk).reversed_at is None
    assert Person.objects.get(pk=loser.pk).merged_into == zhao  # nothing half-undone
    membership_leave(actor=users.cy, membership=since, left_on=date(2022, 1, 1))
    services.merge_reverse(actor=users.admin, merge=merge)
    ended.refresh_from_db()
    assert (ended.person_id, ended.status) == (loser.pk, "active")
