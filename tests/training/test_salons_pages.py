"""Reading-salon pages and the lecturers' page through the test client: lists in scope,
another district's salon and every action on it a 404, complaints beside their fields,
the stats and their Excel, the lecturers with their published 好讲师 result."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gonghui.contests.models import Competition, Entrant, Result, Stage
from gonghui.contests.models import Programme as Contest
from gonghui.people.models import Trade, Unit
from gonghui.training.models import Attendance, Salon, SalonMeeting
from gonghui.training.salons import exports
from gonghui.training.salons.services import salon_decide
from tests.factories import PASSWORD, make_user
from tests.training.conftest import make_session
from tests.training.salons_helpers import applied, crowd, id_number

pytestmark = pytest.mark.django_db
THIS_YEAR = date.today().year


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def cy_salon(tree, users):
    readers = crowd(tree.cy_grass, 26)
    return applied(users.cy_grass, tree.cy_grass, readers[:25], readers[25])


@pytest.fixture
def hd_salon(tree, users):
    readers = crowd(tree.hd_grass, 26, start=500, region="110108")
    hd_grass = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
    return applied(hd_grass, tree.hd_grass, readers[:25], readers[25], name="海淀书友会")


def test_list_in_scope_filters_and_sorts(client, users, cy_salon, hd_salon):
    page = login(client, users.cy).get(reverse("training:salons"))
    assert page.status_code == 200
    assert "书香朝阳读书会" in page.text and "海淀书友会" not in page.text
    both = login(client, users.admin).get(
        reverse("training:salons"), {"status": "applied", "year": THIS_YEAR, "sort": "-name"}
    )
    assert "书香朝阳读书会" in both.text and "海淀书友会" in both.text
    bad = client.get(reverse("training:salons"), {"year": "abc"})
    assert (
        bad.status_code == 200 and "书香朝阳读书会" not in bad.text and "年度应为整数" in bad.text
    )


def test_another_districts_salon_and_its_actions_are_404(client, users, cy_salon, hd_salon):
    login(client, users.cy)
    pk = hd_salon.pk
    assert client.get(reverse("training:salon", args=[pk])).status_code == 404
    assert client.get(reverse("training:salon_meeting_new", args=[pk])).status_code == 404
    assert client.get(reverse("training:salon_reapply", args=[pk])).status_code == 404
    posts = [
        ("training:salon_decide", [pk], {"decision": "approve"}),
        ("training:salon_members_add", [pk], {"id_numbers": ""}),
        ("training:salon_member_remove", [pk, 1], {}),
        ("training:salon_meeting_new", [pk], {"book": "x", "attendance": 1}),
    ]
    for name, args, data in posts:
        assert client.post(reverse(name, args=args), data).status_code == 404, name
    assert Salon.objects.get(pk=pk).status == Salon.Status.APPLIED
    mine = client.get(reverse("training:salon", args=[cy_salon.pk]))
    assert mine.status_code == 200 and "提交审批决定" in mine.text


def test_members_pages_and_no_post_get_nothing(client, users, members, cy_salon):
    client.login(username="m_cy1", password=PASSWORD)
    assert client.get(reverse("training:salons")).status_code == 404
    assert client.get(reverse("training:salon", args=[cy_salon.pk])).status_code == 404
    login(client, users.nopost)
    assert client.get(reverse("training:salon_stats")).status_code == 404


def test_apply_page_refuses_24_beside_the_field_then_files_25(client, tree, users):
    readers = crowd(tree.cy_grass, 26)
    login(client, users.cy_grass)
    form = client.get(reverse("training:salon_apply"))
    assert form.status_code == 200 and readers[0].name in form.text  # the unit's members
    data = {
        "org_unit": tree.cy_grass.pk,
        "name": "书香读书会",
        "year": THIS_YEAR,
        "mentor": readers[25].pk,
        "members": [p.pk for p in readers[:24]],
        "requested": "5000",
    }
    refused = client.post(reverse("training:salon_apply"), data)
    assert refused.status_code == 200 and "成员不少于25人，当前 24 人" in refused.text
    assert not Salon.objects.exists()
    data["members"] = [p.pk for p in readers[:25]]
    done = client.post(reverse("training:salon_apply"), data, follow=True)
    salon = Salon.objects.get()
    assert done.redirect_chain[-1][0] == reverse("training:salon", args=[salon.pk])
    assert "等待上级工会审批" in done.text
    # no decision form for the applying union
    assert "提交审批决定" not in done.text


def test_a_refused_form_never_shows_the_pasted_numbers_again(client, tree, users):
    readers = crowd(tree.cy_grass, 3)
    pasted = [id_number("110105", 1), id_number("110101", 300)]  # a member's, nobody's
    login(client, users.cy_grass)
    refused = client.post(
        reverse("training:salon_apply"),
        {
            "org_unit": tree.cy_grass.pk,
            "name": "书香读书会",
            "year": THIS_YEAR,
            "mentor": readers[2].pk,
            "id_numbers": "\n".join(pasted) + "\n",
            "requested": "1",
        },
    )
    assert refused.status_code == 200 and "第 2 行（11**************" in refused.text
    for full in pasted:
        assert full not in refused.text and full[2:-2] not in refused.text
    assert "请重新粘贴" in refused.text and not Salon.objects.exists()


def test_reapply_page_shows_the_amount_asked_in_yuan(client, users, cy_salon):
    salon_decide(actor=users.cy, salon=cy_salon, decision="reject", note="导师资质不符")
    login(client, users.cy_grass)
    page = client.get(reverse("training:salon_reapply", args=[cy_salon.pk]))
    assert page.status_code == 200 and 'value="5000.00"' in page.text


def test_ids_no_record_can_have_are_refused_beside_the_field(client, tree, users):
    readers = crowd(tree.cy_grass, 2)
    login(client, users.cy_grass)
    huge = "9" * 24
    data = {"org_unit": tree.cy_grass.pk, "name": "x", "year": THIS_YEAR}
    page = client.post(
        reverse("training:salon_apply"), data | {"mentor": readers[0].pk, "members": [huge]}
    )
    assert page.status_code == 200 and "请从列表中选择成员" in page.text
    page = client.post(reverse("training:salon_apply"), data | {"mentor": huge})
    assert page.status_code == 200 and "请从列表中选择读书导师" in page.text
    assert not Salon.objects.exists()


def test_mentor_search_box(client, tree, users):
    crowd(tree.cy_grass, 3)
    login(client, users.cy_grass)
    found = client.get(reverse("training:salon_people"), {"q": "赵读0"})
    assert found.status_code == 200 and "赵读0" in found.text


def test_decide_and_meeting_pages(client, users, cy_salon, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    login(client, users.cy)
    refused = client.post(
        reverse("training:salon_decide", args=[cy_salon.pk]), {"decision": "reject"}, follow=True
    )
    assert "不批准须填写原因" in refused.text
    client.post(
        reverse("training:salon_decide", args=[cy_salon.pk]),
        {"decision": "approve", "granted": "4000"},
    )
    assert Salon.objects.get(pk=cy_salon.pk).grant_fen == 400_000

    login(client, users.cy_grass)
    url = reverse("training:salon_meeting_new", args=[cy_salon.pk])
    future = client.post(
        url,
        {
            "held_on": (date.today() + timedelta(days=2)).isoformat(),
            "book": "《大国工匠》",
            "attendance": 20,
        },
    )
    assert future.status_code == 200 and "活动日期不能晚于今天" in future.text
    held = max(date.today() - timedelta(days=2), date(THIS_YEAR, 1, 1))
    png = SimpleUploadedFile("合影.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    done = client.post(
        url,
        {"held_on": held.isoformat(), "book": "《大国工匠》", "attendance": 20, "photos": [png]},
        follow=True,
    )
    assert "已报告" in done.text and "合影.png" in done.text
    assert SalonMeeting.objects.count() == 1


def test_stats_page_and_excel(client, users, cy_salon, hd_salon):
    salon_decide(actor=users.cy, salon=cy_salon, decision="approve", granted="1,234.50")
    login(client, users.admin)
    page = client.get(reverse("training:salon_stats"), {"year": THIS_YEAR})
    assert (
        page.status_code == 200
        and "朝阳" in page.text
        and "1,234.50" in page.text
        or "1234.50" in page.text
    )
    xlsx = client.get(reverse("training:salon_stats"), {"year": THIS_YEAR, "format": "xlsx"})
    sheet = openpyxl.load_workbook(BytesIO(xlsx.content)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["合计"][:2] == (1, 25) and rows["合计"][4] == 1234.5
    cell = exports._yuan(123_456_789_012_345)  # the cell holds the exact decimal, no float
    assert cell.value == Decimal("1234567890123.45") and isinstance(cell.value, Decimal)
    login(client, users.cy)
    mine = client.get(reverse("training:salon_stats"), {"year": THIS_YEAR})
    assert "海淀" not in mine.text
    hd = client.get(reverse("training:salon_stats"), {"unit": hd_salon.org_unit.parent.parent_id})
    assert hd.status_code == 404


def test_lecturers_page_shows_the_published_competition_result(client, tree, users, lecture):
    lecturer = crowd(tree.cy_grass, 1, start=700)[0]
    session = lecture.sessions.get()
    session.lecturer = lecturer
    session.save()
    make_session(lecture, 2, lecturer=lecturer)
    listener = crowd(tree.cy_grass, 1, start=701)[0]
    Attendance.objects.create(session=session, person=listener, method="staff")
    now = timezone.now()
    contest = Contest.objects.create(
        name="寻找职工好讲师", year=THIS_YEAR, org_unit=tree.city, created_by=users.admin
    )
    competition = Competition.objects.create(
        programme=contest,
        org_unit=tree.city,
        trade=Trade.objects.first() or Trade.objects.create(code="T-L", name="职业培训师"),
        name="寻找职工好讲师·教学基本功竞赛",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=20),
        status="finished",
    )
    final = Stage.objects.create(
        competition=competition, order=2, kind="final", name="决赛（现场授课）"
    )
    entrant = Entrant.objects.create(
        competition=competition,
        person=lecturer,
        number=1,
        age=40,
        employer=Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass),
        route="union",
        nominated_by=tree.chaoyang,
        status="titled",
    )
    Result.objects.create(
        stage=final,
        entrant=entrant,
        score="92.50",
        place=1,
        scheme_version=1,
        computed_at=now,
        locked_at=now,
        revealed_at=now,
    )
    page = login(client, users.cy).get(reverse("training:lecturers"))
    assert page.status_code == 200
    row = page.text[page.text.index(lecturer.name) :]
    assert "寻找职工好讲师·教学基本功竞赛" in row and "第 1 名" in row and "好讲师" in row
    # The city's competition page is not Chaoyang's to open (a 404): named, not linked.
    link = reverse("contests:competition", args=[competition.pk])
    assert link not in page.text
    assert client.get(link).status_code == 404
    assert link in login(client, users.admin).get(reverse("training:lecturers")).text
    # Haidian's staff: Chaoyang's sessions are not theirs
    assert lecturer.name not in login(client, users.hd).get(reverse("training:lecturers")).text
