"""Every write to the registry: units, honours, awards, merges. One transaction and one
audit event each; the rules of the catalogue are checked here and in the database."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from stdnum import exceptions as stdnum_exc
from stdnum.cn import uscc

from gonghui.audit.actions import Action
from gonghui.audit.services import diff, record
from gonghui.common.errors import Conflict, Forbidden, ValidationFailed
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add, attachments_move, sniff
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import Person, Unit
from gonghui.people.services import require_live
from gonghui.registry import merging
from gonghui.registry.models import Award, Category, Honour, Merge, Studio
from gonghui.registry.selectors import may_unmerge

# --- Units (collectives, employers) -----------------------------------------------------------


def clean_credit_code(raw: str, *, field: str = "credit_code") -> str:
    """A unified social credit code (GB 32100), upper-cased, or '' when none is given."""
    value = (raw or "").strip().upper().replace(" ", "")
    if not value:
        return ""
    try:
        return uscc.validate(value)
    except stdnum_exc.InvalidChecksum:
        raise ValidationFailed({field: "统一社会信用代码校验位错误"}) from None
    except stdnum_exc.ValidationError:
        raise ValidationFailed({field: "统一社会信用代码应为18位（数字与大写字母）"}) from None


@transaction.atomic
def unit_create(
    *,
    actor,
    org_unit: OrgUnit,
    name: str,
    credit_code: str = "",
    kind: str = Unit.Kind.ENTERPRISE,
    parent: Unit | None = None,
) -> Unit:
    grant = access.require_at(actor, "registry.change", org_unit, view_perm="registry.view")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "单位名称不能为空"
    if kind not in Unit.Kind.values:
        errors["kind"] = "类型应为：" + "、".join(Unit.Kind.labels)
    try:
        credit_code = clean_credit_code(credit_code)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if parent is not None and parent.org_unit_id != org_unit.pk:
        # A team or department is filed where its unit is (and moves with it).
        errors["parent"] = "班组、部门须与上级单位登记在同一工会"
    if errors:
        raise ValidationFailed(errors)
    if credit_code and Unit.objects.filter(credit_code=credit_code).exists():
        raise Conflict(f"统一社会信用代码 {credit_code} 已登记")
    employer = Unit.objects.create(
        name=name[:120], credit_code=credit_code, kind=kind, parent=parent, org_unit=org_unit
    )
    record(
        actor=actor,
        action=Action.REGISTRY_UNIT_CREATE,
        obj=employer,
        post_id=grant.post_id,
        changes={"name": [None, employer.name], "credit_code": [None, credit_code]},
    )
    return employer


def _employer_family(employer: Unit) -> list[Unit]:
    """``employer`` and the units under it (its teams and departments), level by level."""
    family, level = [employer], [employer.pk]
    while level:
        below = list(Unit.objects.filter(parent_id__in=level).select_related("org_unit"))
        family += below
        level = [u.pk for u in below]
    return family


@transaction.atomic
def unit_move(*, actor, employer: Unit, org_unit: OrgUnit, detach: bool = False) -> Unit:
    """Move ``employer`` (a unit or collective: ``people.Unit``), with its teams and
    departments, to another union node. Their collective awards and the awards' certificates
    follow, as a person's do when the person moves. A team or department is where its parent
    unit is: it moves with it, or alone once ``detach``-ed from it (a unit of its own from
    then on). Both ends, and every unit moved, in the actor's scope; the move is recorded at
    the union reached and at every union a unit of it leaves."""
    employer = (
        Unit.objects.select_for_update(of=("self",))
        .select_related("org_unit", "parent__org_unit")
        .get(pk=employer.pk)
    )
    old = employer.org_unit
    grant = access.require_at(actor, "registry.change", old, view_perm="registry.view")
    if org_unit.pk == old.pk:
        raise ValidationFailed({"org_unit": f"{employer.name}已属于{old.name}"})
    access.require_move(actor, "registry.change", old, org_unit)
    parent = employer.parent
    if parent is not None and not detach and parent.org_unit_id != org_unit.pk:
        named = (
            f"“{parent.name}”"
            if access.can_at(actor, "registry.view", parent.org_unit)
            else "上级单位"
        )
        raise ValidationFailed(
            {
                "org_unit": f"{employer.name}隶属于{named}，须随其一并移动；"
                "如已不再隶属，请选择“脱离上级单位”后移动"
            }
        )
    family = _employer_family(employer)
    if not all(access.can_at(actor, "registry.change", u.org_unit) for u in family):
        # Nothing said of what lies outside the actor's scope, not even that it exists.
        raise Forbidden("该单位不能由您移动，请联系上级工会办理")
    ids = [u.pk for u in family]
    left: dict[int, list[Unit]] = {}
    for u in family:  # level by level: each union's first unit is its topmost
        if u.org_unit_id != org_unit.pk:  # (a team left there before: it stays)
            left.setdefault(u.org_unit_id, []).append(u)
    awards = Award.objects.filter(unit_id__in=ids)
    counts = dict(
        awards.values("unit__org_unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit__org_unit_id", "n")
    )
    detached = {"parent": [parent.pk, None]} if parent is not None and detach else {}
    Unit.objects.filter(pk__in=ids).update(org_unit=org_unit)
    if detached:
        Unit.objects.filter(pk=employer.pk).update(parent=None)
    _file_awards(awards, org_unit)
    for where, employers in left.items():
        # Each union left sees its units go (an auditor reads the events filed at it).
        record(
            actor=actor,
            action=Action.REGISTRY_UNIT_MOVE_OUT,
            obj=employers[0],
            org_unit_id=where,
            post_id=access.grant_at(actor, "registry.change", employers[0].org_unit).post_id,
            changes={
                "org_unit": [where, org_unit.pk],
                "units": [None, len(employers)],
                "awards": [None, counts.get(where, 0)],
            }
            | (detached if employers[0] is employer else {}),
        )
    record(
        actor=actor,
        action=Action.REGISTRY_UNIT_MOVE,
        obj=employer,
        org_unit_id=org_unit.pk,
        post_id=grant.post_id,
        changes={
            "org_unit": [old.pk, org_unit.pk],
            "units": [None, len(ids)],
            "awards": [None, sum(counts.values())],
        }
        | detached,
    )
    employer.org_unit = org_unit
    if detached:
        employer.parent = None
    return employer


# --- The honour catalogue ---------------------------------------------------------------------


@transaction.atomic
def honour_create(
    *,
    actor,
    code: str,
    name: str,
    level: str,
    subject: str,
    conferred_by: str,
    conferring_unit: OrgUnit,
    first_year: int,
    cycle: str = "",
    is_title: bool = False,
) -> Honour:
    """Staff add honours (e.g. a new district title) at their own level."""
    grant = access.require_at(
        actor, "registry.catalogue", conferring_unit, view_perm="registry.view"
    )
    errors = {}
    if not (name or "").strip():
        errors["name"] = "荣誉名称不能为空"
    elif Honour.objects.filter(name=name.strip()).exists():
        errors["name"] = f"荣誉“{name}”已在目录中"
    if level not in Honour.Level.values:
        errors["level"] = "级别应为：全国、市级、区级"
    if subject not in Honour.Subject.values:
        errors["subject"] = "授予对象应为：个人、集体"
    if Honour.objects.filter(code=code).exists():
        errors["code"] = f"代码 {code} 已被使用"
    if level == Honour.Level.DISTRICT and conferring_unit.depth != 1:
        errors["conferring_unit"] = "区级荣誉由区（产业）工会管理"
    elif level in (Honour.Level.NATIONAL, Honour.Level.CITY) and conferring_unit.parent_id:
        errors["conferring_unit"] = "全国和市级荣誉由市总工会管理"
    if not 1949 <= int(first_year or 0) <= date.today().year:
        errors["first_year"] = f"首次授予年份应在 1949 至 {date.today().year} 之间"
    if errors:
        raise ValidationFailed(errors)
    honour = Honour.objects.create(
        code=code,
        name=name.strip(),
        level=level,
        subject=subject,
        conferred_by=conferred_by,
        conferring_unit=conferring_unit,
        first_year=first_year,
        cycle=cycle,
        is_title=is_title,
    )
    record(
        actor=actor,
        action=Action.REGISTRY_HONOUR_CREATE,
        obj=honour,
        org_unit_id=conferring_unit.pk,
        post_id=grant.post_id,
        changes={"name": [None, honour.name], "level": [None, level]},
    )
    return honour


# --- Awards ---------------------------------------------------------------------------------


def _award_snapshot(award: Award) -> dict:
    return {
        "honour": award.honour_id,
        "person": award.person_id,
        "unit": award.unit_id,
        "year": award.year,
        "batch": award.batch,
        "status": award.status,
        "categories": sorted(c.code for c in award.categories.all()) if award.pk else [],
        "deeds_chars": len(award.deeds),
    }


def award_rule_errors(honour: Honour, *, to_person: bool, year) -> dict[str, str]:
    """The rules of one award that need no database: who the honour is for, and a year
    between its first conferral and this year. Field -> reason."""
    errors = {}
    if honour.subject == Honour.Subject.COLLECTIVE and to_person:
        errors["holder"] = f"“{honour.name}”授予集体，不能授予个人"
    elif honour.subject == Honour.Subject.INDIVIDUAL and not to_person:
        errors["holder"] = f"“{honour.name}”授予个人，不能授予集体"
    if not isinstance(year, int) or year < honour.first_year:
        errors["year"] = f"“{honour.name}”自 {honour.first_year} 年起授予，年份不能早于此"
    elif year > date.today().year:
        errors["year"] = "年份不能晚于今年"
    return errors


def check_award(
    *,
    honour: Honour,
    person: Person | None,
    collective: Unit | None,
    year: int,
    exclude_pk: int | None = None,
) -> None:
    """The catalogue's rules for one award; each broken rule named by its field."""
    if (person is None) == (collective is None):
        raise ValidationFailed({"holder": "授予对象须为一名人员或一个集体"})
    errors = award_rule_errors(honour, to_person=person is not None, year=year)
    holder = person or collective
    if (
        honour.level == Honour.Level.DISTRICT
        and "holder" not in errors
        and not honour.conferring_unit.contains(holder.org_unit)
    ):
        errors["holder"] = (
            f"“{honour.name}”是{honour.conferring_unit.name}的称号，只能授予本区人员或集体"
        )
    if errors:
        raise ValidationFailed(errors)
    same = Award.objects.filter(honour=honour, year=year, person=person, unit=collective)
    if exclude_pk:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationFailed({"year": f"该对象已于 {year} 年获得“{honour.name}”（重复授予）"})
    required = list(honour.prerequisites.all())
    if required and person is not None:
        held = Award.objects.filter(
            person=person, honour__in=required, year__lte=year, status=Award.Status.ACTIVE
        )
        if not held.exists():
            names = "、".join(h.name for h in required)
            raise ValidationFailed({"honour": f"获得“{honour.name}”须先获得以下荣誉之一：{names}"})


