"""Reading salons (读书沙龙): applying with at least 25 members (chosen or listed by ID
number, masked in every complaint), approval by the union above only and never by the
applicant, meetings of approved salons with their photos, members later, the yearly
counts by district."""

import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, Throttled, ValidationFailed
from gonghui.files.models import Attachment
from gonghui.training.models import Salon, SalonMeeting, SalonMember
from gonghui.training.salons import selectors
from gonghui.training.salons.services import (
    salon_apply,
    salon_decide,
    salon_meeting_report,
    salon_member_remove,
    salon_members_add,
)
from tests.factories import make_user
from tests.training.salons_helpers import applied, crowd, id_number

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
THIS_YEAR = date.today().year


def photo(name="合影.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def readers(tree):
    """26 members of Chaoyang's company union (ID numbers 110105...), a mentor among them."""
    return crowd(tree.cy_grass, 26)


@pytest.fixture
def approved(tree, users, readers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    salon = applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])
    return salon_decide(actor=users.cy, salon=salon, decision="approve", granted="4,000")


def _recently() -> date:
    """A day of this year, in the past (the first of January on the year's first days)."""
    return max(date.today() - timedelta(days=3), date(THIS_YEAR, 1, 1))


# --- Applying ---------------------------------------------------------------------------------


def test_24_members_refused_naming_the_field_25_accepted(tree, users, readers):
    with pytest.raises(ValidationFailed) as refused:
        applied(users.cy_grass, tree.cy_grass, readers[:24], readers[25])
    assert refused.value.fields["members"] == "成员不少于25人，当前 24 人"
    assert not Salon.objects.exists()

    salon = applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])
    assert salon.status == Salon.Status.APPLIED
    assert salon.requested_fen == 500_000 and salon.grant_fen == 0
    assert SalonMember.objects.filter(salon=salon).count() == 25
    event = AuditEvent.objects.filter(action="training.salon_apply").get()
    assert event.object_id == str(salon.pk)


def test_the_same_person_twice_counts_once(tree, users, readers):
    chosen = [p.pk for p in readers[:24]] * 2
    with pytest.raises(ValidationFailed, match="当前 24 人"):
        salon_apply(
            actor=users.cy_grass,
            org_unit=tree.cy_grass,
            name="读书会",
            year=THIS_YEAR,
            mentor=readers[25].pk,
            members=chosen,
            id_numbers=id_number("110105", 0),  # readers[0] again, by number
        )


