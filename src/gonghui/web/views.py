"""Pages. Each view parses, calls one service or selector, renders — nothing more."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gonghui.audit.selectors import event_list
from gonghui.audit.services import key_fingerprints, verify_platform
from gonghui.common.errors import DomainError, NotFound, Throttled, ValidationFailed
from gonghui.common.pagination import filtered_page, request_page
from gonghui.common.schemas import MAX_ID
from gonghui.common.views import (
    apply_errors,
    domain_errors,
    error_message,
    form_page,
    merged_page,
    post_action,
    stored_download,
)
from gonghui.factors.selectors import first_step
from gonghui.files.services import attachment_add, attachment_download, attachment_list
from gonghui.jobs.services import job_get
from gonghui.jobs.views import upload_page
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.orgs.panel import TreeItem, TreePanel, panel_settings, tree_panel
from gonghui.orgs.selectors import (
    org_unit_ancestors,
    org_unit_get,
    org_unit_list,
    posts_held,
    tree_search,
)
from gonghui.orgs.selectors import token_list as token_list_selector
from gonghui.orgs.selectors import tree_children as tree_children_selector
from gonghui.orgs.services import orgunit_create, orgunit_move, orgunit_update, token_create
from gonghui.orgs.services import password_change as password_change_service
from gonghui.orgs.services import token_revoke as token_revoke_service
from gonghui.people import search
from gonghui.people.models import Person
from gonghui.people.selectors import (
    Merged,
    membership_list,
    person_get,
    transfer_request_get,
    transfer_requests_mine,
    transfer_requests_to_decide,
)
from gonghui.people.selectors import person_list as person_list_selector
from gonghui.people.services import (
    AlreadyRegistered,
    TransferRequested,
    person_find_by_id_number,
    person_update,
    transfer_request_approve,
    transfer_request_refuse,
)
from gonghui.people.services import person_create as person_create_service
from gonghui.people.services import person_reveal as person_reveal_service
from gonghui.registry.selectors import look_alikes_exist
from gonghui.treeimport.services import tree_import_start
from gonghui.web import forms, workbench
from gonghui.web.services import list_columns_set


class LoginView(auth_views.LoginView):
    """The password; then, for staff who hold a factor or must enrol one, the second step
    (factors: SecondFactorMiddleware holds every other page until it passes)."""

    template_name = "web/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        url = super().get_success_url()
        step = first_step(self.request.user, verified=False)
        if step is None:
            return url
        return f"{reverse(step)}?{urlencode({'next': url})}"


@login_required
def home(request):
    """The workbench (工作台): what waits for the user's posts, their shortcuts, their latest
    acts and their posts. A member without a post lands on their phone home, a merchant's
    counter account on its counter."""
    if not access.grants(request.user):
        if hasattr(request.user, "merchant_staff"):
            return redirect("perks:counter")
        if getattr(request.user, "person", None) is not None:
            return redirect("web:member_home")
    return render(
        request,
        "web/home.html",
        {
            "posts": posts_held(actor=request.user),
            "waiting": workbench.waiting_for(request.user),
            "shortcuts": workbench.shortcuts(request.user),
            "recent": workbench.recent(request.user),
        },
    )


@login_required
@domain_errors
def member_home(request):
    """A member's phone home: card, claims and pickup codes, enrolments, applications."""
    return render(request, "web/member_home.html", {"home": workbench.member_home(request.user)})


