"""Applications through their services (issue #18 points 1 and 2): each apply kind's rule at
its boundaries (certificate levels and aliases, listed trades, finalists' places 10/11 and
5/6, the illness table at exactly 2,000元 and 20,000元 and each grade, the studio grant),
bad input named by its field (fractions of a fen, negative amounts), duplicates across
programmes, yearly caps, inactive membership, the review levels with maker-checker (in the
service and in the database), reject reasons, withdrawal, approval over budget."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.contests.models import Competition, Entrant, Result, Stage
from gonghui.contests.models import Programme as Contest
from gonghui.funds.applications import eligibility
from gonghui.funds.applications.services import (
    application_decide,
    application_submit,
    application_withdraw,
    document_open,
)
from gonghui.funds.models import (
    Application,
    Budget,
    Entitlement,
    Hardship,
    LedgerEntry,
    Review,
    RuleVersion,
)
from gonghui.people.models import Membership, Trade, Unit
from gonghui.registry.models import Studio
from gonghui.training.models import StudioReport
from tests.factories import make_member, make_user
from tests.funds.conftest import CERTIFICATE_RULE, ILLNESS_RULE, YEAR, make_programme

pytestmark = pytest.mark.django_db
NOW = datetime(YEAR, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Monday


@pytest.fixture(autouse=True)
def _clock_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


def pdf(name="证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 scan", content_type="application/pdf")


def cert_facts(**extra):
    return {
        "certificate_no": "S0001-2345",
        "level": "一级",
        "trade": "钳工",
        "issued_on": "2025-06-01",
    } | extra


def illness_facts(**extra):
    return {
        "self_paid": "30000",
        "grade": "一般困难",
        "diagnosis": "急性白血病",
        "event_date": "2026-03-02",
        "hospital": "北京协和医院",
    } | extra


ILLNESS_DOCS = ("diagnosis_doc", "bills_doc", "hardship_doc")


def submit_cert(actor, programme, person=None, **facts):
    return application_submit(
        actor=actor,
        programme=programme,
        facts=cert_facts(**facts),
        documents={"certificate_doc": pdf()},
        person=person,
    )


def submit_illness(actor, programme, person=None, **facts):
    return application_submit(
        actor=actor,
        programme=programme,
        facts=illness_facts(**facts),
        documents={key: pdf(f"{key}.pdf") for key in ILLNESS_DOCS},
        person=person,
    )


@pytest.fixture
def member(tree):
    return make_member(tree.cy_grass, "赵郁", username="zhaoyu")


def refused(call, field):
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in caught.value.fields, caught.value.fields
    return caught.value.fields[field]


def approve_all(app, users):
    """Through every level: grassroots verification, district review, city approval."""
    deciders = [users.cy_grass, users.cy, users.admin][: app.programme.levels]
    for decider in deciders:
        app = application_decide(actor=decider, application=app, decision="pass", note="")
    return app


# --- The certificate subsidy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "fen"),
    [
        ("一级", 200000),
        ("高级技师", 200000),
        ("高级社会工作者", 200000),
        ("二级", 100000),
        ("技师", 100000),
        ("社会工作者", 100000),
        ("三级", 80000),
        ("高级工", 80000),
    ],
)
def test_each_certificate_level_and_alias_gives_its_amount(funds, member, level, fen):
    app = submit_cert(member.user, funds.certificate, level=level)
    assert app.amount == fen and app.rule_version.version == 1
    assert app.status == "submitted" and app.org_unit == member.memberships.get().org_unit
    assert app.applicant_user == member.user and app.created_by == member.user


def test_a_level_outside_the_table_is_refused_naming_level(funds, member):
    assert "不在补贴范围" in refused(
        lambda: submit_cert(member.user, funds.certificate, level="四级"), "level"
    )
    assert not Application.objects.exists()


def test_trades_listed_per_year(funds, member):
    rule = CERTIFICATE_RULE | {"trades": {str(YEAR): ["钳工", "焊工"], "2025": ["车工"]}}
    RuleVersion.objects.create(programme=funds.certificate, version=2, rule=rule)
    message = refused(lambda: submit_cert(member.user, funds.certificate, trade="车工"), "trade")
    assert "车工" in message and str(YEAR) in message
    app = submit_cert(member.user, funds.certificate, trade="焊工")
    assert app.rule_version.version == 2


def test_one_subsidy_per_certificate_across_programmes(funds, member, tree):
    other = make_programme(
        "cert-cy", "朝阳技能证书补贴", "certificate", tree.chaoyang, CERTIFICATE_RULE, budget=10**8
    )
    submit_cert(member.user, funds.certificate, certificate_no="S0001-2345")
    # The same number typed differently, in another programme: still the same certificate.
    message = refused(
        lambda: submit_cert(member.user, other, certificate_no="ｓ 0001 2345"), "certificate_no"
    )
    assert "已申请过或已获补贴" in message and "2345" not in message
    assert Application.objects.count() == 1


def test_a_rejected_certificate_may_be_applied_for_again(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    application_decide(actor=users.cy_grass, application=app, decision="reject", note="证书模糊")
    again = submit_cert(member.user, funds.certificate)
    assert again.dedupe_key == app.dedupe_key


def test_the_certificate_scan_is_required(funds, member):
    call = lambda: application_submit(  # noqa: E731
        actor=member.user, programme=funds.certificate, facts=cert_facts(), documents={}
    )
    assert "证书" in refused(call, "certificate_doc")


def test_a_document_that_is_not_what_it_claims_is_refused_naming_it(funds, member):
    fake = SimpleUploadedFile("证书.pdf", b"MZ not a pdf", content_type="application/pdf")
    call = lambda: application_submit(  # noqa: E731
        actor=member.user,
        programme=funds.certificate,
        facts=cert_facts(),
        documents={"certificate_doc": fake},
    )
    assert "只接受" in refused(call, "certificate_doc")
    assert not Application.objects.exists()


# --- Finalists of listed competitions --------------------------------------------------------


def finalist_world(funds, member, tree, users, *, place, top_level="final"):
    trade = Trade.objects.filter(name="钳工").first() or Trade.objects.create(
        code="T-QG", name="钳工"
    )
    contest = Contest.objects.create(
        name="北京大工匠", year=YEAR, org_unit=tree.city, created_by=users.admin
    )
    now = timezone.now()
    competition = Competition.objects.create(
        programme=contest,
        org_unit=tree.city,
        trade=trade,
        name="北京大工匠·钳工",
        status="finished",
        registration_opens_at=now - timedelta(days=60),
        registration_closes_at=now - timedelta(days=30),
    )
    stages = [
        Stage.objects.create(competition=competition, order=1, kind="selection", name="选拔赛"),
        Stage.objects.create(competition=competition, order=2, kind="final", name="决赛"),
    ]
    employer = Unit.objects.create(name="北京某机床厂", org_unit=tree.city)
    entrant = Entrant.objects.create(
        competition=competition, person=member, number=7, age=40, employer=employer, route="self"
    )
    # A first place in the selection must not count: the top stage does.
    for stage, rank in ((stages[0], 1), (stages[1], place)):
        Result.objects.create(
            stage=stage,
            entrant=entrant,
            score="90",
            place=rank,
            scheme_version=1,
            computed_at=now,
            revealed_at=now,
        )
    rule = CERTIFICATE_RULE | {"competitions": [{"id": competition.pk, "top_level": top_level}]}
    RuleVersion.objects.create(programme=funds.certificate, version=2, rule=rule)
    return competition


def submit_finalist(actor, programme, competition):
    return application_submit(
        actor=actor,
        programme=programme,
        facts={"route": "finalist", "competition": str(competition.pk)},
    )


@pytest.mark.parametrize(
    ("top_level", "place", "ok"),
    [("final", 10, True), ("final", 11, False), ("semi_final", 5, True), ("semi_final", 6, False)],
)
def test_finalists_places_at_their_boundaries(funds, member, tree, users, top_level, place, ok):
    competition = finalist_world(funds, member, tree, users, place=place, top_level=top_level)
    if ok:
        app = submit_finalist(member.user, funds.certificate, competition)
        assert app.amount == 100000 and app.facts["place"] == place
        assert app.dedupe_key == f"final:{competition.pk}:{member.pk}"
    else:
        message = refused(
            lambda: submit_finalist(member.user, funds.certificate, competition), "competition"
        )
        assert f"第{place}名不在补贴范围" in message


def test_a_finalist_result_not_yet_published_does_not_count(funds, member, tree, users):
    competition = finalist_world(funds, member, tree, users, place=1)
    Result.objects.filter(stage__order=2).update(revealed_at=None)
    assert "已公布的成绩" in refused(
        lambda: submit_finalist(member.user, funds.certificate, competition), "competition"
    )


def test_an_unlisted_competition_is_refused(funds, member, tree, users):
    competition = finalist_world(funds, member, tree, users, place=1)
    call = lambda: application_submit(  # noqa: E731
        actor=member.user,
        programme=funds.certificate,
        facts={"route": "finalist", "competition": str(competition.pk + 99)},
    )
    assert "不在本项目补贴的竞赛名单" in refused(call, "competition")


def test_a_finalist_applies_once_per_competition(funds, member, tree, users):
    competition = finalist_world(funds, member, tree, users, place=3)
    submit_finalist(member.user, funds.certificate, competition)
    assert "申请过" in refused(
        lambda: submit_finalist(member.user, funds.certificate, competition), "competition"
    )


# --- Critical-illness aid --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("self_paid", "grade", "fen"),
    [
        ("0", "一般困难", 200000),  # exactly 2,000元: the floor
        ("49999.99", "一般困难", 200000),
        ("49999.99", "特别困难", 500000),
        ("50000", "一般困难", 500000),
        ("50000.00", "特别困难", 1000000),
        ("149,999.99", "特别困难", 1000000),
        ("150000", "一般困难", 1000000),
        ("150000", "特别困难", 2000000),  # exactly 20,000元: the ceiling
        ("9999999", "特别困难", 2000000),
    ],
)
def test_the_illness_table_at_its_boundaries(funds, member, self_paid, grade, fen):
    app = submit_illness(member.user, funds.illness, self_paid=self_paid, grade=grade)
    assert app.amount == fen
    assert ILLNESS_RULE["min"] <= app.amount <= ILLNESS_RULE["max"]


def test_the_grade_defaults_to_the_open_hardship_record(funds, member, tree):
    Hardship.objects.create(
        person=member, org_unit=tree.chaoyang, grade="特别困难", since=date(2025, 1, 1)
    )
    app = submit_illness(member.user, funds.illness, grade="")
    assert app.facts["grade"] == "特别困难" and app.amount == 500000


def test_a_grade_above_the_hardship_record_is_refused(funds, member, tree):
    """The amount follows the recognised grade: an applicant recorded 一般困难 cannot pick
    特别困难's column (the same grade, or none, goes through)."""
    Hardship.objects.create(
        person=member, org_unit=tree.chaoyang, grade="一般困难", since=date(2025, 1, 1)
    )
    assert "一般困难" in refused(
        lambda: submit_illness(member.user, funds.illness, grade="特别困难"), "grade"
    )
    app = submit_illness(member.user, funds.illness, grade="一般困难")
    assert app.facts["grade"] == "一般困难" and app.amount == 200000