def _holder_org_unit(person: Person | None, collective: Unit | None) -> OrgUnit:
    return (person or collective).org_unit


@transaction.atomic
def award_create(
    *,
    actor,
    honour: Honour,
    person: Person | None = None,
    unit: Unit | None = None,
    year: int,
    batch: str = "",
    categories: list[Category] | None = None,
    deeds: str = "",
    document=None,
) -> Award:
    """Give ``honour`` to a person or a collective (``unit``, as the award names it). Only
    posts at the honour's conferring level may (district staff cannot give a city honour);
    the holder must be in scope. ``document`` (an uploaded certificate or decision,
    optional) is attached to the award in the same transaction
    (``files.services.attachment_add``): a file refused leaves no award."""
    grant = access.require_at(
        actor, "registry.award", honour.conferring_unit, view_perm="registry.view"
    )
    holder_org_unit = _holder_org_unit(person, unit) if (person or unit) else None
    if holder_org_unit is not None:
        access.require_at(actor, "registry.view", holder_org_unit)
    if person is not None and person.merged_into_id:
        raise ValidationFailed({"holder": "该人员档案已合并，请在保留的档案上授予"})
    check_award(honour=honour, person=person, collective=unit, year=year)
    if len(deeds or "") > 5000:
        raise ValidationFailed({"deeds": "事迹最长 5000 字"})
    try:
        with transaction.atomic():
            award = Award.objects.create(
                honour=honour,
                person=person,
                unit=unit,
                org_unit=holder_org_unit,
                year=year,
                batch=(batch or "").strip()[:40],
                deeds=deeds or "",
            )
    except IntegrityError:
        raise ValidationFailed(
            {"year": f"该对象已于 {year} 年获得“{honour.name}”（重复授予）"}
        ) from None
    if categories:
        award.categories.set(categories)
    if person is not None:
        search.index_person(person)
    record(
        actor=actor,
        action=Action.REGISTRY_AWARD_CREATE,
        obj=award,
        post_id=grant.post_id,
        changes=diff({}, _award_snapshot(award)),
    )
    if document is not None:
        award_document_add(actor=actor, award=award, upload=document)
    return award


