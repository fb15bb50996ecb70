import pytest

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
    from gonghui.people import services as people

    people.person_create(
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
    from gonghui.people import services as people

    for name in ("艾武润泽", "欧阳明华", "艾欧阳明华"):
        people.person_create(
            actor=users.admin, org_unit=tree.cy_grass, data={"name": name, "no_id_reason": "历史"}
        )
    found = selectors.person_search(actor=users.admin, filters=PersonFilters(query=query))
    assert names(found) == expected


def test_keys_follow_a_moved_union(awarded, users, tree):
    """Each key row carries its person's node path for the scope: moving a union moves
    its people's keys into the new district's searches."""
    from gonghui.orgs import services as orgs

    orgs.orgunit_move(actor=users.admin, unit=tree.cy_grass, new_parent=tree.haidian)
    for actor in (users.cy, users.hd):
        actor.__dict__.pop("_gonghui_grants", None)
    assert names(selectors.person_search(actor=users.cy, filters=PersonFilters(query="zy"))) == []
    assert names(selectors.person_search(actor=users.hd, filters=PersonFilters(query="zy"))) == [
        "赵郁"
    ]


def test_a_search_count_stops_at_the_cap(client, awarded, users, monkeypatch):
    from gonghui.people import search

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
    from gonghui.people import services as people

    unit = services.unit_create(actor=users.cy, org_unit=tree.cy_grass, name="航天二院706所")
    people.person_create(
        actor=users.admin,
        org_unit=tree.cy_grass,
        data={"name": "艾文", "employer": unit, "no_id_reason": "历史档案"},
    )
    for query in ("706", "７０６", "706所", "二院706"):
        found = selectors.person_search(actor=users.cy, filters=PersonFilters(query=query))
        assert names(found) == ["艾文"], query
    assert names(selectors.person_search(actor=users.cy, filters=PersonFilters(query="707"))) == []
