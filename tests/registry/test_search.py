import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from gonghui.common.pagination import page_of
from gonghui.orgs.services import orgunit_move
from gonghui.people import search
from gonghui.people.services import person_create
from gonghui.registry import selectors, services
from gonghui.registry.selectors import PersonFilters
from tests.factories import PASSWORD


def names(qs):
    return [p.name for p in qs]


@pytest.fixture
def awarded(registry, users, honours):
    for name in ("赵郁", "武润泽", "单田芳", "曾志伟", "钱学"):
        services.award_create(
            actor=users.admin,
            honour=honours["capital-labour-medal"],
            person=registry.people[name],
            year=2018,
        )
    return registry


@pytest.mark.parametrize(
    "query, expected",
    [
        ("赵郁", ["赵郁"]),  # a 2-character name
        ("润泽", ["武润泽"]),
        ("武润泽", ["武润泽"]),
        ("zhaoyu", ["赵郁"]),
        ("ZHAO", ["赵郁"]),
        ("zy", ["赵郁"]),
        ("wrz", ["武润泽"]),
        ("wurz", ["武润泽"]),  # the surname in full, the given name by initials
        ("wurunz", ["武润泽"]),
        ("zhaoy", ["赵郁"]),
        ("shantf", ["单田芳"]),
        ("shantianfang", ["单田芳"]),  # the surname's reading, not pypinyin's default dan
        ("stf", ["单田芳"]),
        ("地铁", ["单田芳", "武润泽", "曾志伟", "赵郁"]),  # employer fragment, pinyin order
        ("", ["单田芳", "武润泽", "曾志伟", "赵郁"]),
        ("%", []),
        ("_", []),
        ('"OR 1=1', []),
        ("😀", []),
        ("x" * 10_000, []),
        ("赵*", ["赵郁"]),
    ],
)
def test_staff_search(awarded, users, query, expected):
    found = selectors.person_search(actor=users.cy, filters=PersonFilters(query=query))
    assert names(found) == expected


def test_filters_combine_and_scope_applies(awarded, users, honours, tree):
    services.award_create(
        actor=users.admin,
        honour=honours["beijing-model-worker"],
        person=awarded.people["赵郁"],
        year=2015,
    )
    f = PersonFilters(honour=honours["beijing-model-worker"].pk, year_from=2010, year_to=2016)
    assert names(selectors.person_search(actor=users.cy, filters=f)) == ["赵郁"]
    assert names(selectors.person_search(actor=users.hd, filters=PersonFilters(query="赵郁"))) == []
    assert names(
        selectors.person_search(
            actor=users.admin, filters=PersonFilters(query="qianxue", org_unit=tree.haidian.pk)
        )
    ) == ["钱学"]


def test_exact_name_first(awarded, users, tree):
    person_create(
        actor=users.admin,
        org_unit=tree.cy_grass,
        data={"name": "赵郁华", "no_id_reason": "历史档案"},
    )
    assert names(
        selectors.person_search(actor=users.admin, filters=PersonFilters(query="赵郁"))
    ) == ["赵郁", "赵郁华"]


def test_public_search_uses_consented_fields_only(awarded):
    public = selectors.public_search
    assert names(public(filters=PersonFilters(query="赵郁"))) == ["赵郁"]
    assert names(public(filters=PersonFilters(query="单田芳"))) == []  # did not consent
    # 武润泽 showed the employer; 赵郁 and 曾志伟 did not: the employer finds only him.
    assert names(public(filters=PersonFilters(query="地铁"))) == ["武润泽"]


@pytest.mark.parametrize(
    "query, expected",
    [
        # The exact name first even where another name containing it sorts earlier.
        ("武润泽", ["武润泽", "艾武润泽"]),
        ("欧阳明华", ["欧阳明华", "艾欧阳明华"]),  # 4+ characters: every triple must match
        ("阳明华", ["艾欧阳明华", "欧阳明华"]),
        ("欧阳明华强", []),
    ],
)
def test_exact_name_first_for_longer_names(awarded, users, tree, query, expected):
    for name in ("艾武润泽", "欧阳明华", "艾欧阳明华"):
        person_create(
            actor=users.admin, org_unit=tree.cy_grass, data={"name": name, "no_id_reason": "历史"}
        )
    found = selectors.person_search(actor=users.admin, filters=PersonFilters(query=query))
    assert names(found) == expected


def test_keys_follow_a_moved_union(awarded, users, tree):
    """Each key row carries its person's node path for the scope: moving a union moves
    its people's keys into the new district's searches."""
    orgunit_move(actor=users.admin, unit=tree.cy_grass, new_parent=tree.haidian)
    for actor in (users.cy, users.hd):
        actor.__dict__.pop("_gonghui_grants", None)
    assert names(selectors.person_search(actor=users.cy, filters=PersonFilters(query="zy"))) == []
    assert names(selectors.person_search(actor=users.hd, filters=PersonFilters(query="zy"))) == [
        "赵郁"
    ]