@transaction.atomic
def award_document_add(*, actor, award: Award, upload) -> Attachment:
    """Attach ``upload`` (a certificate or decision) to ``award``, filed at the holder's
    unit (``files.services.attachment_add``: its check and its ``files.add`` event)."""
    return attachment_add(actor=actor, owner=award, org_unit=award.org_unit, upload=upload)


@transaction.atomic
def award_update(
    *,
    actor,
    award: Award,
    year: int | None = None,
    batch: str | None = None,
    categories: list[Category] | None = None,
    deeds: str | None = None,
) -> Award:
    award = Award.objects.select_for_update().select_related("honour").get(pk=award.pk)
    grant = access.require_at(
        actor, "registry.award", award.honour.conferring_unit, view_perm="registry.view"
    )
    before = _award_snapshot(award)
    if year is not None and year != award.year:
        check_award(
            honour=award.honour,
            person=award.person,
            collective=award.unit,
            year=year,
            exclude_pk=award.pk,
        )
        award.year = year
    if batch is not None:
        award.batch = batch.strip()[:40]
    if deeds is not None:
        if len(deeds) > 5000:
            raise ValidationFailed({"deeds": "事迹最长 5000 字"})
        award.deeds = deeds
    award.save()
    if categories is not None:
        award.categories.set(categories)
    record(
        actor=actor,
        action=Action.REGISTRY_AWARD_UPDATE,
        obj=award,
        post_id=grant.post_id,
        changes=diff(before, _award_snapshot(award)),
    )
    return award


