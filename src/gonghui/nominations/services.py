"""Every write of a campaign: set-up, nominations, notices, reviews, objections, approval.

Each transition of ``workflow.TRANSITIONS`` is checked here for role and scope (at the level
the workflow names), for the time rules (a notice's next step waits for it to close) and
for blocking objections, in one transaction with its audit events. A batch action is one
transaction: one refusal and nothing changes."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import pii, ratelimit
from gonghui.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
)
from gonghui.common.formats import cn_date
from gonghui.common.models import CalendarDay, CalendarYear
from gonghui.common.workdays import add_workdays, end_of_day, today
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_store
from gonghui.nominations import rules as rulebook
from gonghui.nominations.models import (
    CLEARANCE_DEPARTMENTS,
    DEFAULT_NOTICE_FIELDS,
    NOTICE_FIELDS,
    Campaign,
    Nomination,
    Notice,
    Objection,
    Quota,
    Rule,
    RuleCounter,
    Step,
)
from gonghui.nominations.workflow import (
    AFTER_NOTICE,
    CITY,
    NODE,
    NOTICE_OF,
    TRANSITIONS,
    UNIT,
    State,
    refusal,
)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.people.services import MERGED
from gonghui.registry.models import Award, Category, Honour
from gonghui.registry.services import award_create

BRIEF_MAX, DEEDS_MAX = 500, 5000
QUOTA_MAX = 10_000  # places for one node: far above any real quota, well inside the columns
ATTENDANCE_MAX = 100_000  # people at a deeds report meeting
UNLIMITED = 2**31 - 1  # an at-least rule's counter counts without a ceiling
OBJECTION_LIMIT = 5  # filings per source per hour
LOOKUP_LIMIT = 60  # reference look-ups per source per hour
STREAM = "nominations"


# --- Campaigns, quotas, rules ------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor,
    honour: Honour,
    year: int,
    nominate_from: date,
    nominate_until: date,
    name: str = "",
    org_unit: OrgUnit | None = None,
    notice_days: int = 5,
    notice_calendar_days: bool = False,
    notice_fields: list[str] | None = None,
    objection_contact: str = "",
    clearance_departments: list[str] | None = None,
) -> Campaign:
    conferring = honour.conferring_unit
    if org_unit is not None and org_unit.pk != conferring.pk:
        # The union that confers the honour runs its selection (its stages follow its level).
        raise ValidationFailed({"org_unit": f"“{honour.name}”的评选由{conferring.name}组织"})
    org_unit = conferring
    grant = access.require_at(actor, "nominations.manage", org_unit)
    fields = list(dict.fromkeys(notice_fields or DEFAULT_NOTICE_FIELDS))
    errors = {}
    if nominate_until < nominate_from:
        errors["nominate_until"] = "推荐截止日期不能早于开始日期"
    if not 1 <= notice_days <= 30:
        errors["notice_days"] = "公示期应为1至30天"
    if bad := [f for f in fields if f not in NOTICE_FIELDS]:
        errors["notice_fields"] = f"公示内容不能包含：{'、'.join(bad)}"
    if year < honour.first_year:
        errors["year"] = f"“{honour.name}”自 {honour.first_year} 年起评选"
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                honour=honour,
                year=year,
                name=name.strip() or f"{year}年{honour.name}评选",
                org_unit=org_unit,
                nominate_from=nominate_from,
                nominate_until=nominate_until,
                notice_days=notice_days,
                notice_calendar_days=notice_calendar_days,
                notice_fields=fields,
                objection_contact=objection_contact.strip(),
                clearance_departments=list(clearance_departments or CLEARANCE_DEPARTMENTS),
            )
    except IntegrityError:
        raise Conflict(f"{year}年已有“{honour.name}”的评选活动") from None
    record(
        actor=actor,
        action=Action.NOMINATIONS_CAMPAIGN_CREATE,
        obj=campaign,
        org_unit_id=org_unit.pk,
        post_id=grant.post_id,
        stream=STREAM,
    )
    return campaign


def _manage(actor, campaign: Campaign):
    return access.require_at(
        actor, "nominations.manage", campaign.org_unit, view_perm="nominations.view"
    )


@transaction.atomic
def quota_set(*, actor, campaign: Campaign, org_unit: OrgUnit, allowed: int) -> Quota:
    """Give a node (with its subtree) ``allowed`` places; never below the places in use."""
    grant = _manage(actor, campaign)
    if not campaign.org_unit.contains(org_unit) or org_unit == campaign.org_unit:
        raise ValidationFailed({"org_unit": "推荐单位应为组织单位的下级工会"})
    if not 0 <= allowed <= QUOTA_MAX:
        raise ValidationFailed({"allowed": f"名额应为0至{QUOTA_MAX}"})
    _counters_lock(campaign)  # before the quota's own row: two edits queue, never deadlock
    quota, _ = Quota.objects.get_or_create(
        campaign=campaign, org_unit=org_unit, defaults={"allowed": allowed}
    )
    if allowed < quota.used:
        raise ValidationFailed({"allowed": f"已推荐 {quota.used} 人，名额不能少于此数"})
    before = quota.allowed
    quota.allowed = allowed
    quota.save(update_fields=["allowed"])
    counters_rebuild(campaign)
    record(
        actor=actor,
        action=Action.NOMINATIONS_QUOTA_SET,
        obj=quota,
        org_unit_id=org_unit.pk,
        changes={"allowed": [before, allowed]},
        post_id=grant.post_id,
        stream=STREAM,
    )
    return quota


@transaction.atomic
def rule_add(
    *,
    actor,
    campaign: Campaign,
    kind: str,
    attribute: str,
    value: str = "",
    percent: int = 0,
    per_node: bool = False,
) -> Rule:
    grant = _manage(actor, campaign)
    errors = {}
    if attribute == Rule.Attribute.RANK:  # the Chinese label is accepted too
        value = {str(label): code for code, label in Person.Rank.choices}.get(value, value)
    if kind not in Rule.Kind.values:
        errors["kind"] = "规则应为：" + "、".join(Rule.Kind.labels)
    if attribute not in Rule.Attribute.values:
        errors["attribute"] = "条件应为：" + "、".join(Rule.Attribute.labels)
    if attribute == Rule.Attribute.RANK and value not in Person.Rank.values:
        errors["value"] = "岗位类别应为：" + "、".join(Person.Rank.labels)
    if attribute == Rule.Attribute.CATEGORY and not Category.objects.filter(name=value).exists():
        errors["value"] = f"类别目录中没有“{value}”"
    if kind != Rule.Kind.EXCLUDED and not 0 < percent <= 100:
        errors["percent"] = "比例应在1%至100%之间"
    if errors:
        raise ValidationFailed(errors)
    rule = Rule.objects.create(
        campaign=campaign,
        kind=kind,
        attribute=attribute,
        value=value if attribute != Rule.Attribute.FRONT_LINE else "",
        percent=percent if kind != Rule.Kind.EXCLUDED else 0,
        per_node=per_node,
    )
    counters_rebuild(campaign)
    live = campaign.nominations.filter(rulebook.COUNTED)
    if kind == Rule.Kind.EXCLUDED and live.filter(rulebook.condition(rule)).exists():
        raise ValidationFailed({"kind": f"已有被推荐人属于“{rule.label}”，不能增加此规则"})
    record(
        actor=actor,
        action=Action.NOMINATIONS_RULE_ADD,
        obj=rule,
        org_unit_id=campaign.org_unit_id,
        changes={"rule": [None, rule.label]},
        post_id=grant.post_id,
        stream=STREAM,
    )
    return rule


def _counters_lock(campaign: Campaign) -> None:
    """Lock the campaign's quotas, then its rule counters, each in pk order (a submission
    or a release takes its quota before its counters, so the orders agree)."""
    for rows in (
        Quota.objects.filter(campaign=campaign),
        RuleCounter.objects.filter(rule__campaign=campaign),
    ):
        list(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))


def counters_rebuild(campaign: Campaign) -> None:
    """Recount every counter from the nominations: each quota's places in use, and for each
    rule (at least / at most) one counter per quota node (per-node rules) or one for the
    campaign, the at-most ones with their limits following the quotas. Submissions keep
    them in step afterwards (``_counters_take`` / ``_counters_release``). The counters are
    locked first: a submission waits for the plain numbers written here instead of having
    its +1 written over."""
    _counters_lock(campaign)
    nodes, overall = rulebook.quota_recount(campaign)
    Quota.objects.bulk_update([Quota(pk=n.quota.pk, used=n.total) for n in nodes], ["used"])
    total = sum(n.quota.allowed for n in nodes)
    places = [(n.quota.org_unit.pk, n.quota.allowed, n.rules) for n in nodes]
    places.append((campaign.org_unit_id, total, overall))
    for node_id, allowed, statuses in places:
        for status in statuses:
            rule = status.rule
            if rule.kind == Rule.Kind.EXCLUDED:
                continue
            cap = rulebook.limit(rule, allowed) if rule.kind == Rule.Kind.AT_MOST else UNLIMITED
            if status.count > cap:
                raise ValidationFailed(
                    {"allowed": f"“{rule.label}”已有 {status.count} 人，名额调整后只允许 {cap} 人"}
                )
            RuleCounter.objects.update_or_create(
                rule=rule, org_unit_id=node_id, defaults={"allowed": cap, "used": status.count}
            )


@transaction.atomic
def campaign_open(*, actor, campaign: Campaign) -> Campaign:
    grant = _manage(actor, campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise Conflict("活动已开始或已结束")
    if not campaign.quotas.exists():
        raise ValidationFailed({"quotas": "请先分配名额"})
    campaign.status = Campaign.Status.OPEN
    campaign.save(update_fields=["status"])
    record(
        actor=actor,
        action=Action.NOMINATIONS_CAMPAIGN_OPEN,
        obj=campaign,
        org_unit_id=campaign.org_unit_id,
        post_id=grant.post_id,
        stream=STREAM,
    )
    return campaign


# --- Nominations -------------------------------------------------------------------------------


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


@transaction.atomic
def nomination_create(
    *,
    actor,
    campaign: Campaign,
    person: Person,
    org_unit: OrgUnit,
    brief: str = "",
    deeds: str = "",
    categories: list[str] | None = None,
    meeting_on: date | None = None,
    meeting_attendance: int | None = None,
    meeting_result: str = "",
    replaces: Nomination | None = None,
) -> Nomination:
    """A draft nomination by a grassroots union of one of its people; the rules' attributes
    (front-line, post/rank, categories) are recorded from the registry as of now."""
    grant = access.require_at(actor, "nominations.nominate", org_unit, view_perm="nominations.view")
    if not org_unit.contains(person.org_unit):
        raise ValidationFailed({"person": f"{person.name}不是本单位（或下级工会）的人员"})
    if person.merged_into_id:  # a redirect: the nomination would never reach the record kept
        raise ValidationFailed({"person": MERGED})
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
    record(
        actor=actor,
        action=Action.NOMINATIONS_CREATE,
        obj=nomination,
        org_unit_id=org_unit.pk,
        post_id=grant.post_id,
        stream=STREAM,
    )
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
        if rulebook.matches(rule, nomination):
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


def _level(nomination: Nomination) -> str:
    """The level of the campaign's honour: the procedure's stages are named after it."""
    return nomination.campaign.honour.level


def _step(nomination: Nomination, action: str, actor, opinion: str) -> None:
    Step.objects.create(
        nomination=nomination,
        action=action,
        state=nomination.state,
        actor=actor,
        opinion=opinion,
        at=timezone.now(),
    )


def _acting_grant(actor, nomination: Nomination, action: str):
    """The post allowed to take ``action`` on ``nomination`` at the workflow's level."""
    t = TRANSITIONS[action]
    where = {
        UNIT: nomination.org_unit,
        NODE: nomination.quota.org_unit,
        CITY: nomination.campaign.org_unit,
    }[t.level]
    grant = access.grant_at(actor, t.permission, where)
    if grant is None:
        if access.can_at(actor, "nominations.view", nomination.org_unit):
            raise Forbidden(f"“{t.label}”须由{where.name}办理")
        raise NotFound()
    return grant


