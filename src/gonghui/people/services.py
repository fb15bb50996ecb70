"""Every write to people and memberships, and every unmasked view of their personal data."""

from __future__ import annotations

import unicodedata
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import diff, record
from gonghui.common import crypto, pii, ratelimit
from gonghui.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
)
from gonghui.common.pinyin import clean_reading, reading_problem
from gonghui.files.services import attachments_move
from gonghui.orgs import access
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people import search
from gonghui.people.models import (
    PUBLIC_FIELDS,
    Membership,
    Person,
    Trade,
    TransferRequest,
    Unit,
)
from gonghui.people.selectors import transfer_requests_to_decide
from gonghui.people.signals import person_moved

PROTECTED = {"id_number": "id_number", "phone": "phone"}
MASKS = {field: (lambda v, k=kind: pii.mask(k, v)) for field, kind in PROTECTED.items()}
EDITABLE = (
    "name",
    "name_reading",
    "gender",
    "birth_date",
    "id_number",
    "no_id_reason",
    "phone",
    "is_public",
    "public_fields",
    "employer",
    "post_title",
    "rank",
    "is_front_line",
    "trade",
    "skill_level",
    "status",
)


def clean_person(data: dict, *, stored: dict | None = None) -> dict:
    """Normalise and validate a person's fields; every problem named by its field.

    ``stored``: the record's current values. A protected value left as stored that today's
    rules refuse is kept as it is: a number accepted under older rules (or written before a
    rule existed) does not lock the rest of the record; the person page warns about it.
    """
    errors, out = {}, {}
    kept = set()
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "姓名不能为空"
    elif len(name) > 60:
        errors["name"] = "姓名最长60字"
    out["name"] = name
    reading = data.get("name_reading") or ""
    problem = reading_problem(name, reading) if isinstance(reading, str) else "姓名拼音应为文本"
    if problem and "name" not in errors:
        errors["name_reading"] = problem
    out["name_reading"] = "" if problem else clean_reading(reading)
    gender = data.get("gender") or ""
    if gender not in _VALUES[Person.Gender]:
        errors["gender"] = "性别应为 男 或 女"
    out["gender"] = gender
    out["birth_date"] = data.get("birth_date")
    for field, kind in PROTECTED.items():
        raw = (
            (data.get(field) or "").strip() if isinstance(data.get(field), str) else data.get(field)
        )
        if raw and stored and raw == stored.get(field) and pii.problem(kind, raw):
            out[field] = raw
            kept.add(field)
        elif raw:
            try:
                out[field] = pii.normalize(kind, raw, field=field)
            except ValidationFailed as exc:
                errors.update(exc.fields)
        else:
            out[field] = None
    out["no_id_reason"] = (data.get("no_id_reason") or "").strip()
    if not out.get("id_number") and "id_number" not in errors and not out["no_id_reason"]:
        errors["no_id_reason"] = "未填写身份证号时须说明原因（如历史档案无记录）"
    if out.get("id_number") and "id_number" not in kept:
        number = out["id_number"]  # valid: its birth date exists
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if out["birth_date"] and out["birth_date"] != born:
            # Not quoting the number's date: the message may sit beside its mask.
            errors["birth_date"] = "出生日期与身份证号中的出生日期不一致"
        out["birth_date"] = born
        sex = Person.Gender.MALE if int(out["id_number"][16]) % 2 else Person.Gender.FEMALE
        if out["gender"] and out["gender"] != sex:
            errors["gender"] = "性别与身份证号不一致"
        out["gender"] = sex
    if isinstance(out["birth_date"], date) and out["birth_date"] > date.today():
        errors["birth_date"] = "出生日期不能晚于今天"
    out["is_public"] = bool(data.get("is_public"))
    fields = list(data.get("public_fields") or [])
    bad = [f for f in fields if f not in PUBLIC_FIELDS]
    if bad:
        errors["public_fields"] = f"不能公开的字段：{', '.join(bad)}"
    out["public_fields"] = fields if out["is_public"] else []
    _clean_work(data, out, errors)
    if errors:
        raise ValidationFailed(errors)
    return out


# Each choice's values and, for imports and offices that write the Chinese label, its labels
# (built once: a bulk import cleans every person through here).
_VALUES = {
    c: frozenset(["", *c.values])
    for c in (Person.Gender, Person.Rank, Person.SkillLevel, Person.Status)
}
_BY_LABEL = {c: {label: value for value, label in c.choices} for c in _VALUES}


