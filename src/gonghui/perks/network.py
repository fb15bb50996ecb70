"""The card network (服务卡网络): member service cards (小红卡), the partner merchants with
their shops, offers and counter accounts, and the check of a card at a merchant's counter.

Every write is a service here (``<thing>_<verb>(*, actor, ...)``, one transaction, its audit
event inside it); every read that leaves the module is a selector already limited to the
actor's scope (``orgs.access``). A card's scope is its ``org_unit``: the holder's grassroots
union when the card was issued. A merchant's is the union node that signed it.

A merchant's counter account sees one card at a time, through the member's QR code, and only
a masked name, the last four digits and whether the card may be used: no page or endpoint
lists, searches or opens cards for it (card selectors need ``perks.view``, which only union
posts hold, and a counter account has none).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from openpyxl.styles import Font, PatternFill
from stdnum import luhn

from gonghui.audit.actions import Action
from gonghui.audit.services import diff, id_ranges, record
from gonghui.common import crypto, pii, ratelimit
from gonghui.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
)
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
from gonghui.common.workdays import today
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import Membership, Person
from gonghui.people.services import id_probes_spend, person_find_by_id_number
from gonghui.perks import passes
from gonghui.perks.models import Card, CardUse, Location, Merchant, MerchantStaff, Offer

__all__ = [
    "CardImportResult",
    "ImportRejected",
    "RowError",
    "card_cancel",
    "card_candidates",
    "card_get",
    "card_history",
    "card_issue",
    "card_list",
    "card_person",
    "card_reissue",
    "card_resume",
    "card_suspend",
    "card_uses",
    "card_verify",
    "cards_import",
    "cards_template",
    "location_add",
    "member_card",
    "merchant_change",
    "merchant_create",
    "merchant_get",
    "merchant_list",
    "merchant_staff_add",
    "offer_save",
    "offers_for_members",
]

LIVE = (Card.Status.ACTIVE, Card.Status.SUSPENDED)
CARD_PREFIX = "8610"
NUMBER_ATTEMPTS = 10
VERIFY_LIMIT = 60  # card checks per counter account per minute
VERIFY_WINDOW = 60
REASON_MAX = 200


# --- Cards: issue and status ---------------------------------------------------------------


def _new_number() -> str:
    """16 digits: 8610, 11 random digits, the Luhn check digit (as bank cards carry it, so a
    mistyped number is caught before any look-up)."""
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + luhn.calc_check_digit(body)


def _active_membership(person: Person) -> Membership | None:
    return (
        Membership.objects.select_related("org_unit")
        .filter(person=person, status=Membership.Status.ACTIVE)
        .first()
    )


def _where(actor, membership: Membership) -> str:
    """Where a membership is, for a refusal: its union named only to those who may see
    that union's member services (a union outside their scope is not theirs to learn of)."""
    unit = membership.org_unit
    return f"在“{unit.name}”" if access.can_at(actor, "perks.view", unit) else "在其他工会"


def _has_card(person: Person, card: Card) -> Conflict:
    return Conflict(
        f"{person.name} 已有服务卡 {card.number}（{card.get_status_display()}），不能重复办卡"
    )


def _create_card(person: Person, unit: OrgUnit, **extra) -> Card:
    """A new card with a fresh number. The database decides both races: a number drawn twice
    (UNIQUE(number): draw again) and a second live card for the person (the partial unique
    constraint: refused, naming the card that won)."""
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Card.objects.create(
                    number=_new_number(), person=person, org_unit=unit, **extra
                )
        except IntegrityError:
            live = member_card(person)
            if live is not None:
                raise _has_card(person, live) from None
    raise DomainError("未能生成不重复的卡号，请重试")  # pragma: no cover - 10^11 numbers


