"""The enrolment part of the funds demo (see funds/demo.py): runs enrolled by rule, through
the services, each replayed at its own date (``common.demo.as_of``, as the perks and contests demos
do: only ``django.utils.timezone.now`` is set back, so the runs, entitlements and ledger rows
tell one consistent past; audit events keep their real time).

Reads from ``world`` (the programmes part): ``programmes`` (``spring``: Chaoyang's Spring
Festival condolence money; ``hardship``: the city's hardship payments), ``staff`` (``admin``,
``chaoyang``), ``elder`` and ``dormant``. Leaves:

* ``world.spring_2026``: the 2026 Spring Festival run, set up and enrolled on 12 January
  2026, deadline the last working day before the holiday (Saturday 14 February 2026, a
  make-up workday) — the elder (特别困难, 12,000元) and the dormant-card model worker among
  those enrolled;
* ``world.spring_2027``: the 2027 run, enrolled in December 2026, its batch yet to come;
* ``world.hardship_run``: the city's December 2026 hardship payment run, enrolled.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from gonghui.common.demo import as_of, at
from gonghui.common.errors import ValidationFailed
from gonghui.funds.enrolment.deadlines import spring_festival_deadline
from gonghui.funds.enrolment.services import run_create, run_enrol
from gonghui.funds.models import Entitlement

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2027's schedule is not in the calendar until the State Council publishes it: 春节 falls on
# Saturday 6 February 2027; the Friday before is the demo's deadline.
SPRING_2027_DEADLINE = date(2027, 2, 5)


def build(world, fake, rng) -> None:
    say = getattr(world, "say", lambda text: None)
    programmes = getattr(world, "programmes", {}) or {}
    staff = getattr(world, "staff", {}) or {}
    spring, hardship = programmes.get("spring"), programmes.get("hardship")
    if spring is None or not staff:
        say("资金与帮扶：未找到春节慰问金项目或工作人员账号，跳过发放计划")
        return
    chaoyang = staff.get("chaoyang") or staff["admin"]
    admin = staff.get("admin") or chaoyang

    with as_of(at(date(2026, 1, 12))):
        run = run_create(
            actor=chaoyang,
            programme=spring,
            org_unit=spring.org_unit,
            name="2026年春节慰问",
            year=2026,
        )
        world.spring_2026 = run_enrol(actor=chaoyang, run=run)
    say(
        f"资金与帮扶：{run.name}纳入 {world.spring_2026.enrolled} 人，"
        f"截止 {world.spring_2026.deadline:%Y-%m-%d}"
    )
    for key in ("elder", "dormant"):
        person = getattr(world, key, None)
        if person is not None and not Entitlement.objects.filter(run=run, person=person).exists():
            say(f"资金与帮扶：注意，{person.name}（{key}）未被纳入{run.name}")

    with as_of(at(date(2026, 12, 7))):
        try:
            deadline = spring_festival_deadline(2027)
        except ValidationFailed:
            deadline = SPRING_2027_DEADLINE
        run = run_create(
            actor=chaoyang,
            programme=spring,
            org_unit=spring.org_unit,
            name="2027年春节慰问",
            year=2027,
            deadline=deadline,
        )
        world.spring_2027 = run_enrol(actor=chaoyang, run=run)
    say(f"资金与帮扶：{run.name}纳入 {world.spring_2027.enrolled} 人")

    world.hardship_run = None
    if hardship is not None:
        with as_of(at(date(2026, 12, 1))):
            run = run_create(
                actor=admin,
                programme=hardship,
                org_unit=hardship.org_unit,
                name="2026年12月困难劳模帮扶",
                year=2026,
                deadline=date(2026, 12, 31),
            )
            world.hardship_run = run_enrol(actor=admin, run=run)
        say(f"资金与帮扶：{run.name}纳入 {world.hardship_run.enrolled} 人")
