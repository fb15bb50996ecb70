"""读书沙龙: every write.

* ``salon_apply``: a union (usually a grassroots one) files a salon with ``training.apply``
  there: its reading mentor (读书导师) and at least 25 distinct members with an active
  membership in the union's subtree, chosen by person or listed by resident ID number (a
  wrong line is named by its number, masked), and the grant it asks for. A rejected
  application is corrected and filed again through the same service (``salon``).
* ``salon_decide``: approve (with a grant up to the one asked for) or reject (with its
  reason), by ``training.review`` from a union ABOVE the applicant, never by the account
  that applied (the database's ``salon_maker_checker`` is the backstop).
* ``salon_members_add`` / ``salon_member_remove``: the membership changes later; an
  approved salon never drops below 25.
* ``salon_meeting_report``: an approved salon's meeting (date not in the future and within
  the salon's year, its book, attendance 1..members + the mentor) with its photos (images
  only), stored as attachments of the meeting.

Each call is one transaction with its audit event."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import crypto, money, pii, workdays
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_store, owner_rule, refuse_oversize, sniff
from gonghui.orgs import access
from gonghui.people.models import Person
from gonghui.people.services import id_probes_spend
from gonghui.training.models import Salon, SalonMeeting, SalonMember
from gonghui.training.salons import selectors
from gonghui.training.salons.selectors import MIN_MEMBERS

IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_PHOTOS = 12
MAX_ID_LINES = 500
DECIDER = "审批须由申报工会的上级工会有审批权限的岗位作出，申报工会不能审批本单位的申请"
MAKER_CHECKER = "申报人本人不能审批该申请（申报与审批分离）"

# A meeting's photos are seen by whoever may see its salon, not by every files.view post.
owner_rule(SalonMeeting, selectors.may_see_photos)


def _text(value, field: str, label: str, limit: int, errors: dict, *, required=True) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = f"请填写{label}"
    elif len(text) > limit:
        errors[field] = f"{label}最多 {limit} 字"
    return text


def _year(value, errors: dict) -> int | None:
    this_year = workdays.today().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        errors["year"] = "请填写年度（如 2026）"
        return None
    if not this_year - 1 <= year <= this_year + 1:
        errors["year"] = f"年度应在 {this_year - 1} 至 {this_year + 1} 年之间"
        return None
    return year


def _fen(value, field: str, label: str, errors: dict) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return 0
    try:
        amount = money.fen(text)
    except money.MoneyError as exc:
        errors[field] = f"{label}：{exc}"
        return None
    if amount < 0:
        errors[field] = f"{label}不能为负数"
        return None
    return amount


def _mentor(actor, mentor, errors: dict) -> Person | None:
    pk = getattr(mentor, "pk", mentor)
    if pk in (None, ""):
        errors["mentor"] = "请选择读书导师"
        return None
    found = (
        access.restrict(Person.objects.all(), actor, "people.view", self_via="user")
        .filter(pk=pk, merged_into__isnull=True)
        .first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        errors["mentor"] = "读书导师不存在或不在您的管理范围内，请重新选择"
    return found


def _pasted(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a pasted list, each with its line number."""
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1)]
    return [(n, line) for n, line in lines if line]


def _pay_for_lines(actor, org_unit, text: str) -> None:
    """Before the write's transaction: each pasted line asks whether a number belongs to a
    member here, so it counts against the actor's ID-probe budget, hit or miss, and stays
    counted when the write is refused (spent inside the transaction, a refusal would roll
    the count and its events back: an unlimited oracle). Over budget: ``Throttled`` before
    any line is answered."""
    lines = _pasted(text)
    if org_unit is None or not lines or len(lines) > MAX_ID_LINES:
        return
    grant = access.require_at(actor, "training.apply", org_unit, view_perm="training.view")
    id_probes_spend(
        actor=actor,
        n=len(lines),
        bulk=True,
        post_id=grant.post_id,
        org_unit_id=org_unit.pk,
        what="读书沙龙成员名单",
    )


