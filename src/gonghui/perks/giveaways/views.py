"""Giveaway pages: staff set-up, live counts and reports; the member's phone pages (the claim
itself goes to the JSON API with the member pass, see ``static/perks/claim.js``); the
public draw with its verifier. Thin: parse, call one service or selector, render."""

import json
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import ratelimit
from gonghui.common.errors import NotFound
from gonghui.common.pagination import request_page
from gonghui.common.views import (
    domain_errors,
    download,
    form_page,
    post_action,
)
from gonghui.orgs import access
from gonghui.orgs.panel import tree_panel
from gonghui.perks import passes
from gonghui.perks.giveaways import draw, exports, forms, selectors, services
from gonghui.perks.models import Giveaway

RECEIPT_CHECKS = 30  # anonymous receipt look-ups per address per minute


def _giveaway_url(giveaway) -> str:
    return reverse("perks:giveaway", args=[giveaway.pk])


# --- Staff ----------------------------------------------------------------------------------


@login_required
@domain_errors
def giveaways(request):
    access.require(request.user, "perks.view")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "")
    panel = tree_panel(actor=request.user, params=request.GET, perm="perks.view")
    qs = selectors.giveaway_list(
        actor=request.user, status=status, q=q, sort=sort, org=panel.selected
    )
    return render(
        request,
        "perks/giveaways/giveaways.html",
        {
            "page": request_page(request, qs.none() if panel.blocked else qs),
            "tree_panel": panel,
            "status": status,
            "q": q,
            "statuses": Giveaway.Status.choices,
            "may_manage": access.can(request.user, "perks.manage"),
        },
    )


@login_required
@domain_errors
def giveaway_create(request):
    access.require(request.user, "perks.manage")
    return form_page(
        request,
        forms.GiveawayForm(request.POST or None, actor=request.user),
        lambda data: services.giveaway_create(actor=request.user, **data),
        "perks/giveaways/giveaway_form.html",
        done=lambda g: f"已设立活动“{g.title}”（尚未发布）",
        after=_giveaway_url,
    )


@login_required
@domain_errors
def giveaway(request, pk):
    page = selectors.giveaway_page(actor=request.user, pk=pk)
    return render(
        request,
        "perks/giveaways/giveaway.html",
        {
            "g": page.giveaway,
            "counts": page.counts,
            "may_manage": page.may_manage,
            "draw_form": forms.DrawForm(),
            "release_form": forms.ReleaseForm(),
            "cancel_form": forms.ReasonForm(),
        },
    )


@login_required
@domain_errors
def giveaway_counts(request, pk):
    """The live counts fragment, swapped in place every few seconds (htmx)."""
    page = selectors.giveaway_page(actor=request.user, pk=pk)
    return render(
        request, "perks/giveaways/_counts.html", {"g": page.giveaway, "counts": page.counts}
    )


def _staff_action(request, pk, form_class, call, done):
    giveaway = selectors.giveaway_get(actor=request.user, pk=pk)
    form = form_class(request.POST) if form_class else None
    return post_action(
        request,
        form,
        lambda data: call(giveaway, data or {}),
        done,
        _giveaway_url(giveaway),
    )


@login_required
@domain_errors
@require_POST
def giveaway_publish(request, pk):
    return _staff_action(
        request,
        pk,
        None,
        lambda g, _: services.giveaway_publish(actor=request.user, giveaway=g),
        lambda g: (
            "已发布"
            + (f"，摇号种子承诺值（SHA-256）已公布：{g.commitment}" if g.commitment else "")
        ),
    )


@login_required
@domain_errors
@require_POST
def giveaway_freeze(request, pk):
    return _staff_action(
        request,
        pk,
        None,
        lambda g, _: services.giveaway_freeze(actor=request.user, giveaway=g),
        lambda g: f"登记名单已冻结，名单哈希：{g.receipts_hash}",
    )


@login_required
@domain_errors
@require_POST
def giveaway_draw(request, pk):
    return _staff_action(
        request,
        pk,
        forms.DrawForm,
        lambda g, data: services.giveaway_draw(
            actor=request.user, giveaway=g, public_value=data.get("public_value", "")
        ),
        lambda result: f"摇号完成：{len(result.winners)} 人中签，{len(result.waitlist)} 人候补",
    )


@login_required
@domain_errors
@require_POST
def giveaway_release(request, pk):
    return _staff_action(
        request,
        pk,
        forms.ReleaseForm,
        lambda g, data: services.no_shows_release(
            actor=request.user, giveaway=g, pickup_until=data["pickup_until"]
        ),
        lambda promoted: f"逾期未领的名额已释放，{promoted} 名候补会员获得名额并已通知",
    )


