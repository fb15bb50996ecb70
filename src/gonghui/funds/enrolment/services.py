"""Runs of enrolment programmes (发放计划): created with their deadline, enrolled by rule in
one set-based statement, and an enrolled entitlement cancelled before payment.

``run_enrol`` enrols by one INSERT … SELECT of the eligible people (``criteria``) into
``funds_entitlement``, ON CONFLICT DO NOTHING against the one-per-person-and-run constraint:
a repeated or resumed enrolment neither skips nor doubles anyone and adds only the people
who became eligible since. The run's new total is one aggregate over the rows just
inserted, committed to the budget as ONE ledger row (over budget: refused, the whole
enrolment rolled back, nothing enrolled)."""

# ruff: noqa: S608  (the SQL here joins table names and %s placeholders; values are parameters)
from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common import workdays
from gonghui.common.bulk import large_cache
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.funds import ledger
from gonghui.funds.enrolment import criteria
from gonghui.funds.enrolment.deadlines import spring_festival_deadline
from gonghui.funds.events import allowed, event
from gonghui.funds.models import Entitlement, Hardship, Programme, RuleVersion, Run
from gonghui.orgs.models import OrgUnit, path_contains, path_next
from gonghui.people.models import Membership, Person
from gonghui.registry.models import Award, Honour

# --- Runs ----------------------------------------------------------------------------------


def current_rule(programme: Programme) -> RuleVersion:
    """The programme's latest rule version, refused (naming ``programme``) when it cannot
    enrol: no version, or its ``enrol`` part is wrong (the first problem said)."""
    version = programme.rule_versions.order_by("-version").first()
    if version is None:
        raise ValidationFailed({"programme": "该项目尚未设定规则，无法纳入"})
    found = criteria.problems(version.rule)
    if found:
        field, message = next(iter(found.items()))
        raise ValidationFailed({"programme": f"规则 v{version.version} 的 {field}：{message}"})
    return version


def run_create(
    *,
    actor,
    programme: Programme,
    org_unit: OrgUnit,
    name: str,
    year: int,
    deadline: date | None = None,
) -> Run:
    """A run of an enrolment programme at ``org_unit`` (within the programme's union),
    with its deadline: given, or the last working day before that year's Spring Festival."""
    grant = allowed(actor, "funds.manage", org_unit)
    errors: dict[str, str] = {}
    if programme.entry != Programme.Entry.ENROL:
        errors["programme"] = f"“{programme.name}”为申请类项目，不能按规则纳入"
    if not programme.is_active:
        errors["programme"] = f"“{programme.name}”已停用"
    if not path_contains(programme.org_unit.path, org_unit.path):
        errors["org_unit"] = f"发放工会应为{programme.org_unit.name}或其下级工会"
    name = (name or "").strip()
    if not name:
        errors["name"] = "请填写名称，如“2027年春节慰问”"
    elif len(name) > 120:
        errors["name"] = "名称不超过 120 字"
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = "年度应为 2000–2100 之间的年份"
    if errors:
        raise ValidationFailed(errors)
    current_rule(programme)  # an enrolment rule that can decide, before a run is set up
    if deadline is None:
        deadline = spring_festival_deadline(year)
    if deadline < workdays.today():
        raise ValidationFailed({"deadline": f"发放截止日期 {deadline} 已过"})
    with transaction.atomic():
        run = Run.objects.create(
            programme=programme, org_unit=org_unit, name=name, year=year, deadline=deadline
        )
        event(
            actor,
            programme,
            Action.FUNDS_RUN_CREATE,
            obj=run,
            post_id=grant.post_id,
            changes={
                "name": [None, name],
                "year": [None, year],
                "deadline": [None, deadline.isoformat()],
                "org_unit": [None, org_unit.name],
            },
        )
    return run


# --- Enrolment -----------------------------------------------------------------------------


def _day(day: date):
    return connection.ops.adapt_datefield_value(day)