def _id_lines(org_unit, text: str) -> tuple[list[Person], list[str]]:
    """The people a pasted list of resident ID numbers names (one a line), and what is wrong
    with each bad line: said by its line number and the number masked, never in full. The
    lines were paid for first (``_pay_for_lines``)."""
    lines = _pasted(text)
    if not lines:
        return [], []
    if len(lines) > MAX_ID_LINES:
        return [], [f"一次最多 {MAX_ID_LINES} 行"]
    problems: list[str] = []
    wanted: dict[str, tuple[int, str]] = {}
    for n, raw in lines:
        try:
            number = pii.normalize("id_number", raw)
        except ValidationFailed as exc:
            shown = pii.mask("id_number", raw[:18])
            problems.append(f"第 {n} 行（{shown}）：{next(iter(exc.fields.values()))}")
            continue
        index = crypto.blind_index(number, context="id_number")
        if index in wanted:
            problems.append(
                f"第 {n} 行（{pii.mask('id_number', number)}）：与第 {wanted[index][0]} 行重复"
            )
            continue
        wanted[index] = (n, number)
    found = selectors.members_by_index(org_unit, wanted)
    for index, (n, number) in wanted.items():
        if index not in found:
            problems.append(
                f"第 {n} 行（{pii.mask('id_number', number)}）：不是{org_unit.name}"
                "（含下属工会）的在会会员"
            )
    return list(found.values()), problems


def _members(org_unit, people, id_numbers: str, errors: dict) -> list[Person]:
    """The distinct members chosen (``people``: Person or pk) and listed by ID number, all
    with an active membership in ``org_unit``'s subtree."""
    pks = {int(getattr(p, "pk", p)) for p in people or () if str(getattr(p, "pk", p)).isdigit()}
    chosen = list(selectors.unit_members(org_unit).filter(pk__in=pks)) if pks else []
    if len(chosen) < len(pks):
        errors["members"] = (
            f"所选人员中有 {len(pks) - len(chosen)} 人不是{org_unit.name}（含下属工会）的在会会员"
        )
    listed, problems = _id_lines(org_unit, id_numbers)
    if problems:
        errors["id_numbers"] = "；".join(problems)
    distinct = {p.pk: p for p in [*chosen, *listed]}
    return list(distinct.values())


def _at_least(count: int, errors: dict) -> None:
    if count < MIN_MEMBERS and "members" not in errors:
        errors["members"] = f"成员不少于{MIN_MEMBERS}人，当前 {count} 人"


def salon_apply(
    *,
    actor,
    org_unit=None,
    name: str,
    year,
    theme: str = "",
    mentor,
    members=(),
    id_numbers: str = "",
    requested="",
    salon: Salon | None = None,
) -> Salon:
    """File a salon for ``org_unit`` (or correct and file again a rejected ``salon``).
    ``requested``: the grant asked for, in yuan text. Refused, nothing written, with every
    field that is wrong and why."""
    _pay_for_lines(actor, salon.org_unit if salon is not None else org_unit, id_numbers)
    with transaction.atomic():
        before = None
        if salon is not None:
            try:
                salon = (
                    Salon.objects.select_for_update().select_related("org_unit").get(pk=salon.pk)
                )
            except Salon.DoesNotExist:
                raise NotFound() from None
            org_unit = salon.org_unit
        if org_unit is None:
            raise ValidationFailed({"org_unit": "请选择申报工会"})
        grant = access.require_at(actor, "training.apply", org_unit, view_perm="training.view")
        if salon is not None:
            if salon.status != Salon.Status.REJECTED:
                raise ValidationFailed(
                    {
                        "status": f"该申请{salon.get_status_display()}，只有未批准的申请可以修改后重新申报"
                    }
                )
            before = {"status": salon.status, "members": salon.members.count()}
        errors: dict[str, str] = {}
        name = _text(name, "name", "沙龙名称", 120, errors)
        theme = _text(theme, "theme", "读书主题", 200, errors, required=False)
        year = _year(year, errors)
        person = _mentor(actor, mentor, errors)
        requested_fen = _fen(requested, "requested", "申请资助金额", errors)
        chosen = _members(org_unit, members, id_numbers, errors)
        _at_least(len(chosen), errors)
        if errors:
            raise ValidationFailed(errors)
        fields = {
            "name": name,
            "year": year,
            "theme": theme,
            "mentor": person,
            "requested_fen": requested_fen,
        }
        if salon is None:
            salon = Salon.objects.create(
                org_unit=org_unit, applied_by=actor, status=Salon.Status.APPLIED, **fields
            )
            action = Action.TRAINING_SALON_APPLY
        else:
            for key, value in fields.items():
                setattr(salon, key, value)
            salon.status, salon.grant_fen = Salon.Status.APPLIED, 0
            salon.applied_by, salon.applied_at = actor, timezone.now()
            salon.decided_by = salon.decided_at = None
            salon.save()
            SalonMember.objects.filter(salon=salon).delete()
            action = Action.TRAINING_SALON_REAPPLY
        SalonMember.objects.bulk_create(SalonMember(salon=salon, person=p) for p in chosen)
        record(
            actor=actor,
            action=action,
            obj=salon,
            post_id=grant.post_id,
            changes={
                "status": [before and before["status"], salon.status],
                "name": [None, name],
                "year": [None, year],
                "mentor": [None, person.pk],
                "members": [before and before["members"], len(chosen)],
                "requested_fen": [None, requested_fen],
                "by_id_number": [None, bool((id_numbers or "").strip())],
            },
        )
        return salon


