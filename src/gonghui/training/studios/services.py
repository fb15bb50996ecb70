"""创新工作室（成员、年度成果、联盟视图）: every write.

* ``studio_register`` / ``studio_update``: a studio of an employer (``training.manage`` at
  the studio's union), led by a person of the registry, named after a model worker or
  craftsman (someone with an active honour), founded in a year not in the future.
* ``studio_accept`` / ``studio_decline``: the employer's answer to a studio the contests
  offered (``registry.services.studio_offer``): OFFERED → ACTIVE or DECLINED, once.
* ``studio_member_add`` / ``studio_member_remove``: members and apprentices (徒弟).
* ``studio_report_submit`` / ``studio_report_update``: the yearly output report
  (``training.apply`` at the studio's union), its figures checked by ``figures.check``
  (nothing written on any refusal), evidence files stored as the report's attachments; a
  RETURNED report corrected and submitted again.
* ``studio_report_review``: the district first, then the city; a return needs its reason.
  Maker-checker: the submitter never reviews (the database's trigger is the backstop) and
  nobody decides both levels of one submission.
* ``studios_export``: the directory as Excel, recorded (leaders' and model workers' names).

Each call is one transaction with its audit event."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import sheets, workdays
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_store
from gonghui.orgs import access
from gonghui.registry.models import Studio
from gonghui.registry.selectors import active_awards_of
from gonghui.training.models import StudioMember, StudioReport, StudioReview
from gonghui.training.studios import figures, selectors
from gonghui.training.studios.selectors import APPLY, MANAGE, VIEW

MAKER_CHECKER = "提交人不能审核自己提交的年度成果（审核与填报分离）"
TWICE = "您已审核过该成果的另一级，同一人不能审核两级"
MAX_EVIDENCE = 10
STUDIO_FIELDS = (
    "name",
    "kind",
    "level",
    "employer",
    "leader",
    "named_after",
    "trade",
    "founded_year",
)


def _studio_fields(actor, data: dict, *, org_unit) -> dict:
    """The studio's fields checked: every reason at once, by field."""
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写工作室名称"
    elif len(name) > 120:
        errors["name"] = "名称最长 120 字"
    if data.get("kind") not in Studio.Kind.values:
        errors["kind"] = "请选择工作室类型（职工/劳模/工匠）"
    if data.get("level") not in Studio.Level.values:
        errors["level"] = "请选择级别（市级/区级）"
    employer = data.get("employer")
    if employer is None:
        errors["employer"] = "请选择所在单位"
    elif not access.can_at(actor, MANAGE, employer.org_unit):
        errors["employer"] = "所选单位不在您的管理范围内"
    elif not access.can_at(actor, MANAGE, org_unit):
        errors["org_unit"] = "所属工会不在您的管理范围内"
    leader = data.get("leader")
    if leader is not None and leader.merged_into_id:
        errors["leader"] = "领衔人档案已合并到另一份档案，请选择保留的档案"
    named_after = data.get("named_after")
    if named_after is not None:
        if named_after.merged_into_id:
            errors["named_after"] = "命名人档案已合并到另一份档案，请选择保留的档案"
        elif not active_awards_of(named_after).exists():
            errors["named_after"] = (
                f"{named_after.name} 在荣誉库中没有有效的劳模或工匠等荣誉，不能以其命名"
            )
    trade = (data.get("trade") or "").strip()
    if len(trade) > 60:
        errors["trade"] = "专业领域最长 60 字"
    year = data.get("founded_year")
    this_year = workdays.today().year
    if year is not None and not 1950 <= year <= this_year:
        errors["founded_year"] = f"创建年份应在 1950–{this_year} 年之间（不能是未来年份）"
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "kind": data["kind"],
        "level": data["level"],
        "employer": employer,
        "leader": leader,
        "named_after": named_after,
        "trade": trade,
        "founded_year": year,
    }


