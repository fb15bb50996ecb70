"""Application pages: the member's own on a phone (my applications, apply, the detail with
its reasons, withdraw, own documents) and the staff's (a programme's applications with
filters, one application with its documents, facts, review trail and the decide form
showing the one valid next step, applying on a person's behalf). Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import formats, workdays
from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, form_page, post_action, stored_download
from gonghui.funds.applications import forms, selectors, services
from gonghui.funds.models import Application, Programme
from gonghui.orgs import access
from gonghui.orgs.panel import tree_panel


def _kind_form(request, programme: Programme, *, actor, data=None, files=None):
    """The form for the programme's kind (and for a certificate, its route), built from
    the current rule; None when the programme takes no applications of its own."""
    version = selectors.current_rule(programme)
    rule = version.rule if version else {}
    year = workdays.today().year
    if programme.kind == Programme.Kind.CERTIFICATE:
        if request.GET.get("via") == "finalist" and rule.get("competitions"):
            return forms.FinalistForm(data, files, competitions=_competitions(rule))
        return forms.CertificateForm(data, files, rule=rule, year=year)
    if programme.kind == Programme.Kind.ILLNESS:
        return forms.IllnessForm(data, files)
    if programme.kind == Programme.Kind.STUDIO:
        studios = selectors.studios_for(actor=actor, programme=programme)
        reports = selectors.studio_reports_for(studios)
        return forms.StudioForm(data, files, reports=reports)
    return None


def _competitions(rule) -> list[tuple[int, str]]:
    return selectors.competition_names([c["id"] for c in rule.get("competitions") or []])


def _context(programme: Programme, request) -> dict:
    version = selectors.current_rule(programme)
    rule = version.rule if version else {}
    return {
        "programme": programme,
        "rule": rule,
        "version": version,
        "via": request.GET.get("via", ""),
        "finalists": bool(rule.get("competitions")),
        "amounts": _amounts(rule),
    }


def _amounts(rule) -> list[str]:
    """The rule's amounts as people read them (shown beside the form)."""
    kind = rule.get("kind")
    if kind == "certificate":
        aliases = rule.get("aliases", {})
        return [
            f"{lv}{''.join('/' + a for a, to in aliases.items() if to == lv)}：{formats.yuan(fen)}"
            for lv, fen in rule.get("levels", {}).items()
        ]
    if kind == "illness":
        return [
            f"自付 {formats.yuan(b['from'])} 起："
            + "，".join(f"{g} {formats.yuan(a)}" for g, a in b["amounts"].items())
            for b in rule.get("bands", [])
        ]
    if kind == "fixed":
        return [f"每项 {formats.yuan(rule.get('amount', 0))}"]
    return []


# --- The member's own ------------------------------------------------------------------------


@login_required
@domain_errors
def my_applications(request):
    person = selectors.member_person(request.user)
    return render(
        request,
        "funds/applications/my_applications.html",
        {
            "person": person,
            "applications": selectors.my_applications(request.user),
            "programmes": selectors.programmes_for_member(person, workdays.today()),
        },
    )


@login_required
@domain_errors
def apply(request, pk):
    programme = selectors.programme_for_apply(pk)
    post = request.method == "POST"
    form = None
    if programme.kind != Programme.Kind.STUDIO:
        form = _kind_form(
            request,
            programme,
            actor=request.user,
            data=request.POST if post else None,
            files=request.FILES if post else None,
        )
    context = _context(programme, request) | {
        "person": selectors.member_person(request.user),
        "member_page": True,
    }
    if form is None:
        return render(request, "funds/applications/apply.html", context | {"form": None})
    return form_page(
        request,
        form,
        lambda data: services.application_submit(
            actor=request.user, programme=programme, facts=form.facts(), documents=form.documents()
        ),
        "funds/applications/apply.html",
        context,
        after=lambda app: reverse("funds:my_application", args=[app.pk]),
        done=lambda app: f"申请已提交，核定金额 {formats.yuan(app.amount)}，等待基层工会核实",
    )


@login_required
@domain_errors
def my_application(request, pk):
    app = selectors.my_application(request.user, pk)
    return render(
        request,
        "funds/applications/my_application.html",
        {
            "a": app,
            "reviews": selectors.reviews_of(app),
            "documents": selectors.documents(app),
            "withdraw_form": forms.WithdrawForm(),
            "may_withdraw": app.status == Application.Status.SUBMITTED,
            "levels": _trail(app),
        },
    )


@login_required
@domain_errors
@require_POST
def my_application_withdraw(request, pk):
    app = selectors.my_application(request.user, pk)
    return post_action(
        request,
        forms.WithdrawForm(request.POST),
        lambda data: services.application_withdraw(
            actor=request.user, application=app, reason=data["reason"]
        ),
        lambda a: "申请已撤回",
        reverse("funds:my_application", args=[pk]),
    )


@login_required
@domain_errors
def my_application_document(request, pk, doc):
    app = selectors.my_application(request.user, pk)
    attachment = services.document_open(actor=request.user, application=app, attachment_id=doc)
    return stored_download(attachment.file, attachment.name, attachment.mime_type)


def _trail(app: Application) -> list[dict]:
    """Each level of the programme with where the application stands at it."""
    done = {r.level: r for r in app.reviews.all()}
    waiting = selectors.STATUS_LEVEL.get(app.status)
    return [
        {
            "level": level,
            "name": selectors.LEVEL_NAME[level],
            "review": done.get(level),
            "current": waiting == level and app.status in selectors.PENDING,
        }
        for level in range(1, app.programme.levels + 1)
    ]


