"""Courses pages. Staff (``training.view`` to see, ``training.manage`` at the organiser to
act): the list, a course with its sessions, a session with its roster, attendance and
certificates, the venue's check-in screen. Members (their login's person): open sessions,
their enrolments and certificates, the check-in page the venue's QR code opens. Anyone: the
certificate check by code (throttled). Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.common import ratelimit
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.formats import cn_date
from gonghui.common.pagination import filtered_page
from gonghui.common.qr import qr_svg
from gonghui.common.views import domain_errors, download, error_message, form_page, post_action
from gonghui.orgs import access
from gonghui.people.selectors import member_person
from gonghui.training.courses import certificates, checkin, forms, selectors, services, sheets
from gonghui.training.models import Course, Session

CHECKS_PER_MINUTE = 10  # certificate look-ups per address: codes cannot be enumerated


def _course_url(course) -> str:
    return reverse("training:course", args=[course.pk])


def _session_url(session) -> str:
    return reverse("training:session", args=[session.pk])


# --- Staff: courses ------------------------------------------------------------------------


@login_required
@domain_errors
def courses(request):
    access.require(request.user, selectors.VIEW)
    filters = forms.CourseFilters(request.GET or None, actor=request.user)
    page = filtered_page(
        request,
        filters if request.GET else _NoFilters(),
        lambda **f: selectors.course_list(request.user, sort=request.GET.get("sort", ""), **f),
    )
    return render(
        request,
        "training/courses/courses.html",
        {
            "filters": filters,
            "page": page,
            "may_create": selectors.organising_units(request.user).exists(),
        },
    )


class _NoFilters:
    def filters(self) -> dict:
        return {}


@login_required
@domain_errors
def course_create(request):
    access.require(request.user, selectors.MANAGE)
    return form_page(
        request,
        forms.CourseCreateForm(request.POST or None, actor=request.user),
        lambda data: services.course_create(actor=request.user, **data),
        "training/courses/course_form.html",
        {"creating": True},
        after=_course_url,
        done=lambda c: f"已创建“{c.name}”（草稿），请添加场次后发布",
    )


@login_required
@domain_errors
def course(request, pk):
    access.require(request.user, selectors.VIEW)
    c = selectors.course_get(request.user, pk)
    return render(
        request,
        "training/courses/course.html",
        {
            "c": c,
            "sessions": selectors.sessions_of(c),
            "may_manage": selectors.may_manage(request.user, c.org_unit),
        },
    )


@login_required
@domain_errors
def course_edit(request, pk):
    access.require(request.user, selectors.MANAGE)
    c = selectors.course_to_manage(request.user, pk)
    initial = {f: getattr(c, f) for f in services.COURSE_FIELDS}
    return form_page(
        request,
        forms.CourseForm(request.POST or None, initial=initial),
        lambda data: services.course_update(actor=request.user, course=c, **data),
        "training/courses/course_form.html",
        {"c": c},
        after=_course_url,
        done=lambda c: f"已保存“{c.name}”",
    )


@login_required
@require_POST
@domain_errors
def course_publish(request, pk):
    c = selectors.course_to_manage(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.course_publish(actor=request.user, course=c),
        lambda c: f"已发布“{c.name}”，会员可在报名时间内报名",
        _course_url(c),
    )


@login_required
@require_POST
@domain_errors
def course_close(request, pk):
    c = selectors.course_to_manage(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.course_close(actor=request.user, course=c),
        lambda c: f"“{c.name}”已结束",
        _course_url(c),
    )


# --- Staff: sessions -----------------------------------------------------------------------


def _session_form_page(request, course: Course, session: Session | None):
    lq = request.GET.get("lq", "").strip()[:30]
    initial = {}
    if session is not None:
        initial = {f: getattr(session, f) for f in services.SESSION_FIELDS}
        initial["lecturer"] = session.lecturer_id
        initial["modes"] = [m for m in services.MODES if m in session.modes]
    if request.GET.get("lecturer"):
        initial["lecturer"] = request.GET["lecturer"]
    form = forms.SessionForm(
        request.POST or None, initial=initial, course=course, actor=request.user
    )
    chosen_pk = form["lecturer"].value()
    chosen = None
    if chosen_pk:
        try:
            chosen = selectors.lecturer_of(request.user, chosen_pk)
        except NotFound:
            chosen = None

    def call(data):
        if session is None:
            return services.session_create(actor=request.user, course=course, **data)
        return services.session_update(actor=request.user, session=session, **data)

    return form_page(
        request,
        form,
        call,
        "training/courses/session_form.html",
        {
            "c": course,
            "s": session,
            "lq": lq,
            "candidates": selectors.lecturer_candidates(request.user, lq),
            "chosen": chosen,
        },
        after=_session_url,
        done=lambda s: f"已保存第 {s.seq} 期“{s.title}”",
    )


@login_required
@domain_errors
def session_create(request, pk):
    access.require(request.user, selectors.MANAGE)
    return _session_form_page(request, selectors.course_to_manage(request.user, pk), None)


@login_required
@domain_errors
def session_edit(request, pk):
    access.require(request.user, selectors.MANAGE)
    s = selectors.session_to_manage(request.user, pk)
    return _session_form_page(request, s.course, s)


@login_required
@domain_errors
def session(request, pk):
    access.require(request.user, selectors.VIEW)
    s = selectors.session_get(request.user, pk)
    may_manage = selectors.may_manage(request.user, s.org_unit)
    seated = list(selectors.seated(s))
    waiting = selectors.waitlist(s)
    q = request.GET.get("q", "").strip()[:30]
    return render(
        request,
        "training/courses/session.html",
        {
            "s": s,
            "seated": seated,
            "waitlist": waiting,
            "attendances": list(selectors.attendances(s)),
            "may_manage": may_manage,
            "q": q,
            "candidates": selectors.audience_members(s, q) if may_manage else [],
            "bulk": forms.BulkForm(choices=selectors.enrolled_choices(s)),
            "cancel_form": forms.CancelSessionForm(),
        },
    )


@login_required
@require_POST
@domain_errors
def session_cancel(request, pk):
    s = selectors.session_to_manage(request.user, pk)
    return post_action(
        request,
        forms.CancelSessionForm(request.POST),
        lambda data: services.session_cancel(actor=request.user, session=s, **data),
        lambda s: f"已取消第 {s.seq} 期，已通知所有报名会员",
        _session_url(s),
    )


@login_required
@require_POST
@domain_errors
def session_enrol(request, pk):
    s = selectors.session_to_manage(request.user, pk)

    def call(data):
        person = selectors.audience_member(s, data["person"])
        if person is None:
            raise ValidationFailed({"person": "该会员不在本场次的面向范围内"})
        return services.enrolment_create(actor=request.user, session=s, person=person)

    return post_action(
        request,
        forms.EnrolForm(request.POST),
        call,
        lambda e: f"已为{e.person.name}报名（{e.get_status_display()}）",
        _session_url(s),
    )


@login_required
@require_POST
@domain_errors
def enrolment_cancel(request, pk, enrolment):
    s = selectors.session_to_manage(request.user, pk)
    e = selectors.enrolment_in_session(s, enrolment)
    return post_action(
        request,
        None,
        lambda _: services.enrolment_cancel(actor=request.user, enrolment=e),
        lambda e: f"已取消{e.person.name}的报名",
        _session_url(s),
    )


@login_required
@require_POST
@domain_errors
def attendance_mark(request, pk):
    s = selectors.session_to_manage(request.user, pk)

    def call(data):
        people = selectors.people_in_session(s, [data["person"]])
        if not people:
            raise ValidationFailed({"person": "该人员没有报名本场次"})
        return services.attendance_mark(actor=request.user, session=s, person=people[0])

    return post_action(
        request,
        forms.MarkForm(request.POST),
        call,
        lambda a: f"已登记{a.person.name}签到",
        _session_url(s) + "#attendance",
    )


@login_required
@require_POST
@domain_errors
def attendance_bulk(request, pk):
    s = selectors.session_to_manage(request.user, pk)
    form = forms.BulkForm(request.POST, request.FILES, choices=selectors.enrolled_choices(s))

    def call(data):
        people = selectors.people_in_session(s, data.get("people") or [])
        upload = data.get("file")
        if upload is not None:
            people += sheets.sheet_people(request.user, s, upload.read(), upload.name)
        return services.attendance_bulk(actor=request.user, session=s, people=people)

    return post_action(
        request, form, call, lambda n: f"已批量登记签到 {n} 人", _session_url(s) + "#attendance"
    )


@login_required
@domain_errors
def session_export(request, pk):
    access.require(request.user, selectors.VIEW)
    s = selectors.session_get(request.user, pk)
    book = services.session_roster_export(actor=request.user, session=s)
    return download(book, f"{s.course.name}-第{s.seq}期-报名与签到.xlsx")


@login_required
@require_POST
@domain_errors
def certificates_issue(request, pk):
    s = selectors.session_to_manage(request.user, pk)
    return post_action(
        request,
        None,
        lambda _: services.certificates_issue(actor=request.user, session=s),
        lambda n: f"已出具听课证明 {n} 份" if n else "所有签到人员均已有听课证明",
        _session_url(s) + "#attendance",
    )


def _certificate_response(request, cert):
    try:
        pdf = services.certificate_download(
            actor=request.user,
            certificate=cert,
            check_url=request.build_absolute_uri(reverse("training:certificate_check")),
        )
    except certificates.NoFont as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=503)
    return download(pdf, f"听课证明-{cert.attendance.person.name}-{cert.code}.pdf")


@login_required
@domain_errors
def certificate(request, pk):
    access.require(request.user, selectors.VIEW)
    return _certificate_response(request, selectors.certificate_get(request.user, pk))


# --- The venue screen ----------------------------------------------------------------------


def _checkin_code(request, s) -> dict:
    token = checkin.checkin_token(s.pk)
    url = request.build_absolute_uri(reverse("training:checkin")) + f"?t={token}"
    return {
        "url": url,
        "svg": qr_svg(url),
        "present": s.attendances.count(),
        "seated": s.seated,
        "rotate": checkin.ROTATE_SECONDS,
    }


@login_required
@domain_errors
def checkin_screen(request, pk):
    access.require(request.user, selectors.MANAGE)
    s = selectors.session_to_manage(request.user, pk)
    return render(
        request, "training/courses/checkin_screen.html", {"s": s, "code": _checkin_code(request, s)}
    )


@login_required
@domain_errors
def checkin_code(request, pk):
    """The screen's next code and count (JSON), fetched every ``ROTATE_SECONDS``."""
    access.require(request.user, selectors.MANAGE)
    s = selectors.session_to_manage(request.user, pk)
    response = JsonResponse(_checkin_code(request, s))
    response["Cache-Control"] = "no-store"
    return response


