"""Innovation studios: registration and the contests' offers answered, members, the yearly
output report's validation (each refusal names the field, nothing written), the review
district then city with maker-checker (service and database), return and resubmission, the
alliance's figures, and the scope (Chaoyang's staff find nothing of Haidian's)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.files.models import Attachment
from gonghui.orgs.models import Post, Role
from gonghui.people.models import Unit
from gonghui.registry.models import Award, Studio
from gonghui.registry.services import studio_offer
from gonghui.training.models import StudioMember, StudioReport, StudioReview
from gonghui.training.studios import selectors, services
from tests.factories import make_member, make_user

YEAR = 2025


def refused(call, field: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in caught.value.fields, caught.value.fields
    return caught.value.fields[field]


def make_studio(org_unit, name: str, *, employer_name=None, leader=None, **fields) -> Studio:
    """A studio as the registry holds it (made directly: services are tested below)."""
    employer = Unit.objects.create(name=employer_name or f"{name}所在公司", org_unit=org_unit)
    return Studio.objects.create(
        name=name,
        employer=employer,
        org_unit=org_unit,
        leader=leader,
        status=Studio.Status.ACTIVE,
        kind=fields.pop("kind", Studio.Kind.CRAFTSMAN),
        level=fields.pop("level", Studio.Level.DISTRICT),
        trade=fields.pop("trade", "焊接"),
        founded_year=fields.pop("founded_year", 2018),
        **fields,
    )


@pytest.fixture
def studios(tree, members):
    cy = make_studio(tree.cy_grass, "王建国焊接创新工作室", leader=members.cy1)
    hd = make_studio(tree.hd_grass, "张伟数控创新工作室", leader=members.hd1, trade="数控")
    return cy, hd


GOOD = {
    "year": str(YEAR),
    "patents": [
        {"number": "ZL202310123456.7", "title": "一种焊缝跟踪装置"},
        {"number": "CN116123456A", "title": "一种焊接机器人"},
    ],
    "innovations": "6",
    "apprentices": "3",
    "trained": "80",
    "benefit": "2,000,000.00",
    "saved": "260000",
    "summary": "全年完成攻关项目 6 项。",
}


def submit(actor, studio, **changes):
    return services.studio_report_submit(actor=actor, studio=studio, **{**GOOD, **changes})


# --- Reports: validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"benefit": "-1"}, "benefit", "不能为负数"),
        ({"saved": "100.005"}, "saved", "不足一分"),
        ({"trained": "-3"}, "trained", "不能为负数"),
        ({"innovations": "2.5"}, "innovations", "整数"),
        ({"year": "2099"}, "year", "不能晚于今年"),
        ({"patents": [{"number": "", "title": "无号专利"}]}, "patents", "第 1 行专利缺少专利号"),
        (
            {"patents": [GOOD["patents"][0], {"number": "2023-12345", "title": "x"}]},
            "patents",
            "第 2 行专利号",
        ),
        ({"patents": [GOOD["patents"][0], GOOD["patents"][0]]}, "patents", "重复"),
    ],
)
def test_impossible_figures_are_refused_naming_the_field_nothing_written(
    studios, users, changes, field, words
):
    events = AuditEvent.objects.count()
    message = refused(lambda: submit(users.cy_grass, studios[0], **changes), field)
    assert words in message
    assert not StudioReport.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_report_is_stored_in_fen_with_its_patents_and_evidence(studios, users):
    pdf = SimpleUploadedFile("成果清单.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    report = submit(users.cy_grass, studios[0], evidence=[pdf])
    assert report.status == StudioReport.Status.SUBMITTED
    assert report.benefit_fen == 200_000_000 and report.saved_fen == 26_000_000
    assert report.patent_count == 2 and report.patents[1]["number"] == "CN116123456A"
    assert report.org_unit == studios[0].org_unit
    assert Attachment.objects.filter(object_id=str(report.pk)).count() == 1
    # One per studio and year: the service says so, the database holds it.
    assert "已填报" in refused(lambda: submit(users.cy_grass, studios[0]), "year")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudioReport.objects.create(
            studio=studios[0],
            org_unit=studios[0].org_unit,
            year=YEAR,
            submitted_by=users.cy_grass,
            submitted_at=report.submitted_at,
        )


def test_the_database_refuses_negative_money(studios, users):
    report = submit(users.cy_grass, studios[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        StudioReport.objects.filter(pk=report.pk).update(saved_fen=-1)


# --- Review: district then city -----------------------------------------------------------


def test_district_then_city_approve(studios, users):
    report = submit(users.cy_grass, studios[0])
    # The city cannot go first.
    with pytest.raises(Forbidden, match="区级"):
        services.studio_report_review(actor=users.admin, report=report, decision="approve")
    report = services.studio_report_review(actor=users.cy, report=report, decision="approve")
    assert report.status == StudioReport.Status.DISTRICT_OK
    # The district cannot decide the city's level.
    with pytest.raises(Forbidden, match="市级"):
        services.studio_report_review(actor=users.cy, report=report, decision="approve")
    report = services.studio_report_review(actor=users.admin, report=report, decision="approve")
    assert report.status == StudioReport.Status.APPROVED
    assert list(report.reviews.values_list("level", "decision")) == [
        ("district", "approve"),
        ("city", "approve"),
    ]
    assert selectors.approved_report(studios[0].pk, YEAR) == report
    assert "无需审核" in refused(
        lambda: services.studio_report_review(actor=users.admin, report=report, decision="approve"),
        "decision",
    )


def test_maker_checker_in_the_service_and_the_database(studios, users, tree):
    report = submit(users.cy, studios[0])  # district staff may file for a unit too
    assert "提交人" in refused(
        lambda: services.studio_report_review(actor=users.cy, report=report, decision="approve"),
        "decision",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        StudioReview.objects.create(
            report=report, level="district", decision="approve", reviewer=users.cy
        )
    assert not report.reviews.exists()


def test_one_account_does_not_decide_both_levels(studios, users, tree):
    report = submit(users.cy_grass, studios[0])
    # The city admin's post is not at a district: a second post at Chaoyang lets them try.
    Post.objects.create(
        user=users.admin, org_unit=tree.chaoyang, role=Role.objects.get(code="district_staff")
    )
    report = services.studio_report_review(actor=users.admin, report=report, decision="approve")
    assert "两级" in refused(
        lambda: services.studio_report_review(actor=users.admin, report=report, decision="approve"),
        "decision",
    )


def test_return_with_reason_then_resubmit(studios, users):
    report = submit(users.cy_grass, studios[0])
    assert "原因" in refused(
        lambda: services.studio_report_review(actor=users.cy, report=report, decision="return"),
        "note",
    )
    report = services.studio_report_review(
        actor=users.cy, report=report, decision="return", note="专利清单缺少证书"
    )
    assert report.status == StudioReport.Status.RETURNED
    # Only a returned report is corrected; bad figures refused, nothing changed.
    assert "不能为负数" in refused(
        lambda: services.studio_report_update(
            actor=users.cy_grass, report=report, **{**GOOD, "benefit": "-5"}
        ),
        "benefit",
    )
    report.refresh_from_db()
    assert report.status == StudioReport.Status.RETURNED
    report = services.studio_report_update(
        actor=users.cy_grass, report=report, **{**GOOD, "innovations": "7"}
    )
    assert report.status == StudioReport.Status.SUBMITTED and report.innovations == 7
    # The same district reviewer decides the new submission afresh.
    report = services.studio_report_review(actor=users.cy, report=report, decision="approve")
    report = services.studio_report_review(actor=users.admin, report=report, decision="approve")
    assert report.status == StudioReport.Status.APPROVED
    assert "只有退回" in refused(
        lambda: services.studio_report_update(actor=users.cy_grass, report=report, **GOOD),
        "status",
    )


# --- Scope ------------------------------------------------------------------------------------


def test_chaoyang_staff_find_nothing_of_haidians(studios, users):
    cy, hd = studios
    report = submit(users.hd, hd)
    with pytest.raises(NotFound):
        selectors.studio_get(actor=users.cy, pk=hd.pk)
    with pytest.raises(NotFound):
        selectors.report_get(actor=users.cy, pk=report.pk)
    with pytest.raises(NotFound):
        submit(users.cy, hd, year="2024")
    with pytest.raises(NotFound):
        services.studio_report_review(actor=users.cy, report=report, decision="approve")
    assert list(selectors.studio_list(actor=users.cy)) == [cy]
    assert set(selectors.studio_list(actor=users.admin)) == {cy, hd}
    # A grassroots post may file but not review.
    report = submit(users.cy, cy)
    with pytest.raises(Forbidden):
        services.studio_report_review(actor=users.cy_grass, report=report, decision="approve")


# --- Registration, offers, members ------------------------------------------------------------


@pytest.fixture
def model_worker(tree, honours):
    person = make_member(tree.cy_grass, "刘振丽")
    honour = next(iter(honours.values()))
    Award.objects.create(
        person=person, honour=honour, year=2015, status=Award.Status.ACTIVE, org_unit=tree.cy_grass
    )
    return person


def test_register_and_update_a_studio(tree, users, members, model_worker):
    employer = Unit.objects.create(name="北京三兴汽车有限公司", org_unit=tree.cy_grass)
    fields = dict(
        org_unit=tree.cy_grass,
        name="刘振丽劳模创新工作室",
        kind="model_worker",
        level="city",
        employer=employer,
        leader=members.cy1,
        named_after=model_worker,
        trade="汽车制造",
        founded_year=2016,
    )
    assert "未来" in refused(
        lambda: services.studio_register(actor=users.cy, **{**fields, "founded_year": 2099}),
        "founded_year",
    )
    assert "荣誉" in refused(
        lambda: services.studio_register(actor=users.cy, **{**fields, "named_after": members.cy2}),
        "named_after",
    )
    assert not Studio.objects.exists()
    with pytest.raises(NotFound):
        services.studio_register(actor=users.hd, **fields)
    with pytest.raises(Forbidden):  # a grassroots post files reports, does not register
        services.studio_register(actor=users.cy_grass, **fields)
    studio = services.studio_register(actor=users.cy, **fields)
    assert studio.status == "active" and studio.named_after == model_worker
    assert "同名" in refused(lambda: services.studio_register(actor=users.cy, **fields), "name")
    studio = services.studio_update(actor=users.cy, studio=studio, trade="新能源汽车")
    assert Studio.objects.get(pk=studio.pk).trade == "新能源汽车"
    with pytest.raises(NotFound):
        services.studio_update(actor=users.hd, studio=studio, trade="x")


def test_an_offered_studio_is_accepted_or_declined_once(tree, users, members):
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    offered = studio_offer(
        actor=users.admin,
        employer=employer,
        leader=members.cy1,
        org_unit=tree.cy_grass,
        source="第一届朝阳工匠",
        grant_fen_per_year=0,
        grant_years=0,
    )
    assert "级别" in refused(
        lambda: services.studio_accept(actor=users.cy, studio=offered), "level"
    )
    with pytest.raises(NotFound):
        services.studio_accept(actor=users.hd, studio=offered, level="district")
    studio = services.studio_accept(actor=users.cy, studio=offered, level="district")
    assert studio.status == "active" and studio.level == "district"
    assert "只有待单位确认" in refused(
        lambda: services.studio_decline(actor=users.cy, studio=studio), "status"
    )
    other = Unit.objects.create(name="朝阳另一公司", org_unit=tree.cy_grass)
    offered = studio_offer(
        actor=users.admin,
        employer=other,
        leader=members.cy2,
        org_unit=tree.cy_grass,
        source="第一届朝阳工匠",
        grant_fen_per_year=0,
        grant_years=0,
    )
    studio = services.studio_decline(actor=users.cy, studio=offered, reason="单位改制")
    assert studio.status == "declined"
    # A declined employer may be offered again (the registry's own rule still holds).
    assert (
        studio_offer(
            actor=users.admin,
            employer=other,
            leader=members.cy2,
            org_unit=tree.cy_grass,
            source="第二届",
            grant_fen_per_year=0,
            grant_years=0,
        )
        is not None
    )


def test_members_and_apprentices(studios, users, members):
    cy = studios[0]
    member = services.studio_member_add(
        actor=users.cy, studio=cy, person=members.cy2, role="apprentice", joined_on=date(2024, 3, 1)
    )
    assert member.role == "apprentice"
    assert "已是" in refused(
        lambda: services.studio_member_add(actor=users.cy, studio=cy, person=members.cy2), "person"
    )
    with pytest.raises(NotFound):
        services.studio_member_add(actor=users.hd, studio=cy, person=members.hd1)
    with pytest.raises(NotFound):
        services.studio_member_remove(actor=users.hd, member=member)
    services.studio_member_remove(actor=users.cy, member=member)
    assert not StudioMember.objects.exists()


# --- The alliance -----------------------------------------------------------------------------


def approve(report, users):
    report = services.studio_report_review(actor=users.cy, report=report, decision="approve")
    return services.studio_report_review(actor=users.admin, report=report, decision="approve")


def test_alliance_counts_only_approved_reports_exactly(studios, users, tree):
    cy, hd = studios
    approve(submit(users.cy_grass, cy, year="2024", benefit="100.50"), users)
    approve(submit(users.cy_grass, cy, year="2025", patents=[], trained="20"), users)
    submit(users.cy_grass, cy, year="2023", trained="999")  # pending: not counted
    hd_report = submit(
        make_user("hd_grass", tree.hd_grass, "grassroots_staff"), hd, year="2025", trained="5"
    )
    services.studio_report_review(actor=users.hd, report=hd_report, decision="approve")
    services.studio_report_review(actor=users.admin, report=hd_report, decision="approve")
    city = selectors.alliance(actor=users.admin)
    assert city.years == [2024, 2025] and city.reports == 3
    assert city.by_year[2024] == {
        "patent_count": 2,
        "innovations": 6,
        "apprentices": 3,
        "trained": 80,
        "benefit_fen": 10050,
        "saved_fen": 26_000_000,
    }
    assert city.by_year[2025]["trained"] == 25 and city.by_year[2025]["patent_count"] == 2
    assert city.total["trained"] == 105 and city.total["benefit_fen"] == 10050 + 200_000_000 * 2
    rows = {r.studio.pk: r for r in city.rows}
    assert rows[cy.pk].district == "朝阳区总工会" or rows[cy.pk].district == tree.chaoyang.name
    assert rows[cy.pk].total["trained"] == 100
    # Scope and filters.
    mine = selectors.alliance(actor=users.cy)
    assert [r.studio for r in mine.rows] == [cy] and mine.total["trained"] == 100
    assert selectors.alliance(actor=users.admin, trade="数控").total["trained"] == 5
    assert selectors.alliance(actor=users.admin, year_from=2025).total["trained"] == 25
    assert selectors.alliance(actor=users.admin, district=tree.haidian).reports == 1