def test_a_search_count_stops_at_the_cap(client, awarded, users, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    client.login(username="cy_staff", password=PASSWORD)
    body = client.get("/api/v1/registry/people?q=地铁&page=2").json()
    assert (body["count"], body["count_capped"]) == (3, True)
    body = client.get("/api/v1/registry/people?q=赵郁&page=2").json()
    assert (body["count"], body["count_capped"]) == (1, False)
    # The count comes from the key rows alone, within the scope of the searcher.
    client.login(username="hd_staff", password=PASSWORD)
    body = client.get("/api/v1/registry/people?q=地铁&page=2").json()
    assert (body["count"], body["items"]) == (0, [])
    client.login(username="cy_staff", password=PASSWORD)
    monkeypatch.setattr("gonghui.common.pagination.PAGE_SIZE", 2)
    page = client.get("/registry/?q=地铁&page=2").content.decode()
    assert "超过 3 条" in page


def test_digits_of_an_employer_find_its_people(awarded, users, tree):
    """Employers are often known by their numbers (二院706所): digits are searchable,
    full-width ones too; a name search is not disturbed by them."""
    unit = services.unit_create(actor=users.cy, org_unit=tree.cy_grass, name="航天二院706所")
    person_create(
        actor=users.admin,
        org_unit=tree.cy_grass,
        data={"name": "艾文", "employer": unit, "no_id_reason": "历史档案"},
    )
    for query in ("706", "７０６", "706所", "二院706"):
        found = selectors.person_search(actor=users.cy, filters=PersonFilters(query=query))
        assert names(found) == ["艾文"], query
    assert names(selectors.person_search(actor=users.cy, filters=PersonFilters(query="707"))) == []


def test_a_search_page_is_read_from_its_keys_then_by_primary_key(awarded, users):
    """A page of a plain search reads its ids from the key index alone, then its people by
    pk (no join to plan), and is the same page, in the same order, as the join finds."""
    found = selectors.person_search(actor=users.cy, filters=PersonFilters(query="地铁"))
    joined = found.filter()  # a further filter: read through the join of people and keys
    assert names(joined) == ["单田芳", "武润泽", "曾志伟", "赵郁"]
    for low, high in ((0, 1), (0, 2), (1, 3), (2, 10), (4, 6)):
        with CaptureQueriesContext(connection) as queries:
            page = list(found[low:high])
            for person in page:  # the related rows came with the page
                assert person.employer.name == "北京地铁运营公司" and person.org_unit.name
        assert [p.pk for p in page] == [p.pk for p in joined[low:high]]
        keys, *people = (q["sql"] for q in queries.captured_queries)
        assert "people_person" not in keys
        # A page past the end reads no people.
        assert len(people) == (1 if page else 0) and "people_searchkey" not in "".join(people)
    # The scope holds on the keys: Haidian's staff find none of Chaoyang's people.
    assert (
        list(selectors.person_search(actor=users.hd, filters=PersonFilters(query="地铁"))[:5]) == []
    )
    # Prefetches still apply to such a page.
    page = list(found.prefetch_related("awards__honour")[:2])
    with CaptureQueriesContext(connection) as queries:
        assert [a.honour.name for p in page for a in p.awards.all()] == ["首都劳动奖章"] * 2
    assert not queries.captured_queries


def test_a_search_result_reshaped_is_no_longer_read_from_its_keys(awarded, users):
    found = selectors.person_search(actor=users.cy, filters=PersonFilters(query="地铁"))
    assert names(found.order_by("-name_sort")[:2]) == ["赵郁", "曾志伟"]
    assert names(found.reverse()[:2]) == ["赵郁", "曾志伟"]
    assert [p.get_deferred_fields() for p in found.defer("video_url")[:1]] == [{"video_url"}]
    assert list(found.none()[:2]) == [] and found.none().count_upto(10) == 0
    assert list(found.values_list("name", flat=True)[:2]) == ["单田芳", "武润泽"]
    assert found.annotate(one=Value(1))[:1][0].one == 1
    assert found.count_upto(10) == 4 and found.filter(name="赵郁").count_upto(10) == 1


@pytest.mark.parametrize("cap, count", [(1000, 4), (3, 3)])
def test_a_first_page_and_its_count_are_one_read_of_the_keys(
    awarded, users, monkeypatch, cap, count
):
    """The first page reads the ids of up to the cap's matches at once: the page and its
    count cost one query of the key index (and one of the page's people), however many
    match; a search growing from a partial page to a full one adds no count query."""
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    monkeypatch.setattr("gonghui.common.pagination.PAGE_SIZE", 2)
    found = selectors.person_search(actor=users.cy, filters=PersonFilters(query="地铁"))
    with CaptureQueriesContext(connection) as queries:
        page = page_of(found, 1, count_cap=selectors.count_cap(PersonFilters(query="地铁")))
        assert names(page) == ["单田芳", "武润泽"]
        assert (page.paginator.count, page.paginator.capped) == (count, cap == count)
    keys = [q["sql"] for q in queries.captured_queries if "people_searchkey" in q["sql"]]
    assert len(keys) == 1 and "COUNT" not in keys[0].upper()
    assert len(queries.captured_queries) == 2  # the keys, then the page's people
    # Page 2 still counts (no first page was read) and is the rest.
    page = page_of(found, 2, count_cap=cap)
    assert names(page) == ["曾志伟", "赵郁"][: count - 2] and page.paginator.count == count