def test_without_a_grade_or_a_record_the_grade_is_asked_for(funds, member):
    assert "困难等级" in refused(
        lambda: submit_illness(member.user, funds.illness, grade=""), "grade"
    )


@pytest.mark.parametrize(
    ("self_paid", "why"),
    [("100.001", "精确到分"), ("-5", "负数"), ("1e5", "格式"), ("", "自付")],
)
def test_fractions_of_a_fen_and_negative_costs_are_refused(funds, member, self_paid, why):
    message = refused(
        lambda: submit_illness(member.user, funds.illness, self_paid=self_paid), "self_paid"
    )
    assert why in message
    assert not Application.objects.exists()


def test_the_illness_documents_are_each_required(funds, member):
    call = lambda: application_submit(  # noqa: E731
        actor=member.user,
        programme=funds.illness,
        facts=illness_facts(),
        documents={"diagnosis_doc": pdf()},
    )
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert set(caught.value.fields) == {"bills_doc", "hardship_doc"}


def test_the_same_illness_event_is_refused_however_it_is_typed(funds, member):
    submit_illness(member.user, funds.illness)
    message = refused(
        lambda: submit_illness(member.user, funds.illness, diagnosis=" 急性 白血病。"), "event_date"
    )
    assert "同一次疾病" in message
    other_event = submit_illness(member.user, funds.illness, event_date="2026-05-01", self_paid="0")
    assert other_event.amount == 200000