def _eligible_sql(run: Run, version: RuleVersion) -> tuple[str, list, list[str]]:
    """The eligible people, as one SELECT of the entitlement's columns (after the fixed
    ones), its parameters, and its column names. Members are found from their unions'
    memberships (an index range over the subtree's unions); retired people without an active
    membership, if the rule takes them, from their registry union, in a second branch."""
    rule = version.rule
    enrol = rule["enrol"]
    codes = enrol.get("honours") or []
    honour_ids = dict(Honour.objects.filter(code__in=codes).values_list("code", "pk"))
    if missing := [c for c in codes if c not in honour_ids]:
        raise ValidationFailed(
            {"programme": f"规则 v{version.version} 中的荣誉代码不存在：{'、'.join(missing)}"}
        )
    by_grade, default = criteria.amount_cases(rule)
    person, membership = Person._meta.db_table, Membership._meta.db_table
    orgunit, award = OrgUnit._meta.db_table, Award._meta.db_table
    hardship = Hardship._meta.db_table
    # Who, whichever way they belong (alias p: the person).
    who = ["p.merged_into_id IS NULL", "p.status <> %s", "o.path >= %s AND o.path < %s"]
    who_params: list = [
        str(Person.Status.DECEASED),
        run.org_unit.path,
        path_next(run.org_unit.path),
    ]
    if honour_ids:
        marks = ", ".join(["%s"] * len(honour_ids))
        who.append(
            f"EXISTS (SELECT 1 FROM {award} a WHERE a.person_id = p.id AND a.status = %s"
            f" AND a.honour_id IN ({marks}))"
        )
        who_params += [str(Award.Status.ACTIVE), *honour_ids.values()]
    if enrol.get("min_age"):
        who.append("p.birth_date <= %s")
        who_params.append(_day(criteria.born_by(run.deadline, enrol["min_age"])))
    grade_sql, grade_params = "NULL", []
    if by_grade:
        marks = ", ".join(["%s"] * len(by_grade))
        grade_sql = (
            f"(SELECT h.grade FROM {hardship} h WHERE h.person_id = p.id AND h.since <= %s"
            f" AND (h.until IS NULL OR h.until >= %s) AND h.grade IN ({marks})"
            " ORDER BY h.since DESC, h.id DESC LIMIT 1)"
        )
        grade_params = [_day(run.deadline), _day(run.deadline), *by_grade]
        amount_sql = "CASE g.grade " + " ".join("WHEN %s THEN %s" for _ in by_grade) + " END"
        amount_params = [v for pair in by_grade.items() for v in pair]
    else:
        amount_sql, amount_params = "%s", [default]
    where = " AND ".join(who)
    members = (
        f"SELECT p.id AS person_id, m.org_unit_id AS org_unit_id, {grade_sql} AS grade"
        f" FROM {orgunit} o"
        f" JOIN {membership} m ON m.org_unit_id = o.id AND m.status = %s"
        f" JOIN {person} p ON p.id = m.person_id"
        f" WHERE {where}"
    )
    params = [*grade_params, str(Membership.Status.ACTIVE), *who_params]
    if enrol.get("retired", True):
        members += (
            f" UNION ALL SELECT p.id, p.org_unit_id, {grade_sql}"
            f" FROM {orgunit} o JOIN {person} p ON p.org_unit_id = o.id"
            f" WHERE p.status = %s AND NOT EXISTS (SELECT 1 FROM {membership} m"
            " WHERE m.person_id = p.id AND m.status = %s)"
            f" AND {where}"
        )
        params += [
            *grade_params,
            str(Person.Status.RETIRED),
            str(Membership.Status.ACTIVE),
            *who_params,
        ]
    if connection.vendor == "postgresql":
        pay_sql = (
            "%s || CASE WHEN g.person_id < 10000000000"
            " THEN lpad(g.person_id::text, 10, '0') ELSE g.person_id::text END"
        )
    else:
        pay_sql = "%s || printf('%%010d', g.person_id)"
    sql = (
        f"SELECT g.person_id, g.org_unit_id, {amount_sql} AS amount, {pay_sql} AS payment_id"
        f" FROM ({members}) g"
        + (" WHERE g.grade IS NOT NULL" if by_grade else "")
        + " ORDER BY g.person_id"
    )
    return (
        sql,
        [*amount_params, f"FR{run.pk:05d}P", *params],
        ["person_id", "org_unit_id", "amount", "payment_id"],
    )