def _changes(before: dict, after: dict) -> dict:
    def plain(value):
        return getattr(value, "pk", value)

    return {
        key: [plain(before.get(key)), plain(value)]
        for key, value in after.items()
        if plain(before.get(key)) != plain(value)
    }


def studio_register(
    *,
    actor,
    org_unit,
    name,
    kind,
    level,
    employer,
    leader=None,
    named_after=None,
    trade="",
    founded_year=None,
) -> Studio:
    """Register an active studio at ``org_unit`` (挂牌 by the union)."""
    with transaction.atomic():
        grant = access.require_at(actor, MANAGE, org_unit, view_perm=VIEW)
        fields = _studio_fields(
            actor,
            {
                "name": name,
                "kind": kind,
                "level": level,
                "employer": employer,
                "leader": leader,
                "named_after": named_after,
                "trade": trade,
                "founded_year": founded_year,
            },
            org_unit=org_unit,
        )
        if Studio.objects.filter(employer=employer, name=fields["name"]).exists():
            raise ValidationFailed({"name": f"{employer.name}已有同名的工作室"})
        studio = Studio.objects.create(
            org_unit=org_unit, status=Studio.Status.ACTIVE, source="工会认定", **fields
        )
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_REGISTER,
            obj=studio,
            org_unit_id=org_unit.pk,
            post_id=grant.post_id,
            changes=_changes({}, {**fields, "status": studio.status}),
        )
        return studio


def _locked(actor, studio, perm: str) -> tuple[Studio, object]:
    found = (
        Studio.objects.select_for_update()
        .select_related("org_unit", "employer")
        .filter(pk=studio.pk)
        .first()
    )
    if found is None or not access.can_at(actor, VIEW, found.org_unit):
        raise NotFound()
    return found, access.require_at(actor, perm, found.org_unit, view_perm=VIEW)


def studio_update(*, actor, studio, **data) -> Studio:
    """Change a studio's facts (``STUDIO_FIELDS``; its union stays)."""
    unknown = set(data) - set(STUDIO_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        studio, grant = _locked(actor, studio, MANAGE)
        before = {key: getattr(studio, key) for key in STUDIO_FIELDS}
        fields = _studio_fields(actor, {**before, **data}, org_unit=studio.org_unit)
        if (
            Studio.objects.filter(employer=fields["employer"], name=fields["name"])
            .exclude(pk=studio.pk)
            .exists()
        ):
            raise ValidationFailed({"name": f"{fields['employer'].name}已有同名的工作室"})
        for key, value in fields.items():
            setattr(studio, key, value)
        studio.save(update_fields=list(fields))
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_UPDATE,
            obj=studio,
            org_unit_id=studio.org_unit_id,
            post_id=grant.post_id,
            changes=_changes(before, fields),
        )
        return studio


def _answer(actor, studio, status: str, action: Action, changes: dict, note=None) -> Studio:
    studio, grant = _locked(actor, studio, MANAGE)
    if studio.status != Studio.Status.OFFERED:
        raise ValidationFailed(
            {"status": f"该工作室{studio.get_status_display()}，只有待单位确认的提名可以确认或放弃"}
        )
    before = studio.status
    studio.status = status
    for key, (_, value) in changes.items():
        setattr(studio, key, value)
    studio.save(update_fields=["status", *changes])
    record(
        actor=actor,
        action=action,
        obj=studio,
        org_unit_id=studio.org_unit_id,
        post_id=grant.post_id,
        changes={"status": [before, status], **changes, **(note or {})},
    )
    return studio