def test_the_yearly_cap_counts_entitlements_and_pending_applications(funds, member, users):
    first = submit_illness(member.user, funds.illness, self_paid="150000", grade="特别困难")
    assert first.amount == 2000000  # the cap (20,000元) reached while it is under review
    message = refused(
        lambda: submit_illness(member.user, funds.illness, event_date="2026-05-01", self_paid="0"),
        "amount",
    )
    assert "每人每年上限" in message
    approve_all(first, users)  # approved: the entitlement counts now
    refused(
        lambda: submit_illness(member.user, funds.illness, event_date="2026-05-01", self_paid="0"),
        "amount",
    )
    # Next year the cap starts again.
    with time_machine.travel(datetime(YEAR + 1, 2, 1, 2, 0, tzinfo=UTC), tick=False):
        app = submit_illness(member.user, funds.illness, event_date="2027-01-05", self_paid="0")
    assert app.year == YEAR + 1


# --- Who may apply ---------------------------------------------------------------------------


def test_an_inactive_membership_is_refused(funds, member):
    Membership.objects.filter(person=member).update(status="left", left_on=date(2026, 1, 1))
    assert "没有有效会籍" in refused(lambda: submit_cert(member.user, funds.certificate), "person")


def test_a_login_without_a_person_record_cannot_apply(funds, users):
    assert "未关联会员档案" in refused(
        lambda: submit_cert(users.nopost, funds.certificate), "person"
    )


