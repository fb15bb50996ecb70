"""题库与现场答题: pages (namespace ``training``). /live/quiz/<pk>/events is the stream
server's (``board.py``), not Django's."""

from django.urls import path

from gonghui.training.quizzes import views

urlpatterns = [
    path("training/questions/", views.questions, name="questions"),
    path("training/questions/new/", views.question_create, name="question_create"),
    path("training/questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path(
        "training/questions/<int:pk>/deactivate/",
        views.question_deactivate,
        name="question_deactivate",
    ),
    path("training/quizzes/", views.quizzes, name="quizzes"),
    path("training/quizzes/new/", views.quiz_create, name="quiz_create"),
    path("training/quizzes/<int:pk>/", views.quiz, name="quiz"),
    path("training/quizzes/<int:pk>/open/", views.quiz_open, name="quiz_open"),
    path("training/quizzes/<int:pk>/close/", views.quiz_close, name="quiz_close"),
    path("training/quizzes/<int:pk>/qr/", views.quiz_qr, name="quiz_qr"),
    path("training/quizzes/<int:pk>/screen/", views.quiz_screen, name="quiz_screen"),
    path("training/quizzes/<int:pk>/screen.json", views.quiz_frame, name="quiz_frame"),
    path("training/quizzes/<int:pk>/results/", views.quiz_results, name="quiz_results"),
    path("m/training/quiz/<int:pk>/", views.quiz_answer, name="quiz_answer"),
]