def _choice(value, choices, field: str, label: str, errors: dict) -> str:
    value = value or ""
    if value not in _VALUES[choices]:
        if value in _BY_LABEL[choices]:
            return _BY_LABEL[choices][value]
        errors[field] = f"{label}应为：" + "、".join(choices.labels)
    return value


def _clean_work(data: dict, out: dict, errors: dict) -> None:
    """Employer, post and skills: what the registry and selection rules use."""
    out["post_title"] = (data.get("post_title") or "").strip()[:60]
    out["rank"] = _choice(data.get("rank"), Person.Rank, "rank", "岗位类别", errors)
    out["is_front_line"] = bool(data.get("is_front_line"))
    out["skill_level"] = _choice(
        data.get("skill_level"), Person.SkillLevel, "skill_level", "技能等级", errors
    )
    out["status"] = _choice(
        data.get("status") or Person.Status.IN_POST, Person.Status, "status", "状态", errors
    )
    for field, model, label in (("employer", Unit, "工作单位"), ("trade", Trade, "工种")):
        value = data.get(field)
        if value in (None, ""):
            out[field] = None
        elif isinstance(value, model):
            out[field] = value
        else:
            out[field] = model.objects.filter(pk=value).first() if str(value).isdigit() else None
            if out[field] is None:
                errors[field] = f"未知的{label}：{value}"


FOREIGN = ("employer", "trade")


def _snapshot(person: Person) -> dict:
    values = {f: getattr(person, f"{f}_id" if f in FOREIGN else f) for f in EDITABLE}
    return values | {"org_unit": person.org_unit_id}


def _holder_of(index: str | None, *, other_than=None) -> Person | None:
    """The record holding a resident ID's blind index (the survivor, for a merged one)."""
    if not index:
        return None
    holders = Person.objects.select_related("org_unit").filter(id_number_index=index)
    if other_than is not None:
        holders = holders.exclude(pk=other_than)
    person = holders.first()
    while person is not None and person.merged_into_id:
        person = Person.objects.select_related("org_unit").get(pk=person.merged_into_id)
    return person


MERGED = "该档案已合并到另一份档案，不能再修改：请在保留的档案上办理"


def require_live(person: Person) -> None:
    """Refuse a write to a record merged into another (registry.merging): a redirect kept
    for the merge's undo. What were written there would never reach the record kept, and
    would come back wrongly with the undo."""
    if person.merged_into_id:
        raise Conflict(MERGED)


def person_create(*, actor, org_unit: OrgUnit, data: dict) -> Person:
    """Register a person. A resident ID already on record is answered by ``id_collision``:
    within the actor's scope, the record it belongs to; outside it, a transfer request.
    A post that may not see full numbers here pays one probe for the number first, hit or
    miss (``_pay_for_number``)."""
    grant = access.require_at(actor, "people.change", org_unit, view_perm="people.view")
    cleaned = clean_person(data)
    paid = bool(cleaned["id_number"]) and _pay_for_number(actor, [org_unit], grant)
    person = Person(org_unit=org_unit, **cleaned)
    try:
        with transaction.atomic():
            person.save()  # one person, one record: the unique index decides, race-free
            search.index_person(person)
            record(
                actor=actor,
                action=Action.PEOPLE_CREATE,
                obj=person,
                post_id=grant.post_id,
                changes=diff({}, _snapshot(person), masked=MASKS),
            )
    except IntegrityError:
        holder = _holder_of(person.id_number_index)
        if holder is None:
            raise
        raise id_collision(
            actor=actor,
            unit=org_unit,
            holder=holder,
            name=cleaned["name"],
            via="登记人员",
            paid=paid,
        ) from None
    return person


# --- People who sign themselves up (no account, no staff between) ---------------------------
# A competition's open registration (报名不设门槛): whoever types in their details is found
# by the registry's one-person-one-record index or registered. The caller learns nothing of
# a record found (its answer is the same either way) and changes nothing on it.

ENROLLED_WITHOUT_ID = "本人自助报名时未填写身份证号"