def studio_accept(*, actor, studio, level="", kind="", trade="", founded_year=None) -> Studio:
    """The employer takes up a studio the contests offered: it becomes ACTIVE (挂牌), with
    its level (required) and, if given, kind, trade and founding year."""
    with transaction.atomic():
        current = Studio.objects.filter(pk=studio.pk).first()
        if current is None:
            raise NotFound()
        errors = {}
        level = level or current.level
        if level not in Studio.Level.values:
            errors["level"] = "请选择级别（市级/区级）"
        kind = kind or current.kind
        if kind not in Studio.Kind.values:
            errors["kind"] = "请选择工作室类型"
        this_year = workdays.today().year
        founded_year = founded_year or current.founded_year or this_year
        if not 1950 <= founded_year <= this_year:
            errors["founded_year"] = f"创建年份应在 1950–{this_year} 年之间（不能是未来年份）"
        trade = (trade or current.trade or "").strip()
        if len(trade) > 60:
            errors["trade"] = "专业领域最长 60 字"
        if errors:
            access.require_at(actor, MANAGE, current.org_unit, view_perm=VIEW)
            raise ValidationFailed(errors)
        changes = {
            key: [getattr(current, key), value]
            for key, value in (
                ("level", level),
                ("kind", kind),
                ("trade", trade),
                ("founded_year", founded_year),
            )
            if getattr(current, key) != value
        }
        return _answer(actor, studio, Studio.Status.ACTIVE, Action.TRAINING_STUDIO_ACCEPT, changes)


def studio_decline(*, actor, studio, reason="") -> Studio:
    """The employer declines a studio the contests offered (the reason kept in the event)."""
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationFailed({"reason": "原因最长 200 字"})
    with transaction.atomic():
        return _answer(
            actor,
            studio,
            Studio.Status.DECLINED,
            Action.TRAINING_STUDIO_DECLINE,
            {},
            note={"reason": [None, reason]},
        )


def studio_member_add(*, actor, studio, person, role=StudioMember.Role.MEMBER, joined_on=None):
    """Add ``person`` (a registry record) to the studio as member or apprentice."""
    with transaction.atomic():
        studio, grant = _locked(actor, studio, MANAGE)
        errors = {}
        if person is None:
            errors["person"] = "请选择成员"
        elif person.merged_into_id:
            errors["person"] = "该档案已合并到另一份档案，请选择保留的档案"
        if role not in StudioMember.Role.values:
            errors["role"] = "请选择角色（成员/徒弟）"
        if joined_on is not None and joined_on > workdays.today():
            errors["joined_on"] = "加入日期不能晚于今天"
        if studio.status != Studio.Status.ACTIVE:
            errors["studio"] = "工作室尚未挂牌，不能登记成员"
        if errors:
            raise ValidationFailed(errors)
        try:
            with transaction.atomic():
                member = StudioMember.objects.create(
                    studio=studio, person=person, role=role, joined_on=joined_on
                )
        except IntegrityError:
            raise ValidationFailed({"person": f"{person.name} 已是该工作室成员"}) from None
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_MEMBER_ADD,
            obj=member,
            org_unit_id=studio.org_unit_id,
            post_id=grant.post_id,
            changes={
                "studio": [None, studio.pk],
                "person": [None, person.pk],
                "role": [None, role],
            },
        )
        return member


def studio_member_remove(*, actor, member) -> None:
    """Take a member off the studio's list."""
    with transaction.atomic():
        studio, grant = _locked(actor, member.studio, MANAGE)
        found = StudioMember.objects.filter(pk=member.pk, studio=studio).first()
        if found is None:
            raise NotFound()
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_MEMBER_REMOVE,
            obj=found,
            org_unit_id=studio.org_unit_id,
            post_id=grant.post_id,
            changes={
                "studio": [studio.pk, None],
                "person": [found.person_id, None],
                "role": [found.role, None],
            },
        )
        found.delete()


# --- Yearly output reports -------------------------------------------------------------------


def _figures(data: dict) -> figures.Figures:
    try:
        return figures.check(data, today=workdays.today())
    except figures.Refusals as exc:
        raise ValidationFailed(exc.fields) from None


