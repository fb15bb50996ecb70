"""Nominating: a unit's draft of one of its people, its submission (推荐上报) under the quota
and the rules, withdrawal and replacement, and the save of the nominate page and the API
(the draft with its nomination form, submitted at once if asked)."""

from __future__ import annotations

import re
from datetime import date

from django.db import IntegrityError, transaction

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.formats import cn_date
from gonghui.common.workdays import today
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add
from gonghui.nominations import rules
from gonghui.nominations.models import Campaign, Nomination, Quota, Rule
from gonghui.nominations.selectors import nominating_unit
from gonghui.nominations.services._shared import (
    _acting_grant,
    _counters_release,
    _counters_take,
    _event,
    _level,
    _locked,
    _move,
    _step,
)
from gonghui.nominations.workflow import State, refusal
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.people.services import MERGED
from gonghui.registry.models import Award, Category, Honour

BRIEF_MAX, DEEDS_MAX = 500, 5000
ATTENDANCE_MAX = 100_000  # people at a deeds report meeting


def cycle_years(honour: Honour) -> int:
    """The years between two selections of ``honour`` ("每五年" -> 5, "每年" -> 1)."""
    text = honour.cycle or ""
    digits = re.search(r"\d+", text)
    if digits:
        return int(digits.group())
    numerals = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "十": 10}
    return next((n for c, n in numerals.items() if f"每{c}年" in text), 1)


def _quota_for(campaign: Campaign, unit: OrgUnit) -> Quota:
    """The quota node whose subtree holds the nominating unit (the nearest one)."""
    quotas = sorted(
        (q for q in campaign.quotas.select_related("org_unit") if q.org_unit.contains(unit)),
        key=lambda q: len(q.org_unit.path),
    )
    if not quotas:
        raise ValidationFailed({"org_unit": "本单位不在本次评选的推荐范围内（没有分配名额）"})
    return quotas[-1]


def _eligibility_errors(campaign: Campaign, person: Person) -> dict[str, str]:
    honour = campaign.honour
    errors = {}
    years = cycle_years(honour)
    held = Award.objects.filter(
        person=person,
        honour=honour,
        status=Award.Status.ACTIVE,
        year__gt=campaign.year - years,
        year__lte=campaign.year,
    ).first()
    if held:
        errors["person"] = (
            f"{person.name}已于 {held.year} 年获得“{honour.name}”，本评选周期（{honour.cycle or '每年'}）"
            "内不能重复推荐"
        )
    prerequisites = list(honour.prerequisites.all())
    if (
        prerequisites
        and not Award.objects.filter(
            person=person, honour__in=prerequisites, status=Award.Status.ACTIVE
        ).exists()
    ):
        names = "、".join(f"“{h.name}”" for h in prerequisites)
        errors["person"] = f"推荐“{honour.name}”须已获得{names}（档案中没有记录）"
    return errors


NOT_A_CANDIDATE = "没有这个人员，或不是本单位（或下级工会）的人员"


def _candidate(org_unit: OrgUnit, pk: int, *, field: str) -> Person:
    """The one check of whom ``org_unit`` may put forward: a record of its own or of its
    lower unions' people, not merged into another. Refused under ``field`` (the caller's
    name for the person), naming no one: an id outside the unit reveals nothing."""
    person = (
        Person.objects.select_related("employer")
        .filter(access.subtree_q(org_unit, via="org_unit"), pk=pk)
        .first()
    )
    if person is None:
        raise ValidationFailed({field: NOT_A_CANDIDATE})
    if person.merged_into_id:  # a redirect: the nomination would never reach the record kept
        raise ValidationFailed({field: MERGED})
    return person