def person_enrol(*, org_unit: OrgUnit, data: dict, via: str) -> Person:
    """The person a self-registration names: the record holding their resident ID (the one
    kept, for a record merged into another), else a new record at ``org_unit``, audited as
    ``people.create`` by nobody (``via`` says where it came from). ``data`` as
    ``clean_person`` takes it; without an ID number the reason is that none was given.
    A record found is returned as it is: nothing typed here changes it; but only when the
    name typed is the record's (``_same_name``): else the number is refused
    (``ID_NAME_MISMATCH`` on ``id_number``, nothing written), so a stranger cannot enter
    someone else by their number. Inside the caller's transaction; two sign-ups with the
    same new number make one record."""
    cleaned = clean_person(
        data if data.get("id_number") else {**data, "no_id_reason": ENROLLED_WITHOUT_ID}
    )
    index = (
        crypto.blind_index(cleaned["id_number"], context="id_number")
        if cleaned["id_number"]
        else None
    )
    holder = _holder_of(index)
    if holder is not None:
        return _named_holder(holder, index, cleaned["name"])
    person = Person(org_unit=org_unit, **cleaned)
    try:
        with transaction.atomic():
            person.save()  # the unique index decides between two sign-ups at once
            search.index_person(person)
            record(
                actor=None,
                action=Action.PEOPLE_CREATE,
                obj=person,
                changes=diff({}, _snapshot(person), masked=MASKS) | {"via": [None, via]},
            )
    except IntegrityError:
        holder = _holder_of(index)
        if holder is None:
            raise
        return _named_holder(holder, index, cleaned["name"])
    return person


ID_NAME_MISMATCH = "身份证号与姓名不符，请核对"


def _same_name(typed: str, recorded: str) -> bool:
    return bool(search.name_key(typed)) and search.name_key(typed) == search.name_key(recorded)


def _named_holder(holder: Person, index: str, typed: str) -> Person:
    """The record found by a resident ID, when ``typed`` is its name (or the name of the
    record merged into it that holds the number); else ValidationFailed on the number."""
    names = {
        holder.name,
        *Person.objects.filter(id_number_index=index).values_list("name", flat=True),
    }
    if any(_same_name(typed, name) for name in names):
        return holder
    raise ValidationFailed({"id_number": ID_NAME_MISMATCH})


@transaction.atomic
def employer_enrol(*, org_unit: OrgUnit, name: str) -> Unit:
    """The employer a self-registration names, by its exact name (NFKC, spaces
    collapsed): a unit of that name filed at ``org_unit`` or below it (the first
    registered), else an enterprise of that name anywhere in the registry (an employer is
    one unit wherever its people enter: recusal by employer depends on it), else a new one
    filed at ``org_unit``, audited as ``registry.unit_create`` by nobody. Inside the
    caller's transaction."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed({"employer_name": "请填写工作单位"})
    if len(name) > 120:
        raise ValidationFailed({"employer_name": "工作单位名称最长120字"})
    found = (
        Unit.objects.filter(access.subtree_q(org_unit, via="org_unit"), name=name)
        .order_by("pk")
        .first()
    ) or (
        # Outside the subtree only an enterprise: a team or a department of that name
        # (一车间, 办公室) belongs to someone else's employer.
        Unit.objects.filter(name=name, kind=Unit.Kind.ENTERPRISE).order_by("pk").first()
    )
    if found is not None:
        return found
    employer = Unit.objects.create(name=name, org_unit=org_unit)
    record(
        actor=None,
        action=Action.REGISTRY_UNIT_CREATE,
        obj=employer,
        changes={"name": [None, employer.name], "credit_code": [None, ""]},
    )
    return employer


def _pay_for_number(actor, units, grant) -> bool:
    """Before a write that sets a resident ID: whether a number is on record is what the
    write's answer tells (a hit is refused, a miss written), so a post that may not see
    full numbers at every one of ``units`` spends one probe on it, hit or miss, and over
    its budget is refused before the database is asked: a hit and a miss answer alike.
    True when a probe was spent."""
    if all(access.can_at(actor, "people.view_pii", unit) for unit in units):
        return False
    id_probes_spend(actor=actor, post_id=grant.post_id, org_unit_id=units[0].pk)
    return True


class _Collision(Exception):
    """Inside ``person_update``'s transaction: the new number is on another record."""

    def __init__(self, index: str, unit: OrgUnit, name: str):
        super().__init__(index)
        self.index, self.unit, self.name = index, unit, name