def _evidence(actor, report, files, post_id) -> list[int]:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_EVIDENCE:
        raise ValidationFailed({"evidence": f"证明材料最多 {MAX_EVIDENCE} 个文件"})
    stored = []
    for upload in files:
        try:
            attachment = attachment_store(
                owner=report,
                org_unit=report.org_unit,
                upload=upload,
                actor=actor,
                post_id=post_id,
            )
        except ValidationFailed as exc:
            reason = "；".join(exc.fields.values())
            raise ValidationFailed({"evidence": f"{upload.name}：{reason}"}) from None
        stored.append(attachment.pk)
    return stored


def studio_report_submit(*, actor, studio, evidence=None, **data) -> StudioReport:
    """The studio's report of a year, submitted for the district's review. ``data``: year,
    patents (rows {number, title}), innovations, apprentices, trained, benefit and saved
    (yuan text), summary; ``evidence`` uploaded files."""
    with transaction.atomic():
        studio, grant = _locked(actor, studio, APPLY)
        found = _figures(data)
        if studio.status != Studio.Status.ACTIVE:
            raise ValidationFailed({"studio": "工作室尚未挂牌，不能填报年度成果"})
        if studio.founded_year and found.year < studio.founded_year:
            raise ValidationFailed({"year": f"年度早于工作室创建年份（{studio.founded_year}年）"})
        exists = f"该工作室{found.year}年度的成果已填报，请在原报告上修改"
        if StudioReport.objects.filter(studio=studio, year=found.year).exists():
            raise ValidationFailed({"year": exists})
        try:
            with transaction.atomic():
                report = StudioReport.objects.create(
                    studio=studio,
                    org_unit=studio.org_unit,
                    submitted_by=actor,
                    submitted_at=timezone.now(),
                    **found.fields(),
                )
        except IntegrityError:
            raise ValidationFailed({"year": exists}) from None
        files = _evidence(actor, report, evidence, grant.post_id)
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_REPORT_SUBMIT,
            obj=report,
            org_unit_id=studio.org_unit_id,
            post_id=grant.post_id,
            changes={**_changes({}, found.fields()), "evidence": [None, files]},
        )
        return report


def _locked_report(actor, report) -> StudioReport:
    found = (
        StudioReport.objects.select_for_update()
        .select_related("org_unit", "studio")
        .filter(pk=report.pk)
        .first()
    )
    if found is None or not access.can_at(actor, VIEW, found.org_unit):
        raise NotFound()
    return found


def studio_report_update(*, actor, report, evidence=None, **data) -> StudioReport:
    """Correct a RETURNED report and submit it again (the district reviews it afresh); the
    year stays. New ``evidence`` files are added to those already there."""
    with transaction.atomic():
        report = _locked_report(actor, report)
        grant = access.require_at(actor, APPLY, report.org_unit, view_perm=VIEW)
        found = _figures({**data, "year": report.year})
        if report.status != StudioReport.Status.RETURNED:
            raise ValidationFailed(
                {"status": f"该报告{report.get_status_display()}，只有退回修改的报告可以修改"}
            )
        before = {key: getattr(report, key) for key in found.fields()}
        for key, value in found.fields().items():
            setattr(report, key, value)
        report.status = StudioReport.Status.SUBMITTED
        report.submitted_by = actor
        report.submitted_at = timezone.now()
        report.save()
        files = _evidence(actor, report, evidence, grant.post_id)
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_REPORT_UPDATE,
            obj=report,
            org_unit_id=report.org_unit_id,
            post_id=grant.post_id,
            changes={
                **_changes(before, found.fields()),
                "status": [StudioReport.Status.RETURNED, report.status],
                "evidence": [None, files],
            },
        )
        return report


LEVEL_WHO = {
    StudioReview.Level.DISTRICT: "区级审核须由工作室所在区（产业）工会有审核权限的岗位作出",
    StudioReview.Level.CITY: "市级审核须由市总工会有审核权限的岗位作出，且在区级审核通过之后",
}


