"""Payout pages: every page opens for every role without an error (anonymous → login), a
district's staff never see another district's batches, lines or exceptions, a grassroots
post cannot act beyond its grant, and the whole path works through the pages: create,
release, export (a download), returns, re-issue (cash with its receipt), reconcile."""

import pytest
from django.urls import reverse

from gonghui.audit.models import AuditEvent
from gonghui.funds.models import PayoutBatch, PayoutLine
from gonghui.funds.payouts import services
from tests.factories import PASSWORD, make_user
from tests.funds.test_payouts_world import (  # noqa: F401  (world_fixture: the fixture)
    predict,
    read_bank_file,
    receipt,
    return_file,
    world_fixture,
)

pytestmark = pytest.mark.django_db


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def staged(world):
    """An exported Chaoyang batch whose return failed the first line."""
    batch, _ = world.exported()
    ids = [e.payment_id for e in world.entitlements[:3]]
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="r.csv",
        data=return_file(
            [(ids[0], "失败", "账户已锁定", ""), (ids[1], "成功", "", ""), (ids[2], "成功", "", "")]
        ),
    )
    return batch, batch.lines.get(status="failed")


def page_urls(world, batch, failed):
    return [
        reverse("funds:batches", args=[world.funds.condolence.pk]),
        reverse("funds:batches", args=[world.funds.certificate.pk]),
        reverse("funds:batch", args=[batch.pk]),
        reverse("funds:exceptions"),
        reverse("funds:line_reissue", args=[failed.pk]),
        reverse("funds:batch_file", args=[batch.pk, batch_file_id(batch)]),
    ]


def batch_file_id(batch):
    from gonghui.funds.payouts import selectors

    return selectors.batch_files(batch).first().pk


def test_every_page_answers_every_role_without_an_error(world, client, django_user_model):
    batch, failed = staged(world)
    member = make_user("member_p", None, None)
    roles = [
        None,
        member,
        world.users.admin,
        world.users.cy,
        world.users.hd,
        world.users.cy_street,
        world.users.cy_grass,
        world.users.auditor,
        world.users.nopost,
    ]
    for user in roles:
        client.logout()
        c = client_for(client, user)
        for url in page_urls(world, batch, failed):
            response = c.get(url)
            if user is None:
                assert response.status_code == 302 and "/login" in response["Location"], url
            elif user in (world.users.admin, world.users.cy):
                assert response.status_code == 200, (user, url, response.status_code)
            else:
                assert response.status_code in (200, 403, 404), (user, url, response.status_code)


def test_a_district_sees_its_own_batches_and_exceptions_and_nothing_of_another(world, client):
    batch, failed = staged(world)
    cy = client_for(client, world.users.cy)
    page = cy.get(reverse("funds:batches", args=[world.funds.condolence.pk]))
    assert page.status_code == 200 and batch.name in page.content.decode()
    page = cy.get(reverse("funds:exceptions")).content.decode()
    assert failed.entitlement.payment_id in page and "账户已锁定" in page
    detail = cy.get(reverse("funds:batch", args=[batch.pk])).content.decode()
    assert world.people[0].name in detail
    assert world.accounts[world.people[0].pk][0].number not in detail  # masked
    client.logout()
    hd = client_for(client, world.users.hd)
    assert hd.get(reverse("funds:batch", args=[batch.pk])).status_code == 404
    assert hd.get(reverse("funds:line_reissue", args=[failed.pk])).status_code == 404
    assert (
        hd.get(reverse("funds:batch_file", args=[batch.pk, batch_file_id(batch)])).status_code
        == 404
    )
    page = hd.get(reverse("funds:exceptions")).content.decode()
    assert failed.entitlement.payment_id not in page
    listing = hd.get(reverse("funds:batches", args=[world.funds.condolence.pk]))
    assert listing.status_code == 404  # Chaoyang's own programme: not Haidian's to see
    for name in ("batch_release", "batch_export", "batch_returns", "batch_reconcile"):
        assert hd.post(reverse(f"funds:{name}", args=[batch.pk])).status_code == 404


def test_a_grassroots_post_sees_nothing_above_it_and_cannot_pay(world, client):
    batch, failed = staged(world)
    grass = client_for(client, world.users.cy_grass)
    assert grass.get(reverse("funds:batch", args=[batch.pk])).status_code == 404
    assert grass.get(reverse("funds:line_reissue", args=[failed.pk])).status_code == 404
    response = grass.post(
        reverse("funds:line_reissue", args=[failed.pk]),
        {"how": "cash", "note": "x", "receipt": receipt()},
    )
    assert response.status_code == 404
    assert PayoutLine.objects.get(pk=failed.pk).status == "failed"
    # Its own union's batches page offers no new batch (no funds.pay).
    page = grass.get(reverse("funds:batches", args=[world.funds.condolence.pk]))
    assert page.status_code == 200 and "编制新批次" not in page.content.decode()


