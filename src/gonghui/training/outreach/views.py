"""Outreach pages (staff): the home with its counts; bureaus with their speakers and
talks, booking, arranging, cancelling and reporting a talk, the counts by district and
year (and as Excel); reception days with their stages and problems, answering, closing and
reassigning a problem; alliances with their members and activities. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import workdays
from gonghui.common.forms import year_param
from gonghui.common.pagination import filtered_page
from gonghui.common.views import domain_errors, download, form_page, post_action
from gonghui.orgs import access
from gonghui.training.models import Alliance, Problem, Talk, Visit
from gonghui.training.outreach import exports, forms, selectors, services

VIEW, APPLY, MANAGE = "training.view", "training.apply", "training.manage"


def _sort(request) -> str:
    return request.GET.get("sort", "")


@login_required
@domain_errors
def home(request):
    access.require(request.user, VIEW)
    return render(
        request,
        "training/outreach/home.html",
        {
            "o": selectors.overview(request.user),
            "waiting": selectors.problems_waiting(request.user, limit=10),
            "may_manage": access.can(request.user, MANAGE),
        },
    )


# --- Bureaus ---------------------------------------------------------------------------------


@login_required
@domain_errors
def teams(request):
    access.require(request.user, VIEW)
    filters = forms.TeamFilters(request.GET)
    page = filtered_page(
        request, filters, lambda **f: selectors.team_list(request.user, sort=_sort(request), **f)
    )
    return render(
        request,
        "training/outreach/teams.html",
        {"filters": filters, "page": page, "may_manage": access.can(request.user, MANAGE)},
    )


@login_required
@domain_errors
def team_create(request):
    access.require(request.user, MANAGE)
    form = forms.TeamCreateForm(request.POST or None, units=selectors.organiser_units(request.user))
    return form_page(
        request,
        form,
        lambda data: services.team_create(actor=request.user, **data),
        "training/outreach/form.html",
        {"title": "设立宣讲团", "back": reverse("training:teams")},
        after=lambda team: reverse("training:team", args=[team.pk]),
        done=lambda team: f"已设立{team.name}",
    )


@login_required
@domain_errors
def team(request, pk):
    access.require(request.user, VIEW)
    team = selectors.team_get(request.user, pk)
    may_manage = selectors.may(request.user, MANAGE, team.org_unit)
    q = request.GET.get("q", "").strip()[:30]
    speakers = list(selectors.speakers_of(team))
    honours = selectors.honours_of(s.person_id for s in speakers)
    for s in speakers:
        s.honours = honours.get(s.person_id, [])
    candidates = list(selectors.speaker_candidates(request.user, team, q)) if may_manage else []
    found = selectors.honours_of(p.pk for p in candidates)
    for p in candidates:
        p.honours = found.get(p.pk, [])
    return render(
        request,
        "training/outreach/team.html",
        {
            "team": team,
            "speakers": speakers,
            "talks": selectors.talk_list(request.user, team=team)[:20],
            "may_manage": may_manage,
            "may_book": selectors.booking_units(request.user, team).exists(),
            "q": q,
            "candidates": candidates,
        },
    )


@login_required
@domain_errors
def team_edit(request, pk):
    access.require(request.user, MANAGE)
    team = selectors.team_get(request.user, pk)
    form = forms.TeamForm(
        request.POST or None,
        initial={f: getattr(team, f) for f in services.TEAM_FIELDS},
    )
    return form_page(
        request,
        form,
        lambda data: services.team_update(actor=request.user, team=team, **data),
        "training/outreach/form.html",
        {"title": f"修改宣讲团：{team.name}", "back": reverse("training:team", args=[pk])},
        after=lambda t: reverse("training:team", args=[pk]),
        done=lambda t: "已保存",
    )


@login_required
@domain_errors
@require_POST
def speaker_add(request, pk):
    access.require(request.user, MANAGE)
    team = selectors.team_get(request.user, pk)
    form = forms.SpeakerForm(request.POST)
    return post_action(
        request,
        form,
        lambda data: services.speaker_add(
            actor=request.user,
            team=team,
            person=selectors.speaker_person_get(request.user, team, data["person"]),
            topics=data["topics"],
        ),
        lambda s: f"已将 {s.person.name} 加入宣讲团",
        reverse("training:team", args=[pk]),
    )


@login_required
@domain_errors
@require_POST
def speaker_remove(request, pk):
    access.require(request.user, MANAGE)
    speaker = selectors.speaker_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda data: services.speaker_remove(actor=request.user, speaker=speaker),
        lambda s: f"已将 {s.person.name} 移出宣讲团",
        reverse("training:team", args=[speaker.team_id]),
    )


# --- Talks -----------------------------------------------------------------------------------


@login_required
@domain_errors
def talks(request):
    access.require(request.user, VIEW)
    filters = forms.TalkFilters(request.GET, districts=selectors.districts(request.user))
    page = filtered_page(
        request, filters, lambda **f: selectors.talk_list(request.user, sort=_sort(request), **f)
    )
    return render(
        request,
        "training/outreach/talks.html",
        {
            "filters": filters,
            "page": page,
            "teams": selectors.bookable_teams(request.user)
            if access.can(request.user, APPLY)
            else [],
        },
    )


@login_required
@domain_errors
def talk_book(request, pk):
    access.require(request.user, APPLY)
    team = selectors.team_get(request.user, pk)
    form = forms.TalkForm(request.POST or None, units=selectors.booking_units(request.user, team))
    return form_page(
        request,
        form,
        lambda data: services.talk_book(actor=request.user, team=team, **data),
        "training/outreach/form.html",
        {"title": f"预约宣讲：{team.name}", "back": reverse("training:team", args=[pk])},
        after=lambda talk: reverse("training:talk", args=[talk.pk]),
        done=lambda talk: f"已预约 {talk.on:%Y-%m-%d} 的宣讲，等待宣讲团安排宣讲员",
    )


@login_required
@domain_errors
def talk(request, pk):
    access.require(request.user, VIEW)
    talk = selectors.talk_get(request.user, pk)
    open_ = talk.status in (Talk.Status.REQUESTED, Talk.Status.CONFIRMED)
    may_arrange = open_ and selectors.may(request.user, MANAGE, talk.team.org_unit)
    may_book = selectors.may(request.user, APPLY, talk.org_unit)
    return render(
        request,
        "training/outreach/talk.html",
        {
            "talk": talk,
            "confirm_form": forms.ConfirmForm(speakers=selectors.speakers_of(talk.team))
            if may_arrange and talk.on >= workdays.today()
            else None,
            "cancel_form": forms.CancelForm() if open_ and (may_arrange or may_book) else None,
            "report_form": forms.ReportForm()
            if may_book and talk.status == Talk.Status.CONFIRMED and talk.on <= workdays.today()
            else None,
        },
    )


def _talk_action(request, pk, make_form, call, said):
    access.require(request.user, VIEW)
    talk = selectors.talk_get(request.user, pk)
    return post_action(
        request,
        make_form(talk),
        lambda data: call(talk, data),
        said,
        reverse("training:talk", args=[pk]),
    )


@login_required
@domain_errors
@require_POST
def talk_confirm(request, pk):
    return _talk_action(
        request,
        pk,
        lambda talk: forms.ConfirmForm(request.POST, speakers=selectors.speakers_of(talk.team)),
        lambda talk, data: services.talk_confirm(
            actor=request.user, talk=talk, speaker=data["speaker"]
        ),
        lambda t: f"已安排宣讲员 {t.speaker.person.name}",
    )


@login_required
@domain_errors
@require_POST
def talk_cancel(request, pk):
    return _talk_action(
        request,
        pk,
        lambda talk: forms.CancelForm(request.POST),
        lambda talk, data: services.talk_cancel(
            actor=request.user, talk=talk, reason=data["reason"]
        ),
        lambda t: "宣讲已取消",
    )


@login_required
@domain_errors
@require_POST
def talk_report(request, pk):
    return _talk_action(
        request,
        pk,
        lambda talk: forms.ReportForm(request.POST),
        lambda talk, data: services.talk_report(
            actor=request.user, talk=talk, attendance=data["attendance"]
        ),
        lambda t: f"已填报实到 {t.attendance} 人",
    )


@login_required
@domain_errors
def talk_stats(request):
    """Talks given and attendance by district for a year; ``?district=`` drills into one
    district by booking union; ``?format=xlsx`` the same rows as Excel."""
    access.require(request.user, VIEW)
    year = year_param(request.GET.get("year"))
    district = None
    if request.GET.get("district"):
        district = selectors.stats_district(request.user, request.GET["district"])
    rows = selectors.talk_stats(request.user, year=year, district=district)
    title = f"{year}年宣讲统计" + (f"（{district.name}）" if district else "（按区）")
    if request.GET.get("format") == "xlsx":
        return download(
            exports.stats_xlsx(rows, title, by_unit=district is not None), f"{title}.xlsx"
        )
    return render(
        request,
        "training/outreach/talk_stats.html",
        {
            "rows": rows,
            "year": year,
            "years": selectors.talk_years(request.user),
            "district": district,
            "title": title,
            "total_talks": sum(r.talks for r in rows),
            "total_attendance": sum(r.attendance for r in rows),
        },
    )


# --- Reception days ---------------------------------------------------------------------------


@login_required
@domain_errors
def visits(request):
    access.require(request.user, VIEW)
    filters = forms.VisitFilters(request.GET, districts=selectors.districts(request.user))
    page = filtered_page(
        request, filters, lambda **f: selectors.visit_list(request.user, sort=_sort(request), **f)
    )
    return render(
        request,
        "training/outreach/visits.html",
        {"filters": filters, "page": page, "may_manage": access.can(request.user, MANAGE)},
    )


@login_required
@domain_errors
def visit_create(request):
    """Find the enterprise (by name), then the reception day's form."""
    access.require(request.user, MANAGE)
    q = request.GET.get("q", "").strip()[:60]
    enterprise = None
    if request.GET.get("enterprise"):
        enterprise = selectors.enterprise_get(request.user, request.GET["enterprise"])
    context = {
        "q": q,
        "enterprise": enterprise,
        "candidates": [] if enterprise else selectors.enterprise_candidates(request.user, q),
    }
    if enterprise is None:
        return render(request, "training/outreach/visit_form.html", {"form": None, **context})
    form = forms.VisitForm(
        request.POST or None,
        units=selectors.organiser_units(request.user),
        initial={"on": workdays.today()},
    )
    return form_page(
        request,
        form,
        lambda data: services.visit_create(actor=request.user, enterprise=enterprise, **data),
        "training/outreach/visit_form.html",
        context,
        after=lambda v: reverse("training:visit", args=[v.pk]),
        done=lambda v: f"已登记对{enterprise.name}的接待日走访",
    )