def test_staff_apply_on_behalf_within_their_scope_only(funds, member, users, tree):
    app = submit_cert(users.cy_grass, funds.certificate, person=member)
    assert app.created_by == users.cy_grass and app.applicant_user == member.user
    hd_member = make_member(tree.hd_grass, "钱多")
    with pytest.raises(NotFound):
        submit_cert(users.cy_grass, funds.certificate, person=hd_member, certificate_no="X99887766")
    with pytest.raises(NotFound):  # a login with no post
        submit_cert(users.nopost, funds.certificate, person=hd_member, certificate_no="X99887766")


def test_a_district_programme_takes_only_its_districts_members(tree, users):
    cy_only = make_programme(
        "cy-ill", "朝阳大病救助", "illness", tree.chaoyang, ILLNESS_RULE, budget=10**7
    )
    hd_member = make_member(tree.hd_grass, "钱多", username="qianduo")
    assert "不在其范围" in refused(lambda: submit_illness(hd_member.user, cy_only), "programme")


def test_closed_inactive_and_enrol_programmes_take_no_applications(funds, member):
    funds.certificate.closes_on = date(YEAR, 5, 31)
    funds.certificate.save()
    assert "截止" in refused(lambda: submit_cert(member.user, funds.certificate), "programme")
    assert "无需申请" in refused(lambda: submit_cert(member.user, funds.condolence), "programme")
    funds.illness.is_active = False
    funds.illness.save()
    assert "停用" in refused(lambda: submit_illness(member.user, funds.illness), "programme")


# --- Review levels and maker-checker ---------------------------------------------------------