@login_required
def password_change(request):
    form = forms.PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change_service(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in
            messages.success(request, "密码已修改")
            return redirect("web:home")
    return render(request, "web/password.html", {"form": form})


# --- API tokens -----------------------------------------------------------------------------


@login_required
def token_list(request):
    """The user's API tokens (every token for the city's account administrator): made here
    (the token shown this once), revoked here, with each one's last use."""
    form = forms.TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = token_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except NotFound:
            form.add_error(None, "您的账号没有岗位，不能创建令牌")
        else:
            form = forms.TokenForm()
    response = render(
        request,
        "web/tokens.html",
        {
            "page": request_page(request, token_list_selector(actor=request.user)),
            "form": form,
            "raw": raw,
            "can_create": bool(access.grants(request.user)),
            "all_owners": access.can_citywide(request.user, "security.tokens"),
        },
    )
    response["Cache-Control"] = "no-store"  # a new token is on the page
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    return post_action(
        request,
        None,
        lambda _: token_revoke_service(actor=request.user, token_id=pk),
        lambda token: f"已吊销令牌 {token.prefix}…（{token.name}）",
        "web:token_list",
    )


# --- Org tree -------------------------------------------------------------------------------


@login_required
@require_GET
def tree_children(request, pk):
    """A node's children in the tree panel (a fragment): a page of them in the scope of
    the list's permission; nothing for a node outside it."""
    perm, param, keep = panel_settings(request.GET)
    after = request.GET.get("after", "")
    after = after if after.isascii() and after.isdigit() and len(after) <= 72 else ""
    children, more = (
        tree_children_selector(actor=request.user, parent_id=pk, perm=perm, after=after)
        if pk <= MAX_ID  # a larger id names no unit (and overflows the database's integer)
        else ([], False)
    )
    return render(
        request,
        "web/_tree_nodes.html",
        {
            "panel": TreePanel(perm=perm, param=param, keep=keep),
            "items": [TreeItem(child) for child in children],
            "more_after": children[-1].path if more else "",
            "parent": pk,
        },
    )


@login_required
@require_GET
def tree_find(request):
    """The tree panel's search (a fragment): units in scope by name or code, each with its
    full path."""
    perm, param, keep = panel_settings(request.GET)
    query = request.GET.get("q", "").strip()[:60]
    return render(
        request,
        # ``pick``: as options, for an organisation picker over many units (orgs/fields.py)
        "web/_tree_options.html" if request.GET.get("pick") else "web/_tree_hits.html",
        {
            "panel": TreePanel(perm=perm, param=param, keep=keep),
            "query": query,
            "hits": tree_search(actor=request.user, query=query, perm=perm),
        },
    )


@login_required
@domain_errors
def org_list(request):
    filters = forms.OrgFilterForm(request.GET)
    data = filters.filters()
    panel = tree_panel(actor=request.user, params=request.GET, perm="orgs.view", param="root")
    root = panel.selected
    if data is None or panel.blocked:
        qs = OrgUnit.objects.none()
    else:
        qs = org_unit_list(
            actor=request.user,
            root=root,
            query=data.get("q", ""),
            level=data.get("level", ""),
            sort=request.GET.get("sort", ""),
        )
    return render(
        request,
        "orgs/list.html",
        {
            "page": request_page(request, qs),
            "filters": filters,
            "root": root,
            "tree_panel": panel,
            "can_import": access.can(request.user, "orgs.import"),
        },
    )


@login_required
@domain_errors
def org_detail(request, pk):
    unit = org_unit_get(actor=request.user, pk=pk)
    children = org_unit_list(actor=request.user, parent=unit)
    return render(
        request,
        "orgs/detail.html",
        {
            "unit": unit,
            "ancestors": org_unit_ancestors(unit, actor=request.user),
            "page": request_page(request, children),
            "can_change": access.can_at(request.user, "orgs.change", unit),
            # Moving needs the right at the parent's level too (a unit's new parent must be
            # in scope, and nothing below the unit itself can be).
            "can_move": unit.parent is not None
            and access.can_at(request.user, "orgs.change", unit.parent),
        },
    )


def _org_url(unit) -> str:
    return reverse("web:org_detail", args=[unit.pk])


@login_required
@domain_errors
def org_create(request, pk):
    parent = org_unit_get(actor=request.user, pk=pk)
    return form_page(
        request,
        forms.OrgUnitForm(request.POST or None),
        lambda data: orgunit_create(actor=request.user, parent=parent, **data),
        "orgs/form.html",
        {"parent": parent, "title": "新增下级组织"},
        done=lambda unit: f"已新增 {unit.name}",
        after=_org_url,
        refused=ValidationFailed,
    )


@login_required
@domain_errors
def org_edit(request, pk):
    unit = org_unit_get(actor=request.user, pk=pk)
    return form_page(
        request,
        forms.OrgEditForm(
            request.POST or None, initial={"name": unit.name, "is_active": unit.is_active}
        ),
        lambda data: orgunit_update(actor=request.user, unit=unit, **data),
        "orgs/form.html",
        {"unit": unit, "title": "修改组织"},
        done=lambda _: "已保存",
        after=lambda _: _org_url(unit),
        refused=ValidationFailed,
    )


@login_required
@domain_errors
def org_move(request, pk):
    unit = org_unit_get(actor=request.user, pk=pk)
    form = forms.OrgMoveForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["parent"]
        try:
            orgunit_move(actor=request.user, unit=unit, new_parent=target)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已将 {unit.name} 移至 {target.name}")
            return redirect("web:org_detail", pk=unit.pk)
    return render(request, "orgs/form.html", {"form": form, "unit": unit, "title": "移动组织"})


@login_required
@domain_errors
def org_import(request):
    access.require(request.user, "orgs.import")
    form = forms.TreeImportForm(request.POST or None, request.FILES or None)
    return upload_page(request, form, tree_import_start, "orgs/import.html")


@login_required
@domain_errors
def job_detail(request, pk):
    job = job_get(actor=request.user, pk=pk)
    template = "jobs/_progress.html" if request.htmx else "jobs/detail.html"
    return render(request, template, {"job": job})


# --- People ---------------------------------------------------------------------------------


@login_required
@domain_errors
def person_list(request):
    access.require(request.user, "people.view")
    filters = forms.PersonFilterForm(request.GET)
    data = filters.filters()
    panel = tree_panel(actor=request.user, params=request.GET, perm="people.view")
    if data is None or panel.blocked:
        qs, q = Person.objects.none(), ""
    else:
        q = data.get("q", "")
        sort = request.GET.get("sort", "")  # a key of PERSON_SORTS, else the best match first
        qs = person_list_selector(actor=request.user, query=q, sort=sort, org=panel.selected)
    page = request_page(request, qs, count_cap=search.count_cap(q))
    return _person_list_page(request, page, filters, forms.IdLookupForm(), panel=panel)


def _person_list_page(request, page, filters, lookup, status=200, panel=None):
    # The look-up by full number is offered only to posts that may see full numbers.
    can_lookup = access.can(request.user, "people.view_pii")
    return render(
        request,
        "people/list.html",
        {
            "page": page,
            "filters": filters,
            "tree_panel": panel,
            "lookup": lookup if can_lookup or lookup.errors else None,
            "can_change": access.can(request.user, "people.change"),
        },
        status=status,
    )


@login_required
@domain_errors
@require_POST
def person_lookup(request):
    """Find a person by full resident ID number: POSTed, so the number stays out of logs;
    the service decides who may (``people.view_pii``), how often, and records each try."""
    form = forms.IdLookupForm(request.POST)
    person = None
    if form.is_valid():
        try:
            person = person_find_by_id_number(
                actor=request.user, raw=form.cleaned_data["id_number"]
            )
        except DomainError as exc:
            form.add_error("id_number", error_message(exc))
        else:
            if person:
                return redirect("web:person_detail", pk=person.pk)
            form.add_error("id_number", "在您的管理范围内没有找到此身份证号")
    page = request_page(request, person_list_selector(actor=request.user))
    return _person_list_page(
        request, page, forms.PersonFilterForm(), form, status=200 if person else 422
    )


@login_required
@domain_errors
def person_detail(request, pk):
    try:
        person = person_get(actor=request.user, pk=pk)
    except Merged as merged:
        return merged_page(request, merged, "web:person_detail")
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "memberships": membership_list(actor=request.user, person=person),
            "attachments": attachment_list(actor=request.user, owner=person),
            "can_change": access.can_at(request.user, "people.change", person.org_unit),
            "can_reveal": access.can_at(request.user, "people.view_pii", person.org_unit),
            "can_attach": access.can_at(request.user, "files.change", person.org_unit),
            "attach_form": forms.AttachmentForm(),
        },
    )