STAGE_NEXT = {
    Visit.Stage.VISIT: Visit.Stage.FORUM,
    Visit.Stage.FORUM: Visit.Stage.SOLVE,
    Visit.Stage.SOLVE: Visit.Stage.DONE,
}


@login_required
@domain_errors
def visit(request, pk):
    access.require(request.user, VIEW)
    visit = selectors.visit_get(request.user, pk)
    may_manage = selectors.may(request.user, MANAGE, visit.org_unit)
    following = STAGE_NEXT.get(visit.stage)
    return render(
        request,
        "training/outreach/visit.html",
        {
            "visit": visit,
            "problems": selectors.with_deadlines(selectors.problem_list(request.user, visit=visit)),
            "may_manage": may_manage,
            "next_stage": following and Visit.Stage(following),
            "stages": [
                (value, label, value == visit.stage) for value, label in Visit.Stage.choices
            ],
            "advance_form": forms.AdvanceForm(initial={"to": following})
            if may_manage and following
            else None,
        },
    )


@login_required
@domain_errors
@require_POST
def visit_advance(request, pk):
    access.require(request.user, MANAGE)
    visit = selectors.visit_get(request.user, pk)
    return post_action(
        request,
        forms.AdvanceForm(request.POST),
        lambda data: services.visit_advance(actor=request.user, visit=visit, **data),
        lambda v: f"已进入“{v.get_stage_display()}”阶段",
        reverse("training:visit", args=[pk]),
    )