def test_members_listed_by_id_number_and_bad_lines_masked(tree, users, readers):
    outsider = crowd(tree.hd_grass, 1, start=100, region="110108")[0]
    stranger = id_number("110101", 300)  # valid, nobody's
    bad_check = id_number("110105", 301)[:17] + (
        "0" if id_number("110105", 301)[17] != "0" else "1"
    )
    lines = "\n".join(
        [
            id_number("110105", 23),
            id_number("110105", 24),
            id_number("110108", 100),  # Haidian's member
            stranger,
            bad_check,
            id_number("110105", 23),  # twice
            "",
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        salon_apply(
            actor=users.cy_grass,
            org_unit=tree.cy_grass,
            name="读书会",
            year=THIS_YEAR,
            mentor=readers[25],
            members=readers[:23],
            id_numbers=lines,
        )
    message = refused.value.fields["id_numbers"]
    assert (
        "第 3 行（11**************" in message
        and "不是朝阳某公司工会（含下属工会）的在会会员" in message
    )
    assert "第 4 行" in message and "第 5 行" in message and "校验位" in message
    assert "第 6 行" in message and "与第 1 行重复" in message
    for full in (id_number("110108", 100), stranger, bad_check, id_number("110105", 23)):
        assert full not in message and full[2:-2] not in message
    assert outsider.pk and not Salon.objects.exists()

    salon = salon_apply(
        actor=users.cy_grass,
        org_unit=tree.cy_grass,
        name="读书会",
        year=THIS_YEAR,
        mentor=readers[25],
        members=readers[:23],
        id_numbers=f"{id_number('110105', 23)}\n {id_number('110105', 24)} \n",
    )
    assert SalonMember.objects.filter(salon=salon).count() == 25


def test_a_refused_paste_still_spends_the_id_budget(tree, users, readers, settings, approved):
    """Each pasted line answers whether a number is a member's here: a refused filing keeps
    its probes counted (and audited), so pasting again and again is throttled, not free."""
    settings.ID_PROBES_PER_DAY = 50
    nobody = "\n".join(id_number("110101", n) for n in range(300, 340))  # 40 nobody's

    def paste(call, **fields):
        return call(actor=users.cy_grass, id_numbers=nobody, **fields)

    apply = {"org_unit": tree.cy_grass, "name": "读书会", "year": THIS_YEAR, "mentor": readers[25]}
    with pytest.raises(ValidationFailed):
        paste(salon_apply, **apply)
    checks = AuditEvent.objects.filter(action="people.id_check", actor_id=users.cy_grass.pk)
    assert [json.loads(e.body)["changes"] for e in checks] == [
        {"what": [None, "读书沙龙成员名单"], "count": [None, 40]}
    ]
    with pytest.raises(Throttled):  # 80 > 50: refused before any line is looked at
        paste(salon_apply, **apply)
    with pytest.raises(Throttled):  # adding members later pays the same way
        paste(salon_members_add, salon=approved)
    assert AuditEvent.objects.filter(action="people.id_probes_throttled").count() == 1
    assert SalonMember.objects.filter(salon=approved).count() == 25


def test_bad_input_names_each_field_and_writes_nothing(tree, users, readers):
    with pytest.raises(ValidationFailed) as refused:
        salon_apply(
            actor=users.cy_grass,
            org_unit=tree.cy_grass,
            name=" ",
            year=1999,
            mentor=None,
            members=readers[:25],
            requested="12.345",
        )
    fields = refused.value.fields
    assert fields["name"] == "请填写沙龙名称"
    assert fields["year"].startswith("年度应在")
    assert fields["mentor"] == "请选择读书导师"
    assert "两位小数" in fields["requested"]
    assert not Salon.objects.exists()


def test_members_of_another_union_and_another_district_refused(tree, users, readers):
    haidian = crowd(tree.hd_grass, 25, start=200, region="110108")
    with pytest.raises(ValidationFailed) as refused:
        applied(users.cy_grass, tree.cy_grass, haidian, readers[25])
    assert "25 人不是朝阳某公司工会" in refused.value.fields["members"]
    with pytest.raises(NotFound):
        applied(users.cy_grass, tree.hd_grass, haidian, haidian[0])
    with pytest.raises(NotFound):  # Haidian's staff cannot file for Chaoyang's union
        applied(users.hd, tree.cy_grass, readers[:25], readers[25])


# --- Deciding ---------------------------------------------------------------------------------


def test_approval_by_the_union_above_only_never_by_the_applicant(tree, users, readers):
    salon = applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])
    with pytest.raises(Forbidden):  # the applying union (view + apply only) cannot approve
        salon_decide(actor=users.cy_grass, salon=salon, decision="approve")
    with pytest.raises(NotFound):  # Haidian cannot approve Chaoyang's
        salon_decide(actor=users.hd, salon=salon, decision="approve")
    salon = salon_decide(actor=users.cy, salon=salon, decision="approve", granted="3000")
    assert salon.status == Salon.Status.APPROVED and salon.grant_fen == 300_000
    assert salon.decided_by == users.cy
    with pytest.raises(ValidationFailed, match="已批准"):
        salon_decide(actor=users.admin, salon=salon, decision="reject", note="重复")


def test_a_union_never_approves_its_own_node(tree, users, readers):
    colleague = make_user("cy_staff2", tree.chaoyang, "district_staff")
    salon = applied(colleague, tree.chaoyang, readers[:25], readers[25])
    with pytest.raises(Forbidden):  # a Chaoyang post is not ABOVE Chaoyang
        salon_decide(actor=users.cy, salon=salon, decision="approve")
    assert salon_decide(actor=users.admin, salon=salon, decision="approve").status == "approved"