# --- Staff -----------------------------------------------------------------------------------


@login_required
@domain_errors
def applications(request, pk):
    access.require(request.user, "funds.view")
    programme = selectors.programme_get(actor=request.user, pk=pk)
    filters = selectors.Filters(
        status=request.GET.get("status", ""),
        level=request.GET.get("level", ""),
        district=request.GET.get("district", ""),
        q=request.GET.get("q", "").strip()[:60],
        sort=request.GET.get("sort", ""),
    )
    # The tree panel picks the list's ``district`` (any node, its subtree): checked there.
    panel = tree_panel(actor=request.user, params=request.GET, perm="funds.view", param="district")
    qs = selectors.application_list(actor=request.user, programme=programme, filters=filters)
    return render(
        request,
        "funds/applications/applications.html",
        {
            "programme": programme,
            "page": request_page(request, qs.none() if panel.blocked else qs),
            "tree_panel": panel,
            "f": filters,
            "statuses": forms.STATUS_CHOICES,
            "level_choices": forms.LEVEL_CHOICES,
            "districts": selectors.districts(actor=request.user),
            "may_apply": programme.entry == Programme.Entry.APPLY
            and access.can(request.user, "funds.apply"),
        },
    )


@login_required
@domain_errors
def application(request, pk):
    access.require(request.user, "funds.view")
    app = selectors.application_get(actor=request.user, pk=pk)
    step = selectors.next_step(request.user, app)
    return render(
        request,
        "funds/applications/application.html",
        {
            "a": app,
            "reviews": selectors.reviews_of(app),
            "documents": selectors.documents(app)
            if selectors.may_see_documents(request.user, app)
            else None,
            "step": step,
            "form": forms.DecideForm() if step.level else None,
            "levels": _trail(app),
            "facts": _facts(app),
        },
    )


@login_required
@domain_errors
@require_POST
def application_decide(request, pk):
    access.require(request.user, "funds.view")
    app = selectors.application_get(actor=request.user, pk=pk)

    def said(a):
        if a.status == Application.Status.APPROVED:
            return f"已批准：生成应发记录 {formats.yuan(a.amount)}，已占用预算"
        if a.status == Application.Status.REJECTED:
            return "已作出不通过决定，申请人可看到原因"
        return f"已通过，转{a.get_status_display()}"

    return post_action(
        request,
        forms.DecideForm(request.POST),
        lambda data: services.application_decide(
            actor=request.user, application=app, decision=data["decision"], note=data["note"]
        ),
        said,
        reverse("funds:application", args=[pk]),
    )


@login_required
@domain_errors
def application_document(request, pk, doc):
    access.require(request.user, "funds.view")
    app = selectors.application_get(actor=request.user, pk=pk)
    attachment = services.document_open(actor=request.user, application=app, attachment_id=doc)
    return stored_download(attachment.file, attachment.name, attachment.mime_type)


FACT_LABELS = {
    "certificate_no": "证书编号",
    "level": "证书等级",
    "rule_level": "按等级",
    "trade": "职业（工种）",
    "issued_on": "发证日期",
    "competition": "竞赛",
    "place": "名次",
    "self_paid": "个人自付费用",
    "grade": "困难等级",
    "diagnosis": "诊断",
    "event_date": "确诊或住院日期",
    "hospital": "就诊医院",
    "year": "资助年度",
}


def _facts(app: Application) -> list[tuple[str, str]]:
    shown = []
    for key, label in FACT_LABELS.items():
        if key not in app.facts:
            continue
        value = app.facts[key]
        if key == "self_paid":
            value = formats.yuan(int(value))
        elif key == "competition":
            value = dict(_competitions({"competitions": [{"id": value}]})).get(value, value)
        shown.append((label, str(value)))
    if app.studio_id:
        shown.insert(0, ("工作室", app.studio.name))
    return shown


@login_required
@domain_errors
def apply_for(request, pk):
    """代为申请: find the person (by name or pinyin, among members of the unions the staff
    member applies for), then the programme's form; a studio grant names the studio."""
    access.require(request.user, "funds.apply")
    programme = selectors.programme_get(actor=request.user, pk=pk)
    q = request.GET.get("q", "").strip()[:60]
    person = None
    if programme.kind != Programme.Kind.STUDIO and request.GET.get("person"):
        person = selectors.person_for_apply(actor=request.user, pk=request.GET["person"])
    post = request.method == "POST"
    form = None
    if programme.kind == Programme.Kind.STUDIO or person is not None:
        form = _kind_form(
            request,
            programme,
            actor=request.user,
            data=request.POST if post else None,
            files=request.FILES if post else None,
        )
    context = _context(programme, request) | {
        "applicant": person,
        "q": q,
        "people": selectors.people_for_apply(actor=request.user, q=q) if not form else [],
        "studio_kind": programme.kind == Programme.Kind.STUDIO,
    }
    if form is None:
        return render(request, "funds/applications/apply_for.html", context | {"form": None})
    return form_page(
        request,
        form,
        lambda data: services.application_submit(
            actor=request.user,
            programme=programme,
            facts=form.facts(),
            documents=form.documents(),
            person=person,
        ),
        "funds/applications/apply_for.html",
        context,
        after=lambda app: reverse("funds:application", args=[app.pk]),
        done=lambda app: f"已代 {app.person.name} 提交申请，核定金额 {formats.yuan(app.amount)}",
    )