@transaction.atomic
def card_issue(*, actor, person: Person) -> Card:
    """Issue a card to a member: needs an active membership (the card belongs to its union)
    and ``perks.cards`` there; one live (active or suspended) card per person."""
    membership = _active_membership(person)
    if membership is None:
        if access.can_at(actor, "perks.view", person.org_unit) or access.can_at(
            actor, "people.view", person.org_unit
        ):
            raise Conflict(f"{person.name} 没有在会会籍，不能办理服务卡")
        raise NotFound()
    grant = access.require_at(actor, "perks.cards", membership.org_unit, view_perm="perks.view")
    live = member_card(person)
    if live is not None:
        raise _has_card(person, live)
    card = _create_card(person, membership.org_unit)
    record(
        actor=actor,
        action=Action.PERKS_CARD_ISSUE,
        obj=card,
        post_id=grant.post_id,
        changes={
            "number": [None, card.number],
            "person": [None, person.pk],
            "org_unit": [None, membership.org_unit_id],
        },
    )
    return card


@dataclass(frozen=True)
class Move:
    """A card status change: from which states, to which, and whether it needs a reason."""

    label: str
    sources: tuple[str, ...]
    target: str
    reason_required: bool


MOVES = {
    "suspend": Move("暂停", (Card.Status.ACTIVE,), Card.Status.SUSPENDED, True),
    "resume": Move("恢复", (Card.Status.SUSPENDED,), Card.Status.ACTIVE, False),
    "cancel": Move("注销", LIVE, Card.Status.CANCELLED, True),
    "reissue": Move("挂失补卡", LIVE, Card.Status.LOST, True),
}


def _clean_reason(move: Move, reason: str | None) -> str:
    reason = (reason or "").strip()
    if move.reason_required and not reason:
        raise ValidationFailed({"reason": f"{move.label}须写明原因"})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": f"原因最长 {REASON_MAX} 字"})
    return reason


def _refused(card: Card, move: Move, status: str) -> Conflict:
    label = Card.Status(status).label
    if status == Card.Status.LOST and card.replaced_by_id:
        new = Card.objects.filter(pk=card.replaced_by_id).values_list("number", flat=True).first()
        return Conflict(f"服务卡 {card.number} 已挂失并补发新卡 {new}，不能{move.label}")
    if move.target == status:
        return Conflict(f"服务卡 {card.number} 已是“{label}”状态")
    return Conflict(f"服务卡 {card.number} 当前为“{label}”，不能{move.label}")


def _card_move(*, actor, card: Card, name: str, reason: str | None):
    """Change a card's status by one conditional update (a second click, or a colleague at
    the same moment, finds the card already moved and is told so). Returns the grant and
    the status before."""
    move = MOVES[name]
    grant = access.require_at(actor, "perks.cards", card.org_unit, view_perm="perks.view")
    reason = _clean_reason(move, reason)
    before = (
        Card.objects.select_for_update().filter(pk=card.pk).values_list("status", flat=True).get()
    )
    moved = 0
    if before in move.sources:
        now = timezone.now()
        moved = Card.objects.filter(pk=card.pk, status=before).update(
            status=move.target, status_changed_at=now, status_reason=reason
        )
    if not moved:
        card.refresh_from_db()
        raise _refused(card, move, card.status)
    card.refresh_from_db()
    return grant, before, reason


def _record_move(actor, card: Card, name: str, grant, before: str, reason: str, **extra):
    record(
        actor=actor,
        action=Action(f"perks.card_{name}"),
        obj=card,
        post_id=grant.post_id,
        changes={"status": [before, card.status], "reason": [None, reason], **extra},
    )


@transaction.atomic
def card_suspend(*, actor, card: Card, reason: str) -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="suspend", reason=reason)
    _record_move(actor, card, "suspend", grant, before, reason)
    return card


@transaction.atomic
def card_resume(*, actor, card: Card, reason: str = "") -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="resume", reason=reason)
    _record_move(actor, card, "resume", grant, before, reason)
    return card


@transaction.atomic
def card_cancel(*, actor, card: Card, reason: str) -> Card:
    grant, before, reason = _card_move(actor=actor, card=card, name="cancel", reason=reason)
    _record_move(actor, card, "cancel", grant, before, reason)
    return card