def test_maker_checker_in_the_service_and_in_the_database(tree, users, readers):
    salon = applied(users.cy, tree.cy_grass, readers[:25], readers[25])  # district staff apply
    with pytest.raises(ValidationFailed) as refused:
        salon_decide(actor=users.cy, salon=salon, decision="approve")
    assert refused.value.fields["decision"] == "申报人本人不能审批该申请（申报与审批分离）"
    with pytest.raises(IntegrityError), transaction.atomic():
        Salon.objects.filter(pk=salon.pk).update(status="approved", decided_by=users.cy)
    assert salon_decide(actor=users.admin, salon=salon, decision="approve").status == "approved"


def test_rejection_needs_a_reason_grant_not_above_request_then_reapply(tree, users, readers):
    salon = applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])
    with pytest.raises(ValidationFailed) as refused:
        salon_decide(actor=users.cy, salon=salon, decision="reject", note="")
    assert refused.value.fields["note"].startswith("不批准须填写原因")
    with pytest.raises(ValidationFailed) as refused:
        salon_decide(actor=users.cy, salon=salon, decision="approve", granted="5000.01")
    assert refused.value.fields["granted"] == "批准资助金额不能超过申请金额 5000.00 元"
    salon = salon_decide(actor=users.cy, salon=salon, decision="reject", note="导师资质不符")
    assert salon.status == Salon.Status.REJECTED and salon.decision_note == "导师资质不符"

    again = salon_apply(
        actor=users.cy_grass,
        salon=salon,
        name="书香朝阳读书会（修改）",
        year=THIS_YEAR,
        mentor=readers[24],
        members=[*readers[:24], readers[25]],
        requested="3000",
    )
    assert again.pk == salon.pk and again.status == Salon.Status.APPLIED
    assert again.decided_by is None and again.mentor == readers[24]
    assert AuditEvent.objects.filter(action="training.salon_reapply").count() == 1
    with pytest.raises(ValidationFailed, match="只有未批准的申请"):
        salon_apply(
            actor=users.cy_grass,
            salon=again,
            name="x",
            year=THIS_YEAR,
            mentor=readers[24],
            members=readers[:25],
        )


# --- Members later ----------------------------------------------------------------------------


def test_members_added_later_and_never_below_25_while_approved(tree, users, readers, approved):
    extra = crowd(tree.cy_grass, 2, start=50)
    assert salon_members_add(actor=users.cy_grass, salon=approved, members=extra) == 2
    assert salon_members_add(actor=users.cy_grass, salon=approved, members=extra[:1]) == 0
    salon_member_remove(actor=users.cy_grass, salon=approved, person=extra[0])
    salon_member_remove(actor=users.cy_grass, salon=approved, person=extra[1])
    with pytest.raises(ValidationFailed) as refused:
        salon_member_remove(actor=users.cy_grass, salon=approved, person=readers[0])
    assert "不少于25人，当前 25 人" in refused.value.fields["person"]
    with pytest.raises(NotFound):
        salon_member_remove(actor=users.hd, salon=approved, person=readers[0])


# --- Meetings ---------------------------------------------------------------------------------


def test_meetings_on_approved_salons_only(tree, users, readers):
    salon = applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])
    with pytest.raises(ValidationFailed, match="只有已批准的沙龙"):
        salon_meeting_report(
            actor=users.cy_grass,
            salon=salon,
            held_on=_recently(),
            book="《平凡的世界》",
            attendance=20,
        )
    assert not SalonMeeting.objects.exists()


