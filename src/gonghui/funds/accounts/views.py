"""Pages of payee accounts and of a batch's failure prediction. Thin: parse, call a
service or a selector, render. Numbers are masked on every page; the full number comes
only as a POSTed, audited, uncached fragment for posts with ``people.view_pii``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.common import money, workdays
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.pagination import request_page
from gonghui.common.views import apply_errors, domain_errors, error_message, form_page, post_action
from gonghui.funds.accounts import forms, selectors, services
from gonghui.jobs.services import upload_read
from gonghui.orgs import access

VIEW, PAY, REVEAL = "funds.view", "funds.pay", "people.view_pii"


@login_required
@domain_errors
def accounts(request, pk):
    """A payee's accounts, masked; the add form for posts that pay at the payee's union."""
    access.require(request.user, VIEW)
    person = selectors.payee_get(actor=request.user, pk=pk)
    may_pay = access.can_at(request.user, PAY, person.org_unit)
    form = forms.AccountForm(request.POST or None) if may_pay else None
    if request.method == "POST" and not may_pay:
        return render(request, "403.html", {"message": "无权登记收款账户"}, status=403)
    context = {
        "person": person,
        "rows": selectors.account_rows(person, workdays.today()),
        "may_pay": may_pay,
        "may_reveal": access.can_at(request.user, REVEAL, person.org_unit),
    }
    if form is None:
        return render(request, "funds/accounts/accounts.html", context)
    return form_page(
        request,
        form,
        lambda data: services.account_add(actor=request.user, person=person, **_add_args(data)),
        "funds/accounts/accounts.html",
        context,
        after=lambda account: reverse("funds:accounts", args=[person.pk]),
        done=lambda account: f"已登记收款账户：{account.bank} {selectors.masked(account.number)}",
        refused=ValidationFailed,
    )


def _add_args(data: dict) -> dict:
    return {**data, "balance": data.get("balance") or 0}


@login_required
@domain_errors
def account_edit(request, pk):
    access.require(request.user, PAY)
    account = selectors.account_get(actor=request.user, pk=pk)
    person = account.person
    if not access.can_at(request.user, PAY, person.org_unit):
        return render(request, "403.html", {"message": "无权修改该收款账户"}, status=403)
    initial = {
        "status": account.status,
        "status_reported_at": account.status_reported_at,
        "last_activity": account.last_activity,
        "bank": account.bank,
        "bound_to_payer": account.bound_to_payer,
        "is_default": account.is_default,
        "balance": money.yuan(account.balance),
    }
    form = forms.AccountUpdateForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda data: services.account_update(
            actor=request.user, account=account, **{**data, "balance": data["balance"] or 0}
        ),
        "funds/accounts/account_edit.html",
        {"account": account, "person": person, "number": selectors.masked(account.number)},
        after=lambda result: reverse("funds:accounts", args=[person.pk]),
        done=lambda result: "已保存收款账户",
        refused=ValidationFailed,
    )


@never_cache
@login_required
@domain_errors
@require_POST
def account_reveal(request, pk):
    """An HTMX fragment with the full number (audited); never a GET, never cached."""
    account = selectors.account_get(actor=request.user, pk=pk)
    value = services.account_reveal(actor=request.user, account=account)
    response = render(request, "funds/accounts/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@domain_errors
def status_import(request):
    """Upload the bank's status report; every row checked, all applied or none."""
    access.require(request.user, PAY)
    form = forms.StatusImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.accounts_status_import(
                actor=request.user,
                data=upload_read(form.cleaned_data["file"]),
                reported_on=form.cleaned_data["reported_on"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
    return render(
        request,
        "funds/accounts/status_import.html",
        {"form": form, "result": result},
        status=422 if form.is_bound and form.errors else 200,
    )


@never_cache
@login_required
def my_accounts(request):
    """The member's own payee accounts on their phone, masked."""
    person = selectors.my_payee(request.user)
    rows = selectors.account_rows(person, workdays.today()) if person else []
    return render(request, "funds/accounts/my_accounts.html", {"person": person, "rows": rows})


# --- The batch's prediction ------------------------------------------------------------------


@login_required
@domain_errors
def prediction(request, pk):
    access.require(request.user, VIEW)
    batch = selectors.batch_get(actor=request.user, pk=pk)
    filters = forms.VerdictFilterForm(request.GET)
    verdict = filters.cleaned_data["verdict"] if filters.is_valid() else None
    page = request_page(request, selectors.prediction_lines(batch, verdict))
    page.object_list = selectors.line_rows(page.object_list)
    may_pay = access.can_at(request.user, PAY, batch.org_unit)
    return render(
        request,
        "funds/accounts/prediction.html",
        {
            "batch": batch,
            "summary": selectors.prediction_summary(batch),
            "filters": filters,
            "page": page,
            "may_act": may_pay and batch.status == "draft",
            "today": workdays.today(),
        },
    )


@login_required
@domain_errors
@require_POST
def prediction_run(request, pk):
    access.require(request.user, PAY)
    batch = selectors.batch_get(actor=request.user, pk=pk)
    back = reverse("funds:prediction", args=[batch.pk])
    return post_action(
        request,
        None,
        lambda data: services.batch_predict(actor=request.user, batch=batch),
        _counts_message,
        back,
    )


def _counts_message(counts: dict) -> str:
    failing = sum(n for code, n in counts.items() if code != "ok")
    return f"预判完成：{sum(counts.values())} 笔中预计失败 {failing} 笔"


@login_required
@domain_errors
@require_POST
def prediction_accept_all(request, pk):
    access.require(request.user, PAY)
    batch = selectors.batch_get(actor=request.user, pk=pk)
    return post_action(
        request,
        None,
        lambda data: services.batch_reroute(actor=request.user, batch=batch),
        lambda n: f"已采纳 {n} 笔改用账户建议，并重新预判",
        reverse("funds:prediction", args=[batch.pk]),
    )


@login_required
@domain_errors
@require_POST
def line_reroute(request, pk):
    """Re-route one line: to the proposed account, or to another of the payee's."""
    access.require(request.user, PAY)
    line = selectors.line_get(actor=request.user, pk=pk)
    back = reverse("funds:prediction", args=[line.batch_id])
    form = forms.RerouteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择改用的账户")
        return redirect(back)
    account = selectors.payee_account_of(line, form.cleaned_data["account"])
    try:
        if account is None:
            raise ValidationFailed({"account": "只能改用该收款人本人的账户"})
        services.line_reroute(actor=request.user, line=line, account=account)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, f"已改用 {selectors.masked(account.number)}，并重新预判该笔")
    return redirect(back)