@transaction.atomic
def award_revoke(*, actor, award: Award, reason: str, on: date | None = None) -> Award:
    award = Award.objects.select_for_update().select_related("honour").get(pk=award.pk)
    grant = access.require_at(
        actor, "registry.award", award.honour.conferring_unit, view_perm="registry.view"
    )
    if award.status == Award.Status.REVOKED:
        raise Conflict("该授予记录已撤销")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "撤销须写明原因"})
    award.status, award.revoked_reason = Award.Status.REVOKED, reason[:200]
    award.revoked_on = on or timezone.localdate()
    award.save(update_fields=["status", "revoked_reason", "revoked_on"])
    record(
        actor=actor,
        action=Action.REGISTRY_AWARD_REVOKE,
        obj=award,
        post_id=grant.post_id,
        changes={"status": ["active", "revoked"], "reason": [None, award.revoked_reason]},
    )
    return award


# --- Portrait and micro-video (shown on the honour wall only with consent) ----------------


@transaction.atomic
def person_media_set(*, actor, person: Person, portrait=None, video_url: str | None = None):
    """Set a person's portrait (an uploaded PNG/JPEG, through the attachment layer) and/or
    micro-video link (https only)."""
    person = Person.objects.select_for_update().select_related("org_unit").get(pk=person.pk)
    grant = access.require_at(actor, "registry.change", person.org_unit, view_perm="registry.view")
    require_live(person)
    changes = {}
    if portrait is not None:
        head = portrait.read(16)
        portrait.seek(0)
        try:
            is_image = sniff(portrait.name, head).startswith("image/")
        except ValidationFailed:
            is_image = False
        if not is_image:  # checked before anything is stored
            raise ValidationFailed({"portrait": "照片须为 PNG 或 JPEG 图片"})
        attachment = attachment_add(
            actor=actor, owner=person, org_unit=person.org_unit, upload=portrait
        )
        changes["portrait"] = [person.portrait_id, attachment.pk]
        person.portrait = attachment
    if video_url is not None:
        video_url = video_url.strip()
        if video_url and not video_url.startswith("https://"):
            raise ValidationFailed({"video_url": "视频链接须以 https:// 开头"})
        changes["video_url"] = [person.video_url, video_url]
        person.video_url = video_url[:200]
    person.save(update_fields=["portrait", "video_url"])
    record(
        actor=actor,
        action=Action.REGISTRY_MEDIA_SET,
        obj=person,
        post_id=grant.post_id,
        changes=changes,
    )
    return person


