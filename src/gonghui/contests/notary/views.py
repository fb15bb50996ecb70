"""Pages of the notarised record: the notary's desk (their milestones, the message to sign
and the command that signs it on their own machine, the form that takes the signature), and
a competition's record for staff (milestones, notaries, the bundle). Thin: parse, call one
service or selector, render."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from gonghui.audit.services import key_fingerprints
from gonghui.common.errors import DomainError
from gonghui.common.views import domain_errors, download, error_message, form_page
from gonghui.contests.notary import forms, selectors, services
from gonghui.orgs import access


def _message_name(milestone) -> str:
    return f"milestone-{milestone.pk}.msg"


# --- The notary ------------------------------------------------------------------------------


@login_required
@domain_errors
def notary_home(request):
    return render(
        request,
        "contests/notary/home.html",
        {"desks": selectors.notary_desk(request.user), "fingerprints": key_fingerprints()},
    )


@login_required
@domain_errors
def notary_message(request, pk):
    """The exact bytes to sign, as a file for the notary's own machine."""
    milestone = selectors.notary_milestone(request.user, pk)
    return download(selectors.message(milestone), _message_name(milestone))


@login_required
@domain_errors
def notary_countersign(request, pk):
    milestone = selectors.notary_milestone(request.user, pk)
    notary = selectors.notary_for(request.user, milestone)
    return form_page(
        request,
        forms.CountersignForm(request.POST or None),
        lambda data: services.milestone_countersign(
            actor=request.user, milestone=milestone, signature=data["signature"]
        ),
        "contests/notary/countersign.html",
        {
            "m": milestone,
            "notary": notary,
            "message": selectors.message(milestone).decode(),
            "message_name": _message_name(milestone),
        },
        after=lambda _: reverse("contests:notary_home"),
        done=lambda m: f"公证节点「{m.name}」已会签",
    )


# --- Staff: a competition's record -----------------------------------------------------------


@login_required
@domain_errors
def record(request, pk):
    access.require(request.user, "contests.view")
    state = request.GET.get("state", "")
    sort = request.GET.get("sort", "")
    page = selectors.record_page(actor=request.user, pk=pk, state=state, sort=sort)
    return render(
        request,
        "contests/notary/record.html",
        {
            "c": page.competition,
            "milestones": page.milestones,
            "notaries": page.notaries,
            "may_export": page.may_export,
            "may_manage": page.may_manage,
            "state": state,
            "states": [("pending", "待会签"), ("done", "已会签")],
            "fingerprints": key_fingerprints(),
        },
    )


@login_required
@domain_errors
@require_POST
def record_bundle(request, pk):
    """The notarised bundle (zip), made now: the export signs the stream's head."""
    competition = selectors.competition_get(actor=request.user, pk=pk)
    out = io.BytesIO()
    try:
        services.record_export(actor=request.user, competition=competition, out=out)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, error_message(exc))
        return redirect("contests:record", pk=pk)
    return download(out.getvalue(), f"contest-{competition.pk}.zip")


@login_required
@domain_errors
def notary_add(request, pk):
    access.require(request.user, "contests.manage")
    competition = selectors.competition_get(actor=request.user, pk=pk, perm="contests.manage")
    return form_page(
        request,
        forms.NotaryForm(request.POST or None),
        lambda data: services.notary_register(
            actor=request.user,
            programme=competition.programme,
            user=selectors.user_by_username(data["username"]),
            name=data["name"],
            office=data["office"],
            public_key=data["public_key"],
        ),
        "contests/notary/notary_form.html",
        {"c": competition},
        after=lambda _: reverse("contests:record", args=[competition.pk]),
        done=lambda n: f"已登记公证员 {n.name}（{n.office}）",
    )


@require_safe
def verifier_files(request):
    """Public: the files a notary keeps to verify bundles, with their SHA-256."""
    return render(
        request,
        "contests/notary/verifier.html",
        {"files": selectors.rule_fingerprints(), "fingerprints": key_fingerprints()},
    )


@require_safe
def verifier_file(request, name):
    """Public: one of them, as every bundle carries it."""
    body = selectors.rule_files().get(name)
    if body is None:
        raise Http404("没有这个文件")
    return download(body, name)


@require_safe
def verifier_download(request):
    """The stand-alone verifier (standard library only), as every bundle carries it."""
    return verifier_file(request, "verify_contest.py")