def person_update(
    *,
    actor,
    person: Person,
    data: dict,
    org_unit: OrgUnit | None = None,
    probe_paid: bool = False,
) -> Person:
    """Change a person's fields; ``org_unit`` moves the record (both ends in scope). A new
    resident ID already on another record is answered by ``id_collision``, after this
    update's transaction is rolled back. A post that may not see full numbers at both ends
    pays one probe for a new number first, hit or miss (``_pay_for_number``);
    ``probe_paid``: the caller has counted it already (the registry import, per row)."""
    number, paid = _ANY_NUMBER, probe_paid
    if not probe_paid:
        number, paid = _new_number_paid(actor, person, data, org_unit)
    try:
        return _person_update(
            actor=actor, person=person, data=data, org_unit=org_unit, number=number
        )
    except _Collision as clash:
        holder = _holder_of(clash.index, other_than=person.pk)
        if holder is None:  # gone since (a merge undone, a number changed): try again
            raise Conflict("该身份证号刚刚发生变动，请重新提交") from None
        raise id_collision(
            actor=actor,
            unit=clash.unit,
            holder=holder,
            name=clash.name,
            via="修改人员",
            paid=paid,
        ) from None


_ANY_NUMBER = object()  # ``_person_update``: any new number was paid for by the caller
_CHANGED_MEANWHILE = "该人员档案刚刚被他人修改，请刷新后重新提交"


def _new_number_paid(actor, person: Person, data: dict, org_unit) -> tuple[str | None, bool]:
    """The resident ID ``data`` would newly set on ``person`` (None: it keeps its own), and
    whether a probe was spent on it; read before the update's transaction, so that the
    spending (and a refusal's audit event) is not rolled back with it."""
    current = Person.objects.select_related("org_unit").get(pk=person.pk)
    grant = access.require_at(actor, "people.change", current.org_unit, view_perm="people.view")
    if "id_number" not in data:
        return None, False
    before = _snapshot(current)
    number = clean_person({**before, **data}, stored=before)["id_number"]
    if not number or number == before["id_number"]:
        return None, False
    units = [current.org_unit] + ([org_unit] if org_unit is not None else [])
    return number, _pay_for_number(actor, units, grant)


@transaction.atomic
def _person_update(
    *, actor, person: Person, data: dict, org_unit: OrgUnit | None, number
) -> Person:
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    grant = access.require_at(actor, "people.change", person.org_unit, view_perm="people.view")
    require_live(person)
    before = _snapshot(person)
    moves = org_unit is not None and org_unit.pk != person.org_unit_id
    if moves:
        access.require_move(actor, "people.change", person.org_unit, org_unit)
        _record_leaving(actor, person, org_unit, post_id=grant.post_id)
        person.org_unit = org_unit
    for field, value in clean_person({**before, **data}, stored=before).items():
        setattr(person, field, value)
    index = None
    if person.id_number and person.id_number != before["id_number"]:
        if number is not _ANY_NUMBER and person.id_number != number:
            # The record changed since the number was paid for: not this write's to test.
            raise Conflict(_CHANGED_MEANWHILE)
        index = crypto.blind_index(person.id_number, context="id_number")
        if Person.objects.filter(id_number_index=index).exclude(pk=person.pk).exists():
            raise _Collision(index, person.org_unit, person.name)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        if index is None:
            raise
        raise _Collision(index, person.org_unit, person.name) from None
    if moves:
        # The ID scans and certificates go with the record, out of the old unit's scope.
        attachments_move(owners=[person], org_unit=org_unit)
        person_moved.send(sender=Person, person=person)
    search.index_person(person)
    changes = diff(before, _snapshot(person), masked=MASKS)
    if moves:
        # Filed at the new union, whose auditors need not see the old one (a transfer
        # request's requester must never learn it): the move is [None, here]. Where from
        # is the ``people.move_out`` event's, filed at the old union; whoever may read both
        # unions' events (the union above both, the city) has the whole move.
        changes["org_unit"] = [None, person.org_unit_id]
    record(
        actor=actor, action=Action.PEOPLE_UPDATE, obj=person, post_id=grant.post_id, changes=changes
    )
    return person


def _record_leaving(actor, person: Person, to: OrgUnit, *, post_id: int | None) -> None:
    """A move's event filed at the union the person leaves: the audit log is read by scope
    (the event's unit), so without it the old union's auditors never see the record go.
    It says where to, and nothing of the record after the move."""
    record(
        actor=actor,
        action=Action.PEOPLE_MOVE_OUT,
        obj=person,
        org_unit_id=person.org_unit_id,
        post_id=post_id,
        changes={"org_unit": [person.org_unit_id, to.pk]},
    )


