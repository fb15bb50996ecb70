"""Registration (报名不设门槛): anyone signs up on a phone, a logged-in member in one tap;
unions nominate their people (组织推荐); entrants withdraw; registration closes at its
moment (or by hand) and the rules are locked with it.

Each write is one transaction with its event in the competition's own stream
(``contest:<id>``). A registration's event names the entrant by its public key ("007"),
the employer as ``u<id>`` and the age: never a name, an ID number or a phone.

What an anonymous caller may learn: nothing about anyone already in the registry. The
person is found by the registry's one-person-one-record index (``people.person_enrol``)
or created, and the answer for a person found and for a new one is the same (the entrant
number, nothing of the record). Anonymous registrations are counted per address before
anything is asked of the database, hit or miss.

Rules document: closing by hand is refused while no rules document is on the competition
(the close locks the rules, so they must be there to lock); the worker's close at
``registration_closes_at`` closes regardless (the moment was published; nobody may go on
registering because an upload was forgotten), and its event records the empty SHA-256."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common import crypto, ratelimit
from gonghui.common.errors import Conflict, Throttled, ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.contests import events
from gonghui.contests.entry.selectors import is_own_entry, member_person
from gonghui.contests.models import Competition, Entrant, Stage
from gonghui.contests.records import entrant_key
from gonghui.orgs import access
from gonghui.orgs.models import path_contains
from gonghui.people.models import Person, Unit
from gonghui.people.services import clean_person, employer_enrol, person_enrol, require_live

AGE_MIN, AGE_MAX = 16, 90  # the first 北京大工匠 had entrants aged 17 to 84
# Anonymous registrations per address (an IPv6 client by its /64): ten in ten minutes,
# forty a day. A union office signing up its workers nominates them instead.
REGISTER_LIMITS = {600: 10, ratelimit.DAY: 40}
THROTTLED = "本网络报名过于频繁，请稍后再试（单位集体报名请由工会组织推荐）"
CLOSED = "报名已截止"
# One refusal for a frozen board and a begun final, checked before the entrant's status:
# while frozen, "already titled" or "already out" would tell what the board holds back.
WITHDRAW_CLOSED = "终极挑战赛已开始或成绩待公布，不能再退赛"
NO_RULES = "尚未上传竞赛规程：截止报名时规程随之锁定，请先上传规程"


# --- Registration ---------------------------------------------------------------------------


def entrant_register(
    *,
    competition: Competition,
    name: str = "",
    phone: str = "",
    age: int | None = None,
    birth_date: date | None = None,
    employer_name: str = "",
    id_number: str = "",
    user=None,
    ip: str | None = None,
) -> Entrant:
    """Register for ``competition`` (个人自荐). Anonymous (``user`` None): name, phone, age
    or birth date and employer, the resident ID optional; counted against ``ip``'s limit
    first. A logged-in member (``user`` with a person): their own record, its employer
    and age unless given. Refusals name their field; nothing is written then."""
    member = _member_person(user)
    if member is None and ip is not None:
        _count_address(ip)
    with transaction.atomic():
        competition = events.locked(competition)
        _require_open(competition)
        if member is not None:
            person, employer, years = _member_details(
                competition, member, employer_name=employer_name, age=age
            )
            by = user
        else:
            person, employer, years = _anonymous_details(
                competition,
                name=name,
                phone=phone,
                age=age,
                birth_date=birth_date,
                employer_name=employer_name,
                id_number=id_number,
            )
            by = None
        return _enter(
            by, competition, person, employer, years, route=Entrant.Route.SELF, nominated_by=None
        )


def entrant_nominate(
    *, actor, competition: Competition, person: Person, employer: Unit | None = None
) -> Entrant:
    """组织推荐: a union's staff (``contests.nominate`` over the person's union) enter one of
    their people; the entrant is nominated by the post's union. The competition takes
    nominations from its organiser's subtree only."""
    person = Person.objects.select_related("org_unit", "employer").get(pk=person.pk)
    grant = access.require_at(actor, "contests.nominate", person.org_unit, view_perm="people.view")
    require_live(person)
    with transaction.atomic():
        competition = events.locked(competition)
        if not path_contains(competition.org_unit.path, grant.path):
            raise ValidationFailed(
                {"competition": f"本竞赛只接受{competition.org_unit.name}及其下级工会推荐"}
            )
        _require_open(competition)
        employer = employer or person.employer
        if employer is None:
            raise ValidationFailed({"employer": "该人员档案没有工作单位，请选择工作单位"})
        if person.birth_date is None:
            raise ValidationFailed({"person": "该人员档案没有出生日期，无法核对年龄，请先补全档案"})
        years = _age_in_range(_age_on(person.birth_date), field="person")
        return _enter(
            actor,
            competition,
            person,
            employer,
            years,
            route=Entrant.Route.UNION,
            nominated_by=grant.unit_id,
            post_id=grant.post_id,
        )