@login_required
@domain_errors
def problem_raise(request, pk):
    access.require(request.user, MANAGE)
    visit = selectors.visit_get(request.user, pk)
    form = forms.ProblemForm(
        request.POST or None, units=selectors.assignable_units(request.user, visit)
    )
    return form_page(
        request,
        form,
        lambda data: services.problem_raise(actor=request.user, visit=visit, **data),
        "training/outreach/form.html",
        {
            "title": f"交办问题：{visit.enterprise.name}（{visit.on:%Y-%m-%d}）",
            "back": reverse("training:visit", args=[pk]),
        },
        after=lambda p: reverse("training:visit", args=[pk]),
        done=lambda p: f"已交办{p.assignee.name}，办理期限 {p.due_on:%Y-%m-%d}",
    )


@login_required
@domain_errors
def problems(request):
    access.require(request.user, VIEW)
    filters = forms.ProblemFilters(
        request.GET, units=access.visible_units(request.user, VIEW).order_by("path")
    )
    page = filtered_page(
        request,
        filters,
        lambda **f: selectors.problem_list(request.user, sort=_sort(request), **f),
    )
    page.object_list = selectors.with_deadlines(page.object_list)
    return render(request, "training/outreach/problems.html", {"filters": filters, "page": page})


@login_required
@domain_errors
def problem(request, pk):
    access.require(request.user, VIEW)
    problem = selectors.problem_get(request.user, pk)
    organiser = selectors.may(request.user, MANAGE, problem.visit.org_unit)
    assignee = selectors.may(request.user, APPLY, problem.assignee)
    status = problem.status
    return render(
        request,
        "training/outreach/problem.html",
        {
            "p": problem,
            "deadline": selectors.deadline(problem),
            "answer_form": forms.AnswerForm()
            if assignee and status == Problem.Status.OPEN
            else None,
            "close_form": forms.CloseForm()
            if organiser and status == Problem.Status.ANSWERED
            else None,
            "assign_form": forms.AssignForm(
                units=selectors.assignable_units(request.user, problem.visit)
            )
            if organiser and status != Problem.Status.CLOSED
            else None,
        },
    )


