"""The enrolment pages: a programme's runs, a new run with its deadline suggestion, a run's
page (filters, totals, enrol, cancel), and who may see and do what through them."""

from datetime import date

import pytest
from django.urls import reverse

from gonghui.funds.enrolment.selectors import run_page
from gonghui.funds.models import Entitlement, Hardship, LedgerEntry, Run
from tests.factories import make_member, make_user
from tests.funds import test_enrolment as base
from tests.funds.test_enrolment import model_worker, new_run

clock, spring = base.clock, base.spring  # their fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(spring, tree, users):
    """An enrolled Chaoyang run (two model workers in hardship) and a member login."""
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "严秀兰", "特别困难")
    model_worker(tree.cy_street, "王建国", "一般困难")
    make_member(tree.cy_grass, "普通会员", username="member1")
    return run


def urls(run):
    e = Entitlement.objects.filter(run=run).first()
    return {
        "runs": reverse("funds:runs", args=[run.programme_id]),
        "run_create": reverse("funds:run_create", args=[run.programme_id]),
        "run": reverse("funds:run", args=[run.pk]),
        "run_enrol": reverse("funds:run_enrol", args=[run.pk]),
        "entitlement_cancel": reverse("funds:entitlement_cancel", args=[e.pk if e else 999999]),
    }


def test_staff_create_a_run_from_the_form_with_the_deadline_suggested(client, spring, users, tree):
    client.force_login(users.cy)
    url = reverse("funds:run_create", args=[spring.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026年春节前最后一个工作日：2026-02-14" in text
    assert "2027 年的法定节假日安排尚未录入" in text  # next year: said, not guessed

    refused = client.post(url, {"org_unit": tree.chaoyang.pk, "name": "", "year": "2026"})
    assert refused.status_code == 200
    assert (
        "请填写名称" in refused.content.decode() or "这个字段是必填项" in refused.content.decode()
    )

    refused = client.post(
        url,
        {"org_unit": tree.chaoyang.pk, "name": "2027年春节慰问", "year": "2027"},
    )
    assert "2027 年的法定节假日安排尚未录入" in refused.content.decode()
    assert not Run.objects.exists()

    done = client.post(
        url, {"org_unit": tree.chaoyang.pk, "name": "2026年春节慰问", "year": "2026"}
    )
    run = Run.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("funds:run", args=[run.pk])
    assert run.deadline == date(2026, 2, 14)


def test_the_run_page_enrols_filters_totals_and_cancels(client, world, users, tree):
    client.force_login(users.cy)
    page = client.get(reverse("funds:run", args=[world.pk]))
    assert "按规则纳入" in page.content.decode() and "尚未纳入" in page.content.decode()
    # 2026-01-12 → 2026-02-14: working days left, the make-up Saturday counted.
    assert "含今天还有 26 个工作日" in page.content.decode()

    client.post(reverse("funds:run_enrol", args=[world.pk]))

    text = client.get(reverse("funds:run", args=[world.pk])).content.decode()
    assert "严秀兰" in text and "王建国" in text
    assert "17,000.00元" in text  # 12,000 + 5,000
    assert "特别困难" in text
    only = client.get(reverse("funds:run", args=[world.pk]), {"grade": "一般困难"}).content.decode()
    assert "王建国" in only and "严秀兰" not in only
    for q in ("yanxiulan", "yxl", "秀兰"):  # pinyin, initials, part of the name
        found = client.get(reverse("funds:run", args=[world.pk]), {"q": q}).content.decode()
        assert "严秀兰" in found and "王建国" not in found, q
    assert not run_page(users.hd, world, q="yxl").lines.exists()  # scope still holds
    bad = client.get(reverse("funds:run", args=[world.pk]), {"unit": "x"}).content.decode()
    assert "严秀兰" not in bad  # a bad filter never widens the list

    e = Entitlement.objects.get(person__name="严秀兰")
    back = client.post(reverse("funds:entitlement_cancel", args=[e.pk]), {"reason": ""})
    assert back.status_code == 302
    e.refresh_from_db()
    assert e.status == "owed"
    client.post(reverse("funds:entitlement_cancel", args=[e.pk]), {"reason": "已迁出本区"})
    e.refresh_from_db()
    assert e.status == "cancelled"
    assert LedgerEntry.objects.filter(kind="release", entitlement=e).exists()
    text = client.get(reverse("funds:run", args=[world.pk])).content.decode()
    assert "5,000.00元" in text and "已取消 1 人" in text


def test_over_budget_enrol_says_why_on_the_page(client, world, users, spring):
    spring.budgets.update(amount=100)
    client.force_login(users.cy)
    done = client.post(reverse("funds:run_enrol", args=[world.pk]), follow=True)
    assert "超出预算" in done.content.decode()
    assert not Entitlement.objects.exists()


def test_another_district_and_a_grassroots_post_cannot_act_or_see(client, world, users, tree):
    from gonghui.funds.enrolment.services import run_enrol

    run_enrol(actor=users.cy, run=world)
    all_urls = urls(world)
    client.force_login(users.hd)  # Haidian's staff: Chaoyang's run, people and actions absent
    for name in ("runs", "run_create", "run"):
        assert client.get(all_urls[name]).status_code == 404, name
    assert client.post(all_urls["run_enrol"]).status_code == 404
    assert client.post(all_urls["entitlement_cancel"], {"reason": "x"}).status_code == 404
    assert Entitlement.objects.filter(status="owed").count() == 2

    grass = make_user("cy_grass2", tree.cy_grass, "grassroots_staff")
    client.force_login(grass)  # sees funds in its union only: not the district's run
    assert client.get(all_urls["run"]).status_code == 404
    assert client.post(all_urls["run_enrol"]).status_code == 404

    client.force_login(users.cy_street)  # a street sees no district run either
    assert client.get(all_urls["run"]).status_code == 404

    client.force_login(users.auditor)  # the city's auditor reads, never acts
    assert client.get(all_urls["run"]).status_code == 200
    assert client.post(all_urls["run_enrol"]).status_code in (302, 403)
    assert client.post(all_urls["entitlement_cancel"], {"reason": "x"}).status_code in (302, 403)
    assert Entitlement.objects.filter(status="owed").count() == 2
    assert Run.objects.get().enrolled == 2


@pytest.mark.parametrize(
    "who",
    ["anonymous", "member1", "admin", "cy", "hd", "cy_street", "cy_grass", "auditor", "nopost"],
)
def test_no_page_fails_for_any_role(client, world, users, who):
    if who == "member1":
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username="member1"))
    elif who != "anonymous":
        client.force_login(getattr(users, who))
    for name, url in urls(world).items():
        response = (
            client.get(url) if name not in ("run_enrol", "entitlement_cancel") else client.post(url)
        )
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"], name
        else:
            assert response.status_code in (200, 302, 403, 404, 405), (name, response.status_code)


def test_hardship_grade_shown_is_the_one_open_at_the_deadline(client, world, users, tree):
    from gonghui.funds.enrolment.services import run_enrol

    run_enrol(actor=users.cy, run=world)
    person = Entitlement.objects.get(person__name="王建国").person
    Hardship.objects.filter(person=person).update(until=date(2026, 1, 1))
    Hardship.objects.create(
        person=person, org_unit=tree.cy_grass, grade="特别困难", since=date(2026, 1, 2)
    )
    client.force_login(users.cy)
    only = client.get(reverse("funds:run", args=[world.pk]), {"grade": "特别困难"}).content.decode()
    assert "王建国" in only
