"""Payout pages: a programme's batches (and a new one), one batch (its figures, lines,
what it left out, its release, bank files, returns and reconciliation), the exception queue
and a failed line's re-issue. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import formats, pii
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.pagination import request_page
from gonghui.common.views import domain_errors, download, error_message, form_page, post_action
from gonghui.funds.payouts import forms, selectors, services
from gonghui.orgs import access

VIEW = "funds.view"


def _back(batch) -> str:
    return reverse("funds:batch", args=[batch.pk])


@login_required
@domain_errors
def batches(request, pk):
    """发放批次: the programme's batches in the actor's scope, and a new batch."""
    access.require(request.user, VIEW)
    programme = selectors.programme_get(actor=request.user, pk=pk)
    units = selectors.pay_units(actor=request.user, programme=programme)
    runs = selectors.programme_runs(programme)
    status = request.GET.get("status", "")
    context = {
        "programme": programme,
        "page": request_page(
            request,
            selectors.batch_list(
                actor=request.user,
                programme=programme,
                status=status if status in dict(forms.STATUS_CHOICES) else "",
                sort=request.GET.get("sort", ""),
            ),
        ),
        "status": status,
        "statuses": forms.STATUS_CHOICES,
        "may_create": bool(units),
    }
    form = forms.BatchForm(
        request.POST if request.method == "POST" and units else None,
        units=units,
        runs=runs,
        initial={"org_unit": units[0].pk if units else None},
    )

    def create(data):
        unit = next(u for u in units if u.pk == data["org_unit"])
        run = next((r for r in runs if r.pk == data.get("run")), None)
        return services.batch_create(
            actor=request.user,
            programme=programme,
            org_unit=unit,
            name=data["name"],
            run=run,
            deadline=data.get("deadline"),
        )

    return form_page(
        request,
        form,
        create,
        "funds/payouts/batches.html",
        context,
        after=lambda b: reverse("funds:batch", args=[b.pk]),
        done=lambda b: f"已编制批次“{b.name}”：{b.line_count} 笔，合计 {formats.yuan(b.total)}",
    )


@login_required
@domain_errors
def batch(request, pk):
    """One batch: figures, what to do next, its lines."""
    access.require(request.user, VIEW)
    b = selectors.batch_get(actor=request.user, pk=pk)
    status = request.GET.get("status", "")
    flagged = request.GET.get("flagged", "")
    q = request.GET.get("q", "").strip()[:60]
    may_pay = selectors.may_at(request.user, "funds.pay", b.org_unit)
    lines = selectors.batch_lines(
        batch=b,
        status=status if status in dict(forms.LINE_STATUS_CHOICES) else "",
        flagged=flagged if flagged in dict(forms.FLAGGED_CHOICES) else "",
        q=q,
        sort=request.GET.get("sort", ""),
    )
    return render(
        request,
        "funds/payouts/batch.html",
        {
            "b": b,
            "figures": selectors.batch_figures(b),
            "readiness": services.release_check(b, request.user) if b.status == "draft" else None,
            "missing": selectors.missing_accounts(b) if b.status == "draft" else [],
            "page": request_page(request, lines),
            "status": status,
            "flagged": flagged,
            "q": q,
            "statuses": forms.LINE_STATUS_CHOICES,
            "flags": forms.FLAGGED_CHOICES,
            "imports": selectors.batch_imports(b),
            "files": selectors.batch_files(b),
            "may_pay": may_pay,
            "may_file": may_pay and selectors.may_at(request.user, "people.view_pii", b.org_unit),
            "returns_form": forms.ReturnsForm(),
            "reconcile_form": forms.ReconcileForm(),
        },
    )


@login_required
@domain_errors
@require_POST
def batch_build(request, pk):
    b = selectors.batch_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.batch_build(actor=request.user, batch=b),
        lambda done: f"批次已编制完毕：{done.line_count} 笔，合计 {formats.yuan(done.total)}",
        _back(b),
    )


@login_required
@domain_errors
@require_POST
def batch_release(request, pk):
    b = selectors.batch_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda _: services.batch_release(actor=request.user, batch=b),
        lambda done: "批次已审定，可以导出银行文件",
        _back(b),
    )


@login_required
@domain_errors
@require_POST
def batch_export(request, pk):
    """The bank file as a download (the batch's pending lines go out: sent)."""
    b = selectors.batch_get(actor=request.user, pk=pk)
    try:
        exported = services.batch_export(actor=request.user, batch=b)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_message(exc))
        return redirect(_back(b))
    return download(exported.content, exported.filename)


