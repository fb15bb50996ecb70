"""The registry's import: people and their awards from one sheet (``columns``), one row per
award (a person with several honours has several rows; a row with no honour registers the
person only). All or nothing, like the tree import (``treeimport.services``): every row is
checked — through ``people.services.clean_person``, the catalogue's award rules and
``orgs.access`` — before anything is written, and a file with any bad cell is refused with
each problem's row, column, value and reason.

Re-importing creates nothing twice: a row is the record named by its 记录ID (exports carry
it), else the person with the same resident ID (blind index), else the one person in scope
with the same name, birth date and employer; an award is the holder's award of the same
honour in the same year. On a known record, a filled cell replaces the stored value, an empty
or masked cell (``11**************2X``) keeps it: an import never erases by omission.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from openpyxl.utils.datetime import from_excel

from gonghui.audit.actions import Action
from gonghui.audit.services import id_ranges, import_record
from gonghui.common import bulk, crypto, pii
from gonghui.common.errors import DomainError, Forbidden, Throttled, ValidationFailed
from gonghui.common.imports import (
    ImportRejected,
    RowError,
    cell_text,
    chunks,
    protected_text,
    read_rows,
    refusing_unreadable,
)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.selectors import units_by_reference
from gonghui.people import search
from gonghui.people.models import Person, Trade, Unit
from gonghui.people.services import (
    TRANSFER_MESSAGE,
    clean_person,
    id_probes_spend,
    person_update,
    transfer_request_for,
)
from gonghui.registry.excel.columns import (
    AWARD_KEYS,
    COLUMNS,
    GENDERS,
    NO,
    PERSON_KEYS,
    REQUIRED,
    YES,
)
from gonghui.registry.models import Award, Category, Honour
from gonghui.registry.services import award_rule_errors, award_update, clean_credit_code

MASK = "*"
# A credit code registered at a union outside the importer's scope. Refused, not linked
# (the person's record would name and list under a unit its staff cannot see) and not
# created again (one credit code, one unit): the code is checked, or the unit is moved to
# the right union by staff who hold both (registry.services.unit_move).
ELSEWHERE = (
    "该统一社会信用代码的单位已由您管理范围以外的工会登记，不能关联：请核对代码；"
    "如单位确属本工会，请联系上级工会将其调整到本工会后再导入"
)
CHUNK = 2000  # values per IN (...) list: far under SQLite's 32,766 variables
INDEX_CHUNK = 25_000  # people whose search keys are written together, sorted (~100 MB)


# --- Reading cells defensively --------------------------------------------------------------


def _text(value) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return cell_text(value)


def _id_form(text: str) -> str:
    """A resident ID in the form its blind index is taken of, to tell who a row is; the
    full check (check digit, birth date, region) is ``clean_person``'s, once per person."""
    folded = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if re.fullmatch(r"\d{15}", folded):
        try:
            return pii.normalize("id_number", folded)  # the old 15-digit form, converted
        except ValidationFailed:
            pass
    return folded


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 10_000_000 <= value <= 99_999_999 and float(value).is_integer():
            value = str(int(value))  # 19800101 typed as a number
        elif 1 <= value < 100_000:
            return from_excel(value).date()  # an Excel date serial without a date format
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE.fullmatch(text)
    parts = match.groups() if match else None
    if parts is None and re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    if parts is None:
        raise ValueError("出生日期应写作 1980-01-01")
    try:
        return date(*map(int, parts))
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None


def _parse_year(value) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        year = int(value)
    else:
        text = unicodedata.normalize("NFKC", _text(value)).removesuffix("年").strip()
        if not re.fullmatch(r"\d{4}", text):
            raise ValueError("年份应为四位数字，如 2015")
        year = int(text)
    if not 1000 <= year <= 9999:
        raise ValueError("年份应为四位数字，如 2015")
    return year


def _split_names(text: str) -> list[str]:
    return [part for part in re.split(r"[、,，;；/\s]+", text) if part]


# --- The import -----------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an accepted import did."""

    rows: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    awards_created: int = 0
    awards_updated: int = 0
    awards_unchanged: int = 0
    units_created: int = 0

    def summary(self) -> str:
        return (
            f"共 {self.rows} 行：新增人员 {self.people_created}，更新 {self.people_updated}，"
            f"未变 {self.people_unchanged}；新增授予记录 {self.awards_created}，"
            f"更新 {self.awards_updated}，未变 {self.awards_unchanged}；"
            f"新增单位 {self.units_created}"
        )


