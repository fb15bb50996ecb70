"""Objections (异议) to a nominee during a notice: filed by anyone online or entered by the
reviewing unit's staff, then triaged and resolved there; an upheld one removes the nominee.
Who reviews an objection, and so may see its objector, is read in ``selectors``."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import pii, ratelimit
from gonghui.common.errors import Conflict, Forbidden, Throttled, ValidationFailed
from gonghui.common.formats import cn_date
from gonghui.files.services import attachment_store
from gonghui.nominations.models import Nomination, Notice, Objection
from gonghui.nominations.selectors import (
    REVIEWING_UNIT_RELATED,
    may_reveal_contact,
    may_see_objector,
    notice_open,
    reviewing_unit,
)
from gonghui.nominations.services._shared import (
    _counters_release,
    _event,
    _locked,
    _move,
    _step,
)
from gonghui.nominations.workflow import refusal
from gonghui.orgs import access

OBJECTION_LIMIT = 5  # filings per source per hour
LOOKUP_LIMIT = 60  # reference look-ups per source per hour


@transaction.atomic
def objection_contact_reveal(*, actor, objection: Objection) -> str:
    """The objector's unmasked contact, for ``may_reveal_contact``; audited."""
    if not may_reveal_contact(actor, objection):
        raise Forbidden("只有负责核查的单位、有查看完整个人信息权限的岗位可以查看完整联系方式")
    grant = access.grant_at(actor, "people.view_pii", reviewing_unit(objection))
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
            owner=objection, org_unit=reviewing_unit(objection), upload=evidence, actor=actor
        )
    _step(nomination, "objection", actor or notice.published_by, "收到异议")
    _event(
        actor,
        Action.NOMINATIONS_OBJECTION_FILE,
        objection,
        None,
        {"channel": [None, channel], "anonymous": [None, anonymous]},
        org_unit_id=nomination.org_unit_id,
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
    return access.grant_at(actor, "nominations.review", reviewing_unit(objection)) or (
        access.grant_at(actor, "nominations.approve", reviewing_unit(objection))
    )


def _handled(actor, objection: Objection, status: str, refusal: str):
    """The objection locked and the post handling it, refused (``refusal``) unless it is
    still at ``status``."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related(*REVIEWING_UNIT_RELATED)
        .get(pk=objection.pk)
    )
    grant = _objection_grant(actor, objection)
    if objection.status != status:
        raise Conflict(refusal)
    return objection, grant


@transaction.atomic
def objection_triage(*, actor, objection: Objection, admissible: bool, reason: str = "") -> None:
    objection, grant = _handled(actor, objection, Objection.Status.RECEIVED, "该异议已受理或已办结")
    if not admissible and not (reason or "").strip():
        raise ValidationFailed({"reason": "不予受理须说明理由（如未反映具体事实）"})
    objection.status = Objection.Status.VERIFYING if admissible else Objection.Status.INADMISSIBLE
    objection.triage_reason = (reason or "").strip()[:500]
    objection.save(update_fields=["status", "triage_reason"])
    _event(
        actor,
        Action.NOMINATIONS_OBJECTION_TRIAGE,
        objection,
        grant,
        {"status": [Objection.Status.RECEIVED, objection.status]},
        org_unit_id=objection.nomination.org_unit_id,
    )


@transaction.atomic
def objection_resolve(
    *, actor, objection: Objection, verification: str, finding: str, note: str = ""
) -> None:
    """The finding after verification; upheld removes the nominee (the place returns)."""
    objection, grant = _handled(
        actor, objection, Objection.Status.VERIFYING, "只有已受理、核查中的异议可以办结"
    )
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
    _event(
        actor,
        Action.NOMINATIONS_OBJECTION_RESOLVE,
        objection,
        grant,
        {"finding": [None, finding]},
        org_unit_id=objection.nomination.org_unit_id,
    )
    if finding == Objection.Finding.UPHELD:
        (nomination,) = _locked([objection.nomination])
        if refusal("remove", nomination.state) is None:
            _counters_release([nomination])
            nomination.live = False
            nomination.reason = f"异议查实：{(note or verification).strip()}"[:500]
            _move(nomination, "remove", actor, grant, nomination.reason)
