"""A session's workbooks: the enrolment and attendance list (export), and the sign-in sheet
staff upload (a column 身份证号) read into the session's enrolled people."""

from __future__ import annotations

import re

from gonghui.common import crypto, pii
from gonghui.common.errors import ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.common.imports import (
    ImportRejected,
    RowError,
    cell_text,
    protected_text,
    read_rows,
    refusing_unreadable,
)
from gonghui.common.sheets import append, book_bytes, write_only_book
from gonghui.orgs import access
from gonghui.people.models import Person
from gonghui.people.services import id_probes_spend
from gonghui.training.courses import selectors
from gonghui.training.models import Session

ID_COLUMN = "身份证号"
MAX_ROWS = 5_000


def roster_book(session: Session) -> tuple[bytes, int]:
    """Every enrolment of the session with its status, waitlist position and attendance;
    the workbook and its number of rows."""
    book, ws = write_only_book(
        "报名与签到",
        ["序号", "姓名", "所在工会", "报名状态", "候补位次", "报名时间", "签到方式", "签到时间"],
        {2: 12, 3: 36, 6: 20, 8: 20},
    )
    position = n = 0
    for n, (e, a) in enumerate(selectors.roster_rows(session), start=1):
        if e.status == "waitlisted":
            position += 1
        append(
            ws,
            [
                n,
                e.person.name,
                e.person.org_unit.name if e.person.org_unit_id else "",
                e.get_status_display(),
                position if e.status == "waitlisted" else "",
                cn_datetime(e.created_at),
                a.get_method_display() if a else "未签到",
                cn_datetime(a.at) if a else "",
            ],
        )
    return book_bytes(book), n


def sheet_people(actor, session: Session, data: bytes, filename: str) -> list[Person]:
    """The people a sign-in sheet names by 身份证号, each holding a live enrolment of the
    session (only the session's enrolled are matched: the sheet tells nothing about anyone
    else); any row that does not match refuses the sheet, naming the rows. Each number
    matched counts against the actor's ID-probe budget (one ``people.id_check`` event for
    the sheet), spent before matching and outside any transaction: a refused sheet keeps
    its count."""
    numbers: list[tuple[int, str]] = []
    problems: list[str] = []
    try:
        with refusing_unreadable(filename):
            column = None
            for row, values in read_rows(data, filename):
                if column is None:
                    heads = [re.sub(r"\s", "", cell_text(v)) for v in values]
                    if ID_COLUMN not in heads:
                        raise ImportRejected(
                            [RowError(1, "表头", "", f"签到表缺少“{ID_COLUMN}”列")]
                        )
                    column = heads.index(ID_COLUMN)
                    continue
                raw = values[column] if column < len(values) else None
                text, reason = protected_text(raw, ID_COLUMN)
                if not text and not reason:
                    continue
                if reason is None:
                    try:
                        numbers.append((row, pii.normalize("id_number", text)))
                    except ValidationFailed as exc:
                        reason = next(iter(exc.fields.values()))
                if reason:
                    problems.append(f"第 {row} 行：{reason}")
                if len(numbers) > MAX_ROWS:
                    raise ImportRejected([RowError(row, "", "", f"签到表最多 {MAX_ROWS} 行")])
    except ImportRejected as exc:
        raise ValidationFailed({"file": "；".join(e.reason for e in exc.errors)}) from None
    if numbers:
        grant = access.grant_at(actor, selectors.MANAGE, session.org_unit)
        id_probes_spend(
            actor=actor,
            n=len(numbers),
            bulk=True,
            post_id=grant.post_id if grant else None,
            org_unit_id=session.org_unit_id,
            what="签到表",
        )
    indexes = {crypto.blind_index(n, context="id_number"): row for row, n in numbers}
    enrolled = Person.objects.filter(
        id_number_index__in=list(indexes),
        pk__in=session.enrolments.filter(status__in=selectors.LIVE).values("person_id"),
    )
    people = list(enrolled)
    found = {p.id_number_index for p in people}
    problems += [
        f"第 {row} 行：不是本场次的报名人员" for key, row in indexes.items() if key not in found
    ]
    if problems:
        raise ValidationFailed({"file": "；".join(sorted(problems)[:20])})
    if not people:
        raise ValidationFailed({"file": "签到表中没有人员"})
    return people