@login_required
@domain_errors
@require_POST
def giveaway_cancel(request, pk):
    return _staff_action(
        request,
        pk,
        forms.ReasonForm,
        lambda g, data: services.giveaway_cancel(
            actor=request.user, giveaway=g, reason=data["reason"]
        ),
        lambda g: "活动已取消，参与会员已收到通知",
    )


@login_required
@domain_errors
def giveaway_report(request, pk):
    giveaway = selectors.giveaway_get(actor=request.user, pk=pk)
    report = exports.report_data(giveaway)
    if request.GET.get("format") == "xlsx":
        return download(exports.report_xlsx(giveaway, report), f"{giveaway.title}统计.xlsx")
    return render(request, "perks/giveaways/report.html", {"g": giveaway, "r": report})


@login_required
@domain_errors
@require_POST
def giveaway_winners(request, pk):
    """The venue's list (names, pickup codes, quantities) as Excel, made by a background
    job; the job's page offers the file."""
    giveaway = selectors.giveaway_get(actor=request.user, pk=pk)
    job = services.winners_export_start(actor=request.user, giveaway=giveaway)
    return redirect("web:job_detail", pk=job.pk)


# --- The public draw ----------------------------------------------------------------------


def giveaway_draw_public(request, pk):
    """What anyone may check: the commitment, the frozen list's hash, the seed and the order;
    receipt numbers only. A member (or anyone) looks up a receipt's place."""
    try:
        giveaway = selectors.published_giveaway(pk)
    except NotFound:
        return render(request, "web/error.html", {"message": "活动不存在"}, status=404)
    form = forms.ReceiptForm(request.GET or None)
    place = None
    if form.is_valid() and giveaway.drawn_at:
        if ratelimit.anonymous_over(request, "receipt", RECEIPT_CHECKS):
            form.add_error("receipt", "查询过于频繁，请稍后再试")
        else:
            receipt = draw.normalize_receipt(form.cleaned_data["receipt"])
            place = selectors.receipt_place(giveaway, receipt) or ("absent", 0)
    return render(
        request,
        "perks/giveaways/draw.html",
        {"g": giveaway, "doc": selectors.draw_summary(giveaway), "form": form, "place": place},
    )


def giveaway_draw_json(request, pk):
    """The whole published document (a million receipts make tens of megabytes: limited
    per address for anonymous visitors)."""
    try:
        giveaway = selectors.published_giveaway(pk)
    except NotFound:
        return HttpResponse(status=404)
    if ratelimit.anonymous_over(request, "draw-document", selectors.DOCUMENT_DOWNLOADS):
        return render(
            request, "web/error.html", {"message": "下载过于频繁，请稍后再试"}, status=429
        )
    body = json.dumps(selectors.draw_document(giveaway), ensure_ascii=False)
    return download(body.encode(), f"摇号公示-{giveaway.pk}.json")


def draw_verifier(request):
    """The stand-alone verifier (standard library only): the very module the draw runs."""
    return download(Path(draw.__file__).read_bytes(), "draw.py")


# --- The member's phone ---------------------------------------------------------------------


@login_required
@domain_errors
def member_home(request):
    home = selectors.member_home(request.user)
    return render(
        request,
        "perks/giveaways/member_home.html",
        {
            "card": home.card,
            "giveaways": home.giveaways,
            "claims": home.claims,
            "messages_": home.messages,
        },
    )


@login_required
@domain_errors
def member_giveaway(request, pk):
    page = selectors.member_giveaway(request.user, pk)
    giveaway = page.giveaway
    return render(
        request,
        "perks/giveaways/member_giveaway.html",
        {
            "g": giveaway,
            "mine": page.mine,
            "may_press": page.may_press,
            "quantities": range(1, giveaway.per_member + 1),
            "pass": page.member_pass,
            "pass_header": passes.HEADER,
            "claim_api": f"/api/v1/perks/giveaways/{giveaway.pk}/claim",
            "waitlist_api": f"/api/v1/perks/giveaways/{giveaway.pk}/waitlist",
        },
    )


@login_required
@domain_errors
def member_claim(request, pk):
    page = selectors.member_claim_page(request.user, pk)
    return render(
        request,
        "perks/giveaways/member_claim.html",
        {"c": page.claim, "g": page.claim.giveaway, "qr": page.qr, "position": page.position},
    )


@login_required
@domain_errors
@require_POST
def member_claim_cancel(request, pk):
    person_id = selectors.member_of(request.user).pk
    return post_action(
        request,
        None,
        lambda _: services.claim_cancel(person_id=person_id, claim_id=pk),
        lambda claim: "已取消" + ("，名额已退回" if claim.code else ""),
        reverse("perks:member_claim", args=[pk]),
    )
