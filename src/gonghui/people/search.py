"""Search over the registry by Chinese name fragments, pinyin, initials and employer.

Neither FTS nor trigram indexes serve 2-character Chinese names on both databases (a
trigram needs three characters; SQLite's FTS5 reads a run of Chinese as one word), so every
person has keys in ``SearchKey``, each found by exact match on a B-tree index, identically
on SQLite and PostgreSQL:

* ``c:`` each character, adjacent pair and adjacent triple of the name and of the
  employer's name, digits included (a fragment in either finds the person: 地铁, 706所);
* ``l:`` the full pinyin of every reading and its prefixes at syllable boundaries
  (``l:zhao``, ``l:zhaoyu``), the initials of every reading and their prefixes of two
  letters or more (``l:wr``, ``l:wrz``), and the two mixed, as staff type a name: its first
  syllables in full, the rest by initials (``l:wangxm``, ``l:wangxiaom``, ``l:wangx``). The readings are ``common.pinyin``'s: the surname
  only as a surname is read (王 never yu, 尉迟 yu chi), the name's reading set by staff
  (``Person.name_reading``) first; a character without a reading stays itself in ``c:``
  keys and ends its ``l:`` keys (𠮷文 has ``c:𠮷`` and ``c:𠮷文``, never ``l:wen``).

Each key row's ``sort`` starts with its rank: the whole name, or the whole usual reading or
its initials (``EXACT``), before the start of the name or of the usual reading
(``PREFIX``: 王伟华 for 王伟, zhaoyu for zhao), before another part of the name or the
employer's (``PARTIAL``), before another reading's whole (``OTHER``) or part
(``OTHER_PARTIAL``); then the name's dictionary order.

A query of up to three characters, or of letters, is one key. Its page is one range of the
``(key, sort, person, path)`` index read in order — the scope checked on ``path`` in
the index, the exact match first through ``sort`` — until the page is full, so a page costs
about the same for 王伟 as for a rare name; the count stops at ``COUNT_CAP``. Unless other
filters narrow the search, the page's ids come from that range alone and then its people by
primary key (``PersonQuerySet``), as does its count. A longer Chinese query must match all
its triples: its first triple's range is read in the same order, each row kept if its person
has the other triples too (one look-up each on the unique ``(person, key)`` index), so its
page also stops once full instead of sorting every match. Its exact name comes first: it
starts with the first triple (``PREFIX``), and among the names that start so and hold every
triple, its reading is a prefix of the others'.

Staff keys and public keys are kept apart: public keys (for the honour wall) come only from
fields the person consented to show, so a search cannot reveal an employer a person hid;
they start with ``PUBLIC`` (the audience is part of the key, so each search reads one range).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from gonghui.common.bulk import insert_rows
from gonghui.common.pinyin import HAN, name_readings, sort_key
from gonghui.orgs.models import OrgUnit, path_next, rerooted
from gonghui.people.models import Person, SearchKey

MAX_QUERY = 40
KEY_LENGTH = SearchKey._meta.get_field("key").max_length
PAGE_ORDER = ("sort", "person_id")  # a search's order, as the key rows read it
COUNT_CAP = 1000  # a search counts its matches up to here ("1000+"), then asks for filters
EXACT, PREFIX, PARTIAL, OTHER, OTHER_PARTIAL = range(5)  # a key's rank (see the module's doc)
PUBLIC = "+"
_CHARACTERS = re.compile(f"{HAN.pattern}|[0-9]")  # Chinese characters (all planes) and digits
_LATIN = re.compile("[a-z]+")


def name_key(name: str) -> str:
    """A name as compared with a record's (an import's row, a self-registration):
    NFKC-normalised (full-width letters, compatibility forms), with no white space at all."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def _characters(text: str) -> str:
    """What ``c:`` keys are made of: Chinese characters and digits (full-width ones folded
    by NFKC), everything else dropped."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if _CHARACTERS.match(c))


def _grams(text: str) -> set[str]:
    chars = _characters(text)
    return {chars[i : i + n] for n in (1, 2, 3) for i in range(len(chars) - n + 1)}


def person_keys(person: Person, *, public: bool) -> dict[str, int]:
    """The keys of ``person`` with their rank (``EXACT`` for the whole name, its whole pinyin
    or whole initials); ``public`` ones only from consented fields."""
    shown = set(person.public_fields or []) if public else None
    audience = PUBLIC if public else ""
    keys: dict[str, int] = {}
    if shown is None or "name" in shown:
        for key, rank in _name_keys(person.name, person.name_reading):
            _add(keys, (audience + key)[:KEY_LENGTH], rank)
    if person.employer_id and (shown is None or "employer" in shown):
        for key in _employer_keys(person.employer.name):
            _add(keys, (audience + key)[:KEY_LENGTH], PARTIAL)
    return keys


def _add(keys: dict[str, int], key: str, rank: int) -> None:
    """A key keeps its best rank (a name's pinyin can also be one of its prefixes)."""
    keys[key] = min(rank, keys.get(key, OTHER_PARTIAL))


@lru_cache(maxsize=65536)
def _name_keys(name: str, reading: str = "") -> tuple[tuple[str, int], ...]:
    """A name's keys and ranks (names repeat: an import of 100,000 people has ~40,000)."""
    keys: dict[str, int] = {}
    whole = _characters(name)
    for gram in _grams(name):
        rank = EXACT if gram == whole else PREFIX if whole.startswith(gram) else PARTIAL
        _add(keys, f"c:{gram}", rank)
    for i, syllables in enumerate(name_readings(name, reading)):
        exact, partial = (EXACT, PREFIX) if i == 0 else (OTHER, OTHER_PARTIAL)
        # Up to the first character without a reading: letters only, as a query is.
        unread = (n for n, s in enumerate(syllables) if not _LATIN.fullmatch(s))
        readable = next(unread, len(syllables))
        initials = "".join(s[0] for s in syllables[:readable])
        for n in range(1, readable + 1):
            rank = exact if n == len(syllables) else partial
            _add(keys, f"l:{''.join(syllables[:n])}", rank)
        for n in range(2, readable + 1):
            _add(keys, f"l:{initials[:n]}", exact if n == len(syllables) else partial)
            # The first syllables in full, the rest by initials (wangxm, wangxiaom), never
            # ranked as a whole reading (ouyangnan: 欧阳楠 before 欧阳娜娜's ouyang-n-a-n).
            for full in range(1, n):
                _add(keys, f"l:{''.join(syllables[:full])}{initials[full:n]}", partial)
    return tuple(keys.items())


@lru_cache(maxsize=16384)
def _employer_keys(name: str) -> tuple[str, ...]:
    return tuple(f"c:{gram}" for gram in _grams(name))


def index_people(people: list[Person], *, new: bool = False) -> int:
    """(Re)build the keys of ``people`` in bulk (merged records keep none); returns rows.
    ``new``: they were inserted just now, so they have no keys to delete.

    Written as rows of values (``common.bulk``): the ORM's bulk_create spent more time
    building model instances than the database spent inserting them."""
    if not new:
        SearchKey.objects.filter(person__in=[p.pk for p in people]).delete()
    paths = dict(
        OrgUnit.objects.filter(pk__in={p.org_unit_id for p in people}).values_list("pk", "path")
    )
    rows = []
    for person in people:
        if person.merged_into_id:
            continue
        path, name_sort = paths[person.org_unit_id], person.name_sort
        for public in (False, True) if person.is_public else (False,):
            rows += [
                (person.pk, key, path, f"{rank}{name_sort}")
                for key, rank in person_keys(person, public=public).items()
            ]
    # In index order: consecutive rows land on the same leaf pages of the (key, sort, ...)
    # index instead of one random page each, which is what a large table's inserts cost.
    rows.sort(key=lambda row: (row[1], row[3], row[0]))
    insert_rows(SearchKey._meta.db_table, ("person_id", "key", "path", "sort"), rows)
    return len(rows)


def index_person(person: Person) -> None:
    index_people([person])


def reindex_all(*, batch: int = 5000, progress: Callable[[int], object] | None = None) -> int:
    """Every person's sort key and search keys afresh, by the rules in force (after a change
    to them: a data migration, or ``gonghui people reindex``); ``batch`` people a
    transaction. Returns the people read. Reads only the fields the keys need, so that a
    migration can call it whatever fields later migrations add."""
    fields = (
        "pk",
        "name",
        "name_reading",
        "name_sort",
        "org_unit_id",
        "employer__name",
        "merged_into_id",
        "is_public",
        "public_fields",
    )
    people = Person.objects.select_related("employer").only(*fields).order_by("pk")
    done, last = 0, 0
    while chunk := list(people.filter(pk__gt=last)[:batch]):
        with transaction.atomic():
            moved = [p for p in chunk if p.name_sort != sort_key(p.name, p.name_reading)]
            for person in moved:
                person.name_sort = sort_key(person.name, person.name_reading)
            Person.objects.bulk_update(moved, ["name_sort"], batch_size=1000)
            index_people(chunk)
        done, last = done + len(chunk), chunk[-1].pk
        if progress:
            progress(len(chunk))
    return done


def drop_person(person: Person) -> None:
    SearchKey.objects.filter(person=person).delete()


def move_subtree(old_path: str, new_path: str) -> None:
    """Keep the keys' ``path`` in step when a union node and its subtree move."""
    SearchKey.objects.filter(path__gte=old_path, path__lt=path_next(old_path)).update(
        path=rerooted(old_path, new_path)
    )


def query_keys(query: str, *, public: bool = False) -> list[str]:
    """The keys a query must all match: its characters (up to three) or its triples, or its
    letters as pinyin or initials (the public's keys if ``public``). Empty when it has
    nothing to search by."""
    audience = PUBLIC if public else ""
    text = unicodedata.normalize("NFKC", query or "").strip().lower()[:MAX_QUERY]
    chars = _characters(text)
    if chars:
        if len(chars) <= 3:
            return [f"{audience}c:{chars}"]
        return list(dict.fromkeys(f"{audience}c:{chars[i : i + 3]}" for i in range(len(chars) - 2)))
    letters = re.sub(r"[^a-z]", "", text)
    return [f"{audience}l:{letters}"[:KEY_LENGTH]] if letters else []


def matching_q(query: str, *, via: str = "pk") -> Q:
    """Rows whose person (``via``: the lookup to the person's id, e.g. ``person_id`` from a
    card) matches ``query`` as ``search_people`` finds people: for lists ordered by their
    own columns (cards by issue date). Empty when the query has nothing to search by."""
    keys = query_keys(query)
    if not keys:
        return Q(pk__in=[])
    found = Q()
    for key in keys:
        found &= Q(Exists(SearchKey.objects.filter(person=OuterRef(via), key=key)))
    return found


def count_cap(query: str) -> int | None:
    """How far a list of people counts its matches: a search's count stops at
    ``COUNT_CAP`` ("1000+"), a plain list counts them all."""
    return COUNT_CAP if (query or "").strip() else None


def search_people(
    qs: QuerySet[Person],
    query: str,
    *,
    public: bool = False,
    scope: Callable[[str, str], Q] | None = None,
    narrowed: bool = True,
) -> QuerySet[Person]:
    """``qs`` narrowed to ``query`` and to ``scope`` (a data-scope filter given the lookups
    to the rows carrying ``path`` and to the owning user), exact names first, then by pinyin
    and id — the same order on both databases. Any query string is safe: it becomes keys
    only. Unless ``narrowed`` (``qs`` filters people beyond what having keys implies), the
    count and the pages are read from the key rows alone."""
    keys = query_keys(query, public=public)
    if not keys:
        if (query or "").strip():
            return qs.none()
        return qs.filter(scope("org_unit", "user") if scope else Q()).order_by("name_sort", "pk")
    first, *rest = keys
    # One filter() call: the scope applies to the same key row (one join, its index).
    found = qs.filter(Q(search_keys__key=first) & (scope("search_keys", "user") if scope else Q()))
    key_rows = SearchKey.objects.filter(
        Q(key=first) & (scope("", "person__user") if scope else Q())
    )
    for key in rest:  # a longer query's other triples, per person of the first's rows
        found = found.filter(Exists(SearchKey.objects.filter(person=OuterRef("pk"), key=key)))
        key_rows = key_rows.filter(
            Exists(SearchKey.objects.filter(person=OuterRef("person_id"), key=key))
        )
    found = found.order_by(*(f"search_keys__{field}" for field in PAGE_ORDER))
    if narrowed:
        return found
    return found.found_by(key_rows.order_by(*PAGE_ORDER), qs, window=COUNT_CAP)
