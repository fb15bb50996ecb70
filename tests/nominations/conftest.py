from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.nominations import services
from gonghui.nominations.models import Rule
from gonghui.people.models import Person
from tests.factories import make_person, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """Beijing time, starting on Monday 2025-09-22 at 10:00; ``clock.move_to(at(...))``."""
    with time_machine.travel(at(2025, 9, 22, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def campaign(clock, tree, users, honours):
    """2025 首都劳动奖章: Chaoyang 4 places, Haidian 2; front-line at least 50% of each
    node's list; enterprise heads at most 20% of the whole list (6 places: 1)."""
    campaign = services.campaign_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        year=2025,
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
        objection_contact="电话 010-12345678",
    )
    services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=4)
    services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.haidian, allowed=2)
    services.rule_add(
        actor=users.admin,
        campaign=campaign,
        kind=Rule.Kind.AT_LEAST,
        attribute=Rule.Attribute.FRONT_LINE,
        percent=50,
        per_node=True,
    )
    services.rule_add(
        actor=users.admin,
        campaign=campaign,
        kind=Rule.Kind.AT_MOST,
        attribute=Rule.Attribute.RANK,
        value=Person.Rank.ENTERPRISE_HEAD,
        percent=20,
    )
    services.campaign_open(actor=users.admin, campaign=campaign)
    return campaign


MATERIALS = {
    "brief": "扎根一线二十年，带领班组攻克多项技术难题。",
    "deeds": "详细事迹" * 100,
    "meeting_on": date(2025, 9, 20),
    "meeting_attendance": 56,
    "meeting_result": "民主评议赞成票 52 票",
}


def nominate(users, tree, campaign, name, *, submit=True, unit=None, **person):
    """A person of the Chaoyang grassroots union, nominated with complete materials."""
    unit = unit or tree.cy_grass
    person.setdefault("is_front_line", True)
    someone = make_person(unit, name, **person)
    actor = users.cy_grass if unit == tree.cy_grass else users.hd_grass
    return services.nomination_save(
        actor=actor,
        campaign=campaign,
        person_id=someone.pk,
        document=SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n%test\n"),
        submit=submit,
        **MATERIALS,
    )


def counted(status):
    """A quota status as numbers: each node's total and rule counts, the overall counts."""
    nodes, overall = status
    return [(n.total, [s.count for s in n.rules]) for n in nodes], [s.count for s in overall]


@pytest.fixture
def hd_grass_user(tree):
    return make_user("hd_grass", tree.hd_grass, "grassroots_staff")


@pytest.fixture
def nominees(campaign, users, tree, hd_grass_user):
    users.hd_grass = hd_grass_user
    return {
        "赵郁": nominate(users, tree, campaign, "赵郁"),
        "武润泽": nominate(users, tree, campaign, "武润泽", is_front_line=False),
        "钱学": nominate(users, tree, campaign, "钱学", unit=tree.hd_grass),
    }


@pytest.fixture
def media(settings, tmp_path):
    """Attachments stored under a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> set[str]:
    """The names of the files in storage, as attachments name them."""
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}


@pytest.fixture
def quota_full(campaign, users, tree, media):
    """Chaoyang's four places taken, each nominee with its stored form."""
    for name in ("甲一", "甲二", "甲三", "甲四"):
        nominate(users, tree, campaign, name)