def _problem_action(request, pk, form, call, said):
    access.require(request.user, VIEW)
    problem = selectors.problem_get(request.user, pk)
    return post_action(
        request,
        form(problem),
        lambda data: call(problem, data),
        said,
        reverse("training:problem", args=[pk]),
    )


@login_required
@domain_errors
@require_POST
def problem_answer(request, pk):
    return _problem_action(
        request,
        pk,
        lambda p: forms.AnswerForm(request.POST),
        lambda p, data: services.problem_answer(actor=request.user, problem=p, **data),
        lambda p: "已答复，等待组织工会告知企业后办结",
    )


@login_required
@domain_errors
@require_POST
def problem_close(request, pk):
    return _problem_action(
        request,
        pk,
        lambda p: forms.CloseForm(request.POST),
        lambda p, data: services.problem_close(actor=request.user, problem=p, **data),
        lambda p: "问题已办结（已告知企业）",
    )


@login_required
@domain_errors
@require_POST
def problem_assign(request, pk):
    return _problem_action(
        request,
        pk,
        lambda p: forms.AssignForm(
            request.POST, units=selectors.assignable_units(request.user, p.visit)
        ),
        lambda p, data: services.problem_assign(actor=request.user, problem=p, **data),
        lambda p: f"已改派{p.assignee.name}，新的办理期限 {p.due_on:%Y-%m-%d}",
    )


# --- Alliances -------------------------------------------------------------------------------


@login_required
@domain_errors
def alliances(request):
    access.require(request.user, VIEW)
    filters = forms.AllianceFilters(request.GET)
    page = filtered_page(
        request,
        filters,
        lambda **f: selectors.alliance_list(request.user, sort=_sort(request), **f),
    )
    return render(
        request,
        "training/outreach/alliances.html",
        {"filters": filters, "page": page, "may_manage": access.can(request.user, MANAGE)},
    )