def _decider(actor, salon: Salon):
    grant = selectors.reviewer_grant(actor, salon)
    if grant is not None:
        return grant
    if not access.can_at(actor, "training.view", salon.org_unit):
        raise NotFound()
    raise Forbidden(DECIDER)


def salon_decide(*, actor, salon: Salon, decision: str, granted="", note: str = "") -> Salon:
    """Approve (``decision`` "approve", ``granted`` in yuan text, at most what was asked;
    empty: all of it) or reject ("reject", its reason in ``note``) an application."""
    note = (note or "").strip()
    with transaction.atomic():
        try:
            salon = Salon.objects.select_for_update().select_related("org_unit").get(pk=salon.pk)
        except Salon.DoesNotExist:
            raise NotFound() from None
        grant = _decider(actor, salon)
        if salon.status != Salon.Status.APPLIED:
            raise ValidationFailed({"decision": f"该申请{salon.get_status_display()}，不能再审批"})
        if salon.applied_by_id == actor.pk:
            raise ValidationFailed({"decision": MAKER_CHECKER})
        errors: dict[str, str] = {}
        if decision not in ("approve", "reject"):
            errors["decision"] = "请选择批准或不批准"
        if len(note) > 500:
            errors["note"] = "审批意见最多 500 字"
        elif decision == "reject" and not note:
            errors["note"] = "不批准须填写原因（申报工会可见）"
        amount = 0
        if decision == "approve":
            text = str(granted or "").strip()
            amount = (
                salon.requested_fen if not text else _fen(text, "granted", "批准资助金额", errors)
            )
            if amount is not None and amount > salon.requested_fen:
                errors["granted"] = (
                    f"批准资助金额不能超过申请金额 {money.yuan(salon.requested_fen)} 元"
                )
        if errors:
            raise ValidationFailed(errors)
        salon.status = Salon.Status.APPROVED if decision == "approve" else Salon.Status.REJECTED
        salon.grant_fen = amount
        salon.decided_by, salon.decided_at, salon.decision_note = actor, timezone.now(), note
        try:
            with transaction.atomic():
                salon.save(
                    update_fields=[
                        "status",
                        "grant_fen",
                        "decided_by",
                        "decided_at",
                        "decision_note",
                    ]
                )
        except IntegrityError as exc:
            if "maker_checker" in str(exc):
                raise ValidationFailed({"decision": MAKER_CHECKER}) from None
            raise
        record(
            actor=actor,
            action=Action.TRAINING_SALON_APPROVE
            if decision == "approve"
            else Action.TRAINING_SALON_REJECT,
            obj=salon,
            post_id=grant.post_id,
            changes={
                "status": [Salon.Status.APPLIED, salon.status],
                "grant_fen": [salon.requested_fen, amount],
                "note": [None, note],
            },
        )
        return salon


def _locked_for_apply(actor, salon: Salon):
    try:
        locked = Salon.objects.select_for_update().select_related("org_unit").get(pk=salon.pk)
    except Salon.DoesNotExist:
        raise NotFound() from None
    grant = access.require_at(actor, "training.apply", locked.org_unit, view_perm="training.view")
    return locked, grant


def salon_members_add(*, actor, salon: Salon, members=(), id_numbers: str = "") -> int:
    """Add members (chosen, or listed by ID number) to a salon not yet closed; those already
    in it are left as they are. Returns how many joined."""
    _pay_for_lines(actor, salon.org_unit, id_numbers)
    with transaction.atomic():
        salon, grant = _locked_for_apply(actor, salon)
        if salon.status == Salon.Status.CLOSED:
            raise ValidationFailed({"members": "该读书沙龙已结束，不能再增加成员"})
        errors: dict[str, str] = {}
        chosen = _members(salon.org_unit, members, id_numbers, errors)
        if not chosen and not errors:
            errors["members"] = "请选择或列出要增加的成员"
        if errors:
            raise ValidationFailed(errors)
        present = set(SalonMember.objects.filter(salon=salon).values_list("person_id", flat=True))
        new = [p for p in chosen if p.pk not in present]
        SalonMember.objects.bulk_create(SalonMember(salon=salon, person=p) for p in new)
        record(
            actor=actor,
            action=Action.TRAINING_SALON_MEMBERS_ADD,
            obj=salon,
            post_id=grant.post_id,
            changes={
                "members": [len(present), len(present) + len(new)],
                "added": [None, [p.pk for p in new]],
            },
        )
        return len(new)