def _counters_take(nomination: Nomination) -> None:
    """Count a nomination against its node's quota and the at-most rules it meets, each by a
    conditional update: simultaneous submissions cannot pass a limit together."""
    if not Quota.objects.filter(pk=nomination.quota_id, used__lt=F("allowed")).update(
        used=F("used") + 1
    ):
        quota = Quota.objects.get(pk=nomination.quota_id)
        raise ValidationFailed(
            {"quota": f"{quota.org_unit.name}的名额已用完（{quota.used}/{quota.allowed}）"}
        )
    for counter in _counters_of(nomination, _counters_near([nomination])):
        if not RuleCounter.objects.filter(pk=counter.pk, used__lt=F("allowed")).update(
            used=F("used") + 1
        ):
            raise ValidationFailed(
                {"rule": f"超出结构比例：{counter.rule.label}（最多 {counter.allowed} 人）"}
            )


def _counters_release(nominations: list[Nomination]) -> None:
    """Give back the places ``nominations`` held: one update per quota, then one per rule
    counter, each in pk order as a rebuild locks them. The counters are read once the
    quotas are held, so none a rebuild has just written is missed."""
    for pk, count in sorted(Counter(n.quota_id for n in nominations).items()):
        Quota.objects.filter(pk=pk).update(used=F("used") - count)
    near = _counters_near(nominations)
    held = Counter(c.pk for n in nominations for c in _counters_of(n, near))
    for pk, count in sorted(held.items()):
        RuleCounter.objects.filter(pk=pk).update(used=F("used") - count)