@transaction.atomic
def nomination_create(
    *,
    actor,
    campaign: Campaign,
    org_unit: OrgUnit,
    person_id: int,
    field: str = "person",
    brief: str = "",
    deeds: str = "",
    categories: list[str] | None = None,
    meeting_on: date | None = None,
    meeting_attendance: int | None = None,
    meeting_result: str = "",
    replaces: Nomination | None = None,
) -> Nomination:
    """A draft nomination by a grassroots union ``org_unit`` of one of its people (the
    person ``person_id``, refused under ``field``: the caller's name for them); the rules'
    attributes (front-line, post/rank, categories) are recorded from the registry as of now.
    The materials: brief, deeds, categories and the deeds report meeting's (``meeting_on``,
    ``meeting_attendance``, ``meeting_result``)."""
    grant = access.require_at(actor, "nominations.nominate", org_unit, view_perm="nominations.view")
    person = _candidate(org_unit, person_id, field=field)
    _require_nominating(campaign)
    quota = _quota_for(campaign, org_unit)
    _require_list_open(quota)
    errors = _eligibility_errors(campaign, person)
    names = list(dict.fromkeys(categories or []))
    known = set(Category.objects.filter(name__in=names).values_list("name", flat=True))
    if unknown := [c for c in names if c not in known]:
        errors["categories"] = f"类别目录中没有：{'、'.join(unknown)}"
    errors.update(
        _material_errors(
            brief, deeds, meeting_on, meeting_attendance, meeting_result, complete=False
        )
    )
    if errors:
        raise ValidationFailed(errors)
    nomination = Nomination(
        campaign=campaign,
        person=person,
        org_unit=org_unit,
        quota=quota,
        is_front_line=person.is_front_line,
        rank=person.rank,
        post_title=person.post_title,
        employer_name=person.employer.name if person.employer_id else "",
        categories="".join(f"|{c}" for c in names) + ("|" if names else ""),
        brief=brief.strip(),
        deeds=deeds.strip(),
        meeting_on=meeting_on,
        meeting_attendance=meeting_attendance,
        meeting_result=meeting_result.strip(),
        replaces=replaces,
    )
    _require_not_excluded(nomination)
    try:
        with transaction.atomic():
            nomination.save()
    except IntegrityError:
        raise Conflict(f"{person.name}已被推荐参加本次评选") from None
    _step(nomination, "create", actor, "")
    _event(actor, Action.NOMINATIONS_CREATE, nomination, grant)
    return nomination


def _require_nominating(campaign: Campaign) -> None:
    """Nominating (a draft, or its submission) is open: the campaign in its nominating stage,
    today within its window."""
    if campaign.status != Campaign.Status.OPEN:
        raise ValidationFailed({"campaign": "评选活动不在推荐阶段"})
    if not campaign.nominate_from <= today() <= campaign.nominate_until:
        window = f"{cn_date(campaign.nominate_from)} 至 {cn_date(campaign.nominate_until)}"
        raise ValidationFailed({"campaign": f"推荐时间为 {window}"})


def _require_list_open(quota: Quota) -> None:
    """The quota node has not reported its list: a reported list takes no one more (its
    minimum shares were checked when it was reported)."""
    if quota.submitted_at:
        raise ValidationFailed(
            {
                "quota": f"{quota.org_unit.name}已于 {cn_date(quota.submitted_at)} 报送名单，"
                "不能再推荐或上报"
            }
        )


def _require_not_excluded(nomination: Nomination) -> None:
    """No exclusion rule (不得推荐) of the campaign meets the nominee, as recorded."""
    for rule in nomination.campaign.rules.filter(kind=Rule.Kind.EXCLUDED):
        if rules.matches(rule, nomination):
            raise ValidationFailed({"person": f"不符合推荐条件：{rule.label}"})


def _material_errors(brief, deeds, meeting_on, attendance, result, *, complete) -> dict:
    errors = {}
    brief, deeds = (brief or "").strip(), (deeds or "").strip()
    if len(brief) > BRIEF_MAX:
        errors["brief"] = f"简要事迹不超过 {BRIEF_MAX} 字（现 {len(brief)} 字）"
    if len(deeds) > DEEDS_MAX:
        errors["deeds"] = f"详细事迹不超过 {DEEDS_MAX} 字（现 {len(deeds)} 字）"
    if meeting_on and meeting_on > today():
        errors["meeting_on"] = "事迹报告会日期不能晚于今天"
    if attendance is not None and not 1 <= attendance <= ATTENDANCE_MAX:
        errors["meeting_attendance"] = f"参会人数应为1至{ATTENDANCE_MAX}"
    if complete:
        for field, value, label in (
            ("brief", brief, "简要事迹"),
            ("deeds", deeds, "详细事迹"),
            ("meeting_on", meeting_on, "事迹报告会日期"),
            ("meeting_attendance", attendance, "事迹报告会参会人数"),
            ("meeting_result", (result or "").strip(), "民主评议结果"),
        ):
            if not value:
                errors.setdefault(field, f"推荐上报前须填写{label}")
    return errors


