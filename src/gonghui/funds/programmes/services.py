"""Every write of the programmes feature: a programme and its settings, its rule as
versioned data, its budgets per node and year, a ledger correction, and a person's hardship
recognition (困难认定).

Each runs in one transaction with its event: a programme's writes in the programme's own
stream (``funds:<id>``, ``events.event``); a hardship recognition belongs to a person, not a
programme, and goes to the platform stream."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import formats, money, workdays
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.common.forms import clean_text
from gonghui.funds import ledger, rules
from gonghui.funds.events import allowed, event
from gonghui.funds.models import Budget, Hardship, LedgerEntry, Programme, RuleVersion
from gonghui.funds.programmes.selectors import hardship_union
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_contains
from gonghui.people.models import Person

FIRST_YEAR, LAST_YEAR = 2000, 2100
# The rule kind each programme kind decides with (``funds.rules``).
RULE_KIND = {
    Programme.Kind.CERTIFICATE: "certificate",
    Programme.Kind.ILLNESS: "illness",
    Programme.Kind.HARDSHIP: "fixed",
    Programme.Kind.CONDOLENCE: "fixed",
    Programme.Kind.STUDIO: "fixed",
}
ORGANISER_LEVELS = ("city", "district", "industry")
SETTINGS = ("name", "description", "levels", "entry", "opens_on", "closes_on", "is_active")


def _organiser(actor, org_unit: OrgUnit):
    """The post that allows ``funds.manage`` at a programme's organiser; else Forbidden to
    whoever sees programmes there (a district's staff see the city's), NotFound to the
    rest."""
    grant = access.grant_at(actor, "funds.manage", org_unit)
    if grant is not None:
        return grant
    if org_unit.path in access.post_ancestors(actor, "funds.view") or access.can_at(
        actor, "funds.view", org_unit
    ):
        raise Forbidden()
    raise NotFound()


def _check_settings(data: dict, errors: dict) -> dict:
    """The editable settings of a programme, cleaned; problems into ``errors``."""
    clean = dict(data)
    clean["name"] = clean_text(data.get("name"), "name", "项目名称", 120, errors)
    clean["description"] = clean_text(
        data.get("description"), "description", "项目说明", 4000, errors, required=False
    )
    levels = data.get("levels")
    if levels not in (2, 3) or isinstance(levels, bool):
        errors["levels"] = "审核层级应为 2（基层核实 → 区级审核）或 3（再经市级审批）"
    if data.get("entry") not in Programme.Entry.values:
        errors["entry"] = "请选择纳入方式：个人申请或按规则纳入"
    opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
    for field, value in (("opens_on", opens_on), ("closes_on", closes_on)):
        if value is not None and not isinstance(value, date):
            errors[field] = "日期格式不正确"
    if (
        isinstance(opens_on, date)
        and isinstance(closes_on, date)
        and closes_on < opens_on
        and "closes_on" not in errors
    ):
        errors["closes_on"] = "申请截止日期不能早于申请开始日期"
    clean["is_active"] = bool(data.get("is_active", True))
    return clean


def _rule_problems(kind: str, rule) -> dict[str, str]:
    """What is wrong with ``rule`` for a programme of ``kind``, under the field ``rule``
    (the JSON editor) with the rule's own field named in the message. Keys the rule module
    does not know (an enrolment's ``enrol``, ``amounts_by_grade``...) are left alone: the
    feature that reads them checks them."""
    if not isinstance(rule, dict):
        return {"rule": '规则应为 JSON 对象，如 {"kind": "fixed", "amount": 100000}'}
    expected = RULE_KIND[kind]
    if rule.get("kind") != expected:
        return {"rule": f"kind：本项目的规则类型应为 {expected}"}
    found = rules.problems(rule)
    if found:
        return {"rule": "；".join(f"{field}：{message}" for field, message in found.items())}
    return {}


def _settings_of(programme: Programme) -> dict:
    return {field: getattr(programme, field) for field in SETTINGS}


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# --- Programmes ------------------------------------------------------------------------------


def programme_create(
    *,
    actor,
    org_unit: OrgUnit,
    code: str,
    name: str,
    kind: str,
    rule: dict,
    entry: str = Programme.Entry.APPLY,
    levels: int = 2,
    description: str = "",
    opens_on: date | None = None,
    closes_on: date | None = None,
    is_active: bool = True,
    note: str = "",
) -> Programme:
    """A programme organised at ``org_unit`` (the city or a district), with its first rule
    version: by ``funds.manage`` there."""
    grant = _organiser(actor, org_unit)
    errors: dict[str, str] = {}
    code = (code or "").strip().lower()
    if not code:
        errors["code"] = "请填写项目代码（字母、数字、连字符）"
    elif len(code) > 40 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
        errors["code"] = "项目代码只能由字母、数字、连字符组成，不超过 40 个字符"
    if org_unit.level not in ORGANISER_LEVELS:
        errors["org_unit"] = "资助项目由市总工会或区（产业）工会设立"
    if kind not in Programme.Kind.values:
        errors["kind"] = "请选择项目类型"
    data = _check_settings(
        {
            "name": name,
            "description": description,
            "levels": levels,
            "entry": entry,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "is_active": is_active,
        },
        errors,
    )
    if "kind" not in errors:
        errors.update(_rule_problems(kind, rule))
    note = clean_text(note, "note", "规则说明", 200, errors, required=False) or "初始版本"
    if errors:
        raise ValidationFailed(errors)
    taken = ValidationFailed({"code": f"项目代码“{code}”已被使用，请换一个"})
    with transaction.atomic():
        if Programme.objects.filter(code=code).exists():
            raise taken
        try:
            with transaction.atomic():
                programme = Programme.objects.create(
                    code=code, kind=kind, org_unit=org_unit, **data
                )
        except IntegrityError:
            raise taken from None
        version = RuleVersion.objects.create(
            programme=programme, version=1, rule=rule, note=note, created_by=_user(actor)
        )
        event(
            actor,
            programme,
            Action.FUNDS_PROGRAMME_CREATE,
            changes={
                "code": [None, code],
                "kind": [None, kind],
                **{k: [None, _plain(v)] for k, v in data.items()},
                "rule_version": [None, version.version],
            },
            post_id=grant.post_id,
        )
    return programme


def programme_update(*, actor, programme: Programme, **changes) -> Programme:
    """Change a programme's settings (name, description, review levels, entry, application
    window, active): by ``funds.manage`` at its organiser. A programme with applications
    keeps its review levels (what is under review would change its path half way)."""
    grant = _organiser(actor, programme.org_unit)
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: "该项不能修改"})
    errors: dict[str, str] = {}
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        before = _settings_of(programme)
        data = _check_settings(before | changes, errors)
        if (
            "levels" not in errors
            and data["levels"] != programme.levels
            and programme.applications.filter(
                status__in=("submitted", "verified", "reviewed")
            ).exists()
        ):
            errors["levels"] = "尚有审核中的申请，不能修改审核层级"
        if errors:
            raise ValidationFailed(errors)
        diff = {k: [_plain(before[k]), _plain(data[k])] for k in SETTINGS if before[k] != data[k]}
        if not diff:
            return programme
        for field, value in data.items():
            setattr(programme, field, value)
        programme.save(update_fields=list(SETTINGS))
        event(actor, programme, Action.FUNDS_PROGRAMME_UPDATE, changes=diff, post_id=grant.post_id)
    return programme


# --- Rules -----------------------------------------------------------------------------------


def rule_change(*, actor, programme: Programme, rule, note: str) -> RuleVersion:
    """The programme's next rule version (the versions before it never change: decisions
    name the version they used). Refused with what is wrong with the rule, or when it is
    the same as the current version."""
    grant = _organiser(actor, programme.org_unit)
    errors = _rule_problems(programme.kind, rule)
    note = clean_text(note, "note", "修改说明", 200, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        current = RuleVersion.objects.filter(programme=programme).order_by("-version").first()
        if current is not None and current.rule == rule:
            raise ValidationFailed({"rule": "规则与当前版本相同，无需保存新版本"})
        number = (current.version if current else 0) + 1
        try:
            with transaction.atomic():
                version = RuleVersion.objects.create(
                    programme=programme,
                    version=number,
                    rule=rule,
                    note=note,
                    created_by=_user(actor),
                )
        except IntegrityError:
            raise Conflict("规则刚被他人修改，请刷新后在最新版本上修改") from None
        event(
            actor,
            programme,
            Action.FUNDS_RULE_CHANGE,
            obj=version,
            org_unit_id=programme.org_unit_id,
            changes={"version": [number - 1 or None, number], "note": [None, note]},
            post_id=grant.post_id,
        )
    return version


# --- Budgets ---------------------------------------------------------------------------------


def _fen(amount, field: str = "amount") -> int:
    """An amount typed in yuan (text) or given in fen (int), as fen; else ValidationFailed."""
    if isinstance(amount, str):
        try:
            return money.fen(amount)
        except money.MoneyError as exc:
            raise ValidationFailed({field: str(exc)}) from None
    try:
        return money.yuan_check(amount)
    except money.MoneyError as exc:
        raise ValidationFailed({field: str(exc)}) from None


def budget_set(*, actor, programme: Programme, org_unit: OrgUnit, year: int, amount) -> Budget:
    """Set (create or change) the programme's budget of ``org_unit`` for ``year``:
    ``amount`` in fen (int) or yuan as typed ("500,000.00"); never below what is already
    committed. By ``funds.manage`` at that node, which must be the organiser or below it."""
    grant = allowed(actor, "funds.manage", org_unit)
    errors: dict[str, str] = {}
    if not path_contains(programme.org_unit.path, org_unit.path):
        errors["org_unit"] = f"预算单位应为{programme.org_unit.name}或其下属工会"
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = f"年度应为 {FIRST_YEAR}–{LAST_YEAR} 的整数"
    try:
        fen = _fen(amount)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    else:
        if fen < 0:
            errors["amount"] = "预算金额不能为负数"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        budget = Budget.objects.filter(programme=programme, org_unit=org_unit, year=year).first()
        before = None
        if budget is None:
            try:
                with transaction.atomic():
                    budget = Budget.objects.create(
                        programme=programme, org_unit=org_unit, year=year, amount=fen
                    )
            except IntegrityError:
                raise Conflict("该预算刚被他人设定，请刷新后再改") from None
        else:
            before = budget.amount
            # Conditional: an approval committing at this moment cannot slip under it.
            changed = Budget.objects.filter(Q(pk=budget.pk) & Q(committed__lte=fen)).update(
                amount=fen
            )
            budget.refresh_from_db(fields=["amount", "committed"])
            if not changed:
                raise ValidationFailed(
                    {
                        "amount": f"预算不能低于已承诺的 {formats.yuan(budget.committed)}"
                        f"（{year}年{org_unit.name}）"
                    }
                )
            if before == fen:
                return budget
        event(
            actor,
            programme,
            Action.FUNDS_BUDGET_SET,
            obj=budget,
            changes={"year": [None, year], "amount": [before, fen]},
            post_id=grant.post_id,
        )
    return budget


# --- Ledger corrections ----------------------------------------------------------------------


def ledger_correct(*, actor, entry: LedgerEntry, note: str) -> LedgerEntry:
    """A correction of a payment or return row: its reversing row (the row itself never
    changes), with the reason. By ``funds.manage`` at the row's budget node. Commitments
    and releases are refused (``ledger.reverse``): they follow the approvals, enrolments
    and cancellations that made them."""
    budget = Budget.objects.select_related("org_unit", "programme__org_unit").get(
        pk=entry.budget_id
    )
    grant = allowed(actor, "funds.manage", budget.org_unit)
    errors: dict[str, str] = {}
    note = clean_text(note, "note", "冲正原因", 200, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        entry = LedgerEntry.objects.get(pk=entry.pk)
        try:
            with transaction.atomic():
                row = ledger.reverse(actor=actor, entry=entry, note=note)
        except IntegrityError:  # the same row reversed by someone else at the same moment
            raise ValidationFailed({"entry": "该记录刚被他人冲正"}) from None
        event(
            actor,
            budget.programme,
            Action.FUNDS_LEDGER_CORRECT,
            obj=row,
            org_unit_id=budget.org_unit_id,
            changes={
                "reverses": [None, entry.pk],
                "kind": [None, entry.kind],
                "amount": [None, row.amount],
                "note": [None, note],
            },
            post_id=grant.post_id,
        )
    return row


# --- Hardship recognition --------------------------------------------------------------------


def hardship_set(*, actor, person: Person, grade: str, since: date, note: str = "") -> Hardship:
    """Recognise a person's hardship at ``grade`` from ``since`` (ending an open
    recognition the day before): by ``funds.manage`` at the person's membership union."""
    union = hardship_union(person)
    grant = allowed(actor, "funds.manage", union)
    errors: dict[str, str] = {}
    if grade not in Hardship.Grade.values:
        errors["grade"] = "请选择困难等级：一般困难或特别困难"
    if not isinstance(since, date):
        errors["since"] = "请填写认定日期"
    elif since > workdays.today():
        errors["since"] = "认定日期不能晚于今天"
    note = clean_text(note, "note", "情况说明", 200, errors, required=False)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        current = Hardship.objects.filter(person=person, until__isnull=True).first()
        ended = None
        if current is not None:
            if since < current.since:
                raise ValidationFailed(
                    {"since": f"认定日期不能早于现有认定的日期（{current.since:%Y-%m-%d}）"}
                )
            current.until = max(current.since, since - timedelta(days=1))
            current.save(update_fields=["until"])
            ended = current
        hardship = Hardship.objects.create(
            person=person,
            org_unit=union,
            grade=grade,
            since=since,
            note=note,
            created_by=_user(actor),
        )
        changes = {
            "person": [None, person.pk],
            "grade": [ended.grade if ended else None, grade],
            "since": [None, since.isoformat()],
        }
        if ended is not None:
            changes["ended"] = [None, ended.pk]
        record(
            actor=actor,
            action=Action.FUNDS_HARDSHIP_SET,
            obj=hardship,
            org_unit_id=union.pk,
            changes=changes,
            post_id=grant.post_id,
        )
    return hardship


def hardship_end(*, actor, hardship: Hardship, until: date, note: str = "") -> Hardship:
    """End a recognition on ``until`` (no longer in hardship): by ``funds.manage`` at the
    union that recognised it."""
    grant = allowed(actor, "funds.manage", hardship.org_unit)
    errors: dict[str, str] = {}
    note = clean_text(note, "note", "说明", 200, errors, required=False)
    if not isinstance(until, date):
        errors["until"] = "请填写失效日期"
    elif until < hardship.since:
        errors["until"] = f"失效日期不能早于认定日期（{hardship.since:%Y-%m-%d}）"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        changed = Hardship.objects.filter(pk=hardship.pk, until__isnull=True).update(until=until)
        if not changed:
            raise ValidationFailed({"until": "该困难认定已终止"})
        hardship.refresh_from_db()
        record(
            actor=actor,
            action=Action.FUNDS_HARDSHIP_END,
            obj=hardship,
            changes={"until": [None, until.isoformat()], "note": [None, note or None]},
            post_id=grant.post_id,
        )
    return hardship


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