def _counters_near(nominations: list[Nomination]) -> list[RuleCounter]:
    """The rule counters that may count ``nominations`` (their nodes' and campaigns'), in
    one query."""
    return list(
        RuleCounter.objects.filter(
            rule__campaign__in={n.campaign_id for n in nominations},
            org_unit_id__in={n.quota.org_unit_id for n in nominations}
            | {n.campaign.org_unit_id for n in nominations},
        )
        .select_related("rule")
        .order_by("pk")  # the order a rebuild locks them in: takes and releases agree
    )


def _counters_of(nomination: Nomination, near: list[RuleCounter]) -> list[RuleCounter]:
    """Of ``near``, the rule counters that count ``nomination``: its node's (per-node
    rules) and its campaign's, for the rules it meets."""
    campaign, node = nomination.campaign, nomination.quota.org_unit_id
    return [
        counter
        for counter in near
        if counter.rule.campaign_id == campaign.pk
        and rulebook.matches(counter.rule, nomination)
        and counter.org_unit_id == (node if counter.rule.per_node else campaign.org_unit_id)
    ]


def _locked(nominations) -> list[Nomination]:
    """The nominations, locked (their rows only: a rebuild, holding every quota while it
    writes them, would otherwise wait on a campaign or unit locked here by a submission
    that waits on one of those quotas)."""
    pks = list(dict.fromkeys(n.pk for n in nominations))  # each nominee once
    rows = {
        n.pk: n
        for n in Nomination.objects.select_for_update(of=("self",))
        .select_related(
            "campaign__honour", "campaign__org_unit", "quota__org_unit", "org_unit", "person"
        )
        .filter(pk__in=pks)
    }
    return [rows[pk] for pk in pks]