@dataclass
class _Row:
    number: int
    raw: dict  # key -> the cell's value as openpyxl read it
    text: dict  # key -> the cell as trimmed text
    bad: bool = False
    # What the row's resident ID told (see _Importer.spend_probes): "hit" a record in scope,
    # "miss" (a new person), "away" (a record outside scope); and the union it concerns.
    probe: str = ""
    probe_node: OrgUnit | None = None


@dataclass
class _Group:
    """One person of the file: the rows that name them, and what to do with the record."""

    rows: list[_Row]
    person: Person | None = None  # the existing record, if any
    cells: dict = field(default_factory=dict)  # key -> (text, row) of the first filled cell
    node: OrgUnit | None = None
    new: Person | None = None  # to insert
    changes: dict | None = None  # to update through the service
    move_to: OrgUnit | None = None


@dataclass
class _AwardRow:
    row: _Row
    group: _Group
    honour: Honour
    year: int
    batch: str | None
    categories: list[Category] | None
    deeds: str | None
    existing: Award | None = None


def _header(values: tuple) -> dict[str, int]:
    names = [_text(v) for v in values]
    known = {label: key for key, label in COLUMNS.items()}
    columns = {known[name]: i for i, name in enumerate(names) if name in known}
    missing = [COLUMNS[k] for k in REQUIRED if k not in columns]
    if missing:
        raise ImportRejected([RowError(1, m, "", "表头缺少此列") for m in missing])
    return columns


def _read(data: bytes, filename: str) -> list[_Row]:
    rows: list[_Row] = []
    columns = None
    with refusing_unreadable(filename):
        for number, values in read_rows(data, filename):
            if columns is None:
                columns = _header(values)
                continue
            raw = {k: values[i] if i < len(values) else None for k, i in columns.items()}
            text = {k: _text(v) for k, v in raw.items()}
            if any(text.values()):
                rows.append(_Row(number, raw, text))
    if columns is None:
        raise ImportRejected([RowError(1, "表头", "", "文件是空的")])
    return rows


FIELD_COLUMNS = {k: COLUMNS[k] for k in PERSON_KEYS} | {"holder": COLUMNS["honour"]}


