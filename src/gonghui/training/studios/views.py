"""创新工作室 pages for staff: the registry of studios (filters, sort, pages, Excel), a
studio with its members and reports, registration and editing, the answer to a contests
offer, the yearly report (submit, correct, review district then city, its evidence), the
review queue and the alliance (table, chart, Excel). Thin: parse, call one service or
selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import money, sheets
from gonghui.common.errors import NotFound
from gonghui.common.pagination import filtered_page
from gonghui.common.views import domain_errors, download, form_page, post_action, stored_download
from gonghui.files.services import attachment_download, attachment_list
from gonghui.orgs import access
from gonghui.registry.models import Studio
from gonghui.training.studios import forms, selectors, services
from gonghui.training.studios.selectors import APPLY, MANAGE, OUTPUTS, VIEW


def _studio_url(studio) -> str:
    return reverse("training:studio", args=[studio.pk])


def _report_url(report) -> str:
    return reverse("training:studio_report", args=[report.pk])


# --- The registry of studios -----------------------------------------------------------------


@login_required
@domain_errors
def studios(request):
    access.require(request.user, VIEW)
    filters = forms.StudioFilters(request.GET, actor=request.user)
    page = filtered_page(
        request,
        filters,
        selectors.studio_list,
        actor=request.user,
        sort=request.GET.get("sort", ""),
    )
    return render(
        request,
        "training/studios/studios.html",
        {"page": page, "filters": filters, "may_manage": access.can(request.user, MANAGE)},
    )


@login_required
@domain_errors
def studios_export(request):
    access.require(request.user, VIEW)
    filters = forms.StudioFilters(request.GET, actor=request.user)
    book = services.studios_export(actor=request.user, filters=filters.filters())
    return download(book, "创新工作室名录.xlsx")


@login_required
@domain_errors
def studio_create(request):
    access.require(request.user, MANAGE)
    form = forms.StudioForm(
        request.POST or None,
        actor=request.user,
        unit_q=request.GET.get("unit_q", ""),
        person_q=request.GET.get("person_q", ""),
    )
    return form_page(
        request,
        form,
        lambda data: services.studio_register(actor=request.user, **data),
        "training/studios/studio_form.html",
        {
            "creating": True,
            "unit_q": request.GET.get("unit_q", ""),
            "person_q": request.GET.get("person_q", ""),
        },
        after=_studio_url,
        done=lambda s: f"已登记“{s.name}”",
    )


@login_required
@domain_errors
def studio(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    may_manage = selectors.may_at(request.user, MANAGE, s)
    person_q = request.GET.get("person_q", "")
    return render(
        request,
        "training/studios/studio.html",
        {
            "s": s,
            "district": selectors.district_of(s.org_unit),
            "members": selectors.members_of(s),
            "reports": selectors.reports_of(s),
            "may_manage": may_manage,
            "may_apply": selectors.may_at(request.user, APPLY, s)
            and s.status == Studio.Status.ACTIVE,
            "offered": s.status == Studio.Status.OFFERED,
            "accept_form": forms.AcceptForm(
                initial={"level": s.level, "kind": s.kind, "trade": s.trade}
            ),
            "decline_form": forms.DeclineForm(),
            "member_form": forms.MemberForm(actor=request.user, person_q=person_q)
            if may_manage and s.status == Studio.Status.ACTIVE
            else None,
            "person_q": person_q,
        },
    )


@login_required
@domain_errors
def studio_edit(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    access.require_at(request.user, MANAGE, s.org_unit, view_perm=VIEW)
    initial = {key: getattr(s, key) for key in services.STUDIO_FIELDS}
    form = forms.StudioForm(
        request.POST or None,
        actor=request.user,
        studio=s,
        initial=initial,
        unit_q=request.GET.get("unit_q", ""),
        person_q=request.GET.get("person_q", ""),
    )
    return form_page(
        request,
        form,
        lambda data: services.studio_update(actor=request.user, studio=s, **data),
        "training/studios/studio_form.html",
        {
            "s": s,
            "unit_q": request.GET.get("unit_q", ""),
            "person_q": request.GET.get("person_q", ""),
        },
        after=_studio_url,
        done=lambda s: f"已保存“{s.name}”",
    )


@login_required
@require_POST
@domain_errors
def studio_accept(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.AcceptForm(request.POST),
        lambda data: services.studio_accept(actor=request.user, studio=s, **data),
        lambda s: f"已确认创建“{s.name}”，工作室已挂牌",
        _studio_url(s),
    )


@login_required
@require_POST
@domain_errors
def studio_decline(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.DeclineForm(request.POST),
        lambda data: services.studio_decline(actor=request.user, studio=s, **data),
        lambda s: f"已登记单位放弃“{s.name}”",
        _studio_url(s),
    )


@login_required
@require_POST
@domain_errors
def studio_member_add(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.MemberForm(request.POST, actor=request.user),
        lambda data: services.studio_member_add(actor=request.user, studio=s, **data),
        lambda m: f"已将 {m.person.name} 登记为{m.get_role_display()}",
        _studio_url(s),
    )


@login_required
@require_POST
@domain_errors
def studio_member_remove(request, pk):
    member = selectors.member_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda data: services.studio_member_remove(actor=request.user, member=member),
        lambda _: f"已将 {member.person.name} 移出工作室",
        _studio_url(member.studio),
    )


# --- Yearly reports --------------------------------------------------------------------------


@login_required
@domain_errors
def report_create(request, pk):
    s = selectors.studio_get(actor=request.user, pk=pk)
    access.require_at(request.user, APPLY, s.org_unit, view_perm=VIEW)
    post = request.method == "POST"
    form = forms.ReportForm(request.POST if post else None, request.FILES if post else None)
    return form_page(
        request,
        form,
        lambda data: services.studio_report_submit(
            actor=request.user, studio=s, **form.data_for_service()
        ),
        "training/studios/report_form.html",
        {"s": s, "creating": True},
        after=_report_url,
        done=lambda r: f"已提交“{s.name}”{r.year}年度成果，等待区级审核",
    )


@login_required
@domain_errors
def report(request, pk):
    r = selectors.report_get(actor=request.user, pk=pk)
    return render(
        request,
        "training/studios/report.html",
        {
            "r": r,
            "s": r.studio,
            "reviews": selectors.reviews_of(r),
            "evidence": attachment_list(actor=request.user, owner=r),
            "may_review": selectors.may_review(request.user, r),
            "level": selectors.LEVEL_OF_STATUS.get(r.status),
            "may_correct": r.status == r.Status.RETURNED
            and access.can_at(request.user, APPLY, r.org_unit),
            "form": forms.ReviewForm(),
        },
    )


@login_required
@domain_errors
def report_edit(request, pk):
    r = selectors.report_get(actor=request.user, pk=pk)
    access.require_at(request.user, APPLY, r.org_unit, view_perm=VIEW)
    post = request.method == "POST"
    form = forms.ReportForm(
        request.POST if post else None,
        request.FILES if post else None,
        fixed_year=r.year,
        initial=forms.report_initial(r),
    )
    return form_page(
        request,
        form,
        lambda data: services.studio_report_update(
            actor=request.user, report=r, **form.data_for_service()
        ),
        "training/studios/report_form.html",
        {"s": r.studio, "r": r},
        after=_report_url,
        done=lambda r: f"已修改并重新提交{r.year}年度成果，等待区级审核",
    )


@login_required
@require_POST
@domain_errors
def report_review(request, pk):
    r = selectors.report_get(actor=request.user, pk=pk)
    return post_action(
        request,
        forms.ReviewForm(request.POST),
        lambda data: services.studio_report_review(actor=request.user, report=r, **data),
        lambda r: {
            r.Status.DISTRICT_OK: "区级审核通过，已报市级审核",
            r.Status.APPROVED: "市级审核通过，年度成果已审定",
            r.Status.RETURNED: "已退回修改，填报单位可见退回原因",
        }[r.status],
        _report_url(r),
    )


@login_required
@domain_errors
def report_evidence(request, pk, attachment):
    r = selectors.report_get(actor=request.user, pk=pk)
    if not attachment_list(actor=request.user, owner=r).filter(pk=attachment).exists():
        raise NotFound()
    found = attachment_download(actor=request.user, pk=attachment)
    return stored_download(found.file, found.name, found.mime_type)


@login_required
@domain_errors
def reports(request):
    """The reports in scope; reviewers filter those waiting for them."""
    access.require(request.user, VIEW)
    filters = forms.ReportFilters(request.GET)
    page = filtered_page(request, filters, selectors.report_list, actor=request.user)
    return render(request, "training/studios/reports.html", {"page": page, "filters": filters})


# --- The alliance ----------------------------------------------------------------------------


def _alliance(request):
    access.require(request.user, VIEW)
    filters = forms.AllianceFilters(request.GET, actor=request.user)
    found = filters.filters()
    figures = selectors.alliance(actor=request.user, **found) if found is not None else None
    return filters, figures


def _chart(figures) -> dict:
    years = [str(y) for y in figures.years]
    counts = [key for key, _ in OUTPUTS if not key.endswith("_fen")]
    labels = dict(OUTPUTS)
    series = [
        {
            "name": labels[key],
            "type": "bar",
            "data": [figures.by_year[y][key] for y in figures.years],
        }
        for key in counts
    ] + [
        {
            "name": f"{labels[key]}（万元）",
            "type": "line",
            "yAxisIndex": 1,
            "data": [round(figures.by_year[y][key] / 1_000_000, 2) for y in figures.years],
        }
        for key in ("benefit_fen", "saved_fen")
    ]
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"top": 40, "left": 50, "right": 60, "bottom": 30},
        "xAxis": {"type": "category", "data": years},
        "yAxis": [{"type": "value", "name": "项/人次"}, {"type": "value", "name": "万元"}],
        "series": series,
    }


@login_required
@domain_errors
def alliance(request):
    filters, figures = _alliance(request)
    return render(
        request,
        "training/studios/alliance.html",
        {
            "filters": filters,
            "a": figures,
            "outputs": OUTPUTS,
            "chart": _chart(figures) if figures and figures.years else None,
            "query": request.GET.urlencode(),
        },
    )


def _cell(key: str, value: int) -> str | int:
    return money.yuan(value) if key.endswith("_fen") else value


@login_required
@domain_errors
def alliance_export(request):
    filters, figures = _alliance(request)
    labels = [label + ("（元）" if key.endswith("_fen") else "") for key, label in OUTPUTS]
    headers = ["工作室", "区（产业）", "专业领域", "年度", *labels]
    book, ws = sheets.write_only_book("创新工作室联盟", headers, {1: 30, 2: 18})
    if figures is not None:
        for row in figures.rows:
            for year, values in sorted(row.years.items()):
                sheets.append(
                    ws,
                    [row.studio.name, row.district, row.studio.trade, year]
                    + [_cell(k, values[k]) for k, _ in OUTPUTS],
                )
            if row.years:
                sheets.append(
                    ws,
                    [row.studio.name, row.district, row.studio.trade, "合计"]
                    + [_cell(k, row.total[k]) for k, _ in OUTPUTS],
                )
        sheets.append(ws, ["总计", "", "", ""] + [_cell(k, figures.total[k]) for k, _ in OUTPUTS])
    return download(sheets.book_bytes(book), "创新工作室联盟成果.xlsx")
