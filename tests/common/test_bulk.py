"""common.bulk writes what save() writes, on each database of the suite's legs."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from gonghui.common import bulk
from gonghui.common.fields import blind_index_for
from gonghui.common.pinyin import sort_key
from gonghui.people.models import Membership, Person, Unit
from tests.factories import VALID_IDS, make_person


def _person(tree, n: int, **extra) -> Person:
    return Person(
        name=["单雄信", "曾国藩", "赵郁"][n % 3],
        org_unit=tree.cy_grass,
        id_number=VALID_IDS[n],
        phone=f"1380013800{n}",
        birth_date=date(1980, 1, 1),
        **extra,
    )


def test_insert_writes_what_save_writes(tree):
    saved = make_person(tree.cy_grass, "单雄信", VALID_IDS[4], phone="13800138009")
    people = [_person(tree, n) for n in range(3)]
    bulk.insert(people)

    assert all(p.pk and not p._state.adding for p in people)
    assert len({p.pk for p in people} | {saved.pk}) == 4
    for person in people:
        stored = Person.objects.get(pk=person.pk)
        # Personal data decrypts to what was given; blind indexes find the rows.
        assert (stored.id_number, stored.phone) == (person.id_number, person.phone)
        assert stored.name_sort == sort_key(person.name)
        assert Person.objects.get(id_number_index=blind_index_for("id_number", person.id_number))
        assert stored.created_at is not None and stored.updated_at is not None
    # The stored column is ciphertext, never the number itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person WHERE id = %s", [people[0].pk])
        (column,) = cursor.fetchone()
    assert VALID_IDS[0] not in column
    # One moment for the batch, as one import is one moment.
    assert len({p.created_at for p in people}) == 1
    # Same columns as save() gave the record made one by one.
    assert Person.objects.get(pk=saved.pk).name_sort == people[0].name_sort


def test_a_related_row_saved_after_assignment_lends_its_id(tree):
    employer = Unit(name="北京精密机械有限公司", org_unit=tree.cy_grass)
    person = _person(tree, 0, employer=employer)
    employer.save()  # after the person was given it, as an import does with new units
    bulk.insert([person])
    assert Person.objects.get(pk=person.pk).employer_id == employer.pk


def test_a_related_row_never_saved_is_refused_by_its_field(tree):
    unsaved = _person(tree, 1, employer=Unit(name="未保存的单位", org_unit=tree.cy_grass))
    with pytest.raises(ValueError, match="employer"):
        bulk.insert([unsaved])
    assert not Person.objects.filter(id_number_index=blind_index_for("id_number", VALID_IDS[1]))


def test_ids_follow_the_rows_order_across_statements(tree, monkeypatch):
    monkeypatch.setattr(bulk, "SQLITE_PARAMETERS", 12)  # a few rows a statement on SQLite
    people = [
        Person(name=f"测试{n:02d}", org_unit=tree.cy_grass, no_id_reason="历史档案")
        for n in range(12)
    ]
    bulk.insert(people)
    assert [Person.objects.get(pk=p.pk).name for p in people] == [p.name for p in people]
    memberships = [
        Membership(person=p, org_unit=p.org_unit, joined_on=date(2020, 1, 1)) for p in people
    ]
    bulk.insert(memberships)
    assert [m.person_id for m in Membership.objects.order_by("pk")] == [p.pk for p in people]


def test_nothing_to_insert_writes_nothing(db):
    bulk.insert([])
    assert bulk.insert_rows("people_person", ["name"], []) == []


def test_a_large_cache_only_while_a_bulk_write_runs(db):
    if connection.vendor != "sqlite":
        with bulk.large_cache():  # the server's buffers: nothing to change
            assert Person.objects.count() == 0
        return

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    usual = cache_size()
    with pytest.raises(RuntimeError), bulk.large_cache():
        assert cache_size() == -bulk.SQLITE_BULK_CACHE_KIB != usual
        raise RuntimeError("a rejected import")
    assert cache_size() == usual


def test_a_refused_row_raises_djangos_error_on_both_databases(tree):
    person = make_person(tree.cy_grass)
    rows = [(person.pk, "c:赵", tree.cy_grass.path, "1zhao")] * 2  # (person, key) is unique
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows("people_searchkey", ("person_id", "key", "path", "sort"), rows)
