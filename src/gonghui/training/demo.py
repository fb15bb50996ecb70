"""Demo training (职工素质建设): the 工匠讲堂 series of 11 sessions with about 2,500
attendances and a quiz with its results, a few reading salons, 30 innovation studios with
three years of reports, the speakers' bureau, reception days and alliances. Each feature
builds its part through its own services, in order; what one part leaves for the next is on
``world``."""

from __future__ import annotations

from types import SimpleNamespace

from gonghui.training.courses import demo as courses
from gonghui.training.outreach import demo as outreach
from gonghui.training.quizzes import demo as quizzes
from gonghui.training.salons import demo as salons
from gonghui.training.studios import demo as studios


def build(fake, rng, say=None) -> SimpleNamespace:
    world = SimpleNamespace(say=say or (lambda text: None))
    courses.build(world, fake, rng)  # 工匠讲堂: sessions, enrolments, attendance, certificates
    quizzes.build(world, fake, rng)  # question bank, a quiz with its results
    salons.build(world, fake, rng)  # reading salons, meetings; 寻找职工好讲师 on contests
    studios.build(world, fake, rng)  # 30 studios, three years of reports, grants
    outreach.build(world, fake, rng)  # speakers' bureau and talks, reception days, alliances
    return world
