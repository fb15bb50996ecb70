"""Arbitration pages: the competition's appeals, one appeal with the ruling form, the
re-scoring form and each batch's before/after preview with apply / cancel (staff); the
entrant's own appeal form. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.errors import DomainError, ValidationFailed
from gonghui.common.views import domain_errors, error_message, form_page, post_action
from gonghui.contests.appeals import forms, selectors, services
from gonghui.contests.models import Appeal


def _appeal_url(pk: int) -> str:
    return reverse("contests:appeal", args=[pk])


@login_required
@domain_errors
def appeals(request, pk):
    competition = selectors.competition_get(request.user, pk)
    status = request.GET.get("status", "")
    return render(
        request,
        "contests/appeals/appeals.html",
        {
            "competition": competition,
            "appeals": selectors.appeal_list(
                request.user, competition, status=status, sort=request.GET.get("sort", "")
            ),
            "status": status,
            "statuses": Appeal.Status.choices,
        },
    )


def _appeal_page(request, page, *, ruling_form=None, rescore_form=None, status=200):
    return render(
        request,
        "contests/appeals/appeal.html",
        {
            "p": page,
            "a": page.appeal,
            "ruling_form": ruling_form or forms.RulingForm(),
            "rescore_form": rescore_form or forms.RescoreForm(marks=page.marks),
        },
        status=status,
    )


@login_required
@domain_errors
def appeal(request, pk):
    return _appeal_page(request, selectors.appeal_page(request.user, pk))


@login_required
@domain_errors
@require_POST
def appeal_rule(request, pk):
    appeal = selectors.appeal_get(request.user, pk)
    return post_action(
        request,
        forms.RulingForm(request.POST),
        lambda data: services.appeal_rule(actor=request.user, appeal=appeal, **data),
        lambda a: f"已裁决：{a.get_status_display()}",
        _appeal_url(pk),
    )


@login_required
@domain_errors
@require_POST
def appeal_rescore(request, pk):
    page = selectors.appeal_page(request.user, pk)
    form = forms.RescoreForm(request.POST, marks=page.marks)
    if form.is_valid():
        try:
            services.rescore_preview(actor=request.user, appeal=page.appeal, changes=form.changes())
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            messages.error(request, error_message(exc))
            return redirect(_appeal_url(pk))
        else:
            messages.success(request, "已生成重评预览：请核对名次变化后确认生效或取消")
            return redirect(_appeal_url(pk))
    return _appeal_page(request, page, rescore_form=form, status=200)


def _batch_action(request, pk, call, done):
    batch = selectors.batch_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: call(actor=request.user, batch=batch),
        done,
        _appeal_url(batch.appeal_id),
    )


@login_required
@domain_errors
@require_POST
def rescore_apply(request, pk):
    return _batch_action(
        request, pk, services.rescore_apply, lambda b: "重评已生效：原成绩已标记为被替代并保留"
    )


@login_required
@domain_errors
@require_POST
def rescore_cancel(request, pk):
    return _batch_action(request, pk, services.rescore_cancel, lambda b: "已取消该重评批次")


# --- The entrant -----------------------------------------------------------------------


@login_required
@domain_errors
def entrant_appeal(request, pk):
    page = selectors.entrant_stage(request.user, pk)
    return form_page(
        request,
        forms.AppealForm(request.POST or None),
        lambda data: services.appeal_file(
            actor=request.user, stage=page.stage, entrant=page.entrant, **data
        ),
        "contests/appeals/entrant_appeal.html",
        {"p": page},
        after=lambda a: reverse("contests:entrant_appeal", args=[pk]),
        done=lambda a: (
            "相同内容的申诉已合并，仲裁组将一并处理" if a.merged else "申诉已提交，请等候仲裁组裁决"
        ),
    )