@transaction.atomic
def person_reveal(*, actor, person: Person, field: str) -> str:
    """The unmasked value of a protected field, for a role allowed to see it; audited."""
    if field not in PROTECTED:
        raise ValidationFailed({"field": f"{field} 不是受保护字段"})
    grant = access.require_at(actor, "people.view_pii", person.org_unit, view_perm="people.view")
    record(
        actor=actor,
        action=Action.PII_REVEAL,
        obj=person,
        post_id=grant.post_id,
        changes={"field": [None, field]},
    )
    return getattr(person, field) or ""


# --- Resident ID numbers put to the platform: look-ups and collisions ----------------------
# A mask (11**************31) beside a birth date leaves a few hundred candidates; anything
# that answers "is this number on record?" would confirm one of them (docs/privacy.md).
# Such answers go only to posts that may see full numbers anyway (look-ups), or, where one
# person one record needs them (registering, importing), are counted against one budget
# per account and audited, and never say where a record outside the post's scope is.

TRANSFER_MESSAGE = "该人员已有档案，已向上级工会提交转入申请"
THROTTLED = {
    ratelimit.MINUTE: "按身份证号查找或核对过于频繁，请一分钟后再试",
    ratelimit.DAY: "本账号今日按身份证号查找或核对的次数已达上限，请明日再试",
}


class AlreadyRegistered(Conflict):
    """The number is on a record the actor may see: say so, and which."""

    def __init__(self, person: Person):
        super().__init__("该身份证号已登记（一人一档），请打开已有档案核对")
        self.code, self.person, self.details = (
            "already_registered",
            person,
            {"person_id": person.pk},
        )


class TransferRequested(Conflict):
    """The number is on a record outside the actor's scope: a transfer request went up."""

    def __init__(self, request: TransferRequest):
        super().__init__(TRANSFER_MESSAGE)
        self.code, self.request = "transfer_requested", request
        self.details = {"transfer_request_id": request.pk}


def id_probes_spend(
    *, actor, n: int = 1, bulk: bool = False, post_id=None, org_unit_id=None, what: str = ""
) -> None:
    """Count ``n`` resident-ID probes against the actor's budget (per minute and per day;
    a file's rows, ``bulk``, against the day's alone); ``Throttled`` when over it, the first
    refusal of a window audited. ``what``: a file's probes are audited here, as one event."""
    limits = {ratelimit.DAY: settings.ID_PROBES_PER_DAY}
    if not bulk:
        limits[ratelimit.MINUTE] = settings.ID_PROBES_PER_MINUTE
    crossed = ratelimit.over(f"id-probe:{actor.pk}", limits, n=n)
    where = {"object_type": "people.person", "post_id": post_id, "org_unit_id": org_unit_id}
    if crossed is not None:
        window, first = crossed
        if first:
            with transaction.atomic():
                record(
                    actor=actor,
                    action=Action.PEOPLE_ID_PROBES_THROTTLED,
                    changes={"window": [None, window], "count": [None, n]},
                    **where,
                )
        raise Throttled(THROTTLED[window])
    if what:
        with transaction.atomic():
            record(
                actor=actor,
                action=Action.PEOPLE_ID_CHECK,
                changes={"what": [None, what], "count": [None, n]},
                **where,
            )


def person_find_by_id_number(*, actor, raw: str) -> Person | None:
    """Exact look-up by full resident ID (the web page and the API both ask here): only for
    posts allowed to see full numbers (``people.view_pii``), only within that scope, within
    the probe budget, and every attempt, found or not, audited with the number masked."""
    grant = access.home_grant(actor, "people.view_pii")
    if grant is None:
        raise Forbidden("按身份证号查找需要“查看完整身份证号”的权限")
    number = pii.normalize("id_number", raw)
    id_probes_spend(actor=actor, post_id=grant.post_id, org_unit_id=grant.unit_id)
    person = (
        access.restrict(Person.objects.select_related("org_unit"), actor, "people.view_pii")
        .filter(id_number_index=crypto.blind_index(number, context="id_number"))
        .first()
    )
    if person is not None:
        grant = access.grant_at(actor, "people.view_pii", person.org_unit)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.PEOPLE_LOOKUP,
            obj=person,
            object_type="people.person",
            org_unit_id=person.org_unit_id if person else grant.unit_id,
            post_id=grant.post_id,
            changes={
                "id_number": [None, pii.mask("id_number", number)],
                "found": [None, bool(person)],
            },
        )
    return person