def run_enrol(*, actor, run: Run, progress=None) -> Run:
    """Enrol everyone the programme's current rule names and the run does not hold yet, in
    one INSERT … SELECT; commit their total to the run's budget as one ledger row (over
    budget: refused, nothing enrolled); the run records the rule version it used. Running
    it again enrols only people who became eligible since, and commits only their sum."""
    programme = run.programme
    grant = allowed(actor, "funds.manage", run.org_unit)
    if run.status == Run.Status.CLOSED:
        raise ValidationFailed({"run": f"“{run.name}”已结束，不能再纳入"})
    version = current_rule(programme)
    budget = ledger.budget_for(programme, run.org_unit, run.year)
    if budget is None:
        raise ValidationFailed(
            {"budget": f"{run.org_unit.name}及其上级未设{run.year}年“{programme.name}”预算"}
        )
    say = progress or (lambda text: None)
    with transaction.atomic():
        # One enrolment of a run at a time: a second waits here, then finds the rows.
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status == Run.Status.CLOSED:
            raise ValidationFailed({"run": f"“{run.name}”已结束，不能再纳入"})
        before = locked.enrolled
        last_id = (
            Entitlement.objects.filter(run=locked).order_by("-id").values_list("id", flat=True)
        ).first() or 0
        select, params, columns = _eligible_sql(locked, version)
        table = Entitlement._meta.db_table
        fixed = {
            "programme_id": programme.pk,
            "budget_id": budget.pk,
            "run_id": locked.pk,
            "year": locked.year,
            "rule_version_id": version.pk,
            "status": str(Entitlement.Status.OWED),
            "created_at": connection.ops.adapt_datetimefield_value(timezone.now()),
        }
        marks = ", ".join(["%s"] * len(fixed))
        sql = (
            f"INSERT INTO {table} ({', '.join([*columns, *fixed])})"
            f" SELECT q.*, {marks} FROM ({select}) q"
            " WHERE true ON CONFLICT DO NOTHING"  # (SQLite: WHERE, or ON reads as a join's)
        )
        say("纳入符合条件的人员…")
        with large_cache(), connection.cursor() as cursor:
            cursor.execute(sql, [*fixed.values(), *params])
            inserted = cursor.rowcount
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM {table}"
                " WHERE run_id = %s AND id > %s",
                [locked.pk, last_id],
            )
            count, total = cursor.fetchone()
        total = int(total)
        if count != inserted:  # never: the run is locked; said rather than committed wrong
            raise Conflict("纳入过程中名单发生变化，请重试")
        entry = None
        if total:
            say(f"承诺预算 {count} 人…")
            entry = ledger.commit(
                actor=actor, budget=budget, amount=total, note=f"{locked.name}：纳入 {count} 人"
            )
        locked.enrolled = before + count
        locked.status = Run.Status.ENROLLED
        locked.rule_version = version
        locked.save(update_fields=["enrolled", "status", "rule_version"])
        event(
            actor,
            programme,
            Action.FUNDS_RUN_ENROL,
            obj=locked,
            post_id=grant.post_id,
            changes={
                "enrolled": [before, locked.enrolled],
                "added": [None, count],
                "total": [None, total],
                "rule_version": [None, version.version],
                "ledger": [None, entry.pk if entry else None],
            },
        )
    say(f"已纳入 {count} 人")
    return locked


def entitlement_cancel(*, actor, entitlement: Entitlement, reason: str) -> Entitlement:
    """Cancel an owed entitlement (not yet in a batch) with a reason: its commitment goes
    back to the budget (``ledger.release``)."""
    grant = allowed(actor, "funds.manage", entitlement.org_unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写取消原因"})
    if len(reason) > 200:
        raise ValidationFailed({"reason": "取消原因不超过 200 字"})
    with transaction.atomic():
        locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if locked.status != Entitlement.Status.OWED:
            raise ValidationFailed(
                {"entitlement": f"该记录{locked.get_status_display()}，只能取消待发放的记录"}
            )
        Entitlement.objects.filter(pk=locked.pk).update(status=Entitlement.Status.CANCELLED)
        locked.status = Entitlement.Status.CANCELLED
        entry = ledger.release(
            actor=actor,
            budget=locked.budget,
            amount=locked.amount,
            entitlement=locked,
            note=f"取消：{reason}"[:200],
        )
        event(
            actor,
            locked.programme,
            Action.FUNDS_ENTITLEMENT_CANCEL,
            obj=locked,
            post_id=grant.post_id,
            changes={
                "status": [Entitlement.Status.OWED, Entitlement.Status.CANCELLED],
                "reason": [None, reason],
                "amount": [None, locked.amount],
                "ledger": [None, entry.pk],
            },
        )
    return locked