class _Importer:
    """Checks a whole file, then writes it; see ``registry_import``."""

    def __init__(self, actor, rows: list[_Row]):
        self.actor = actor
        self.rows = rows
        self.errors: list[RowError] = []
        self.groups: list[_Group] = []
        self.awards: list[_AwardRow] = []
        self.orphans: list[_Row] = []  # rows whose person could not be told
        self.known: dict[int, Person] = {}  # existing records the file names
        self.new_employers: dict[tuple, Unit] = {}
        self.away: list[tuple[_Row, Person, OrgUnit]] = []  # to ask to transfer in
        self.today = date.today()

    def error(self, row: _Row, key: str, reason: str, value: str | None = None) -> None:
        row.bad = True
        label = FIELD_COLUMNS.get(key) or COLUMNS.get(key, key)
        shown = str(row.text.get(key, "") if value is None else value)
        if key in pii.KINDS:  # the report is kept and shown to others: masked as everywhere
            shown = pii.mask(key, shown)
        self.errors.append(RowError(row.number, label, shown[:200], reason))

    # -- look-ups, each one query per chunk of the file's values --

    def _load(self) -> None:
        texts = {k: {r.text[k] for r in self.rows if r.text.get(k)} for k in COLUMNS}
        self.nodes = units_by_reference(texts["org_unit"])  # by code, or by full path
        self.honours = {h.name: h for h in Honour.objects.select_related("conferring_unit")}
        self.trades = {t.name: t for t in Trade.objects.all()} | {
            t.code: t for t in Trade.objects.all()
        }
        self.categories = {c.name: c for c in Category.objects.all()}
        self.employers_by_code = {
            u.credit_code: u
            for chunk in chunks(sorted({c.upper() for c in texts["credit_code"]}), CHUNK)
            for u in Unit.objects.filter(credit_code__in=chunk).select_related("org_unit")
        }
        self.employers_by_name: dict[str, list[Unit]] = {}
        visible = access.restrict(Unit.objects.all(), self.actor, "registry.view")
        for chunk in chunks(sorted(texts["employer"]), CHUNK):
            for u in visible.filter(name__in=chunk).order_by("pk"):
                self.employers_by_name.setdefault(u.name, []).append(u)

    def _people(self, **lookup) -> Iterator[Person]:
        return Person.objects.with_related().filter(**lookup)

    # -- the checks --

    def check(self, progress: Callable[[int], None]) -> None:
        self._load()
        self._identify()
        progress(len(self.rows) // 3)
        for group in self.groups:
            self._check_person(group)
        progress(2 * len(self.rows) // 3)
        self._check_awards()
        self.spend_probes()
        progress(len(self.rows))

    def _identify(self) -> None:
        """Which person each row is: the record its 记录ID names, the record with its
        resident ID, the one record with its name, birth date and employer, or a new one."""
        parsed = []
        for row in self.rows:
            record_id, index = None, None
            if row.text.get("record_id"):
                text = unicodedata.normalize("NFKC", row.text["record_id"])
                if text.isdigit():
                    record_id = int(text)
                else:
                    self.error(row, "record_id", "记录ID应为数字（导出文件自带，请勿修改）")
            for key in ("id_number", "phone"):
                if key not in row.raw:
                    continue
                text, problem = protected_text(row.raw[key], COLUMNS[key])
                row.text[key] = text
                if problem:
                    self.error(row, key, problem)
                    row.text[key] = ""
                elif MASK in text and record_id is None:
                    self.error(row, key, f"{COLUMNS[key]}已遮盖（含 *），不能用于新登记的人员")
                    row.text[key] = ""
            idn = row.text.get("id_number", "")
            if idn and MASK not in idn:
                row.text["id_number"] = idn = _id_form(idn)
                index = crypto.blind_index(idn, context="id_number")
            parsed.append((row, record_id, index))

        by_pk = self._resolve_merged(
            {
                p.pk: p
                for chunk in chunks(sorted({r for _, r, _ in parsed if r}), CHUNK)
                for p in self._people(pk__in=chunk)
            }
        )
        by_index = {
            p.id_number_index: p
            for chunk in chunks(sorted({i for _, _, i in parsed if i}), CHUNK)
            for p in self._people(id_number_index__in=chunk)
        }
        by_index = self._resolve_merged(by_index)
        nameless = [row for row, r, i in parsed if not r and not i and not row.bad]
        by_name: dict[str, list[Person]] = {}
        for chunk in chunks(
            sorted({r.text["name"] for r in nameless if r.text.get("name")}), CHUNK
        ):
            for p in self._people(name__in=chunk, merged_into__isnull=True):
                by_name.setdefault(p.name, []).append(p)

        for person in [*by_pk.values(), *by_index.values()]:
            self.known[person.pk] = person
        for same in by_name.values():
            self.known.update((p.pk, p) for p in same)
        groups: dict[tuple, _Group] = {}
        claimed: dict[str, tuple[tuple, int]] = {}  # resident ID -> (person, first row)
        for row, record_id, index in parsed:
            key = None if row.bad else self._key(row, record_id, index, by_pk, by_index, by_name)
            if key is None:
                self.orphans.append(row)
                continue
            if index:
                first = claimed.setdefault(index, (key, row.number))
                if first[0] != key:
                    self.error(row, "id_number", f"与第 {first[1]} 行另一人的身份证号相同")
                    self.orphans.append(row)
                    continue
            group = groups.get(key)
            if group is None:
                person = self.known[key[1]] if key[0] == "db" else None
                group = groups[key] = _Group(rows=[], person=person)
            group.rows.append(row)
        self.groups = list(groups.values())

    def _key(self, row: _Row, record_id, index, by_pk, by_index, by_name) -> tuple | None:
        if record_id is not None:
            person = by_pk.get(record_id)
            if person is None or not self._may_change(person.org_unit):
                self.error(row, "record_id", "档案不存在或不在您的管理范围内")
                return None
            other = by_index.get(index) if index else None
            if other is not None and other.pk != person.pk:
                self._collide(row, other)
                return None
            if index and index != person.id_number_index:
                # A new number for the record: whether it is on another record is what the
                # row's answer tells, so it is a probe like a new person's.
                row.probe, row.probe_node = "miss", person.org_unit
            return ("db", person.pk)
        if index:
            person = by_index.get(index)
            row.probe = "miss" if person is None else "hit"
            if person is None:
                row.probe_node = self.nodes.get(row.text.get("org_unit", ""))
                return ("new", index)
            row.probe_node = person.org_unit
            if not self._may_change(person.org_unit):
                self._collide(row, person)
                return None
            return ("db", person.pk)
        return self._match_by_name(row, by_name)

    def _collide(self, row: _Row, holder: Person) -> None:
        """The row's resident ID is on another record: named if the actor may see it, else
        a transfer request into the row's union (submitted by ``spend_probes``), and never
        where the record is."""
        row.probe, row.probe_node = "hit", holder.org_unit
        if access.can_at(self.actor, "people.view", holder.org_unit):
            # Which record only to a post that may see its number: to others the record ID
            # would confirm one candidate of a mask against one record (docs/privacy.md).
            which = (
                f"，记录ID {holder.pk}"
                if access.can_at(self.actor, "people.view_pii", holder.org_unit)
                else ""
            )
            self.error(row, "id_number", f"该身份证号已登记在另一份档案中（一人一档{which}）")
            return
        row.probe = "away"
        node = self.nodes.get(row.text.get("org_unit", ""))
        if node is None or not self._may_change(node):
            self.error(
                row, "id_number", "该人员已有档案：请填写您管理范围内的所属工会编码，以便申请转入"
            )
            return
        self.away.append((row, holder, node))
        self.error(row, "id_number", TRANSFER_MESSAGE)

    def spend_probes(self) -> None:
        """What the file's resident IDs told, against the actor's budget of ID checks
        (docs/privacy.md): every row whose number is not the one already on the record it
        names (a new person's, a row without 记录ID matched by number, a 记录ID row giving
        its record a new number) told whether that number is on record — by its error, or
        by a record written — in a refused file and an accepted one alike, as
        ``person_create`` and ``person_update`` count each such number. Rows where the actor
        may see full numbers count only when the number is on a record outside scope. Over
        budget, the file is refused with that reason alone; else the transfer requests go up."""

        def counts(row: _Row) -> bool:
            if row.probe == "away":
                return True
            if row.probe not in ("hit", "miss"):
                return False
            node = row.probe_node
            return node is None or not access.can_at(self.actor, "people.view_pii", node)

        spent = sum(1 for row in self.rows if counts(row))
        if spent:
            home = access.home_grant(self.actor, "people.change")
            try:
                id_probes_spend(
                    actor=self.actor,
                    n=spent,
                    bulk=True,
                    post_id=home.post_id if home else None,
                    org_unit_id=home.unit_id if home else None,
                    what="导入档案",
                )
            except Throttled as exc:
                self.errors = [RowError(1, COLUMNS["id_number"], "", exc.message)]
                return
        for row, holder, node in self.away:
            transfer_request_for(
                actor=self.actor,
                person=holder,
                to_unit=node,
                name=row.text.get("name", "") or "（未填写）",
                reason=f"导入档案第 {row.number} 行",
            )

    def _resolve_merged(self, found: dict) -> dict:
        """A merged record stands for its survivor (the loser is kept as a redirect)."""
        targets = {p.merged_into_id for p in found.values() if p.merged_into_id}
        survivors = {p.pk: p for p in self._people(pk__in=targets)} if targets else {}
        return {k: survivors.get(p.merged_into_id, p) for k, p in found.items()}

    def _match_by_name(self, row: _Row, by_name: dict) -> tuple | None:
        """A row without 记录ID or resident ID (a historical record): the one record in
        scope with the same name, birth date and employer, or a new person."""
        name = row.text.get("name", "")
        birth = None
        if row.text.get("birth_date"):
            try:
                birth = _parse_date(row.raw["birth_date"])
            except ValueError:  # reported with the person's other cells
                return ("name", name, row.text["birth_date"], row.text.get("employer", ""))
        employer = row.text.get("employer", "")
        same = [
            p
            for p in by_name.get(name, [])
            if p.birth_date == birth
            and (p.employer.name if p.employer_id else "") == employer
            and self._may_change(p.org_unit)
        ]
        if len(same) > 1:
            self.error(row, "name", "有多份同名、同出生日期、同单位的档案，请填写记录ID")
            return None
        if same:
            return ("db", same[0].pk)
        return ("name", name, birth, employer, row.text.get("credit_code", "").upper())

    def _may_change(self, node: OrgUnit) -> bool:
        return access.can_at(self.actor, "people.change", node)

    def _check_person(self, group: _Group) -> None:
        """Merge the group's rows (a later row may leave person cells empty, but may not
        contradict an earlier one), then validate once through ``clean_person``."""
        for row in group.rows:
            for key in PERSON_KEYS:
                text = row.text.get(key, "")
                if not text or key == "record_id":
                    continue
                if key not in group.cells:
                    group.cells[key] = (text, row)
                elif group.cells[key][0] != text:
                    first = group.cells[key][1].number
                    self.error(row, key, f"与第 {first} 行（同一人）的{COLUMNS[key]}不一致")
        if any(r.bad for r in group.rows):
            return
        first = group.rows[0]

        def cell(key):
            return group.cells.get(key, ("", first))

        data, errors = {}, 0
        for key in ("name", "no_id_reason", "post_title", "rank", "skill_level", "status"):
            if cell(key)[0]:
                data[key] = cell(key)[0]
        text, row = cell("gender")
        if text:
            data["gender"] = GENDERS.get(text, text)
        text, row = cell("birth_date")
        if text:
            try:
                data["birth_date"] = _parse_date(row.raw["birth_date"])
            except ValueError as exc:
                self.error(row, "birth_date", str(exc))
                errors += 1
        for key in ("id_number", "phone"):
            text, row = cell(key)
            if text and MASK not in text:  # a masked cell keeps the stored value
                data[key] = text
        text, row = cell("is_front_line")
        if text:
            if text not in (YES, NO):
                self.error(row, "is_front_line", "一线职工应填 是 或 否")
                errors += 1
            data["is_front_line"] = text == YES
        text, row = cell("trade")
        if text:
            if text in self.trades:
                data["trade"] = self.trades[text]
            else:
                self.error(row, "trade", f"工种目录中没有“{text}”")
                errors += 1
        text, row = cell("org_unit")
        if text:
            node = self.nodes.get(text)
            if node is None or not self._may_change(node):
                self.error(row, "org_unit", "组织编码不存在或不在您的管理范围内")
                errors += 1
            elif group.person is not None and node.pk != group.person.org_unit_id:
                group.move_to = node
            group.node = node
        elif group.person is None:
            self.error(first, "org_unit", "所属工会编码不能为空")
            errors += 1
        if group.person is not None and group.node is None:
            group.node = group.person.org_unit
        employer = self._employer(group) if group.node is not None else None
        if employer is False:
            errors += 1
        elif employer is not None:
            data["employer"] = employer
        # Cleaned even after an error above, so that every bad cell of the file is named.
        self._clean(group, data, failed=errors > 0)

    def _clean(self, group: _Group, data: dict, *, failed: bool = False) -> None:
        person = group.person
        before = _snapshot(person) if person is not None else {}
        try:
            cleaned = clean_person({**before, **data}, stored=before)
        except ValidationFailed as exc:
            for key, reason in exc.fields.items():
                row = group.cells.get(key, ("", group.rows[0]))[1]
                self.error(row, key, reason)
            return
        if failed:
            return
        if person is None:
            group.new = Person(org_unit=group.node, **cleaned)
            return
        changed = {k: v for k, v in cleaned.items() if k in data and v != before.get(k)}
        if changed or group.move_to is not None:
            group.changes = changed

    def _employer(self, group: _Group) -> Unit | None | bool:
        """The employer the cells name: by credit code, else by name among the units in
        scope (preferring the person's current employer); a unit not yet registered is
        created under the person's node. ``False`` when the cells cannot be resolved."""
        name, name_row = group.cells.get("employer", ("", group.rows[0]))
        code, code_row = group.cells.get("credit_code", ("", group.rows[0]))
        if not name and not code:
            return None
        if code:
            try:
                code = clean_credit_code(code)
            except ValidationFailed as exc:
                self.error(code_row, "credit_code", exc.fields["credit_code"])
                return False
            found = self.employers_by_code.get(code) or self.new_employers.get(("code", code))
            if found is not None and not self._may_link(group, found):
                self.error(code_row, "credit_code", ELSEWHERE)
                return False
            if found is not None:
                return found
            if not name:
                self.error(code_row, "employer", "该统一社会信用代码未登记，请同时填写单位名称")
                return False
            return self._new_employer(group, name_row, ("code", code), name, code)
        current = group.person.employer if group.person is not None else None
        if current is not None and current.name == name:
            return current
        same = self.employers_by_name.get(name, [])
        if len(same) > 1:
            near = [u for u in same if u.org_unit_id == group.node.pk]
            if len(near) != 1:
                self.error(name_row, "employer", "有多个同名单位，请同时填写统一社会信用代码")
                return False
            return near[0]
        if same:
            return same[0]
        return self.new_employers.get(("name", name)) or self._new_employer(
            group, name_row, ("name", name), name, ""
        )

    def _may_link(self, group: _Group, employer: Unit) -> bool:
        """A unit found by its credit code becomes the employer only if the importer may
        see it (or it already is the person's employer): another district's unit is never
        linked silently, nor named."""
        if employer.pk is None or (
            group.person is not None and group.person.employer_id == employer.pk
        ):
            return True
        return access.can_at(self.actor, "registry.view", employer.org_unit)

    def _new_employer(self, group: _Group, row: _Row, key: tuple, name: str, code: str):
        if len(name) > 120:
            self.error(row, "employer", "单位名称最长120字")
            return False
        if not access.can_at(self.actor, "registry.change", group.node):
            self.error(row, "employer", "该单位尚未登记，您无权新增单位，请先登记该单位")
            return False
        employer = Unit(name=name, credit_code=code, kind=Unit.Kind.ENTERPRISE, org_unit=group.node)
        self.new_employers[key] = employer
        return employer

    def _check_awards(self) -> None:
        existing: dict[tuple, Award] = {}
        held: dict[object, set[tuple[int, int]]] = {}  # holder -> {(honour, year)}, active
        known = [g.person.pk for g in self.groups if g.person is not None]
        for chunk in chunks(known, CHUNK):
            for award in Award.objects.filter(person__in=chunk).prefetch_related("categories"):
                existing[(award.person_id, award.honour_id, award.year)] = award
                if award.status == Award.Status.ACTIVE:
                    held.setdefault(award.person_id, set()).add((award.honour_id, award.year))
        seen: dict[tuple, int] = {}
        for group in self.groups:
            holder = _holder(group)
            for row in group.rows:
                award = self._award_row(row, group)
                if award is None:
                    continue
                key = (holder, award.honour.pk, award.year)
                if key in seen:
                    self.error(
                        row,
                        "year",
                        f"与第 {seen[key]} 行重复：同一人同一年份的“{award.honour.name}”",
                    )
                    continue
                seen[key] = row.number
                if group.person is not None:
                    award.existing = existing.get((group.person.pk, award.honour.pk, award.year))
                if award.existing is not None and award.existing.status != Award.Status.ACTIVE:
                    self.error(
                        row,
                        "year",
                        f"此人 {award.year} 年的“{award.honour.name}”已撤销"
                        f"（{award.existing.revoked_reason}），不能通过导入重复授予",
                    )
                    continue
                if (award.existing is None or _award_changes(award)) and not self._may_award(
                    row, group, award
                ):
                    continue
                self.awards.append(award)
                held.setdefault(holder, set()).add((award.honour.pk, award.year))
        for row in self.orphans:  # rows whose person could not be told: report their awards too
            self._award_row(row, None)
        self._check_prerequisites(held)

    def _award_row(self, row: _Row, group: _Group | None) -> _AwardRow | None:
        text = row.text
        name = text.get("honour", "")
        if not name:
            filled = [k for k in AWARD_KEYS if text.get(k)]
            if filled:
                self.error(row, "honour", f"填写了{COLUMNS[filled[0]]}，但未填写荣誉")
            return None
        honour = self.honours.get(name)
        if honour is None:
            self.error(row, "honour", f"荣誉目录中没有“{name}”")
            return None
        problems = 0
        try:
            year = _parse_year(row.raw.get("year")) if text.get("year") else None
        except ValueError as exc:
            self.error(row, "year", str(exc))
            return None
        if year is None:
            self.error(row, "year", "授予年份不能为空")
            return None
        for rule_field, reason in award_rule_errors(honour, to_person=True, year=year).items():
            self.error(row, "honour" if rule_field == "holder" else rule_field, reason)
            problems += 1
        batch = text.get("batch", "")
        if len(batch) > 40:
            self.error(row, "batch", "批次最长40字")
            problems += 1
        deeds = text.get("deeds", "")
        if len(deeds) > 5000:
            self.error(row, "deeds", f"事迹最长 5000 字（此处 {len(deeds)} 字）", deeds[:50])
            problems += 1
        categories = None
        if text.get("categories"):
            names = _split_names(text["categories"])
            unknown = [n for n in names if n not in self.categories]
            if unknown:
                self.error(row, "categories", "类别目录中没有：" + "、".join(unknown))
                problems += 1
            categories = [self.categories[n] for n in names if n in self.categories]
        if problems or group is None or group.node is None:
            return None
        return _AwardRow(
            row=row,
            group=group,
            honour=honour,
            year=year,
            batch=batch or None,
            categories=categories,
            deeds=deeds or None,
        )

    def _may_award(self, row: _Row, group: _Group, award: _AwardRow) -> bool:
        honour = award.honour
        if not access.can_at(self.actor, "registry.award", honour.conferring_unit):
            self.error(
                row,
                "honour",
                f"“{honour.name}”由{honour.conferring_unit.name}一级授予和修改，您无权授予",
            )
            return False
        if not access.can_at(self.actor, "registry.view", group.node):
            self.error(row, "org_unit", "组织编码不存在或不在您的管理范围内")
            return False
        return True

    def _check_prerequisites(self, held: dict) -> None:
        """An honour with prerequisites needs one of them, held in the platform or given in
        this file, in the same year or before (the rule of ``check_award``)."""
        needs: dict[int, set[int]] = {}
        for honour_id, required_id in Honour.prerequisites.through.objects.values_list(
            "from_honour_id", "to_honour_id"
        ):
            needs.setdefault(honour_id, set()).add(required_id)
        names = {h.pk: h.name for h in self.honours.values()}
        for award in self.awards:
            required = needs.get(award.honour.pk)
            if not required or award.existing is not None:
                continue
            have = held.get(_holder(award.group), set())
            if not any(h in required and y <= award.year for h, y in have):
                self.error(
                    award.row,
                    "honour",
                    f"获得“{award.honour.name}”须先获得以下荣誉之一："
                    + "、".join(names[h] for h in sorted(required)),
                )

    # -- the write --

    def write(self, progress: Callable[[int], None], result: ImportResult) -> list:
        employers = list(self.new_employers.values())
        Unit.objects.bulk_create(employers, batch_size=CHUNK)
        result.units_created = len(employers)
        new_people = [g.new for g in self.groups if g.new is not None]
        done = 0
        for chunk in chunks(new_people, INDEX_CHUNK):
            bulk.insert(chunk)
            search.index_people(chunk, new=True)
            done += len(chunk)
            progress(done * len(self.rows) // max(len(new_people), 1) // 2)
        result.people_created = len(new_people)
        for group in self.groups:
            if group.person is None:
                continue
            if group.changes is None:
                result.people_unchanged += 1
                continue
            self._service(
                group.rows[0],
                person_update,
                actor=self.actor,
                person=group.person,
                data=group.changes,
                org_unit=group.move_to,
                probe_paid=True,  # each row's number was counted by spend_probes
            )
            result.people_updated += 1
        new_awards, links = [], []
        Link = Award.categories.through
        for a in self.awards:
            if a.existing is not None:
                continue
            person = a.group.person or a.group.new
            new_awards.append(
                Award(
                    honour=a.honour,
                    person=person,
                    org_unit=a.group.move_to or person.org_unit,
                    year=a.year,
                    batch=a.batch or "",
                    deeds=a.deeds or "",
                )
            )
        bulk.insert(new_awards)
        created = iter(new_awards)
        for a in self.awards:
            if a.existing is None:
                award = next(created)
                links += [Link(award_id=award.pk, category_id=c.pk) for c in a.categories or []]
        bulk.insert(links)
        result.awards_created = len(new_awards)
        progress(len(self.rows) * 3 // 4)
        for a in self.awards:
            if a.existing is None:
                continue
            changes = _award_changes(a)
            if not changes:
                result.awards_unchanged += 1
                continue
            self._service(a.row, award_update, actor=self.actor, award=a.existing, **changes)
            result.awards_updated += 1
        return id_ranges(p.pk for p in new_people)

    def _service(self, row: _Row, service, **kwargs) -> None:
        """A service call inside the import: a refusal (a record changed since the check)
        refuses the whole file, naming the row."""
        try:
            service(**kwargs)
        except ValidationFailed as exc:
            raise ImportRejected(
                [
                    RowError(row.number, FIELD_COLUMNS.get(k, k), "", v)
                    for k, v in exc.fields.items()
                ]
            ) from None
        except (DomainError, IntegrityError) as exc:
            raise ImportRejected([RowError(row.number, "", "", str(exc))]) from None


def _holder(group: _Group):
    """The key of a group's holder: the record's id, or the group itself for a new person."""
    return group.person.pk if group.person is not None else id(group)


def _snapshot(person: Person) -> dict:
    """A person's editable fields as ``clean_person`` takes them (related rows as objects,
    so that cleaning needs no query)."""
    return {
        "name": person.name,
        "name_reading": person.name_reading,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "id_number": person.id_number,
        "no_id_reason": person.no_id_reason,
        "phone": person.phone,
        "is_public": person.is_public,
        "public_fields": person.public_fields,
        "employer": person.employer,
        "post_title": person.post_title,
        "rank": person.rank,
        "is_front_line": person.is_front_line,
        "trade": person.trade,
        "skill_level": person.skill_level,
        "status": person.status,
    }


def _award_changes(award: _AwardRow) -> dict:
    old = award.existing
    if old is None:
        return {}
    changes = {}
    if award.batch is not None and award.batch != old.batch:
        changes["batch"] = award.batch
    if award.deeds is not None and award.deeds != old.deeds:
        changes["deeds"] = award.deeds
    if award.categories is not None and {c.pk for c in award.categories} != {
        c.pk for c in old.categories.all()
    }:
        changes["categories"] = award.categories
    return changes


def registry_import(
    *,
    actor,
    data: bytes,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import people and their awards from one sheet; all rows or none.

    Raises ``ImportRejected`` listing every bad cell (``error_report`` makes the file to
    download). ``progress(done, total)`` is called as the check and the write advance;
    ``total`` is twice the number of rows (each row is checked, then written).

    New people, their search keys, new units and new awards are inserted in bulk (a service
    call per row took ~100x longer); changed records go through ``person_update`` and
    ``award_update``, which check and audit each change. The import itself is one audit
    event with the file's hash, the counts and the ids it created.
    """
    if not (access.can(actor, "people.change") and access.can(actor, "registry.view")):
        raise Forbidden("没有导入档案的权限")
    rows = _read(data, filename)
    total = 2 * len(rows)

    def report(done: int) -> None:
        if progress:
            progress(min(done, total), total)

    importer = _Importer(actor, rows)
    with bulk.large_cache():
        importer.check(report)
        if importer.errors:
            raise ImportRejected(sorted(set(importer.errors), key=_error_order))
        result = ImportResult(rows=len(rows))
        home = access.home_grant(actor, "people.change")
        with transaction.atomic():
            created = importer.write(lambda done: report(len(rows) + done), result)
            import_record(
                actor=actor,
                action=Action.REGISTRY_IMPORT,
                object_type="people.person",
                data=data,
                filename=filename,
                post_id=home.post_id if home else None,
                result=asdict(result),
                created_people=created,
            )
    report(total)
    return result


_COLUMN_ORDER = {label: i for i, label in enumerate(COLUMNS.values())}


def _error_order(e: RowError):
    return (e.row, _COLUMN_ORDER.get(e.column, len(_COLUMN_ORDER)), e.reason)