@login_required
@domain_errors
def alliance_create(request):
    access.require(request.user, MANAGE)
    form = forms.AllianceCreateForm(
        request.POST or None, units=selectors.organiser_units(request.user)
    )
    return form_page(
        request,
        form,
        lambda data: services.alliance_create(actor=request.user, **data),
        "training/outreach/form.html",
        {"title": "设立联盟", "back": reverse("training:alliances")},
        after=lambda a: reverse("training:alliance", args=[a.pk]),
        done=lambda a: f"已设立{a.name}",
    )


@login_required
@domain_errors
def alliance(request, pk):
    access.require(request.user, VIEW)
    alliance = selectors.alliance_get(request.user, pk)
    may_manage = selectors.may(request.user, MANAGE, alliance.org_unit)
    q = request.GET.get("q", "").strip()[:30]
    members = list(selectors.members_of(alliance))
    honours = selectors.honours_of(m.person_id for m in members if m.person_id)
    for m in members:
        m.honours = honours.get(m.person_id, [])
    return render(
        request,
        "training/outreach/alliance.html",
        {
            "a": alliance,
            "members": members,
            "years": selectors.activities_by_year(alliance),
            "may_manage": may_manage,
            "q": q,
            "candidates": selectors.member_candidates(request.user, alliance, q)
            if may_manage
            else [],
            "activity_form": forms.ActivityForm() if may_manage else None,
            "kinds": Alliance.Kind,
        },
    )


@login_required
@domain_errors
def alliance_edit(request, pk):
    access.require(request.user, MANAGE)
    alliance = selectors.alliance_get(request.user, pk)
    form = forms.AllianceForm(
        request.POST or None,
        initial={f: getattr(alliance, f) for f in services.ALLIANCE_FIELDS},
    )
    return form_page(
        request,
        form,
        lambda data: services.alliance_update(actor=request.user, alliance=alliance, **data),
        "training/outreach/form.html",
        {"title": f"修改联盟：{alliance.name}", "back": reverse("training:alliance", args=[pk])},
        after=lambda a: reverse("training:alliance", args=[pk]),
        done=lambda a: "已保存",
    )


@login_required
@domain_errors
@require_POST
def alliance_member_add(request, pk):
    access.require(request.user, MANAGE)
    alliance = selectors.alliance_get(request.user, pk)
    field = {
        Alliance.Kind.MODEL_WORKERS: "person",
        Alliance.Kind.STUDIOS: "studio",
        Alliance.Kind.ENTERPRISES: "member_unit",
    }[alliance.kind]
    return post_action(
        request,
        forms.MemberForm(request.POST),
        lambda data: services.alliance_member_add(
            actor=request.user,
            alliance=alliance,
            joined_on=data["joined_on"],
            **{field: selectors.candidate_get(request.user, alliance, data["member"])},
        ),
        lambda m: "已加入联盟",
        reverse("training:alliance", args=[pk]),
    )


@login_required
@domain_errors
@require_POST
def alliance_member_remove(request, pk):
    access.require(request.user, MANAGE)
    member = selectors.member_get(request.user, pk)
    return post_action(
        request,
        None,
        lambda data: services.alliance_member_remove(actor=request.user, member=member),
        lambda m: "已移出联盟",
        reverse("training:alliance", args=[member.alliance_id]),
    )


@login_required
@domain_errors
def alliance_activity_add(request, pk):
    access.require(request.user, MANAGE)
    alliance = selectors.alliance_get(request.user, pk)
    return form_page(
        request,
        forms.ActivityForm(request.POST or None),
        lambda data: services.alliance_activity_add(actor=request.user, alliance=alliance, **data),
        "training/outreach/form.html",
        {"title": f"登记活动：{alliance.name}", "back": reverse("training:alliance", args=[pk])},
        after=lambda a: reverse("training:alliance", args=[pk]),
        done=lambda a: f"已登记活动“{a.title}”",
    )