def _member_person(user) -> Person | None:
    person = member_person(user)
    if person is None and getattr(user, "is_authenticated", False):
        raise ValidationFailed({"user": "当前账号未关联会员信息，请退出登录后填写报名信息"})
    return person


def _count_address(ip: str) -> None:
    """One anonymous registration against the address's limit (outside the write's
    transaction: a refused registration still counts, so an ID number cannot be probed
    for free)."""
    if ratelimit.over(f"contest-register:{ip}", REGISTER_LIMITS) is not None:
        raise Throttled(THROTTLED)


def _require_open(competition: Competition) -> None:
    now = timezone.now()
    if competition.status != Competition.Status.OPEN or now < competition.registration_opens_at:
        if competition.registration_closed_at or competition.status in (
            Competition.Status.RUNNING,
            Competition.Status.FINISHED,
        ):
            raise ValidationFailed({"registration_closes_at": CLOSED})
        opens = cn_datetime(competition.registration_opens_at)
        raise ValidationFailed({"registration_opens_at": f"报名尚未开始（{opens} 开始）"})
    if competition.registration_closed_at or now >= competition.registration_closes_at:
        closes = cn_datetime(
            competition.registration_closed_at or competition.registration_closes_at
        )
        raise ValidationFailed({"registration_closes_at": f"{CLOSED}（{closes}）"})


def _age_on(born: date) -> int:
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _age_in_range(years: int, *, field: str) -> int:
    if not AGE_MIN <= years <= AGE_MAX:
        raise ValidationFailed({field: f"参赛年龄应在{AGE_MIN}至{AGE_MAX}周岁之间"})
    return years


def _member_details(competition, person: Person, *, employer_name: str, age):
    require_live(person)
    errors = {}
    employer = None
    if employer_name.strip():
        employer = employer_enrol(org_unit=competition.org_unit, name=employer_name)
    elif person.employer_id:
        employer = person.employer
    else:
        errors["employer_name"] = "请填写工作单位"
    years = None
    if person.birth_date is not None:
        years = _age_on(person.birth_date)
    elif age is not None:
        years = age
    else:
        errors["age"] = "请填写年龄"
    if years is not None:
        try:
            _age_in_range(years, field="age")
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return person, employer, years


