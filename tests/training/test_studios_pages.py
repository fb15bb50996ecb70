"""Studio pages through the Django test client: the registry list (filters, sort, Excel),
a studio, registration, the report form (errors beside the field, nothing written), the
review buttons and decisions, evidence, the alliance (table, chart, Excel), and Chaoyang's
staff answered 404 for Haidian's studios and reports on every page."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gonghui.audit.models import AuditEvent
from gonghui.people.models import Unit
from gonghui.registry.models import Studio
from gonghui.training.models import StudioReport
from gonghui.training.studios import services
from tests.training.test_studios import GOOD, approve, make_studio, submit


@pytest.fixture
def studios(tree, members):
    cy = make_studio(tree.cy_grass, "王建国焊接创新工作室", leader=members.cy1)
    hd = make_studio(tree.hd_grass, "张伟数控创新工作室", leader=members.hd1, trade="数控")
    return cy, hd


def form_data(**changes) -> dict:
    data = {**GOOD, **changes}
    data["patents"] = "\n".join(f"{p['number']} {p['title']}" for p in data["patents"])
    return data


def sheet(response) -> list[tuple]:
    book = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(response.streaming_content if response.streaming else [response.content])
        )
    )
    return list(book.active.iter_rows(values_only=True))


def test_the_list_filters_sorts_and_exports_in_scope(client, studios, users):
    cy, hd = studios
    client.force_login(users.admin)
    page = client.get(reverse("training:studios"), {"trade": "数控", "sort": "-name"})
    assert page.status_code == 200 and hd.name in page.text and cy.name not in page.text
    bad = client.get(reverse("training:studios"), {"founded_year": "abc"})
    assert "创建年份应为四位数字" in bad.text and cy.name not in bad.text
    rows = sheet(client.get(reverse("training:studios_export")))
    assert rows[0][0] == "名称" and {r[0] for r in rows[1:]} == {cy.name, hd.name}
    client.force_login(users.cy)
    page = client.get(reverse("training:studios"))
    assert cy.name in page.text and hd.name not in page.text
    rows = sheet(client.get(reverse("training:studios_export")))
    assert [r[0] for r in rows[1:]] == [cy.name]
    exports = AuditEvent.objects.filter(action="training.studios_export").order_by("id")
    assert [(e.actor_id, json.loads(e.body)["changes"]["rows"]) for e in exports] == [
        (users.admin.pk, [None, 2]),
        (users.cy.pk, [None, 1]),
    ]


def test_chaoyang_staff_get_404_for_haidians_pages(client, studios, users):
    cy, hd = studios
    report = submit(users.hd, hd)
    member = services.studio_member_add(actor=users.hd, studio=hd, person=hd.leader)
    client.force_login(users.cy)
    for url in (
        reverse("training:studio", args=[hd.pk]),
        reverse("training:studio_edit", args=[hd.pk]),
        reverse("training:studio_report_create", args=[hd.pk]),
        reverse("training:studio_report", args=[report.pk]),
        reverse("training:studio_report_edit", args=[report.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("training:studio_accept", args=[hd.pk]), {"level": "city", "kind": "worker"}),
        (reverse("training:studio_decline", args=[hd.pk]), {}),
        (reverse("training:studio_member_add", args=[hd.pk]), {"person": hd.leader.pk}),
        (reverse("training:studio_member_remove", args=[member.pk]), {}),
        (reverse("training:studio_report_review", args=[report.pk]), {"decision": "approve"}),
        (reverse("training:studio_report_create", args=[hd.pk]), form_data()),
    ):
        assert client.post(url, data).status_code == 404, url
    assert not report.reviews.exists()
    page = client.get(reverse("training:studio_reports"))
    assert page.status_code == 200 and hd.name not in page.text
    page = client.get(reverse("training:studio_alliance"))
    assert page.status_code == 200 and hd.name not in page.text and cy.name in page.text


def test_submit_a_report_on_the_page(client, studios, users):
    cy, _ = studios
    client.force_login(users.cy_grass)
    page = client.get(reverse("training:studio", args=[cy.pk]))
    assert (
        "填报年度成果" in page.text and "修改" not in page.text.split("<h2>")[0].split("actions")[1]
    )
    url = reverse("training:studio_report_create", args=[cy.pk])
    wrong = client.post(
        url, form_data(patents=[GOOD["patents"][0], {"number": "", "title": "无号"}])
    )
    assert wrong.status_code == 200 and "第 2 行专利缺少专利号" in wrong.text
    wrong = client.post(url, form_data(benefit="12.345"))
    assert "不足一分" in wrong.text
    assert not StudioReport.objects.exists()
    pdf = SimpleUploadedFile("专利证书.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    done = client.post(url, {**form_data(), "evidence": [pdf]}, follow=True)
    report = StudioReport.objects.get()
    assert "等待区级审核" in done.text and report.patent_count == 2
    evidence = report_evidence(report)
    got = client.get(reverse("training:studio_report_evidence", args=[report.pk, evidence]))
    assert got.status_code == 200
    # The grassroots post sees no review form; the district's does.
    assert "区级审核</h2>" not in done.text
    client.force_login(users.cy)
    page = client.get(reverse("training:studio_report", args=[report.pk]))
    assert "区级审核</h2>" in page.text
    review = reverse("training:studio_report_review", args=[report.pk])
    done = client.post(review, {"decision": "return"}, follow=True)
    assert "退回修改须填写原因" in done.text
    done = client.post(review, {"decision": "approve", "note": "属实"}, follow=True)
    assert "已报市级审核" in done.text
    client.force_login(users.admin)
    done = client.post(review, {"decision": "approve"}, follow=True)
    assert "年度成果已审定" in done.text
    report.refresh_from_db()
    assert report.status == "approved"


def report_evidence(report) -> int:
    from gonghui.files.models import Attachment

    return Attachment.objects.get(object_id=str(report.pk)).pk


def test_register_a_studio_on_the_page(client, tree, users, members):
    employer = Unit.objects.create(name="北京三兴汽车有限公司", org_unit=tree.cy_grass)
    client.force_login(users.cy)
    page = client.get(reverse("training:studio_create"), {"unit_q": "三兴", "person_q": "王建国"})
    assert "北京三兴汽车有限公司" in page.text and "王建国" in page.text
    data = {
        "org_unit": tree.cy_grass.pk,
        "name": "三兴焊接创新工作室",
        "kind": "worker",
        "level": "district",
        "employer": employer.pk,
        "leader": members.cy1.pk,
        "trade": "焊接",
        "founded_year": "2099",
    }
    wrong = client.post(reverse("training:studio_create"), data)
    assert "不能是未来年份" in wrong.text and not Studio.objects.exists()
    done = client.post(
        reverse("training:studio_create"), {**data, "founded_year": "2019"}, follow=True
    )
    assert "已登记“三兴焊接创新工作室”" in done.text
    assert Studio.objects.get().leader == members.cy1


def test_the_alliance_table_chart_and_export(client, studios, users):
    cy, hd = studios
    approve(submit(users.cy_grass, cy, year="2024"), users)
    client.force_login(users.admin)
    page = client.get(reverse("training:studio_alliance"))
    assert page.status_code == 200 and 'id="chart-alliance"' in page.text
    assert "2000000.00" in page.text or "2,000,000" in page.text
    bad = client.get(reverse("training:studio_alliance"), {"year_from": "2025", "year_to": "2024"})
    assert "截止年度不能早于起始年度" in bad.text
    rows = sheet(client.get(reverse("training:studio_alliance_export")))
    assert rows[0][:4] == ("工作室", "区（产业）", "专业领域", "年度")
    assert (cy.name, 2024) in {(r[0], r[3]) for r in rows[1:]} or (cy.name, "2024") in {
        (r[0], r[3]) for r in rows[1:]
    }
    assert rows[-1][0] == "总计" and rows[-1][7] in (80, "80")


def test_no_page_fails_for_any_role(client, studios, users, members):
    cy, hd = studios
    report = submit(users.cy_grass, cy)
    for user in (
        users.admin,
        users.cy,
        users.hd,
        users.cy_street,
        users.cy_grass,
        users.auditor,
        users.nopost,
        members.cy1.user,
    ):
        client.force_login(user)
        for url in (
            reverse("training:studios"),
            reverse("training:studios_export"),
            reverse("training:studio_create"),
            reverse("training:studio_alliance"),
            reverse("training:studio_alliance_export"),
            reverse("training:studio_reports"),
            reverse("training:studio", args=[cy.pk]),
            reverse("training:studio_edit", args=[cy.pk]),
            reverse("training:studio_report_create", args=[cy.pk]),
            reverse("training:studio_report", args=[report.pk]),
            reverse("training:studio_report_edit", args=[report.pk]),
        ):
            assert client.get(url).status_code in (200, 403, 404), (user, url)