def test_three_levels_then_the_entitlement_and_the_budget(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    app = application_decide(actor=users.cy_grass, application=app, decision="pass")
    assert app.status == "verified" and not Entitlement.objects.exists()
    app = application_decide(actor=users.cy, application=app, decision="pass", note="属实")
    assert app.status == "reviewed"
    app = application_decide(actor=users.admin, application=app, decision="pass")
    assert app.status == "approved" and app.decided_at is not None
    entitlement = Entitlement.objects.get(application=app)
    assert entitlement.amount == 200000 and entitlement.status == "owed"
    assert entitlement.payment_id == f"FA{app.pk:010d}"
    assert entitlement.budget.org_unit == funds.certificate.org_unit
    assert Budget.objects.get(programme=funds.certificate).committed == 200000
    row = LedgerEntry.objects.get(entitlement=entitlement)
    assert (row.kind, row.amount) == ("commit", 200000)
    reviews = list(app.reviews.order_by("level"))
    assert [(r.level, r.decision, r.amount, r.rule_version.version) for r in reviews] == [
        (1, "pass", 200000, 1),
        (2, "pass", 200000, 1),
        (3, "pass", 200000, 1),
    ]
    actions = list(
        AuditEvent.objects.filter(stream=funds.certificate.stream)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == ["funds.apply", "funds.verify", "funds.review", "funds.approve"]


def test_two_levels_approve_at_the_district(funds, member, users):
    app = submit_illness(member.user, funds.illness)
    app = application_decide(actor=users.cy_grass, application=app, decision="pass")
    app = application_decide(actor=users.cy, application=app, decision="pass")
    assert app.status == "approved" and Entitlement.objects.filter(application=app).exists()


def test_a_grassroots_or_street_post_cannot_review_at_the_district_level(
    funds, member, users, tree
):
    app = submit_cert(member.user, funds.certificate)
    app = application_decide(actor=users.cy_grass, application=app, decision="pass")
    # A grassroots post given funds.review anyway does not count as district review.
    from gonghui.orgs.models import Post, Role

    role = Role.objects.create(
        code="grass_plus", name="基层（含审核）", permissions=["funds.view", "funds.review"]
    )
    odd = make_user("odd_grass", None, None)
    Post.objects.create(user=odd, org_unit=tree.cy_grass, role=role)
    with pytest.raises(Forbidden) as caught:
        application_decide(actor=odd, application=app, decision="pass")
    assert "区（产业）工会" in caught.value.message
    with pytest.raises(Forbidden):  # the street holds no funds.review
        application_decide(actor=users.cy_grass, application=app, decision="pass")
    app.refresh_from_db()
    assert app.status == "verified"
    app = application_decide(actor=users.cy, application=app, decision="pass")
    with pytest.raises(Forbidden) as caught:  # a district cannot take the city's approval
        application_decide(actor=users.cy, application=app, decision="pass")
    assert "市总工会" in caught.value.message


def test_another_district_cannot_decide(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    application_decide(actor=users.cy_grass, application=app, decision="pass")
    with pytest.raises(NotFound):
        application_decide(actor=users.hd, application=app, decision="pass")
    with pytest.raises(NotFound):
        application_decide(actor=users.nopost, application=app, decision="pass")


def test_maker_checker_the_maker_and_the_applicant_may_not_decide(funds, member, users, tree):
    app = submit_cert(users.cy_grass, funds.certificate, person=member)
    message = refused(
        lambda: application_decide(actor=users.cy_grass, application=app, decision="pass"),
        "decision",
    )
    assert "审核与经办分离" in message
    # A staff member applying for themselves cannot verify their own application.
    staff_person = make_member(tree.cy_grass, "孙立")
    staff_person.user = users.cy_street
    staff_person.save()
    own = submit_cert(users.cy_street, funds.certificate, certificate_no="Z12345678")
    assert own.applicant_user == users.cy_street
    refused(
        lambda: application_decide(actor=users.cy_street, application=own, decision="pass"),
        "decision",
    )
    assert not Review.objects.exists()


def test_the_database_refuses_a_decision_by_the_applicant_or_the_maker(funds, member, users):
    app = submit_cert(users.cy_grass, funds.certificate, person=member)
    for reviewer in (member.user, users.cy_grass):
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                application=app,
                level=1,
                decision="pass",
                reviewer=reviewer,
                rule_version=app.rule_version,
                amount=app.amount,
            )
    Review.objects.create(
        application=app, level=1, decision="pass", reviewer=users.cy, rule_version=app.rule_version
    )


def test_nobody_decides_two_levels_of_one_application(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    app = application_decide(actor=users.cy, application=app, decision="pass")  # district verifies
    message = refused(
        lambda: application_decide(actor=users.cy, application=app, decision="pass"), "decision"
    )
    assert "同一人不能审核两级" in message


def test_a_rejection_needs_its_reason_and_the_applicant_sees_it(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    assert "原因" in refused(
        lambda: application_decide(
            actor=users.cy_grass, application=app, decision="reject", note=" "
        ),
        "note",
    )
    app = application_decide(
        actor=users.cy_grass, application=app, decision="reject", note="证书非本人"
    )
    assert app.status == "rejected" and app.reason == "证书非本人"
    assert "已办结" in refused(
        lambda: application_decide(actor=users.cy, application=app, decision="pass"), "decision"
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # and in the database
        Review.objects.create(
            application=app,
            level=2,
            decision="reject",
            reviewer=users.cy,
            rule_version=app.rule_version,
        )


def test_an_approval_over_budget_writes_nothing(funds, member, users):
    Budget.objects.filter(programme=funds.illness).update(amount=150000)
    app = submit_illness(member.user, funds.illness)  # 2,000元 > 1,500元 left
    app = application_decide(actor=users.cy_grass, application=app, decision="pass")
    events = AuditEvent.objects.count()
    message = refused(
        lambda: application_decide(actor=users.cy, application=app, decision="pass"), "amount"
    )
    assert "超出预算" in message
    app.refresh_from_db()
    assert app.status == "verified" and app.reviews.count() == 1
    assert not Entitlement.objects.exists() and not LedgerEntry.objects.exists()
    assert Budget.objects.get(programme=funds.illness).committed == 0
    assert AuditEvent.objects.count() == events


def test_an_approval_without_a_budget_says_so(funds, member, users):
    Budget.objects.filter(programme=funds.illness).delete()
    app = submit_illness(member.user, funds.illness)
    app = application_decide(actor=users.cy_grass, application=app, decision="pass")
    message = refused(
        lambda: application_decide(actor=users.cy, application=app, decision="pass"), "budget"
    )
    assert "未设" in message and "预算" in message


def test_a_budget_at_the_district_is_drawn_before_the_citys(funds, member, users, tree):
    district = Budget.objects.create(
        programme=funds.illness, org_unit=tree.chaoyang, year=YEAR, amount=10**6
    )
    app = approve_all(submit_illness(member.user, funds.illness), users)
    assert app.entitlement.budget == district
    district.refresh_from_db()
    assert district.committed == 200000


# --- Withdrawal and documents ----------------------------------------------------------------


def test_the_applicant_withdraws_before_a_decision_only(funds, member, users):
    app = submit_cert(member.user, funds.certificate)
    with pytest.raises(NotFound):
        application_withdraw(actor=users.hd, application=app)
    app = application_withdraw(actor=member.user, application=app, reason="填错了")
    assert app.status == "withdrawn"
    again = submit_cert(member.user, funds.certificate)  # a withdrawn one is no duplicate
    application_decide(actor=users.cy_grass, application=again, decision="pass")
    assert "尚未审核" in refused(
        lambda: application_withdraw(actor=member.user, application=again), "status"
    )


def test_documents_open_for_the_applicant_and_reviewers_in_scope_only(funds, member, users, tree):
    app = submit_illness(member.user, funds.illness)
    doc = app.facts["documents"]["diagnosis_doc"]
    assert (
        document_open(actor=member.user, application=app, attachment_id=doc)
        .file.read()
        .startswith(b"%PDF")
    )
    assert document_open(actor=users.cy_grass, application=app, attachment_id=doc).pk == doc
    assert document_open(actor=users.admin, application=app, attachment_id=doc).pk == doc
    stranger = make_member(tree.cy_grass, "路人", username="luren")
    for outsider in (users.hd, users.auditor, users.nopost, stranger.user):
        with pytest.raises(NotFound):
            document_open(actor=outsider, application=app, attachment_id=doc)
    # The generic attachment download keeps to the same rule (files.view alone is not enough).
    from gonghui.files.services import attachment_download

    with pytest.raises(NotFound):
        attachment_download(actor=users.auditor, pk=doc)
    assert AuditEvent.objects.filter(action="files.download").count() == 3


# --- The studio grant ------------------------------------------------------------------------


@pytest.fixture
def studio(tree):
    leader = make_member(tree.cy_grass, "周工", username="zhougong")
    employer = Unit.objects.create(name="北京某汽车厂", org_unit=tree.chaoyang)
    return Studio.objects.create(
        name="周工创新工作室",
        employer=employer,
        leader=leader,
        org_unit=tree.cy_grass,
        status="active",
    )


def report_of(studio, year, users, status="approved") -> StudioReport:
    """The studio's yearly report in ``status`` (as training's review would leave it)."""
    return StudioReport.objects.create(
        studio=studio,
        org_unit=studio.org_unit,
        year=year,
        status=status,
        submitted_by=users.cy_grass,
        submitted_at=timezone.now(),
    )


def submit_studio(actor, programme, studio, year=YEAR):
    return application_submit(
        actor=actor, programme=programme, facts={"studio": str(studio.pk), "year": str(year)}
    )


def test_a_studio_grant_is_paid_to_its_leader_once_a_year(funds, studio, users, tree):
    report = report_of(studio, YEAR, users)
    app = submit_studio(users.admin, funds.studio, studio)
    assert app.person == studio.leader and app.studio == studio and app.amount == 7000000
    assert app.org_unit == studio.org_unit and app.year == YEAR
    assert app.facts["report"] == report.pk
    assert "本年度已申请" in refused(lambda: submit_studio(users.cy, funds.studio, studio), "year")
    assert "资助年度" in refused(
        lambda: submit_studio(users.cy, funds.studio, studio, year=YEAR + 3), "year"
    )
    with pytest.raises(NotFound):  # another district's staff
        submit_studio(users.hd, funds.studio, studio, year=YEAR + 1)
    app = approve_all(app, users)
    assert app.entitlement.person == studio.leader and app.entitlement.studio == studio
    # A studio not yet set up takes no grant.
    studio.status = "offered"
    studio.save()
    assert "挂牌" in refused(
        lambda: submit_studio(users.cy, funds.studio, studio, year=YEAR + 1), "studio"
    )
    # Another district's staff learn nothing of its state: not set up, no leader, absent.
    for status, leader in (("offered", studio.leader), ("active", None)):
        Studio.objects.filter(pk=studio.pk).update(status=status, leader=leader)
        with pytest.raises(NotFound):
            submit_studio(users.hd, funds.studio, studio, year=YEAR + 1)
    studio.pk = 10**9
    with pytest.raises(NotFound):
        submit_studio(users.hd, funds.studio, studio, year=YEAR + 1)


def test_a_studio_grant_needs_the_years_approved_report(funds, studio, users):
    """Released only against an approved report: none, one still under review, or one of
    another year is refused, nothing written; the approval checks again."""
    for status in (None, "submitted", "district_ok", "returned"):
        if status:
            StudioReport.objects.update_or_create(
                studio=studio,
                year=YEAR,
                defaults={
                    "org_unit": studio.org_unit,
                    "status": status,
                    "submitted_by": users.cy_grass,
                    "submitted_at": timezone.now(),
                },
            )
        assert "尚未经区级、市级审核通过" in refused(
            lambda: submit_studio(users.cy, funds.studio, studio), "report"
        )
    report_of(studio, YEAR - 1, users)
    assert "尚未经" in refused(lambda: submit_studio(users.cy, funds.studio, studio), "report")
    assert not Application.objects.exists()
    StudioReport.objects.filter(studio=studio, year=YEAR).update(status="approved")
    app = submit_studio(users.admin, funds.studio, studio)
    assert app.status == "submitted"
    # Re-checked at each pass: a report no longer approved stops the grant.
    StudioReport.objects.filter(studio=studio, year=YEAR).update(status="returned")
    assert "尚未经" in refused(
        lambda: application_decide(actor=users.cy_grass, application=app, decision="pass"),
        "report",
    )
    assert not app.reviews.exists()
    StudioReport.objects.filter(studio=studio, year=YEAR).update(status="approved")
    app = approve_all(app, users)
    assert app.status == "approved"


def test_the_apps_rule_keys_are_checked():
    assert eligibility.rule_problems({"trades": {"2026": "钳工"}}) == {
        "trades": "补贴工种应为 {年度: [工种, ...]}"
    }
    assert "competitions" in eligibility.rule_problems(
        {"competitions": [{"id": 1, "top_level": "x"}]}
    )
    assert "competitions" in eligibility.rule_problems(
        {"competitions": [{"id": 1, "top_level": "final"}]}
    )
    assert eligibility.rule_problems(CERTIFICATE_RULE) == {}
    assert eligibility.certificate_no(" ｓ-0001 2345 ") == "S00012345"
    assert eligibility.folded("急性 白血病。") == eligibility.folded("急性白血病")
