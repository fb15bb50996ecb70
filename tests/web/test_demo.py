"""`gonghui demo`: the staff logins, a registry across the catalogue, and the two campaigns
(one finished with its awards, one in its first notice with an open objection)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from gonghui.nominations.models import Campaign, Objection
from gonghui.nominations.selectors import notice_open
from gonghui.nominations.workflow import State
from gonghui.people.models import Person
from gonghui.registry.models import Award, Honour
from tests.demo import demo_built


def demo(**options) -> list[str]:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def first_run(django_db_setup, django_db_blocker):
    """The demo built once at its default size for the module's tests: what it printed."""
    with demo_built(django_db_blocker, people=1000) as printed:
        yield printed


def test_demo_builds_registry_and_campaigns(first_run, db):
    honours_given = set(Award.objects.values_list("honour__code", flat=True))
    assert honours_given == set(Honour.objects.values_list("code", flat=True))
    finished, running = Campaign.objects.order_by("year")
    assert finished.status == Campaign.Status.CLOSED
    approved = finished.nominations.filter(state=State.APPROVED)
    assert approved.count() == 4
    assert Award.objects.filter(honour=finished.honour, year=finished.year).count() >= 4
    assert set(finished.notices.values_list("stage", flat=True)) == {"first", "second", "final"}
    assert running.status == Campaign.Status.OPEN
    assert running.nominations.filter(state=State.FIRST_NOTICE).count() == 6
    assert all(notice_open(n) for n in running.notices.all())
    assert (
        Objection.objects.filter(
            nomination__campaign=running, status=Objection.Status.RECEIVED
        ).count()
        == 2
    )


def test_the_demo_run_again_adds_nothing_and_shows_the_logins(first_run, db):
    first = first_run
    # `make run` again: the demo is there, so nothing is added and the logins are shown.
    people = Person.objects.count()
    again = demo(people=1000)
    assert Person.objects.count() == people
    assert again[0].startswith(f"演示数据已存在（{people} 名人员），未重复生成")
    logins = first[first.index("演示账号（密码均为 Gonghui@2026）：") :]
    # staff (the three administrators among them), member, counter, the contests' judge and
    # notary
    assert again[1:] == logins and len(logins) == 1 + 6 + 4 * 3 + 2 + 2 + 1
    marked = {line.split()[0] for line in logins[1:-1] if line.endswith("须二次验证")}
    assert {"admin", "sysadmin", "secadmin", "auditadmin", "haidian"} <= marked
    assert not marked & {"huiyuan", "caipan", "gongzheng"}  # member, judge, notary
    assert logins[-1].startswith("标“须二次验证”的账号首次登录时须绑定手机验证器")
    assert {line.split()[0] for line in logins[1:]} >= {
        "admin",
        "sysadmin",
        "secadmin",
        "auditadmin",
        "chaoyang_jc",
        "huiyuan",
        "caipan",
        "gongzheng",
    }


def test_benchmarks_add_people_only_when_asked(first_run, db):
    people = Person.objects.count()
    assert demo(people=7, add=True) == ["演示数据已存在，已追加 7 名人员。"]
    assert Person.objects.count() == people + 7


def test_demo_deeds_read_as_deeds_of_their_trade_and_honour(first_run, db):
    individual = list(
        # the registry's honoured (each with a trade; the campaigns' nominees have none),
        # less the titles the contests' results give (their deeds are written afterwards)
        Award.objects.filter(person__trade__isnull=False)
        .exclude(deeds="")
        .select_related("person__trade", "honour")
    )
    assert len(individual) > 100
    for award in individual:
        assert award.person.name in award.deeds
        assert f"“{award.honour.name}”" in award.deeds
        assert f"{award.year}年" in award.deeds
        assert award.person.trade.name in award.deeds
    # 3,000 people don't read the same: nearly every text is its own.
    assert len({a.deeds for a in individual}) == len(individual)
    collective = list(Award.objects.filter(unit__isnull=False).select_related("unit", "honour"))
    assert collective
    for award in collective:
        assert award.deeds.startswith(award.unit.name)
        assert f"“{award.honour.name}”" in award.deeds
    assert len({a.deeds.removeprefix(a.unit.name) for a in collective}) == len(collective)


def test_demo_portraits_only_with_consent_and_on_the_wall(first_run, db, client):
    honoured = list(Person.objects.filter(awards__isnull=False).distinct().order_by("pk"))
    with_portrait = [p for p in honoured if p.portrait_id]
    consenting = [p for p in honoured if p.is_public and "portrait" in p.public_fields]
    assert len(with_portrait) > 20
    assert with_portrait == consenting
    assert len(consenting) < len([p for p in honoured if p.is_public])  # some said no
    shown = with_portrait[0]
    page = client.get(reverse("registry:wall"), {"q": shown.name}).content.decode()
    portrait_url = reverse("registry:wall_portrait", args=[shown.pk])
    assert f'src="{portrait_url}"' in page
    png = client.get(portrait_url)
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert b"".join(png.streaming_content).startswith(b"\x89PNG")
    # Consent withdrawn: the wall shows the person without the portrait, and serves none.
    shown.public_fields = [f for f in shown.public_fields if f != "portrait"]
    shown.save(update_fields=["public_fields"])
    page = client.get(reverse("registry:wall"), {"q": shown.name}).content.decode()
    assert shown.name in page and portrait_url not in page
    assert client.get(portrait_url).status_code == 404