def id_collision(
    *, actor, unit: OrgUnit, holder: Person, name: str, via: str, paid: bool = False
) -> DomainError:
    """The answer to a write (``via``: 登记人员, 修改人员, 导入第 N 行) into ``unit`` that met
    a resident ID already on ``holder``'s record: counted against the actor's probe budget
    and audited. A holder the actor may see is named (``AlreadyRegistered``); one outside
    their scope becomes a transfer request to the union above both (``TransferRequested``),
    and nothing says where it is. ``paid``: the write spent its probe before it was tried
    (a post that may not see full numbers pays for every number, hit or miss). Otherwise a
    post asking again for the same person is pointed to its own pending request, uncounted:
    it learns nothing new."""
    grant = access.grant_at(actor, "people.change", unit) or access.grant_at(
        actor, "people.view", unit
    )
    post_id = grant.post_id if grant else None
    mine = access.can_at(actor, "people.view", holder.org_unit)
    pending = None
    if not mine:
        pending = TransferRequest.objects.filter(
            person=holder, to_unit=unit, status=TransferRequest.Status.PENDING
        ).first()
    if not paid and (pending is None or pending.requested_by_id != actor.pk):
        try:
            id_probes_spend(actor=actor, post_id=post_id, org_unit_id=unit.pk)
        except Throttled as exc:
            return exc
    if pending is None and not mine:
        request = transfer_request_for(
            actor=actor, person=holder, to_unit=unit, name=name, reason=via
        )
        if request.requested_by_id == actor.pk:  # submitted now: its event is the audit
            return TransferRequested(request)
        pending = request
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.PEOPLE_ID_COLLISION,
            obj=holder if mine else pending,
            org_unit_id=holder.org_unit_id if mine else unit.pk,
            post_id=post_id,
            changes={"via": [None, via]},
        )
    return AlreadyRegistered(holder) if mine else TransferRequested(pending)


# --- Transfer requests (申请转入) ---------------------------------------------------------


def meeting_point(a: OrgUnit, b: OrgUnit) -> OrgUnit:
    """The lowest union above (or at) both ``a`` and ``b``: who decides a transfer."""
    common = 0
    while (
        common + SEGMENT <= min(len(a.path), len(b.path))
        and a.path[common : common + SEGMENT] == b.path[common : common + SEGMENT]
    ):
        common += SEGMENT
    return OrgUnit.objects.get(path=a.path[: max(common, SEGMENT)])


def transfer_request_for(
    *, actor, person: Person, to_unit: OrgUnit, name: str, reason: str
) -> TransferRequest:
    """The pending request to move ``person`` into ``to_unit``, submitted now if there is
    none (one pending request per person and union: a second post joins the first)."""
    pending = TransferRequest.Status.PENDING
    found = TransferRequest.objects.filter(person=person, to_unit=to_unit, status=pending)
    if not found.exists():
        try:
            return transfer_request_submit(
                actor=actor, person=person, to_unit=to_unit, name=name, reason=reason
            )
        except IntegrityError:  # another post of the union asked at the same moment
            pass
    return found.get()


@transaction.atomic
def transfer_request_submit(
    *, actor, person: Person, to_unit: OrgUnit, name: str, reason: str
) -> TransferRequest:
    """Ask the union above both places to move ``person``'s record into ``to_unit``. The
    event is filed at ``to_unit`` and names neither the record nor where it is."""
    grant = access.require_at(actor, "people.change", to_unit, view_perm="people.view")
    require_live(person)
    request = TransferRequest.objects.create(
        person=person,
        to_unit=to_unit,
        decider=meeting_point(person.org_unit, to_unit),
        requested_by=actor,
        post_id=grant.post_id,
        name=name[:60],
        reason=reason[:200],
    )
    record(
        actor=actor,
        action=Action.PEOPLE_TRANSFER_REQUEST,
        obj=request,
        org_unit_id=to_unit.pk,
        post_id=grant.post_id,
        changes={
            "to_unit": [None, to_unit.pk],
            "name": [None, request.name],
            "reason": [None, request.reason],
        },
    )
    return request


