"""How names are read and found: characters without a reading, the reading staff set
(姓名拼音), surnames read only as surnames, and one people search on every page, API and
command (issue 15, section 5)."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.common.errors import ValidationFailed
from gonghui.common.pinyin import name_readings, sort_key
from gonghui.people import search, selectors, services
from gonghui.people.models import Person, SearchKey
from gonghui.registry.selectors import PersonFilters, person_search
from tests.factories import PASSWORD

JI = "\U00020bb7"  # 𠮷 (CJK Extension B): pypinyin has no reading for it


def add(actor, unit, name, **data):
    return services.person_create(
        actor=actor, org_unit=unit, data={"name": name, "no_id_reason": "历史档案", **data}
    )


def found(actor, query):
    """The registry's staff search (the one people search), names in order."""
    return [p.name for p in person_search(actor=actor, filters=PersonFilters(query=query))]


@pytest.fixture
def names(tree, users):
    """People whose names the review tried, all in Chaoyang."""
    made = {}
    for name in (
        f"{JI}文",
        "陈文",
        "高文",
        "王佳",
        "余佳",
        "王莉",
        "尉迟敬德",
        "石丹",
        "詹天佑",
        "单田芳",
        "郑英",
        "丁英",
        "丁阳",
        "欧阳晓峰",
        "王伟",
        "王伟华",
        "汪伟",
    ):
        made[name] = add(users.cy, tree.cy_grass, name)
    return made


# --- 15. Characters without a reading ---------------------------------------------------------


def test_a_character_without_a_reading_is_kept_in_the_keys(names, users):
    assert found(users.cy, JI) == [f"{JI}文"]
    assert found(users.cy, f"{JI}文") == [f"{JI}文"]  # not 陈文, 高文
    assert found(users.cy, "文") == ["陈文", "高文", f"{JI}文"]
    # Nothing read as "wen" alone: the name is not a "wen".
    assert f"{JI}文" not in found(users.cy, "wen") and found(users.cy, "jiwen") == []


def test_a_reading_set_by_staff_is_searched(names, users):
    person = services.person_update(
        actor=users.cy, person=names[f"{JI}文"], data={"name_reading": "Jí  Wén"}
    )
    assert person.name_reading == "ji wen" and person.name_sort == "ji0wen"
    for query in ("jiwen", "jw", "JI WEN", JI):
        assert found(users.cy, query) == [f"{JI}文"], query
    assert found(users.cy, "ji") == [f"{JI}文"]
    # Cleared again: back to no reading.
    services.person_update(actor=users.cy, person=person, data={"name_reading": ""})
    assert found(users.cy, "jiwen") == [] and found(users.cy, JI) == [f"{JI}文"]


def test_a_reading_set_by_staff_corrects_the_library(names, users):
    """Where the library's reading is wrong for this person, the staff's comes first."""
    services.person_update(
        actor=users.cy, person=names["郑英"], data={"name_reading": "zheng yang"}
    )
    assert found(users.cy, "zhengyang") == ["郑英"]
    assert found(users.cy, "zy") == ["郑英"]


@pytest.mark.parametrize(
    "name, reading, problem",
    [
        (f"{JI}文", "ji", "姓名有 2 个汉字，拼音有 1 个音节"),
        (f"{JI}文", "ji wen hua", "姓名有 2 个汉字，拼音有 3 个音节"),
        (f"{JI}文", "jiwen", "姓名有 2 个汉字，拼音有 1 个音节"),
        (f"{JI}文", "ji1 wen2", "拉丁字母"),
        (f"{JI}文", "吉 文", "拉丁字母"),
        (f"{JI}文", "ji-wen", "拉丁字母"),
        ("Anna", "an na", "姓名有 0 个汉字"),
    ],
)
def test_a_bad_reading_is_named_by_its_field_and_writes_nothing(
    tree, users, name, reading, problem
):
    with pytest.raises(ValidationFailed) as err:
        add(users.cy, tree.cy_grass, name, name_reading=reading)
    assert set(err.value.fields) == {"name_reading"}
    assert problem in err.value.fields["name_reading"]
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    "reading, stored", [("ji wen", "ji wen"), (" JÍ   WÉN ", "ji wen"), ("lü wen", "lv wen")]
)
def test_a_good_reading_is_stored_plainly(tree, users, reading, stored):
    person = add(users.cy, tree.cy_grass, f"{JI}文", name_reading=reading)
    assert Person.objects.get(pk=person.pk).name_reading == stored


def test_a_renamed_person_whose_reading_no_longer_fits_is_refused(names, users):
    person = services.person_update(
        actor=users.cy, person=names[f"{JI}文"], data={"name_reading": "ji wen"}
    )
    with pytest.raises(ValidationFailed) as err:
        services.person_update(actor=users.cy, person=person, data={"name": f"{JI}文华"})
    assert "姓名有 3 个汉字，拼音有 2 个音节" in err.value.fields["name_reading"]
    assert Person.objects.get(pk=person.pk).name == f"{JI}文"