@transaction.atomic
def card_reissue(*, actor, card: Card, reason: str) -> Card:
    """Report a card lost (挂失) and issue its holder a new number at once: the old card
    becomes ``lost`` and points to the new one; a suspended card's new card stays suspended.
    The new card belongs to the holder's current union (they may have moved since)."""
    access.require_at(actor, "perks.cards", card.org_unit, view_perm="perks.view")
    membership = _active_membership(card.person)
    if membership is None:
        raise Conflict(f"{card.person.name} 已没有在会会籍，不能补卡；请办理注销")
    if not access.can_at(actor, "perks.cards", membership.org_unit):
        raise Forbidden(
            f"{card.person.name} 的会籍现{_where(actor, membership)}，不在您的办卡范围内，"
            "请由该工会办理补卡"
        )
    suspended_for = card.status_reason
    grant, before, reason = _card_move(actor=actor, card=card, name="reissue", reason=reason)
    carried = {}
    if before == Card.Status.SUSPENDED:
        carried = {
            "status": Card.Status.SUSPENDED,
            "status_changed_at": timezone.now(),
            "status_reason": f"原卡 {card.number} 暂停中补发：{suspended_for}"[:REASON_MAX],
        }
    new = _create_card(card.person, membership.org_unit, **carried)
    Card.objects.filter(pk=card.pk).update(replaced_by=new)
    card.refresh_from_db()
    _record_move(actor, card, "reissue", grant, before, reason, replaced_by=[None, new.number])
    return new


# --- Cards: bulk issue from a workbook -----------------------------------------------------

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


