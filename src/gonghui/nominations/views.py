"""Nomination pages for staff, the public notices (公示) with their objection form, and the
working-day calendar. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.calendar.services import calendar_year_set
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.formats import cn_date
from gonghui.common.net import client_key
from gonghui.common.pagination import request_page
from gonghui.common.schemas import MAX_ID
from gonghui.common.views import (
    apply_errors,
    domain_errors,
    download,
    error_message,
    field_errors,
    form_page,
    post_action,
)
from gonghui.common.workdays import today
from gonghui.files.services import attachment_list, attachments_of
from gonghui.nominations import exports, forms, selectors, services, workflow
from gonghui.nominations.models import Nomination
from gonghui.nominations.workflow import TRANSITIONS
from gonghui.orgs import access
from gonghui.orgs.panel import tree_panel


def _campaign_url(campaign) -> str:
    return reverse("nominations:campaign", args=[campaign.pk])


def _nomination_url(pk) -> str:
    return reverse("nominations:nomination", args=[pk])


# --- Staff ----------------------------------------------------------------------------------


@login_required
@domain_errors
def campaigns(request):
    """The campaigns the actor takes part in; holders of ``nominations.manage`` set up more."""
    access.require(request.user, "nominations.view")
    form = None
    if access.can(request.user, "nominations.manage"):
        form = forms.CampaignForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form is None:
        raise NotFound()
    panel = tree_panel(actor=request.user, params=request.GET, perm="nominations.view")
    campaigns = selectors.campaign_list(actor=request.user, org=panel.selected)
    return form_page(
        request,
        form,
        lambda data: services.campaign_create(actor=request.user, **data),
        "nominations/campaigns.html",
        {
            "page": request_page(request, campaigns.none() if panel.blocked else campaigns),
            "tree_panel": panel,
        },
        done=lambda created: f"已设立“{created.name}”，请分配名额、设定结构比例后开始推荐",
        after=lambda created: reverse("nominations:campaign", args=[created.pk]),
    )


@login_required
@domain_errors
@require_POST
def quota_set(request, pk):
    campaign = selectors.campaign_managed(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.QuotaForm(request.POST, campaign=campaign),
        lambda data: services.quota_set(actor=request.user, campaign=campaign, **data),
        lambda quota: f"{quota.org_unit.name}：名额 {quota.allowed}",
        _campaign_url(campaign),
    )


@login_required
@domain_errors
@require_POST
def rule_add(request, pk):
    campaign = selectors.campaign_managed(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.RuleForm(request.POST),
        lambda data: services.rule_add(
            actor=request.user, campaign=campaign, **{**data, "percent": data["percent"] or 0}
        ),
        lambda rule: f"已设定：{rule.label}",
        _campaign_url(campaign),
    )


@login_required
@domain_errors
@require_POST
def campaign_open(request, pk):
    campaign = selectors.campaign_managed(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.campaign_open(actor=request.user, campaign=campaign),
        lambda _: "已开始推荐",
        _campaign_url(campaign),
    )


@login_required
@domain_errors
def campaign(request, pk):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    state = request.GET.get("state", "")
    nominees = selectors.nomination_list(actor=request.user, campaign=campaign, state=state)
    nodes, overall = selectors.quota_lines(actor=request.user, campaign=campaign)
    rights = selectors.campaign_rights(actor=request.user, campaign=campaign)
    level = campaign.honour.level
    return render(
        request,
        "nominations/campaign.html",
        {
            "campaign": campaign,
            "page": request_page(request, nominees),
            "state": state,
            "states": workflow.state_choices(level),
            "procedure": workflow.procedure(level),
            "nodes": nodes,
            "overall": overall,
            "advance_form": forms.AdvanceForm(steps=rights.steps),
            "notice_form": forms.NoticeForm(),
            "notice_stages": rights.notice_stages,
            "may_nominate": rights.nominate,
            "may_manage": rights.manage,
            "quota_form": forms.QuotaForm(campaign=campaign),
            "rule_form": forms.RuleForm(),
            "may_review": rights.review,
            "may_final_list": rights.final_list,
            "notices": selectors.campaign_notices(campaign=campaign),
            "objections": selectors.objection_list(actor=request.user, campaign=campaign),
        },
    )


@login_required
@domain_errors
def nominate(request, pk):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    unit = selectors.nominating_unit(actor=request.user)
    # Replacing a nominee (until the first review): the old one is withdrawn with a reason.
    replaced = request.GET.get("replaces", "")
    old = selectors.nomination_get(actor=request.user, pk=replaced) if replaced.isdigit() else None
    form = forms.NominationForm(
        request.POST or None, request.FILES or None, unit=unit, replacing=old is not None
    )
    outcome = "已推荐上报" if "submit" in request.POST else "已保存为草稿"
    return form_page(
        request,
        form,
        lambda data: services.nomination_save(
            actor=request.user,
            campaign=campaign,
            replaces=old,
            reason=data.get("reason", ""),
            person_id=data["person"].pk,
            brief=data["brief"],
            deeds=data["deeds"],
            categories=[c.name for c in data["categories"]],
            meeting_on=data["meeting_on"],
            meeting_attendance=data["meeting_attendance"],
            meeting_result=data["meeting_result"],
            document=data["form_file"],
            submit="submit" in request.POST,
        ),
        "nominations/nominate.html",
        {"campaign": campaign, "unit": unit, "replaced": old},
        done=lambda nomination: f"{nomination.person.name}：{outcome}",
        after=lambda nomination: _nomination_url(nomination.pk),
    )


def _chosen(request, campaign) -> list[Nomination]:
    """The ticked nominees, every one in the actor's scope, else ``NotFound`` (so too for an
    id no record can have: not ASCII digits, or beyond ``MAX_ID``)."""
    raw = request.POST.getlist("ids")
    if not all(i.isascii() and i.isdigit() and 0 < int(i) <= MAX_ID for i in raw):
        raise NotFound()
    ids = {int(i) for i in raw}
    return selectors.nominations_chosen(actor=request.user, campaign=campaign, ids=ids)


@login_required
@domain_errors
@require_POST
def advance(request, pk):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    chosen = _chosen(request, campaign)
    form = forms.AdvanceForm(request.POST)
    return post_action(
        request,
        form,
        lambda data: services.nominations_advance(actor=request.user, nominations=chosen, **data),
        lambda done: f"已办理“{TRANSITIONS[form.cleaned_data['action']].label}”：{len(done)} 人",
        request.POST.get("next") or _campaign_url(campaign),
    )


@login_required
@domain_errors
@require_POST
def notice_publish(request, pk):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    chosen = _chosen(request, campaign)
    return post_action(
        request,
        forms.NoticeForm(request.POST),
        lambda data: services.notice_publish(
            actor=request.user,
            campaign=campaign,
            stage=request.POST.get("stage", ""),
            nominations=chosen,
            **data,
        ),
        lambda notice: (
            f"已发布公示，公示期 {cn_date(notice.starts_on)} 至 {cn_date(notice.ends_on)}"
        ),
        _campaign_url(campaign),
    )


@login_required
@domain_errors
@require_POST
def list_submit(request, pk, quota_pk):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    quota = selectors.quota_get(actor=request.user, campaign=campaign, pk=quota_pk)
    return post_action(
        request,
        None,
        lambda _: services.node_list_submit(
            actor=request.user, campaign=campaign, org_unit=quota.org_unit
        ),
        lambda _: f"{quota.org_unit.name}的推荐名单已报送",
        _campaign_url(campaign),
    )


@login_required
@domain_errors
def nomination(request, pk):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    user = request.user
    objections = selectors.nomination_objections(actor=user, nomination=nomination)
    rights = selectors.nomination_rights(actor=user, nomination=nomination)
    return render(
        request,
        "nominations/nomination.html",
        {
            "n": nomination,
            "campaign": nomination.campaign,
            "timeline": selectors.timeline(actor=user, nomination=nomination),
            "attachments": attachment_list(actor=user, owner=nomination),
            "may_withdraw": rights.withdraw,
            "may_review": rights.review,
            "reason_form": forms.ReasonForm(),
            "clearance_form": forms.ClearanceForm(
                departments=nomination.campaign.clearance_departments
            ),
            "advance_form": forms.AdvanceForm(steps=rights.steps),
            "objection_form": forms.StaffObjectionForm(nominees=[nomination]),
            "open_notices": selectors.open_notices(nomination=nomination),
            "objections": attachments_of(actor=user, owners=objections),
            "revealable": {o.pk for o in objections if selectors.may_reveal_contact(user, o)},
            "triage_form": forms.TriageForm(),
            "resolve_form": forms.ResolveForm(),
        },
    )


@login_required
@domain_errors
@require_POST
def withdraw(request, pk):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.ReasonForm(request.POST),
        lambda data: services.nomination_withdraw(
            actor=request.user, nomination=nomination, **data
        ),
        lambda _: "已撤回推荐，名额已释放",
        _nomination_url(nomination.pk),
    )


@login_required
@domain_errors
@require_POST
def clearance(request, pk):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    form = forms.ClearanceForm(request.POST, departments=nomination.campaign.clearance_departments)
    return post_action(
        request,
        form,
        lambda data: services.clearance_record(actor=request.user, nomination=nomination, **data),
        lambda _: f"已记录{form.cleaned_data['department']}的意见",
        _nomination_url(nomination.pk),
    )


@login_required
@domain_errors
@require_POST
def objection_enter(request, pk):
    """Staff enter an objection received by phone, letter, e-mail or in person."""
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    form = forms.StaffObjectionForm(request.POST, request.FILES, nominees=[nomination])
    notice = next(iter(selectors.open_notices(nomination=nomination)), None)
    try:
        if notice is None:
            raise ValidationFailed({"notice": "该人员当前不在公示期内"})
        if not form.is_valid():
            raise ValidationFailed(field_errors(form))
        data = form.cleaned_data
        services.objection_file(
            notice=notice,
            nomination=nomination,
            text=data["text"],
            anonymous=data["anonymous"],
            name=data["name"],
            contact=data["contact"],
            channel=data["channel"],
            actor=request.user,
            evidence=data["evidence"],
        )
    except DomainError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, "已登记异议")
    return redirect("nominations:nomination", pk=nomination.pk)


@login_required
@domain_errors
@require_POST
def objection_contact(request, pk):
    """An HTMX fragment with the objector's unmasked contact (audited); never a GET, never
    cached."""
    objection = selectors.objection_get(actor=request.user, pk=pk)
    value = services.objection_contact_reveal(actor=request.user, objection=objection)
    response = render(request, "people/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@domain_errors
@require_POST
def objection_triage(request, pk):
    objection = selectors.objection_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.TriageForm(request.POST),
        lambda data: services.objection_triage(actor=request.user, objection=objection, **data),
        lambda _: "已处理",
        _nomination_url(objection.nomination_id),
    )


@login_required
@domain_errors
@require_POST
def objection_resolve(request, pk):
    objection = selectors.objection_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.ResolveForm(request.POST),
        lambda data: services.objection_resolve(actor=request.user, objection=objection, **data),
        lambda _: "异议已办结",
        _nomination_url(objection.nomination_id),
    )


@login_required
@domain_errors
def form_docx(request, pk):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    name = f"{nomination.campaign.name}推荐表-{nomination.person.name}.docx"
    return download(exports.nomination_form_docx(nomination), name)


@login_required
@domain_errors
@require_POST
def final_xlsx(request, pk):
    """The final list as Excel, made by a background job; the job's page offers it."""
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    job = services.final_list_export_start(actor=request.user, campaign=campaign)
    return redirect("web:job_detail", pk=job.pk)


