"""Bulk import of the union tree from Excel (.xlsx) or CSV, run as a background job: all
rows or none.

Columns (header row, Chinese as offices write them): 组织编码, 组织名称, 级别, 上级编码.
Every row is checked before anything is written; a file with any bad row is rejected with
each problem's row, column, value and reason. Parents may be earlier in the file, later in
the file, or already in the platform (then within the importer's scope).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import id_ranges, import_record
from gonghui.common.bulk import insert_rows
from gonghui.common.errors import ValidationFailed
from gonghui.common.imports import (
    ImportRejected,
    RowError,
    cell_text,
    read_rows,
    refusing_unreadable,
)
from gonghui.jobs.services import import_start
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit, add_descendants, segment
from gonghui.orgs.services import ALLOWED_CHILDREN, check_code_name, check_placement

COLUMNS = {"code": "组织编码", "name": "组织名称", "level": "级别", "parent": "上级编码"}
LEVEL_BY_LABEL = {label: value for value, label in OrgUnit.Level.choices} | {
    value: value for value in OrgUnit.Level.values
}
BATCH = 3000  # rows per INSERT: 27,000 parameters, under SQLite's default 32,766


def _header_map(header: tuple) -> dict[str, int]:
    names = [cell_text(h) for h in header]
    missing = [label for label in COLUMNS.values() if label not in names]
    if missing:
        raise ImportRejected([RowError(1, m, "", "表头缺少此列") for m in missing])
    return {key: names.index(label) for key, label in COLUMNS.items()}


@dataclass
class _Row:
    number: int
    code: str
    name: str
    level: str
    parent: str


def _parse(data: bytes, filename: str, errors: list[RowError]) -> list[_Row]:
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    columns = None
    # Read whole first: a damaged or mis-encoded file is refused in one line; a fault in
    # the checks below stays a fault, not "unreadable".
    with refusing_unreadable(filename):
        lines = list(read_rows(data, filename))
    for number, values in lines:
        if columns is None:
            columns = _header_map(values)
            continue
        cells = {k: cell_text(values[i]) if i < len(values) else "" for k, i in columns.items()}
        if not any(cells.values()):
            continue  # blank line
        try:
            code, name = check_code_name(cells["code"], cells["name"])
        except ValidationFailed as exc:
            for field, reason in exc.fields.items():
                errors.append(RowError(number, COLUMNS[field], cells[field], reason))
            continue
        level = LEVEL_BY_LABEL.get(cells["level"])
        if level is None:
            errors.append(
                RowError(
                    number,
                    COLUMNS["level"],
                    cells["level"],
                    "级别应为：" + "、".join(OrgUnit.Level.labels),
                )
            )
            continue
        if code in seen:
            errors.append(
                RowError(number, COLUMNS["code"], code, f"与第 {seen[code]} 行的组织编码重复")
            )
            continue
        seen[code] = number
        rows.append(_Row(number, code, name, level, cells["parent"]))
    if columns is None:
        errors.append(RowError(1, "表头", "", "文件是空的"))
    return rows


def tree_import(
    *, actor, data: bytes, filename: str, progress: Callable[[int, int], None] | None = None
) -> int:
    """Import the file; returns the number of nodes created or raises ``ImportRejected``."""
    errors: list[RowError] = []
    rows = _parse(data, filename, errors)
    by_code = {r.code: r for r in rows}
    existing = _existing(sorted(set(by_code) | {r.parent for r in rows}))
    allowed = set(
        access.visible_units(actor, "orgs.import")
        .filter(code__in=[r.parent for r in rows if r.parent in existing])
        .values_list("code", flat=True)
    )
    for r in rows:
        if r.code in existing:
            errors.append(RowError(r.number, COLUMNS["code"], r.code, "该组织编码已存在"))
        if not r.parent:
            errors.append(RowError(r.number, COLUMNS["parent"], "", "上级编码不能为空"))
        elif r.parent in by_code:
            parent_level = by_code[r.parent].level
            if r.level not in ALLOWED_CHILDREN[parent_level]:
                _placement_error(errors, r, parent_level)
        elif r.parent in existing and r.parent in allowed:
            if r.level not in ALLOWED_CHILDREN[existing[r.parent][2]]:
                _placement_error(errors, r, existing[r.parent][2])
        else:
            errors.append(
                RowError(
                    r.number, COLUMNS["parent"], r.parent, "上级组织不存在或不在您的管理范围内"
                )
            )
    order = _depth_order(rows, by_code, errors)
    if not rows and not errors:
        errors.append(RowError(2, "", "", "文件中没有要导入的组织"))
    if errors:
        raise ImportRejected(sorted(set(errors), key=lambda e: (e.row, e.column, e.value)))
    with transaction.atomic():
        created = _write(rows, order, existing, progress)
        # Recorded at the deepest unit the new ones all hang under, for its auditors to see.
        root = OrgUnit.objects.get(
            path=_common_path(existing[r.parent][1] for r in rows if r.parent not in by_code)
        )
        grant = access.grant_at(actor, "orgs.import", root)
        import_record(
            actor=actor,
            action=Action.ORGS_IMPORT,
            object_type="orgs.orgunit",
            data=data,
            filename=filename,
            org_unit_id=root.pk,
            post_id=grant.post_id if grant else None,
            created=len(created),
            units=id_ranges(created),
        )
    return len(created)


def _common_path(paths) -> str:
    """The path of the deepest unit at or above each of ``paths``."""
    common = os.path.commonprefix(list(paths))
    return common[: len(common) - len(common) % SEGMENT]


def _existing(codes: list[str]) -> dict[str, tuple]:
    """code -> (id, path, level, depth) of the units that already exist among ``codes``.
    PostgreSQL takes the codes as one array; SQLite in bounded IN lists."""
    fields = ("code", "pk", "path", "level", "depth")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT code, id, path, level, depth FROM {OrgUnit._meta.db_table} "  # noqa: S608
                "WHERE code = ANY(%s)",
                [codes],
            )
            rows = cursor.fetchall()
    else:
        rows = [
            row
            for start in range(0, len(codes), BATCH)
            for row in OrgUnit.objects.filter(code__in=codes[start : start + BATCH]).values_list(
                *fields
            )
        ]
    return {code: rest for code, *rest in rows}


def _placement_error(errors, row: _Row, parent_level: str) -> None:
    try:
        check_placement(row.level, parent_level)
    except ValidationFailed as exc:
        errors.append(RowError(row.number, COLUMNS["level"], row.level, exc.fields["parent"]))


def _depth_order(
    rows: list[_Row], by_code: dict[str, _Row], errors: list[RowError]
) -> list[list[_Row]]:
    """Rows grouped by depth below the existing tree (parents before children); a cycle
    within the file is an error on each row in it."""
    depth: dict[str, int] = {}
    for r in rows:
        chain, code = [], r.code
        while code in by_code and code not in depth:
            if code in chain:
                for c in chain[chain.index(code) :]:
                    errors.append(
                        RowError(
                            by_code[c].number,
                            COLUMNS["parent"],
                            by_code[c].parent,
                            "上下级关系形成循环",
                        )
                    )
                break
            chain.append(code)
            code = by_code[code].parent
        base = depth.get(code, 0)
        for offset, c in enumerate(reversed(chain)):
            depth.setdefault(c, base + offset + 1)
    levels: dict[int, list[_Row]] = defaultdict(list)
    for r in rows:
        levels[depth.get(r.code, 0)].append(r)
    return [levels[d] for d in sorted(levels) if d > 0]


def _write(rows, order, existing, progress) -> list[int]:
    """Insert layer by layer (parents first), each batch as rows of values (``common.bulk``):
    the ORM's bulk_create spent three quarters of an import preparing values
    (bench/foundation.py). Returns the new units' ids."""
    placed: dict[str, tuple[int, str, int]] = {
        code: (pk, path, depth) for code, (pk, path, _level, depth) in existing.items()
    }
    children = defaultdict(int)
    for r in rows:
        children[r.parent] += 1
    below = _below(order)
    next_child: dict[str, int] = {}
    # Reserve child numbers under existing parents with one conditional update each.
    for code in children:
        if code in existing:
            pk = existing[code][0]
            parent = OrgUnit.objects.select_for_update().get(pk=pk)
            next_child[code] = parent.child_count + 1
            OrgUnit.objects.filter(pk=pk).update(child_count=parent.child_count + children[code])
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    created: list[int] = []
    for layer in order:
        for start in range(0, len(layer), BATCH):
            batch, paths = [], {}
            for r in layer[start : start + BATCH]:
                parent_pk, parent_path, parent_depth = placed[r.parent]
                n = next_child.get(r.parent, 1)
                next_child[r.parent] = n + 1
                paths[r.code] = (parent_path + segment(n), parent_depth + 1)
                batch.append(
                    (
                        r.code,
                        r.name,
                        r.level,
                        parent_pk,
                        *paths[r.code],
                        children.get(r.code, 0),
                        below[r.code],
                        True,
                        now,
                    )
                )
            ids = insert_rows(OrgUnit._meta.db_table, _FIELDS, batch, returning=True)
            for row, pk in zip(batch, ids, strict=True):
                placed[row[0]] = (pk, *paths[row[0]])
            created += ids
            if progress:
                progress(len(created), len(rows))
    # The existing units the new branches hang under count them, with their ancestors.
    added: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.parent in existing:
            added[r.parent] += below[r.code] + 1
    for code, n in added.items():
        add_descendants(existing[code][1], n)
    return created


def _below(order: list[list[_Row]]) -> dict[str, int]:
    """How many of the file's units lie below each of them (the deepest layer first)."""
    below: dict[str, int] = defaultdict(int)
    for layer in reversed(order):
        for r in layer:
            below[r.parent] += below[r.code] + 1
    return below


_FIELDS = (
    "code",
    "name",
    "level",
    "parent_id",
    "path",
    "depth",
    "child_count",
    "descendants",
    "is_active",
    "created_at",
)


def tree_import_start(*, actor, data: bytes, filename: str):
    """Queue a tree import as a background job; the job belongs to the importer's post."""
    from gonghui.treeimport.tasks import tree_import_task  # the task runs tree_import

    return import_start(
        actor=actor,
        perm="orgs.import",
        kind="orgs.import",
        title=f"导入组织树：{filename}",
        data=data,
        filename=filename,
        suffixes=(".xlsx", ".csv"),
        task=tree_import_task,
    )