def _same_name(name: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", name))


def _visible(actor, person: Person, membership: Membership | None) -> bool:
    """Whether the actor may know this person exists: their record is in the actor's
    people scope, or their membership in the actor's member-services scope."""
    if access.can_at(actor, "people.view", person.org_unit):
        return True
    return membership is not None and access.can_at(actor, "perks.view", membership.org_unit)


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
        if person is None or not _visible(actor, person, membership):
            errors.append(RowError(line.row, id_col, _masked(line.id_number), NOT_FOUND_ROW))
            continue
        line.person = person  # found: whatever the row says next tells that much
        if line.name and _same_name(line.name) != _same_name(person.name):
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
                    f"该人员的会籍{_where(actor, membership)}，不在您的办卡范围内",
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
                card = _create_card(line.person, line.membership.org_unit)
            except Conflict:  # issued by someone else since the check
                result.already += 1
                continue
            result.issued += 1
            result.cards.append(card.pk)
        record(
            actor=actor,
            action=Action.PERKS_CARDS_IMPORT,
            object_type="perks.card",
            object_id=hashlib.sha256(data).hexdigest()[:16],
            post_id=home.post_id if home else None,
            changes={
                "file": [None, filename[-100:]],
                "rows": [None, result.rows],
                "issued": [None, result.issued],
                "already": [None, result.already],
                "cards": [None, id_ranges(result.cards)],
            },
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


# --- Cards: reads --------------------------------------------------------------------------

CARD_SORTS = {
    "number": "number",
    "-number": "-number",
    "name": "person__name_sort",
    "-name": "-person__name_sort",
    "issued": "issued_at",
    "-issued": "-issued_at",
    "status": "status",
    "-status": "-status",
    "unit": "org_unit__path",
    "-unit": "-org_unit__path",
}


def card_list(*, actor, status: str = "", q: str = "", sort: str = "") -> QuerySet[Card]:
    """Cards in the actor's member-services scope (by the card's union), filtered by status,
    found by card number (digits, any part) or holder name (any part). An unknown status is
    refused (ignoring it would list every status)."""
    qs = access.restrict(Card.objects.select_related("person", "org_unit"), actor, "perks.view")
    if status and status not in Card.Status.values:
        raise ValidationFailed({"status": f"没有这个状态（可选：{'、'.join(Card.Status.values)}）"})
    if status:
        qs = qs.filter(status=status)
    q = unicodedata.normalize("NFKC", q or "").strip()[:60]
    if q:
        digits = re.sub(r"\s", "", q)
        if digits.isdigit():
            qs = qs.filter(number__contains=digits)
        else:
            qs = qs.filter(search.matching_q(q, via="person_id"))
    return qs.order_by(CARD_SORTS.get(sort, "-issued_at"), "-pk")


def card_get(*, actor, pk) -> Card:
    return access.get_or_404(
        Card.objects.select_related("person", "org_unit", "replaced_by"),
        actor,
        "perks.view",
        pk=pk,
    )


def card_history(*, actor, card: Card) -> QuerySet[Card]:
    """The holder's cards in the actor's scope, newest first: replaced and cancelled ones
    stay, with their reasons."""
    return access.restrict(
        Card.objects.filter(person_id=card.person_id).select_related("org_unit", "replaced_by"),
        actor,
        "perks.view",
    ).order_by("-issued_at", "-pk")


def card_uses(*, actor, card: Card) -> QuerySet[CardUse]:
    """Where and when the card was shown (staff of its union only)."""
    if not access.can_at(actor, "perks.view", card.org_unit):
        return CardUse.objects.none()
    return (
        CardUse.objects.filter(card=card)
        .select_related("merchant", "location")
        .order_by("-used_at", "-pk")
    )


def card_person(*, actor, id_number: str | None = None, pk=None) -> Person:
    """The person to issue a card to, found by resident ID (blind index) or by id, if the
    actor may know of them; ``NotFound`` for absent and out of scope alike."""
    qs = Person.objects.select_related("org_unit").filter(merged_into__isnull=True)
    if id_number is not None:
        # The platform's one look-up by full number: for posts that may see full numbers,
        # throttled, each try audited (people.services; docs/privacy.md).
        person = person_find_by_id_number(actor=actor, raw=id_number)
        if person is None or person.merged_into_id:
            raise NotFound("在您的管理范围内没有找到此人员")
        return person
    try:
        person = qs.get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotFound("在您的管理范围内没有找到此人员") from None
    if not _visible(actor, person, _active_membership(person)):
        raise NotFound("在您的管理范围内没有找到此人员")
    return person


def card_candidates(*, actor, q: str = "") -> QuerySet[Person]:
    """Members the actor may issue a card to: an active membership in their card scope and
    no live card yet."""
    qs = Person.objects.filter(
        access.scope_q(actor, "perks.cards", via="memberships__org_unit"),
        memberships__status=Membership.Status.ACTIVE,
        merged_into__isnull=True,
    ).exclude(cards__status__in=LIVE)
    qs = qs.select_related("org_unit")
    return search.search_people(qs, q) if (q or "").strip() else qs.order_by("name_sort", "pk")


def member_card(person: Person | None) -> Card | None:
    """A member's own live card (active or suspended), if any."""
    if person is None:
        return None
    return Card.objects.filter(person=person, status__in=LIVE).order_by("-issued_at").first()


# --- Merchants, shops, offers, counter accounts ---------------------------------------------

MERCHANT_FIELDS = (
    "name",
    "category",
    "plan",
    "discount",
    "description",
    "phone",
    "valid_from",
    "valid_until",
    "is_active",
)
LIMITS = {"name": 120, "discount": 200, "phone": 40, "description": 5000}


def _clean_merchant(data: dict) -> dict:
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    errors = {}
    if not data.get("name"):
        errors["name"] = "请填写商户名称"
    if not data.get("discount"):
        errors["discount"] = "请填写优惠内容"
    for key, limit in LIMITS.items():
        if len(data.get(key) or "") > limit:
            errors[key] = f"最长 {limit} 字"
    if data.get("category") not in Merchant.Category.values:
        errors["category"] = "请选择类别"
    if data.get("plan") not in Merchant.Plan.values:
        errors["plan"] = "请选择合作类型"
    errors |= _dates_errors(data.get("valid_from"), data.get("valid_until"), "合作")
    if errors:
        raise ValidationFailed(errors)
    return data


def _dates_errors(start, end, what: str) -> dict:
    errors = {}
    if not isinstance(start, date):
        errors["valid_from"] = f"请填写{what}开始日期"
    if not isinstance(end, date):
        errors["valid_until"] = f"请填写{what}截止日期"
    if not errors and end < start:
        errors["valid_until"] = f"{what}截止日期不能早于开始日期"
    return errors


def _manage(actor, merchant: Merchant):
    return access.require_at(actor, "perks.manage", merchant.org_unit, view_perm="perks.view")


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


@transaction.atomic
def merchant_create(
    *,
    actor,
    org_unit: OrgUnit,
    name: str,
    category: str,
    discount: str,
    valid_from: date,
    valid_until: date,
    plan: str = Merchant.Plan.CARD,
    description: str = "",
    phone: str = "",
    is_active: bool = True,
) -> Merchant:
    """Sign a merchant into the card network or the partner plan at ``org_unit``."""
    grant = access.require_at(actor, "perks.manage", org_unit, view_perm="perks.view")
    data = _clean_merchant(
        {
            "name": name,
            "category": category,
            "plan": plan,
            "discount": discount,
            "description": description,
            "phone": phone,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "is_active": bool(is_active),
        }
    )
    merchant = Merchant.objects.create(org_unit=org_unit, **data)
    record(
        actor=actor,
        action=Action.PERKS_MERCHANT_CREATE,
        obj=merchant,
        post_id=grant.post_id,
        changes=diff({}, {**data, "org_unit": org_unit.pk}),
    )
    return merchant


@transaction.atomic
def merchant_change(*, actor, merchant: Merchant, **changes) -> Merchant:
    """Change a merchant's details, validity or active flag (``MERCHANT_FIELDS``)."""
    unknown = set(changes) - set(MERCHANT_FIELDS)
    if unknown:
        raise ValidationFailed({k: "不能修改此项" for k in sorted(unknown)})
    grant = _manage(actor, merchant)
    before = _snapshot(merchant, MERCHANT_FIELDS)
    after = _clean_merchant({**before, **changes})
    after["is_active"] = bool(after["is_active"])
    changed = diff(before, after)
    if changed:
        for key, value in after.items():
            setattr(merchant, key, value)
        merchant.save(update_fields=[*MERCHANT_FIELDS])
        record(
            actor=actor,
            action=Action.PERKS_MERCHANT_CHANGE,
            obj=merchant,
            post_id=grant.post_id,
            changes=changed,
        )
    return merchant


@transaction.atomic
def location_add(
    *, actor, merchant: Merchant, name: str, address: str, district: OrgUnit
) -> Location:
    """Add a shop or venue (门店 / 领取点) to a merchant, in a district."""
    grant = _manage(actor, merchant)
    name, address = (name or "").strip(), (address or "").strip()
    errors = {}
    if not name:
        errors["name"] = "请填写门店名称"
    elif len(name) > 120:
        errors["name"] = "最长 120 字"
    if not address:
        errors["address"] = "请填写地址"
    elif len(address) > 200:
        errors["address"] = "最长 200 字"
    if district is None or district.level != OrgUnit.Level.DISTRICT:
        errors["district"] = "请选择门店所在的区"
    if errors:
        raise ValidationFailed(errors)
    location = Location.objects.create(
        merchant=merchant, name=name, address=address, district=district
    )
    record(
        actor=actor,
        action=Action.PERKS_LOCATION_ADD,
        obj=location,
        org_unit_id=merchant.org_unit_id,
        post_id=grant.post_id,
        changes={
            "merchant": [None, merchant.pk],
            "name": [None, name],
            "address": [None, address],
            "district": [None, district.pk],
        },
    )
    return location


OFFER_FIELDS = ("title", "discount", "terms", "valid_from", "valid_until")


@transaction.atomic
def offer_save(
    *,
    actor,
    merchant: Merchant,
    title: str,
    discount: str,
    valid_from: date,
    valid_until: date,
    terms: str = "",
    offer: Offer | None = None,
) -> Offer:
    """Create an offer of ``merchant`` or, with ``offer``, change it."""
    grant = _manage(actor, merchant)
    if offer is not None and offer.merchant_id != merchant.pk:
        raise NotFound()
    data = {
        "title": (title or "").strip(),
        "discount": (discount or "").strip(),
        "terms": (terms or "").strip(),
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    errors = {}
    for key, label, limit in (("title", "优惠名称", 120), ("discount", "优惠力度", 60)):
        if not data[key]:
            errors[key] = f"请填写{label}"
        elif len(data[key]) > limit:
            errors[key] = f"最长 {limit} 字"
    if len(data["terms"]) > 5000:
        errors["terms"] = "最长 5000 字"
    errors |= _dates_errors(valid_from, valid_until, "优惠")
    if errors:
        raise ValidationFailed(errors)
    before = _snapshot(offer, OFFER_FIELDS) if offer is not None else {}
    if offer is None:
        offer = Offer.objects.create(merchant=merchant, **data)
    else:
        for key, value in data.items():
            setattr(offer, key, value)
        offer.save(update_fields=list(OFFER_FIELDS))
    changed = diff(before, data)
    if changed:
        record(
            actor=actor,
            action=Action.PERKS_OFFER_SAVE,
            obj=offer,
            org_unit_id=merchant.org_unit_id,
            post_id=grant.post_id,
            changes={**changed, "merchant": [None, merchant.pk]},
        )
    return offer


@transaction.atomic
def merchant_staff_add(
    *, actor, merchant: Merchant, username: str, password: str, location: Location | None = None
) -> MerchantStaff:
    """Create a counter account for a merchant (or one of its shops): a login with no union
    post, which can check cards and accept pickup codes and nothing else."""
    grant = _manage(actor, merchant)
    User = get_user_model()
    username = unicodedata.normalize("NFKC", username or "").strip()
    errors = {}
    if not re.fullmatch(r"[\w.@+-]{3,150}", username):
        errors["username"] = "用户名为 3–150 位字母、数字或 . @ + - _"
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"用户名 {username} 已被使用"
    if location is not None and location.merchant_id != merchant.pk:
        errors["location"] = "门店不属于该商户"
    user = User(username=username)
    if not errors:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            errors["password"] = "；".join(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed({"username": f"用户名 {username} 已被使用"}) from None
    staff = MerchantStaff.objects.create(user=user, merchant=merchant, location=location)
    record(
        actor=actor,
        action=Action.PERKS_MERCHANT_STAFF_ADD,
        obj=staff,
        org_unit_id=merchant.org_unit_id,
        post_id=grant.post_id,
        changes={
            "username": [None, username],
            "merchant": [None, merchant.pk],
            "location": [None, location.pk if location else None],
        },
    )
    return staff


MERCHANT_SORTS = {
    "name": "name",
    "-name": "-name",
    "category": "category",
    "-category": "-category",
    "until": "valid_until",
    "-until": "-valid_until",
    "unit": "org_unit__path",
    "-unit": "-org_unit__path",
}


def _district_q(district) -> Q:
    return Q(pk__in=Location.objects.filter(district=district).values("merchant_id"))


def merchant_list(
    *, actor, category: str = "", plan: str = "", district=None, q: str = "", sort: str = ""
) -> QuerySet[Merchant]:
    """Merchants signed in the actor's member-services scope."""
    qs = access.restrict(Merchant.objects.select_related("org_unit"), actor, "perks.view")
    if category:
        qs = qs.filter(category=category)
    if plan:
        qs = qs.filter(plan=plan)
    if district:
        qs = qs.filter(_district_q(district))
    q = (q or "").strip()[:60]
    if q:
        qs = qs.filter(name__contains=q)
    return qs.annotate(
        location_count=Count("locations", distinct=True),
        staff_count=Count("staff", distinct=True),
    ).order_by(MERCHANT_SORTS.get(sort, "name"), "pk")


def merchant_get(*, actor, pk, perm: str = "perks.view") -> Merchant:
    """A merchant in the actor's scope for ``perm`` (``perks.manage`` for its edit pages:
    those who may only see it get "not found" there, the page has nothing for them)."""
    return access.get_or_404(Merchant.objects.select_related("org_unit"), actor, perm, pk=pk)


def offers_for_members(category=None, district=None, q: str = "") -> QuerySet[Merchant]:
    """What members browse: active merchants within their validity today (Beijing time),
    each with its current offers (``current_offers``) and its shops; by category, by a
    shop's district, by a fragment of the merchant's or an offer's name."""
    day = today()
    current = Offer.objects.filter(valid_from__lte=day, valid_until__gte=day)
    qs = Merchant.objects.filter(is_active=True, valid_from__lte=day, valid_until__gte=day)
    if category:
        qs = qs.filter(category=category)
    if district:
        qs = qs.filter(_district_q(district))
    q = unicodedata.normalize("NFKC", q or "").strip()[:40]
    if q:
        qs = qs.filter(
            Q(name__contains=q) | Q(pk__in=current.filter(title__contains=q).values("merchant_id"))
        )
    return qs.prefetch_related(
        Prefetch("offers", current.order_by("valid_until", "pk"), to_attr="current_offers"),
        Prefetch("locations", Location.objects.select_related("district").order_by("pk")),
    ).order_by("category", "name", "pk")


# --- At the counter --------------------------------------------------------------------------

QR_INVALID = "二维码无效或已过期，请会员刷新后再出示"
QR_USED = "该二维码已使用，请会员刷新"


def mask_number(number: str) -> str:
    """Only the last four digits of a card number."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def counter_account(user) -> MerchantStaff | None:
    """The merchant's counter account a login is, if it is one (active users only)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return MerchantStaff.objects.select_related("merchant", "location").filter(user=user).first()


def _counter_of(actor) -> MerchantStaff:
    staff = counter_account(actor)
    if staff is None:
        raise Forbidden("只有合作商户的核验账号可以核验服务卡")
    return staff


def require_serving(staff: MerchantStaff, what: str) -> None:
    """A counter works only while its merchant is active and within its contract (Beijing
    date): checking cards and accepting pickup codes alike."""
    merchant = staff.merchant
    day = today()
    if not (merchant.is_active and merchant.valid_from <= day <= merchant.valid_until):
        raise Forbidden(f"本商户未启用或不在合作期内，不能{what}")


def card_verify(*, actor, token: str) -> dict:
    """Check a card's QR code at a merchant's counter.

    The code is the card id signed with the time (``passes.card_token``, a minute's life);
    each code is accepted once — the use's row carries the code's SHA-256 under a unique
    constraint, so two counters scanning the same screenshot cannot both accept it (the
    insert decides, not a look-up before it). A card not in use answers ``valid: False``
    with the reason and records nothing. The answer holds a masked name and the last four
    digits only."""
    staff = _counter_of(actor)
    if ratelimit.hit(f"perks.verify:{actor.pk}", window=VERIFY_WINDOW) > VERIFY_LIMIT:
        raise Throttled("核验过于频繁，请稍后再试")
    require_serving(staff, "核验服务卡")
    merchant = staff.merchant
    token = (token or "").strip()
    card_id = passes.card_of(token) if len(token) <= 200 else None
    card = Card.objects.select_related("person").filter(pk=card_id).first() if card_id else None
    if card is None:
        raise DomainError(QR_INVALID, code="invalid_token")
    answer = {
        "valid": False,
        "name": pii.mask_name(card.person.name),
        "card": mask_number(card.number),
        "reason": "",
    }
    if card.status != Card.Status.ACTIVE:
        answer["reason"] = f"该卡{card.get_status_display()}，不能享受会员优惠"
        return answer
    try:
        with transaction.atomic():
            use = CardUse.objects.create(
                card=card,
                merchant=merchant,
                location=staff.location,
                staff=actor,
                token_digest=hashlib.sha256(token.encode()).hexdigest(),
            )
            record(  # the use is a write like any other: it leaves its event
                actor=actor,
                action=Action.PERKS_CARD_USE,
                obj=use,
                org_unit_id=card.org_unit_id,
                changes={"card": [None, mask_number(card.number)], "merchant": [None, merchant.pk]},
            )
    except IntegrityError:
        raise Conflict(QR_USED) from None
    answer["valid"] = True
    return answer