def studio_report_review(*, actor, report, decision, note="") -> StudioReport:
    """Decide ``report`` at the level it waits at: "approve" (district → waits for the city;
    city → APPROVED) or "return" with its reason (→ RETURNED for correction)."""
    note = (note or "").strip()
    with transaction.atomic():
        report = _locked_report(actor, report)
        level = selectors.LEVEL_OF_STATUS.get(report.status)
        if level is None:
            raise ValidationFailed(
                {"decision": f"该报告{report.get_status_display()}，当前无需审核"}
            )
        grant = selectors.reviewer_grant(actor, report, level)
        if grant is None:
            if not access.can(actor, "training.review"):
                raise Forbidden("您没有审核年度成果的权限")
            raise Forbidden(LEVEL_WHO[level])
        if actor.pk == report.submitted_by_id:
            raise ValidationFailed({"decision": MAKER_CHECKER})
        if selectors.current_reviews(report).filter(reviewer=actor).exists():
            raise ValidationFailed({"decision": TWICE})
        if decision not in StudioReview.Decision.values:
            raise ValidationFailed({"decision": "请选择通过或退回修改"})
        if decision == StudioReview.Decision.RETURN and not note:
            raise ValidationFailed({"note": "退回修改须填写原因（填报单位可见）"})
        if len(note) > 500:
            raise ValidationFailed({"note": "意见最多 500 字"})
        try:
            with transaction.atomic():
                review = StudioReview.objects.create(
                    report=report, level=level, decision=decision, note=note, reviewer=actor
                )
        except IntegrityError as exc:
            if "submitter" in str(exc):
                raise ValidationFailed({"decision": MAKER_CHECKER}) from None
            raise Conflict("该报告已有审核决定，请刷新后查看") from None
        before = report.status
        if decision == StudioReview.Decision.RETURN:
            report.status = StudioReport.Status.RETURNED
        elif level == StudioReview.Level.DISTRICT:
            report.status = StudioReport.Status.DISTRICT_OK
        else:
            report.status = StudioReport.Status.APPROVED
        report.save(update_fields=["status"])
        record(
            actor=actor,
            action=Action.TRAINING_STUDIO_REPORT_REVIEW,
            obj=report,
            org_unit_id=report.org_unit_id,
            post_id=grant.post_id,
            changes={
                "level": [None, level],
                "decision": [None, decision],
                "review": [None, review.pk],
                "note": [None, note],
                "status": [before, report.status],
            },
        )
        return report


# --- The registry's directory as Excel --------------------------------------------------------

STUDIO_HEADERS = [
    "名称", "类型", "级别", "状态", "所在单位", "所属工会", "领衔人", "命名人", "专业领域", "创建年份",
]  # fmt: skip


def studios_export(*, actor, filters: dict | None) -> bytes:
    """The studios in the actor's view scope that ``filters`` (the list's, cleaned; None when
    they did not validate: an empty sheet) select, as Excel — names of leaders and model
    workers leaving the platform, so recorded with the filters and the number of rows."""
    access.require(actor, VIEW)
    rows = (
        Studio.objects.none() if filters is None else selectors.studio_list(actor=actor, **filters)
    )
    book, ws = sheets.write_only_book("创新工作室", STUDIO_HEADERS, {1: 30, 5: 30, 6: 24})
    n = 0
    for s in rows.iterator():
        n += 1
        sheets.append(
            ws,
            [
                s.name,
                s.get_kind_display(),
                s.get_level_display(),
                s.get_status_display(),
                s.employer.name,
                s.org_unit.name,
                s.leader.name if s.leader else "",
                s.named_after.name if s.named_after else "",
                s.trade,
                s.founded_year or "",
            ],
        )
    home = access.home_grant(actor, VIEW)
    chosen = {k: getattr(v, "pk", v) for k, v in (filters or {}).items()}
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.TRAINING_STUDIOS_EXPORT,
            object_type="registry.studio",
            post_id=home.post_id if home else None,
            changes={"filters": [None, chosen], "rows": [None, n]},
        )
    return sheets.book_bytes(book)
