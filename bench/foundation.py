"""Foundation figures: a subtree page with its count, writes with their audit event, and
the import of a whole tree from .csv and .xlsx.

The tree is the seeded city federation and its 17 districts, with streets and grassroots
unions spread evenly over the districts (so the district queried holds ~1/17 of the nodes),
built through the importer itself.
"""

import csv
import gc
import io
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import openpyxl
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from measure import Writers, figure, interleaved, note, p95

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import diff, record, verify_stream
from gonghui.common.pagination import PAGE_SIZE, page_of
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, Post, Role, path_next
from gonghui.orgs.selectors import org_unit_list
from gonghui.orgs.services import orgunit_create
from gonghui.people.models import Person
from gonghui.treeimport.services import COLUMNS, tree_import


@dataclass(frozen=True)
class Scale:
    nodes: int  # org units in the tree, the seeded 18 included
    page_reps: int  # subtree pages (and pk fetches) timed
    import_reps: int  # timed imports of each format


SCALES = {
    "small": Scale(nodes=5_000, page_reps=500, import_reps=3),
    "full": Scale(nodes=50_000, page_reps=1000, import_reps=3),
}
QUERIED_DISTRICT = "110105"  # 朝阳区
STREET_SIZE = 150  # grassroots unions per street, roughly
WRITERS = 8  # concurrent writers, each with its own connection
WRITES = 100  # inserts per writer per round (the same at both scales: no tree involved)
WRITE_ROUNDS = 9  # timed rounds of each side (plain, audited)
WRITE_WARMUP = 1  # untimed rounds of each side first
LEVEL = {value: label for value, label in OrgUnit.Level.choices}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}")
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-city-admin", city, "city_admin")
    build_tree(admin, city, scale.nodes)

    district = OrgUnit.objects.get(code=QUERIED_DISTRICT)
    staff = make_user("bench-district-staff", district, "district_staff")
    yield subtree_page(staff, district, scale.page_reps)
    yield audited_writes(staff, district)
    yield from tree_imports(admin, city, scale)


def make_user(username: str, unit: OrgUnit, role: str):
    user = get_user_model().objects.create_user(username)
    Post.objects.create(user=user, org_unit=unit, role=Role.objects.get(code=role))
    return user


# --- The tree ------------------------------------------------------------------------------


