import pytest

from gonghui.registry import selectors, services
from gonghui.registry.selectors import PersonFilters


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