@login_required
@domain_errors
@require_POST
def person_attach(request, pk):
    """Upload a document or photo to a person's record (scope, type and size checked)."""
    try:
        person = person_get(actor=request.user, pk=pk)
    except Merged as merged:
        messages.error(request, f"附件未上传：{merged.message}")
        return merged_page(request, merged, "web:person_detail")
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_add(
                actor=request.user,
                owner=person,
                org_unit=person.org_unit,
                upload=form.cleaned_data["file"],
            )
        except ValidationFailed as exc:
            messages.error(request, exc.fields.get("file", exc.message))
        else:
            messages.success(request, "附件已上传")
    else:
        messages.error(request, "请选择要上传的文件")
    return redirect("web:person_detail", pk=person.pk)


def _person_form_page(request, form, title, person=None):
    return render(request, "people/form.html", {"form": form, "title": title, "person": person})


@login_required
@domain_errors
def person_create(request):
    access.require(request.user, "people.change")
    form = forms.PersonForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("org_unit")
        try:
            person = person_create_service(actor=request.user, org_unit=unit, data=data)
        except TransferRequested as exc:
            messages.info(request, exc.message)
            return redirect("web:transfer_list")
        except DomainError as exc:
            _collision_errors(form, exc)
        else:
            messages.success(request, f"已登记 {person.name}")
            if look_alikes_exist(person):
                # One person, one record: the registry's page lists the look-alikes in
                # scope, with the merge offered, and counts those outside it.
                messages.warning(
                    request, "发现疑似重复档案（姓名、出生日期、工作单位均相同），请核对并合并"
                )
                return redirect("registry:person", pk=person.pk)
            return redirect("web:person_detail", pk=person.pk)
    return _person_form_page(request, form, "登记人员")


def _collision_errors(form, exc: DomainError) -> None:
    """A service's complaint on the form; a number already on a record in scope is said
    next to the field, with the record (the page links to it)."""
    if isinstance(exc, AlreadyRegistered):
        form.add_error("id_number", exc.message)
        form.existing = exc.person
    elif isinstance(exc, Throttled):
        form.add_error("id_number", exc.message)
    else:
        apply_errors(form, exc)