def _move(nomination: Nomination, action: str, actor, grant, opinion: str = "") -> None:
    nomination.state = TRANSITIONS[action].target
    nomination.save(update_fields=["state", "live", "reason", "updated_at"])
    _step(nomination, action, actor, opinion)
    record(
        actor=actor,
        action=Action(f"nominations.{action}"),
        obj=nomination,
        org_unit_id=nomination.org_unit_id,
        changes={"state": [None, nomination.state]},
        post_id=grant.post_id,
        stream=STREAM,
    )


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
def nomination_replace(
    *, actor, nomination: Nomination, reason: str, person: Person, **materials
) -> Nomination:
    """Withdraw ``nomination`` and put ``person`` forward in its place (a new draft)."""
    old = nomination_withdraw(actor=actor, nomination=nomination, reason=reason)
    return nomination_create(
        actor=actor,
        campaign=old.campaign,
        person=person,
        org_unit=old.org_unit,
        replaces=old,
        **materials,
    )


# --- Notices (公示) -----------------------------------------------------------------------------


def notice_period(campaign: Campaign, starts_on: date) -> date:
    """The last day of a notice published on ``starts_on`` (working days unless the campaign
    counts calendar days); refuses when the calendar lacks a year the period runs into."""
    if campaign.notice_calendar_days:
        return starts_on + timedelta(days=campaign.notice_days - 1)
    return add_workdays(starts_on, campaign.notice_days)


@transaction.atomic
def notice_publish(
    *,
    actor,
    campaign: Campaign,
    stage: str,
    nominations: list[Nomination],
    starts_on: date | None = None,
    title: str = "",
) -> Notice:
    """Publish a notice of ``stage`` listing ``nominations`` (each moves into the notice's
    state). The first notice is the nominating unit's; the second and final the city's.
    The list shows the campaign's notice fields; the period is counted by ``add_workdays``."""
    action = {v: k for k, v in NOTICE_OF.items()}.get(stage)
    if action is None:
        names = (Notice.stage_label(s, campaign.honour.level) for s in Notice.Stage.values)
        raise ValidationFailed({"stage": "公示阶段应为：" + "、".join(names)})
    if not nominations:
        raise ValidationFailed({"nominations": "请选择公示的被推荐人"})
    rows = _locked(nominations)
    if any(n.campaign_id != campaign.pk for n in rows):
        raise ValidationFailed({"nominations": "被推荐人不属于本次评选"})
    publisher = rows[0].org_unit if stage == Notice.Stage.FIRST else campaign.org_unit
    if stage == Notice.Stage.FIRST and any(n.org_unit_id != publisher.pk for n in rows):
        raise ValidationFailed({"nominations": "基层公示只能列出本单位推荐的人员"})
    grants = [_acting_grant(actor, n, action) for n in rows]
    for n in rows:
        if reason := refusal(action, n.state, _level(n)):
            raise Conflict(f"{n.person.name}：{reason}")
    if stage == Notice.Stage.SECOND:
        _check_second_notice(campaign, rows)
    starts_on = starts_on or today()
    if starts_on < today():
        raise ValidationFailed({"starts_on": "公示开始日期不能早于今天"})
    ends_on = notice_period(campaign, starts_on)
    notice = Notice.objects.create(
        campaign=campaign,
        stage=stage,
        org_unit=publisher,
        title=title.strip() or f"{campaign.name}{Notice.stage_label(stage, campaign.honour.level)}",
        starts_on=starts_on,
        ends_on=ends_on,
        closes_at=end_of_day(ends_on),
        fields=list(campaign.notice_fields),
        contact=campaign.objection_contact,
        published_by=actor,
    )
    notice.nominations.set(rows)
    record(
        actor=actor,
        action=Action.NOMINATIONS_NOTICE_PUBLISH,
        obj=notice,
        org_unit_id=publisher.pk,
        changes={"nominations": [None, len(rows)]},
        post_id=grants[0].post_id,
        stream=STREAM,
    )
    for n, grant in zip(rows, grants, strict=True):
        _move(n, action, actor, grant, notice.title)
    return notice