# --- Public: the certificate check ---------------------------------------------------------


def certificate_check(request):
    form = forms.CodeForm(request.GET or None)
    found = None
    looked = False
    if form.is_valid():
        if ratelimit.anonymous_over(request, "certificate-check", CHECKS_PER_MINUTE):
            form.add_error("code", "查询过于频繁，请稍后再试")
        else:
            looked = True
            cert = selectors.certificate_by_code(form.cleaned_data["code"])
            if cert is not None:
                s = cert.attendance.session
                found = {
                    "code": cert.code,
                    "holder": certificates.mask_holder(cert.attendance.person.name),
                    "course": s.course.name,
                    "session": f"第{s.seq}期 {s.title}",
                    "organiser": s.org_unit.name,
                    "date": cn_date(s.starts_at),
                }
    return render(
        request,
        "training/courses/certificate_check.html",
        {"form": form, "found": found, "looked": looked},
    )


# --- Members -------------------------------------------------------------------------------


def _member(request):
    person = member_person(request.user)
    if person is None:
        raise NotFound("您的账号没有关联会员档案")
    return person


@login_required
@domain_errors
def my(request):
    person = _member(request)
    return render(
        request,
        "training/courses/my.html",
        {
            "person": person,
            "open": selectors.sessions_open_to(person),
            "enrolments": selectors.enrolments_of(person),
            "certificates": selectors.certificates_of(person),
            "notes": selectors.member_messages(person),
        },
    )