# --- One person, one record -----------------------------------------------------------------


def _file_awards(awards, org_unit: OrgUnit) -> None:
    """File ``awards`` and their documents (certificates) at ``org_unit``, their holder's
    union: a document is read in the scope of the union it is filed at, so it goes where its
    holder goes."""
    awards.exclude(org_unit_id=org_unit.pk).update(org_unit_id=org_unit.pk)
    attachments_move(owners=awards, org_unit=org_unit)


def awards_follow(person: Person) -> None:
    """File ``person``'s awards where the person is, as the person moves or records merge."""
    _file_awards(Award.objects.filter(person=person), person.org_unit)


def _carry_awards(*, survivor, loser, actor) -> dict:
    awards = Award.objects.filter(person=loser)
    ids = sorted(awards.values_list("pk", flat=True))
    awards.update(person=survivor)
    awards_follow(survivor)
    return {"ids": ids}


def _restore_awards(*, survivor, loser, actor, moved) -> None:
    Award.objects.filter(pk__in=moved["ids"]).update(person=loser)
    awards_follow(loser)


def _award_blockers(*, survivor, loser, actor) -> list[str]:
    held = set(Award.objects.filter(person=survivor).values_list("honour_id", "year"))
    same = [
        f"{year}年“{name}”"
        for honour, year, name in Award.objects.filter(person=loser)
        .values_list("honour_id", "year", "honour__name")
        .order_by("year", "honour_id")
        if (honour, year) in held
    ]
    if same:
        return [f"两份档案都有{'、'.join(same)}的授予记录，请先核对并撤销其中一条"]
    return []


merging.carrier(
    key="awards",
    label="荣誉授予记录（含证书）",
    fields=("registry.Award.person",),
    carry=_carry_awards,
    restore=_restore_awards,
    blockers=_award_blockers,
)


def _locked_pair(first: Person, second: Person) -> tuple[Person, Person]:
    """The two records, locked in primary-key order (two merges of the same pair, either
    way round, cannot deadlock: the second waits, then finds the first done)."""
    rows = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
    }
    return rows[first.pk], rows[second.pk]