def test_meeting_date_attendance_and_photo_checked(tree, users, approved):
    def report(**extra):
        fields = {"held_on": _recently(), "book": "《大国工匠》", "attendance": 20} | extra
        return salon_meeting_report(actor=users.cy_grass, salon=approved, **fields)

    cases = [
        ({"held_on": date.today() + timedelta(days=1)}, "held_on", "活动日期不能晚于今天"),
        (
            {"held_on": date(THIS_YEAR - 1, 6, 1)},
            "held_on",
            f"活动日期应在沙龙的年度（{THIS_YEAR}年）内",
        ),
        ({"attendance": 0}, "attendance", "参加人数应在 1 至 26 人之间（成员 25 人加读书导师）"),
        ({"attendance": 27}, "attendance", "参加人数应在 1 至 26 人之间（成员 25 人加读书导师）"),
        ({"book": ""}, "book", "请填写共读书目"),
        (
            {"photos": [photo("议程.pdf", b"%PDF-1.4 x")]},
            "photos",
            "“议程.pdf”不是图片：照片只接受 JPG、PNG",
        ),
        ({"photos": [photo("合影.png", b"GIF89a....")]}, "photos", None),
    ]
    for extra, field, message in cases:
        with pytest.raises(ValidationFailed) as refused:
            report(**extra)
        assert field in refused.value.fields, extra
        if message:
            assert refused.value.fields[field] == message
    assert not SalonMeeting.objects.exists() and not Attachment.objects.exists()

    meeting = report(attendance=26, photos=[photo(), photo("现场.jpg", b"\xff\xd8\xff\xe0jpeg")])
    assert meeting.attendance == 26
    assert Attachment.objects.filter(object_id=str(meeting.pk)).count() == 2
    with pytest.raises(NotFound):
        salon_meeting_report(
            actor=users.hd, salon=approved, held_on=_recently(), book="x", attendance=1
        )


# --- Yearly counts ----------------------------------------------------------------------------


def test_stats_by_district_exact(tree, users, readers, approved):
    salon_meeting_report(
        actor=users.cy_grass,
        salon=approved,
        held_on=_recently(),
        book="《大国工匠》",
        attendance=20,
    )
    salon_meeting_report(
        actor=users.cy_grass,
        salon=approved,
        held_on=_recently(),
        book="《平凡的世界》",
        attendance=18,
    )
    haidian = crowd(tree.hd_grass, 30, start=400, region="110108")
    hd_user = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
    hd_salon = applied(hd_user, tree.hd_grass, haidian, haidian[0], requested="2000")
    salon_decide(actor=users.hd, salon=hd_salon, decision="approve")
    applied(hd_user, tree.hd_grass, haidian[:25], haidian[1], name="待批沙龙")  # not counted

    stats = selectors.salon_stats(
        actor=users.admin, year=THIS_YEAR, parent=selectors.stats_parent(users.admin)
    )
    rows = {r.unit.name: r for r in stats.rows}
    cy, hd = rows[tree.chaoyang.name], rows[tree.haidian.name]
    assert (cy.salons, cy.members, cy.meetings, cy.attendance, cy.grant_fen) == (
        1,
        25,
        2,
        38,
        400_000,
    )
    assert (hd.salons, hd.members, hd.meetings, hd.attendance, hd.grant_fen) == (
        1,
        30,
        0,
        0,
        200_000,
    )
    assert stats.total.salons == 2 and stats.total.members == 55

    # Chaoyang's staff: their district only; drilling down to its streets
    mine = selectors.salon_stats(
        actor=users.cy, year=THIS_YEAR, parent=selectors.stats_parent(users.cy)
    )
    assert [r.unit.name for r in mine.rows] == [tree.chaoyang.name]
    down = selectors.salon_stats(
        actor=users.cy, year=THIS_YEAR, parent=selectors.stats_parent(users.cy, tree.chaoyang.pk)
    )
    street = {r.unit.name: r for r in down.rows}[tree.cy_street.name]
    assert (street.salons, street.attendance) == (1, 38)
    with pytest.raises(NotFound):
        selectors.stats_parent(users.cy, tree.haidian.pk)


def test_demo_builds_salons_through_the_services(tree, settings, tmp_path):
    import random
    from types import SimpleNamespace

    from gonghui.training.salons import demo

    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("chaoyang", tree.chaoyang, "district_staff")
    make_user("chaoyang_jc", tree.cy_grass, "grassroots_staff")
    crowd(tree.cy_grass, 45)
    world = SimpleNamespace(say=lambda text: None)
    demo.build(world, None, random.Random(7))
    years = sorted(s.year for s in world.salons)
    assert years == [y for y in (2024, 2025, 2026) if y <= date.today().year]
    for salon in Salon.objects.all():
        assert salon.status == Salon.Status.APPROVED
        assert 25 <= salon.members.count() <= 40
        meetings = list(salon.meetings.all())
        assert meetings and all(m.held_on.year == salon.year for m in meetings)
        assert salon.applied_at.year == salon.year
