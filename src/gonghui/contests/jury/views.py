"""Jury pages: staff register and seat public jurors (showing the voting pass as a link and
a QR code) and follow a stage's voting; the juror votes on a phone page opened with the
pass (no account). Thin: parse, call one service or selector, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common.errors import DomainError, NotFound
from gonghui.common.qr import qr_svg
from gonghui.common.views import domain_errors, error_message, form_page, post_action
from gonghui.contests.jury import forms, passes, selectors, services


def _jurors_url(programme_pk: int) -> str:
    return reverse("contests:jurors", args=[programme_pk])


def vote_url(token: str) -> str:
    """The juror's voting page: the pass in the query string, never in the path."""
    return f"{reverse('contests:vote')}?{urlencode({passes.PARAM: token}, safe=':')}"


@login_required
@domain_errors
def jurors(request, pk):
    programme = selectors.programme_get(request.user, pk)
    form = forms.JurorForm(
        request.POST or None, entrants=selectors.entrants_of(request.user, programme)
    )
    sort = request.GET.get("sort", "")
    q = request.GET.get("q", "").strip()[:60]
    return form_page(
        request,
        form,
        lambda data: services.juror_register(actor=request.user, programme=programme, **data),
        "contests/jury/jurors.html",
        {
            "programme": programme,
            "rows": selectors.juror_list(request.user, programme, sort=sort, q=q),
            "q": q,
            "may_manage": selectors.may_manage(request.user, programme),
        },
        after=lambda juror: _jurors_url(programme.pk),
        done=lambda juror: f"已登记大众评委 {juror.name}",
    )


@login_required
@domain_errors
@require_POST
def juror_seat(request, pk):
    juror = selectors.juror_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.juror_seat(actor=request.user, juror=juror),
        lambda token: f"{juror.name} 已入座，请将投票凭证交给本人",
        _jurors_url(juror.programme_id),
        after=lambda token: reverse("contests:juror_pass", args=[juror.pk]),
    )


@login_required
@domain_errors
@require_POST
def juror_unseat(request, pk):
    juror = selectors.juror_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.juror_unseat(actor=request.user, juror=juror),
        lambda j: f"{juror.name} 已撤销入座，已发放的投票凭证作废",
        _jurors_url(juror.programme_id),
    )


@login_required
@domain_errors
def juror_pass(request, pk):
    """The juror's voting pass, shown again (a fresh one) as a link and a QR code."""
    juror = selectors.juror_get(request.user, pk)
    try:
        token = selectors.juror_pass(request.user, juror)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, error_message(exc))
        return redirect(_jurors_url(juror.programme_id))
    link = request.build_absolute_uri(vote_url(token))
    return render(
        request,
        "contests/jury/pass.html",
        {"juror": juror, "link": link, "qr": qr_svg(link), "hours": passes.MAX_AGE // 3600},
    )


@login_required
@domain_errors
def stage_votes(request, pk):
    return render(
        request, "contests/jury/stage_votes.html", {"p": selectors.stage_votes(request.user, pk)}
    )


# --- The juror's phone (the pass, no account) ----------------------------------------------


def vote(request):
    """The stages open to the juror's votes, each entrant with large score buttons (or a
    number field), voted once each. A vote is a plain form: the page's idempotency key
    makes a form sent twice one vote. The pass is the query's ``pass``."""
    token = request.GET.get(passes.PARAM, "")
    if request.method == "POST":
        found = passes.read(token)
        if found is None:
            raise Http404("投票凭证无效或已过期")
        form = forms.VoteForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请选择分数后再提交")
            return redirect(vote_url(token))
        data = form.cleaned_data
        try:
            cast = services.vote_cast(juror=found[0], pass_count=found[1], **data)
        except NotFound:
            raise Http404("投票凭证无效或已过期") from None
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(
                request, "该票已记录（重复提交不会重复计票）" if cast.duplicate else "投票成功"
            )
        return redirect(vote_url(token))
    try:
        page = selectors.vote_page(token)
    except NotFound:
        return render(
            request,
            "web/error.html",
            {"message": "投票凭证无效或已过期，请向工作人员重新领取"},
            status=404,
        )
    return render(request, "contests/jury/vote.html", {"page": page, "token": token})