def test_the_person_form_sets_the_reading_and_shows_its_error_beside_it(client, names, tree):
    client.login(username="cy_staff", password=PASSWORD)
    person = names[f"{JI}文"]
    form = {"name": f"{JI}文", "no_id_reason": "历史档案", "org_unit": tree.cy_grass.pk}
    response = client.post(f"/people/{person.pk}/edit/", {**form, "name_reading": "ji"})
    assert response.status_code == 200
    text = response.content.decode()
    field = text[text.index('for="id_name_reading"') : text.index('for="id_gender"')]
    assert "姓名有 2 个汉字，拼音有 1 个音节" in field  # next to its field
    response = client.post(f"/people/{person.pk}/edit/", {**form, "name_reading": "ji wen"})
    assert response.status_code == 302
    assert "ji wen" in client.get(f"/people/{person.pk}/").content.decode()
    assert "ji wen" in client.get(f"/registry/people/{person.pk}/").content.decode()


def test_the_api_sets_the_reading_and_names_a_bad_one(client, names, tree):
    client.login(username="cy_staff", password=PASSWORD)
    person = names[f"{JI}文"]
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        json.dumps({"name_reading": "ji wen ji"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and "3 个音节" in response.json()["fields"]["name_reading"]
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        json.dumps({"name_reading": "ji wen"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["name_reading"] == "ji wen"
    assert [p["name"] for p in client.get("/api/v1/people/?q=jiwen").json()["items"]] == [f"{JI}文"]


# --- 16. Surnames read as surnames --------------------------------------------------------------


def test_a_surname_is_read_only_as_a_surname(names, users):
    assert found(users.cy, "yujia") == ["余佳"]  # not 王佳: 王 is never yu as a surname
    assert found(users.cy, "yuchi") == ["尉迟敬德"]  # no 王莉 (wang li, wang chi)
    assert found(users.cy, "dan") == []  # no 石… (shi), 詹… (zhan) or 单… (shan)
    assert found(users.cy, "zhengying") == ["郑英"]  # not 丁英 (ding, never zheng)
    assert found(users.cy, "shitiandan") == []
    assert found(users.cy, "shandan") == [] and found(users.cy, "shidan") == ["石丹"]
    assert found(users.cy, "zhantianyou") == ["詹天佑"]
    assert found(users.cy, "shantianfang") == ["单田芳"]
    assert found(users.cy, "oyxf") == ["欧阳晓峰"] and found(users.cy, "ouyang") == ["欧阳晓峰"]


@pytest.mark.parametrize(
    "name, usual, never",
    [
        ("王佳", "wang jia", "yu"),
        ("石磊", "shi lei", "dan"),
        ("詹明", "zhan ming", "dan"),
        ("丁一", "ding yi", "zheng"),
        ("单雄信", "shan xiong xin", "dan"),
        ("尉迟敬德", "yu chi jing de", "wei"),
        ("尉缭", "wei liao", "yu"),  # 尉 alone is wei; yu only in 尉迟
        ("万俟卨", "mo qi xie", "wan"),
        ("长孙无忌", "zhang sun wu ji", "chang"),
        ("长江", "chang jiang", "zhang"),  # 长 alone is chang
        ("单于明", "chan yu ming", "shan"),
        ("曾国藩", "zeng guo fan", "ceng"),
        ("解缙", "xie jin", "jie"),
        ("区明", "ou ming", "qu"),
        ("澹台灭明", "tan tai mie ming", "dan"),
        ("诸葛亮", "zhu ge liang", None),
        ("司马光", "si ma guang", None),
        ("上官婉儿", "shang guan wan er", None),
    ],
)
def test_surname_readings(name, usual, never):
    """The usual reading, and no reading of the surname but its surname reading."""
    readings = name_readings(name)
    assert readings[0] == tuple(usual.split())
    assert sort_key(name) == usual.replace(" ", "0")
    assert all(r[0] != never for r in readings), readings
    assert {r[0] for r in readings} == {usual.split()[0]}, readings


def test_a_surname_with_two_surname_readings_offers_both_usual_first(tree, users):
    add(users.cy, tree.cy_grass, "覃明")
    add(users.cy, tree.cy_grass, "谭明")
    assert found(users.cy, "qinming") == ["覃明"]
    assert found(users.cy, "tanming") == ["谭明", "覃明"]  # the usual reading first


def test_other_readings_of_the_given_name_rank_after_the_usual_one(names, users):
    # 丁英 may be typed ding yang (英 has that reading): found, but after 丁阳, read so.
    assert found(users.cy, "dingyang") == ["丁阳", "丁英"]
    assert found(users.cy, "dingying") == ["丁英"]


def test_the_exact_full_name_ranks_first(names, users):
    assert found(users.cy, "王伟") == ["王伟", "王伟华"]
    assert found(users.cy, "wangwei") == ["王伟", "汪伟", "王伟华"]
    assert found(users.cy, "ww") == ["王伟", "汪伟", "王伟华"]


# --- 17. One people search everywhere ------------------------------------------------------------


def test_every_people_search_finds_the_same(client, names, users, tree):
    """/people/, /registry/, both APIs and the command line search alike (oyxf: the
    initials of 欧阳晓峰, which /people/ used to miss)."""
    client.login(username="cy_staff", password=PASSWORD)
    for query in ("oyxf", "ouyangxiaofeng", "晓峰", "欧阳晓峰"):
        assert [p.name for p in selectors.person_list(actor=users.cy, query=query)] == ["欧阳晓峰"]
        api = client.get("/api/v1/people/", {"q": query}).json()
        assert [p["name"] for p in api["items"]] == ["欧阳晓峰"], query
        registry_api = client.get("/api/v1/registry/people", {"q": query}).json()
        assert [p["name"] for p in registry_api["items"]] == ["欧阳晓峰"], query
        for page in ("/people/", "/registry/"):
            text = client.get(page, {"q": query}).content.decode()
            assert "欧阳晓峰" in text and "尉迟敬德" not in text, (page, query)
        out = io.StringIO()
        call_command("registry", "search", query, "--user", "cy_staff", stdout=out)
        assert out.getvalue().startswith("欧阳晓峰"), query
    # The same order everywhere: exact name first.
    assert [p.name for p in selectors.person_list(actor=users.cy, query="王伟")] == [
        "王伟",
        "王伟华",
    ]
    # An explicit sort still applies to a search.
    assert [p.name for p in selectors.person_list(actor=users.cy, query="ww", sort="-id")] == [
        "汪伟",
        "王伟华",
        "王伟",
    ]


def test_the_people_search_keeps_to_the_scope(client, names, users, tree):
    add(users.hd, tree.hd_grass, "欧阳海")
    client.login(username="hd_staff", password=PASSWORD)
    assert [p["name"] for p in client.get("/api/v1/people/?q=oyxf").json()["items"]] == []
    assert [p["name"] for p in client.get("/api/v1/people/?q=ouyang").json()["items"]] == ["欧阳海"]
    assert "欧阳晓峰" not in client.get("/people/?q=ouyang").content.decode()
    assert [p.name for p in selectors.person_list(actor=users.cy, query="ouyang")] == ["欧阳晓峰"]


def test_the_people_list_counts_a_search_up_to_the_cap(client, names, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    client.login(username="cy_staff", password=PASSWORD)
    body = client.get("/api/v1/people/?q=wang&page=2").json()
    assert (body["count"], body["count_capped"]) == (2, True)
    body = client.get("/api/v1/people/?page=2").json()
    assert (body["count"], body["count_capped"]) == (17, False)


# --- Keys rebuilt by the rules in force ----------------------------------------------------------


def test_reindex_rebuilds_keys_and_sort_keys_made_by_older_rules(names, users):
    wang = names["王佳"]
    # As the old rules left them: 王 read yu, 𠮷 dropped (filed under W, found as wen).
    SearchKey.objects.create(person=wang, key="l:yujia", path=wang.org_unit.path, sort="0yu0jia")
    ji = names[f"{JI}文"]
    Person.objects.filter(pk=ji.pk).update(name_sort="wen", name_reading="ji wen")
    out = io.StringIO()
    call_command("people", "reindex", "--batch", "4", stdout=out)
    assert "已重建 17 人" in out.getvalue()
    assert found(users.cy, "yujia") == ["余佳"]
    assert Person.objects.get(pk=ji.pk).name_sort == "ji0wen"
    assert found(users.cy, "jiwen") == [f"{JI}文"]


def test_names_that_start_with_the_query_come_before_those_that_contain_it(names, users, tree):
    for name in ("李王伟", "欧阳晓峰华", "艾欧阳晓峰"):
        add(users.cy, tree.cy_grass, name)
    assert found(users.cy, "王伟") == ["王伟", "王伟华", "李王伟"]
    # A longer query: the exact name, then the names starting with it, then the others.
    assert found(users.cy, "欧阳晓峰") == ["欧阳晓峰", "欧阳晓峰华", "艾欧阳晓峰"]


def test_a_longer_query_is_read_from_its_keys_and_stops_at_its_page(names, users, tree):
    """A query of four characters or more reads its first triple's key rows in order, each
    checked for the other triples, then the page's people by pk: no join of people and
    keys, no sort of every match."""
    for name in ("欧阳晓峰华", "艾欧阳晓峰", "欧阳晓东"):
        add(users.cy, tree.cy_grass, name)
    result = person_search(actor=users.cy, filters=PersonFilters(query="欧阳晓峰"))
    with CaptureQueriesContext(connection) as queries:
        assert [p.name for p in result[:2]] == ["欧阳晓峰", "欧阳晓峰华"]
    keys, people = (q["sql"] for q in queries.captured_queries)
    assert "people_person" not in keys and "people_searchkey" not in people
    assert result.count_upto(10) == 3
    assert found(users.hd, "欧阳晓峰") == []  # the scope holds on the key rows
