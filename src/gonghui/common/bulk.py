"""Bulk inserts for the paths that write tens of thousands of rows at once (imports, the
demo's people): the values Django would write, without the cost of its SQL compiler.

``Model.objects.bulk_create`` runs every value of every row through the compiler; for the
registry import's people that was most of the insert (20,000 people: 3.4 s, of which the
database took 1.0 s and the fields' own preparation 1.1 s). ``insert`` prepares each value
with the field's ``pre_save`` and ``get_db_prep_save`` — exactly what ``save()`` writes:
encrypted personal data, blind indexes, pinyin sort keys, timestamps — and sends the rows as
few statements as the database allows: multi-row ``INSERT … RETURNING id`` on SQLite, and on
PostgreSQL ``COPY`` with ids drawn from the table's sequence beforehand (the server inserts
while the client is still preparing the next rows).

``large_cache()`` gives SQLite room for the index pages a million-row table's inserts touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model
from django.utils import timezone

SQLITE_PARAMETERS = 32_000  # per statement (SQLite's limit is 32,766 since 3.32)
SQLITE_BULK_CACHE_KIB = 1024 * 1024  # 1 GiB of page cache while a bulk write runs


def insert(objs: Sequence[Model]) -> None:
    """Insert new instances of one model and set their primary keys, as ``bulk_create``
    would (no signals, no ``save()``)."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for obj in objs:  # a related row saved since it was assigned lends its id, as in bulk_create
        obj._prepare_related_fields_for_save(operation_name="bulk.insert")
    # One moment for the batch: auto_now fields would read the clock and format it per row.
    now = timezone.now()
    stamps = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    stamped = {f.attname: f.get_db_prep_save(now, connection) for f in stamps}
    for obj in objs:
        for f in stamps:
            setattr(obj, f.attname, now)

    def value(f, obj):
        if f.attname in stamped:
            return stamped[f.attname]
        return f.get_db_prep_save(f.pre_save(obj, True), connection)

    rows = [tuple(value(f, obj) for f in fields) for obj in objs]
    ids = insert_rows(meta.db_table, [f.column for f in fields], rows, returning=True)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[tuple], *, returning: bool = False
) -> list[int]:
    """Insert ``rows`` (values ready for the database, in ``columns`` order) into ``table``,
    whose primary key is ``id``; with ``returning``, the new ids in the rows' order. Table
    and column names come from the models, never from input."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(table, columns, rows, returning)
    return _sqlite_insert(table, columns, rows, returning)


def _sqlite_insert(table: str, columns: Sequence[str], rows: Sequence[tuple], returning: bool):
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    one = f"({', '.join(['%s'] * len(columns))})"
    per = max(1, SQLITE_PARAMETERS // len(columns))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            batch = rows[start : start + per]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))}"  # noqa: S608
            cursor.execute(sql + (" RETURNING id" if returning else ""), _flat(batch))
            if returning:
                ids += [pk for (pk,) in cursor.fetchall()]
    return ids


def _copy(table: str, columns: Sequence[str], rows: Sequence[tuple], returning: bool):
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        ids: list[int] = []
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            names = f"id, {names}"
        # Django's errors (IntegrityError …) on both databases, as for its own cursors.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            if returning:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
            else:
                for row in rows:
                    copy.write_row(row)
    return ids


def _flat(rows: Iterable[tuple]) -> list:
    return [value for row in rows for value in row]


@contextmanager
def large_cache():
    """Inside: SQLite keeps up to ``SQLITE_BULK_CACHE_KIB`` of pages (the connection's
    usual cache is 64 MiB). A bulk write into tables of a million rows touches index pages
    all over them; with the small cache each is read again after being evicted, and dirty
    ones spill into the WAL before the commit writes them once more. PostgreSQL's buffers
    are the server's: nothing to do there."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (usual,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(usual)}")
