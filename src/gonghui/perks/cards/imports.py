"""Bulk issue of service cards from a workbook (发卡名单: 姓名, 身份证号), all rows or none,
and the workbook's template."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from openpyxl.styles import Font, PatternFill

from gonghui.audit.actions import Action
from gonghui.audit.services import id_ranges, import_record
from gonghui.common import crypto, pii
from gonghui.common.errors import Conflict, Forbidden, ValidationFailed
from gonghui.common.imports import (
    ImportRejected,
    RowError,
    cell_text,
    chunks,
    protected_text,
    read_rows,
    refusing_unreadable,
)
from gonghui.common.sheets import append, book_bytes, form_book
from gonghui.orgs import access
from gonghui.people.models import Membership, Person
from gonghui.people.search import name_key
from gonghui.people.services import id_probes_spend
from gonghui.perks.cards.selectors import LIVE, may_know, membership_where
from gonghui.perks.cards.services import new_card
from gonghui.perks.models import Card

IMPORT_SHEET = "服务卡发卡名单"
IMPORT_COLUMNS = {"name": "姓名", "id_number": "身份证号"}
IMPORT_MAX_ROWS = 20_000
CHUNK = 2000
NOT_FOUND_ROW = "平台中没有此身份证号的人员，或该人员不在您的管理范围内"


@dataclass
class CardImportResult:
    """What an accepted import did: cards issued, and people who already had one."""

    rows: int = 0
    issued: int = 0
    already: int = 0
    cards: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return f"共 {self.rows} 人：新发卡 {self.issued} 张，已有服务卡 {self.already} 人（未重复发卡）"


@dataclass
class _Line:
    row: int
    name: str
    raw_id: object
    id_number: str = ""
    person: Person | None = None
    membership: Membership | None = None


def _read_lines(data: bytes, filename: str) -> list[_Line]:
    lines: list[_Line] = []
    columns: dict[str, int] | None = None
    with refusing_unreadable(filename):
        for number, values in read_rows(data, filename):
            if columns is None:
                heads = [re.sub(r"\s", "", cell_text(v)) for v in values]
                columns = {
                    k: heads.index(label) for k, label in IMPORT_COLUMNS.items() if label in heads
                }
                missing = [label for k, label in IMPORT_COLUMNS.items() if k not in columns]
                if missing:
                    raise ImportRejected(
                        [RowError(1, "表头", "", f"缺少“{m}”列（请使用导入模板）") for m in missing]
                    )
                continue
            cells = {k: values[i] if i < len(values) else None for k, i in columns.items()}
            if not any(cell_text(v) for v in cells.values()):
                continue
            lines.append(_Line(number, cell_text(cells["name"]), cells["id_number"]))
            if len(lines) > IMPORT_MAX_ROWS:
                raise ImportRejected(
                    [RowError(number, "", "", f"一次最多导入 {IMPORT_MAX_ROWS} 人，请分批导入")]
                )
    if columns is None:
        raise ImportRejected([RowError(1, "表头", "", "文件是空的")])
    return lines


def _id_of(line: _Line) -> str | None:
    """The row's resident ID, normalised (full-width digits, spaces), or the reason why not.
    An 18-digit number stored as an Excel number has lost its last digits: never guessed."""
    label = IMPORT_COLUMNS["id_number"]
    text, reason = protected_text(line.raw_id, label)
    if reason:
        return reason
    if not text:
        return f"{label}不能为空"
    try:
        line.id_number = pii.normalize("id_number", text)
    except ValidationFailed as exc:
        return next(iter(exc.fields.values()))
    return None


def _masked(text: str) -> str:
    """A number as a report may show it (the page and the kept report alike)."""
    return pii.mask("id_number", text)


def _check_lines(actor, lines: list[_Line]) -> list[RowError]:
    errors: list[RowError] = []
    name_col, id_col = IMPORT_COLUMNS["name"], IMPORT_COLUMNS["id_number"]
    first_row: dict[str, int] = {}
    for line in lines:
        if not line.name:
            errors.append(RowError(line.row, name_col, "", "姓名不能为空"))
        problem = _id_of(line)
        if problem:
            errors.append(RowError(line.row, id_col, _masked(cell_text(line.raw_id)[:40]), problem))
            continue
        if line.id_number in first_row:
            errors.append(
                RowError(
                    line.row,
                    id_col,
                    _masked(line.id_number),
                    f"与第 {first_row[line.id_number]} 行是同一身份证号（重复）",
                )
            )
            line.id_number = ""
            continue
        first_row[line.id_number] = line.row

    wanted = {
        crypto.blind_index(ln.id_number, context="id_number"): ln for ln in lines if ln.id_number
    }
    people: dict[str, Person] = {}
    for chunk in chunks(sorted(wanted), CHUNK):
        for person in Person.objects.select_related("org_unit").filter(id_number_index__in=chunk):
            people[person.id_number_index] = person
    memberships: dict[int, Membership] = {}
    ids = [p.pk for p in people.values()]
    for chunk in chunks(ids, CHUNK):
        for m in Membership.objects.select_related("org_unit").filter(
            person_id__in=chunk, status=Membership.Status.ACTIVE
        ):
            memberships[m.person_id] = m
    for index, line in wanted.items():
        person = people.get(index)
        membership = memberships.get(person.pk) if person else None
        if person is None or not may_know(actor, person, membership):
            errors.append(RowError(line.row, id_col, _masked(line.id_number), NOT_FOUND_ROW))
            continue
        line.person = person  # found: whatever the row says next tells that much
        if line.name and name_key(line.name) != name_key(person.name):
            errors.append(
                RowError(line.row, name_col, line.name, "姓名与该身份证号在平台登记的姓名不一致")
            )
            continue
        if membership is None:
            errors.append(
                RowError(line.row, id_col, _masked(line.id_number), "该人员没有在会会籍，不能办卡")
            )
            continue
        if not access.can_at(actor, "perks.cards", membership.org_unit):
            errors.append(
                RowError(
                    line.row,
                    id_col,
                    _masked(line.id_number),
                    f"该人员的会籍{membership_where(actor, membership)}，不在您的办卡范围内",
                )
            )
            continue
        line.person, line.membership = person, membership
    return errors


def _probes(actor, lines: list[_Line]) -> int:
    """The rows that asked whether a number is on record, less those about a person whose
    number the actor may see in full there (``people.view_pii`` at their union: the scope
    of the rows, not anywhere): a row not found counts, it told that much."""
    return sum(
        1
        for line in lines
        if line.id_number
        and not (
            line.person is not None
            and access.can_at(actor, "people.view_pii", line.person.org_unit)
        )
    )


def cards_import(*, actor, data: bytes, filename: str) -> CardImportResult:
    """Issue cards to the members a workbook (or CSV) names by 姓名 and 身份证号; all rows or
    none. Every row is checked before anything is written; a file with any bad row raises
    ``ImportRejected`` listing each (unknown or out-of-scope ID, name mismatch, no active
    membership, union outside the actor's card scope, the same ID twice in the file).

    A member who already holds a live card is left alone, so importing the same file again
    issues nothing twice. The import is one audit event with the file's hash, the counts and
    the cards issued."""
    if not access.can(actor, "perks.cards"):
        raise Forbidden("没有办理服务卡的权限")
    lines = _read_lines(data, filename)
    if not lines:
        raise ImportRejected([RowError(2, "", "", "文件中没有要发卡的人员")])
    errors = _check_lines(actor, lines)
    home = access.home_grant(actor, "perks.cards")
    probes = _probes(actor, lines)
    if probes:
        # Each row answers whether its number is on record: for a post that may not see
        # that number in full, the row counts against its budget of ID checks, and over it
        # the file is refused before any row's answer is given (docs/privacy.md).
        id_probes_spend(
            actor=actor,
            n=probes,
            bulk=True,
            post_id=home.post_id if home else None,
            org_unit_id=home.unit_id if home else None,
            what="批量发卡名单",
        )
    if errors:
        raise ImportRejected(sorted(set(errors), key=lambda e: (e.row, e.column, e.reason)))
    result = CardImportResult(rows=len(lines))
    with transaction.atomic():
        holders = set()
        for chunk in chunks([ln.person.pk for ln in lines], CHUNK):
            holders.update(
                Card.objects.filter(person_id__in=chunk, status__in=LIVE).values_list(
                    "person_id", flat=True
                )
            )
        for line in lines:
            if line.person.pk in holders:
                result.already += 1
                continue
            try:
                card = new_card(line.person, line.membership.org_unit)
            except Conflict:  # issued by someone else since the check
                result.already += 1
                continue
            result.issued += 1
            result.cards.append(card.pk)
        import_record(
            actor=actor,
            action=Action.PERKS_CARDS_IMPORT,
            object_type="perks.card",
            data=data,
            filename=filename,
            post_id=home.post_id if home else None,
            rows=result.rows,
            issued=result.issued,
            already=result.already,
            cards=id_ranges(result.cards),
        )
    return result


def cards_template() -> bytes:
    """The import template: 姓名 and 身份证号, both text columns (an 18-digit ID typed into a
    number cell loses its last digits), and a sheet of instructions."""
    book = form_book()
    ws = book.active
    ws.title = IMPORT_SHEET
    append(ws, IMPORT_COLUMNS.values())
    for index, width in ((1, 14), (2, 24)):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = width
        for row in range(2, 2001):  # text cells where people will type
            ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    for line in (
        ["列", "说明"],
        ["姓名", "必填，与平台登记的姓名一致"],
        ["身份证号", "必填，文本格式；全角数字、空格会自动处理；15位旧号自动转为18位"],
        ["", "已有服务卡（正常或暂停）的人员不会重复发卡；任何一行有误，整个文件都不导入"],
    ):
        append(notes, line)
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 12, 80
    return book_bytes(book)