@transaction.atomic
def person_merge(*, actor, survivor: Person, loser: Person) -> Merge:
    """Carry everything of ``loser`` to ``survivor`` (every kind of row that refers to a
    person: see ``merging``); the loser stays as a redirect. Refused, naming what to resolve
    first, when the two records hold what one person cannot (two live service cards, two
    live nominations in one campaign, the same honour twice). Undone by ``merge_reverse``."""
    if survivor.pk == loser.pk:
        raise Conflict("只能合并两份不同且未被合并的档案")
    survivor, loser = _locked_pair(survivor, loser)
    grant = access.require_at(
        actor, "registry.change", survivor.org_unit, view_perm="registry.view"
    )
    there = access.require_at(actor, "registry.change", loser.org_unit, view_perm="registry.view")
    if loser.merged_into_id or survivor.merged_into_id:
        raise Conflict("只能合并两份不同且未被合并的档案")
    if reasons := merging.blockers(survivor=survivor, loser=loser, actor=actor):
        raise Conflict("合并前请先处理：" + "；".join(reasons))
    moved = merging.carry(survivor=survivor, loser=loser, actor=actor)
    Person.objects.filter(pk=loser.pk).update(merged_into=survivor)
    merge = Merge.objects.create(survivor=survivor, loser=loser, moved=moved, merged_by=actor)
    search.index_person(survivor)
    search.drop_person(loser)
    record(
        actor=actor,
        action=Action.REGISTRY_MERGE,
        obj=survivor,
        post_id=grant.post_id,
        changes={"loser": [None, loser.pk], "merge": [None, merge.pk]}
        | {key: [None, n] for key, n in merging.counts(moved).items()},
    )
    _record_merge_out(actor, merge, loser, survivor, post_id=there.post_id)
    return merge


def _record_merge_out(actor, merge: Merge, loser, survivor, *, post_id, undo=False) -> None:
    """A merge (or its undo) filed at the loser's union as well, when it is not the
    survivor's: the audit log is read by scope (the event's org unit), so without it the
    loser's auditors never see their record merged away, nor back (as people.move_out)."""
    if loser.org_unit_id == survivor.org_unit_id:
        return
    record(
        actor=actor,
        action=Action.REGISTRY_MERGE_OUT_REVERSE if undo else Action.REGISTRY_MERGE_OUT,
        obj=loser,
        org_unit_id=loser.org_unit_id,
        post_id=post_id,
        changes={
            "merged_into": [survivor.pk, None] if undo else [None, survivor.pk],
            "merge": [merge.pk, None] if undo else [None, merge.pk],
        },
    )


@transaction.atomic
def merge_reverse(*, actor, merge: Merge) -> Merge:
    """Undo a merge as a whole (city administrators): every row it carried goes back, the
    loser stands again. A survivor merged on since must be separated first."""
    if not may_unmerge(actor):
        raise Forbidden("只有市总工会管理员可以撤销合并")
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.reversed_at:
        raise Conflict("该合并已撤销")
    survivor, loser = _locked_pair(merge.survivor, merge.loser)
    if survivor.merged_into_id:
        raise Conflict(f"本档案之后又被合并到档案 {survivor.merged_into_id}，请先撤销那次合并")
    merging.restore(survivor=survivor, loser=loser, actor=actor, moved=merge.moved)
    Person.objects.filter(pk=loser.pk).update(merged_into=None)
    merge.reversed_at = timezone.now()
    merge.save(update_fields=["reversed_at"])
    search.index_person(Person.objects.get(pk=survivor.pk))
    search.index_person(Person.objects.get(pk=loser.pk))
    grant = access.grant_at(actor, "registry.unmerge", survivor.org_unit)  # the city's post
    record(
        actor=actor,
        action=Action.REGISTRY_MERGE_REVERSE,
        obj=survivor,
        post_id=grant.post_id,
        changes={"loser": [loser.pk, None], "merge": [merge.pk, None]}
        | {key: [n, 0] for key, n in merging.counts(merge.moved).items()},
    )
    _record_merge_out(actor, merge, loser, survivor, post_id=grant.post_id, undo=True)
    return merge