@login_required
@domain_errors
def person_edit(request, pk):
    try:
        person = person_get(actor=request.user, pk=pk)
    except Merged as merged:
        if request.method == "POST":
            messages.error(request, f"未保存：{merged.message}")
        return merged_page(request, merged, "web:person_edit")
    form = forms.PersonForm(request.POST or None, actor=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("org_unit")
        try:
            person_update(actor=request.user, person=person, data=data, org_unit=unit)
        except TransferRequested as exc:
            messages.info(request, exc.message)
            return redirect("web:transfer_list")
        except DomainError as exc:
            _collision_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("web:person_detail", pk=person.pk)
    return _person_form_page(request, form, f"修改：{person.name}", person)


@login_required
@domain_errors
@require_POST
def person_reveal(request, pk, field):
    """An HTMX fragment with the unmasked value (audited); never a GET, never cached."""
    person = person_get(actor=request.user, pk=pk)
    try:
        value = person_reveal_service(actor=request.user, person=person, field=field)
    except ValidationFailed:
        raise Http404() from None
    response = render(request, "people/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


# --- Transfer requests (申请转入) --------------------------------------------------------------


@login_required
@domain_errors
def transfer_list(request):
    """The requests this post decides (if any), and the ones it made, with their status."""
    access.require(request.user, "people.change")
    status = request.GET.get("status", "pending")
    if status not in {"pending", "approved", "refused", "joined", ""}:
        status = "pending"
    return render(
        request,
        "people/transfers.html",
        {
            "to_decide": transfer_requests_to_decide(actor=request.user, status=status)[:200],
            "status": status,
            "statuses": [
                ("pending", "待审批"),
                ("approved", "已同意"),
                ("refused", "未同意"),
                ("joined", "已并入另一申请"),
                ("", "全部"),
            ],
            "mine": transfer_requests_mine(actor=request.user)[:200],
            "form": forms.TransferDecisionForm(),
        },
    )


@login_required
@domain_errors
@require_POST
def transfer_decide(request, pk, decision):
    transfer = transfer_request_get(actor=request.user, pk=pk)
    service, done = {
        "approve": (transfer_request_approve, "已同意转入，档案已移至申请单位"),
        "refuse": (transfer_request_refuse, "已不同意该转入申请"),
    }[decision]
    return post_action(
        request,
        forms.TransferDecisionForm(request.POST),
        lambda data: service(actor=request.user, request=transfer, note=data["note"]),
        lambda result: done,
        reverse("web:transfer_list"),
    )


# --- Lists ---------------------------------------------------------------------------------


@login_required
@require_POST
def list_columns(request):
    """Keep the columns the user hides on a list (``list``: its page's URL name; ``hidden``:
    header texts), posted by web/lists.js when a box of a list's 列 menu changes."""
    try:
        hidden = list_columns_set(
            actor=request.user,
            list_name=request.POST.get("list", ""),
            hidden=request.POST.getlist("hidden"),
        )
    except ValidationFailed as exc:
        return JsonResponse({"detail": error_message(exc)}, status=400)
    return JsonResponse({"hidden": hidden})


# --- Audit, files, health -------------------------------------------------------------------


@login_required
@domain_errors
def audit_list(request):
    access.require(request.user, "audit.view")
    filters = forms.AuditFilterForm(request.GET)
    return render(
        request,
        "audit/list.html",
        {
            "page": filtered_page(request, filters, event_list, actor=request.user),
            "filters": filters,
            "can_verify": access.can_citywide(request.user, "audit.export"),
            "fingerprints": key_fingerprints(),
        },
    )


@login_required
@domain_errors
@require_POST
def audit_verify(request):
    """Check every stream against its checkpoints, the platform heads and the witness: for
    city-wide posts only, as it reads every event."""
    if not access.can_citywide(request.user, "audit.export"):
        raise NotFound()
    report = verify_platform()
    return render(request, "audit/_verify.html", {"report": report})


@login_required
@domain_errors
def file_download(request, pk):
    attachment = attachment_download(actor=request.user, pk=pk)
    return stored_download(attachment.file, attachment.name, attachment.mime_type)


_migrations_ok = False


@require_GET
def healthz(request):
    """For load balancers: 200 when the database answers and every migration is applied."""
    global _migrations_ok
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrations_ok:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if plan:
                return JsonResponse(
                    {"status": "migrations pending", "pending": len(plan)}, status=503
                )
            _migrations_ok = True
    except Exception as exc:  # the balancer only needs to know we are not ready
        return JsonResponse(
            {"status": "database unavailable", "error": type(exc).__name__}, status=503
        )
    return JsonResponse({"status": "ok", "debug": settings.DEBUG})
