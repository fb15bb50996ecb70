"""Every write to people and memberships, and every unmasked view of their personal data."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from gonghui.audit.services import diff, record
from gonghui.common import pii
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.common.fields import blind_index_for
from gonghui.common.pinyin import clean_reading, reading_problem
from gonghui.files.services import attachments_move
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import PUBLIC_FIELDS, Membership, Person, Trade, Unit
from gonghui.people.selectors import person_list
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


def clean_person(data: dict) -> dict:
    """Normalise and validate a person's fields; every problem named by its field."""
    errors, out = {}, {}
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
        if raw:
            try:
                out[field] = pii.normalize(kind, raw, field=field)
            except ValidationFailed as exc:
                errors.update(exc.fields)
        else:
            out[field] = None
    out["no_id_reason"] = (data.get("no_id_reason") or "").strip()
    if not out.get("id_number") and "id_number" not in errors and not out["no_id_reason"]:
        errors["no_id_reason"] = "未填写身份证号时须说明原因（如历史档案无记录）"
    if out.get("id_number"):
        number = out["id_number"]  # valid: its birth date exists
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if out["birth_date"] and out["birth_date"] != born:
            errors["birth_date"] = f"出生日期与身份证号不一致（身份证号为 {born.isoformat()}）"
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


def _duplicate_check(person: Person) -> None:
    if person.id_number:
        clash = Person.objects.filter(
            id_number_index=blind_index_for("id_number", person.id_number)
        )
        if person.pk:
            clash = clash.exclude(pk=person.pk)
        if clash.exists():
            raise Conflict("该身份证号已登记（一人一档），请勿重复录入")


@transaction.atomic
def person_create(*, actor, org_unit: OrgUnit, data: dict) -> Person:
    grant = access.require_at(actor, "people.change", org_unit, view_perm="people.view")
    person = Person(org_unit=org_unit, **clean_person(data))
    _duplicate_check(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise Conflict("该身份证号已登记（一人一档），请勿重复录入") from None
    search.index_person(person)
    record(
        actor=actor,
        action="people.create",
        obj=person,
        post_id=grant.post_id,
        changes=diff({}, _snapshot(person), masked=MASKS),
    )
    return person


@transaction.atomic
def person_update(*, actor, person: Person, data: dict, org_unit: OrgUnit | None = None) -> Person:
    """Change a person's fields; ``org_unit`` moves the record (both ends in scope)."""
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    grant = access.require_at(actor, "people.change", person.org_unit, view_perm="people.view")
    before = _snapshot(person)
    moves = org_unit is not None and org_unit.pk != person.org_unit_id
    if moves:
        access.require_move(actor, "people.change", person.org_unit, org_unit)
        person.org_unit = org_unit
    for field, value in clean_person({**before, **data}).items():
        setattr(person, field, value)
    _duplicate_check(person)
    person.save()
    if moves:
        # The ID scans and certificates go with the record, out of the old unit's scope.
        attachments_move(owners=[person], org_unit=org_unit)
        person_moved.send(sender=Person, person=person)
    search.index_person(person)
    record(
        actor=actor,
        action="people.update",
        obj=person,
        post_id=grant.post_id,
        changes=diff(before, _snapshot(person), masked=MASKS),
    )
    return person


@transaction.atomic
def person_reveal(*, actor, person: Person, field: str) -> str:
    """The unmasked value of a protected field, for a role allowed to see it; audited."""
    if field not in PROTECTED:
        raise ValidationFailed({"field": f"{field} 不是受保护字段"})
    grant = access.require_at(actor, "people.view_pii", person.org_unit, view_perm="people.view")
    record(
        actor=actor,
        action="pii.reveal",
        obj=person,
        post_id=grant.post_id,
        changes={"field": [None, field]},
    )
    return getattr(person, field) or ""


def person_find_by_id_number(*, actor, raw: str):
    """Exact look-up by resident ID through the blind index, within scope."""
    index = blind_index_for("id_number", raw)
    return person_list(actor=actor).filter(id_number_index=index).first()


@transaction.atomic
def membership_join(*, actor, person: Person, org_unit: OrgUnit, joined_on: date) -> Membership:
    grant = access.require_at(actor, "people.change", org_unit, view_perm="people.view")
    access.require_at(actor, "people.view", person.org_unit)
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
        action="people.membership_join",
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
        action="people.membership_leave",
        obj=membership,
        post_id=grant.post_id,
        changes={"status": ["active", "left"], "left_on": [None, left_on.isoformat()]},
    )
    return membership