def tree_rows(parents: list[OrgUnit], nodes: int) -> list[tuple[str, str, str, str]]:
    """``nodes`` (code, name, level, parent code) rows spread evenly over ``parents``: under
    each, streets of about STREET_SIZE grassroots unions. Parents come before children."""
    rows = []
    share, extra = divmod(nodes, len(parents))
    for i, parent in enumerate(parents):
        count = share + (i < extra)
        area = parent.name.removesuffix("总工会")
        streets = -(-count // (STREET_SIZE + 1))
        street_codes = [f"{parent.code}-S{s:03d}" for s in range(1, streets + 1)]
        for s, code in enumerate(street_codes, start=1):
            rows.append((code, f"{area}第{s}街道总工会", LEVEL["street"], parent.code))
        for g in range(1, count - streets + 1):
            street = street_codes[g % streets]
            rows.append(
                (f"{parent.code}-G{g:05d}", f"{area}第{g}基层工会", LEVEL["grassroots"], street)
            )
    return rows


def as_csv(rows: Iterable[tuple]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS.values())
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")  # with the BOM, as Excel saves CSV


def as_xlsx(rows: Iterable[tuple]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("组织")
    sheet.append(list(COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_tree(admin, city: OrgUnit, nodes: int) -> None:
    districts = list(OrgUnit.objects.filter(parent=city))
    rows = tree_rows(districts, nodes - OrgUnit.objects.count())
    start = time.perf_counter()
    created = tree_import(actor=admin, data=as_csv(rows), filename="tree.csv")
    note(f"built the tree: {created} units imported in {time.perf_counter() - start:.1f} s")


# --- 1. The first page of a district's subtree, with its count ------------------------------


def subtree_page(staff, district: OrgUnit, reps: int) -> str:
    def page() -> tuple[list[int], int]:
        access.forget(staff)  # a request reads the actor's posts afresh
        first = page_of(org_unit_list(actor=staff, root=district), 1)  # as pages and the API do
        return [unit.pk for unit in first], first.paginator.count

    ids, count = page()
    in_subtree = OrgUnit.objects.filter(path__gte=district.path, path__lt=path_next(district.path))
    if count != in_subtree.count() or len(ids) != PAGE_SIZE:
        raise RuntimeError(f"subtree page: {len(ids)} rows of {count}, expected {PAGE_SIZE}")

    def by_pk() -> None:
        list(OrgUnit.objects.filter(pk__in=ids))

    times = interleaved({"page": page, "pk": by_pk}, reps, warmup=20)
    page_p95, pk_p95 = p95(times["page"]), p95(times["pk"])
    note(
        f"subtree of {district.name}: {count} of {OrgUnit.objects.count()} units; p95 page "
        f"{page_p95 * 1000:.2f} ms, by pk {pk_p95 * 1000:.2f} ms ({reps} each)"
    )
    return figure(
        "foundation.subtree_page_p95", page_p95 * 1000, "ms", "ratio_to_pk", page_p95 / pk_p95, 5
    )


# --- 2. Concurrent writes, with and without their audit event -------------------------------


def audited_writes(staff, district: OrgUnit) -> str:
    unit = OrgUnit.objects.filter(parent__parent=district).first()
    post = Post.objects.get(user=staff)
    events_before = AuditEvent.objects.count()

    def insert(writer: int, n: int) -> Person:
        return Person.objects.create(
            name=f"职工{writer}-{n}", org_unit=unit, no_id_reason="基准测试"
        )

    def plain(writer: int, n: int) -> None:
        with transaction.atomic():
            insert(writer, n)

    def audited(writer: int, n: int) -> None:
        with transaction.atomic():
            person = insert(writer, n)
            record(
                actor=staff,
                action="people.create",
                obj=person,
                post_id=post.pk,
                changes=diff({}, {"name": person.name, "org_unit": unit.pk}),
            )

    with Writers(WRITERS, WRITES) as pool:
        times = interleaved(
            {"plain": lambda: pool.round(plain), "audited": lambda: pool.round(audited)},
            WRITE_ROUNDS,
            warmup=WRITE_WARMUP,
        )
    writes = WRITERS * WRITES
    per_write = {side: statistics.median(t) / writes for side, t in times.items()}
    report = verify_stream()
    expected = events_before + writes * (WRITE_ROUNDS + WRITE_WARMUP)
    if not report.ok or report.events != expected:
        raise RuntimeError(f"audit stream after the writes: {report}")
    note(
        f"{WRITERS} writers x {WRITES} inserts, median of {WRITE_ROUNDS} rounds: "
        f"plain {per_write['plain'] * 1000:.3f} ms/write ({1 / per_write['plain']:.0f}/s), "
        f"audited {per_write['audited'] * 1000:.3f} ms/write ({1 / per_write['audited']:.0f}/s)"
    )
    return figure(
        "foundation.audited_write",
        per_write["audited"] * 1000,
        "ms",
        "ratio_to_plain",
        per_write["audited"] / per_write["plain"],
        2,
    )


# --- 3. Importing a whole tree, against reading its file -------------------------------------


def tree_imports(admin, city: OrgUnit, scale: Scale) -> Iterator[str]:
    root = orgunit_create(
        actor=admin, parent=city, code="BENCH-IMPORT", name="导入区总工会", level="district"
    )
    rows = tree_rows([root], scale.nodes)
    files = {"csv": as_csv(rows), "xlsx": as_xlsx(rows)}

    def read_csv() -> None:
        list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))

    def read_xlsx() -> None:
        book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True, data_only=True)
        list(book.worksheets[0].iter_rows(values_only=True))
        book.close()

    def importer(kind: str):
        def run_import() -> None:
            created = tree_import(actor=admin, data=files[kind], filename=f"tree.{kind}")
            if created != len(rows):
                raise RuntimeError(f"{kind} import created {created} of {len(rows)} units")

        return run_import

    def empty_root() -> None:
        """Delete what an import made (one range, children and parents in one statement, so
        PROTECT never fires) and the garbage it left, which would otherwise be collected
        while the next side is timed."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {OrgUnit._meta.db_table} WHERE path > %s AND path < %s",
                [root.path, path_next(root.path)],
            )
            OrgUnit.objects.filter(pk=root.pk).update(child_count=0)
        gc.collect()

    times = interleaved(
        {
            "csv_read": read_csv,
            "csv": importer("csv"),
            "xlsx_read": read_xlsx,
            "xlsx": importer("xlsx"),
        },
        scale.import_reps,
        reset=empty_root,
    )
    median = {side: statistics.median(t) for side, t in times.items()}
    for kind in files:
        note(
            f"{kind}: {len(rows)} units, {len(files[kind]) / 1e6:.1f} MB; median of "
            f"{scale.import_reps}: import {median[kind]:.2f} s, read alone "
            f"{median[kind + '_read'] * 1000:.0f} ms"
        )
        yield figure(
            f"foundation.tree_import_{kind}",
            median[kind],
            "s",
            "ratio_to_read",
            median[kind] / median[f"{kind}_read"],
            5,
        )
    slowest = max(max(times["csv"]), max(times["xlsx"]))
    yield figure("foundation.tree_import_slowest", slowest, "s", "ratio_to_minute", slowest / 60, 1)