@login_required
@domain_errors
def calendar(request):
    """The working-day calendar: the years known, and a form for a new year's schedule."""
    rights = selectors.calendar_rights(actor=request.user)
    if not rights.view:
        raise NotFound()
    form = forms.CalendarForm(request.POST or None) if rights.edit else None
    if request.method == "POST" and form is None:
        raise NotFound()
    return form_page(
        request,
        form,
        lambda data: calendar_year_set(actor=request.user, **data),
        "nominations/calendar.html",
        {"years": selectors.calendar_years(), "next_year": today().year + 1},
        done=lambda _: "；".join(
            [f"已录入 {form.cleaned_data['year']} 年节假日安排", *form.elsewhere]
        ),
        after=lambda _: reverse("nominations:calendar"),
    )


# --- Public (no login) ------------------------------------------------------------------------


def notices(request):
    page = request_page(request, selectors.public_notices())
    return render(
        request,
        "nominations/notices.html",
        {"page": page, "open": {n.pk for n in page if selectors.notice_open(n)}},
    )


def notice(request, pk):
    try:
        notice = selectors.public_notice(pk)
    except NotFound:
        return render(request, "web/error.html", {"message": "公示不存在"}, status=404)
    nominees = list(exports.notice_nominations(notice))
    is_open = selectors.notice_open(notice)
    form = (
        forms.ObjectionForm(request.POST or None, request.FILES or None, nominees=nominees)
        if is_open
        else None
    )
    filed = None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        chosen = next(n for n in nominees if n.pk == data["nomination"])
        try:
            filed = services.objection_file(
                notice=notice,
                nomination=chosen,
                text=data["text"],
                anonymous=data["anonymous"],
                name=data["name"],
                contact=data["contact"],
                source=client_key(request),
                evidence=data["evidence"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            form = forms.ObjectionForm(nominees=nominees)
    headers = exports.notice_headers(notice.fields)
    rows = [(n.pk, exports.notice_row(n, notice.fields)) for n in nominees]
    return render(
        request,
        "nominations/notice.html",
        {
            "notice": notice,
            "headers": headers,
            "rows": rows,
            "is_open": is_open,
            "form": form,
            "filed": filed,
        },
        status=422 if request.method == "POST" and filed is None else 200,
    )


def notice_nominee(request, pk, nomination_pk):
    """A nominee's public record: the notices that listed them and the outcome."""
    try:
        notice = selectors.public_notice(pk)
        nomination, notices, outcome = selectors.public_nominee(notice, nomination_pk)
    except NotFound:
        return render(request, "web/error.html", {"message": "公示中没有这个人员"}, status=404)
    return render(
        request,
        "nominations/notice_nominee.html",
        {
            "notice": notice,
            "name": nomination.person.name,
            "fields": zip(
                exports.notice_headers(notice.fields),
                exports.notice_row(nomination, notice.fields),
                strict=True,
            ),
            "notices": notices,
            "outcome": outcome,
        },
    )


def notice_download(request, pk, fmt):
    try:
        notice = selectors.public_notice(pk)
    except NotFound:
        return render(request, "web/error.html", {"message": "公示不存在"}, status=404)
    if fmt == "docx":
        return download(exports.notice_list_docx(notice), f"{notice.title}.docx")
    if fmt == "xlsx":
        return download(exports.notice_list_xlsx(notice), f"{notice.title}.xlsx")
    return render(request, "web/error.html", {"message": "只提供 Word 与 Excel 格式"}, status=404)


def objection_lookup(request):
    reference = request.GET.get("ref", "")
    found, missing = None, False
    if reference.strip():
        try:
            services.lookup_allowed(client_key(request))
            found = selectors.objection_by_reference(reference)
        except NotFound:
            missing = True
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "nominations/lookup.html",
        {"objection": found, "missing": missing, "ref": reference[:24]},
    )
