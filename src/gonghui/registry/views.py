"""Registry pages for staff, and the public honour wall (劳模墙)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import imports
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.imports import RowError
from gonghui.common.pagination import request_page
from gonghui.common.views import (
    apply_errors,
    domain_errors,
    download,
    error_message,
    form_page,
    merged_page,
)
from gonghui.files.services import attachments_of
from gonghui.jobs.services import job_get
from gonghui.jobs.views import upload_page
from gonghui.orgs import access
from gonghui.orgs.panel import tree_panel
from gonghui.people.models import PUBLIC_FIELDS, Person
from gonghui.people.selectors import Merged, public_profile
from gonghui.registry import excel, forms, merging, selectors, services, stats
from gonghui.registry.dictionary import entries_for, render_html
from gonghui.registry.models import Award, Honour


@login_required
@domain_errors
def search(request):
    access.require(request.user, "registry.view")
    form = forms.SearchForm(request.GET)
    panel = tree_panel(
        actor=request.user, params=request.GET, perm="registry.view", param="org_unit"
    )
    page = _page(
        request,
        form,
        lambda f: (
            Person.objects.none()
            if panel.blocked
            else selectors.person_search(actor=request.user, filters=f)
        ),
    )
    return render(
        request,
        "registry/search.html",
        {
            "form": form,
            "page": page,
            "tree_panel": panel,
            # The same checks as the import page and the export (no unit of their own).
            "may_import": access.can(request.user, "registry.change"),
            "may_export": access.can(request.user, "registry.export"),
        },
    )


def _page(request, form: forms.WallForm, search):
    """The requested page of ``search(filters)``; none while a filter is invalid (the form
    says which, next to the field)."""
    filters = form.person_filters()
    people = Person.objects.none() if filters is None else search(filters)
    return request_page(
        request,
        selectors.with_awards(people),
        count_cap=None if filters is None else selectors.count_cap(filters),
    )


@login_required
@domain_errors
def person(request, pk):
    try:
        person = selectors.person_get(actor=request.user, pk=pk)
    except Merged as merged:
        return merged_page(request, merged, "registry:person")
    subject = Honour.Subject.INDIVIDUAL
    duplicates, elsewhere = selectors.look_alikes(actor=request.user, person=person)
    return render(
        request,
        "registry/person.html",
        {
            "person": person,
            "awards": attachments_of(actor=request.user, owners=selectors.awards_of(person)),
            "duplicates": duplicates,
            "duplicates_elsewhere": elsewhere,
            "merges": [(m, merging.summary(m.moved)) for m in selectors.merges_into(person)],
            "may_unmerge": selectors.may_unmerge(request.user),
            "award_form": forms.AwardForm(actor=request.user, subject=subject),
            "can_change": access.can_at(request.user, "registry.change", person.org_unit),
            "media_form": forms.MediaForm(initial={"video_url": person.video_url}),
        },
    )


@login_required
@domain_errors
def award_create(request, pk):
    person = selectors.person_get(actor=request.user, pk=pk)
    form = forms.AwardForm(
        request.POST or None,
        request.FILES or None,
        actor=request.user,
        subject=Honour.Subject.INDIVIDUAL,
    )
    return form_page(
        request,
        form,
        lambda data: services.award_create(
            actor=request.user,
            honour=data["honour"],
            person=person,
            year=data["year"],
            batch=data["batch"],
            categories=list(data["categories"]),
            deeds=data["deeds"],
            document=data["document"] or None,  # False when its clear box is ticked
        ),
        "registry/award_form.html",
        {"person": person},
        after=lambda award: reverse("registry:person", args=[person.pk]),
        done=lambda award: f"已记录：{award.year}年 {award.honour.name}",
    )


@login_required
@domain_errors
@require_POST
def award_revoke(request, pk):
    award = _award(request, pk)
    form = forms.RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销须写明原因")
    else:
        try:
            services.award_revoke(
                actor=request.user, award=award, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已撤销该授予记录")
    return redirect("registry:person", pk=award.person_id)


@login_required
@domain_errors
@require_POST
def award_document(request, pk):
    """Attach a document (证书、表彰文件) to an award."""
    award = _award(request, pk)
    upload = request.FILES.get("document")
    try:
        if upload is None:
            raise ValidationFailed({"document": "请选择文件"})
        services.award_document_add(actor=request.user, award=award, upload=upload)
    except DomainError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, f"已上传：{upload.name}")
    return redirect("registry:person", pk=award.person_id)


def _award(request, pk) -> Award:
    return selectors.award_get(actor=request.user, pk=pk, held_by_person=True)


@login_required
@domain_errors
@require_POST
def merge(request, pk):
    survivor = selectors.person_get(actor=request.user, pk=pk)
    form = forms.MergeForm(request.POST)
    if form.is_valid():
        try:
            loser = selectors.person_get(actor=request.user, pk=form.cleaned_data["loser"])
            done = services.person_merge(actor=request.user, survivor=survivor, loser=loser)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            moved = "；".join(merging.summary(done.moved)) or "无其他记录"
            messages.success(
                request, f"已将档案 {loser.pk} 合并到本档案（可由市总管理员撤销）：{moved}"
            )
    return redirect("registry:person", pk=survivor.pk)


@login_required
@domain_errors
@require_POST
def merge_reverse(request, pk):
    merge = selectors.merge_get(actor=request.user, pk=pk)
    try:
        services.merge_reverse(actor=request.user, merge=merge)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销合并")
    return redirect("registry:person", pk=merge.survivor_id)


@login_required
@domain_errors
@require_POST
def media(request, pk):
    person = selectors.person_get(actor=request.user, pk=pk)
    form = forms.MediaForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            services.person_media_set(
                actor=request.user,
                person=person,
                portrait=form.cleaned_data["portrait"],
                video_url=form.cleaned_data["video_url"],
            )
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, "已保存照片与视频链接")
    return redirect("registry:person", pk=person.pk)


@login_required
@domain_errors
def honours(request):
    """The catalogue; staff holding ``registry.catalogue`` add honours of their level."""
    access.require(request.user, "registry.view")
    form, done = _add_form(
        request,
        "registry.catalogue",
        forms.HonourForm,
        services.honour_create,
        "已将“{}”加入荣誉目录",
    )
    return done or render(
        request, "registry/honours.html", {"honours": selectors.honour_list(), "form": form}
    )


@login_required
@domain_errors
def employers(request):
    """Units and collectives (employers, teams) in scope, with a form to register one."""
    access.require(request.user, "registry.view")
    form, done = _add_form(
        request, "registry.change", forms.UnitForm, services.unit_create, "已登记 {}"
    )
    query = request.GET.get("q", "").strip()[:60]
    page = request_page(request, selectors.employer_list(actor=request.user, query=query))
    return done or render(request, "registry/units.html", {"page": page, "form": form, "q": query})


def _add_form(request, perm: str, form_class, create, message: str):
    """A list page's "add" form, offered to holders of ``perm``: (form, redirect when the
    record was created). Errors go next to the fields."""
    form = (
        form_class(request.POST or None, actor=request.user)
        if access.can(request.user, perm)
        else None
    )
    if request.method != "POST":
        return form, None
    if form is None:
        raise NotFound()
    if form.is_valid():
        try:
            created = create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, message.format(created.name))
            return form, redirect(request.path)
    return form, None


@login_required
@domain_errors
def statistics(request):
    """Counts by honour, year, batch, district and category over the actor's scope, as
    tables and charts; ``?format=xlsx`` downloads them; the category share of a campaign
    year with its change since the previous campaign."""
    access.require(request.user, "registry.view")
    awards = selectors.award_list(actor=request.user)
    tables = stats.breakdowns(awards_qs=awards)
    form = forms.ShareForm(request.GET or None)
    share = None
    if form.is_valid():
        share = stats.category_share(awards_qs=awards, **form.cleaned_data)
    if request.GET.get("format") == "xlsx":
        workbook = stats.stats_workbook(tables=tables, shares=[share] if share else ())
        return download(workbook, "荣誉统计.xlsx")
    charts = [
        {
            "id": f"chart-{t.code}",
            "title": t.title,
            "table": t.table(),
            "option": stats.echarts_option(t),
        }
        for t in tables
    ]
    return render(
        request, "registry/statistics.html", {"charts": charts, "form": form, "share": share}
    )


@login_required
@domain_errors
def dictionary(request):
    """The model-worker dictionary of one honour over the actor's scope: printable HTML at
    once, or the Word book, which grows with the honour's holders, made by a background job
    (POSTed; the job's page offers the file)."""
    access.require(request.user, "registry.view")
    form = forms.DictionaryForm(request.POST or request.GET or None)
    if not form.is_valid():
        return render(request, "registry/dictionary_form.html", {"form": form})
    honour = form.cleaned_data["honour"]
    if form.cleaned_data["format"] == "docx":
        if request.method != "POST":  # a link starts nothing: the form, filled in
            return render(request, "registry/dictionary_form.html", {"form": form})
        job = services.dictionary_start(actor=request.user, honour=honour)
        return redirect("web:job_detail", pk=job.pk)
    entries = entries_for(honour=honour, awards_qs=selectors.award_list(actor=request.user))
    return HttpResponse(render_html(honour=honour, entries=entries))


@login_required
@domain_errors
def import_page(request):
    """Upload a workbook (template below); it is checked whole in the background and the
    job page lists every bad cell, with a downloadable error report."""
    access.require(request.user, "registry.change")
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    return upload_page(request, form, services.registry_import_start, "registry/import.html")


@login_required
@domain_errors
def template_download(request):
    access.require(request.user, "registry.view")
    return download(excel.template_workbook(actor=request.user), "劳模工匠档案导入模板.xlsx")


@login_required
@domain_errors
def error_report(request, pk):
    job = job_get(actor=request.user, pk=pk)
    if not job.errors:
        raise NotFound()
    rows = [RowError(**e) for e in job.errors]
    return download(imports.error_report(rows), "导入错误报告.xlsx")


@login_required
@domain_errors
@require_POST
def export(request):
    """The current search (filters and scope, from the query string) exported as a
    background job, masked always here (full values need the command line and the right to
    see them, audited): this request only checks the filters and queues the job, then the
    job's page follows it and offers the file. A bad filter makes no job."""
    access.require(request.user, "registry.export")
    filters = forms.SearchForm(request.GET).person_filters()
    if filters is None:  # the search page shows what is wrong, next to the field
        messages.error(request, "筛选条件有误，未导出。请修正后再导出。")
        return redirect(f"{reverse('registry:search')}?{request.GET.urlencode()}")
    job = services.registry_export_start(actor=request.user, filters=filters)
    return redirect("web:job_detail", pk=job.pk)


# --- The public honour wall (no login) -------------------------------------------------------


def wall(request):
    form = forms.WallForm(request.GET)
    page = _page(request, form, lambda f: selectors.public_search(filters=f))
    cards = []
    for p in page:
        profile = public_profile(p)
        honours = [a for a in p.awards.all() if a.status == Award.Status.ACTIVE]
        cards.append(
            {
                "pk": p.pk,
                "name": profile.get("name", ""),
                "gender": profile.get("gender", ""),
                "portrait": "portrait" in profile and p.portrait_id is not None,
                "honours": "；".join(f"{a.year}年 {a.honour.name}" for a in honours),
            }
        )
    return render(
        request,
        "registry/wall.html",
        {"form": form, "page": page, "cards": cards, "honours": selectors.honour_list()},
    )


def wall_person(request, pk):
    person = selectors.public_person(pk)
    if person is None:
        raise Http404("记录不存在或未公开")
    profile = public_profile(person)
    facts = {
        PUBLIC_FIELDS[k]: v
        for k, v in profile.items()
        if k not in ("name", "deeds", "portrait") and v
    }
    awards = selectors.active_awards_of(person)
    return render(
        request,
        "registry/wall_person.html",
        {
            "pk": person.pk,
            "portrait": "portrait" in profile and person.portrait_id is not None,
            "video_url": person.video_url if "portrait" in profile else "",
            "name": profile.get("name") or "（姓名未公开）",
            "profile": facts,
            "awards": awards,
            "show_deeds": "deeds" in profile,
        },
    )


def wall_portrait(request, pk):
    """A consenting person's portrait, for the public page (nothing else is served here)."""
    person = selectors.public_person(pk)
    if person is None or not person.portrait_id or "portrait" not in (public_profile(person)):
        raise Http404()
    photo = person.portrait
    return FileResponse(photo.file.open("rb"), content_type=photo.mime_type)