def _anonymous_details(
    competition, *, name, phone, age, birth_date, employer_name, id_number
) -> tuple[Person, Unit, int]:
    """Check everything typed first (every problem at once, by field), then find or
    create the person and the employer."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "请填写姓名"
    if not (phone or "").strip():
        errors["phone"] = "请填写手机号，以便通知比赛安排"
    if not (employer_name or "").strip():
        errors["employer_name"] = "请填写工作单位"
    if age is None and birth_date is None and not (id_number or "").strip():
        errors["age"] = "请填写年龄（或身份证号）"
    data = {
        "name": name,
        "phone": phone,
        "id_number": id_number or "",
        "birth_date": birth_date,
        "trade": competition.trade,
    }
    born = None
    try:
        # The registry's own rules (ID check digit, phone format, birth date in the ID).
        cleaned = clean_person(data if id_number else {**data, "no_id_reason": "-"})
        born = cleaned["birth_date"]
    except ValidationFailed as exc:
        errors.update({k: v for k, v in exc.fields.items() if k not in errors})
    if "age" not in errors and "birth_date" not in errors and "id_number" not in errors:
        years = _age_on(born) if born else age
        if born and age is not None and abs(_age_on(born) - age) > 1:
            errors["age"] = "年龄与出生日期不一致"
        elif years is not None:
            try:
                _age_in_range(years, field="age")
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    years = _age_on(born) if born else age
    employer = employer_enrol(org_unit=competition.org_unit, name=employer_name)
    if not id_number:
        _refuse_same_name_and_phone(competition, name=name.strip(), phone=cleaned["phone"])
    person = person_enrol(
        org_unit=competition.org_unit,
        data=data | {"employer": employer},
        via=f"竞赛报名：{competition.name}",
    )
    return person, employer, years


def _refuse_same_name_and_phone(competition, *, name: str, phone: str) -> None:
    """Without an ID number, the same name and phone already entered here is the same
    person signing up twice (a second record would be made for them otherwise)."""
    index = crypto.blind_index(phone, context="phone")
    if Entrant.objects.filter(
        competition=competition, person__name=name, person__phone_index=index
    ).exists():
        raise ValidationFailed({"phone": "该姓名和手机号已报名本竞赛，不能重复报名"})


def _enter(
    actor,
    competition: Competition,
    person: Person,
    employer: Unit,
    years: int,
    *,
    route: str,
    nominated_by: int | None,
    post_id: int | None = None,
) -> Entrant:
    """The entrant row with the next number (the competition's row is locked: two
    registrations at once get two numbers), and its event."""
    if Entrant.objects.filter(competition=competition, person=person).exists():
        raise ValidationFailed({"person": "已报名本竞赛，不能重复报名"})
    last = Entrant.objects.filter(competition=competition).aggregate(n=Max("number"))["n"] or 0
    try:
        with transaction.atomic():
            entrant = Entrant.objects.create(
                competition=competition,
                person=person,
                number=last + 1,
                age=years,
                employer=employer,
                route=route,
                nominated_by_id=nominated_by,
            )
    except IntegrityError:
        # Only a row written past the lock (none should be): never a second entrant.
        raise Conflict("报名人数刚刚发生变化，请重新提交") from None
    events.event(
        actor,
        competition,
        Action.CONTESTS_REGISTER,
        obj=entrant,
        post_id=post_id,
        changes={
            "entrant": [None, entrant_key(entrant.number)],
            "route": [None, route],
            "employer": [None, f"u{employer.pk}"],
            "age": [None, years],
        },
    )
    return entrant


# --- Withdrawing ----------------------------------------------------------------------------


@transaction.atomic
def entrant_withdraw(*, actor, entrant: Entrant, reason: str) -> Entrant:
    """The entrant themselves (their account) or the organiser's staff
    (``contests.manage``) withdraw an entrant, before the final begins."""
    entrant = (
        Entrant.objects.select_for_update()
        .select_related("competition__org_unit", "person")
        .get(pk=entrant.pk)
    )
    competition = entrant.competition
    own = is_own_entry(actor, entrant)
    post_id = None
    if not own:
        post_id = events.allowed(actor, competition, "contests.manage").post_id
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写退赛原因"})
    if len(reason) > 200:
        raise ValidationFailed({"reason": "退赛原因最长200字"})
    final_begun = Stage.objects.filter(competition=competition, kind=Stage.Kind.FINAL).exclude(
        status=Stage.Status.PLANNED
    )
    if (
        competition.frozen
        or competition.status == Competition.Status.FINISHED
        or final_begun.exists()
    ):
        raise Conflict(WITHDRAW_CLOSED)
    if entrant.status == Entrant.Status.WITHDRAWN:
        raise Conflict("已退赛")
    if entrant.status in (Entrant.Status.TITLED, Entrant.Status.NOMINEE, Entrant.Status.OUT):
        raise Conflict(f"该参赛人已{entrant.get_status_display()}，不能退赛")
    before = entrant.status
    entrant.status = Entrant.Status.WITHDRAWN
    entrant.save(update_fields=["status"])
    events.event(
        actor,
        competition,
        Action.CONTESTS_WITHDRAW,
        obj=entrant,
        post_id=post_id,
        changes={
            "entrant": [None, entrant_key(entrant.number)],
            "status": [before, entrant.status],
            "by": [None, "self" if own else "staff"],
            "reason": [None, reason],
        },
    )
    return entrant


# --- Closing registration -------------------------------------------------------------------


def registration_close(*, actor, competition: Competition) -> Competition:
    """Close registration now (``contests.manage``): the rules are locked with their
    SHA-256 as uploaded, the competition runs, the record reaches its milestone 报名截止.
    Closed already: nothing happens, nothing is recorded."""
    grant = events.allowed(actor, competition, "contests.manage")  # its unit never changes
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.registration_closed_at is not None:
            return competition
        if competition.status != Competition.Status.OPEN:
            raise Conflict(f"竞赛{competition.get_status_display()}，没有进行中的报名可以截止")
        if not competition.rules_sha256:
            raise Conflict(NO_RULES)
        return _close(actor, competition, post_id=grant.post_id, by="staff")


def registrations_close_due() -> int:
    """The worker's minute: close every open competition whose registration moment has
    passed (each in its own transaction); how many were closed."""
    due = Competition.objects.filter(
        status=Competition.Status.OPEN,
        registration_closed_at__isnull=True,
        registration_closes_at__lte=timezone.now(),
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            competition = events.locked(Competition(pk=pk))
            if (
                competition.registration_closed_at is None
                and competition.status == Competition.Status.OPEN
            ):
                _close(None, competition, post_id=None, by="schedule")
                closed += 1
    return closed


def _close(actor, competition: Competition, *, post_id, by: str) -> Competition:
    now = timezone.now()
    competition.registration_closed_at = now
    competition.rules_locked_at = now
    competition.status = Competition.Status.RUNNING
    competition.save(update_fields=["registration_closed_at", "rules_locked_at", "status"])
    entrants = Entrant.objects.filter(competition=competition).count()
    events.event(
        actor,
        competition,
        Action.CONTESTS_REGISTRATION_CLOSE,
        post_id=post_id,
        changes={
            "status": [Competition.Status.OPEN, competition.status],
            "registration_closed_at": [None, now.isoformat()],
            "rules_sha256": [None, competition.rules_sha256],
            "entrants": [None, entrants],
            "by": [None, by],
        },
    )
    events.milestone(competition, "报名截止")
    return competition