def _check_second_notice(campaign: Campaign, rows: list[Nomination]) -> None:
    """The city lists only nominees whose node has reported its list, and the whole list
    meets the campaign-wide minimums."""
    unreported = sorted({n.quota.org_unit.name for n in rows if n.quota.submitted_at is None})
    if unreported:
        raise ValidationFailed({"nominations": f"{'、'.join(unreported)}尚未报送推荐名单"})
    _, overall = rulebook.quota_status(campaign)
    broken = [s.rule.label for s in overall if not s.ok]
    if broken:
        raise ValidationFailed({"rules": "全部名单不符合结构比例：" + "；".join(broken)})


def notice_open(notice: Notice, *, at=None) -> bool:
    at = at or timezone.now()
    start = end_of_day(notice.starts_on - timedelta(days=1))
    return start <= at < notice.closes_at


def _latest_notices(nominations: list[Nomination], stage: str) -> dict[int, Notice]:
    """Each nomination's latest notice of ``stage``, by nomination pk, in one query."""
    links = (
        Notice.nominations.through.objects.filter(nomination__in=nominations, notice__stage=stage)
        .select_related("notice")
        .order_by("notice__published_at", "notice__pk")
    )
    return {link.nomination_id: link.notice for link in links}  # the latest last


def _notice_closed(nomination: Nomination, stage: str, notice: Notice | None) -> None:
    """``notice`` (the nomination's latest of ``stage``) exists and has closed."""
    name = Notice.stage_label(stage, _level(nomination))
    if notice is None:
        raise Conflict(f"{nomination.person.name}尚未经过{name}")
    if timezone.now() < notice.closes_at:
        raise Conflict(
            f"{nomination.person.name}的{name}期至 {cn_date(notice.ends_on)} "
            "（当日24时）结束，公示期满后才能办理下一步"
        )


# --- Reviews, clearances, node lists, approval ------------------------------------------------


@transaction.atomic
def clearance_record(*, actor, nomination: Nomination, department: str, opinion: str) -> None:
    """A department's clearance opinion on a nominee who manages others (e.g. 纪检监察)."""
    (nomination,) = _locked([nomination])
    grant = _acting_grant(actor, nomination, "first_pass")
    if nomination.state not in (State.NOMINATED, State.FIRST_NOTICE):
        raise Conflict("部门意见在初审前征求；当前状态下不能再记录")
    if department not in nomination.campaign.clearance_departments:
        raise ValidationFailed(
            {
                "department": "须征求意见的部门为："
                + "、".join(nomination.campaign.clearance_departments)
            }
        )
    if not (opinion or "").strip():
        raise ValidationFailed({"opinion": "请填写部门意见"})
    nomination.clearances = {**nomination.clearances, department: opinion.strip()[:500]}
    nomination.save(update_fields=["clearances", "updated_at"])
    _step(nomination, "clearance", actor, f"{department}：{opinion.strip()}")
    record(
        actor=actor,
        action=Action.NOMINATIONS_CLEARANCE,
        obj=nomination,
        org_unit_id=nomination.org_unit_id,
        changes={department: [None, opinion.strip()]},
        post_id=grant.post_id,
        stream=STREAM,
    )


