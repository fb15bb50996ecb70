"""Search over the registry by Chinese name fragments, pinyin, initials and employer.

Neither FTS nor trigram indexes serve 2-character Chinese names on both databases (see
DESIGN.md), so every person has keys in ``SearchKey``, each found by exact match on a B-tree
index, identically on SQLite and PostgreSQL:

* ``n:`` each character and each adjacent pair of the name;
* ``p:`` the full pinyin of every reading, and its prefixes at syllable boundaries
  (``p:zhao``, ``p:zhaoyu``);
* ``i:`` the initials of every reading and their prefixes of two letters or more (``i:wr``,
  ``i:wrz``);
* ``e:`` each character and adjacent pair of the employer's name.

A query must match all its keys: a Chinese query of n characters needs its n-1 pairs (or
its one character), in the name or in the employer. Staff keys and public keys are kept
apart: public keys (for the honour wall) come only from fields the person consented to show,
so a search cannot reveal an employer a person hid.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from gonghui.common.pinyin import name_readings
from gonghui.people.models import Person, SearchKey

MAX_QUERY = 40
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _grams(text: str) -> set[str]:
    chars = [c for c in text if _CJK.match(c)]
    grams = set(chars)
    grams.update(a + b for a, b in zip(chars, chars[1:], strict=False))
    return grams


def person_keys(person: Person, *, public: bool) -> set[str]:
    """The keys of ``person``; ``public`` ones only from consented fields."""
    shown = set(person.public_fields or []) if public else None
    keys: set[str] = set()
    if shown is None or "name" in shown:
        keys |= {f"n:{g}" for g in _grams(person.name)}
        for reading in name_readings(person.name):
            full = ""
            for syllable in reading:
                full += syllable
                keys.add(f"p:{full}"[:40])
            initials = "".join(s[0] for s in reading if s)
            keys |= {f"i:{initials[:n]}" for n in range(2, len(initials) + 1)}
    if person.employer_id and (shown is None or "employer" in shown):
        keys |= {f"e:{g}" for g in _grams(person.employer.name)}
    return keys


def index_people(people: list[Person]) -> int:
    """(Re)build the keys of ``people`` in bulk (merged records keep none); returns rows.

    Written as multi-row INSERTs (COPY on PostgreSQL): the ORM's bulk_create spent more
    time building model instances than the database spent inserting them."""
    SearchKey.objects.filter(person__in=[p.pk for p in people]).delete()
    rows = []
    for person in people:
        if person.merged_into_id:
            continue
        rows += [(person.pk, key, False) for key in person_keys(person, public=False)]
        if person.is_public:
            rows += [(person.pk, key, True) for key in person_keys(person, public=True)]
    table = SearchKey._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg binds VALUES lists of this size slower than the server inserts them.
            with cursor.cursor.copy(f"COPY {table} (person_id, key, public) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(rows), 3000):  # 9,000 parameters a statement
                batch = rows[start : start + 3000]
                values = ", ".join(["(%s, %s, %s)"] * len(batch))
                cursor.execute(
                    f"INSERT INTO {table} (person_id, key, public) VALUES {values}",  # noqa: S608
                    [value for row in batch for value in row],
                )
    return len(rows)


def index_person(person: Person) -> None:
    index_people([person])


def drop_person(person: Person) -> None:
    SearchKey.objects.filter(person=person).delete()


def query_keys(query: str) -> list[list[str]]:
    """Alternatives, each a list of keys that must all match: e.g. a Chinese fragment in
    the name OR in the employer; pinyin as full spelling OR initials."""
    text = unicodedata.normalize("NFKC", query or "").strip().lower()[:MAX_QUERY]
    cjk = "".join(c for c in text if _CJK.match(c))
    if cjk:
        grams = [cjk] if len(cjk) == 1 else [a + b for a, b in zip(cjk, cjk[1:], strict=False)]
        grams = list(
            dict.fromkeys(grams)
        )  # in order: the surname's pair, the most selective, first
        return [[f"n:{g}" for g in grams], [f"e:{g}" for g in grams]]
    letters = re.sub(r"[^a-z]", "", text)
    if not letters:
        return []
    options = [[f"p:{letters}"]]
    if len(letters) >= 2:
        options.append([f"i:{letters}"])
    return options


def matching(query: str, *, public: bool = False) -> Q | None:
    """A filter on Person for ``query``, or None when the query has nothing to search by.

    One subquery over the keys: each alternative starts from its first key's rows (an index
    range) and checks its further keys with EXISTS on the (person, key, public) index. (An
    OR of one subquery per alternative made PostgreSQL scan the whole person table, and
    grouping every row of a common pair such as 秀英 to count matches was slow on both.)"""
    alternatives = query_keys(query)
    if not alternatives:
        return None
    condition = Q(pk__in=[])
    for first, *rest in alternatives:
        branch = Q(key=first)
        for key in rest:
            branch &= Q(
                Exists(SearchKey.objects.filter(person=OuterRef("person"), key=key, public=public))
            )
        condition |= branch
    return Q(pk__in=SearchKey.objects.filter(condition, public=public).values("person"))


def search_people(qs: QuerySet[Person], query: str, *, public: bool = False) -> QuerySet[Person]:
    """``qs`` (already scoped) narrowed to ``query``, exact names first, then by pinyin and id
    — the same order on both databases. Any query string is safe: it becomes keys only."""
    condition = matching(query, public=public)
    if condition is None:
        return qs.none() if (query or "").strip() else qs.order_by("name_sort", "pk")
    exact = unicodedata.normalize("NFKC", query).strip()[:60]
    return (
        qs.filter(condition)
        .annotate(
            exact=Case(
                When(name=exact, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("exact", "name_sort", "pk")
    )