def registry_export_start(*, actor, filters):
    """Queue the export of a search (``filters``, already checked: a bad one is refused by
    the form before any job is made) as a background job: the request returns at once and
    the job's page follows the export and then offers the file (``excel.registry_export``,
    run on the worker with the same rights, masked, audited). Refused (not found) without
    the export permission."""
    from dataclasses import asdict

    from gonghui.jobs.services import export_start, home_unit
    from gonghui.registry.tasks import registry_export_task

    return export_start(
        actor=actor,
        kind="registry.export",
        title="导出档案",
        org_unit=home_unit(actor, "registry.export"),
        params=asdict(filters),
        task=registry_export_task,
    )


def dictionary_start(*, actor, honour: Honour):
    """Queue the Word book of the model-worker dictionary of ``honour`` over the actor's
    scope as a background job (``registry.dictionary``; the job's page offers the file)."""
    from gonghui.jobs.services import export_start, home_unit
    from gonghui.registry.dictionary import title_of
    from gonghui.registry.tasks import dictionary_task

    return export_start(
        actor=actor,
        kind="registry.dictionary",
        title=f"{title_of(honour)}（Word）",
        org_unit=home_unit(actor, "registry.view"),
        params={"honour": honour.pk},
        task=dictionary_task,
    )


def registry_import_start(*, actor, data: bytes, filename: str):
    """Queue a registry workbook import as a background job at the importer's post."""
    from gonghui.jobs.services import import_start
    from gonghui.registry.tasks import registry_import_task

    return import_start(
        actor=actor,
        perm="registry.change",
        kind="registry.import",
        title=f"导入档案：{filename}",
        data=data,
        filename=filename,
        suffixes=(".xlsx",),
        task=registry_import_task,
    )


# --- Craftsman innovation studios (工匠创新工作室) --------------------------------------------


@transaction.atomic
def studio_offer(
    *,
    actor,
    employer: Unit,
    leader: Person | None,
    org_unit: OrgUnit,
    source: str,
    grant_fen_per_year: int,
    grant_years: int,
) -> Studio | None:
    """Offer a craftsman innovation studio to ``employer`` (led by ``leader``, e.g. a title
    winner of a skills contest), filed at ``org_unit``, with its yearly grant (fen) for
    ``grant_years`` years; it waits for the unit's answer (``offered``). Needs
    ``registry.award`` at ``org_unit``. An employer with a studio offered or active gets no
    second one: None, nothing written."""
    grant = access.require_at(actor, "registry.award", org_unit, view_perm="registry.view")
    errors = {}
    source = (source or "").strip()
    if len(source) > 200:
        errors["source"] = "来源最长 200 字"
    if isinstance(grant_fen_per_year, bool) or not isinstance(grant_fen_per_year, int):
        errors["grant_fen_per_year"] = "每年资助应为整数（分）"
    elif grant_fen_per_year < 0:
        errors["grant_fen_per_year"] = "每年资助不能为负数"
    if isinstance(grant_years, bool) or not isinstance(grant_years, int):
        errors["grant_years"] = "资助年数应为整数"
    elif not 0 <= grant_years <= 50:
        errors["grant_years"] = "资助年数应在 0–50 之间"
    if errors:
        raise ValidationFailed(errors)
    Unit.objects.select_for_update().filter(pk=employer.pk).first()  # one offer at a time
    if Studio.objects.filter(employer=employer).exclude(status=Studio.Status.DECLINED).exists():
        return None
    name = f"{leader.name if leader is not None else employer.name}工匠创新工作室"
    studio = Studio.objects.create(
        name=name[:120],
        employer=employer,
        leader=leader,
        org_unit=org_unit,
        status=Studio.Status.OFFERED,
        source=source,
        grant_fen_per_year=grant_fen_per_year,
        grant_years=grant_years,
    )
    record(
        actor=actor,
        action=Action.REGISTRY_STUDIO_OFFER,
        obj=studio,
        org_unit_id=org_unit.pk,
        post_id=grant.post_id,
        changes={
            "name": [None, studio.name],
            "employer": [None, employer.pk],
            "leader": [None, leader.pk if leader is not None else None],
            "source": [None, source],
            "grant_fen_per_year": [None, grant_fen_per_year],
            "grant_years": [None, grant_years],
        },
    )
    return studio
