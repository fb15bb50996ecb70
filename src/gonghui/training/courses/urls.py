"""课程讲座（报名、候补、签到、听课证明）: pages. Staff under /training/, members under
/m/training/, the public certificate check at /training/certificates/check/."""

from django.urls import path

from gonghui.training.courses import views

urlpatterns: list = [
    path("training/courses/", views.courses, name="courses"),
    path("training/courses/new/", views.course_create, name="course_create"),
    path("training/courses/<int:pk>/", views.course, name="course"),
    path("training/courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("training/courses/<int:pk>/publish/", views.course_publish, name="course_publish"),
    path("training/courses/<int:pk>/close/", views.course_close, name="course_close"),
    path("training/courses/<int:pk>/sessions/new/", views.session_create, name="session_create"),
    path("training/sessions/<int:pk>/", views.session, name="session"),
    path("training/sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("training/sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("training/sessions/<int:pk>/enrol/", views.session_enrol, name="session_enrol"),
    path(
        "training/sessions/<int:pk>/enrolments/<int:enrolment>/cancel/",
        views.enrolment_cancel,
        name="enrolment_cancel",
    ),
    path("training/sessions/<int:pk>/attendance/", views.attendance_mark, name="attendance_mark"),
    path(
        "training/sessions/<int:pk>/attendance/bulk/", views.attendance_bulk, name="attendance_bulk"
    ),
    path("training/sessions/<int:pk>/export/", views.session_export, name="session_export"),
    path(
        "training/sessions/<int:pk>/certificates/",
        views.certificates_issue,
        name="certificates_issue",
    ),
    path("training/sessions/<int:pk>/screen/", views.checkin_screen, name="checkin_screen"),
    path("training/sessions/<int:pk>/screen/code/", views.checkin_code, name="checkin_code"),
    path("training/certificates/<int:pk>/", views.certificate, name="certificate"),
    path("training/certificates/check/", views.certificate_check, name="certificate_check"),
    path("m/training/", views.my, name="my"),
    path("m/training/sessions/<int:pk>/enrol/", views.my_enrol, name="my_enrol"),
    path("m/training/enrolments/<int:pk>/cancel/", views.my_cancel, name="my_cancel"),
    path("m/training/certificates/<int:pk>/", views.my_certificate, name="my_certificate"),
    path("m/training/checkin/", views.checkin_page, name="checkin"),
]
