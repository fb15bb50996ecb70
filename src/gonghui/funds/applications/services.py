"""Applying for a programme and deciding on applications (资助申请与审核).

* ``application_submit``: a member for themselves (their own person record), or staff with
  ``funds.apply`` at the person's membership union on their behalf; the amount computed from
  the programme's current rule version (``eligibility``) and recorded with it; duplicates
  (``dedupe_key``, unique in the database while live) and the yearly cap refused; the
  documents stored as protected attachments of the application. A studio's grant for a
  year needs the studio's yearly output report of that year approved by the district and
  the city (training), checked again at every pass of the application.
* ``application_decide``: one decision at the level the application waits at — 1 基层核实
  (``funds.verify``), 2 区级审核 (``funds.review`` from a district-level post or above), 3
  市级审批 (``funds.approve`` from the city, where the programme has three levels). Maker-
  checker: neither the applicant's own account nor the application's maker decides (the
  database's trigger is the backstop), nor anyone twice on one application. The final pass
  creates the entitlement and commits the budget (``ledger.commit``): over budget, nothing
  is written and the application stays at its level.
* ``application_withdraw``: by the applicant (or its maker) before any decision.
* ``document_open``: an application's document for its applicant or a reviewer in scope,
  each download audited.

Each call is one transaction with its event in the programme's stream (``funds:<id>``)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import formats, money, workdays
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_download, attachment_store, owner_rule
from gonghui.funds import ledger
from gonghui.funds import rules as fund_rules
from gonghui.funds.applications import eligibility, selectors
from gonghui.funds.applications.eligibility import DOCUMENTS, Refused
from gonghui.funds.events import allowed, event
from gonghui.funds.models import Application, Entitlement, Programme, Review
from gonghui.orgs import access
from gonghui.orgs.models import path_contains

MAKER_CHECKER = "申请人本人或经办人不能审核该申请（审核与经办分离）"
TWICE = "您已审核过该申请的上一级，同一人不能审核两级"

# The documents of an application are seen by its reviewers in scope (and, on their own
# pages, by the applicant), not by every files.view post over its union.
owner_rule(Application, selectors.may_see_documents)


def _refused(exc: Refused) -> ValidationFailed:
    return ValidationFailed({exc.field: exc.message})


def _open(programme: Programme, today) -> None:
    if not programme.is_active:
        raise ValidationFailed({"programme": f"“{programme.name}”已停用，不再受理申请"})
    if programme.entry != Programme.Entry.APPLY:
        raise ValidationFailed({"programme": f"“{programme.name}”按规则纳入发放，无需申请"})
    if programme.opens_on and today < programme.opens_on:
        raise ValidationFailed({"programme": f"“{programme.name}”自 {programme.opens_on} 起受理"})
    if programme.closes_on and today > programme.closes_on:
        raise ValidationFailed(
            {"programme": f"“{programme.name}”已于 {programme.closes_on} 截止受理"}
        )


def _route(programme: Programme, facts: dict) -> str:
    if programme.kind == Programme.Kind.CERTIFICATE:
        return "finalist" if facts.get("route") == "finalist" else "certificate"
    if programme.kind in (Programme.Kind.ILLNESS, Programme.Kind.STUDIO):
        return programme.kind
    raise ValidationFailed({"programme": f"“{programme.name}”不受理申请"})


def application_submit(*, actor, programme, facts, documents=None, person=None) -> Application:
    """An application of ``person`` (staff on their behalf) or of the actor's own record
    (``person`` None), with its ``documents`` ({key: uploaded file}, see
    ``eligibility.DOCUMENTS``). Refused, nothing written, with the field and the reason."""
    documents = {k: v for k, v in (documents or {}).items() if v}
    facts = dict(facts or {})
    today = workdays.today()
    with transaction.atomic():
        programme = Programme.objects.select_related("org_unit").get(pk=programme.pk)
        _open(programme, today)
        route = _route(programme, facts)
        grant = None
        studio = None
        if route == "studio":
            studio = selectors.studio_get(facts.get("studio"))
            org_unit = studio.org_unit
            # Scope first: a studio outside it answers NotFound whatever its state.
            own = selectors.member_person(actor)
            if own is None or studio.leader_id is None or own.pk != studio.leader_id:
                grant = allowed(actor, "funds.apply", org_unit)
            if studio.status != studio.Status.ACTIVE:
                raise ValidationFailed({"studio": "工作室尚未挂牌，不能申请资助"})
            if studio.leader_id is None:
                raise ValidationFailed({"studio": "工作室尚未登记领衔人（资助发给领衔人）"})
            person = studio.leader
        else:
            if person is None:
                person = selectors.member_person(actor)
                if person is None:
                    raise ValidationFailed({"person": "您的账号未关联会员档案，请联系所在工会"})
            membership = selectors.active_membership(person)
            if membership is None:
                raise ValidationFailed({"person": f"{person.name} 没有有效会籍（在会），不能申请"})
            org_unit = membership.org_unit
            if person.user_id != actor.pk:
                grant = allowed(actor, "funds.apply", org_unit)
        if person.merged_into_id:
            raise ValidationFailed({"person": "该档案已合并到另一份档案，请在保留的档案上申请"})
        if not path_contains(programme.org_unit.path, org_unit.path):
            raise ValidationFailed(
                {
                    "programme": f"“{programme.name}”由{programme.org_unit.name}设立，申请人不在其范围内"
                }
            )
        version = selectors.current_rule(programme)
        if version is None:
            raise ValidationFailed({"programme": "项目尚未设定规则，暂不受理申请"})
        rule = version.rule
        year = today.year
        try:
            if route == "certificate":
                found = eligibility.certificate(rule, facts, year=year, today=today)
            elif route == "finalist":
                entry = eligibility.listed_competition(rule, facts.get("competition"))
                found = eligibility.finalist(
                    rule,
                    competition_id=entry["id"],
                    person_id=person.pk,
                    place=selectors.finalist_place(entry["id"], person),
                    top_level=entry["top_level"],
                )
            elif route == "illness":
                found = eligibility.illness(
                    rule,
                    facts,
                    person_id=person.pk,
                    grade_on_record=selectors.hardship_grade(person, today),
                    today=today,
                )
            else:
                year = eligibility.studio_year(facts, today)
                found = eligibility.studio(
                    rule, programme_id=programme.pk, studio_id=studio.pk, year=year
                )
        except Refused as exc:
            raise _refused(exc) from None
        if route == "studio":
            report = selectors.studio_report(studio, year)
            if report is None:
                raise ValidationFailed({"report": _no_report(studio, year)})
            found.facts["report"] = report.pk
        money.yuan_check(found.amount)
        duplicate = eligibility.duplicate_message(route)
        live = Application.objects.filter(dedupe_key=found.dedupe_key).exclude(
            status__in=(Application.Status.REJECTED, Application.Status.WITHDRAWN)
        )
        if live.exists():
            raise ValidationFailed(dict([duplicate]))
        # The person's row locked first: two applications at once (other events, so no
        # dedupe key in common) are counted against the yearly cap one after the other.
        type(person).objects.select_for_update().values_list("pk", flat=True).get(pk=person.pk)
        taken = selectors.taken_this_year(person, programme, year)
        over = fund_rules.over_cap(rule, taken, found.amount)
        if over:
            raise ValidationFailed(
                {
                    "amount": f"超出本项目每人每年上限 {formats.yuan(rule['cap_per_year'])}："
                    f"{year}年已获或在审 {formats.yuan(taken)}，本次 {formats.yuan(found.amount)}"
                }
            )
        wanted = DOCUMENTS[route]
        missing = {key: f"请上传{label}" for key, label in wanted.items() if key not in documents}
        if missing:
            raise ValidationFailed(missing)
        application = Application(
            programme=programme,
            person=person,
            studio=studio,
            org_unit=org_unit,
            year=year,
            facts=found.facts,
            dedupe_key=found.dedupe_key,
            amount=found.amount,
            rule_version=version,
            applicant_user_id=person.user_id,
            created_by=actor,
        )
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            raise ValidationFailed(dict([duplicate])) from None
        post_id = grant.post_id if grant else None
        stored = {}
        for key in wanted:
            try:
                attachment = attachment_store(
                    owner=application,
                    org_unit=org_unit,
                    upload=documents[key],
                    actor=actor,
                    post_id=post_id,
                )
            except ValidationFailed as exc:
                raise ValidationFailed(
                    {key: f"{wanted[key]}：{'；'.join(exc.fields.values())}"}
                ) from None
            stored[key] = attachment.pk
        if stored:
            application.facts = {**application.facts, "documents": stored}
            application.save(update_fields=["facts"])
        event(
            actor,
            programme,
            Action.FUNDS_APPLY,
            obj=application,
            post_id=post_id,
            changes={
                "person": [None, person.pk],
                "status": [None, application.status],
                "amount": [None, application.amount],
                "rule_version": [None, version.version],
                "on_behalf": [None, grant is not None],
            },
        )
        return application


def _no_report(studio, year: int) -> str:
    return (
        f"“{studio.name}”{year}年度成果报告尚未经区级、市级审核通过："
        "工作室资助只凭审核通过的年度成果报告发放"
    )


LEVEL_WHO = {
    1: "基层核实须由申请人所在工会或其上级工会有核实权限的岗位作出",
    2: "区级审核须由区（产业）工会或市总工会有审核权限的岗位作出，街道、基层岗位不能审核",
    3: "市级审批须由市总工会有审批权限的岗位作出",
}


def _decide_grant(actor, application: Application, level: int):
    grant = selectors.reviewer_grant(actor, application, level)
    if grant is not None:
        return grant
    if not access.can_at(actor, "funds.view", application.org_unit):
        raise NotFound()
    raise Forbidden(LEVEL_WHO[level])


def application_decide(*, actor, application, decision, note="") -> Application:
    """Decide ``application`` at the level it waits at: ``decision`` "pass" or "reject"
    (with its reason in ``note``). The final pass creates the entitlement and commits the
    budget; over budget or without one, nothing is written."""
    note = (note or "").strip()
    with transaction.atomic():
        try:
            app = (
                Application.objects.select_for_update()
                .select_related("programme", "programme__org_unit", "org_unit", "person")
                .get(pk=application.pk)
            )
        except Application.DoesNotExist:
            raise NotFound() from None
        level = selectors.STATUS_LEVEL.get(app.status)
        if level is None or level > app.programme.levels:
            allowed(actor, "funds.view", app.org_unit)
            raise ValidationFailed(
                {"decision": f"该申请已办结（{app.get_status_display()}），不能再审核"}
            )
        grant = _decide_grant(actor, app, level)
        if (
            app.studio_id
            and decision == Review.Decision.PASS
            and selectors.studio_report(app.studio, app.year) is None
        ):
            raise ValidationFailed({"report": _no_report(app.studio, app.year)})
        if actor.pk in (app.applicant_user_id, app.created_by_id):
            raise ValidationFailed({"decision": MAKER_CHECKER})
        if app.reviews.filter(reviewer=actor).exists():
            raise ValidationFailed({"decision": TWICE})
        if decision not in Review.Decision.values:
            raise ValidationFailed({"decision": "请选择通过或不通过"})
        if decision == Review.Decision.REJECT and not note:
            raise ValidationFailed({"note": "不通过须填写原因（申请人可见）"})
        if len(note) > 500:
            raise ValidationFailed({"note": "意见最多 500 字"})
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    application=app,
                    level=level,
                    decision=decision,
                    reviewer=actor,
                    rule_version_id=app.rule_version_id,
                    amount=app.amount,
                    note=note,
                )
        except IntegrityError as exc:
            if "applicant or maker" in str(exc):
                raise ValidationFailed({"decision": MAKER_CHECKER}) from None
            raise Conflict("该申请的这一级已有审核决定，请刷新后查看") from None
        before = app.status
        final = level == app.programme.levels
        changes = {
            "level": [None, level],
            "decision": [None, decision],
            "review": [None, review.pk],
            "amount": [None, app.amount],
            "rule_version": [None, app.rule_version.version],
        }
        now = timezone.now()
        if decision == Review.Decision.REJECT:
            app.status, app.reason, app.decided_at = Application.Status.REJECTED, note, now
            action = Action.FUNDS_REJECT
        elif not final:
            app.status = Application.Status.VERIFIED if level == 1 else Application.Status.REVIEWED
            action = Action.FUNDS_VERIFY if level == 1 else Action.FUNDS_REVIEW
        else:
            budget = ledger.budget_for(app.programme, app.org_unit, app.year)
            if budget is None:
                raise ValidationFailed(
                    {
                        "budget": f"“{app.programme.name}”{app.year}年未设"
                        f"{app.org_unit.name}或其上级工会的预算，不能批准"
                    }
                )
            entitlement = Entitlement.objects.create(
                programme=app.programme,
                budget=budget,
                person=app.person,
                studio=app.studio,
                org_unit=app.org_unit,
                application=app,
                year=app.year,
                amount=app.amount,
                rule_version_id=app.rule_version_id,
                payment_id=ledger.payment_id(application_id=app.pk),
            )
            row = ledger.commit(
                actor=actor,
                budget=budget,
                amount=app.amount,
                entitlement=entitlement,
                note=f"批准资助申请 {app.pk}",
            )
            app.status, app.decided_at = Application.Status.APPROVED, now
            action = Action.FUNDS_APPROVE
            changes |= {
                "entitlement": [None, entitlement.payment_id],
                "ledger": [None, row.pk],
                "budget": [None, budget.pk],
            }
        app.save(update_fields=["status", "reason", "decided_at"])
        changes["status"] = [before, app.status]
        event(actor, app.programme, action, obj=app, post_id=grant.post_id, changes=changes)
        return app


def application_withdraw(*, actor, application, reason="") -> Application:
    """The applicant (or the staff who entered it) takes an application back before any
    decision on it."""
    with transaction.atomic():
        try:
            app = (
                Application.objects.select_for_update()
                .select_related("programme", "person")
                .get(pk=application.pk)
            )
        except Application.DoesNotExist:
            raise NotFound() from None
        own = selectors.member_person(actor)
        mine = own is not None and (own.pk == app.person_id or own.pk == app.person.merged_into_id)
        if not (mine or actor.pk in (app.applicant_user_id, app.created_by_id)):
            raise NotFound()
        if app.status != Application.Status.SUBMITTED or app.reviews.exists():
            raise ValidationFailed(
                {"status": f"申请{app.get_status_display()}，只有尚未审核的申请可以撤回"}
            )
        app.status, app.decided_at = Application.Status.WITHDRAWN, timezone.now()
        app.save(update_fields=["status", "decided_at"])
        event(
            actor,
            app.programme,
            Action.FUNDS_WITHDRAW,
            obj=app,
            changes={
                "status": [Application.Status.SUBMITTED, app.status],
                "reason": [None, (reason or "").strip()[:200]],
            },
        )
        return app


def document_open(*, actor, application, attachment_id) -> Attachment:
    """One of the application's documents, open for reading: for the applicant (their own
    page) or a reviewer in scope (``files.view`` there and ``may_see_documents``). Each
    download is audited."""
    own = selectors.member_person(actor)
    if own is not None and own.pk in (application.person_id, application.person.merged_into_id):
        with transaction.atomic():
            attachment = selectors.document_of(application, attachment_id)
            attachment.file.open("rb")
            record(actor=actor, action=Action.FILES_DOWNLOAD, obj=attachment)
            return attachment
    attachment = selectors.document_of(application, attachment_id)
    return attachment_download(actor=actor, pk=attachment.pk)