@transaction.atomic
def nominations_advance(
    *, actor, nominations: list[Nomination], action: str, opinion: str = ""
) -> list[Nomination]:
    """A review or approval step for one nominee or a batch: all or nothing. Each must be in
    the right state, past its notice, free of open objections; rejections need a reason;
    a manager passes the first review only with every clearance opinion recorded; approval
    writes the awards into the registry."""
    if action not in AFTER_NOTICE:
        raise ValidationFailed({"action": "不能批量办理此操作"})
    if not nominations:
        raise ValidationFailed({"nominations": "请选择被推荐人"})
    opinion = (opinion or "").strip()
    rejecting = TRANSITIONS[action].target == State.REJECTED
    if rejecting and not opinion:
        raise ValidationFailed({"opinion": "不通过须写明理由"})
    rows = _locked(nominations)
    grants = [_acting_grant(actor, n, action) for n in rows]
    blocked = set(
        Objection.objects.filter(
            nomination__in=rows,
            status__in=[Objection.Status.RECEIVED, Objection.Status.VERIFYING],
        ).values_list("nomination_id", flat=True)
    )
    notices = _latest_notices(rows, AFTER_NOTICE[action])
    for n in rows:
        if reason := refusal(action, n.state, _level(n)):
            raise Conflict(f"{n.person.name}：{reason}")
        _notice_closed(n, AFTER_NOTICE[action], notices.get(n.pk))
        if n.pk in blocked:
            raise Conflict(f"{n.person.name}有尚未办结的异议，须先核查办结")
        if action == "first_pass" and n.rank in rulebook.MANAGER_RANKS:
            missing = [d for d in n.campaign.clearance_departments if d not in n.clearances]
            if missing:
                raise ValidationFailed(
                    {"clearances": f"{n.person.name}为管理人员，尚缺{'、'.join(missing)}的意见"}
                )
    if rejecting:
        _counters_release(rows)
    if action == "approve":
        names = {c for n in rows for c in n.category_list}
        categories = {c.name: c for c in Category.objects.filter(name__in=names)}
    for n, grant in zip(rows, grants, strict=True):
        if rejecting:
            n.live, n.reason = False, opinion[:500]
        if action == "approve":
            award_create(
                actor=actor,
                honour=n.campaign.honour,
                person=n.person,
                year=n.campaign.year,
                categories=[categories[c] for c in n.category_list if c in categories],
                deeds=n.deeds or n.brief,
            )
        _move(n, action, actor, grant, opinion)
    return rows


@transaction.atomic
def node_list_submit(*, actor, campaign: Campaign, org_unit: OrgUnit) -> Quota:
    """A quota node reports its list to the city: every nominee reviewed, and the node's
    minimum shares met (minimums are checked here, not per nominee)."""
    quota = Quota.objects.select_for_update().filter(campaign=campaign, org_unit=org_unit).first()
    if quota is None:
        raise ValidationFailed({"org_unit": "该单位没有本次评选的名额"})
    grant = access.require_at(actor, "nominations.review", org_unit, view_perm="nominations.view")
    if quota.submitted_at:
        raise Conflict(f"{org_unit.name}已于 {cn_date(quota.submitted_at)} 报送名单")
    pending = quota.nominations.filter(
        state__in=[State.DRAFT, State.NOMINATED, State.FIRST_NOTICE]
    ).select_related("person")
    if pending:
        names = "、".join(n.person.name for n in pending[:5])
        raise ValidationFailed({"nominations": f"尚有未完成初审的被推荐人：{names}"})
    nodes, _ = rulebook.quota_status(campaign)
    status = next(s for s in nodes if s.quota.pk == quota.pk)
    if status.total == 0:
        raise ValidationFailed({"nominations": "名单为空"})
    broken = [s for s in status.rules if not s.ok]
    if broken:
        raise ValidationFailed(
            {
                "rules": "；".join(
                    f"不符合“{s.rule.label}”（现 {s.count}/{s.total}）" for s in broken
                )
            }
        )
    quota.submitted_at = timezone.now()
    quota.save(update_fields=["submitted_at"])
    record(
        actor=actor,
        action=Action.NOMINATIONS_LIST_SUBMIT,
        obj=quota,
        org_unit_id=org_unit.pk,
        changes={"nominees": [None, status.total]},
        post_id=grant.post_id,
        stream=STREAM,
    )
    return quota


# --- Objections (异议) ---------------------------------------------------------------------------


# What ``_reviewing_unit`` reads of an objection: select them with it.
REVIEWING_UNIT_RELATED = ("notice__campaign__org_unit", "nomination__quota__org_unit")


def _reviewing_unit(objection: Objection) -> OrgUnit:
    """Who deals with an objection: the quota node for the first notice, else the city."""
    if objection.notice.stage == Notice.Stage.FIRST:
        return objection.nomination.quota.org_unit
    return objection.notice.campaign.org_unit


def may_see_objector(actor, objection: Objection) -> bool:
    perm = (
        "nominations.review"
        if objection.notice.stage == Notice.Stage.FIRST
        else ("nominations.approve")
    )
    return access.can_at(actor, perm, _reviewing_unit(objection))


def may_reveal_contact(actor, objection: Objection) -> bool:
    """The reviewing level, with ``people.view_pii`` there, may see an objector's full
    contact (each view audited by ``objection_contact_reveal``)."""
    return may_see_objector(actor, objection) and access.can_at(
        actor, "people.view_pii", _reviewing_unit(objection)
    )


@transaction.atomic
def objection_contact_reveal(*, actor, objection: Objection) -> str:
    """The objector's unmasked contact, for ``may_reveal_contact``; audited."""
    if not may_reveal_contact(actor, objection):
        raise Forbidden("只有负责核查的单位、有查看完整个人信息权限的岗位可以查看完整联系方式")
    grant = access.grant_at(actor, "people.view_pii", _reviewing_unit(objection))
    record(
        actor=actor,
        action=Action.PII_REVEAL,
        obj=objection,
        org_unit_id=objection.nomination.org_unit_id,
        post_id=grant.post_id,
        changes={"field": [None, "contact"]},
    )
    return objection.contact or ""