def salon_member_remove(*, actor, salon: Salon, person) -> Salon:
    """Take ``person`` off a salon; an approved one keeps at least 25 (the salon's row is
    locked: two removals at once are counted one after the other)."""
    with transaction.atomic():
        salon, grant = _locked_for_apply(actor, salon)
        pk = getattr(person, "pk", person)
        rows = SalonMember.objects.filter(salon=salon)
        count = rows.count()
        if not rows.filter(person_id=pk).exists():
            raise ValidationFailed({"person": "该人员不是本沙龙成员"})
        if salon.status in selectors.COUNTED and count - 1 < MIN_MEMBERS:
            raise ValidationFailed(
                {
                    "person": f"已批准的读书沙龙成员不少于{MIN_MEMBERS}人，当前 {count} 人，不能再减少"
                }
            )
        rows.filter(person_id=pk).delete()
        record(
            actor=actor,
            action=Action.TRAINING_SALON_MEMBER_REMOVE,
            obj=salon,
            post_id=grant.post_id,
            changes={"members": [count, count - 1], "removed": [pk, None]},
        )
        return salon


def _photos_checked(photos) -> list:
    """The uploads, each an image by its content (PNG or JPEG), or the reason why not."""
    photos = [p for p in photos or () if p]
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed({"photos": f"每次活动最多上传 {MAX_PHOTOS} 张照片"})
    for photo in photos:
        try:
            refuse_oversize(photo)
            head = photo.read(16)
            photo.seek(0)
            kind = sniff(photo.name, head)
        except ValidationFailed as exc:
            raise ValidationFailed(
                {"photos": f"“{photo.name}”：{next(iter(exc.fields.values()))}"}
            ) from None
        if kind not in IMAGE_TYPES:
            raise ValidationFailed({"photos": f"“{photo.name}”不是图片：照片只接受 JPG、PNG"})
    return photos


def salon_meeting_report(
    *, actor, salon: Salon, held_on, book: str, summary: str = "", attendance, photos=()
) -> SalonMeeting:
    """Report a meeting of an approved salon with its photos (PNG/JPEG)."""
    with transaction.atomic():
        salon, grant = _locked_for_apply(actor, salon)
        if salon.status != Salon.Status.APPROVED:
            raise ValidationFailed(
                {"salon": f"该读书沙龙{salon.get_status_display()}，只有已批准的沙龙可以报告活动"}
            )
        errors: dict[str, str] = {}
        book = _text(book, "book", "共读书目", 200, errors)
        summary = _text(summary, "summary", "活动内容", 4000, errors, required=False)
        today = workdays.today()
        if not isinstance(held_on, date):
            errors["held_on"] = "请填写活动日期"
        elif held_on > today:
            errors["held_on"] = "活动日期不能晚于今天"
        elif held_on.year != salon.year:
            errors["held_on"] = f"活动日期应在沙龙的年度（{salon.year}年）内"
        most = salon.members.count() + 1  # the members and the mentor
        try:
            present = int(attendance)
        except (TypeError, ValueError):
            present = None
        if present is None:
            errors["attendance"] = "请填写参加人数"
        elif not 1 <= present <= most:
            errors["attendance"] = (
                f"参加人数应在 1 至 {most} 人之间（成员 {most - 1} 人加读书导师）"
            )
        try:
            photos = _photos_checked(photos)
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if errors:
            raise ValidationFailed(errors)
        meeting = SalonMeeting.objects.create(
            salon=salon,
            held_on=held_on,
            book=book,
            summary=summary,
            attendance=present,
            reported_by=actor,
        )
        stored = [
            attachment_store(
                owner=meeting,
                org_unit=salon.org_unit,
                upload=photo,
                actor=actor,
                post_id=grant.post_id,
            ).pk
            for photo in photos
        ]
        record(
            actor=actor,
            action=Action.TRAINING_SALON_MEETING,
            obj=meeting,
            org_unit_id=salon.org_unit_id,
            post_id=grant.post_id,
            changes={
                "salon": [None, salon.pk],
                "held_on": [None, held_on.isoformat()],
                "book": [None, book],
                "attendance": [None, present],
                "photos": [None, stored],
            },
        )
        return meeting