@transaction.atomic
def nomination_submit(*, actor, nomination: Nomination) -> Nomination:
    """推荐上报: the materials complete (brief, deeds, the deeds report meeting, the nomination
    form attached), and a place under the quota and the at-most rules."""
    (nomination,) = _locked([nomination])
    grant = _acting_grant(actor, nomination, "nominate")
    if reason := refusal("nominate", nomination.state, _level(nomination)):
        raise Conflict(reason)
    _require_nominating(nomination.campaign)
    # Locked as node_list_submit locks it: a list being reported takes no one more.
    _require_list_open(Quota.objects.select_for_update().get(pk=nomination.quota_id))
    _require_not_excluded(nomination)  # a rule added since the draft was saved
    errors = _material_errors(
        nomination.brief,
        nomination.deeds,
        nomination.meeting_on,
        nomination.meeting_attendance,
        nomination.meeting_result,
        complete=True,
    )
    if not Attachment.objects.filter(
        content_type__app_label="nominations",
        content_type__model="nomination",
        object_id=str(nomination.pk),
    ).exists():
        errors["attachments"] = "推荐上报前须上传推荐表"
    if errors:
        raise ValidationFailed(errors)
    _counters_take(nomination)
    _move(nomination, "nominate", actor, grant)
    return nomination


@transaction.atomic
def nomination_withdraw(*, actor, nomination: Nomination, reason: str) -> Nomination:
    """撤回: by the nominating unit until the first review, with a reason; the place returns."""
    (nomination,) = _locked([nomination])
    grant = _acting_grant(actor, nomination, "withdraw")
    if refused := refusal("withdraw", nomination.state, _level(nomination)):
        raise Conflict(refused)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": "请填写撤回原因"})
    if nomination.state != State.DRAFT:
        _counters_release([nomination])
    nomination.live, nomination.reason = False, reason.strip()[:500]
    _move(nomination, "withdraw", actor, grant, reason.strip())
    return nomination


@transaction.atomic
def nomination_save(
    *,
    actor,
    campaign: Campaign,
    person_id: int,
    document=None,
    submit: bool = False,
    replaces: Nomination | None = None,
    reason: str = "",
    **materials,
) -> Nomination:
    """The nominate page's save, and the API's: the person ``person_id`` put forward in
    ``campaign`` as a draft by the actor's nominating union (``selectors.nominating_unit``),
    or with ``replaces`` in that nominee's place (withdrawn with ``reason``; the new draft
    in its unit; a nominee of another campaign is NotFound); the nomination form
    ``document`` (an uploaded file) attached where the draft is; and with ``submit`` put
    forward at once (推荐上报). All or nothing:
    a file or a submission refused leaves no draft behind (nor the file: ``files``)."""
    if replaces is not None:
        if replaces.campaign_id != campaign.pk:  # a nominee of another campaign: not here
            raise NotFound()
        replaces = nomination_withdraw(actor=actor, nomination=replaces, reason=reason)
        org_unit = replaces.org_unit
    else:
        org_unit = nominating_unit(actor=actor)
    nomination = nomination_create(
        actor=actor,
        campaign=campaign,
        org_unit=org_unit,
        person_id=person_id,
        field="person_id",
        replaces=replaces,
        **materials,
    )
    if document is not None:
        attachment_add(actor=actor, owner=nomination, org_unit=org_unit, upload=document)
    if submit:
        nomination = nomination_submit(actor=actor, nomination=nomination)
    return nomination