def test_the_whole_path_through_the_pages(world, client):
    cy = client_for(client, world.users.cy)
    url = reverse("funds:batches", args=[world.funds.condolence.pk])
    response = cy.post(url, {"name": "2026年春节慰问金", "org_unit": world.tree.chaoyang.pk})
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "funds:batch", args=[batch.pk]
    )
    page = cy.get(response["Location"]).content.decode()
    assert "缺少收款账户" in page and "无账户" in page
    assert "请先做失败预判" in page
    predict(batch)
    # The maker cannot release: the message says why.
    cy.post(reverse("funds:batch_release", args=[batch.pk]))
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"
    client.logout()
    checker = client_for(client, world.checker)
    checker.post(reverse("funds:batch_release", args=[batch.pk]))
    assert PayoutBatch.objects.get(pk=batch.pk).status == "released"
    response = checker.post(reverse("funds:batch_export", args=[batch.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = read_bank_file(response.content)
    assert len(rows) == 4
    ids = [row[0] for row in rows[1:]]
    data = return_file(
        [(ids[0], "失败", "久悬户", ""), (ids[1], "成功", "", ""), (ids[2], "成功", "", "")]
    )
    upload = pytest.importorskip("django.core.files.uploadedfile").SimpleUploadedFile(
        "回盘.csv", data, "text/csv"
    )
    checker.post(reverse("funds:batch_returns", args=[batch.pk]), {"file": upload})
    failed = PayoutLine.objects.get(batch=batch, status="failed")
    # A re-issue in cash without its receipt: the error beside the field.
    url = reverse("funds:line_reissue", args=[failed.pk])
    page = checker.post(url, {"how": "cash", "note": "上门送达"}).content.decode()
    assert "签收单" in page and PayoutLine.objects.get(pk=failed.pk).status == "failed"
    response = checker.post(url, {"how": "cash", "note": "上门送达", "receipt": receipt()})
    assert response.status_code == 302
    assert PayoutLine.objects.filter(batch=batch, method="cash", status="paid").count() == 1
    response = checker.post(
        reverse("funds:batch_reconcile", args=[batch.pk]),
        {"bank_count": "2", "bank_total": "17,000.00"},
    )
    assert PayoutBatch.objects.get(pk=batch.pk).status == "settled"
    # The kept file downloads again, as a recorded reveal.
    before = AuditEvent.objects.filter(action="pii.reveal").count()
    again = checker.get(reverse("funds:batch_file", args=[batch.pk, batch_file_id(batch)]))
    assert again.status_code == 200 and read_bank_file(again.content) == rows
    assert AuditEvent.objects.filter(action="pii.reveal").count() == before + 1


def test_a_bad_return_file_is_refused_on_the_page_naming_the_row(world, client):
    batch, _ = world.exported()
    from django.core.files.uploadedfile import SimpleUploadedFile

    cy = client_for(client, world.users.cy)
    data = return_file([("FT-UNKNOWN", "成功", "", "")])
    response = cy.post(
        reverse("funds:batch_returns", args=[batch.pk]),
        {"file": SimpleUploadedFile("r.csv", data)},
        follow=True,
    )
    assert (
        "第 2 行" in response.content.decode() and "本批次没有这笔发放" in response.content.decode()
    )
    assert not batch.imports.exists()


def test_a_fraction_of_a_fen_in_the_reconcile_form_is_refused(world, client):
    batch, _ = staged(world)
    cy = client_for(client, world.users.cy)
    response = cy.post(
        reverse("funds:batch_reconcile", args=[batch.pk]),
        {"bank_count": "2", "bank_total": "17000.005"},
        follow=True,
    )
    assert "两位小数" in response.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "exported"


def test_login_page_for_anonymous(client, world):
    response = client.get(reverse("funds:exceptions"))
    assert response.status_code == 302
    assert client.login(username="cy_staff", password=PASSWORD)
    assert client.get(reverse("funds:exceptions")).status_code == 200


def test_a_kept_bank_file_is_not_fetched_through_the_files_page_without_pay_and_pii(world, client):
    """The kept bank file holds real account numbers: the generic attachment page gives it
    only to those ``batch_file`` would (funds.pay and people.view_pii at the batch's union):
    not to the auditor (files.view, funds.view), not to a grassroots post of the union."""
    batch, _ = world.exported()
    url = f"/files/{batch_file_id(batch)}/"
    for user in (world.users.auditor, world.users.cy_grass):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    client.force_login(world.users.cy)
    assert client.get(url).status_code == 200