@login_required
@require_POST
@domain_errors
def my_enrol(request, pk):
    person = _member(request)
    s = selectors.member_session(person, pk)
    return post_action(
        request,
        None,
        lambda _: services.enrolment_create(actor=request.user, session=s),
        lambda e: (
            "报名成功，已获得名额"
            if e.status == "seated"
            else f"名额已满，您已进入候补（第 {selectors.waitlist_position(e)} 位），有人取消时将自动递补并通知您"
        ),
        reverse("training:my"),
    )


@login_required
@require_POST
@domain_errors
def my_cancel(request, pk):
    person = _member(request)
    e = selectors.member_enrolment(person, pk)
    return post_action(
        request,
        None,
        lambda _: services.enrolment_cancel(actor=request.user, enrolment=e),
        lambda e: f"已取消“{e.session.course.name}”第{e.session.seq}期的报名",
        reverse("training:my"),
    )


@login_required
@domain_errors
def my_certificate(request, pk):
    person = _member(request)
    return _certificate_response(request, selectors.member_certificate(person, pk))


@login_required
def checkin_page(request):
    """What the venue's QR code opens on a member's phone: the scan is the check-in (a
    second scan says 已签到)."""
    token = request.GET.get("t", "")
    try:
        attendance, created = services.attendance_checkin(actor=request.user, token=token)
    except DomainError as exc:
        return render(
            request,
            "training/courses/checkin.html",
            {"ok": False, "message": error_message(exc)},
            status=400,
        )
    s = attendance.session
    return render(
        request,
        "training/courses/checkin.html",
        {"ok": True, "created": created, "a": attendance, "s": s},
    )