@transaction.atomic
def objection_file(
    *,
    notice: Notice,
    nomination: Nomination,
    text: str,
    anonymous: bool = False,
    name: str = "",
    contact: str = "",
    channel: str = Objection.Channel.ONLINE,
    actor=None,
    source: str = "",
    evidence=None,
) -> Objection:
    """File an objection during the notice: by anyone online (``source`` identifies them for
    the rate limit), or by reviewing staff (``actor``) from a call, letter or e-mail; with an
    optional file of ``evidence``, kept at the reviewing level (it may name the objector)."""
    if actor is not None:
        staff = Objection(notice=notice, nomination=nomination)
        if not may_see_objector(actor, staff):
            raise Forbidden("只有负责核查的单位可以录入异议")
    elif channel != Objection.Channel.ONLINE:
        raise ValidationFailed({"channel": "电话、信件等渠道的异议由工作人员录入"})
    if not notice.nominations.filter(pk=nomination.pk).exists():
        raise ValidationFailed({"nomination": "该人员不在本次公示名单中"})
    if not notice_open(notice):
        raise ValidationFailed(
            {
                "notice": f"公示期为 {cn_date(notice.starts_on)} 至 {cn_date(notice.ends_on)}（当日24时），"
                "不在公示期内不能提出异议"
            }
        )
    errors = {}
    text = (text or "").strip()
    if len(text) < 10:
        errors["text"] = "请写明反映的具体问题和事实（至少10字）"
    elif len(text) > 5000:
        errors["text"] = "反映内容不超过5000字"
    name, contact = (name or "").strip(), (contact or "").strip()
    if not anonymous:
        if not name:
            errors["name"] = "实名反映须填写姓名（也可选择匿名）"
        if not contact:
            errors["contact"] = "实名反映须留下联系方式，便于核实和反馈"
    if channel not in Objection.Channel.values:
        errors["channel"] = "渠道应为：" + "、".join(Objection.Channel.labels)
    if contact:
        try:
            contact = pii.normalize("contact", contact)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    if actor is None and ratelimit.hit(f"objection:{source}", window=3600) > OBJECTION_LIMIT:
        raise Throttled("提交过于频繁，请一小时后再试")
    objection = Objection.objects.create(
        notice=notice,
        nomination=nomination,
        reference=_reference(),
        channel=channel,
        anonymous=anonymous,
        name="" if anonymous else name,
        contact=None if anonymous else contact,
        text=text,
        entered_by=actor,
        filed_at=timezone.now(),
    )
    if evidence is not None:
        attachment_store(
            owner=objection, org_unit=_reviewing_unit(objection), upload=evidence, actor=actor
        )
    _step(nomination, "objection", actor or notice.published_by, "收到异议")
    record(
        actor=actor,
        action=Action.NOMINATIONS_OBJECTION_FILE,
        obj=objection,
        org_unit_id=nomination.org_unit_id,
        changes={"channel": [None, channel], "anonymous": [None, anonymous]},
        stream=STREAM,
    )
    return objection


def lookup_allowed(source: str) -> None:
    """Look-ups by reference are counted per source, so references cannot be guessed."""
    if ratelimit.hit(f"objection-lookup:{source}", window=3600) > LOOKUP_LIMIT:
        raise Throttled("查询过于频繁，请一小时后再试")