@login_required
@domain_errors
def batch_file(request, pk, file_pk):
    """A kept bank file again (its account numbers are real: recorded as a reveal)."""
    b = selectors.batch_get(actor=request.user, pk=pk)
    name, content = services.batch_file(actor=request.user, batch=b, attachment_id=file_pk)
    return download(content, name)


@login_required
@domain_errors
@require_POST
def batch_returns(request, pk):
    b = selectors.batch_get(actor=request.user, pk=pk)
    form = forms.ReturnsForm(request.POST, request.FILES)

    def call(data):
        upload = data["file"]
        if upload.size > 50 * 1024 * 1024:
            raise ValidationFailed({"file": "回盘文件过大（上限 50 MB）"})
        return services.returns_import(
            actor=request.user, batch=b, filename=upload.name, data=upload.read()
        )

    def said(imported):
        if imported.again:
            return f"该回盘文件已于 {imported.imported_at:%Y-%m-%d %H:%M} 导入过，本次未作改动"
        return (
            f"已导入回盘 {imported.filename}：成功 {imported.paid} 笔，失败 {imported.failed} 笔"
            f"（转入异常处理），已处理过未变 {imported.unchanged} 笔"
        )

    return post_action(request, form, call, said, _back(b))


@login_required
@domain_errors
@require_POST
def batch_reconcile(request, pk):
    b = selectors.batch_get(actor=request.user, pk=pk)
    form = forms.ReconcileForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(
                {k: "；".join(v) for k, v in form.errors.items()} or {"form": "输入有误"}
            )
        found = services.batch_reconcile(
            actor=request.user,
            batch=b,
            bank_count=form.cleaned_data.get("bank_count"),
            bank_total=form.cleaned_data.get("bank_total"),
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_message(exc))
        return redirect(_back(b))
    if found.settled:
        messages.success(request, "对账一致，批次已对账完毕")
    else:
        messages.error(request, "对账有差异：" + "；".join(found.differences))
    return redirect(_back(b))


@login_required
@domain_errors
def exceptions(request):
    """异常处理: lines the bank returned, not yet re-issued, with the bank's reason."""
    access.require(request.user, VIEW)
    programme = request.GET.get("programme", "")
    q = request.GET.get("q", "").strip()[:60]
    qs = selectors.exception_queue(
        actor=request.user,
        programme_id=int(programme) if programme.isdigit() else None,
        q=q,
        sort=request.GET.get("sort", ""),
    )
    return render(
        request,
        "funds/payouts/exceptions.html",
        {
            "page": request_page(request, qs),
            "programmes": selectors.scope_programmes(actor=request.user),
            "programme": programme,
            "q": q,
        },
    )


def _account_label(account, failed_id) -> str:
    cls = f" {account.get_account_class_display()}" if account.account_class else ""
    state = "" if account.status == "active" else f"（{account.get_status_display()}）"
    again = "（原失败账户）" if account.pk == failed_id else ""
    number = pii.mask("bank_account", account.number)
    return f"{account.get_kind_display()}{cls} {account.bank} {number}{state}{again}"


@login_required
@domain_errors
def line_reissue(request, pk):
    """改道重发: another account of the payee, or cash against a signed receipt."""
    access.require(request.user, "funds.pay")
    line = selectors.line_get(actor=request.user, pk=pk)
    accounts = [(a, _account_label(a, line.account_id)) for a in selectors.reissue_accounts(line)]
    form = forms.ReissueForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        accounts=accounts,
    )

    def call(data):
        cash = data["how"] == "cash"
        return services.line_reissue(
            actor=request.user,
            line=line,
            account=None if cash else selectors.account_of_person(line=line, pk=data["account"]),
            cash=cash,
            receipt=data.get("receipt") if cash else None,
            note=data["note"],
        )

    return form_page(
        request,
        form,
        call,
        "funds/payouts/reissue.html",
        {"line": line, "b": line.batch},
        after=lambda new: reverse("funds:batch", args=[new.batch_id]),
        done=lambda new: (
            f"已现金发放 {formats.yuan(new.amount)}，签收单已存档"
            if new.method == "cash"
            else f"已改道：{formats.yuan(new.amount)} 将随补充文件报送银行（业务编号不变）"
        ),
    )