def _decide(actor, request: TransferRequest, status: str, note: str) -> tuple:
    """The request as the actor may decide it, locked: read through the list of requests
    they decide (their ``people.change`` scope holds the deciding union and their view
    scope the record), so a post anchored at the deciding union but limited to its own
    node, which never sees the record, is answered "not found", as on the pages."""
    try:
        request = (
            transfer_requests_to_decide(actor=actor, status="")
            .select_for_update(of=("self",))
            .get(pk=request.pk)
        )
    except TransferRequest.DoesNotExist:
        raise NotFound() from None
    grant = access.grant_at(actor, "people.change", request.decider)
    if request.status != TransferRequest.Status.PENDING:
        raise Conflict(f"该申请已处理（{request.get_status_display()}）")
    request.status, request.note = status, note.strip()[:200]
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "note", "decided_by", "decided_at"])
    return request, grant


def _decision_event(actor, request: TransferRequest, grant, action: Action) -> None:
    record(
        actor=actor,
        action=action,
        obj=request,
        org_unit_id=request.decider_id,
        post_id=grant.post_id,
        changes={
            "person": [None, request.person_id],
            "to_unit": [None, request.to_unit_id],
            "note": [None, request.note],
        },
    )


@transaction.atomic
def transfer_request_approve(*, actor, request: TransferRequest, note: str = "") -> TransferRequest:
    """Approve: the record moves into the requesting union (``person_update``'s move, which
    checks the actor may act at both ends), in the same transaction."""
    request, grant = _decide(actor, request, TransferRequest.Status.APPROVED, note)
    person_update(actor=actor, person=request.person, data={}, org_unit=request.to_unit)
    _decision_event(actor, request, grant, Action.PEOPLE_TRANSFER_APPROVE)
    return request


@transaction.atomic
def transfer_request_refuse(*, actor, request: TransferRequest, note: str) -> TransferRequest:
    """Refuse, saying why (the requester sees only that it was not approved)."""
    if not note.strip():
        raise ValidationFailed({"note": "请填写不同意的理由"})
    request, grant = _decide(actor, request, TransferRequest.Status.REFUSED, note)
    _decision_event(actor, request, grant, Action.PEOPLE_TRANSFER_REFUSE)
    return request


@transaction.atomic
def membership_join(*, actor, person: Person, org_unit: OrgUnit, joined_on: date) -> Membership:
    grant = access.require_at(actor, "people.change", org_unit, view_perm="people.view")
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    access.require_at(actor, "people.view", person.org_unit)
    require_live(person)
    if org_unit.level != OrgUnit.Level.GRASSROOTS:
        raise ValidationFailed({"org_unit": "会籍只能落在基层工会"})
    if joined_on > date.today():
        raise ValidationFailed({"joined_on": "入会日期不能晚于今天"})
    if Membership.objects.filter(person=person, status=Membership.Status.ACTIVE).exists():
        raise Conflict(f"{person.name} 已有在会会籍，请先办理离会或转会")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                person=person, org_unit=org_unit, joined_on=joined_on
            )
    except IntegrityError:
        raise Conflict(f"{person.name} 已有在会会籍，请先办理离会或转会") from None
    record(
        actor=actor,
        action=Action.PEOPLE_MEMBERSHIP_JOIN,
        obj=membership,
        post_id=grant.post_id,
        changes={
            "person": [None, person.pk],
            "org_unit": [None, org_unit.pk],
            "joined_on": [None, joined_on.isoformat()],
        },
    )
    return membership


@transaction.atomic
def membership_leave(*, actor, membership: Membership, left_on: date) -> Membership:
    membership = (
        Membership.objects.select_for_update().select_related("org_unit").get(pk=membership.pk)
    )
    grant = access.require_at(actor, "people.change", membership.org_unit, view_perm="people.view")
    if membership.status == Membership.Status.LEFT:
        raise Conflict("该会籍已离会")
    if left_on < membership.joined_on:
        raise ValidationFailed({"left_on": "离会日期不能早于入会日期"})
    membership.status, membership.left_on = Membership.Status.LEFT, left_on
    membership.save(update_fields=["status", "left_on"])
    record(
        actor=actor,
        action=Action.PEOPLE_MEMBERSHIP_LEAVE,
        obj=membership,
        post_id=grant.post_id,
        changes={"status": ["active", "left"], "left_on": [None, left_on.isoformat()]},
    )
    return membership