def _reference() -> str:
    """A random, unguessable look-up reference (16 characters, no look-alikes)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _objection_grant(actor, objection: Objection):
    if not may_see_objector(actor, objection):
        raise Forbidden("异议由负责核查的单位办理")
    return access.grant_at(actor, "nominations.review", _reviewing_unit(objection)) or (
        access.grant_at(actor, "nominations.approve", _reviewing_unit(objection))
    )


@transaction.atomic
def objection_triage(*, actor, objection: Objection, admissible: bool, reason: str = "") -> None:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related(*REVIEWING_UNIT_RELATED)
        .get(pk=objection.pk)
    )
    grant = _objection_grant(actor, objection)
    if objection.status != Objection.Status.RECEIVED:
        raise Conflict("该异议已受理或已办结")
    if not admissible and not (reason or "").strip():
        raise ValidationFailed({"reason": "不予受理须说明理由（如未反映具体事实）"})
    objection.status = Objection.Status.VERIFYING if admissible else Objection.Status.INADMISSIBLE
    objection.triage_reason = (reason or "").strip()[:500]
    objection.save(update_fields=["status", "triage_reason"])
    record(
        actor=actor,
        action=Action.NOMINATIONS_OBJECTION_TRIAGE,
        obj=objection,
        org_unit_id=objection.nomination.org_unit_id,
        changes={"status": [Objection.Status.RECEIVED, objection.status]},
        post_id=grant.post_id,
        stream=STREAM,
    )


@transaction.atomic
def objection_resolve(
    *, actor, objection: Objection, verification: str, finding: str, note: str = ""
) -> None:
    """The finding after verification; upheld removes the nominee (the place returns)."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related(*REVIEWING_UNIT_RELATED)
        .get(pk=objection.pk)
    )
    grant = _objection_grant(actor, objection)
    if objection.status != Objection.Status.VERIFYING:
        raise Conflict("只有已受理、核查中的异议可以办结")
    errors = {}
    if not (verification or "").strip():
        errors["verification"] = "请填写核查情况"
    if finding not in Objection.Finding.values:
        errors["finding"] = "结论应为：" + "、".join(Objection.Finding.labels)
    if finding == Objection.Finding.PARTLY and not (note or "").strip():
        errors["note"] = "部分属实须说明情况及处理意见"
    if errors:
        raise ValidationFailed(errors)
    objection.status, objection.finding = Objection.Status.RESOLVED, finding
    objection.verification, objection.finding_note = verification.strip(), (note or "").strip()
    objection.resolved_at = timezone.now()
    objection.save()
    record(
        actor=actor,
        action=Action.NOMINATIONS_OBJECTION_RESOLVE,
        obj=objection,
        org_unit_id=objection.nomination.org_unit_id,
        changes={"finding": [None, finding]},
        post_id=grant.post_id,
        stream=STREAM,
    )
    if finding == Objection.Finding.UPHELD:
        (nomination,) = _locked([objection.nomination])
        if refusal("remove", nomination.state) is None:
            _counters_release([nomination])
            nomination.live = False
            nomination.reason = f"异议查实：{(note or verification).strip()}"[:500]
            _move(nomination, "remove", actor, grant, nomination.reason)


# --- The working-day calendar ----------------------------------------------------------------


@transaction.atomic
def calendar_year_set(
    *,
    actor,
    year: int,
    holidays: list[tuple[date, date, str]],
    workdays: list[tuple[date, str]],
    basis: str,
) -> CalendarYear:
    """Enter (or correct) a year's official schedule: holiday ranges with their names and
    the weekend days worked in exchange. Replaces what the year had; audited."""
    if not access.can_citywide(actor, "calendar.manage"):
        raise Forbidden("只有市总工会可以录入节假日安排")
    errors = {}
    days: dict[date, CalendarDay] = {}
    for first, last, name in holidays:
        if last < first:
            errors["holidays"] = f"{name}：结束日期 {last} 早于开始日期 {first}"
            continue
        day = first
        while day <= last:
            days[day] = CalendarDay(date=day, is_workday=False, name=name)
            day += timedelta(days=1)
    for day, name in workdays:
        if day.weekday() < 5:
            errors["workdays"] = f"{day} 是工作日，调休上班日应为周六或周日"
        elif day in days:
            errors["workdays"] = f"{day} 同时被列为放假日和上班日"
        days[day] = CalendarDay(date=day, is_workday=True, name=name)
    if outside := sorted(d for d in days if d.year != year):
        errors["year"] = f"日期 {outside[0]} 不在 {year} 年内（跨年假期请分别录入各年）"
    if not days:
        errors["holidays"] = "请录入放假安排"
    if not (basis or "").strip():
        errors["basis"] = f"请填写依据（如《国务院办公厅关于{year}年部分节假日安排的通知》）"
    if errors:
        raise ValidationFailed(errors)
    before = CalendarDay.objects.filter(date__year=year).count()
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(days.values())
    entry, _ = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": CalendarYear.Source.STAFF, "basis": basis.strip()[:200]}
    )
    record(
        actor=actor,
        action=Action.CALENDAR_YEAR_SET,
        object_type="common.calendaryear",
        object_id=str(year),
        changes={"days": [before, len(days)], "basis": [None, entry.basis]},
    )
    return entry


# --- The final list (表彰名单), made in the background --------------------------------------


def final_list_export_start(*, actor, campaign: Campaign):
    """Queue a campaign's final list as a background job (it grows with the campaign),
    for the staff who approve its nominees (others find no such list)."""
    from gonghui.jobs.services import export_start
    from gonghui.nominations.tasks import final_list_task

    final_list_check(actor=actor, campaign=campaign)
    return export_start(
        actor=actor,
        kind="nominations.final_list",
        title=f"{campaign.name} 表彰名单",
        org_unit=campaign.org_unit,
        params={"campaign": campaign.pk},
        task=final_list_task,
    )


def final_list_check(*, actor, campaign: Campaign) -> None:
    """Who may have a campaign's final list: its approvers (``NotFound`` for others)."""
    if not access.can_at(actor, "nominations.approve", campaign.org_unit):
        raise NotFound()
